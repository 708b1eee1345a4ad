"""A simulated year of daily cron runs with random upstream and InfluxDB faults.

One `linkyflux fetch -q` every morning at 09:17 for 365 days (a fake clock: seconds, not a
year), against the simulator and a private InfluxDB 1.x that the test stops and restarts.
On random days the gateway fails (500 streaks, 503, truncated JSON, 429 quotas, timeouts)
or InfluxDB is down. At the end the database must equal the simulator's ground truth, day
by day, with no gap and no duplicate.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.timeutil import PARIS, paris_day_bounds

from private_influx import PrivateInflux, running
from simenv import World, world

HOUSE = "22516914714270"
GAPS = "42900589957123"
FIRST = date(2025, 11, 22)


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[PrivateInflux]:
    with running(tmp_path) as server:
        yield server


def stop_on_call(n: int, influx: PrivateInflux) -> Callable[[str], None]:
    """A simulator hook that stops InfluxDB when the n-th data call of a run arrives."""
    seen = 0

    def hook(path: str) -> None:
        nonlocal seen
        seen += 1
        if seen == n:
            influx.stop()

    return hook


def test_a_year_of_cron_runs_with_faults(influx: PrivateInflux, tmp_path: Path) -> None:
    rng = random.Random(365)
    with world(tmp_path, today=FIRST, hour=9) as w:
        w.consent = (HOUSE, GAPS)
        w.clock.advance(17 * 60)
        w.config(
            consent={"timeout": 0.3},
            influxdb={"api": "v1", "url": influx.url, "database": "linky", "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        assert w.run("auth").exit_code == 0
        codes: Counter[int] = Counter()
        influx_down = 0
        for _ in range(365):
            roll = rng.random()
            if roll < 0.04:
                w.simulator.inject("technical_error", count=rng.randint(1, 12))
            elif roll < 0.06:
                w.simulator.inject("unavailable", count=rng.randint(1, 4))
            elif roll < 0.08:
                w.simulator.inject("malformed", count=rng.randint(1, 5))
            elif roll < 0.10:
                w.simulator.inject("quota")
            elif roll < 0.11:
                w.simulator.inject("timeout", delay=0.5)
            elif roll < 0.13 and not influx_down:
                influx.stop()
                influx_down = rng.randint(1, 4)  # days
            elif roll < 0.15 and not influx_down:
                w.simulator.on_data_call = stop_on_call(2, influx)  # down in mid-run
                influx_down = 1
            codes[w.run("fetch", "-q").exit_code] += 1
            w.simulator.on_data_call = None
            w.simulator._faults.clear()
            if influx_down:
                influx_down -= 1
                if not influx_down:
                    influx.start()
            w.clock.advance(86400)
        if influx.process is None:
            influx.start()
        assert w.run("fetch", "-q").exit_code == 0
        # Faults did happen, and every run that hit one said so with its exit code.
        assert codes[0] > 250 and codes[5] > 5 and codes[7] > 5, codes
        assert set(codes) <= {0, 5, 6, 7}, codes
        assert_equal_to_truth(w, influx)
        # API economy: one call per series and day (both meters consume only, and each was
        # once asked for production), plus one call per failed answer, at most.
        minimum = 2 * (366 * 3 + 1)
        calls = len(w.simulator.data_calls())
        # (a run that stopped early leaves its days to the next one's calls: fewer calls)
        assert minimum - 2 * 3 * codes[5] <= calls <= minimum + w.simulator.faults_served


def assert_equal_to_truth(w: World, influx: PrivateInflux) -> None:
    lo = int(paris_day_bounds(FIRST - timedelta(days=1))[0].timestamp())
    hi = int(paris_day_bounds(FIRST + timedelta(days=365))[0].timestamp())
    last_day = FIRST + timedelta(days=364)
    for prm in (HOUSE, GAPS):
        series = influx.query(
            "SELECT COUNT(energy_wh), SUM(energy_wh) FROM linky_load_curve "
            f"WHERE usage_point_id='{prm}' AND time >= {lo}s AND time < {hi}s "
            "GROUP BY time(1d) tz('Europe/Paris')"
        )
        got = {
            datetime.fromtimestamp(int(ts), UTC).astimezone(PARIS).date(): (count, total)
            for ts, count, total in series[0]["values"]  # type: ignore[misc]
            if count
        }
        expected = {}
        day = FIRST - timedelta(days=1)
        while day <= last_day:
            curve = w.simulator.truth_curve(prm, "consumption", day)
            expected[day] = (len(curve), pytest.approx(sum(i.energy_wh for i in curve)))
            day += timedelta(days=1)
        assert got == expected, prm
        daily = influx.query(
            f"SELECT energy_wh FROM linky_daily WHERE usage_point_id='{prm}' "
            f"AND time >= {lo}s AND time < {hi}s"
        )
        values = daily[0]["values"]  # type: ignore[index]
        assert [v[1] for v in values] == [  # type: ignore[index]
            w.simulator.truth_daily(prm, "consumption", FIRST + timedelta(days=n - 1))
            for n in range(366)
        ]
