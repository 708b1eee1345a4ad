"""Issue #15's seasonal acceptance test: a year of weekly runs, in a real InfluxDB 1.x.

The meter's contract hours tag the days (no configured schedule) until Enedis moves them
mid-year; from 1 September a dated schedule with summer and winter hours applies. Every
calendar month's HC/HP energy and cost must equal a calculation made here from the
simulator's intervals and the hours in force each day, without linkyflux's code, with one
point per interval; then, following the advice `fetch` printed when the hours moved, a
`backfill --reclassify` keeps history's hours (the same figures again).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_tariff_year import _month_bounds, month_of

from linkyflux.timeutil import PARIS

from simenv import World, world

HOUSE = "22516914714270"  # half-hourly consumption, contract HC (22H00-6H00)
FIRST, END = date(2025, 12, 1), date(2026, 12, 1)
MOVED = date(2026, 5, 15)  # Enedis moves the contract's off-peak hours
SEASONAL = date(2026, 9, 1)  # from then, summer and winter hours (winter from 1 November)
HC_PRICE, HP_PRICE = 0.1635, 0.2181
SCHEDULE = (
    f'[[tariff.schedule]]\nfrom = {SEASONAL}\noffpeak = "hiver 1h-7h 12h-14h été 2h-6h 13h-16h"\n'
    f"[[tariff.price]]\nfrom = 2025-01-01\nhc = {HC_PRICE}\nhp = {HP_PRICE}\n"
)


def hours(ranges: str) -> list[tuple[int, int]]:
    """``"22-24 0-6"`` as minute ranges."""
    return [(int(a) * 60, int(b) * 60) for a, b in (r.split("-") for r in ranges.split())]


def off_peak(day: date, last_old: date) -> list[tuple[int, int]]:
    if day >= SEASONAL:
        winter = day.month in (11, 12, 1, 2, 3)
        return hours("1-7 12-14") if winter else hours("2-6 13-16")
    return hours("22-24 0-6") if day <= last_old else hours("1-7")


def truth(w: World, last_old: date) -> dict[tuple[str, str], tuple[float, float]]:
    energy: dict[tuple[str, str], float] = defaultdict(float)
    cost: dict[tuple[str, str], float] = defaultdict(float)
    day = FIRST
    while day < END:
        ranges = off_peak(day, last_old)
        for interval in w.simulator.truth_curve(HOUSE, "consumption", day):
            local = interval.start.astimezone(PARIS)
            minute = local.hour * 60 + local.minute
            tariff = "HC" if any(a <= minute < b for a, b in ranges) else "HP"
            energy[(month_of(day), tariff)] += interval.energy_wh
            price = HC_PRICE if tariff == "HC" else HP_PRICE
            cost[(month_of(day), tariff)] += interval.energy_wh / 1000 * price
        day += timedelta(days=1)
    return {key: (energy[key], cost[key]) for key in energy}


def check(influx1: Any, expected: dict[tuple[str, str], tuple[float, float]]) -> None:
    for month in sorted({m for m, _ in expected}):
        start, stop = _month_bounds(month)
        series = influx1.query(
            "SELECT sum(energy_wh), sum(cost_eur), count(energy_wh) FROM linky_load_curve "
            f"WHERE time >= '{start}' AND time < '{stop}' GROUP BY tariff"
        )
        got = {s["tags"]["tariff"]: s["values"][0][1:] for s in series}
        assert set(got) == {"HC", "HP"}, month
        for tariff in ("HC", "HP"):
            energy, cost = expected[(month, tariff)]
            assert got[tariff][0] == pytest.approx(energy, abs=1e-6), (month, tariff)
            assert round(got[tariff][1], 2) == round(cost, 2), (month, tariff)
    points = influx1.query(
        "SELECT count(energy_wh) FROM linky_load_curve "
        "WHERE time >= '2025-11-30T23:00:00Z' AND time < '2026-11-30T23:00:00Z'"
    )[0]["values"][0][1]
    assert points == (END - FIRST).days * 48  # (a 23-hour and a 25-hour day)


def test_a_year_of_moved_and_seasonal_hours_matches_the_bill(influx1: Any, tmp_path: Path) -> None:
    with world(tmp_path, today=FIRST + timedelta(days=1)) as w:
        w.consent = (HOUSE,)
        influx = {"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""}
        config = w.config(influxdb=influx)  # no schedule: the contract's hours
        config.write_text(config.read_text() + SCHEDULE)
        assert w.run("auth").exit_code == 0
        advice = ""
        while w.clock.now().astimezone(PARIS).date() <= END:
            if w.clock.now().astimezone(PARIS).date() >= MOVED:
                w.simulator.change_contract(HOUSE, offpeak="HC (1H00-7H00)")
            result = w.run("fetch", "-d", "7", "-q")
            assert result.exit_code == 0, result.output
            if "the contract changed" in result.output:
                advice = result.output
            w.clock.advance(7 * 86400)
        assert 'offpeak = "22:00-06:00"' in advice, advice
        last_old = date.fromisoformat(advice.split("for the days up to ")[1][:10])
        assert MOVED <= last_old < MOVED + timedelta(days=37)  # read again within a month
        expected = truth(w, last_old)
        check(influx1, expected)

        # the advice: the old hours pinned in [tariff], the contract's from the day after
        config = w.config(influxdb=influx, tariff={"offpeak": "22:00-06:00"})
        pinned = advice.split("add:\n", 1)[1]
        config.write_text(config.read_text() + pinned + SCHEDULE)
        result = w.run("backfill", "--reclassify", "-q")
        assert result.exit_code == 0, result.output
        check(influx1, expected)
