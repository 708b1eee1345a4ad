"""Tempo: the day colour an interval is priced with (docs/tempo-and-seasons.md §A2.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.tempo import tempo_day
from linkyflux.timeutil import PARIS


@pytest.mark.parametrize(
    ("start", "day", "period"),
    [
        ("2026-01-14T05:30:00+01:00", "2026-01-13", "HC"),
        ("2026-01-14T06:00:00+01:00", "2026-01-14", "HP"),
        ("2026-01-14T21:30:00+01:00", "2026-01-14", "HP"),
        ("2026-01-14T22:00:00+01:00", "2026-01-14", "HC"),
        ("2026-01-15T00:00:00+01:00", "2026-01-14", "HC"),
        ("2026-03-29T01:30:00+01:00", "2026-03-28", "HC"),
        ("2026-03-29T03:00:00+02:00", "2026-03-28", "HC"),
        ("2026-03-29T06:00:00+02:00", "2026-03-29", "HP"),
        ("2026-10-25T02:00:00+02:00", "2026-10-24", "HC"),
        ("2026-10-25T02:00:00+01:00", "2026-10-24", "HC"),
        ("2026-10-25T05:30:00+01:00", "2026-10-24", "HC"),
        ("2026-10-25T06:00:00+01:00", "2026-10-25", "HP"),
    ],
)
def test_the_tempo_day_runs_from_six_to_six(start: str, day: str, period: str) -> None:
    instant = datetime.fromisoformat(start)
    tempo = parse_offpeak("TEMPO")
    for zone in (UTC, PARIS, instant.tzinfo):
        assert tempo_day(instant.astimezone(zone)) == date.fromisoformat(day)
        assert tempo.classify("12345678901234", "consumption", instant.astimezone(zone)) == period


def test_tempo_is_named_not_spelt() -> None:
    tempo = parse_offpeak(" tempo ")
    assert tempo.tempo and tempo.to_text() == "TEMPO"
    assert tempo == parse_offpeak("TEMPO")
    assert tempo != parse_offpeak("22h00-6h00")  # the same hours, but priced by colour
    with pytest.raises(ValueError, match="timezone-aware"):
        tempo_day(datetime(2026, 1, 14, 5, 30))
