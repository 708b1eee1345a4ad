"""What a run did, for the command's summary and exit code: per series what was written,
the days not published yet, the days late, the warnings and errors."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from linkyflux.errors import LinkyfluxError, MissingData
from linkyflux.models import Direction
from linkyflux.sync.planning import Series


@dataclass
class SeriesSummary:
    curve_points: int = 0
    energy_by_tariff: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cost_by_tariff: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    daily_energy_wh: float = 0.0
    max_power_values: int = 0


@dataclass
class FetchReport:
    start: date
    end: date
    series: dict[tuple[str, Direction], SeriesSummary] = field(default_factory=dict)
    lines_written: int = 0
    calls: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[LinkyfluxError] = field(default_factory=list)
    # (usage point, series label) -> days still missing 48 h after they ended
    late: dict[tuple[str, str], list[date]] = field(default_factory=lambda: defaultdict(list))
    # (usage point, series label) -> days not published yet (not an error)
    pending: dict[tuple[str, str], list[date]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)
    # (usage point, series) -> days without data, for a series that never had any
    never: dict[tuple[str, Series], list[date]] = field(default_factory=lambda: defaultdict(list))
    sources: list[str] = field(default_factory=list)  # what other sources wrote, one line each

    def summary(self, usage_point_id: str, direction: Direction) -> SeriesSummary:
        return self.series.setdefault((usage_point_id, direction), SeriesSummary())

    def all_errors(self) -> list[LinkyfluxError]:
        """The errors of the run, then one MissingData line per series with late days."""
        errors = list(self.errors)
        for (usage_point_id, label), days in sorted(self.late.items()):
            errors.append(
                MissingData(
                    f"{usage_point_id} {label}: {day_list(days)} still missing 48 hours after "
                    "the end of the day (see `linkyflux status`)"
                )
            )
        return errors


def day_list(days: Sequence[date]) -> str:
    days = sorted(days)
    if len(days) > 3:
        return f"{len(days)} days from {days[0]} to {days[-1]}"
    return ", ".join(d.isoformat() for d in days)
