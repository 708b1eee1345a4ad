"""Readings to tagged, priced lines, and each day's totals.

A load curve's intervals are tagged (HC/HP/BASE) with the schedule their day was first written
with and priced at that day's price; the day's totals per tariff are kept once its curve is
complete, so that its daily point carries the same split and cost whenever it is written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import repeat

from linkyflux.models import Circuit, CircuitReading, CurveReading, DailyReading, Direction
from linkyflux.sinks import points
from linkyflux.sources.tempo import TempoColours
from linkyflux.sync.report import SeriesSummary
from linkyflux.sync.state import CurveTotals, UsagePointState
from linkyflux.tariffs.classifier import Classifier, DaySchedule, TariffRun
from linkyflux.tariffs.prices import DIGITS, PriceList, energy_cost
from linkyflux.tariffs.schedule import BASE
from linkyflux.tariffs.tempo import Colour, tempo_day


@dataclass
class CurveLines:
    """A load curve's lines, and what to remember once they are written."""

    lines: list[str] = field(default_factory=list)
    totals: dict[date, CurveTotals] = field(default_factory=lambda: defaultdict(CurveTotals))
    # the schedules of days not written before (a day keeps the tags it was first written
    # with, so it never has a second point, see linkyflux.sync.reclassify)
    new_days: dict[date, DaySchedule] = field(default_factory=dict)
    tempo: dict[date, Colour] = field(default_factory=dict)  # the colours of Tempo days used
    uncoloured: set[date] = field(default_factory=set)  # Tempo days without their colour yet

    def record(self, point: UsagePointState, direction: str) -> None:
        """Once the lines are written: each new day keeps the schedule it was written with,
        and (Tempo prices consumption only) which days wait for their colour."""
        point.day_schedules.update(self.new_days)
        if direction == "consumption":
            point.uncoloured.difference_update(self.totals)
            point.uncoloured.update(self.uncoloured)


@dataclass(frozen=True)
class Pricing:
    """How readings become lines: the tags of :attr:`classifier`, the prices of
    :attr:`prices`, on Tempo the colours of :attr:`colours`."""

    classifier: Classifier
    prices: PriceList
    colours: TempoColours | None = None

    def curve_lines(
        self,
        point: UsagePointState,
        usage_point_id: str,
        direction: Direction,
        readings: list[CurveReading],
        summary: SeriesSummary,
    ) -> CurveLines:
        """Each interval tagged and priced (on Tempo, at its day's colour, or without a cost
        while that colour is not known); each day's totals."""
        out = CurveLines()
        written = point.day_schedules

        def schedule_for(day: date) -> DaySchedule:
            return written.get(day) or out.new_days.setdefault(
                day, self.classifier.schedule_on(usage_point_id, day)
            )

        for run in self.classifier.runs(usage_point_id, direction, readings, schedule_for):
            tariff, colour = run.tariff, None
            if direction == "consumption" and schedule_for(run.day).tempo:
                colour = self._colour(run, out)
                if colour is None:  # priced once known: no cost rather than a guess
                    out.uncoloured.add(run.day)
                    per_kwh = None
                else:
                    per_kwh = self.prices.per_kwh(run.day, direction, tariff, colour)
            else:
                per_kwh = self.prices.per_kwh(run.day, direction, tariff)
            energies = [r.energy_wh for r in run.readings]
            costs = None if per_kwh is None else [energy_cost(e, per_kwh) for e in energies]
            out.lines += points.curve_lines(run, costs, colour)
            day_totals = out.totals[run.day]
            for energy, cost in zip(energies, costs or repeat(None), strict=False):
                day_totals.add(tariff, energy, cost, colour)
                summary.energy_by_tariff[tariff] += energy
                if cost is not None:
                    summary.cost_by_tariff[tariff] += cost
            summary.curve_points += len(energies)
        out.lines += points.tempo_lines(out.tempo)
        return out

    def circuit_lines(
        self, point: UsagePointState, usage_point_id: str, readings: list[CircuitReading]
    ) -> list[str]:
        """Netatmo circuits' buckets, tagged as the meter their home hangs off is on each day
        (the schedule its curve was written with, else the one in force), and the electric
        ones priced as its consumption (on Tempo, once the day's colour is known)."""
        by_circuit: dict[Circuit, list[CircuitReading]] = defaultdict(list)
        for reading in readings:
            by_circuit[reading.circuit].append(reading)
        lines: list[str] = []

        def schedule_for(day: date) -> DaySchedule:
            return point.day_schedules.get(day) or self.classifier.schedule_on(usage_point_id, day)

        for circuit, some in by_circuit.items():
            curve = [
                CurveReading(
                    usage_point_id,
                    "consumption",
                    r.timestamp,
                    r.minutes,
                    r.energy_wh * 60 / r.minutes,
                )
                for r in some
            ]
            energy = {r.timestamp: r.energy_wh for r in some}
            for run in self.classifier.runs(usage_point_id, "consumption", curve, schedule_for):
                per_kwh = None
                if circuit.kind == "electric":
                    tempo = schedule_for(run.day).tempo
                    colour = self._day_colour(run) if tempo else None
                    if colour is not None or not tempo:
                        per_kwh = self.prices.per_kwh(run.day, "consumption", run.tariff, colour)
                energies = [energy[r.timestamp] for r in run.readings]
                costs = None if per_kwh is None else [energy_cost(e, per_kwh) for e in energies]
                lines += points.circuit_lines(circuit, run, energies, costs)
        return lines

    def _day_colour(self, run: TariffRun) -> Colour | None:
        """The colour of the run's Tempo day (a run never crosses 06:00: HC ends there)."""
        day = tempo_day(run.readings[0].start)
        return self.colours.colour(day) if self.colours is not None else None

    def _colour(self, run: TariffRun, out: CurveLines) -> Colour | None:
        """The run's Tempo colour, remembered for its ``linky_tempo`` point once known."""
        colour = self._day_colour(run)
        if colour is not None:
            out.tempo[tempo_day(run.readings[0].start)] = colour
        return colour

    def daily_lines(
        self,
        point: UsagePointState,
        readings: list[DailyReading],
        summary: SeriesSummary,
        *,
        energy: bool = True,
    ) -> list[str]:
        """Each day's energy with its complete curve's split and cost (else the BASE or
        production price times the energy), and its share of the subscription; without its
        ``energy``, the rest only, for a day whose energy is already written."""
        lines = []
        for r in readings:
            summary.daily_energy_wh += r.energy_wh
            curve = _curve_totals(point, r)
            cost = curve.cost_eur if curve is not None else None
            if cost is None:
                cost = self.prices.cost(r.day, r.direction, BASE, r.energy_wh)
            share = self.prices.subscription_share(r.day) if r.direction == "consumption" else None
            split = curve.energy_wh if curve is not None else None
            colour_costs = curve.colour_cost_eur if curve is not None else None
            lines.append(points.daily_line(r, cost, share, split, colour_costs, energy=energy))
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
        for key, cost in day_totals.colour_cost_eur.items():
            day_totals.colour_cost_eur[key] = round(cost, DIGITS)
        kept[day] = day_totals
        if before[day] != "complete" and daily.status(day) == "complete":
            daily.mark(day, "stale")
