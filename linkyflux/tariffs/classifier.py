"""Which off-peak schedule applies to an interval: the configured ones by date, else the
usage point's contract.

- ``[tariff] offpeak`` applies from the beginning; each ``[[tariff.schedule]]`` from its
  ``from`` day on (Europe/Paris), until the next one: a backfill classifies every day with
  the schedule in force that day. A seasonal schedule (``hiver … été …``) tags each day with
  the hours of its season, and the day's record keeps that season.
- Where the schedule in force is empty, the usage point's contract decides: a single-rate
  tariff code (``…ST``) means BASE, its off-peak hours (``"HC (22H00-6H00)"``,
  ``"HC (1H30-8H00;12H30-14H00)"``, lower-case ``h`` too) are used as a schedule; no contract
  information means BASE. ``BASE`` is not empty: every interval is BASE, whatever the
  contract.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache, partial
from typing import Final, Literal, NamedTuple

from linkyflux.models import Contract, CurveReading
from linkyflux.tariffs.grammar import named_option, parse_offpeak
from linkyflux.tariffs.schedule import BASE, Changes, Schedule, ScheduleError
from linkyflux.tariffs.seasons import SEASONS, Season
from linkyflux.timeutil import paris_day, paris_midnight

# Classifier.schedule_on's cache is emptied when it holds this many days: readings come in date
# order, so only the days at hand are looked up again, and memory stays the same however long
# the history.
KEPT_DAYS: Final = 1024

_CONTRACT_RANGE = re.compile(r"(\d{1,2})\s*[hH:]\s*(\d{2})?\s*-\s*(\d{1,2})\s*[hH:]\s*(\d{2})?")


@dataclass(frozen=True)
class DatedSchedule:
    start: date | None  # None: from the beginning
    schedule: Schedule


@dataclass(frozen=True)
class DaySchedule:
    """What classified a usage point's day, recorded with the day so that it is classified
    the same way later: the configured schedule (its text), the contract (its off-peak
    hours), or BASE; with the public holidays' subdivision and, for a seasonal schedule, the
    day's season (so that new season boundaries change only the days they move)."""

    source: Literal["schedule", "contract", "base"]
    offpeak: str = ""
    holiday_subdivision: str | None = None
    season: Season | None = None

    @property
    def tempo(self) -> bool:
        """The day is priced at its Tempo colour (``offpeak = "TEMPO"``)."""
        return self.source == "schedule" and named_option(self.offpeak) == "TEMPO"

    @property
    def configured(self) -> bool:
        """It comes from ``[tariff]`` (not from the contract, not BASE for want of one)."""
        return self.source == "schedule"

    def to_text(self) -> str:
        """As ``state.json`` keeps it: ``schedule:<text>``, ``contract:<off-peak hours>`` or
        ``base``, with ``|<subdivision>`` after the first two when there is one, then
        ``|<season>`` when there is one (``schedule:hiver 1h-7h été 2h-6h||winter``)."""
        if self.source == "base":
            return "base"
        suffix = f"|{self.holiday_subdivision}" if self.holiday_subdivision else ""
        if self.season:
            suffix = f"|{self.holiday_subdivision or ''}|{self.season}"
        return f"{self.source}:{self.offpeak}{suffix}"

    @classmethod
    def from_text(cls, text: str) -> DaySchedule:
        """The inverse of :meth:`to_text`; anything else is BASE (as an unreadable record
        classified). An unknown season is none: the day's, by the seasons configured."""
        source, _, rest = text.partition(":")
        offpeak, _, rest = rest.partition("|")
        subdivision, _, season = rest.partition("|")
        known = next((s for s in SEASONS if s == season), None)
        if source in ("schedule", "contract"):
            return cls(source, offpeak, subdivision or None, known)  # type: ignore[arg-type]
        return BASE_DAY


BASE_DAY = DaySchedule("base")


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
    (:meth:`schedule_on`) is worked out once and kept (for the last :data:`KEPT_DAYS` days).
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
        self._days: dict[tuple[str, date], DaySchedule] = {}

    def schedule_on(self, usage_point_id: str, day: date) -> DaySchedule:
        """What classifies that day, as a record that can rebuild it later."""
        kept = self._days.get((usage_point_id, day))
        if kept is None:
            if len(self._days) >= KEPT_DAYS:
                self._days.clear()
            kept = self._days[(usage_point_id, day)] = self._schedule_on(usage_point_id, day)
        return kept

    def classify(
        self,
        usage_point_id: str,
        direction: str,
        start: datetime,
        recorded: DaySchedule | None = None,
    ) -> str:
        """HC, HP or BASE for the interval starting at ``start``; with ``recorded``, as that
        recorded schedule said (see :meth:`schedule_on`). One instant: :meth:`runs`
        classifies a load curve."""
        if recorded is None:
            recorded = self.schedule_on(usage_point_id, paris_day(start))
        schedule = schedule_of(recorded)
        if schedule is None:
            return BASE
        return schedule.classify(usage_point_id, direction, start, recorded.season)

    def runs(
        self,
        usage_point_id: str,
        direction: str,
        readings: Iterable[CurveReading],
        schedule_for: Callable[[date], DaySchedule] | None = None,
    ) -> Iterator[TariffRun]:
        """The readings of one usage point and direction, in their order, cut where the
        Paris day, the tariff or the interval length changes: each run's tariff is what
        :meth:`classify` says of each of its readings' starts. ``schedule_for(day)`` names
        what classifies a day (by default :meth:`schedule_on`; the sync engine passes the
        one a day was first written with).

        A day's changes are worked out once per day of readings, then a reading costs two
        comparisons of its timestamp with the bounds of the current stretch of one tariff.
        Readings in time order make the fewest runs; any order gives the right tariffs."""
        schedule_for = schedule_for or partial(self.schedule_on, usage_point_id)
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
                    changes = self._changes_on(usage_point_id, direction, day, schedule_for(day))
                    instants, tariffs = _epochs(changes, day)
                    day_begin, day_end = instants[0], instants[-1]
                index = bisect_right(instants, at) - 1
                low, high, tariff = instants[index], instants[index + 1], tariffs[index]
            run.append(reading)
        if run:
            yield TariffRun(usage_point_id, direction, day, tariff, minutes, run)

    def _schedule_on(self, usage_point_id: str, day: date) -> DaySchedule:
        chosen: Schedule | None = None
        for dated in self.schedules:
            if dated.start is None or dated.start <= day:
                chosen = dated.schedule
        subdivision = self.holiday_subdivision
        if chosen is not None and (chosen.single_rate or not chosen.is_base()):
            return DaySchedule("schedule", chosen.text, subdivision, chosen.season_of(day))
        contract = self.contracts.get(usage_point_id)
        if contract is None or contract.single_rate or not contract.offpeak_hours:
            return BASE_DAY
        return DaySchedule("contract", contract.offpeak_hours, subdivision)

    @staticmethod
    def _changes_on(
        usage_point_id: str, direction: str, day: date, recorded: DaySchedule
    ) -> Changes:
        schedule = schedule_of(recorded)
        if schedule is None:
            return ((paris_midnight(day), BASE),)
        return schedule.changes_on(usage_point_id, direction, day, recorded.season)


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
def schedule_of(recorded: DaySchedule) -> Schedule | None:
    """The schedule a record of :meth:`Classifier.schedule_on` names (None: BASE)."""
    try:
        if recorded.source == "schedule":
            return parse_offpeak(recorded.offpeak, holiday_subdivision=recorded.holiday_subdivision)
        if recorded.source == "contract":
            return contract_schedule(recorded.offpeak, recorded.holiday_subdivision)
    except ScheduleError:
        return None  # unreadable contract hours: BASE rather than a guess
    return None
