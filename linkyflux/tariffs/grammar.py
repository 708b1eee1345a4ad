"""The off-peak (HC/HP) schedule grammar: parse the DomoticzLinky one-line syntax.

Pure: :func:`parse_offpeak` turns the text into a :class:`~linkyflux.tariffs.schedule.Schedule`
of frozen, comparable dataclasses, or raises :class:`~linkyflux.tariffs.schedule.ScheduleError`.

Grammar (tokens separated by spaces, commas or semicolons; case and accents do not matter)::

    RANGE    TIME SEP TIME    2h00-7h00  2:00-7:00  02h-07h  22h30-6h30  2h00a7h00  2h00 à 7h00
    TIME     H "h" [MM] | H ":" MM          H in 0-24, MM in 00-59; 24h00 is the end of the day
    SEP      one or more of - _ a à to, optionally with spaces around
    PDL      14 digits                      starts the section of that usage point
    PROD     p | prod | production          what follows is for production
    DAY      2+ first letters of a French or English weekday: lu mo ma tu me we je th ve fr
             sa di su, mer, wed, sat, samedi, Wednesday…
    HOLIDAY  2+ first letters of férié(s), jour(s), public, bank, holiday(s): fe fé jo ba ho pu…
    SEASON   3+ first letters of hiver, winter (hiv, win…) or été, summer (ete, sum…)
    et, and  ignored, so that "samedi et dimanche" and "jour férié" read naturally

``BASE`` alone (any case) is a single-rate tariff: every interval is BASE, whatever the
contract says (an empty text leaves the off-peak hours to the contract). ``TEMPO`` alone is
EDF's Tempo: HC 22:00-06:00 every day for every Tempo customer, each kWh priced at the colour
of its Tempo day (:mod:`linkyflux.tariffs.tempo`). Both stand alone: with another word or a
range, they are an error.

Scoping, as in DomoticzLinky: ranges before any day word are the default of every day; a day
list replaces the default on that day; the holiday list replaces both on a public holiday. A PDL
section replaces the all-PDL one for that usage point (no merge) and resets to consumption and
every day. Production uses its section's ``P`` list when there is one, else its consumption
list. A scope opened and followed by no range (a bare PDL, ``P`` or day) has no off-peak hours:
it is HP all the time. A range whose end is before its begin crosses midnight and covers the
evening and the morning of the same day (``mercredi 22h-6h`` is Wednesday 00:00-06:00 and
22:00-24:00). Usage points covered by no section are HP all the time.

Seasons (:mod:`linkyflux.tariffs.seasons`): a season word opens that season's part of the
current section and resets to consumption and every day; what the section says before any
season word applies in both seasons, and a season part replaces it, both directions, on the
days of its season (as a day list replaces the default on its day): ``22h-6h été 23h-7h`` is
22:00-06:00 in winter. Inside a part, day words, holiday words and ``P`` work as above
(production in a part without ``P`` uses that part's consumption list). A PDL closes the season
part: ``hiver 1h-7h 12345678901234 2h-6h`` gives that usage point 2:00-6:00 all year.

Differences from DomoticzLinky (docs/offpeak-schedule.md §2; how an instant is classified and
which days are public holidays: :mod:`linkyflux.tariffs.schedule`):

- ``0h00-24h00``, ``00h00-23h59`` and ``Xh-Xh`` all mean the whole day: ``24h00`` and ``23h59``
  as an end are the end of the day (DomoticzLinky clamps 24h00 to 23:59);
- several day words in a row (``samedi dimanche 0h-24h``) all get the ranges that follow;
- only ``p``, ``prod`` and ``production`` mean production (``public`` is a holiday word);
- an unknown word or malformed range raises :class:`~linkyflux.tariffs.schedule.ScheduleError`
  naming the token (its first 40 characters, invisible ones escaped) and its 1-based position,
  instead of being skipped;
- a usage point number has 14 digits (a PRM's): another run of digits is an error, not the
  section of a meter that does not exist.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from typing import Final, Literal

from linkyflux.tariffs.schedule import (
    CONSUMPTION,
    DAY_END,
    DAY_NAMES,
    HOLIDAY_NAMES,
    PRODUCTION,
    WHOLE_DAY,
    DayRules,
    Schedule,
    ScheduleError,
    Section,
    TimeRange,
)
from linkyflux.tariffs.seasons import (
    MIN_SEASON_LETTERS,
    SEASON_NAMES,
    SUMMER,
    TURPE_SEASONS,
    WINTER,
    Season,
    Seasons,
)
from linkyflux.tariffs.tempo import TEMPO_OFFPEAK
from linkyflux.text import excerpt

# Scope keys used while parsing: 0-6 are Monday-Sunday.
_DEFAULT: Final = 7
_HOLIDAY: Final = 8

_PRODUCTION_WORDS: Final = frozenset({"p", "prod", "production"})
_CONNECTORS: Final = frozenset({"et", "and"})
_WHOLE_TEXT_WORDS: Final = frozenset({"base", "tempo"})  # BASE and TEMPO stand alone
_ALL_YEAR: Final = ""  # the part of a section before any season word

_TIME = r"(?P<h{n}>\d+)(?:h(?P<m{n}>\d\d)?|:(?P<c{n}>\d\d))"
_SEP = r"\s*(?:[-_aà]|to)+\s*"
_END = r"(?=[\s,;]|$)"
_TOKEN: Final = re.compile(
    rf"(?P<range>{_TIME.format(n=1)}{_SEP}{_TIME.format(n=2)}){_END}"
    rf"|(?P<usage_point>\d+){_END}"
    rf"|(?P<word>[^\W\d_]+){_END}"
    r"|(?P<bad>[^\s,;]+)",
    re.IGNORECASE,
)
_RANGE_WITHOUT_END: Final = re.compile(r"\d+(?:[h:]\d*)?(?:[-_aà]|to)*", re.IGNORECASE)
_GLUED_WORD: Final = re.compile(r"([^\W\d_]+)(\d.*)")
_USAGE_POINT_DIGITS: Final = 14


def named_option(text: str) -> Literal["", "BASE", "TEMPO"]:
    """``BASE`` or ``TEMPO`` when the text names that tariff alone (any case), else ``""``."""
    named = text.strip().upper()
    return named if named in ("BASE", "TEMPO") else ""  # type: ignore[return-value]


def parse_offpeak(
    text: str, *, holiday_subdivision: str | None = None, seasons: Seasons = TURPE_SEASONS
) -> Schedule:
    """Parse a one-line off-peak schedule; raise :class:`ScheduleError` if it is malformed.
    ``seasons`` says which days the season parts (``hiver …``, ``été …``) apply to."""
    named = named_option(text)
    if named == "BASE":
        return Schedule(
            text, holiday_subdivision=holiday_subdivision, option="BASE", seasons=seasons
        )
    if named == "TEMPO":
        hours = parse_offpeak(
            TEMPO_OFFPEAK, holiday_subdivision=holiday_subdivision, seasons=seasons
        )
        return replace(hours, text=text, option="TEMPO")
    # sections[usage point or None][season or _ALL_YEAR][direction][scope key] -> ranges, in
    # the order written
    sections: dict[str | None, dict[str, dict[str, dict[int, list[TimeRange]]]]] = {}
    usage_point_id: str | None = None
    season: str = _ALL_YEAR
    direction = CONSUMPTION
    scopes = [_DEFAULT]
    in_day_run = False  # the previous token was a day word: the next one joins the same scopes

    def open_scopes() -> dict[int, list[TimeRange]]:
        section = sections.setdefault(usage_point_id, {_ALL_YEAR: {CONSUMPTION: {}}})
        rules = section.setdefault(season, {CONSUMPTION: {}}).setdefault(direction, {})
        for scope in scopes:
            rules.setdefault(scope, [])
        return rules

    for match, position in _tokens(text):
        token, kind = match.group(), match.lastgroup
        if kind == "usage_point":
            if len(token) != _USAGE_POINT_DIGITS:
                raise _error(
                    token, position, f"a usage point number has 14 digits, not {len(token)}"
                )
            usage_point_id, season = token, _ALL_YEAR
            direction, scopes, in_day_run = CONSUMPTION, [_DEFAULT], False
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
                if word != token.casefold():  # "ét": "et" once folded, and too short for "été"
                    raise _error(token, position, 'write "été" or "summer" for the summer')
                continue
            if word in _WHOLE_TEXT_WORDS:
                raise _error(
                    token,
                    position,
                    f'{word.upper()} stands alone (offpeak = "{word.upper()}"): no season, day, '
                    "range or other word with it",
                )
            if word in _PRODUCTION_WORDS:
                direction, scopes, in_day_run = PRODUCTION, [_DEFAULT], False
            elif (named_season := _season_of(word)) is not None:
                season, direction, scopes, in_day_run = named_season, CONSUMPTION, [_DEFAULT], False
            else:
                scope = _scope_of(word, token, position)
                if not in_day_run:
                    scopes = [scope]
                elif scope not in scopes:
                    scopes.append(scope)
                in_day_run = True
            open_scopes()

    frozen = {key: _section(parts) for key, parts in sections.items()}
    everyone = frozen.pop(None, None)
    points = sorted((key, section) for key, section in frozen.items() if key is not None)
    return Schedule(text, everyone, tuple(points), holiday_subdivision, seasons=seasons)


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
    if end == DAY_END - 1:  # 23h59 as an end is the end of the day, like 24h00
        end = DAY_END
    if begin == DAY_END:  # 24h00 as a begin is midnight
        begin = 0
    return WHOLE_DAY if begin == end else TimeRange(begin, end)


def _minutes(hours: str, minutes: str | None, token: str, position: int) -> int:
    if len(hours.lstrip("0")) > 2 or int(hours) > 24:  # int() of 10,000 digits raises
        raise _error(token, position, f"hour {excerpt(hours, 10)} is out of range (0-24)")
    hour, minute = int(hours), int(minutes or 0)
    if minute > 59:
        raise _error(token, position, f"minute {minute} is out of range (0-59)")
    if hour == 24 and minute:
        raise _error(token, position, f"24h{minute:02d} is after the end of the day (24h00)")
    return hour * 60 + minute


def _season_of(word: str) -> Season | None:
    if len(word) >= MIN_SEASON_LETTERS:
        for season, names in SEASON_NAMES.items():
            if any(name.startswith(word) for name in names):
                return season
    return None


def _scope_of(word: str, token: str, position: int) -> int:
    if len(word) >= 2:
        for weekday, names in enumerate(DAY_NAMES):
            if any(name.startswith(word) for name in names):
                return weekday
        if any(name.startswith(word) for name in HOLIDAY_NAMES):
            return _HOLIDAY
    raise _error(
        token,
        position,
        'unknown word (expected a day such as "lundi" or "mo", a holiday word such as "férié", '
        'a season ("hiver", "été"), "P" for production, a usage point number or a range such '
        "as 2h00-7h00)",
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
        "not understood (expected a range, a day, a holiday word, a season, P or a usage point "
        "number)",
    )


def _error(token: str, position: int, reason: str) -> ScheduleError:
    return ScheduleError(f'offpeak schedule: "{excerpt(token)}" at position {position}: {reason}')


def _fold(word: str) -> str:
    """Lower case without accents: "Férié" -> "ferie"."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _section(parts: dict[str, dict[str, dict[int, list[TimeRange]]]]) -> Section:
    """A section from its all-year part and its season parts."""

    def part(season: str) -> Section | None:
        directions = parts.get(season)
        if directions is None:
            return None
        production = directions.get(PRODUCTION)
        return Section(
            _freeze(directions[CONSUMPTION]), None if production is None else _freeze(production)
        )

    all_year = part(_ALL_YEAR)
    assert all_year is not None  # opened with the section
    return replace(all_year, winter=part(WINTER), summer=part(SUMMER))


def _freeze(rules: dict[int, list[TimeRange]]) -> DayRules:
    def ranges(scope: int) -> tuple[TimeRange, ...] | None:
        return tuple(sorted(set(rules[scope]))) if scope in rules else None

    return DayRules(
        default=ranges(_DEFAULT) or (),
        weekdays=tuple(ranges(weekday) for weekday in range(7)),
        holiday=ranges(_HOLIDAY),
    )
