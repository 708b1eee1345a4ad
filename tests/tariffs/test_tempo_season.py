"""Issue #15's Tempo acceptance test: a winter of Tempo, in a real InfluxDB 1.x.

Three months are backfilled with ``offpeak = "TEMPO"`` and two dated price grids; the colours
change on consecutive days, a red Tempo day runs into the night the clocks go forward, and one
colour is missing at the source until two runs later. The energy and cost per colour and
HC/HP of every calendar month (Europe/Paris), from the load curve and from the daily points,
must equal a calculation made here from the simulator's intervals and colours, without
linkyflux's code; every interval has exactly one point.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from test_tariff_year import _month_bounds, month_of

from linkyflux.simulator.tempo import colour as simulated_colour
from linkyflux.timeutil import PARIS

from simenv import World, world
from tempo_grids import grid_on, prices_toml

HOUSE = "22516914714270"  # half-hourly consumption
FIRST, END = date(2026, 1, 1), date(2026, 4, 1)
OVERRIDES = {
    date(2026, 2, 2): "RED",
    date(2026, 2, 3): "WHITE",
    date(2026, 2, 4): "BLUE",
    date(2026, 2, 5): "RED",
    date(2026, 2, 6): "WHITE",  # a change every day
    date(2026, 3, 28): "RED",  # its Tempo day ends at 06:00 on the 29th, after the clocks moved
}
LATE = date(2026, 3, 10)  # missing at the source for two runs


def colour_of(tempo_day: date) -> str:
    return OVERRIDES.get(tempo_day) or simulated_colour(tempo_day)


def truth(w: World) -> dict[tuple[str, str], tuple[float, float]]:
    """(month, "red_hp"…) -> (energy Wh, cost €), from the simulator's intervals."""
    energy: dict[tuple[str, str], float] = defaultdict(float)
    cost: dict[tuple[str, str], float] = defaultdict(float)
    day = FIRST
    while day < END:
        grid = grid_on(day)
        for interval in w.simulator.truth_curve(HOUSE, "consumption", day):
            local = interval.start.astimezone(PARIS)
            tempo_day = local.date() - timedelta(days=1) if local.hour < 6 else local.date()
            period = "hp" if 6 <= local.hour < 22 else "hc"
            key = (month_of(day), f"{colour_of(tempo_day).lower()}_{period}")
            energy[key] += interval.energy_wh
            cost[key] += interval.energy_wh / 1000 * grid[key[1]]
        day += timedelta(days=1)
    return {key: (energy[key], cost[key]) for key in energy}


def _config(w: World, influx1: Any) -> None:
    config = w.config(
        influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
        tariff={"offpeak": "TEMPO"},
        tempo={"url": f"{w.url}/tempo/api"},
    )
    extra = prices_toml()
    config.write_text(config.read_text() + extra)


def test_a_tempo_winter_matches_the_bill_per_colour(influx1: Any, tmp_path: Path) -> None:
    with world(tmp_path, today=END) as w:  # 2026-04-01: the backfill ends on 31 March
        w.consent = (HOUSE,)
        w.simulator.tempo_overrides.update(OVERRIDES)
        w.simulator.tempo_holes.add(LATE)
        _config(w, influx1)
        assert w.run("auth").exit_code == 0
        result = w.run("backfill", "--since", FIRST.isoformat(), "-q")
        assert result.exit_code == 0, result.output
        assert "Tempo: the colour of 2026-03-10, 2026-03-11 is not known yet" in result.output
        w.clock.advance(86400)
        assert "2026-03-10, 2026-03-11" in w.run("fetch", "-q").output  # still missing
        w.simulator.tempo_holes.clear()
        w.clock.advance(86400)
        result = w.run("fetch", "-q")
        assert result.exit_code == 0 and result.output == "", result.output
        expected = truth(w)

    keys = sorted({k for _, k in expected})
    assert keys == ["blue_hc", "blue_hp", "red_hc", "red_hp", "white_hc", "white_hp"]
    for month in ("2026-01", "2026-02", "2026-03"):
        start, stop = _month_bounds(month)
        where = f"usage_point_id = '{HOUSE}' AND time >= '{start}' AND time < '{stop}'"
        for key in keys:
            colour, period = key.split("_")
            energy, cost = expected.get((month, key), (0.0, 0.0))
            got = influx1.query(
                "SELECT sum(energy_wh), sum(cost_eur) FROM linky_load_curve WHERE "
                f"{where} AND tempo = '{colour.upper()}' AND tariff = '{period.upper()}'"
            )
            values = got[0]["values"][0][1:] if got else [0.0, 0.0]
            assert values[0] == pytest.approx(energy, abs=1e-6), (month, key)
            assert round(values[1], 2) == round(cost, 2), (month, key)
        daily = influx1.query(
            "SELECT "
            + ", ".join(f"sum({k}_energy_wh), sum({k}_cost_eur)" for k in keys)
            + f" FROM linky_daily WHERE direction = 'consumption' AND month = '{month}'"
        )[0]["values"][0][1:]
        for n, key in enumerate(keys):
            energy, cost = expected.get((month, key), (0.0, 0.0))
            assert (daily[2 * n] or 0.0) == pytest.approx(energy, abs=1e-6), (month, key)
            assert round(daily[2 * n + 1] or 0.0, 2) == round(cost, 2), (month, key)
    # one point per interval, the rewritten days' included
    points = influx1.query(
        f"SELECT count(energy_wh) FROM linky_load_curve WHERE usage_point_id = '{HOUSE}' "
        "AND time >= '2025-12-31T23:00:00Z' AND time < '2026-03-31T22:00:00Z'"
    )[0]["values"][0][1]
    assert points == (END - FIRST).days * 48 - 2  # 29 March is 23 hours long
    calendar = influx1.query(
        "SELECT code FROM linky_tempo WHERE time >= '2026-03-27T00:00:00Z' "
        "AND time < '2026-03-30T00:00:00Z' GROUP BY colour"
    )
    starts = {
        datetime.fromtimestamp(v[0], PARIS): s["tags"]["colour"]
        for s in calendar
        for v in s["values"]
    }
    assert starts == {  # 06:00 Paris, +01:00 until the 28th and +02:00 on the 29th
        datetime(2026, 3, 27, 6, tzinfo=PARIS): colour_of(date(2026, 3, 27)),
        datetime(2026, 3, 28, 6, tzinfo=PARIS): "RED",
        datetime(2026, 3, 29, 6, tzinfo=PARIS): colour_of(date(2026, 3, 29)),
    }
