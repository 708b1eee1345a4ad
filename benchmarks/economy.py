"""API economy: the metering calls of 30 daily ``linkyflux fetch -d 1`` runs, against the
fewest that can give the same data.

The fewest: one call per series a meter measures and run (consumption: load curve, daily
energy, max power; production: load curve, daily energy), plus, on the first run, one call
per direction a meter does not measure (Enedis' refusal is the only way to learn it). Each
call after the first run must also cover the day before yesterday, the correction window,
without an extra call. The other requests (token refreshes, contracts read again) are
counted and shown, not checked. The runs go through the CLI in this process, on a
simulated clock (09:00 each day, from 1 October: the October DST change is among them), so
nothing waits.
"""

from __future__ import annotations

import tempfile
from datetime import date, datetime
from pathlib import Path

from click.testing import CliRunner

from benchmarks.common import CLIENT_ID, Figure, write_config
from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.proxy import browser_consent
from linkyflux.simulator.server import SimulatorServer
from linkyflux.simulator.simulator import Simulator
from linkyflux.simulator.synthetic import METERS_BY_ID
from linkyflux.sources.auth import DeviceCode
from linkyflux.timeutil import PARIS, FakeClock

# consumption only, both directions (self-consumption), production only
POINTS = ("22516914714270", "12655648759651", "24880057139941")
SERIES_PER_DIRECTION = {"consumption": 3, "production": 2}
FIRST_DAY = date(2026, 10, 1)


def run(quick: bool) -> Figure:
    runs = 5 if quick else 30
    clock = FakeClock(datetime(FIRST_DAY.year, FIRST_DAY.month, FIRST_DAY.day, 9, tzinfo=PARIS))
    simulator = Simulator(clock, client_id=CLIENT_ID)
    with (
        tempfile.TemporaryDirectory(prefix="linkyflux-bench-") as tmp,
        SimulatorServer(simulator) as server,
    ):

        def accept(code: DeviceCode) -> None:
            browser_consent(server.url, code.user_code, usage_points=POINTS)

        config = write_config(Path(tmp), server.url, 12)
        runtime = Runtime(clock=clock, on_device_code=accept)
        runner = CliRunner()
        marks = []  # (data calls, requests) before each run
        for n in range(runs + 1):
            args = ["auth"] if n == 0 else ["fetch", "-d", "1", "-q"]
            marks.append((len(simulator.data_calls()), len(simulator.requests)))
            result = runner.invoke(cli, ["--config", str(config), *args], obj=runtime)
            if result.exit_code != 0:
                raise RuntimeError(f"linkyflux {' '.join(args)}: {result.output.strip()}")
            clock.advance(86400 if n else 0)
        spans = [(query["start"], query["end"]) for _, query in simulator.data_calls()]
        paths = [path for _, path, _ in simulator.requests[marks[1][1] :]]
    calls, later = spans[marks[1][0] :], spans[marks[2][0] :]
    # the runs' other requests: token refreshes, contracts read again
    refreshes = paths.count("/device/token")
    contracts = len(paths) - len(calls) - refreshes
    series = sum(SERIES_PER_DIRECTION[d] for p in POINTS for d in METERS_BY_ID[p].directions)
    probes = sum(2 - len(METERS_BY_ID[p].directions) for p in POINTS)
    fewest = runs * series + probes
    # After the first run, every call asks for [today - 2, today): yesterday and the
    # correction day, no more, no less.
    lengths = {(date.fromisoformat(e) - date.fromisoformat(s)).days for s, e in later}
    corrected = lengths == {2} and len(later) == (runs - 1) * series
    ratio = len(calls) / fewest
    return Figure(
        "api economy",
        f"{runs} daily runs of fetch -d 1, {len(POINTS)} meters  calls {len(calls)}  "
        f"minimum {fewest} ({runs} runs x {series} series + {probes} direction probes)  "
        f"ratio {ratio:.2f}x; every call after the first run spans yesterday and the day "
        f"before (correction window): {'yes' if corrected else 'NO'}; besides, "
        f"{refreshes} token refreshes and {contracts} contract calls",
        ok=len(calls) == fewest and corrected,
        target="target: the minimum, correction window included",
    )
