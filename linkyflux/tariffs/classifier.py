"""Which off-peak schedule applies to an interval: the configured ones by date, else the
usage point's contract.

- ``[tariff] offpeak`` applies from the beginning; each ``[[tariff.schedule]]`` from its
  ``from`` day on (Europe/Paris), until the next one: a backfill classifies every day with
  the schedule in force that day.
- Where the schedule in force is empty, the usage point's contract decides: a single-rate
  tariff code (``…ST``) means BASE, its off-peak hours (``"HC (22H00-6H00)"``,
  ``"HC (1H30-8H00;12H30-14H00)"``, lower-case ``h`` too) are used as a schedule; no contract
  information means BASE.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from typing import Final, NamedTuple

from linkyflux.models import Contract, CurveReading
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.schedule import BASE, Changes, Schedule, ScheduleError
from linkyflux.timeutil import paris_day, paris_midnight

# Classifier.spec_on's cache is emptied when it holds this many days: readings come in date
# order, so only the days at hand are looked up again, and memory stays the same however long
# the history.
KEPT_DAYS: Final = 1024

_CONTRACT_RANGE = re.compile(r"(\d{1,2})\s*[hH:]\s*(\d{2})?\s*-\s*(\d{1,2})\s*[hH:]\s*(\d{2})?")


@dataclass(frozen=True)
class DatedSchedule:
    start: date | None  # None: from the beginning
    schedule: Schedule


def contract_ranges(offpeak_hours: str) -> list[str]:
    """A contract's ``"HC (1H30-8H00;12H30-14H00)"`` as ``["01:30-08:00", "12:30-14:00"]``."""
    return [
        f"{int(h1):02d}:{m1 or '00'}-{int(h2):02d}:{m2 or '00'}"
        for h1, m1, h2, m2 in _CONTRACT_RANGE.findall(offpeak_hours)
    ]


def contract_schedule(offpeak_hours: str, holiday_subdivision: str | None = None) -> Schedule:
    """A contract's ``"HC (1H30-8H00;12H30-14H00)"`` as a schedule (every day, holidays too)."""
    ranges = contract_ranges(offpeak_hours)
    if not ranges:
        raise ScheduleError(f"contract off-peak hours {offpeak_hours!r}: no range found")
    return parse_offpeak(" ".join(ranges), holiday_subdivision=holiday_subdivision)


class TariffRun(NamedTuple):
    """Readings of one usage point and direction in a row, on one Europe/Paris day, in one
    tariff, of one interval length (see :meth:`Classifier.runs`)."""

    usage_point_id: str
    direction: str
    day: date
    tariff: str
    minutes: int
    readings: list[CurveReading]


class Classifier:
    """Classifies load-curve intervals by the schedule in force on their day, else the
    usage point's contract (see the module's docstring).

    Its schedules and contracts do not change during its life (``fetch`` makes a new one
    after reading the contracts again), so what classifies a usage point on a Paris day
    (:meth:`spec_on`) is worked out once and kept (for the last :data:`KEPT_DAYS` days).
    """

    def __init__(
        self,
        schedules: Sequence[DatedSchedule],
        contracts: Mapping[str, Contract | None],
        holiday_subdivision: str | None = None,
    ) -> None:
        self.schedules = sorted(schedules, key=lambda s: s.start or date.min)
        self.contracts = dict(contracts)  # a copy: the caches rely on it staying the same
        self.holiday_subdivision = holiday_subdivision
        self._specs: dict[tuple[str, date], str] = {}

    def spec_on(self, usage_point_id: str, day: date) -> str:
        """What classifies that day, as a string that can rebuild it later:
        ``schedule:<text>``, ``contract:<off-peak hours>`` or ``base`` (with the holiday
        subdivision after a ``|`` when there is one)."""
        spec = self._specs.get((usage_point_id, day))
        if spec is None:
            if len(self._specs) >= KEPT_DAYS:
                self._specs.clear()
            spec = self._specs[(usage_point_id, day)] = self._spec_on(usage_point_id, day)
        return spec

    def classify(
        self, usage_point_id: str, direction: str, start: datetime, spec: str | None = None
    ) -> str:
        """HC, HP or BASE for the interval starting at ``start``; with ``spec``, as that
        recorded schedule said (see :meth:`spec_on`). One instant: :meth:`runs` classifies
        a load curve."""
        if not spec:
            spec = self.spec_on(usage_point_id, paris_day(start))
        schedule = schedule_of(spec)
        return BASE if schedule is None else schedule.classify(usage_point_id, direction, start)

    def runs(
        self,
        usage_point_id: str,
        direction: str,
        readings: Iterable[CurveReading],
        spec_for: Callable[[date], str] | None = None,
    ) -> Iterator[TariffRun]:
        """The readings of one usage point and direction, in their order, cut where the
        Paris day, the tariff or the interval length changes: each run's tariff is what
        :meth:`classify` says of each of its readings' starts. ``spec_for(day)`` names
        what classifies a day (by default :meth:`spec_on`; the pipeline passes the spec a
        day was first written with).

        A day's changes are worked out once per day of readings, then a reading costs two
        comparisons of its timestamp with the bounds of the current stretch of one tariff.
        Readings in time order make the fewest runs; any order gives the right tariffs."""
        spec_for = spec_for or partial(self.spec_on, usage_point_id)
        day, tariff, minutes = date.min, BASE, 0
        low = high = day_begin = day_end = 0  # the current stretch, and its day (epoch seconds)
        instants: tuple[int, ...] = ()
        tariffs: tuple[str, ...] = ()
        run: list[CurveReading] = []
        for reading in readings:
            if reading.usage_point_id != usage_point_id or reading.direction != direction:
                raise ValueError(
                    f"a run is of {usage_point_id} {direction}, not of "
                    f"{reading.usage_point_id} {reading.direction}"
                )
            at = reading.timestamp
            if not low <= at < high or reading.minutes != minutes:  # another run
                if run:
                    yield TariffRun(usage_point_id, direction, day, tariff, minutes, run)
                    run = []
                minutes = reading.minutes
                if not day_begin <= at < day_end:  # another day
                    day = paris_day(reading.start)
                    changes = self._changes_on(usage_point_id, direction, day, spec_for(day))
                    instants, tariffs = _epochs(changes, day)
                    day_begin, day_end = instants[0], instants[-1]
                index = bisect_right(instants, at) - 1
                low, high, tariff = instants[index], instants[index + 1], tariffs[index]
            run.append(reading)
        if run:
            yield TariffRun(usage_point_id, direction, day, tariff, minutes, run)

    def _spec_on(self, usage_point_id: str, day: date) -> str:
        chosen: Schedule | None = None
        for dated in self.schedules:
            if dated.start is None or dated.start <= day:
                chosen = dated.schedule
        suffix = f"|{self.holiday_subdivision}" if self.holiday_subdivision else ""
        if chosen is not None and not chosen.is_base():
            return f"schedule:{chosen.text}{suffix}"
        contract = self.contracts.get(usage_point_id)
        if contract is None or contract.single_rate or not contract.offpeak_hours:
            return "base"
        return f"contract:{contract.offpeak_hours}{suffix}"

    @staticmethod
    def _changes_on(usage_point_id: str, direction: str, day: date, spec: str) -> Changes:
        schedule = schedule_of(spec)
        if schedule is None:
            return ((paris_midnight(day), BASE),)
        return schedule.changes_on(usage_point_id, direction, day)


_ONE_DAY = timedelta(days=1)


@lru_cache(maxsize=4096)
def _epochs(changes: Changes, day: date) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """A Paris day's changes as the epoch seconds they happen at, followed by the next
    midnight, and the tariffs from each. Kept for the other usage points and directions
    with the same changes that day."""
    instants = [int(at.timestamp()) for at, _ in changes]
    instants.append(int(paris_midnight(day + _ONE_DAY).timestamp()))
    return tuple(instants), tuple(tariff for _, tariff in changes)


@lru_cache(maxsize=256)
def schedule_of(spec: str) -> Schedule | None:
    """The schedule a spec of :meth:`Classifier.spec_on` names (None: BASE)."""
    kind, _, rest = spec.partition(":")
    text, _, subdivision = rest.partition("|")
    try:
        if kind == "schedule":
            return parse_offpeak(text, holiday_subdivision=subdivision or None)
        if kind == "contract":
            return contract_schedule(text, subdivision or None)
    except ScheduleError:
        return None  # unreadable contract hours: BASE rather than a guess
    return None
