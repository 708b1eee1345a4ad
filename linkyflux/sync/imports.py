"""Readings from a file (``linkyflux import``) into the sink and the state, as a fetch would
have written them: the same lines (tags, schedule recorded per day, prices, Tempo colours),
so the same points; a day the file covers whole counts as fetched (``fetch`` and ``backfill``
do not ask the API for it again), any other day is left to the API.

A day the file covers whole also gets its daily point, from its load curve (energy, split,
cost), so the dashboards show it like a fetched day; that daily point is stale: a run with a
gateway replaces it with Enedis' own daily figure, in a call it makes anyway.

A daily energy read from a file (the web XLSX's daily sheet, the old index CSV) is Enedis'
own figure: written with its day's tariff split and cost when the day's curve is complete,
and counted as fetched. When the curve of such a day becomes complete later, the split and
cost are added to its daily point, whose energy stays Enedis' own."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from linkyflux.models import CurveReading, DailyReading
from linkyflux.sinks.writers import Sink
from linkyflux.sync.planning import Series
from linkyflux.sync.report import SeriesSummary
from linkyflux.sync.state import CurveTotals, SyncState
from linkyflux.sync.totals import Pricing, keep_totals
from linkyflux.timeutil import paris_day, paris_day_minutes

BATCH = 4800  # readings written at once (100 days of half-hours), at a day's end


@dataclass
class Imported:
    """What a file gave for one usage point, direction and kind (``curve`` or ``daily``)."""

    points: int = 0
    energy_wh: float = 0.0
    days: set[date] = field(default_factory=set)
    complete: set[date] = field(default_factory=set)


class Importer:
    """Writes a file's readings, a batch of whole days at a time (see the module)."""

    def __init__(self, sink: Sink | None, pricing: Pricing, state: SyncState) -> None:
        self.sink = sink  # None: a dry run, nothing written or recorded
        self.pricing = pricing
        self.state = state
        self.imported: dict[tuple[str, str, str], Imported] = defaultdict(Imported)

    def add(self, readings: Iterable[CurveReading | DailyReading]) -> None:
        """Write the readings (in a file's order), a batch of whole days at a time."""
        pending: dict[tuple[str, str], list[CurveReading]] = defaultdict(list)
        daily: dict[tuple[str, str], list[DailyReading]] = defaultdict(list)
        try:
            for reading in readings:
                key = (reading.usage_point_id, reading.direction)
                if isinstance(reading, DailyReading):
                    daily[key].append(reading)
                    continue
                batch = pending[key]
                if len(batch) >= BATCH and paris_day(reading.start) != paris_day(batch[-1].start):
                    self._write(batch)
                    pending[key] = batch = []
                batch.append(reading)
        finally:  # a bad line stops the file: what was read before it is good data
            for batch in pending.values():
                self._write(batch)
            for days in daily.values():
                self._write_daily(days)

    def _write_daily(self, readings: list[DailyReading]) -> None:
        if not readings:
            return
        usage_point_id, direction = readings[0].usage_point_id, readings[0].direction
        imported = self.imported[(usage_point_id, direction, "daily")]
        imported.points += len(readings)
        imported.energy_wh += sum(r.energy_wh for r in readings)
        imported.days.update(r.day for r in readings)
        imported.complete.update(r.day for r in readings)
        if self.sink is None:
            return
        point = self.state.point(usage_point_id)
        self.sink.write(self.pricing.daily_lines(point, readings, SeriesSummary()))
        days = point.of(Series(direction, "daily").key)
        for reading in readings:
            days.mark(reading.day, "complete")
        days.seen = True
        point.directions[direction] = True
        self.state.save(changed=usage_point_id)

    def _write(self, readings: list[CurveReading]) -> None:
        if not readings:
            return
        first = readings[0]
        usage_point_id, direction = first.usage_point_id, first.direction
        imported = self.imported[(usage_point_id, direction, "curve")]
        covered: dict[date, int] = defaultdict(int)
        for reading in readings:
            covered[paris_day(reading.start)] += reading.minutes
            imported.energy_wh += reading.energy_wh
        imported.points += len(readings)
        imported.days.update(covered)
        complete = {day for day, minutes in covered.items() if minutes >= paris_day_minutes(day)}
        imported.complete.update(complete)
        if self.sink is None:
            return
        point = self.state.point(usage_point_id)
        written = self.pricing.curve_lines(
            point, usage_point_id, direction, readings, SeriesSummary()
        )
        self.sink.write(written.lines)
        written.record(point, direction)
        days = point.of(Series(direction, "curve").key)
        before = {day: days.status(day) for day in written.totals}
        for day in sorted(complete):
            days.mark(day, "complete")
        days.seen = True
        point.directions[direction] = True
        daily = point.of(Series(direction, "daily").key)
        known = {day for day in complete if daily.status(day) == "complete"}
        keep_totals(point, direction, before, written.totals)
        curve = [
            DailyReading(usage_point_id, direction, day, _curve_energy(written.totals[day]))
            for day in sorted(complete)
        ]
        # Enedis' own figure of a day stays; its split and cost come from the curve
        fresh = [r for r in curve if r.day not in known]
        self.sink.write(self.pricing.daily_lines(point, fresh, SeriesSummary()))
        split = [r for r in curve if r.day in known]
        self.sink.write(self.pricing.daily_lines(point, split, SeriesSummary(), energy=False))
        for day_reading in curve:
            daily.mark(day_reading.day, "complete" if day_reading.day in known else "stale")
        self.state.save(changed=usage_point_id)


def _curve_energy(totals: CurveTotals) -> float:
    """A day's energy from its curve: the sum over its tariffs (not the Tempo colours'
    breakdown of the same energy)."""
    return sum(wh for key, wh in totals.energy_wh.items() if key.isupper())
