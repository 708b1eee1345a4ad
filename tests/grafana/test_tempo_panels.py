"""The energy dashboard's Tempo row, every query run for real on a Tempo meter.

A Tempo household is backfilled through the CLI (offpeak = "TEMPO", colours from the
simulator's api-couleur-tempo.fr, two dated grids of six prices) into a fresh InfluxDB 1.x,
from 1 March to 21 November: red days, colours changing day to day, both DST days, and a
Tempo season starting on 1 September. Each Tempo panel's query is rendered as Grafana
renders it (grafana_render.py) and run; its numbers must be the simulator's ground truth
(its load curve, its colours) priced here, without linkyflux's code: a Tempo day runs
06:00 to 06:00 on the wall clock, HC is 22:00-06:00, and a price applies from its day.
"""

from __future__ import annotations

import secrets
from collections import Counter, defaultdict
from collections.abc import Container, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pytest

from linkyflux.grafana import energy, tempo
from linkyflux.simulator.simulator import Simulator
from linkyflux.simulator.tempo import colour as simulated_colour
from linkyflux.timeutil import PARIS

import grafana_render
from conftest import influx_query
from simenv import paris, world
from tempo_grids import grid_on, prices_toml

HOUSE = "22516914714270"  # PT30M consumption, no gaps
FIRST, YESTERDAY = date(2026, 3, 1), date(2026, 11, 21)  # today: 2026-11-22
COLOURS = {
    date(2026, 3, 27): "RED",  # Friday
    date(2026, 3, 28): "WHITE",  # its night is the 23-hour day's 00:00-06:00
    date(2026, 3, 29): "BLUE",  # 23 hours (02:00 -> 03:00)
    date(2026, 3, 30): "RED",
    date(2026, 8, 31): "WHITE",  # the last day of a season: its night is 1 September's
    date(2026, 9, 7): "BLUE",  # (the calendar's white): September's only white is that night
    date(2026, 10, 24): "WHITE",
    date(2026, 10, 25): "BLUE",  # 25 hours (03:00 -> 02:00)
    date(2026, 10, 26): "WHITE",
    date(2026, 11, 18): "WHITE",
    date(2026, 11, 19): "RED",
    date(2026, 11, 20): "RED",
    date(2026, 11, 21): "BLUE",
}
NOBODY = "00000000000000"


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@dataclass
class Loaded:
    simulator: Simulator
    url: str
    db: str
    now: datetime
    board: dict[str, Any]

    def panel(self, title: str) -> dict[str, Any]:
        return next(p for p in grafana_render.panels(self.board) if p["title"] == title)

    def run(self, title: str, usage_point: str = HOUSE) -> list[dict[str, Any]]:
        panel = self.panel(title)
        (target,) = panel["targets"]
        # Tempo is consumption's: the panels read it whatever $direction is
        variables: dict[str, str | list[str]] = {
            "usage_point": [usage_point],
            "direction": "production",
        }
        query = grafana_render.render(target["query"], self.board, panel, self.now, variables)
        return influx_query(self.url, query, db=self.db)

    def colour(self, day: date) -> str:
        return self.simulator.tempo_overrides.get(day) or simulated_colour(day)


@pytest.fixture(scope="module")
def loaded(influx1_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    db = f"tempo_panels_{secrets.token_hex(4)}"
    influx_query(influx1_url, f'CREATE DATABASE "{db}"')
    try:
        with world(tmp_path_factory.mktemp("tempo")) as w:
            w.consent = (HOUSE,)
            w.simulator.tempo_overrides.update(COLOURS)
            config = w.config(
                influxdb={"api": "v1", "url": influx1_url, "database": db, "output": ""},
                tariff={"offpeak": "TEMPO"},
                tempo={"url": f"{w.url}/tempo/api"},
            )
            prices = prices_toml()
            config.write_text(config.read_text() + prices)
            assert w.run("auth").exit_code == 0
            result = w.run("backfill", "--since", FIRST.isoformat(), "-q")
            assert result.exit_code == 0, result.output
            now = w.clock.now()
        yield Loaded(w.simulator, influx1_url, db, now, energy.energy_dashboard())
    finally:
        influx_query(influx1_url, f'DROP DATABASE "{db}"')


Key = tuple[date, str, str]  # (Paris calendar day, colour, HC or HP)


@pytest.fixture(scope="module")
def truth(loaded: Loaded) -> tuple[dict[Key, float], dict[Key, float]]:
    """Energy (Wh) and cost (€) per calendar day, colour and tariff, from the simulator's
    load curve and colours and the price grids above."""
    energy_wh: dict[Key, float] = defaultdict(float)
    cost: dict[Key, float] = defaultdict(float)
    for day in _days(FIRST, YESTERDAY):
        grid = grid_on(day)
        for interval in loaded.simulator.truth_curve(HOUSE, "consumption", day):
            wall = interval.start.astimezone(PARIS).replace(tzinfo=None)
            colour = loaded.colour((wall - timedelta(hours=6)).date())
            tariff = "HP" if 6 <= wall.hour < 22 else "HC"
            key = (wall.date(), colour, tariff)
            energy_wh[key] += interval.energy_wh
            cost[key] += interval.energy_wh / 1000 * grid[f"{colour}_{tariff}".lower()]
    return dict(energy_wh), dict(cost)


def _rows(series: dict[str, Any]) -> dict[datetime, dict[str, Any]]:
    columns = series["columns"][1:]
    return {
        datetime.fromtimestamp(row[0], PARIS): dict(zip(columns, row[1:], strict=True))
        for row in series["values"]
    }


def _sum(values: dict[Key, float], colour: str, days: Container[date]) -> float | None:
    """A colour's HC plus HP on ``days``; None when it has neither."""
    found = [v for (day, c, _), v in values.items() if c == colour and day in days]
    return sum(found) if found else None


def _same_cost(got: float | None, want: float | None) -> bool:
    """To the cent, and within a tenth of one (each interval's cost is rounded to the µ€)."""
    if got is None or want is None:
        return got is want
    return round(got, 2) == round(want, 2) and abs(got - want) < 0.001


def test_the_tempo_row_is_collapsed_below_the_other_panels() -> None:
    board = energy.energy_dashboard()
    *others, row = board["panels"]
    assert row["type"] == "row" and row["title"] == "Tempo" and row["collapsed"] is True
    bottom = max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in others)
    assert row["gridPos"] == {"x": 0, "y": bottom, "w": 24, "h": 1}
    assert all(p["gridPos"]["y"] > bottom for p in row["panels"])
    ids = [p["id"] for p in grafana_render.panels(board)]
    assert ids == list(range(1, len(ids) + 1))


def test_every_tempo_query_runs_and_returns_data(loaded: Loaded) -> None:
    row = loaded.board["panels"][-1]
    for panel in row["panels"]:
        for target in panel["targets"]:
            assert target["refId"] == "A"
            series = loaded.run(panel["title"])
            values = [v for s in series for r in s["values"] for v in r[1:] if v is not None]
            assert values, f"{panel['title']}: no data"


def test_the_calendar_shows_each_day_s_colour(loaded: Loaded) -> None:
    panel = loaded.panel("Tempo calendar")
    (mapping, null) = panel["fieldConfig"]["defaults"]["mappings"]
    names = {int(code): option["text"] for code, option in mapping["options"].items()}
    assert null["options"]["match"] == "null"
    (series,) = loaded.run("Tempo calendar")
    got = {t.date(): None if v is None else names[v] for t, (v,) in _by_day(series)}
    # the dashboard's range, from 13 months back to today: a colour for each Tempo day whose
    # load curve was written (the night of 1 March is the last day of February's)
    assert sorted(got) == _days(date(2025, 10, 1), date(2026, 11, 22))
    written = _days(FIRST - timedelta(days=1), YESTERDAY)
    assert got == {day: loaded.colour(day) if day in written else None for day in got}
    for day, colour in COLOURS.items():
        assert got[day] == colour
    assert {got[d] for d in written} == {"BLUE", "WHITE", "RED"}


def _by_day(series: dict[str, Any]) -> Iterator[tuple[datetime, list[Any]]]:
    """Each row at its Paris midnight (the buckets of a DST day are 23 or 25 hours)."""
    for stamp, row in _rows(series).items():
        assert (stamp.hour, stamp.minute) == (0, 0), stamp
        yield stamp, list(row.values())


def test_daily_energy_per_colour_and_tariff(loaded: Loaded, truth: Any) -> None:
    energy_wh, _ = truth
    (series,) = loaded.run("Tempo: daily energy per colour")
    rows = _rows(series)
    assert [t.date() for t in rows] == _days(FIRST, YESTERDAY)
    for stamp, row in rows.items():
        assert list(row) == [f"{c} {t}" for c in ("blue", "white", "red") for t in ("HC", "HP")]
        for name, kwh in row.items():
            colour, tariff = name.upper().split()
            want = energy_wh.get((stamp.date(), colour, tariff), 0.0) / 1000
            assert kwh == pytest.approx(want, abs=1e-9), (stamp, name)
    # the 25-hour day: its night until 06:00 is Saturday's white, then its own blue
    oct_25 = rows[paris(2026, 10, 25)]
    assert oct_25["white HC"] > 0 and oct_25["blue HC"] > 0 and oct_25["white HP"] == 0
    assert rows[paris(2026, 11, 19)]["red HP"] > 0


def test_daily_cost_per_colour(loaded: Loaded, truth: Any) -> None:
    _, cost = truth
    (series,) = loaded.run("Tempo: daily cost per colour")
    rows = _rows(series)
    assert [t.date() for t in rows] == _days(FIRST, YESTERDAY)
    for stamp, row in rows.items():
        assert list(row) == ["blue €", "white €", "red €"]
        for name, eur in row.items():
            colour = name.split()[0].upper()
            want = _sum(cost, colour, {stamp.date()})
            assert _same_cost(eur, want), (stamp, name, eur, want)
    # a red day's cost is mostly its peak hours at the red HP price
    assert rows[paris(2026, 11, 19)]["red €"] > rows[paris(2026, 11, 18)]["white €"]


def test_calendar_months_per_colour(loaded: Loaded, truth: Any) -> None:
    energy_wh, cost = truth
    series = loaded.run("Tempo: calendar months per colour")
    rows = {
        s["tags"]["month"]: dict(zip(s["columns"], s["values"][0], strict=True)) for s in series
    }
    assert sorted(rows) == [f"2026-{m:02d}" for m in range(3, 12)]
    for month, row in rows.items():
        days = {d for d in _days(FIRST, YESTERDAY) if d.isoformat()[:7] == month}
        for colour in ("BLUE", "WHITE", "RED"):
            kwh = (_sum(energy_wh, colour, days) or 0.0) / 1000
            assert row[f"{colour.lower()} kWh"] == pytest.approx(kwh, abs=1e-9), (month, colour)
            eur = row[f"{colour.lower()} €"]
            assert _same_cost(eur, _sum(cost, colour, days)), (month, colour, eur)
    # September has no white day, but its first night is 31 August's white off-peak
    assert rows["2026-09"]["white kWh"] > 0 and rows["2026-09"]["red €"] is None
    assert rows["2026-11"]["red €"] > 0 and rows["2026-03"]["red €"] > 0


def test_days_per_colour_this_season(loaded: Loaded) -> None:
    panel = loaded.panel("Tempo season so far (since 1 September): days per colour")
    span = grafana_render.panel_range(loaded.board, panel, loaded.now)
    assert span.start == paris(2026, 9, 1) and span.end == loaded.now
    got = {s["tags"]["colour"]: s["values"][0][1] for s in loaded.run(panel["title"])}
    # written so far: to yesterday's Tempo day (today's night is not published yet); 31
    # August, the season before, is not counted
    assert got == Counter(loaded.colour(d) for d in _days(date(2026, 9, 1), YESTERDAY))


@pytest.mark.parametrize(
    ("now", "start"),
    [
        (paris(2026, 9, 1, 0, 30), paris(2026, 9, 1)),
        (paris(2026, 12, 31, 23), paris(2026, 9, 1)),
        (paris(2027, 1, 1, 0, 30), paris(2026, 9, 1)),
        (paris(2027, 3, 31, 12), paris(2026, 9, 1)),
        (paris(2027, 8, 31, 23, 59), paris(2026, 9, 1)),
    ],
)
def test_the_season_starts_on_1_september(now: datetime, start: datetime) -> None:
    assert grafana_render.date_math(tempo.SEASON_START, now) == start


def test_the_usage_points_picked_filter_all_but_the_calendar(loaded: Loaded) -> None:
    for title in (
        "Tempo: daily energy per colour",
        "Tempo: daily cost per colour",
        "Tempo: calendar months per colour",
    ):
        assert loaded.run(title, usage_point=NOBODY) == [], title
    # linky_tempo has no usage point: the same calendar for everyone
    assert loaded.run("Tempo calendar", usage_point=NOBODY) == loaded.run("Tempo calendar")
