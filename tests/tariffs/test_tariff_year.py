"""Issue #5's acceptance test: a year with two schedule changes and two price changes.

A year is backfilled with one schedule; then two dated schedules are added and
`backfill --reclassify` rewrites the history. In a real InfluxDB 1.x, the HC/HP energy and
cost of every calendar month (Europe/Paris) must equal a calculation made here from the
simulator's ground truth, without linkyflux's parser, classifier or price list; every
interval must have exactly one point, and each complete day's daily cost must equal the sum
of its curve costs.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.timeutil import PARIS

from simenv import World, world

METERS = ("22516914714270", "50000000000060")  # half-hourly; hourly
FIRST, END = date(2025, 11, 1), date(2026, 11, 1)

# (first day, off-peak ranges as (begin, end) minutes after local midnight)
SCHEDULES = [
    (date.min, [(22 * 60, 24 * 60), (0, 6 * 60)]),  # 22h00-6h00
    (date(2026, 3, 1), [(23 * 60 + 30, 24 * 60), (0, 7 * 60 + 30)]),  # 23h30-7h30
    (date(2026, 7, 15), [(2 * 60, 7 * 60), (14 * 60, 17 * 60)]),  # 2h00-7h00 14h00-17h00
]
# (first day, HC price, HP price) in €/kWh
PRICES = [
    (date(2025, 8, 1), 0.1615, 0.2146),
    (date(2026, 2, 1), 0.1635, 0.2181),
    (date(2026, 8, 1), 0.1702, 0.2233),
]


def _in_force(table: list, day: date) -> tuple:
    return [row for row in table if row[0] <= day][-1]


def independent_tariff(start: datetime) -> str:
    local = start.astimezone(PARIS)
    minute = local.hour * 60 + local.minute
    ranges = _in_force(SCHEDULES, local.date())[1]
    return "HC" if any(begin <= minute < end for begin, end in ranges) else "HP"


def month_of(day: date) -> str:
    return f"{day.year}-{day.month:02d}"


def truth(w: World) -> dict[tuple[str, str, str], tuple[float, float]]:
    """(meter, month, tariff) -> (energy Wh, cost €), from the simulator's intervals."""
    energy: dict[tuple[str, str, str], float] = defaultdict(float)
    cost: dict[tuple[str, str, str], float] = defaultdict(float)
    day = FIRST
    while day < END:
        _, hc, hp = _in_force(PRICES, day)
        for prm in METERS:
            for interval in w.simulator.truth_curve(prm, "consumption", day):
                tariff = independent_tariff(interval.start)
                key = (prm, month_of(day), tariff)
                energy[key] += interval.energy_wh
                cost[key] += interval.energy_wh / 1000 * (hc if tariff == "HC" else hp)
        day += timedelta(days=1)
    return {key: (energy[key], cost[key]) for key in energy}


def _config(w: World, influx1: object, schedules: bool) -> None:
    config = w.config(
        influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
        tariff={"offpeak": "22h00-6h00"},
    )
    extra = "".join(f"[[tariff.price]]\nfrom = {d}\nhc = {hc}\nhp = {hp}\n" for d, hc, hp in PRICES)
    if schedules:
        extra += (
            '[[tariff.schedule]]\nfrom = 2026-03-01\noffpeak = "23h30-7h30"\n'
            '[[tariff.schedule]]\nfrom = 2026-07-15\noffpeak = "2h00-7h00 14h00-17h00"\n'
        )
    config.write_text(config.read_text() + extra)


def _month_bounds(month: str) -> tuple[str, str]:
    year, number = map(int, month.split("-"))
    start = datetime(year, number, 1, tzinfo=PARIS)
    after = datetime(year + number // 12, number % 12 + 1, 1, tzinfo=PARIS)
    return (
        start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        after.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )


def test_a_year_of_hc_hp_energy_and_cost_matches_the_bill(influx1, tmp_path: Path) -> None:
    with world(tmp_path) as w:  # today: 2026-11-22
        w.consent = METERS
        _config(w, influx1, schedules=False)
        assert w.run("auth").exit_code == 0
        result = w.run("backfill", "--since", FIRST.isoformat(), "-q")
        assert result.exit_code == 0, result.output
        _config(w, influx1, schedules=True)
        result = w.run("backfill", "--reclassify", "-q")
        assert result.exit_code == 0, result.output
        expected = truth(w)

    months = sorted({month for _, month, _ in expected})
    assert len(months) == 12
    for prm in METERS:
        for month in months:
            start, stop = _month_bounds(month)
            where = f"usage_point_id = '{prm}' AND time >= '{start}' AND time < '{stop}'"
            series = influx1.query(
                "SELECT sum(energy_wh), sum(cost_eur), count(energy_wh) FROM linky_load_curve "
                f"WHERE {where} AND direction = 'consumption' GROUP BY tariff"
            )
            got = {s["tags"]["tariff"]: s["values"][0][1:] for s in series}
            for tariff in ("HC", "HP"):
                energy, cost = expected[(prm, month, tariff)]
                assert got[tariff][0] == pytest.approx(energy, abs=1e-6), (prm, month, tariff)
                assert round(got[tariff][1], 2) == round(cost, 2), (prm, month, tariff)
                assert abs(got[tariff][1] - cost) < 0.001, (prm, month, tariff)
            assert set(got) == {"HC", "HP"}
            # one point per interval: as many points as distinct timestamps
            distinct = influx1.query(
                f"SELECT count(energy_wh) FROM linky_load_curve WHERE {where} GROUP BY time(1h)"
            )
            counts = [v[1] for v in distinct[0]["values"] if v[1]]
            assert max(counts) == (2 if prm == METERS[0] else 1), (prm, month)

        # the daily cost of every complete day is the sum of its curve costs
        curve = influx1.query(
            "SELECT sum(cost_eur), count(cost_eur) FROM linky_load_curve WHERE "
            f"usage_point_id = '{prm}' AND time >= '2026-03-01T00:00:00Z' "
            "AND time < '2026-03-31T22:00:00Z' GROUP BY time(1d) tz('Europe/Paris')"
        )[0]["values"]
        daily = influx1.query(
            f"SELECT cost_eur FROM linky_daily WHERE usage_point_id = '{prm}' "
            "AND time >= '2026-03-01T00:00:00Z' AND time < '2026-03-31T22:00:00Z'"
        )[0]["values"]
        per_hour = 2 if prm == METERS[0] else 1
        full = {t: c for t, c, n in curve if n in (23 * per_hour, 24 * per_hour)}  # 29 March
        assert len(full) >= 25
        for stamp, day_cost in daily:
            if stamp in full:
                assert day_cost == pytest.approx(full[stamp], abs=1e-5), (prm, stamp)
