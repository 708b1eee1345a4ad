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

A section may have a winter and a summer part (``hiver … été …``): each day is answered with
the part of its season (:mod:`linkyflux.tariffs.seasons`), else the section's own rules.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache, cached_property, lru_cache
from typing import TYPE_CHECKING, Final, Literal

from linkyflux.errors import ConfigError
from linkyflux.tariffs.seasons import SEASON_WORDS, SUMMER, TURPE_SEASONS, WINTER, Season, Seasons
from linkyflux.tariffs.wallclock import clock_stretches
from linkyflux.text import excerpt
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
    """The rules of all usage points, or of one; ``production`` is ``None`` without ``P``.
    A season part (``winter``, ``summer``: a section of its own, without season parts)
    replaces these rules, both directions, on the days of its season."""

    consumption: DayRules = DayRules()
    production: DayRules | None = None
    winter: Section | None = None
    summer: Section | None = None

    @property
    def seasonal(self) -> bool:
        return self.winter is not None or self.summer is not None

    def in_season(self, season: Season | None) -> Section:
        """The part that applies in ``season`` (None: the rules outside any season part)."""
        part = self.winter if season == WINTER else self.summer if season == SUMMER else None
        return self if part is None else part

    def rules(self, direction: str) -> DayRules:
        if direction == PRODUCTION and self.production is not None:
            return self.production
        return self.consumption


Changes = tuple[tuple[datetime, str], ...]
"""Tariffs over time: each instant (UTC) from which a tariff applies, in order."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; equality compares meaning (sections, subdivision, seasons), not text."""

    text: str = field(compare=False)
    all_usage_points: Section | None = None
    usage_points: tuple[tuple[str, Section], ...] = ()
    holiday_subdivision: str | None = None
    # a tariff named instead of hours: "BASE" (single rate, whatever the contract; an empty
    # text leaves it to the contract) or "TEMPO" (HC 22:00-06:00, see linkyflux.tariffs.tempo)
    option: Literal["", "BASE", "TEMPO"] = ""
    # the first days of winter and summer, for the season parts (hiver …, été …)
    seasons: Seasons = TURPE_SEASONS
    # Per (usage point, direction, season): 14 boundary tuples, index weekday (+7 on a holiday).
    _tables: dict[tuple[str, str, Season | None], tuple[tuple[int, ...], ...]] = field(
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

    @cached_property
    def seasonal(self) -> bool:
        """True when a section has a season part: its hours depend on the day's season."""
        sections = [self.all_usage_points, *(section for _, section in self.usage_points)]
        return any(section is not None and section.seasonal for section in sections)

    def season_of(self, day: date) -> Season | None:
        """The season of a Europe/Paris day; None when the schedule has no season part."""
        return self.seasons.season_of(day) if self.seasonal else None

    def section_for(self, usage_point_id: str) -> Section | None:
        for section_of, section in self.usage_points:
            if section_of == usage_point_id:
                return section
        return self.all_usage_points

    def rules_for(
        self, usage_point_id: str, direction: str, season: Season | None = None
    ) -> DayRules:
        """The rules that apply (in ``season``); empty (HP all the time) when no section
        covers the point."""
        _check_direction(direction)
        section = self.section_for(usage_point_id)
        return DayRules() if section is None else section.in_season(season).rules(direction)

    def is_holiday(self, day: date) -> bool:
        return day in _france_holidays(self.holiday_subdivision)

    def ranges_on(self, usage_point_id: str, direction: str, day: date) -> tuple[TimeRange, ...]:
        """The off-peak ranges in force on a Europe/Paris ``day`` (in its season)."""
        rules = self.rules_for(usage_point_id, direction, self.season_of(day))
        return rules.ranges_for(day.weekday(), rules.holiday is not None and self.is_holiday(day))

    def classify(
        self, usage_point_id: str, direction: str, start: datetime, season: Season | None = None
    ) -> str:
        """BASE, HC or HP for the interval starting at the aware instant ``start``: the
        tariff of its Europe/Paris wall-clock minute, on its day (see :meth:`changes_on`).
        One instant: :meth:`Classifier.runs` classifies a load curve."""
        day = paris_day(start)
        changes = self.changes_on(usage_point_id, direction, day, season)
        return changes[bisect_right([at for at, _ in changes], start) - 1][1]

    def changes_on(
        self, usage_point_id: str, direction: str, day: date, season: Season | None = None
    ) -> Changes:
        """The tariff from the Europe/Paris midnight that starts ``day``, then each instant
        (UTC) it changes that day: at the wall-clock boundaries of the day's ranges, so a
        boundary the spring change skips does not occur and one the autumn change repeats
        occurs twice. The public holidays are looked up only when they make a difference.
        A seasonal schedule answers with the part of ``season``, by default the day's (a
        day recorded with its season is answered the same way later, whatever the seasons
        configured then)."""
        if self.is_base():
            _check_direction(direction)
            return ((paris_midnight(day), BASE),)
        season = (season or self.seasons.season_of(day)) if self.seasonal else None
        table = self._tables.get((usage_point_id, direction, season))
        if table is None:  # first call for this point, direction, season (validates direction)
            table = self._table(usage_point_id, direction, season)
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
            parts = [(name, section)]
            if section.seasonal:
                parts = [(f"{name}, {s}", section.in_season(s)) for s in (WINTER, SUMMER)]
            for label, part in parts:
                lines.append(f"{label}, consumption: {_describe_rules(part.consumption)}")
                production = part.production
                text = "as consumption" if production is None else _describe_rules(production)
                lines.append(f"{label}, production: {text}")
        if self.all_usage_points is None:
            lines.append("other usage points: no off-peak hours (HP)")
        if self.seasonal:
            lines.append(f"seasons: {self.seasons.describe()}")
        if self.holiday_subdivision is not None:
            lines.append(f"public holidays: France, subdivision {self.holiday_subdivision}")
        return "\n".join(lines)

    def _table(
        self, usage_point_id: str, direction: str, season: Season | None
    ) -> tuple[tuple[int, ...], ...]:
        rules = self.rules_for(usage_point_id, direction, season)
        table = tuple(_boundaries(rules.ranges_for(key % 7, key >= 7)) for key in range(14))
        self._tables[(usage_point_id, direction, season)] = table
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
            f'offpeak schedule: unknown public holiday subdivision "{excerpt(str(subdivision))}" '
            f"for France (known: {', '.join(known)}, 67, 68)"
        ) from exc


def _section_tokens(section: Section) -> list[str]:
    """The rules outside any season, then each season word and its part's rules."""
    tokens = _part_tokens(section)
    for word, part in zip(SEASON_WORDS.values(), (section.winter, section.summer), strict=True):
        if part is not None:
            tokens += [word, *_part_tokens(part)]
    return tokens


def _part_tokens(section: Section) -> list[str]:
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
