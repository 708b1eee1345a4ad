"""The sync engine through the CLI: catch-up, backfill, status, the lock, the spool."""

from __future__ import annotations

import fcntl
import io
import json
import os
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.sync.planning import days_to_fetch
from linkyflux.sync.state import SeriesState
from linkyflux.timeutil import PARIS

from simenv import World, world

HOUSE = "22516914714270"
GAPS = "42900589957123"


def curve_days(w: World, prm: str = HOUSE) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for line in w.output_lines():
        if line.startswith("linky_load_curve,") and f"usage_point_id={prm}" in line:
            ts = int(line.rsplit(" ", 1)[1])
            counts[datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date().isoformat()] += 1
    return dict(counts)


@pytest.fixture
def w(tmp_path: Path) -> World:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        yield w


def test_plan_days() -> None:
    state = SeriesState()
    today = date(2026, 11, 22)
    for n in range(10, 20):
        state.mark(date(2026, 11, n), "complete")
    state.mark(date(2026, 11, 14), "unavailable")
    state.days.pop(date(2026, 11, 12))
    days = days_to_fetch(
        state, date(2026, 11, 21), today, today=today, lower=date(2024, 1, 1), catch_up=True
    )
    # the missing 12th, the never-fetched 20th and 21st; the 19th is complete but too old
    assert days == [date(2026, 11, 12), date(2026, 11, 20), date(2026, 11, 21)]
    assert days_to_fetch(
        state, date(2026, 11, 21), today, today=today, lower=date(2024, 1, 1), catch_up=False
    ) == [date(2026, 11, 21)]
    assert days_to_fetch(
        state, date(2026, 11, 21), today, today=today, lower=date(2026, 11, 13), catch_up=True
    ) == [
        date(2026, 11, 20),
        date(2026, 11, 21),
    ]


def test_a_week_of_failed_runs_heals_on_the_next_good_one(w: World) -> None:
    assert w.run("fetch", "-q").exit_code == 0  # 2026-11-21
    w.simulator.inject("technical_error", count=10**6)
    for _ in range(7):
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 5
    w.simulator._faults.clear()
    before = len(w.simulator.data_calls())
    w.clock.advance(86400)  # 2026-11-30 09:00
    result = w.run("fetch", "-q")
    assert result.exit_code == 0, result.output
    days = curve_days(w)
    assert sorted(days) == [f"2026-11-{d:02d}" for d in range(21, 30)]
    assert set(days.values()) == {48}
    # the eight days missed, in as few calls as the API allows (7-day curve windows)
    calls = w.simulator.data_calls()[before:]
    assert [(p.rsplit("/", 1)[-1], q["start"], q["end"]) for p, q in calls] == [
        ("consumption_load_curve", "2026-11-22", "2026-11-29"),
        ("consumption_load_curve", "2026-11-29", "2026-11-30"),
        ("daily_consumption", "2026-11-22", "2026-11-30"),
        ("daily_consumption_max_power", "2026-11-22", "2026-11-30"),
    ]


def test_a_day_missing_48_hours_after_it_ended_is_an_error(w: World) -> None:
    assert w.run("fetch", "-q").exit_code == 0  # 2026-11-21 arrives as usual
    w.simulator.publication_hour = 24 * 3  # then Enedis is three days late
    for hours_after_the_22nd in (9, 33):
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0, hours_after_the_22nd  # not an error yet
    w.clock.advance(86400)
    result = w.run("fetch", "-q")  # 57 hours after the end of the 22nd
    assert result.exit_code == 8
    tail = "still missing 48 hours after the end of the day (see `linkyflux status`)"
    assert result.output.splitlines() == [
        f"linkyflux: {HOUSE} consumption daily energy: 2026-11-22 {tail}",
        f"linkyflux: {HOUSE} consumption daily max power: 2026-11-22 {tail}",
        f"linkyflux: {HOUSE} consumption load curve: 2026-11-22 {tail}",
    ]
    w.simulator.publication_hour = 8
    w.clock.advance(3600)
    assert w.run("fetch", "-q").exit_code == 0
    assert curve_days(w) == {f"2026-11-{d}": 48 for d in range(21, 25)}


def test_backfill_stops_at_the_horizons_and_resumes(w: World) -> None:
    result = w.run("backfill", "--since", "2026-01-01")
    assert result.exit_code == 0, result.output
    days = curve_days(w)
    assert min(days) == "2026-01-01" and max(days) == "2026-11-21"
    assert len(days) == 325
    # again: nothing to do but the correction window
    before = len(w.simulator.data_calls())
    assert w.run("backfill", "--since", "2026-01-01").exit_code == 0
    assert len(w.simulator.data_calls()) - before == 3


def test_full_backfill_respects_the_history_horizons(w: World) -> None:
    result = w.run("backfill")
    assert result.exit_code == 0, result.output
    starts = {}
    for path, query in w.simulator.data_calls():
        name = path.rsplit("/", 1)[-1]
        starts[name] = min(starts.get(name, "9999"), query["start"])
    # today 2026-11-22: 24 months + 15 days of curve, 36 months + 15 days of daily values
    assert starts == {
        "consumption_load_curve": "2024-11-07",
        "daily_consumption": "2023-11-07",
        "daily_consumption_max_power": "2023-11-07",
        "production_load_curve": "2024-11-07",
    }
    assert len(curve_days(w)) == (date(2026, 11, 22) - date(2024, 11, 7)).days
    # within the proxy's 12 requests a minute, so it never had to say slow_down: 107 curve
    # windows, 4 daily, 4 max power, 1 production probe (and the contract, read at auth)
    sim = w.simulator
    times = [
        t for (_, p, _), t in zip(sim.requests, sim.request_times, strict=True) if "/data/" in p
    ]
    assert len(sim.data_calls()) == 107 + 4 + 4 + 1
    assert max(sum(1 for u in times if t <= u < t + timedelta(seconds=60)) for t in times) == 12


def test_status(w: World) -> None:
    w.consent = (HOUSE, GAPS)
    assert w.run("auth").exit_code == 0
    assert w.run("fetch", "-d", "7", "-q").exit_code == 0
    result = w.run("status", "--json")
    assert result.exit_code == 0
    status = json.loads(result.output)
    assert status["consent"]["usage_points"] == [HOUSE, GAPS]
    assert status["spool"] == {"files": 0, "lines": 0}
    assert status["usage_points"][GAPS]["series"]["consumption/curve"] == {
        "available_from": "2024-11-07",
        "first_day": "2026-11-15",
        "last_complete": "2026-11-21",
        "missing": [],
        "partial": ["2026-11-17..2026-11-18"],
        "unavailable": [],
    }
    assert status["usage_points"][HOUSE]["directions"] == {"consumption": True, "production": False}
    text = w.run("status").output
    assert f"\n{GAPS}: measures consumption; no production" in text
    assert (
        "  consumption/curve      from 2024-11-07  last complete 2026-11-21  "
        "partial: 2026-11-17..2026-11-18"
    ) in text.splitlines()


def test_overlapping_run_exits_at_once(w: World) -> None:
    fd = os.open(w.state_dir / "lock", os.O_RDWR | os.O_CREAT)
    os.pwrite(fd, b"4242\n", 0)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        result = w.run("fetch", "-q")
    finally:
        os.close(fd)
    assert result.exit_code == 9
    assert result.output == (
        f"linkyflux: another linkyflux run (pid 4242) is using {w.state_dir}: this one stops; "
        "the next cron run will catch up\n"
    )
    assert w.simulator.data_calls() == []
    assert w.run("fetch", "-q").exit_code == 0


def test_jitter_waits_a_random_time_first(w: World) -> None:
    before = len(w.clock.slept)
    assert w.run("fetch", "-q", "--jitter", "600").exit_code == 0
    assert 0 <= w.clock.slept[before] <= 600
    assert len(w.clock.slept) == before + 1


def test_thirty_daily_runs_make_the_minimum_calls(w: World) -> None:
    for _ in range(30):
        assert w.run("fetch", "-q").exit_code == 0
        w.clock.advance(86400)
    calls = [(p.rsplit("/", 1)[-1], q["start"], q["end"]) for p, q in w.simulator.data_calls()]
    # one call per series and run, the first run also learning that the meter does not produce
    assert len(calls) == 30 * 3 + 1
    assert calls[3] == ("production_load_curve", "2026-11-21", "2026-11-22")
    # every later run asks for yesterday and the day before (the correction window) at once
    assert calls[4:7] == [
        ("consumption_load_curve", "2026-11-21", "2026-11-23"),
        ("daily_consumption", "2026-11-21", "2026-11-23"),
        ("daily_consumption_max_power", "2026-11-21", "2026-11-23"),
    ]
    assert len(curve_days(w)) == 30


def test_progress_bar_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    from linkyflux.cli import _progress_bar

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, shown in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr("sys.stderr", stream)
        tick = _progress_bar(3)
        for _ in range(3):
            tick()
        assert ("Fetching" in stream.getvalue() and "100%" in stream.getvalue()) is shown
        assert (stream.getvalue() == "") is not shown


def test_auth_reads_the_contracts_and_status_shows_them(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE, "50000000000010", "24880057139941")
        w.config()
        result = w.run("auth")
        assert result.output.splitlines()[-3:] == [
            f"{HOUSE}: 9 kVA, BTINFMUDT (HP/HC), off-peak HC (22H00-6H00), SERVC, "
            "active since 2015-03-02",
            "50000000000010: 6 kVA, BTINFCUST (single rate), SERVC, active since 2015-03-02",
            "24880057139941: no contract data (a production-only point, or a gateway without "
            "contracts)",
        ]
        text = w.run("status").output
        assert (
            "  contract: 9 kVA, BTINFMUDT (HP/HC), off-peak HC (22H00-6H00), SERVC, active since "
            "2015-03-02 (read 2026-11-22)"
        ) in text.splitlines()
