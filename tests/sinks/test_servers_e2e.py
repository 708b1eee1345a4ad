"""`auth` + `fetch -d 7` through the CLI into real servers, compared with ground truth.

InfluxDB 1.x (Debian's 1.6) through the v1 sink (``POST /write``), VictoriaMetrics through
the v2 sink (influxdb-client). Energy per local day and per tariff must equal the
simulator's, computed here independently of linkyflux's classifier.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import PARIS, paris_day_bounds

from simenv import World, world

OFFPEAK = "22h00-6h00"
HOUSE = "22516914714270"


def independent_tariff(start: datetime) -> str:
    local = start.astimezone(PARIS)
    return "HC" if local.hour >= 22 or local.hour < 6 else "HP"


def truth_by_day_and_tariff(
    simulator: Simulator, days: list[date]
) -> dict[tuple[str, str, date, str], float]:
    out: dict[tuple[str, str, date, str], float] = defaultdict(float)
    for usage_point_id in simulator.consent:
        for direction in ("consumption", "production"):
            for day in days:
                for interval in simulator.truth_curve(usage_point_id, direction, day):
                    key = (usage_point_id, direction, day, independent_tariff(interval.start))
                    out[key] += interval.energy_wh
    return out


def seconds(instant: datetime) -> int:
    return int(instant.timestamp())


@pytest.fixture
def week_to_oct_26(tmp_path: Path) -> World:
    with world(tmp_path, today=date(2026, 10, 27)) as w:
        yield w


def test_influxdb_1x_equals_ground_truth(influx1, week_to_oct_26: World) -> None:
    w = week_to_oct_26
    w.config(
        influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
        tariff={"offpeak": OFFPEAK},
    )
    assert w.run("auth").exit_code == 0
    result = w.run("fetch", "-d", "7")
    assert result.exit_code == 0, result.output
    assert f"into InfluxDB 1.x at {influx1.url}, database '{influx1.db}'" in result.output

    days = [date(2026, 10, 20) + timedelta(n) for n in range(7)]
    lo, hi = seconds(paris_day_bounds(days[0])[0]), seconds(paris_day_bounds(days[-1])[1])
    series = influx1.query(
        "SELECT SUM(energy_wh), COUNT(energy_wh) FROM linky_load_curve "
        f"WHERE time >= {lo}s AND time < {hi}s "
        "GROUP BY time(1d), usage_point_id, direction, tariff tz('Europe/Paris')"
    )
    got: dict[tuple[str, str, date, str], float] = {}
    for s in series:
        for ts, total, _count in s["values"]:
            if total is not None:
                day = datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date()
                tags = s["tags"]
                got[(tags["usage_point_id"], tags["direction"], day, tags["tariff"])] = total
    truth = truth_by_day_and_tariff(w.simulator, days)
    assert got.keys() <= truth.keys()
    for key, energy in truth.items():
        assert got.get(key, 0.0) == pytest.approx(energy, abs=1e-6), key

    # The 25-hour day: 50 half-hours, first at local midnight (CEST), last at 23:30 (CET).
    start, end = paris_day_bounds(date(2026, 10, 25))
    where = f"usage_point_id='{HOUSE}' AND time >= {seconds(start)}s AND time < {seconds(end)}s"
    first = influx1.query(
        f"SELECT energy_wh FROM linky_load_curve WHERE {where} ORDER BY time ASC LIMIT 1"
    )
    last = influx1.query(
        f"SELECT energy_wh FROM linky_load_curve WHERE {where} ORDER BY time DESC LIMIT 1"
    )
    count = influx1.query(f"SELECT COUNT(energy_wh) FROM linky_load_curve WHERE {where}")
    assert first[0]["values"][0][0] == seconds(datetime(2026, 10, 25, tzinfo=PARIS))
    assert last[0]["values"][0][0] == seconds(datetime(2026, 10, 25, 23, 30, tzinfo=PARIS))
    assert count[0]["values"][0][1] == 50

    daily = influx1.query(
        f"SELECT energy_wh FROM linky_daily WHERE usage_point_id='{HOUSE}' "
        f"AND time >= {lo}s AND time < {hi}s"
    )
    assert daily[0]["values"] == [
        [seconds(paris_day_bounds(d)[0]), w.simulator.truth_daily(HOUSE, "consumption", d)]
        for d in days
    ]
    peaks = influx1.query(
        f"SELECT power_va FROM linky_max_power WHERE usage_point_id='{HOUSE}' AND time >= {lo}s"
    )
    assert [v[1] for v in peaks[0]["values"]] == [
        w.simulator.truth_max_power(HOUSE, d) for d in days
    ]

    # Re-running rewrites the same points: no duplicates.
    assert w.run("fetch", "-d", "7", "-q").exit_code == 0
    again = influx1.query(
        f"SELECT COUNT(energy_wh) FROM linky_load_curve WHERE time >= {lo}s AND time < {hi}s"
    )
    points = sum(
        len(w.simulator.truth_curve(p, d_, day))
        for p in w.simulator.consent
        for d_ in ("consumption", "production")
        for day in days
    )
    assert again[0]["values"][0][1] == points


def test_victoriametrics_through_influxdb_client_equals_ground_truth(
    victoria, tmp_path: Path
) -> None:
    # the meters' own ids are the series' labels: forget what earlier runs wrote there
    victoria.forget('{__name__=~"linky_.*"}')
    with world(tmp_path, today=date(2026, 3, 31)) as w:
        w.config(
            influxdb={
                "api": "v2",
                "url": victoria.url,
                "token": "t",
                "org": "o",
                "bucket": "linky",
                "output": "",
            },
            tariff={"offpeak": OFFPEAK},
        )
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "7")
        assert result.exit_code == 0, result.output
        victoria.flush()
        days = [date(2026, 3, 24) + timedelta(n) for n in range(7)]
        got: dict[tuple[str, str, date, str], float] = defaultdict(float)
        stamps: dict[tuple[str, date], list[int]] = defaultdict(list)
        for row in victoria.export('{__name__="linky_load_curve_energy_wh"}'):
            labels = row["metric"]
            for ts_ms, value in zip(row["timestamps"], row["values"], strict=True):
                instant = datetime.fromtimestamp(ts_ms / 1000, UTC)
                day = instant.astimezone(PARIS).date()
                if day not in days:
                    continue
                got[(labels["usage_point_id"], labels["direction"], day, labels["tariff"])] += value
                stamps[(labels["usage_point_id"], day)].append(ts_ms // 1000)
        truth = truth_by_day_and_tariff(w.simulator, days)
        assert got.keys() <= truth.keys()
        for key, energy in truth.items():
            assert got.get(key, 0.0) == pytest.approx(energy, abs=1e-6), key
        march = sorted(stamps[(HOUSE, date(2026, 3, 29))])
        assert len(march) == 46
        assert march[0] == seconds(datetime(2026, 3, 29, tzinfo=PARIS))
        assert march[-1] == seconds(datetime(2026, 3, 29, 23, 30, tzinfo=PARIS))
        daily = victoria.export(f'{{__name__="linky_daily_energy_wh",usage_point_id="{HOUSE}"}}')
        by_ts = dict(zip(daily[0]["timestamps"], daily[0]["values"], strict=True))
        for d in days:
            assert by_ts[seconds(paris_day_bounds(d)[0]) * 1000] == w.simulator.truth_daily(
                HOUSE, "consumption", d
            )


def test_points_the_database_refuses_wait_in_the_spool(influx1, tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        db = f"{influx1.db}_late"
        w.config(influxdb={"api": "v1", "url": influx1.url, "database": db, "output": ""})
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-q")
        assert result.exit_code == 7
        assert result.output.splitlines()[-1] == (
            f"linkyflux: InfluxDB 1.x at {influx1.url}, database '{db}': the database does not "
            f'exist (create it: CREATE DATABASE "{db}") (54 lines kept in the spool, written '
            "first on the next run)"
        )
        spooled = sorted((w.state_dir / "spool").iterdir())
        assert sum(len(p.read_text().splitlines()) for p in spooled) == 54
        influx1.query(f'CREATE DATABASE "{db}"')
        try:
            w.clock.advance(3600)
            result = w.run("fetch", "-q")
            assert result.exit_code == 0, result.output
            assert list((w.state_dir / "spool").iterdir()) == []
            count = influx1.query_db(db, "SELECT COUNT(energy_wh) FROM linky_load_curve")
            assert count[0]["values"][0][1] == 48
        finally:
            influx1.query(f'DROP DATABASE "{db}"')
