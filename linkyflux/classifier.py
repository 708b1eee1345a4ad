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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from linkyflux.contracts import Contract
from linkyflux.tariffs import (
    BASE,
    KEPT_DAYS,
    Changes,
    Schedule,
    ScheduleError,
    Timelines,
    parse_offpeak,
)
from linkyflux.timeutil import paris_midnight

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


class Classifier:
    """Classifies load-curve intervals by the schedule in force on their day, else the
    usage point's contract (see the module's docstring).

    Its schedules and contracts do not change during its life (``fetch`` makes a new one
    after reading the contracts again), so two things are worked out once and kept (for
    the last :data:`~linkyflux.tariffs.KEPT_DAYS` days): what classifies a usage point on a
    Paris day (:meth:`spec_on`), and, per usage point, direction and UTC day, the instants
    its tariff changes at (:class:`~linkyflux.tariffs.Timelines`).
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
        self._timelines = Timelines(self._changes_on)

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
        """HC, HP or BASE; with ``spec``, as that recorded schedule said (see :meth:`spec_on`)."""
        if spec:
            schedule = schedule_of(spec)
            return BASE if schedule is None else schedule.classify(usage_point_id, direction, start)
        return self._timelines.tariff(usage_point_id, direction, start)

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

    def _changes_on(self, usage_point_id: str, direction: str, day: date) -> Changes:
        schedule = schedule_of(self.spec_on(usage_point_id, day))
        if schedule is None:
            return ((paris_midnight(day), BASE),)
        return schedule.changes_on(usage_point_id, direction, day)


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
