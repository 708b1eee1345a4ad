"""Readings to tagged, priced lines, and each day's totals.

A load curve's intervals are tagged (HC/HP/BASE) with the schedule their day was first written
with and priced at that day's price; the day's totals per tariff are kept once its curve is
complete, so that its daily point carries the same split and cost whenever it is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from itertools import repeat

from linkyflux.models import CurveReading, DailyReading, Direction
from linkyflux.sinks import points
from linkyflux.sync.report import SeriesSummary
from linkyflux.sync.state import CurveTotals, UsagePointState
from linkyflux.tariffs.classifier import Classifier, DaySchedule
from linkyflux.tariffs.prices import DIGITS, PriceList, energy_cost
from linkyflux.tariffs.schedule import BASE


@dataclass(frozen=True)
class Pricing:
    """How readings become lines: the tags of :attr:`classifier`, the prices of
    :attr:`prices`."""

    classifier: Classifier
    prices: PriceList

    def curve_lines(
        self,
        point: UsagePointState,
        usage_point_id: str,
        direction: Direction,
        readings: list[CurveReading],
        summary: SeriesSummary,
    ) -> tuple[list[str], dict[date, CurveTotals], dict[date, DaySchedule]]:
        """Each interval tagged and priced; each day's totals; the schedules of new days
        (to record once written: a day keeps the tags it was first written with, so it
        never has a second point, see :mod:`linkyflux.sync.reclassify`)."""
        lines = []
        totals: dict[date, CurveTotals] = defaultdict(CurveTotals)
        written = point.day_schedules
        new_days: dict[date, DaySchedule] = {}

        def schedule_for(day: date) -> DaySchedule:
            return written.get(day) or new_days.setdefault(
                day, self.classifier.schedule_on(usage_point_id, day)
            )

        for run in self.classifier.runs(usage_point_id, direction, readings, schedule_for):
            tariff = run.tariff
            per_kwh = self.prices.per_kwh(run.day, direction, tariff)
            energies = [r.energy_wh for r in run.readings]
            costs = None if per_kwh is None else [energy_cost(e, per_kwh) for e in energies]
            lines += points.curve_lines(run, costs)
            day_totals = totals[run.day]
            for energy, cost in zip(energies, costs or repeat(None), strict=False):
                day_totals.add(tariff, energy, cost)
                summary.energy_by_tariff[tariff] += energy
                if cost is not None:
                    summary.cost_by_tariff[tariff] += cost
            summary.curve_points += len(energies)
        return lines, totals, new_days

    def daily_lines(
        self, point: UsagePointState, readings: list[DailyReading], summary: SeriesSummary
    ) -> list[str]:
        """Each day's energy with its complete curve's split and cost (else the BASE or
        production price times the energy), and its share of the subscription."""
        lines = []
        for r in readings:
            summary.daily_energy_wh += r.energy_wh
            curve = _curve_totals(point, r)
            cost = curve.cost_eur if curve is not None else None
            if cost is None:
                cost = self.prices.cost(r.day, r.direction, BASE, r.energy_wh)
            share = self.prices.subscription_share(r.day) if r.direction == "consumption" else None
            split = curve.energy_wh if curve is not None else None
            lines.append(points.daily_line(r, cost, share, split))
        return lines


def _curve_totals(point: UsagePointState, reading: DailyReading) -> CurveTotals | None:
    """The totals of the day's load curve, when it is complete."""
    if point.of(f"{reading.direction}/curve").status(reading.day) != "complete":
        return None
    return point.curve_totals.get(reading.direction, {}).get(reading.day)


def keep_totals(
    point: UsagePointState,
    direction: str,
    before: Mapping[date, str],
    totals: Mapping[date, CurveTotals],
) -> None:
    """Remember the totals of each day whose curve is now complete; a daily point already
    written without them is stale: fetched again, later in this run (daily comes after
    curve) or the next (in the same call as the next days: no extra call)."""
    kept = point.curve_totals.setdefault(direction, {})
    curve, daily = point.of(f"{direction}/curve"), point.of(f"{direction}/daily")
    for day, day_totals in totals.items():
        if curve.status(day) != "complete":
            continue
        if day_totals.cost_eur is not None:
            day_totals.cost_eur = round(day_totals.cost_eur, DIGITS)
        kept[day] = day_totals
        if before[day] != "complete" and daily.status(day) == "complete":
            daily.mark(day, "stale")
