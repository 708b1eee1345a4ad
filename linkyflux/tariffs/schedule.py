"""Off-peak (HC/HP) schedules as parsed, and what they answer: the tariff of an instant, when
it changes on a day, the schedule as text.

Pure: no I/O and no clock. :func:`~linkyflux.tariffs.grammar.parse_offpeak` builds a
:class:`Schedule` of frozen, comparable dataclasses (the grammar and its scoping rules are in
the docstring of :mod:`linkyflux.tariffs.grammar`); :meth:`Schedule.classify` tags one meter
interval by its start instant.

Differences from DomoticzLinky (docs/offpeak-schedule.md §2) in what a schedule answers:

- each interval is classified by its start, in Europe/Paris wall-clock time, against half-open
  ranges ``[begin, end)``, so 30-minute boundaries such as ``22h30`` are exact;
- public holidays come from the ``holidays`` package, with an optional subdivision
  (Alsace-Moselle: ``57``, ``6AE``, or ``67``/``68`` which mean ``6AE``).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final, Literal

from linkyflux.errors import ConfigError
from linkyflux.tariffs.wallclock import clock_stretches
from linkyflux.timeutil import paris_day, paris_midnight

if TYPE_CHECKING:
    import holidays

BASE: Final = "BASE"
HC: Final = "HC"
HP: Final = "HP"
CONSUMPTION: Final = "consumption"
PRODUCTION: Final = "production"
_DIRECTIONS: Final = frozenset({CONSUMPTION, PRODUCTION})

DAY_END: Final = 24 * 60
_ONE_MINUTE: Final = timedelta(minutes=1)
_NO_ENTRY: Final[tuple[None, ...]] = (None,) * 7

# The grammar's day and holiday words: the grammar reads them, to_text writes the first of each.
DAY_NAMES: Final = (
    ("lundi", "monday"),
    ("mardi", "tuesday"),
    ("mercredi", "wednesday"),
    ("jeudi", "thursday"),
    ("vendredi", "friday"),
    ("samedi", "saturday"),
    ("dimanche", "sunday"),
)
_WEEKDAY_LABELS: Final = tuple(english.capitalize() for _, english in DAY_NAMES)
HOLIDAY_NAMES: Final = ("feries", "jours", "public", "bank", "holidays")

_ALSACE_DEPARTMENTS: Final = frozenset({"67", "68"})


class ScheduleError(ConfigError, ValueError):
    """The off-peak schedule is malformed: the message names the token and its position (or
    the unknown public holiday subdivision)."""


@dataclass(frozen=True, order=True)
class TimeRange:
    """``[begin, end)`` in minutes after local midnight; ``end <= begin`` wraps past midnight."""

    begin: int
    end: int

    def pieces(self) -> tuple[tuple[int, int], ...]:
        """The range as non-empty ``(begin, end)`` minute spans within one day."""
        if self.begin < self.end:
            return ((self.begin, self.end),)
        spans = ((self.begin, DAY_END), (0, self.end))
        return tuple((b, e) for b, e in spans if b < e)

    def __str__(self) -> str:
        return f"{_clock(self.begin)}-{_clock(self.end)}"


WHOLE_DAY: Final = TimeRange(0, DAY_END)


@dataclass(frozen=True)
class DayRules:
    """The off-peak ranges of one direction of one section; ``None`` means "not written"."""

    default: tuple[TimeRange, ...] = ()
    weekdays: tuple[tuple[TimeRange, ...] | None, ...] = _NO_ENTRY
    holiday: tuple[TimeRange, ...] | None = None

    def ranges_for(self, weekday: int, is_holiday: bool) -> tuple[TimeRange, ...]:
        if is_holiday and self.holiday is not None:
            return self.holiday
        day = self.weekdays[weekday]
        return self.default if day is None else day


@dataclass(frozen=True)
class Section:
    """The rules of all usage points, or of one; ``production`` is ``None`` without ``P``."""

    consumption: DayRules = DayRules()
    production: DayRules | None = None

    def rules(self, direction: str) -> DayRules:
        if direction == PRODUCTION and self.production is not None:
            return self.production
        return self.consumption


Changes = tuple[tuple[datetime, str], ...]
"""Tariffs over time: each instant (UTC) from which a tariff applies, in order."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule. Equality compares meaning (sections, subdivision), not ``text``."""

    text: str = field(compare=False)
    all_usage_points: Section | None = None
    usage_points: tuple[tuple[str, Section], ...] = ()
    holiday_subdivision: str | None = None
    # a tariff named instead of hours: "BASE" (single rate, whatever the contract; an empty
    # text leaves it to the contract) or "TEMPO" (HC 22:00-06:00, see linkyflux.tariffs.tempo)
    option: Literal["", "BASE", "TEMPO"] = ""
    # Per (usage point, direction): 14 sorted boundary tuples, index weekday (+7 on a holiday).
    _tables: dict[tuple[str, str], tuple[tuple[int, ...], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.holiday_subdivision is not None:  # a configuration error: say it now
            _france_holidays(self.holiday_subdivision)

    @property
    def single_rate(self) -> bool:
        return self.option == "BASE"

    @property
    def tempo(self) -> bool:
        return self.option == "TEMPO"

    def is_base(self) -> bool:
        """True when the text holds no range: everything is BASE."""
        return self.all_usage_points is None and not self.usage_points

    def section_for(self, usage_point_id: str) -> Section | None:
        for section_of, section in self.usage_points:
            if section_of == usage_point_id:
                return section
        return self.all_usage_points

    def rules_for(self, usage_point_id: str, direction: str) -> DayRules:
        """The rules that apply; empty (HP all the time) when no section covers the point."""
        _check_direction(direction)
        section = self.section_for(usage_point_id)
        return DayRules() if section is None else section.rules(direction)

    def is_holiday(self, day: date) -> bool:
        return day in _france_holidays(self.holiday_subdivision)

    def ranges_on(self, usage_point_id: str, direction: str, day: date) -> tuple[TimeRange, ...]:
        """The off-peak ranges in force on a Europe/Paris ``day``."""
        rules = self.rules_for(usage_point_id, direction)
        return rules.ranges_for(day.weekday(), rules.holiday is not None and self.is_holiday(day))

    def classify(self, usage_point_id: str, direction: str, start: datetime) -> str:
        """BASE, HC or HP for the interval starting at the aware instant ``start``: the
        tariff of its Europe/Paris wall-clock minute, on its day (see :meth:`changes_on`).
        One instant: :meth:`Classifier.runs` classifies a load curve."""
        day = paris_day(start)
        changes = self.changes_on(usage_point_id, direction, day)
        return changes[bisect_right([at for at, _ in changes], start) - 1][1]

    def changes_on(self, usage_point_id: str, direction: str, day: date) -> Changes:
        """The tariff from the Europe/Paris midnight that starts ``day``, then each instant
        (UTC) it changes that day: at the wall-clock boundaries of the day's ranges, so a
        boundary the spring change skips does not occur and one the autumn change repeats
        occurs twice. The public holidays are looked up only when they make a difference."""
        if self.is_base():
            _check_direction(direction)
            return ((paris_midnight(day), BASE),)
        table = self._tables.get((usage_point_id, direction))
        if table is None:  # first call for this point and direction (validates the direction)
            table = self._table(usage_point_id, direction)
        key = day.weekday()
        if table[key + 7] != table[key] and self.is_holiday(day):
            key += 7
        return _wall_clock_changes(table[key], day)

    def to_text(self) -> str:
        """The canonical one-liner: parsing it gives an equal schedule (the holiday
        subdivision is a separate setting and not part of the text)."""
        if self.option:
            return self.option
        tokens = [] if self.all_usage_points is None else _section_tokens(self.all_usage_points)
        for usage_point_id, section in self.usage_points:
            tokens += [usage_point_id, *_section_tokens(section)]
        return " ".join(tokens)

    def describe(self) -> str:
        """A readable, normalized description, one line per section and direction."""
        if self.single_rate:
            return "BASE: a single-rate tariff, every interval is BASE (whatever the contract)"
        if self.tempo:
            return "Tempo: HC 22:00-06:00 every day, each kWh at its day's colour (06:00-06:00)"
        if self.is_base():
            return "no off-peak schedule: every interval is BASE"
        named: list[tuple[str, Section]] = []
        if self.all_usage_points is not None:
            named.append(("all usage points", self.all_usage_points))
        named += [
            (f"usage point {usage_point_id}", section)
            for usage_point_id, section in self.usage_points
        ]
        lines = []
        for name, section in named:
            lines.append(f"{name}, consumption: {_describe_rules(section.consumption)}")
            production = section.production
            text = "as consumption" if production is None else _describe_rules(production)
            lines.append(f"{name}, production: {text}")
        if self.all_usage_points is None:
            lines.append("other usage points: no off-peak hours (HP)")
        if self.holiday_subdivision is not None:
            lines.append(f"public holidays: France, subdivision {self.holiday_subdivision}")
        return "\n".join(lines)

    def _table(self, usage_point_id: str, direction: str) -> tuple[tuple[int, ...], ...]:
        rules = self.rules_for(usage_point_id, direction)
        table = tuple(_boundaries(rules.ranges_for(key % 7, key >= 7)) for key in range(14))
        self._tables[(usage_point_id, direction)] = table
        return table


def _boundaries(ranges: tuple[TimeRange, ...]) -> tuple[int, ...]:
    """Merged spans flattened to sorted boundaries: a minute is HC when bisect_right is odd."""
    merged: list[list[int]] = []
    for begin, end in sorted(piece for r in ranges for piece in r.pieces()):
        if merged and begin <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([begin, end])
    return tuple(bound for span in merged for bound in span)


@lru_cache(maxsize=2048)
def _wall_clock_changes(bounds: tuple[int, ...], day: date) -> Changes:
    """The :data:`Changes` of a Paris day whose off-peak minutes are ``bounds`` (see
    :func:`_boundaries`): a minute of the day is read on the wall clock, which the spring
    change moves from 02:00 to 03:00 and the autumn one back from 03:00 to 02:00. Kept for
    the other usage points, directions and schedules with the same ranges that day (a few
    hundred bytes a day, for years of history)."""

    def tariff(minute: int) -> str:
        return HC if bisect_right(bounds, minute) % 2 else HP

    changes: list[tuple[datetime, str]] = []
    for begin, end, clock_midnight in clock_stretches(day):
        stretch = [(begin, tariff((begin - clock_midnight) // _ONE_MINUTE))]
        for minute in bounds:
            at = clock_midnight + minute * _ONE_MINUTE
            if begin < at < end:
                stretch.append((at, tariff(minute)))
        for at, tariff_then in stretch:
            if not changes or tariff_then != changes[-1][1]:
                changes.append((at, tariff_then))
    return tuple(changes)


def _check_direction(direction: str) -> None:
    if direction not in _DIRECTIONS:
        raise ValueError(f'direction must be "consumption" or "production", not {direction!r}')


@cache
def _france_holidays(subdivision: str | None) -> holidays.HolidayBase:
    """France's public holidays, built on first use and kept for the process: importing
    ``holidays`` and building a calendar (which imports every country's module) takes
    about 0.2 s, so a schedule without a holiday list never does it (unless a subdivision
    is configured, which is checked when the schedule is parsed)."""
    import holidays

    known = holidays.country_holidays("FR").subdivisions
    if subdivision in _ALSACE_DEPARTMENTS and subdivision not in known and "6AE" in known:
        subdivision = "6AE"  # Bas-Rhin and Haut-Rhin: the holidays package groups them
    try:
        return holidays.country_holidays("FR", subdiv=subdivision)
    except NotImplementedError as exc:
        raise ScheduleError(
            f'offpeak schedule: unknown public holiday subdivision "{subdivision}" for France '
            f"(known: {', '.join(known)}, 67, 68)"
        ) from exc


def _section_tokens(section: Section) -> list[str]:
    tokens = _rules_tokens(section.consumption)
    if section.production is not None:
        tokens += ["P", *_rules_tokens(section.production)]
    return tokens


def _rules_tokens(rules: DayRules) -> list[str]:
    """Default ranges, then each day word with its ranges; the words of days without
    off-peak hours go last, where no range follows them."""
    tokens = [str(r) for r in rules.default]
    bare = []
    days = [(names[0], day) for names, day in zip(DAY_NAMES, rules.weekdays, strict=True)]
    for word, ranges in [*days, (HOLIDAY_NAMES[0], rules.holiday)]:
        if ranges is None:
            continue
        if ranges:
            tokens += [word, *map(str, ranges)]
        else:
            bare.append(word)
    return tokens + bare


def _describe_rules(rules: DayRules) -> str:
    parts = [
        f"{label} {_describe_ranges(day)}"
        for label, day in zip(_WEEKDAY_LABELS, rules.weekdays, strict=True)
        if day is not None
    ]
    if rules.holiday is not None:
        parts.append(f"public holidays {_describe_ranges(rules.holiday)}")
    if not parts and not rules.default:
        return "no off-peak hours (HP)"
    parts.insert(0, f"{'other days' if parts else 'every day'} {_describe_ranges(rules.default)}")
    return "; ".join(parts)


def _describe_ranges(ranges: tuple[TimeRange, ...]) -> str:
    return ", ".join(map(str, ranges)) if ranges else "none"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
