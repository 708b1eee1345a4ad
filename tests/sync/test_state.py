"""state.json: what a save writes, and what loading it gives back."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from linkyflux.sync.state import STATE_FILE, VERSION, CurveTotals, SyncState
from linkyflux.tariffs.classifier import DaySchedule

HOUSE, SOLAR = "22516914714270", "25946599093143"


def fill(state: SyncState) -> None:
    house = state.point(HOUSE)
    house.directions = {"consumption": True, "production": False}
    for day in (date(2026, 11, 19), date(2026, 11, 20), date(2026, 11, 22)):
        house.of("consumption/curve").mark(day, "complete")
    house.of("consumption/daily").mark(date(2026, 11, 21), "partial")
    house.day_schedules[date(2026, 11, 19)] = DaySchedule("schedule", "22:00-06:00", "FR-BL")
    house.curve_totals["consumption"] = {date(2026, 11, 19): CurveTotals({"HC": 1.5}, 0.25)}
    state.point(SOLAR).directions = {"production": True}
    state.dialects["http://127.0.0.1:1/"] = "v5"
    state.destination = "InfluxDB 1.x at http://127.0.0.1:8086, database 'linky'"
    house.of("consumption/daily").empty_on[date(2026, 11, 10)] = date(2026, 11, 14)
    house.of("consumption/daily").asked_from = date(2026, 11, 1)
    house.direction_checked["production"] = date(2026, 11, 2)


def test_a_save_writes_compact_json_that_loads_back(tmp_path: Path) -> None:
    state = SyncState(tmp_path)
    fill(state)
    state.save()
    text = (tmp_path / STATE_FILE).read_text()
    document = json.loads(text)
    assert text == json.dumps(document, separators=(",", ":"))
    assert list(document) == ["version", "destination", "dialects", "usage_points"]
    assert document["version"] == VERSION
    assert list(document["usage_points"]) == [HOUSE, SOLAR]
    assert document["usage_points"][HOUSE]["series"]["consumption/curve"] == {
        "seen": True,
        "days": [
            ["2026-11-19", "2026-11-20", "complete"],
            ["2026-11-22", "2026-11-22", "complete"],
        ],
    }
    again = SyncState(tmp_path)
    assert again.usage_points == state.usage_points
    assert again.dialects == state.dialects
    assert again.destination == state.destination


def test_a_save_of_one_changed_usage_point_keeps_the_others(tmp_path: Path) -> None:
    """``save(changed=…)`` writes again only that usage point; the file is the whole state."""
    state = SyncState(tmp_path)
    fill(state)
    state.save()
    state.point(SOLAR).of("production/curve").mark(date(2026, 11, 21), "unavailable")
    state.save(changed=SOLAR)
    text = (tmp_path / STATE_FILE).read_text()
    assert text == json.dumps(json.loads(text), separators=(",", ":"))
    assert SyncState(tmp_path).usage_points == state.usage_points
