"""The Grafana dashboards: generated from the schema, and every panel query run for real.

`linkyflux demo --days 1095` fills a real InfluxDB 1.x (three years of the simulated meters,
as a user would before importing the dashboards); then each query of each panel is rendered
the way Grafana renders it (tests/grafana/grafana_render.py) and executed. Every query must
parse and return data; the headline panels must show the ground truth, computed here from
the simulator's meters without linkyflux's code.
"""

from __future__ import annotations

import importlib.util
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest
from click.testing import CliRunner

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.grafana import dashboards, energy, tempo
from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import PARIS, FakeClock

import grafana_render
from conftest import influx_query
from simenv import paris

HOUSE = "22516914714270"  # PT30M, consumption
HOURLY = "50000000000060"  # PT60M, consumption
SOLAR = "24880057139941"  # production only
SELF = "12655648759651"  # self-consumption: both directions
METERS = [HOUSE, HOURLY, SOLAR, SELF]
HC_PRICE, HP_PRICE, BASE_PRICE, SOLD = 0.1615, 0.2146, 0.2016, 0.1276
PRICES = (
    f"[[tariff.price]]\nfrom = 2023-01-01\nbase = {BASE_PRICE}\nhc = {HC_PRICE}\nhp = {HP_PRICE}\n"
    f"production = {SOLD}\nsubscription = 15.65\n"
)
YESTERDAY = date(2026, 11, 21)


@dataclass
class Loaded:
    simulator: Simulator  # the demo's meters, for the ground truth
    url: str
    db: str
    now: datetime

    def run(self, query: str) -> list[dict[str, Any]]:
        return influx_query(self.url, query, db=self.db)


@pytest.fixture(scope="module")
def loaded(influx1_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    db = f"dashboards_{secrets.token_hex(4)}"
    config = tmp_path_factory.mktemp("dashboards") / "config.toml"
    config.write_text(
        f'[influxdb]\napi = "v1"\nurl = "{influx1_url}"\ndatabase = "{db}"\n'
        f'[tariff]\noffpeak = "22h00-6h00"\n{PRICES}'
    )
    clock = FakeClock(paris(2026, 11, 22, 9))
    influx_query(influx1_url, f'CREATE DATABASE "{db}"')
    try:
        result = CliRunner().invoke(
            cli,
            ["--config", str(config), "demo", "--days", "1095", "--to-config"],
            obj=Runtime(clock=clock),
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output
        yield Loaded(Simulator(clock), influx1_url, db, clock.now())
    finally:
        influx_query(influx1_url, f'DROP DATABASE "{db}"')


def test_the_committed_dashboards_are_generated_from_the_schema() -> None:
    for name, text in dashboards.render().items():
        committed = Path(dashboards.GRAFANA_DIR / "dashboards" / name).read_text()
        assert committed == text, f"run `python -m linkyflux.grafana.dashboards` ({name} is stale)"


def test_dashboards_use_only_built_in_panels_and_paris_time() -> None:
    built_in = {"stat", "timeseries", "barchart", "table", "text", "state-timeline", "row"}
    for build in dashboards.DASHBOARDS.values():
        board = build()
        assert board["timezone"] == "Europe/Paris"
        assert {p["type"] for p in grafana_render.panels(board)} <= built_in
        text = json.dumps(board)
        assert "2024" not in text and "2025" not in text and "2026" not in text  # no years


def _all_queries() -> list[tuple[str, str, str]]:
    """Every query but the Tempo row's: the demo has no Tempo meter (test_tempo_panels.py
    runs those on one)."""
    tempo_panels = {p["title"] for p in tempo.tempo_row(0)["panels"]}
    out = []
    for name, build in dashboards.DASHBOARDS.items():
        for panel, target in grafana_render.targets(build()):
            if panel["title"] not in tempo_panels:
                out.append((name, panel["title"], target["refId"]))
    return out


@pytest.mark.parametrize(("name", "title", "ref"), _all_queries())
def test_every_query_runs_and_returns_data(loaded: Loaded, name: str, title: str, ref: str) -> None:
    board = dashboards.DASHBOARDS[name]()
    for direction in ("consumption", "production"):
        for panel, target in grafana_render.targets(board):
            if (panel["title"], target["refId"]) != (title, ref):
                continue
            variables: dict[str, str | list[str]] = {"usage_point": METERS, "direction": direction}
            query = grafana_render.render(target["query"], board, panel, loaded.now, variables)
            series = loaded.run(query)
            values = [v for s in series for row in s["values"] for v in row[1:] if v is not None]
            assert values, f"{title}: no data for {query}"


def _value(loaded: Loaded, board: dict[str, Any], title: str, **variables: Any) -> list[Any]:
    panel = next(p for p in board["panels"] if p["title"] == title)
    variables.setdefault("direction", "consumption")
    query = grafana_render.render(panel["targets"][0]["query"], board, panel, loaded.now, variables)
    series = loaded.run(query)
    assert len(series) == 1, series
    return series[0]["values"][0][1:]


def _truth_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def test_headline_numbers_are_the_ground_truth(loaded: Loaded) -> None:
    board, sim = energy.energy_dashboard(), loaded.simulator

    def daily_kwh(prm: str, days: list[date]) -> float:
        return sum(sim.truth_daily(prm, "consumption", d) or 0 for d in days) / 1000

    # yesterday, and the same day a year before
    got = _value(loaded, board, "Yesterday: energy", usage_point=[HOUSE])
    assert got == [daily_kwh(HOUSE, [YESTERDAY])]
    got = _value(loaded, board, "Same day, a year before: energy", usage_point=[HOUSE])
    assert got == [daily_kwh(HOUSE, [date(2025, 11, 21)])]

    # last month (October 2026, with its 25-hour day), HC/HP and cost, two meters together
    october = _truth_days(date(2026, 10, 1), date(2026, 10, 31))
    hc = hp = cost = 0.0
    for prm in (HOUSE, HOURLY):
        for day in october:
            for interval in sim.truth_curve(prm, "consumption", day):
                local = interval.start.astimezone(PARIS)
                off_peak = local.hour >= 22 or local.hour < 6
                hc += interval.energy_wh if off_peak else 0
                hp += 0 if off_peak else interval.energy_wh
                cost += interval.energy_wh / 1000 * (HC_PRICE if off_peak else HP_PRICE)
    split = _value(loaded, board, "Last month: HC / HP", usage_point=[HOUSE, HOURLY])
    assert split == [pytest.approx(hc / 1000, abs=1e-9), pytest.approx(hp / 1000, abs=1e-9), 0]
    (got_cost,) = _value(loaded, board, "Last month: cost", usage_point=[HOUSE, HOURLY])
    assert round(got_cost, 2) == round(cost, 2)
    assert abs(got_cost - cost) < 0.001

    # the same month a year before, and whole calendar years
    (got_kwh,) = _value(loaded, board, "Same month, a year before: energy", usage_point=[HOUSE])
    assert got_kwh == daily_kwh(HOUSE, _truth_days(date(2025, 10, 1), date(2025, 10, 31)))
    (got_kwh,) = _value(loaded, board, "The year before: energy", usage_point=[HOUSE])
    assert got_kwh == daily_kwh(HOUSE, _truth_days(date(2024, 1, 1), date(2024, 12, 31)))


def test_calendar_months_table_sums_calendar_months(loaded: Loaded) -> None:
    board = energy.energy_dashboard()
    panel = next(p for p in board["panels"] if p["title"] == "Calendar months")
    variables: dict[str, str | list[str]] = {"usage_point": [HOUSE], "direction": "consumption"}
    query = grafana_render.render(panel["targets"][0]["query"], board, panel, loaded.now, variables)
    rows = {
        s["tags"]["month"]: dict(zip(s["columns"], s["values"][0], strict=True))
        for s in loaded.run(query)
    }
    # the dashboard's range starts 13 months back, on a month's first day
    assert sorted(rows) == [f"{y}-{m:02d}" for y, m in [(2025, 10), (2025, 11), (2025, 12)]] + [
        f"2026-{m:02d}" for m in range(1, 12)
    ]
    sim = loaded.simulator
    for month, (first, last) in {
        "2026-03": (date(2026, 3, 1), date(2026, 3, 31)),  # 23-hour day on the 29th
        "2026-11": (date(2026, 11, 1), YESTERDAY),  # so far
    }.items():
        days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
        assert (
            rows[month]["kWh"] == sum(sim.truth_daily(HOUSE, "consumption", d) for d in days) / 1000
        )
        subscription = rows[month]["subscription €"]
        assert subscription == pytest.approx(
            15.65 / 31 * len(days) if month == "2026-03" else 15.65 / 30 * len(days), abs=1e-4
        )


def test_daily_bars_are_paris_days_dst_included(loaded: Loaded) -> None:
    board = energy.energy_dashboard()
    panel = next(p for p in board["panels"] if p["title"] == "Daily energy")
    target = next(t for t in panel["targets"] if t["refId"] == "B")
    variables: dict[str, str | list[str]] = {"usage_point": [HOUSE], "direction": "consumption"}
    query = grafana_render.render(target["query"], board, panel, loaded.now, variables)
    (series,) = loaded.run(query)
    got = {datetime.fromtimestamp(t, PARIS): v for t, v in series["values"]}
    sim = loaded.simulator
    # every bar starts at a Paris midnight and holds that day's energy, 23- and 25-hour days too
    for day in (date(2026, 3, 28), date(2026, 3, 29), date(2026, 10, 25), YESTERDAY):
        midnight = datetime(day.year, day.month, day.day, tzinfo=PARIS)
        assert got[midnight] == sim.truth_daily(HOUSE, "consumption", day) / 1000
    assert all(t.hour == 0 and t.minute == 0 for t in got)


def test_readme_and_provisioning_follow_the_dashboards() -> None:
    readme = (dashboards.GRAFANA_DIR.parent / "README.md").read_text()
    provider = (dashboards.GRAFANA_DIR / "provisioning/dashboards/linkyflux.yaml").read_text()
    source = (dashboards.GRAFANA_DIR / "provisioning/datasources/linkyflux.yaml").read_text()
    for name, build in dashboards.DASHBOARDS.items():
        assert f"**{build()['title']}** (`{name}`)" in readme
    path = provider.split("path:")[1].split()[0]
    assert f"the JSON files to `{path}/`" in readme
    assert "type: influxdb" in source and "dbName: linky" in source


def test_grafana_readme_lists_every_panel() -> None:
    listed = (dashboards.GRAFANA_DIR / "README.md").read_text()
    for name, build in dashboards.DASHBOARDS.items():
        board = build()
        assert f"**{board['title']}** (`{name}`)" in listed
        for panel in grafana_render.panels(board):
            assert f"`{panel['title']}`" in listed, f"grafana/README.md: {panel['title']}"


def test_calendar_years_are_whole_years(loaded: Loaded) -> None:
    board = energy.energy_dashboard()
    panel = next(p for p in board["panels"] if p["title"] == "Calendar years")
    variables: dict[str, str | list[str]] = {"usage_point": [HOUSE], "direction": "consumption"}
    query = grafana_render.render(panel["targets"][0]["query"], board, panel, loaded.now, variables)
    kwh = {s["tags"]["year"]: s["values"][0][s["columns"].index("kWh")] for s in loaded.run(query)}
    sim = loaded.simulator
    year_2025 = [date(2025, 1, 1) + timedelta(days=n) for n in range(365)]
    assert sorted(kwh) == ["2024", "2025", "2026"]
    assert kwh["2025"] == sum(sim.truth_daily(HOUSE, "consumption", d) for d in year_2025) / 1000


def test_the_preview_script_draws_every_dashboard(loaded: Loaded) -> None:
    """scripts/render_previews.py (the README's pictures) still runs on the real data."""
    spec = importlib.util.spec_from_file_location(
        "render_previews", dashboards.GRAFANA_DIR.parent / "scripts" / "render_previews.py"
    )
    assert spec is not None and spec.loader is not None
    previews = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previews)
    readme = (dashboards.GRAFANA_DIR.parent / "README.md").read_text()
    for name, build in dashboards.DASHBOARDS.items():
        board = build()
        svg = previews.draw_dashboard(loaded.url, loaded.db, loaded.now, board)
        root = ElementTree.fromstring(svg)
        texts = "".join(root.itertext())
        for panel in board["panels"]:
            assert panel["title"][:12] in texts  # (long titles are cut to fit)
        assert "No data" not in texts
        picture = f"grafana/previews/{Path(name).stem}.svg"
        assert (dashboards.GRAFANA_DIR.parent / picture).exists()
        assert f"]({picture})" in readme
