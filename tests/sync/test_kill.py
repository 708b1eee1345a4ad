"""A backfill killed (SIGKILL) at random instants, then finished: the database equals the truth.

Separate processes on the real clock: the simulator (no rate limit worth the name) and
`linkyflux backfill` writing to a real InfluxDB 1.x. Both read the machine's clock, whatever
its date: "today" is the simulator's at the end of the test (a run crossing midnight must
still end with everything Enedis has then).
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from dateutil.relativedelta import relativedelta

from linkyflux.simulator.proxy import browser_consent
from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import PARIS, FakeClock, paris_day_bounds

HOUSE = "22516914714270"
RECENT = "11453290002823"  # activated on 2026-11-10
pytestmark = pytest.mark.realclock


def cli(config: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "linkyflux", "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def data_calls(url: str) -> int:
    return int(httpx.get(f"{url}/_sim/stats").json()["data_calls"])


@pytest.fixture
def simulator_url() -> str:
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "linkyflux.simulator", "--port", "0", "--client-id", "kill"),
            *("--requests-per-minute", "100000"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    yield process.stdout.readline().split()[3]
    process.terminate()
    process.wait(timeout=10)


def test_backfill_killed_at_random_then_resumed(
    influx1, simulator_url: str, tmp_path: Path
) -> None:
    state = tmp_path / "state"
    config = tmp_path / "config.toml"
    config.write_text(
        f'[consent]\nurl = "{simulator_url}"\nclient_id = "kill"\nrequests_per_minute = 6000\n'
        f'[influxdb]\napi = "v1"\nurl = "{influx1.url}"\ndatabase = "{influx1.db}"\n'
        f'[state]\ndir = "{state}"\n'
    )
    auth = cli(config, "auth")
    assert auth.stdout is not None
    auth.stdout.readline()
    code = auth.stdout.readline().split()[4]
    browser_consent(simulator_url, code, usage_points=(HOUSE, RECENT))
    assert auth.wait(timeout=60) == 0

    # A full backfill of these two meters takes about 130 calls: kill it four times, each
    # after a random number of calls (the 10 ms polling adds a random instant within a call).
    rng = random.Random(20261122)
    targets = sorted(rng.sample(range(10, 120), 4))
    killed = 0
    for n, target in enumerate(targets):
        run = cli(config, "backfill")
        while data_calls(simulator_url) < target and run.poll() is None:
            time.sleep(0.01)
        if n == 0:  # a cron run while the backfill goes on: it stops at once
            overlap = cli(config, "fetch", "-q")
            out, _ = overlap.communicate(timeout=30)
            assert overlap.returncode == 9, out
            assert f"another linkyflux run (pid {run.pid}) is using {state}" in out
        run.send_signal(signal.SIGKILL)
        run.communicate(timeout=10)
        killed += run.returncode == -signal.SIGKILL
        status = cli(config, "status", "--json")
        out, _ = status.communicate(timeout=30)
        assert status.returncode == 0, out
        assert json.loads(out)["consent"]["usage_points"] == [HOUSE, RECENT]

    assert killed == 4, "every backfill must have been killed mid-way"
    before = _simulator_now(simulator_url)
    final = cli(config, "backfill")
    out, _ = final.communicate(timeout=300)
    assert final.returncode == 0, out

    now = _simulator_now(simulator_url)
    truth = Simulator(FakeClock(now))
    # On the real clock, Paris' midnight may pass during the final backfill: compare the days
    # both its first and its last request could ask for (Enedis' horizon moves with the day),
    # up to the first day not published when it began (a day is published the next morning).
    today = _first_unpublished(before)
    first_curve_day = truth.today() - relativedelta(months=24, days=15)  # Enedis' horizon
    first_daily_day = truth.today() - relativedelta(months=36, days=15)
    lo = int(paris_day_bounds(first_curve_day)[0].timestamp())
    hi = int(paris_day_bounds(today)[0].timestamp())
    for prm in (HOUSE, RECENT):
        series = influx1.query(
            "SELECT COUNT(energy_wh), SUM(energy_wh) FROM linky_load_curve "
            f"WHERE usage_point_id='{prm}' AND time >= {lo}s AND time < {hi}s "
            "GROUP BY time(1d) tz('Europe/Paris')"
        )
        got = {
            datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date(): (count, total)
            for ts, count, total in series[0]["values"]
            if count
        }
        expected = {}
        day = first_curve_day
        while day < today:
            curve = truth.truth_curve(prm, "consumption", day)
            if curve:
                expected[day] = (len(curve), pytest.approx(sum(i.energy_wh for i in curve)))
            day += timedelta(days=1)
        assert got == expected, prm
    lo = int(paris_day_bounds(first_daily_day)[0].timestamp())
    daily = influx1.query(
        "SELECT COUNT(energy_wh) FROM linky_daily "
        f"WHERE usage_point_id='{HOUSE}' AND time >= {lo}s AND time < {hi}s"
    )
    assert daily[0]["values"][0][1] == (today - first_daily_day).days
    spool = state / "spool"
    assert not spool.exists() or list(spool.iterdir()) == []


def _simulator_now(url: str) -> datetime:
    return datetime.fromisoformat(httpx.get(f"{url}/_sim/now").json()["now"])


def _first_unpublished(now: datetime) -> date:
    """The first day whose data the simulator does not publish yet at ``now``: day D is
    published on D+1 from its publication hour (8 o'clock, Europe/Paris)."""
    local = now.astimezone(PARIS)
    return (
        local.date()
        if local.hour >= Simulator(FakeClock(now)).publication_hour
        else (local.date() - timedelta(days=1))
    )
