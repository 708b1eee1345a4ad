"""`linkyflux demo`: the whole job against the built-in simulator, no account, no server.

The simulator runs in-process on a free loopback port. The demo performs the real device
flow (acting as the user's browser to accept the consent) and the real fetch, on a
simulated clock: the proxy's 12 requests/minute pacing is honoured in simulated time, so
the demo finishes in seconds. It writes to ./linkyflux-demo.lp, or (``to_config``, asked for
with ``--to-config``) to the configured sink: eight simulated meters must never land in a
real database by surprise. It uses the configured off-peak hours and prices, or example ones.

With ``--import`` it first shows what a user without a gateway does: Enedis sends an R63
CSV of the days before (two meters in one file, ./linkyflux-demo-R63.csv), which is imported,
then the fetch fills the days after it.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

import httpx
from pydantic import SecretStr

from linkyflux.app.circuits import run_netatmo_auth
from linkyflux.app.consent import run_auth
from linkyflux.app.imports import format_import, run_import
from linkyflux.app.runs import run_fetch
from linkyflux.app.wiring import Echo, Runtime
from linkyflux.models import Direction
from linkyflux.settings import (
    ConsentSettings,
    DatedPrice,
    NetatmoSettings,
    Settings,
    StateSettings,
    describe_price,
)
from linkyflux.simulator.exports import r63
from linkyflux.simulator.netatmo import NETATMO_CLIENT_ID, NETATMO_CLIENT_SECRET
from linkyflux.simulator.proxy import browser_consent
from linkyflux.simulator.server import SimulatorServer
from linkyflux.simulator.simulator import Simulator
from linkyflux.simulator.synthetic import Interval
from linkyflux.sinks.writers import Sink
from linkyflux.sources.auth import DeviceCode
from linkyflux.sync.report import FetchReport
from linkyflux.timeutil import Clock, FakeClock, SystemClock

DEMO_OUTPUT = "linkyflux-demo.lp"
DEMO_OFFPEAK = "22h00-6h00"
# Example prices (EDF tarif bleu HP/HC, February 2025; a production price), used when the
# config has none, so the dashboards' cost panels show something
DEMO_PRICE = DatedPrice(
    from_=date(2020, 1, 1), base=0.2016, hc=0.1615, hp=0.2146, production=0.1276, subscription=15.65
)
DEMO_CLIENT_ID = "linkyflux-demo"
DEMO_EXPORT = "linkyflux-demo-R63.csv"
DEMO_CIRCUITS_METER = "22516914714270"  # the Linky meter the simulated Netatmo homes hang off
# The meters of the demo's R63 file: a household and a solar plant
EXPORTED: tuple[tuple[str, Direction], ...] = (
    ("22516914714270", "consumption"),
    ("24880057139941", "production"),
)


def run_demo(
    settings: Settings | None,
    days: int,
    echo: Echo,
    warn: Echo,
    clock: Clock | None = None,
    *,
    to_config: bool = False,
    with_import: bool = False,
) -> tuple[FetchReport, Sink]:
    clock = clock or FakeClock(SystemClock().now())
    simulator = Simulator(clock, client_id=DEMO_CLIENT_ID)
    base = settings or Settings.model_construct()
    update: dict[str, object] = {}
    if not to_config:
        Path(DEMO_OUTPUT).unlink(missing_ok=True)
        update["influxdb"] = base.influxdb.model_copy(update={"output": DEMO_OUTPUT})
    if not base.tariff.offpeak or not base.tariff.price:
        update["tariff"] = base.tariff.model_copy(
            update={
                "offpeak": base.tariff.offpeak or DEMO_OFFPEAK,
                "price": base.tariff.price or [DEMO_PRICE],
            }
        )
    with SimulatorServer(simulator) as server, tempfile.TemporaryDirectory() as state_dir:
        api = "consent proxy + Enedis, v5 and 2026 APIs, Netatmo"
        echo(f"Simulator ({api}) on {server.url}, today {simulator.today()}.")
        update["consent"] = ConsentSettings(url=server.url, client_id=DEMO_CLIENT_ID)
        update["state"] = StateSettings(dir=state_dir)
        update["netatmo"] = NetatmoSettings(
            client_id=NETATMO_CLIENT_ID,
            client_secret=SecretStr(NETATMO_CLIENT_SECRET),
            url=f"{server.url}/netatmo",
            usage_point=DEMO_CIRCUITS_METER,
            window_hours=min(24 * days, 240),  # Netatmo keeps about ten days
        )
        demo_settings = base.model_copy(update=update)

        def accept(code: DeviceCode) -> None:
            echo("[demo] Opening the link and accepting the consent, as you would in a browser.")
            browser_consent(server.url, code.user_code)

        def accept_netatmo(link: str) -> str:
            echo("[demo] Accepting on Netatmo's page and pasting the address it lands on.")
            return httpx.get(link, follow_redirects=False).headers["location"]

        runtime = Runtime(clock=clock, on_device_code=accept, on_netatmo_link=accept_netatmo)
        if with_import:
            _show_import(simulator, demo_settings, runtime, days, echo, warn)
        run_auth(demo_settings, runtime, echo, warn=warn)
        run_netatmo_auth(demo_settings, runtime, echo)
        echo(f"Off-peak schedule: {demo_settings.tariff.offpeak!r}")
        for price in demo_settings.tariff.price:
            echo(f"Prices: {describe_price(price)}")
        # the spool is in the temporary state directory: what waits there is gone with it
        return run_fetch(demo_settings, runtime, days, warn, spool_survives=False)


def _show_import(
    simulator: Simulator, settings: Settings, runtime: Runtime, days: int, echo: Echo, warn: Echo
) -> None:
    """Write the R63 CSV Enedis would send for the ``days`` days before the fetched ones,
    and import it."""
    end = simulator.today() - timedelta(days=days)
    first = end - timedelta(days=days)
    series = [
        (usage_point_id, direction, _curve(simulator, usage_point_id, direction, first, end))
        for usage_point_id, direction in EXPORTED
    ]
    Path(DEMO_EXPORT).write_text(r63(series, first, end))
    echo(f"[demo] Enedis sent the R63 CSV of {first} to {end - timedelta(days=1)}: {DEMO_EXPORT}")
    report = run_import(settings, runtime, [DEMO_EXPORT], warn, dry_run=False)
    echo(format_import(report))
    if report.errors:
        raise report.errors[0]


def _curve(
    simulator: Simulator, usage_point_id: str, direction: Direction, first: date, end: date
) -> list[Interval]:
    return [
        interval
        for n in range((end - first).days)
        for interval in simulator.truth_curve(usage_point_id, direction, first + timedelta(days=n))
    ]
