"""Seasonal off-peak hours: the season words of the grammar, the seasons of a day
(linkyflux.tariffs.seasons), the classification on the days the season or the clock changes,
dated seasonal schedules, and a fetch across 31 October / 1 November."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from test_tariffs import utc_changes

from linkyflux.models import CurveReading
from linkyflux.tariffs.classifier import Classifier, DatedSchedule, DaySchedule
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.schedule import (
    DAY_NAMES,
    HOLIDAY_NAMES,
    WHOLE_DAY,
    DayRules,
    Schedule,
    ScheduleError,
    Section,
    TimeRange,
)
from linkyflux.tariffs.seasons import SEASON_NAMES, SUMMER, WINTER, Seasons, month_day
from linkyflux.timeutil import PARIS, paris_day_bounds

from simenv import world

PRM = "22516914714270"
A = "12345678901234"
CONS, PROD = "consumption", "production"
TWO_SEASONS = "hiver 1h-7h 12h-14h été 2h-6h 13h-16h"
MIDNIGHTS = "hiver 0h-6h été 22h-24h"  # which season a day is in shows at both ends of it


def r(begin: str, end: str) -> TimeRange:
    """TimeRange from "HH:MM" strings (24:00 allowed as an end)."""
    minutes = [int(t[:2]) * 60 + int(t[3:]) for t in (begin, end)]
    return TimeRange(*minutes)


def every_day(*ranges: TimeRange) -> Section:
    return Section(DayRules(default=ranges))


def tags(schedule: Schedule, usage_point: str, direction: str, spec: str) -> list[str]:
    """The tag of each "<YYYY-MM-DD> <HH:MM>" (Paris) of a comma-separated spec."""
    return [
        schedule.classify(
            usage_point, direction, datetime.fromisoformat(item).replace(tzinfo=PARIS)
        )
        for item in spec.split(",")
    ]


# --- the grammar -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # one part per season, nothing all year
        (
            TWO_SEASONS,
            Section(
                winter=every_day(r("01:00", "07:00"), r("12:00", "14:00")),
                summer=every_day(r("02:00", "06:00"), r("13:00", "16:00")),
            ),
        ),
        # ranges before any season word: both seasons, unless a part replaces them
        (
            "22h-6h été 23h-7h",
            Section(
                DayRules(default=(r("22:00", "06:00"),)), summer=every_day(r("23:00", "07:00"))
            ),
        ),
        # inside a part, day words, holiday words and P work as all year
        (
            "22h-6h hiver 1h-7h sa 0h-24h fe 0h-24h P 10h-16h",
            Section(
                DayRules(default=(r("22:00", "06:00"),)),
                winter=Section(
                    DayRules(
                        default=(r("01:00", "07:00"),),
                        weekdays=(None, None, None, None, None, (WHOLE_DAY,), None),
                        holiday=(WHOLE_DAY,),
                    ),
                    DayRules(default=(r("10:00", "16:00"),)),
                ),
            ),
        ),
        # a season word resets to consumption and every day
        (
            "22h-6h P 10h-16h sa 1h-2h hiver 1h-7h",
            Section(
                DayRules(default=(r("22:00", "06:00"),)),
                DayRules(
                    default=(r("10:00", "16:00"),),
                    weekdays=(None, None, None, None, None, (r("01:00", "02:00"),), None),
                ),
                winter=every_day(r("01:00", "07:00")),
            ),
        ),
        # a season word again adds to its part; a bare one opens a part without off-peak hours
        (
            "hiver 1h-2h été 3h-4h hiver 5h-6h",
            Section(
                winter=every_day(r("01:00", "02:00"), r("05:00", "06:00")),
                summer=every_day(r("03:00", "04:00")),
            ),
        ),
        ("22h-6h été", Section(DayRules(default=(r("22:00", "06:00"),)), summer=Section())),
    ],
)
def test_season_parts_of_the_all_usage_points_section(text: str, expected: Section) -> None:
    schedule = parse_offpeak(text)
    assert schedule.all_usage_points == expected
    assert schedule.usage_points == ()
    assert schedule.seasonal


def test_a_usage_point_has_its_own_seasons_and_closes_the_season_part() -> None:
    schedule = parse_offpeak("hiver 1h-7h 12345678901234 2h-6h été 3h-4h 88888888888888 5h-6h")
    assert schedule.all_usage_points == Section(winter=every_day(r("01:00", "07:00")))
    assert schedule.usage_points == (
        (
            A,
            Section(
                DayRules(default=(r("02:00", "06:00"),)), summer=every_day(r("03:00", "04:00"))
            ),
        ),
        ("88888888888888", every_day(r("05:00", "06:00"))),
    )
    # a usage point section with no range before its season words: HP outside its parts
    schedule = parse_offpeak("12345678901234 hiver 1h-7h")
    assert schedule.usage_points == ((A, Section(winter=every_day(r("01:00", "07:00")))),)
    assert tags(schedule, A, CONS, "2026-07-01 03:00,2026-12-01 03:00") == ["HP", "HC"]
    assert tags(schedule, "99999999999999", CONS, "2026-12-01 03:00") == ["HP"]


SEASON_WORDS = {
    WINTER: "hiver Hiver HIVER hiv hive winter Winter WINTER win wint winte",
    SUMMER: "été Été ÉTÉ ete eté ETE summer Summer sum summ summe",
}


@pytest.mark.parametrize(
    ("word", "season"),
    [(word, season) for season, words in SEASON_WORDS.items() for word in words.split()],
)
def test_season_words(word: str, season: str) -> None:
    part = every_day(r("01:00", "02:00"))
    expected = Section(winter=part) if season == WINTER else Section(summer=part)
    assert parse_offpeak(f"{word} 1h-2h").all_usage_points == expected


def test_season_words_clash_with_no_other_word() -> None:
    """A season word needs 3 letters: "su" stays Sunday; none of its prefixes is a day, a
    holiday or a production word."""
    others = [*(name for names in DAY_NAMES for name in names), *HOLIDAY_NAMES, "production"]
    for names in SEASON_NAMES.values():
        for name in names:
            for end in range(3, len(name) + 1):
                assert not any(other.startswith(name[:end]) for other in others), name[:end]
    sunday = (None, None, None, None, None, None, (r("01:00", "02:00"),))
    assert parse_offpeak("su 1h-2h").all_usage_points == Section(DayRules(weekdays=sunday))


UNKNOWN_WORD = (
    'unknown word (expected a day such as "lundi" or "mo", a holiday word such as "férié", '
    'a season ("hiver", "été"), "P" for production, a usage point number or a range such as '
    "2h00-7h00)"
)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ét 2h-6h", '"ét" at position 1: write "été" or "summer" for the summer'),
        ("hiver 1h-7h ÉT 2h-6h", '"ÉT" at position 13: write "été" or "summer" for the summer'),
        (
            "hiver TEMPO",
            '"TEMPO" at position 7: TEMPO stands alone (offpeak = "TEMPO"): no season, day, '
            "range or other word with it",
        ),
        (
            "base été 2h-6h",
            '"base" at position 1: BASE stands alone (offpeak = "BASE"): no season, day, range '
            "or other word with it",
        ),
        ("hi 1h-7h", f'"hi" at position 1: {UNKNOWN_WORD}'),
        ("wi 1h-7h", f'"wi" at position 1: {UNKNOWN_WORD}'),
        ("22h-6h automne 1h-7h", f'"automne" at position 8: {UNKNOWN_WORD}'),
        ("saison 1h-7h", f'"saison" at position 1: {UNKNOWN_WORD}'),
        ("hivers 1h-7h", f'"hivers" at position 1: {UNKNOWN_WORD}'),
        ("hiver1h-7h", '"hiver1h-7h" at position 1: put a space between "hiver" and "1h-7h"'),
        ("été 2h-", '"2h-" at position 5: the range has no end (expected e.g. 2h00-7h00)'),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_offpeak(text)
    assert str(caught.value) == f"offpeak schedule: {message}"


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        (TWO_SEASONS, "hiver 01:00-07:00 12:00-14:00 été 02:00-06:00 13:00-16:00"),
        ("été 2h-6h hiver 1h-7h", "hiver 01:00-07:00 été 02:00-06:00"),
        ("22h-6h summer 23h-7h", "22:00-06:00 été 23:00-07:00"),
        (
            "22h-6h P 10h-16h win 1h-7h sa P 3h-4h",
            "22:00-06:00 P 10:00-16:00 hiver 01:00-07:00 samedi P 03:00-04:00",
        ),
        (
            "12345678901234 hiver 1h-7h été 2h-8h",
            "12345678901234 hiver 01:00-07:00 été 02:00-08:00",
        ),
        ("hiver été", "hiver été"),
    ],
)
def test_to_text_writes_the_season_words(text: str, canonical: str) -> None:
    schedule = parse_offpeak(text)
    assert schedule.to_text() == canonical
    assert parse_offpeak(canonical) == schedule


def test_describe_shows_each_season() -> None:
    seasons = Seasons((10, 15), (3, 15))
    schedule = parse_offpeak("22h-6h P 10h-16h hiver 1h-7h sa 0h-24h", seasons=seasons)
    assert schedule.describe() == (
        "all usage points, winter, consumption: other days 01:00-07:00; Saturday 00:00-24:00\n"
        "all usage points, winter, production: as consumption\n"
        "all usage points, summer, consumption: every day 22:00-06:00\n"
        "all usage points, summer, production: every day 10:00-16:00\n"
        "seasons: winter from 15 October, summer from 15 March"
    )
    assert parse_offpeak("2h-7h 12345678901234 hiver 1h-7h été 2h-8h").describe() == (
        "all usage points, consumption: every day 02:00-07:00\n"
        "all usage points, production: as consumption\n"
        "usage point 12345678901234, winter, consumption: every day 01:00-07:00\n"
        "usage point 12345678901234, winter, production: as consumption\n"
        "usage point 12345678901234, summer, consumption: every day 02:00-08:00\n"
        "usage point 12345678901234, summer, production: as consumption\n"
        "seasons: winter from 1 November, summer from 1 April"
    )


def test_seasons_are_part_of_the_meaning_and_stand_apart_from_base_and_tempo() -> None:
    custom = Seasons((11, 2), (4, 1))
    assert parse_offpeak(TWO_SEASONS) != parse_offpeak(TWO_SEASONS, seasons=custom)
    assert parse_offpeak(TWO_SEASONS, seasons=custom) == parse_offpeak(
        "été 2h-6h 13h-16h hiver 12h-14h 1h-7h", seasons=custom
    )
    for text in ("BASE", "TEMPO", "22h-6h", ""):
        schedule = parse_offpeak(text, seasons=custom)
        assert not schedule.seasonal
        assert schedule.season_of(date(2026, 11, 1)) is None


# --- the seasons of a day ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seasons", "days"),
    [
        (
            Seasons(),  # TURPE's: winter 1 November - 31 March
            "2026-10-31 summer, 2026-11-01 winter, 2026-12-31 winter, 2027-01-01 winter, "
            "2027-03-31 winter, 2027-04-01 summer, 2026-07-14 summer, 2028-02-29 winter",
        ),
        (
            Seasons((10, 15), (3, 15)),
            "2026-10-14 summer, 2026-10-15 winter, 2027-03-14 winter, 2027-03-15 summer",
        ),
        (  # winter within one calendar year
            Seasons((1, 1), (3, 1)),
            "2026-12-31 summer, 2027-01-01 winter, 2027-02-28 winter, 2027-03-01 summer, "
            "2028-02-29 winter",
        ),
        (  # 29 February: in other years, the season begins on 1 March
            Seasons((2, 29), (9, 1)),
            "2027-02-28 summer, 2027-03-01 winter, 2028-02-28 summer, 2028-02-29 winter, "
            "2028-08-31 winter, 2028-09-01 summer",
        ),
    ],
)
def test_the_season_of_a_day(seasons: Seasons, days: str) -> None:
    for item in days.split(","):
        day, season = item.split()
        assert seasons.season_of(date.fromisoformat(day)) == season, day


MONTH_DAYS = st.tuples(st.integers(1, 12), st.integers(1, 31)).filter(
    lambda md: (
        md != (2, 29) and md[1] <= [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][md[0] - 1]
    )
)


@given(MONTH_DAYS, MONTH_DAYS, st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_a_day_is_in_the_season_that_began_last(
    winter_from: tuple[int, int], summer_from: tuple[int, int], day: date
) -> None:
    if winter_from == summer_from:
        return
    seasons = Seasons(winter_from, summer_from)
    back = day
    while (back.month, back.day) not in (winter_from, summer_from):
        back -= timedelta(days=1)
    expected = WINTER if (back.month, back.day) == winter_from else SUMMER
    assert seasons.season_of(day) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("11-01", (11, 1)), ("04-01", (4, 1)), ("4-1", (4, 1)), ("02-29", (2, 29))],
)
def test_month_day(text: str, expected: tuple[int, int]) -> None:
    assert month_day(text) == expected


@pytest.mark.parametrize(
    "text", ["11-31", "13-01", "00-10", "02-30", "11/01", "2026-11-01", "", "novembre", " 11-01"]
)
def test_not_a_month_day(text: str) -> None:
    with pytest.raises(ValueError, match="must be a day of the year as MM-DD"):
        month_day(text)


def test_seasons_begin_on_two_days() -> None:
    with pytest.raises(ValueError, match="winter and summer cannot begin on the same day"):
        Seasons((4, 1), (4, 1))
    with pytest.raises(ValueError, match="MM-DD"):
        Seasons((4, 31), (11, 1))
    assert Seasons.from_text("11-01", "04-01") == Seasons()


# --- classification ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seasons", "spec", "expected"),
    [
        (
            Seasons(),
            "2026-10-31 00:30,2026-10-31 23:30,2026-11-01 00:30,2026-11-01 23:30",
            "HP HC HC HP",  # summer 22h-24h, then winter 0h-6h from midnight
        ),
        (
            Seasons(),
            "2026-03-31 00:30,2026-03-31 23:30,2026-04-01 00:30,2026-04-01 23:30",
            "HC HP HP HC",
        ),
        (
            Seasons((11, 2), (4, 2)),
            "2026-10-31 23:30,2026-11-01 00:30,2026-11-01 23:30,2026-11-02 00:30",
            "HC HP HC HC",
        ),
        (
            Seasons((11, 2), (4, 2)),
            "2026-04-01 00:30,2026-04-01 23:30,2026-04-02 00:30,2026-04-02 23:30",
            "HC HP HP HC",
        ),
    ],
)
def test_the_season_changes_at_paris_midnight(seasons: Seasons, spec: str, expected: str) -> None:
    schedule = parse_offpeak(MIDNIGHTS, seasons=seasons)
    assert tags(schedule, A, CONS, spec) == expected.split()
    assert tags(schedule, A, PROD, spec) == expected.split()


def test_ranges_before_the_season_words_apply_in_the_other_season() -> None:
    schedule = parse_offpeak("22h-6h été 23h-7h P 12h-14h")
    spec = "2026-10-31 22:30,2026-10-31 06:30,2026-11-01 22:30,2026-11-01 06:30,2026-10-31 12:00"
    assert tags(schedule, A, CONS, spec) == ["HP", "HC", "HC", "HP", "HP"]
    # production: the summer part's P list in summer, the consumption list in winter
    assert tags(schedule, A, PROD, spec) == ["HP", "HP", "HC", "HP", "HC"]


@pytest.mark.parametrize(
    ("seasons", "day", "hc", "changes"),
    [
        # spring change, in winter: 01:00-02:00 and 03:00-07:00 (02:00-03:00 does not occur)
        (
            Seasons(),
            "2026-03-29",
            (46, 14),
            "2026-03-28 23:00 HP, 2026-03-29 00:00 HC, 2026-03-29 05:00 HP, "
            "2026-03-29 10:00 HC, 2026-03-29 12:00 HP",
        ),
        # the same day in summer: 02:00-06:00 is 03:00-06:00
        (
            Seasons((10, 15), (3, 15)),
            "2026-03-29",
            (46, 12),
            "2026-03-28 23:00 HP, 2026-03-29 01:00 HC, 2026-03-29 04:00 HP, "
            "2026-03-29 11:00 HC, 2026-03-29 14:00 HP",
        ),
        # autumn change, in summer: 02:00-06:00 with 02:00-03:00 twice
        (
            Seasons(),
            "2026-10-25",
            (50, 16),
            "2026-10-24 22:00 HP, 2026-10-25 00:00 HC, 2026-10-25 05:00 HP, "
            "2026-10-25 12:00 HC, 2026-10-25 15:00 HP",
        ),
        # the same day in winter: 01:00-07:00 with 02:00-03:00 twice
        (
            Seasons((10, 15), (3, 15)),
            "2026-10-25",
            (50, 18),
            "2026-10-24 22:00 HP, 2026-10-24 23:00 HC, 2026-10-25 06:00 HP, "
            "2026-10-25 11:00 HC, 2026-10-25 13:00 HP",
        ),
    ],
)
def test_the_days_the_clocks_change_in_each_season(
    seasons: Seasons, day: str, hc: tuple[int, int], changes: str
) -> None:
    schedule = parse_offpeak(TWO_SEASONS, seasons=seasons)
    the_day = date.fromisoformat(day)
    assert schedule.changes_on(A, CONS, the_day) == utc_changes(changes)
    start, end = paris_day_bounds(the_day)
    starts = [start + timedelta(minutes=30 * n) for n in range(hc[0])]
    assert starts[-1] + timedelta(minutes=30) == end
    assert [schedule.classify(A, CONS, t) for t in starts].count("HC") == hc[1]


def test_the_day_tables_are_kept_per_season() -> None:
    """Each (usage point, direction, season) table is worked out once; a schedule without
    seasons keeps one per usage point and direction."""
    schedule = parse_offpeak(MIDNIGHTS)
    spec = "2026-11-01 00:30,2026-10-31 00:30,2026-11-02 00:30,2026-07-01 00:30,2026-07-01 23:30"
    assert tags(schedule, A, CONS, spec) == ["HC", "HP", "HC", "HP", "HC"]
    assert set(schedule._tables) == {(A, CONS, WINTER), (A, CONS, SUMMER)}
    plain = parse_offpeak("22h-6h")
    assert tags(plain, A, CONS, spec) == ["HC", "HC", "HC", "HC", "HC"]
    assert set(plain._tables) == {(A, CONS, None)}
    # a season given is used on a seasonal schedule, and ignored on the other ones
    day = date(2026, 11, 1)
    summer = utc_changes("2026-10-31 23:00 HP, 2026-11-01 21:00 HC")
    assert schedule.changes_on(A, CONS, day, SUMMER) == summer
    assert plain.changes_on(A, CONS, day, SUMMER) == plain.changes_on(A, CONS, day)


# --- dated schedules and the day's record ------------------------------------------------------


def test_a_dated_seasonal_schedule_tags_each_day_by_its_season() -> None:
    classifier = Classifier(
        [
            DatedSchedule(None, parse_offpeak("22h-6h")),
            DatedSchedule(date(2026, 11, 1), parse_offpeak(MIDNIGHTS)),
        ],
        {},
    )
    assert classifier.schedule_on(PRM, date(2026, 10, 31)) == DaySchedule("schedule", "22h-6h")
    assert classifier.schedule_on(PRM, date(2026, 11, 1)) == DaySchedule(
        "schedule", MIDNIGHTS, None, WINTER
    )
    assert classifier.schedule_on(PRM, date(2027, 4, 1)) == DaySchedule(
        "schedule", MIDNIGHTS, None, SUMMER
    )
    instants = [
        datetime.fromisoformat(item).replace(tzinfo=PARIS)
        for item in ("2026-10-31 23:30", "2026-11-01 00:30", "2027-03-31 23:30", "2027-04-01 23:30")
    ]
    assert [classifier.classify(PRM, CONS, t) for t in instants] == ["HC", "HC", "HP", "HC"]


def test_a_day_keeps_the_season_it_was_recorded_with() -> None:
    """New season boundaries change the record of the days they move, and of those only:
    a day recorded in another season is still classified as recorded."""
    turpe = Classifier([DatedSchedule(None, parse_offpeak(MIDNIGHTS))], {})
    later_seasons = Seasons((11, 2), (4, 1))
    later = Classifier([DatedSchedule(None, parse_offpeak(MIDNIGHTS, seasons=later_seasons))], {})
    moved = [
        day
        for day in (date(2026, 10, 1) + timedelta(n) for n in range(60))
        if turpe.schedule_on(PRM, day) != later.schedule_on(PRM, day)
    ]
    assert moved == [date(2026, 11, 1)]
    recorded = turpe.schedule_on(PRM, date(2026, 11, 1))
    at = datetime(2026, 11, 1, 0, 30, tzinfo=PARIS)
    assert later.classify(PRM, CONS, at) == "HP"  # summer for it
    assert later.classify(PRM, CONS, at, recorded) == "HC"  # winter, as recorded
    readings = [
        CurveReading.at(PRM, CONS, at + timedelta(minutes=30 * n), 30, 1.0) for n in range(-1, 47)
    ]
    runs = later.runs(PRM, CONS, readings, lambda day: recorded)
    assert [(run.tariff, len(run.readings)) for run in runs] == [("HC", 12), ("HP", 36)]


@pytest.mark.parametrize(
    ("recorded", "text"),
    [
        (DaySchedule("schedule", TWO_SEASONS, None, WINTER), f"schedule:{TWO_SEASONS}||winter"),
        (DaySchedule("schedule", TWO_SEASONS, "57", SUMMER), f"schedule:{TWO_SEASONS}|57|summer"),
        (DaySchedule("schedule", "22h-6h", "57"), "schedule:22h-6h|57"),
    ],
)
def test_the_season_is_kept_in_state_json(recorded: DaySchedule, text: str) -> None:
    assert recorded.to_text() == text
    assert DaySchedule.from_text(text) == recorded


def test_an_unknown_season_in_a_record_is_the_day_s() -> None:
    assert DaySchedule.from_text("schedule:hiver 1h-2h||autumn") == DaySchedule(
        "schedule", "hiver 1h-2h"
    )


# --- through the CLI ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tariff", "dated", "hc", "specs"),
    [
        pytest.param(
            {"offpeak": TWO_SEASONS},
            "",
            {"2026-10-30": 14, "2026-10-31": 14, "2026-11-01": 16, "2026-11-02": 16},
            [["2026-10-30", "2026-10-31", "summer"], ["2026-11-01", "2026-11-02", "winter"]],
            id="turpe-seasons",
        ),
        pytest.param(
            {"offpeak": TWO_SEASONS, "winter_from": "11-02"},
            "",
            {"2026-10-30": 14, "2026-10-31": 14, "2026-11-01": 14, "2026-11-02": 16},
            [["2026-10-30", "2026-11-01", "summer"], ["2026-11-02", "2026-11-02", "winter"]],
            id="winter-from-2-november",
        ),
        pytest.param(
            {"offpeak": "22h00-6h00"},
            "[[tariff.schedule]]\nfrom = 2026-10-31\noffpeak = " + json.dumps(TWO_SEASONS),
            {"2026-10-30": 16, "2026-10-31": 14, "2026-11-01": 16, "2026-11-02": 16},
            [["2026-10-31", "2026-10-31", "summer"], ["2026-11-01", "2026-11-02", "winter"]],
            id="dated",
        ),
    ],
)
def test_a_fetch_across_31_october_tags_each_day_by_its_season(
    tmp_path: Path,
    tariff: dict[str, object],
    dated: str,
    hc: dict[str, int],
    specs: list[list[str]],
) -> None:
    with world(tmp_path, today=date(2026, 11, 3)) as w:
        w.consent = (PRM,)
        config = w.config(tariff=tariff)
        config.write_text(config.read_text() + dated + "\n")
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "4", "-q")
        assert result.exit_code == 0, result.output
        tagged: dict[str, Counter[str]] = {}
        for line in w.output_lines():
            if line.startswith("linky_load_curve,"):
                tag = line.split("tariff=")[1].split(",")[0].split(" ")[0]
                stamp = datetime.fromtimestamp(int(line.rsplit(" ", 1)[1]), UTC)
                tagged.setdefault(stamp.astimezone(PARIS).date().isoformat(), Counter())[tag] += 1
        state = json.loads((w.state_dir / "state.json").read_text())
    assert {day: counts["HC"] for day, counts in tagged.items()} == hc
    assert all(sum(counts.values()) == 48 for counts in tagged.values())
    records = state["usage_points"][PRM]["tariff_specs"]
    seasonal = [
        [first, last, spec.rsplit("|", 1)[1]]
        for first, last, spec in records
        if spec.startswith(f"schedule:{TWO_SEASONS}|")
    ]
    assert seasonal == specs


def test_new_season_days_rewrite_from_the_first_day_that_changed_season(tmp_path: Path) -> None:
    """``backfill --reclassify`` finds the first day recorded in another season than the one
    configured now (1 November, now in summer), not the first day of a seasonal schedule."""
    with world(tmp_path, today=date(2026, 11, 3)) as w:
        w.consent = (PRM,)
        w.config(tariff={"offpeak": TWO_SEASONS})
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "4", "-q").exit_code == 0
        w.config(tariff={"offpeak": TWO_SEASONS, "winter_from": "11-02"})
        result = w.run("backfill", "--reclassify")
    assert result.exit_code == 3  # a file cannot delete: it names what to delete
    assert "AND time >= '2026-10-31T23:00:00Z' AND time < " in result.output  # 1 Nov, Paris
