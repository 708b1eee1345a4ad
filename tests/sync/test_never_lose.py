"""A day Enedis has is never given up: midnight, skewed clocks, hiccups, deletes, outages.

Each test drives the CLI against the simulator (with the fault it needs) and checks the
written points and `status` against what Enedis still has at the end.
"""

from __future__ import annotations

import json
import signal
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from dateutil.relativedelta import relativedelta

from linkyflux.timeutil import PARIS, paris_today

from simenv import World, consented, world

HOUSE = "22516914714270"
NOV22 = date(2026, 11, 22)


def points(w: World) -> dict[str, str]:
    """The points written to the output file, by key (measurement, tags, time): a point
    written twice is one point, as in InfluxDB."""
    out = {}
    for line in w.output_lines():
        head, fields, stamp = line.rsplit(" ", 2)
        out[f"{head} {stamp}"] = fields
    return out


def days_of(w: World, measurement: str) -> Counter[date]:
    counts: Counter[date] = Counter()
    for key in points(w):
        if key.startswith(measurement + ","):
            stamp = int(key.rsplit(" ", 1)[1])
            counts[datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date()] += 1
    return counts


def series_status(w: World, key: str, prm: str = HOUSE) -> dict[str, object]:
    result = w.run("status", "--json")
    assert result.exit_code == 0, result.output
    series: dict[str, object] = json.loads(result.output)["usage_points"][prm]["series"][key]
    return series


def span(first: date, end: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((end - first).days)}


def assert_has_what_enedis_has(w: World) -> None:
    """Every day Enedis serves now, and that was published, is in the output: 48 half-hours
    (46/50 on DST days), one daily energy, one max power."""
    today = w.simulator.today()
    yesterday_published = w.simulator._published(today - timedelta(days=1))
    end = today if yesterday_published else today - timedelta(days=1)
    curve = days_of(w, "linky_load_curve")
    assert span(today - relativedelta(months=24, days=15), end) <= set(curve)
    assert all(curve[d] in (46, 48, 50) for d in curve)
    daily_from = today - relativedelta(months=36, days=15)
    assert set(days_of(w, "linky_daily")) >= span(daily_from, end)
    assert set(days_of(w, "linky_max_power")) >= span(daily_from, end)
    for key in ("consumption/curve", "consumption/daily", "consumption/max_power"):
        assert series_status(w, key)["unavailable"] == [], key


@pytest.mark.parametrize(
    ("hour_minute", "skew"),
    [
        ((23, 55), timedelta(0)),  # the run crosses Paris midnight
        ((23, 57), timedelta(minutes=5)),  # Enedis' clock is ahead: its day changed first
        ((0, 2), timedelta(minutes=-5)),  # Enedis' clock is behind: its day is still ours - 1
    ],
    ids=["past-midnight", "enedis-ahead", "enedis-behind"],
)
def test_a_backfill_around_midnight_ends_with_every_day(
    tmp_path: Path, hour_minute: tuple[int, int], skew: timedelta
) -> None:
    hour, minute = hour_minute
    today = NOV22 if hour == 23 else NOV22 + timedelta(days=1)
    with consented(tmp_path, HOUSE, today=today, hour=hour, skew=skew) as w:
        w.clock.advance(minute * 60)
        result = w.run("backfill", "-q")
        assert result.exit_code == 0, result.output
        assert paris_today(w.clock) == NOV22 + timedelta(days=1)
        assert_has_what_enedis_has(w)
        written = points(w)
        again = w.run("backfill", "-q")
        assert again.exit_code == 0, again.output
        assert points(w) == written  # a second backfill changes nothing


def test_a_transient_no_data_on_an_old_window_is_asked_again(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        # the first daily window (365 days, 3 years back) says "no data" once
        w.simulator.inject("no_data", path_contains="daily_consumption")
        result = w.run("backfill", "-q")
        assert result.exit_code == 8, result.output  # days missing 48 h after they ended
        assert "consumption daily energy: 365 days from 2023-11-07 to 2024-11-05" in result.output
        daily = series_status(w, "consumption/daily")
        assert daily["unavailable"] == []
        assert daily["missing"] == ["2023-11-07..2024-11-05"]
        w.clock.advance(24 * 3600)  # the next morning's cron run catches them up
        result = w.run("fetch", "-q")
        assert result.exit_code == 0, result.output
        assert_has_what_enedis_has(w)


def test_an_old_window_empty_on_two_days_is_given_up(tmp_path: Path) -> None:
    """Unavailable is a verdict Enedis gave twice, on two different days."""
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-d", "10", "-q").exit_code == 0
        w.simulator.inject("no_data", path_contains="daily_consumption")
        assert w.run("backfill", "--since", "2026-10-01", "-q").exit_code == 8
        assert series_status(w, "consumption/daily")["unavailable"] == []
        w.clock.advance(24 * 3600)
        w.simulator.inject("no_data", path_contains="daily_consumption")
        assert w.run("backfill", "--since", "2026-10-01", "-q").exit_code == 8
        daily = series_status(w, "consumption/daily")
        assert daily["unavailable"] == ["2026-10-01..2026-11-11"]


def test_a_5xx_streak_ends_the_run_quickly_and_the_next_run_catches_up(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        w.simulator.inject("technical_error", count=1000)
        calls, started = len(w.simulator.data_calls()), w.clock.now()
        result = w.run("fetch", "-q")
        assert result.exit_code == 5, result.output
        assert w.clock.now() - started < timedelta(minutes=3)
        assert len(w.simulator.data_calls()) - calls == 4  # one call and its 3 retries
        assert result.output.splitlines()[-1] == (
            "linkyflux: the consent proxy: mesure_synchrone_auto/v2/courbe_de_charge_"
            "consommation for 22516914714270 [2026-11-21, 2026-11-22): 500 technical_error: "
            "Technical error. Please try later. (4 tries): the gateway or Enedis is down; "
            "nothing more was asked this run, the next run catches up"
        )
        w.simulator._faults.clear()
        w.clock.advance(24 * 3600)
        assert w.run("fetch", "-q").exit_code == 0
        assert set(days_of(w, "linky_load_curve")) == {date(2026, 11, 21), date(2026, 11, 22)}
        assert set(days_of(w, "linky_daily")) == {date(2026, 11, 21), date(2026, 11, 22)}


def test_a_first_run_killed_is_caught_up_by_the_next_one(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE, shared=True) as w:
        runs = []
        w.kill_on_data_call(1, lambda: runs[0])
        runs.append(w.spawn("fetch", "-d", "3", "-q"))
        runs[0].communicate(timeout=60)
        assert runs[0].returncode == -signal.SIGKILL
        w.simulator.on_data_call = None
        w.clock.advance(24 * 3600)
        result = w.run("fetch", "-q")  # -d 1: yesterday, and what the killed run asked
        assert result.exit_code == 0, result.output
        assert set(days_of(w, "linky_load_curve")) == span(date(2026, 11, 19), date(2026, 11, 23))


def test_reclassified_days_that_come_back_empty_stay_missing(influx1, tmp_path: Path) -> None:
    """`backfill --reclassify` deleted the points: an empty answer is no reason to call
    those days complete."""
    with world(tmp_path, today=date(2026, 11, 22)) as w:
        w.consent = (HOUSE,)
        influx = {"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""}
        w.config(tariff={"offpeak": "22h00-6h00"}, influxdb=influx)
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "10", "-q").exit_code == 0  # the 12th to the 21st
        w.config(tariff={"offpeak": "2h00-7h00"}, influxdb=influx)
        w.clock.advance(4 * 86400)
        w.simulator.inject("no_data", path_contains="load_curve")
        result = w.run("backfill", "--reclassify", "-q")
        assert result.exit_code == 8, result.output
        curve = series_status(w, "consumption/curve")
        assert curve["missing"] == ["2026-11-12..2026-11-18"]
        result = w.run("fetch", "-q")  # the same morning: the next run fills them
        assert result.exit_code == 0, result.output
        rows = influx1.query(
            "SELECT COUNT(energy_wh) FROM linky_load_curve WHERE time >= '2026-11-11T23:00:00Z' "
            "AND time < '2026-11-25T23:00:00Z' GROUP BY time(1d) tz('Europe/Paris')"
        )[0]["values"]
        assert [count for _, count in rows] == [48] * 14  # the 12th to the 25th
        assert series_status(w, "consumption/curve")["missing"] == []


def production_calls(w: World) -> int:
    return sum("production" in path for path, _ in w.simulator.data_calls())


def contract_calls(w: World) -> int:
    return sum(
        "customers_upc" in path or "contrat" in path or "comptage" in path
        for _, path, _ in w.simulator.requests
    )


def test_a_refused_direction_is_asked_again_a_month_later(tmp_path: Path) -> None:
    """A home that adds solar panels on the same meter gets its production."""
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-q").exit_code == 0  # production: ADAM-ERR0069, remembered
        asked = production_calls(w)
        assert asked == 1
        w.simulator.change_contract(HOUSE, directions=("consumption", "production"))
        for _ in range(29):
            w.clock.advance(86400)
            assert w.run("fetch", "-q").exit_code == 0
        assert production_calls(w) == asked  # not asked for a month
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0
        assert production_calls(w) > asked
        day = paris_today(w.clock) - timedelta(days=1)
        produced = [k for k in points(w) if k.startswith("linky_daily,direction=production")]
        assert len(produced) == 1  # yesterday
        assert json.loads(w.run("status", "--json").output)["usage_points"][HOUSE][
            "directions"
        ] == {"consumption": True, "production": True}
        assert days_of(w, "linky_load_curve")[day] == 2 * 48  # both directions


def test_a_contract_the_gateway_does_not_serve_is_asked_once_a_month(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE, serves_contracts=False) as w:
        assert contract_calls(w) == 2  # the 2026 API, then v5: neither is served
        for _ in range(29):
            w.clock.advance(86400)
            result = w.run("fetch", "-q")
            assert result.exit_code == 0, result.output
            assert result.output == ""
        assert contract_calls(w) == 2
        w.clock.advance(86400)
        result = w.run("fetch", "-q")
        assert contract_calls(w) == 4
        assert result.output.startswith(
            f"linkyflux: warning: {HOUSE}: the contract could not be read again (the gateway "
            f"serves no contract API for {HOUSE}"
        )
