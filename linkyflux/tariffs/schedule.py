"""Off-peak (HC/HP) schedules: parse the DomoticzLinky one-line syntax and classify instants.

Pure: no I/O and no clock. :func:`parse_offpeak` turns the text into frozen, comparable
dataclasses and :meth:`Schedule.classify` tags one meter interval by its start instant.

Grammar (tokens separated by spaces, commas or semicolons; case and accents do not matter)::

    RANGE    TIME SEP TIME    2h00-7h00  2:00-7:00  02h-07h  22h30-6h30  2h00a7h00  2h00 à 7h00
    TIME     H "h" [MM] | H ":" MM          H in 0-24, MM in 00-59; 24h00 is the end of the day
    SEP      one or more of - _ a à to, optionally with spaces around
    PDL      a run of digits                starts the section of that usage point
    PROD     p | prod | production          what follows is for production
    DAY      2+ first letters of a French or English weekday: lu mo ma tu me we je th ve fr
             sa di su, mer, wed, sat, samedi, Wednesday…
    HOLIDAY  2+ first letters of férié(s), jour(s), public, bank, holiday(s): fe fé jo ba ho pu…
    et, and  ignored, so that "samedi et dimanche" and "jour férié" read naturally

Scoping, as in DomoticzLinky: ranges before any day word are the default of every day; a day
list replaces the default on that day; the holiday list replaces both on a public holiday. A PDL
section replaces the all-PDL one for that usage point (no merge) and resets to consumption and
every day. Production uses its section's ``P`` list when there is one, else its consumption
list. A scope opened and followed by no range (a bare PDL, ``P`` or day) has no off-peak hours:
it is HP all the time. A range whose end is before its begin crosses midnight and covers the
evening and the morning of the same day (``mercredi 22h-6h`` is Wednesday 00:00-06:00 and
22:00-24:00). Usage points covered by no section are HP all the time.

Differences from DomoticzLinky (docs/offpeak-schedule.md §2):

- each interval is classified by its start, in Europe/Paris wall-clock time, against half-open
  ranges ``[begin, end)``, so 30-minute boundaries such as ``22h30`` are exact;
- ``0h00-24h00``, ``00h00-23h59`` and ``Xh-Xh`` all mean the whole day: ``24h00`` and ``23h59``
  as an end are the end of the day (DomoticzLinky clamps 24h00 to 23:59);
- several day words in a row (``samedi dimanche 0h-24h``) all get the ranges that follow;
- only ``p``, ``prod`` and ``production`` mean production (``public`` is a holiday word);
- an unknown word or malformed range raises :class:`ScheduleError` naming the token and its
  1-based position, instead of being skipped;
- public holidays come from the ``holidays`` package, with an optional subdivision
  (Alsace-Moselle: ``57``, ``6AE``, or ``67``/``68`` which mean ``6AE``).
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Final

from linkyflux.errors import ConfigError
from linkyflux.timeutil import PARIS, paris_day, paris_day_bounds, paris_midnight

if TYPE_CHECKING:
    import holidays

BASE: Final = "BASE"
HC: Final = "HC"
HP: Final = "HP"
CONSUMPTION: Final = "consumption"
PRODUCTION: Final = "production"
_DIRECTIONS: Final = frozenset({CONSUMPTION, PRODUCTION})

_DAY_END: Final = 24 * 60
_ONE_DAY: Final = timedelta(days=1)
_ONE_MINUTE: Final = timedelta(minutes=1)
_ONE_SECOND: Final = timedelta(seconds=1)
# Per-day caches (see Classifier.spec_on) are emptied when they hold this many days:
# readings come in date order, so only the days at hand are looked up again, and memory
# stays the same however long the history.
KEPT_DAYS: Final = 1024
_NO_ENTRY: Final[tuple[None, ...]] = (None,) * 7
# Scope keys used while parsing: 0-6 are Monday-Sunday.
_DEFAULT: Final = 7
_HOLIDAY: Final = 8

_DAY_NAMES: Final = (
    ("lundi", "monday"),
    ("mardi", "tuesday"),
    ("mercredi", "wednesday"),
    ("jeudi", "thursday"),
    ("vendredi", "friday"),
    ("samedi", "saturday"),
    ("dimanche", "sunday"),
)
_WEEKDAY_LABELS: Final = tuple(english.capitalize() for _, english in _DAY_NAMES)
_HOLIDAY_NAMES: Final = ("feries", "jours", "public", "bank", "holidays")
_PRODUCTION_WORDS: Final = frozenset({"p", "prod", "production"})
_CONNECTORS: Final = frozenset({"et", "and"})

_TIME = r"(?P<h{n}>\d+)(?:h(?P<m{n}>\d\d)?|:(?P<c{n}>\d\d))"
_SEP = r"\s*(?:[-_aà]|to)+\s*"
_END = r"(?=[\s,;]|$)"
_TOKEN: Final = re.compile(
    rf"(?P<range>{_TIME.format(n=1)}{_SEP}{_TIME.format(n=2)}){_END}"
    rf"|(?P<pdl>\d+){_END}"
    rf"|(?P<word>[^\W\d_]+){_END}"
    r"|(?P<bad>[^\s,;]+)",
    re.IGNORECASE,
)
_RANGE_WITHOUT_END: Final = re.compile(r"\d+(?:[h:]\d*)?(?:[-_aà]|to)*", re.IGNORECASE)
_GLUED_WORD: Final = re.compile(r"([^\W\d_]+)(\d.*)")

_ALSACE_DEPARTMENTS: Final = frozenset({"67", "68"})


class ScheduleError(ConfigError, ValueError):
    """The off-peak schedule text is malformed: the message names the token and its position."""


@dataclass(frozen=True, order=True)
class TimeRange:
    """``[begin, end)`` in minutes after local midnight; ``end <= begin`` wraps past midnight."""

    begin: int
    end: int

    def pieces(self) -> tuple[tuple[int, int], ...]:
        """The range as non-empty ``(begin, end)`` minute spans within one day."""
        if self.begin < self.end:
            return ((self.begin, self.end),)
        spans = ((self.begin, _DAY_END), (0, self.end))
        return tuple((b, e) for b, e in spans if b < e)

    def __str__(self) -> str:
        return f"{_clock(self.begin)}-{_clock(self.end)}"


WHOLE_DAY: Final = TimeRange(0, _DAY_END)


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
    # Per (usage point, direction): 14 sorted boundary tuples, index weekday (+7 on a holiday).
    _tables: dict[tuple[str, str], tuple[tuple[int, ...], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.holiday_subdivision is not None:  # a configuration error: say it now
            _france_holidays(self.holiday_subdivision)

    def is_base(self) -> bool:
        """True when the text holds no token: everything is BASE."""
        return self.all_usage_points is None and not self.usage_points

    def section_for(self, usage_point_id: str) -> Section | None:
        for pdl, section in self.usage_points:
            if pdl == usage_point_id:
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
        tokens = [] if self.all_usage_points is None else _section_tokens(self.all_usage_points)
        for pdl, section in self.usage_points:
            tokens += [pdl, *_section_tokens(section)]
        return " ".join(tokens)

    def describe(self) -> str:
        """A readable, normalized description, one line per section and direction."""
        if self.is_base():
            return "no off-peak schedule: every interval is BASE"
        named: list[tuple[str, Section]] = []
        if self.all_usage_points is not None:
            named.append(("all usage points", self.all_usage_points))
        named += [(f"usage point {pdl}", section) for pdl, section in self.usage_points]
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


def parse_offpeak(text: str, *, holiday_subdivision: str | None = None) -> Schedule:
    """Parse a one-line off-peak schedule; raise :class:`ScheduleError` if it is malformed."""
    # sections[pdl or None][direction][scope key] -> ranges, in the order written
    sections: dict[str | None, dict[str, dict[int, list[TimeRange]]]] = {}
    pdl: str | None = None
    direction = CONSUMPTION
    scopes = [_DEFAULT]
    in_day_run = False  # the previous token was a day word: the next one joins the same scopes

    def open_scopes() -> dict[int, list[TimeRange]]:
        section = sections.setdefault(pdl, {CONSUMPTION: {}})
        rules = section.setdefault(direction, {})
        for scope in scopes:
            rules.setdefault(scope, [])
        return rules

    for match, position in _tokens(text):
        token, kind = match.group(), match.lastgroup
        if kind == "pdl":
            pdl, direction, scopes, in_day_run = token, CONSUMPTION, [_DEFAULT], False
            open_scopes()
        elif kind == "range":
            time_range = _range(match, position)
            rules = open_scopes()
            for scope in scopes:
                rules[scope].append(time_range)
            in_day_run = False
        else:
            word = _fold(token)
            if word in _CONNECTORS:
                continue
            if word in _PRODUCTION_WORDS:
                direction, scopes, in_day_run = PRODUCTION, [_DEFAULT], False
            else:
                scope = _scope_of(word, token, position)
                if not in_day_run:
                    scopes = [scope]
                elif scope not in scopes:
                    scopes.append(scope)
                in_day_run = True
            open_scopes()

    frozen = {
        key: Section(
            consumption=_freeze(directions[CONSUMPTION]),
            production=_freeze(directions[PRODUCTION]) if PRODUCTION in directions else None,
        )
        for key, directions in sections.items()
    }
    everyone = frozen.pop(None, None)
    points = sorted((key, section) for key, section in frozen.items() if key is not None)
    return Schedule(text, everyone, tuple(points), holiday_subdivision)


def _tokens(text: str) -> Iterator[tuple[re.Match[str], int]]:
    """Yield each token's match and 1-based position; raise on a token that is not one."""
    position = _skip_separators(text, 0)
    while position < len(text):
        match = _TOKEN.match(text, position)
        assert match is not None  # the "bad" alternative matches any non-separator
        if match.lastgroup == "bad":
            raise _bad_token(match.group(), position + 1)
        yield match, position + 1
        position = _skip_separators(text, match.end())


def _skip_separators(text: str, position: int) -> int:
    while position < len(text) and (text[position].isspace() or text[position] in ",;"):
        position += 1
    return position


def _range(match: re.Match[str], position: int) -> TimeRange:
    token = match.group()
    begin, end = (
        _minutes(match[f"h{n}"], match[f"m{n}"] or match[f"c{n}"], token, position) for n in (1, 2)
    )
    if begin == end:
        return WHOLE_DAY
    if end == _DAY_END - 1:  # 23h59 as an end is the end of the day, like 24h00
        end = _DAY_END
    if begin == _DAY_END:  # 24h00 as a begin is midnight
        begin = 0
    return WHOLE_DAY if begin == end else TimeRange(begin, end)


def _minutes(hours: str, minutes: str | None, token: str, position: int) -> int:
    hour, minute = int(hours), int(minutes or 0)
    if hour > 24:
        raise _error(token, position, f"hour {hour} is out of range (0-24)")
    if minute > 59:
        raise _error(token, position, f"minute {minute} is out of range (0-59)")
    if hour == 24 and minute:
        raise _error(token, position, f"24h{minute:02d} is after the end of the day (24h00)")
    return hour * 60 + minute


def _scope_of(word: str, token: str, position: int) -> int:
    if len(word) >= 2:
        for weekday, names in enumerate(_DAY_NAMES):
            if any(name.startswith(word) for name in names):
                return weekday
        if any(name.startswith(word) for name in _HOLIDAY_NAMES):
            return _HOLIDAY
    raise _error(
        token,
        position,
        'unknown word (expected a day such as "lundi" or "mo", a holiday word such as "férié", '
        '"P" for production, a usage point number or a range such as 2h00-7h00)',
    )


def _bad_token(token: str, position: int) -> ScheduleError:
    if _RANGE_WITHOUT_END.fullmatch(token):
        return _error(token, position, "the range has no end (expected e.g. 2h00-7h00)")
    glued = _GLUED_WORD.fullmatch(token)
    if glued:
        word, rest = glued.groups()
        return _error(token, position, f'put a space between "{word}" and "{rest}"')
    if token[0].isdigit():
        return _error(token, position, "not a valid range (expected e.g. 2h00-7h00 or 2:00-7:00)")
    return _error(
        token,
        position,
        "not understood (expected a range, a day, a holiday word, P or a usage point number)",
    )


def _error(token: str, position: int, reason: str) -> ScheduleError:
    return ScheduleError(f'offpeak schedule: "{token}" at position {position}: {reason}')


def _fold(word: str) -> str:
    """Lower case without accents: "Férié" -> "ferie"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _freeze(rules: dict[int, list[TimeRange]]) -> DayRules:
    def ranges(scope: int) -> tuple[TimeRange, ...] | None:
        return tuple(sorted(set(rules[scope]))) if scope in rules else None

    return DayRules(
        default=ranges(_DEFAULT) or (),
        weekdays=tuple(ranges(weekday) for weekday in range(7)),
        holiday=ranges(_HOLIDAY),
    )


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
    for begin, end, clock_midnight in _clock_stretches(day):
        stretch = [(begin, tariff((begin - clock_midnight) // _ONE_MINUTE))]
        for minute in bounds:
            at = clock_midnight + minute * _ONE_MINUTE
            if begin < at < end:
                stretch.append((at, tariff(minute)))
        for at, tariff_then in stretch:
            if not changes or tariff_then != changes[-1][1]:
                changes.append((at, tariff_then))
    return tuple(changes)


@lru_cache(maxsize=64)
def _clock_stretches(day: date) -> tuple[tuple[datetime, datetime, datetime], ...]:
    """A Paris day as its stretches of one UTC offset, ``(begin, end, clock midnight)`` in
    UTC: an instant t of the stretch reads ``t - clock midnight`` past midnight on the wall
    clock. One stretch, or two on the days the clocks change (once a day at most)."""
    begin, end = paris_day_bounds(day)
    midnight = datetime.combine(day, time(), UTC)
    offset = _paris_offset(begin)
    if _paris_offset(end - _ONE_SECOND) == offset:
        return ((begin, end, midnight - offset),)
    low, high = 0, (end - begin) // _ONE_SECOND  # the change, in seconds after begin: (low, high]
    while high - low > 1:
        middle = (low + high) // 2
        if _paris_offset(begin + middle * _ONE_SECOND) == offset:
            low = middle
        else:
            high = middle
    change = begin + high * _ONE_SECOND
    return ((begin, change, midnight - offset), (change, end, midnight - _paris_offset(change)))


def _paris_offset(instant: datetime) -> timedelta:
    offset = instant.astimezone(PARIS).utcoffset()
    assert offset is not None
    return offset


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
    days = [(names[0], day) for names, day in zip(_DAY_NAMES, rules.weekdays, strict=True)]
    for word, ranges in [*days, (_HOLIDAY_NAMES[0], rules.holiday)]:
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
