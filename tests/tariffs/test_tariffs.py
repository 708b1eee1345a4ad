"""Off-peak schedule parsing and HC/HP classification (linkyflux.tariffs.grammar and .schedule).

Expectations are written as "<day> <HH:MM> <tag>" where <day> is a weekday of the week of
Monday 2026-01-05 (no public holiday) or an ISO date, in Europe/Paris wall-clock time.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from linkyflux.errors import ConfigError
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.schedule import (
    BASE,
    HC,
    HP,
    WHOLE_DAY,
    DayRules,
    Schedule,
    ScheduleError,
    Section,
    TimeRange,
    _france_holidays,
)

PARIS = ZoneInfo("Europe/Paris")
A = "12345678901234"
B = "88888888888888"
OTHER = "99999999999999"
CONS = "consumption"
PROD = "production"
WEEK = {
    "Mon": "2026-01-05",
    "Tue": "2026-01-06",
    "Wed": "2026-01-07",
    "Thu": "2026-01-08",
    "Fri": "2026-01-09",
    "Sat": "2026-01-10",
    "Sun": "2026-01-11",
}


def at(label: str) -> datetime:
    """ "Wed 08:00" or "2026-07-14 12:00" as an aware Europe/Paris datetime."""
    day, clock = label.split()
    return datetime.fromisoformat(f"{WEEK.get(day, day)} {clock}").replace(tzinfo=PARIS)


def check(schedule: Schedule, usage_point: str, direction: str, spec: str) -> None:
    """Assert every "<day> <HH:MM> <tag>" of a comma-separated spec."""
    expected = [item.split() for item in spec.split(",")]
    actual = [
        [day, clock, schedule.classify(usage_point, direction, at(f"{day} {clock}"))]
        for day, clock, _ in expected
    ]
    assert actual == expected, f"{usage_point} {direction}"


def r(begin: str, end: str) -> TimeRange:
    """TimeRange from "HH:MM" strings (24:00 allowed as an end)."""
    minutes = [int(t[:2]) * 60 + int(t[3:]) for t in (begin, end)]
    return TimeRange(*minutes)


# --- the README examples (seeds/domoticzlinky-readme-v2.md, "Heures creuses") -----------------

README_EXAMPLES: list[tuple[str, str, dict[tuple[str, str], str]]] = [
    (
        "every-day",
        "2h00-7h00 13h00-16h00",
        {
            (OTHER, CONS): "Mon 01:59 HP, Mon 02:00 HC, Mon 06:59 HC, Mon 07:00 HP, Mon 12:59 HP,"
            "Mon 13:00 HC, Mon 15:59 HC, Mon 16:00 HP, Wed 02:00 HC, Sun 15:30 HC, Sun 23:30 HP",
            (A, PROD): "Sat 02:00 HC, Sat 07:00 HP, Sat 13:30 HC",
        },
    ),
    (
        "weekday-lists-fr",
        "2h00-7h00 13h00-16h00 mercredi 08h00-15h00 samedi 09h00-11h00 12h00-16h00",
        {
            (OTHER, CONS): "Wed 02:00 HP, Wed 07:59 HP, Wed 08:00 HC, Wed 14:59 HC, Wed 15:00 HP,"
            "Wed 15:30 HP, Sat 03:00 HP, Sat 08:59 HP, Sat 09:00 HC, Sat 10:59 HC, Sat 11:00 HP,"
            "Sat 11:59 HP, Sat 12:00 HC, Sat 15:59 HC, Sat 16:00 HP, Thu 03:00 HC, Thu 08:00 HP,"
            "Thu 13:00 HC, Sun 02:00 HC, Tue 14:00 HC",
        },
    ),
    (
        "weekday-prefixes-en",
        "2:00-7:00 13:00-16:00 me 08:00-15:00 sat 09:00-16:00",
        {
            (OTHER, CONS): "Wed 02:00 HP, Wed 08:00 HC, Wed 14:59 HC, Wed 15:00 HP, Sat 08:59 HP,"
            "Sat 09:00 HC, Sat 11:30 HC, Sat 15:59 HC, Sat 16:00 HP, Fri 01:59 HP, Fri 02:00 HC,"
            "Fri 06:59 HC, Fri 07:00 HP, Fri 13:00 HC",
        },
    ),
    (
        "two-usage-points",
        "12345678901234 1h00-6h00 12h00-14h00 88888888888888 13h00-16h00",
        {
            (A, CONS): "Mon 00:59 HP, Mon 01:00 HC, Mon 05:59 HC, Mon 06:00 HP, Mon 11:59 HP,"
            "Mon 12:00 HC, Mon 13:59 HC, Mon 14:00 HP",
            (A, PROD): "Mon 01:00 HC, Mon 12:00 HC, Mon 15:00 HP",
            (B, CONS): "Mon 12:59 HP, Mon 13:00 HC, Mon 15:59 HC, Mon 16:00 HP, Mon 01:00 HP",
            # no all-usage-points section: another usage point has no off-peak hours
            (OTHER, CONS): "Mon 01:00 HP, Mon 13:00 HP",
        },
    ),
    (
        "usage-point-replaces-default",
        "02h00-04h00 16h00-19h00 12345678901234 1h00-6h00 12h00-14h00 mercredi 11h00-16h00 "
        "88888888888888 13h00-16h00",
        {
            (A, CONS): "Mon 01:00 HC, Mon 05:59 HC, Mon 06:00 HP, Mon 12:00 HC, Mon 14:00 HP,"
            "Mon 16:00 HP, Wed 01:00 HP, Wed 10:59 HP, Wed 11:00 HC, Wed 15:59 HC, Wed 16:00 HP",
            (B, CONS): "Mon 02:00 HP, Mon 13:00 HC, Mon 16:00 HP, Wed 13:00 HC, Wed 11:00 HP",
            (OTHER, CONS): "Mon 01:59 HP, Mon 02:00 HC, Mon 03:59 HC, Mon 04:00 HP, Mon 15:59 HP,"
            "Mon 16:00 HC, Mon 18:59 HC, Mon 19:00 HP, Wed 11:00 HP, Wed 02:00 HC",
            (OTHER, PROD): "Mon 02:00 HC, Mon 16:00 HC",
        },
    ),
    (
        "bare-usage-point-disables",
        "02h00-04h00 16h00-19h00 12345678901234 88888888888888 13h00-16h00",
        {
            (A, CONS): "Mon 02:00 HP, Mon 13:00 HP, Mon 16:00 HP, Sat 03:00 HP",
            (A, PROD): "Mon 02:00 HP, Mon 16:00 HP",
            (B, CONS): "Mon 02:00 HP, Mon 13:00 HC, Mon 16:00 HP",
            (OTHER, CONS): "Mon 02:00 HC, Mon 13:00 HP, Mon 16:00 HC",
        },
    ),
    (
        "production-list",
        "02h00-04h00 16h00-19h00 P 17h00-22h00 mercredi 11h00-16h00 12345678901234 "
        "88888888888888 13h00-16h00",
        {
            (OTHER, CONS): "Mon 02:00 HC, Mon 16:00 HC, Mon 17:00 HC, Mon 19:00 HP, Mon 21:00 HP,"
            "Wed 02:00 HC, Wed 11:00 HP, Wed 17:00 HC",
            (OTHER, PROD): "Mon 02:00 HP, Mon 16:00 HP, Mon 16:59 HP, Mon 17:00 HC, Mon 21:59 HC,"
            "Mon 22:00 HP, Wed 02:00 HP, Wed 10:59 HP, Wed 11:00 HC, Wed 15:59 HC, Wed 16:00 HP,"
            "Wed 17:00 HP, Sun 18:00 HC",
            (A, CONS): "Mon 02:00 HP, Mon 16:00 HP",
            (A, PROD): "Mon 02:00 HP, Mon 17:00 HP, Wed 11:00 HP",
            (B, CONS): "Mon 13:00 HC, Mon 17:00 HP",
            (B, PROD): "Mon 13:00 HC, Mon 17:00 HP, Wed 11:00 HP",
        },
    ),
    (
        "bare-production-disables",
        "02h00-04h00 16h00-19h00 P",
        {
            (OTHER, CONS): "Mon 02:00 HC, Mon 16:00 HC, Mon 12:00 HP",
            (OTHER, PROD): "Mon 02:00 HP, Mon 16:00 HP, Mon 12:00 HP, Sat 03:00 HP",
        },
    ),
    (
        "weekend-and-holidays",
        "02h00-04h00 sa 00h00-23h59 di 00h00-23h59 fe 00h00-23h59",
        {
            (OTHER, CONS): "Fri 02:00 HC, Fri 04:00 HP, Fri 12:00 HP, Fri 23:59 HP,"
            "Sat 00:00 HC, Sat 12:00 HC, Sat 23:30 HC, Sat 23:59 HC, Sun 23:59 HC, Mon 00:00 HP,"
            "Mon 02:00 HC, 2026-07-13 12:00 HP, 2026-07-14 00:00 HC, 2026-07-14 12:00 HC,"
            "2026-07-14 23:59 HC, 2026-07-15 03:00 HC, 2026-07-15 12:00 HP,"
            "2026-05-13 12:00 HP, 2026-05-14 12:00 HC, 2026-05-14 23:30 HC",
            (OTHER, PROD): "Sat 12:00 HC, 2026-07-14 12:00 HC, Fri 12:00 HP",
        },
    ),
]
README = {name: text for name, text, _ in README_EXAMPLES}


@pytest.mark.parametrize(
    ("text", "expectations"),
    [pytest.param(text, exp, id=name) for name, text, exp in README_EXAMPLES],
)
def test_readme_examples(text: str, expectations: dict[tuple[str, str], str]) -> None:
    schedule = parse_offpeak(text)
    assert schedule.text == text
    assert not schedule.is_base()
    for (usage_point, direction), spec in expectations.items():
        check(schedule, usage_point, direction, spec)


@pytest.mark.parametrize(
    ("english", "french"),
    [
        (
            "2:00-7:00 13:00-16:00 Wednesday 8:00-15:00 Saturday 09:00-11:00 12:00-16:00",
            "2h00-7h00 13h00-16h00 mercredi 08h00-15h00 samedi 09h00-11h00 12h00-16h00",
        ),
        (
            "2:00-7:00 13:00-16:00 me 08:00-15:00 sat 09:00-16:00",
            "2h00-7h00 13h00-16h00 me 08h00-15h00 sa 09h00-16h00",
        ),
        (
            "12345678901234 1:00-6:00 12:00-14:00 88888888888888 13:00-16:00",
            "12345678901234 1h00-6h00 12h00-14h00 88888888888888 13h00-16h00",
        ),
        (
            "02:00-04:00 sa 00:00-23:59 su 00:00-23:59 ba 00:00-23:59",
            "02h00-04h00 sa 00h00-23h59 di 00h00-23h59 fe 00h00-23h59",
        ),
    ],
)
def test_english_and_french_readme_forms_mean_the_same(english: str, french: str) -> None:
    assert parse_offpeak(english) == parse_offpeak(french)


def test_usage_point_and_production_structure() -> None:
    schedule = parse_offpeak(README["production-list"])
    assert schedule == Schedule(
        text="",
        all_usage_points=Section(
            consumption=DayRules(default=(r("02:00", "04:00"), r("16:00", "19:00"))),
            production=DayRules(
                default=(r("17:00", "22:00"),),
                weekdays=(None, None, (r("11:00", "16:00"),), None, None, None, None),
            ),
        ),
        usage_points=(
            (A, Section()),  # bare usage point: no off-peak hours
            (B, Section(consumption=DayRules(default=(r("13:00", "16:00"),)))),
        ),
    )
    assert hash(schedule) == hash(parse_offpeak(README["production-list"]))


def test_holiday_after_production_applies_to_production_only() -> None:
    # the example of device-flow-proxy-and-domoticzlinky.md §5
    schedule = parse_offpeak(
        "02h00-04h00 16h00-19h00 12345678901234 1h00-6h00 mercredi 11h00-16h00 "
        "P 17h00-22h00 fe 00h00-23h59"
    )
    section = schedule.section_for(A)
    assert section == Section(
        consumption=DayRules(
            default=(r("01:00", "06:00"),),
            weekdays=(None, None, (r("11:00", "16:00"),), None, None, None, None),
        ),
        production=DayRules(default=(r("17:00", "22:00"),), holiday=(WHOLE_DAY,)),
    )
    check(schedule, A, PROD, "2026-07-14 12:00 HC, 2026-07-13 12:00 HP, 2026-07-13 17:00 HC")
    check(schedule, A, CONS, "2026-07-14 12:00 HP, 2026-07-14 01:00 HC")


def test_describe() -> None:
    assert parse_offpeak(README["production-list"]).describe() == (
        "all usage points, consumption: every day 02:00-04:00, 16:00-19:00\n"
        "all usage points, production: other days 17:00-22:00; Wednesday 11:00-16:00\n"
        "usage point 12345678901234, consumption: no off-peak hours (HP)\n"
        "usage point 12345678901234, production: as consumption\n"
        "usage point 88888888888888, consumption: every day 13:00-16:00\n"
        "usage point 88888888888888, production: as consumption"
    )
    assert parse_offpeak("22h-6h fe 0h-24h", holiday_subdivision="57").describe() == (
        "all usage points, consumption: other days 22:00-06:00; public holidays 00:00-24:00\n"
        "all usage points, production: as consumption\n"
        "public holidays: France, subdivision 57"
    )
    one_meter = parse_offpeak("11111111111111 2h-3h")
    assert one_meter.describe().endswith("other usage points: no off-peak hours (HP)")
    assert parse_offpeak("").describe() == "no off-peak schedule: every interval is BASE"


# --- range syntax ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h00-7h00", r("02:00", "07:00")),
        ("2:00-7:00", r("02:00", "07:00")),
        ("02h-07h", r("02:00", "07:00")),
        ("2h-7h", r("02:00", "07:00")),
        ("2H00-7H00", r("02:00", "07:00")),
        ("2h00_7h00", r("02:00", "07:00")),
        ("2h00a7h00", r("02:00", "07:00")),
        ("2h00A7h00", r("02:00", "07:00")),
        ("2h00à7h00", r("02:00", "07:00")),
        ("2h00À7h00", r("02:00", "07:00")),
        ("2h00to7h00", r("02:00", "07:00")),
        ("2h00 à 7h00", r("02:00", "07:00")),
        ("2h00 a 7h00", r("02:00", "07:00")),
        ("2h00 - 7h00", r("02:00", "07:00")),
        ("2h00 to 7h00", r("02:00", "07:00")),
        ("2h00--7h00", r("02:00", "07:00")),
        ("2:00-7h", r("02:00", "07:00")),
        ("12h30-14h00", r("12:30", "14:00")),
        ("22h30-6h30", r("22:30", "06:30")),
        ("22h00-0h00", r("22:00", "00:00")),
        ("22h00-24h00", r("22:00", "24:00")),
        ("22h00-23h59", r("22:00", "24:00")),
        ("23h59-24h00", r("23:59", "24:00")),
        ("24h00-6h00", r("00:00", "06:00")),
        ("0h00-24h00", WHOLE_DAY),
        ("00h00-23h59", WHOLE_DAY),
        ("0h-0h", WHOLE_DAY),
        ("0H00-0H00", WHOLE_DAY),
        ("7h30-7h30", WHOLE_DAY),
        ("24h00-24h00", WHOLE_DAY),
        ("24h00-0h00", WHOLE_DAY),
        ("23h59-23h59", WHOLE_DAY),
    ],
)
def test_range_forms(text: str, expected: TimeRange) -> None:
    assert parse_offpeak(text) == Schedule("", Section(DayRules(default=(expected,))))


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        (
            "22h30-6h30",
            "Mon 22:29 HP, Mon 22:30 HC, Mon 23:59 HC, Tue 00:00 HC, Tue 06:29 HC,"
            "Tue 06:30 HP, Tue 06:00 HC, Tue 22:00 HP",
        ),
        (
            "22h00-6h00",
            "Mon 21:59 HP, Mon 22:00 HC, Mon 23:30 HC, Mon 00:00 HC, Mon 05:59 HC,Mon 06:00 HP",
        ),
        ("0h00-24h00", "Mon 00:00 HC, Mon 12:00 HC, Mon 23:30 HC, Mon 23:59 HC"),
        ("00h00-23h59", "Mon 00:00 HC, Mon 12:00 HC, Mon 23:30 HC, Mon 23:59 HC"),
        ("0h00-0h00", "Mon 00:00 HC, Mon 12:00 HC, Mon 23:59 HC"),
        ("22h00-24h00", "Mon 21:59 HP, Mon 22:00 HC, Mon 23:59 HC, Tue 00:00 HP"),
        ("22h00-0h00", "Mon 21:59 HP, Mon 22:00 HC, Mon 23:59 HC, Tue 00:00 HP"),
        # overlapping and touching ranges merge
        ("2h-5h 4h-7h", "Mon 01:59 HP, Mon 02:00 HC, Mon 04:30 HC, Mon 06:59 HC, Mon 07:00 HP"),
        ("2h-4h 4h-6h", "Mon 03:59 HC, Mon 04:00 HC, Mon 05:59 HC, Mon 06:00 HP"),
        ("20h-6h 23h-1h", "Mon 19:59 HP, Mon 20:00 HC, Mon 00:30 HC, Mon 05:59 HC, Mon 06:00 HP"),
        # commas and semicolons separate like spaces
        (
            "2h00-7h00, 13h00-16h00;22h-23h",
            "Mon 02:00 HC, Mon 13:00 HC, Mon 22:30 HC, Mon 08:00 HP",
        ),
    ],
)
def test_boundaries(text: str, spec: str) -> None:
    check(parse_offpeak(text), OTHER, CONS, spec)


def test_seconds_do_not_move_a_boundary() -> None:
    schedule = parse_offpeak("2h00-7h00")
    assert schedule.classify(A, CONS, datetime(2026, 1, 5, 6, 59, 59, 999, tzinfo=PARIS)) == HC
    assert schedule.classify(A, CONS, datetime(2026, 1, 5, 7, 0, 0, tzinfo=PARIS)) == HP
    assert schedule.classify(A, CONS, datetime(2026, 1, 5, 1, 59, 59, tzinfo=PARIS)) == HP


@pytest.mark.parametrize(
    ("instant", "expected"),
    [
        (datetime(2026, 1, 5, 1, 0, tzinfo=UTC), HC),  # 02:00 CET
        (datetime(2026, 1, 5, 0, 59, tzinfo=UTC), HP),  # 01:59 CET
        (datetime(2026, 1, 5, 6, 0, tzinfo=UTC), HP),  # 07:00 CET
        (datetime(2026, 7, 6, 0, 0, tzinfo=UTC), HC),  # 02:00 CEST
        (datetime(2026, 7, 6, 4, 59, tzinfo=UTC), HC),  # 06:59 CEST
        (datetime(2026, 7, 6, 5, 0, tzinfo=UTC), HP),  # 07:00 CEST
        (datetime(2026, 1, 4, 20, 0, tzinfo=ZoneInfo("America/New_York")), HC),  # 02:00 CET
        (datetime(2026, 1, 5, 10, 30, tzinfo=ZoneInfo("Asia/Tokyo")), HC),  # 02:30 CET
    ],
)
def test_instants_are_classified_in_paris_time(instant: datetime, expected: str) -> None:
    assert parse_offpeak("2h00-7h00").classify(A, CONS, instant) == expected


def test_day_specific_overnight_range_stays_on_its_day() -> None:
    # like DomoticzLinky: "mercredi 22h-6h" is Wednesday's morning and Wednesday's evening
    schedule = parse_offpeak("mercredi 22h-6h")
    check(schedule, A, CONS, "Wed 05:30 HC, Wed 06:00 HP, Wed 22:00 HC, Thu 05:00 HP, Tue 23:00 HP")


# --- daylight saving time ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "intervals", "hc"),
    [
        # 23-hour day: 00:00-02:00 (4) + 03:00-06:00 (6) + 22:00-24:00 (4) off-peak
        (date(2026, 3, 29), 46, 14),
        # 25-hour day: 00:00-06:00 with 02:00-03:00 twice (14) + 22:00-24:00 (4) off-peak
        (date(2026, 10, 25), 50, 18),
        (date(2026, 1, 5), 48, 16),
    ],
)
def test_dst_days(day: date, intervals: int, hc: int) -> None:
    schedule = parse_offpeak("22h00-6h00")
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)
    end = (datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(days=1)).astimezone(UTC)
    starts = [start + timedelta(minutes=30 * i) for i in range(intervals)]
    assert starts[-1] + timedelta(minutes=30) == end
    tags = [schedule.classify(A, CONS, instant) for instant in starts]
    assert tags.count(HC) == hc
    assert tags.count(HP) == intervals - hc == 32


def utc_changes(spec: str) -> tuple[tuple[datetime, str], ...]:
    """ "2026-10-24 22:00 HP, 2026-10-25 00:00 HC" (UTC) as Schedule.changes_on says it."""
    items = [item.split() for item in spec.split(",")]
    return tuple(
        (datetime.fromisoformat(f"{day} {clock}").replace(tzinfo=UTC), tag)
        for day, clock, tag in items
    )


@pytest.mark.parametrize(
    ("text", "day", "changes"),
    [
        # 25-hour day: 02:00-03:00 CEST is 00:00Z-01:00Z, then 02:00-03:00 CET 01:00Z-02:00Z
        (
            "2h00-3h00",
            "2026-10-25",
            "2026-10-24 22:00 HP, 2026-10-25 00:00 HC, 2026-10-25 02:00 HP",
        ),
        (
            "2h30-3h00",
            "2026-10-25",
            "2026-10-24 22:00 HP, 2026-10-25 00:30 HC, 2026-10-25 01:00 HP, "
            "2026-10-25 01:30 HC, 2026-10-25 02:00 HP",
        ),
        ("22h-6h", "2026-10-25", "2026-10-24 22:00 HC, 2026-10-25 05:00 HP, 2026-10-25 21:00 HC"),
        # 23-hour day: 02:00-03:00 does not occur
        ("2h00-3h00", "2026-03-29", "2026-03-28 23:00 HP"),
        (
            "2h30-3h30",
            "2026-03-29",
            "2026-03-28 23:00 HP, 2026-03-29 01:00 HC, 2026-03-29 01:30 HP",
        ),
        ("0h-24h", "2026-03-29", "2026-03-28 23:00 HC"),
        ("", "2026-03-29", "2026-03-28 23:00 BASE"),
    ],
)
def test_changes_on_dst_days(text: str, day: str, changes: str) -> None:
    assert parse_offpeak(text).changes_on(A, CONS, date.fromisoformat(day)) == utc_changes(changes)


def test_instants_in_any_time_zone_and_to_the_microsecond() -> None:
    schedule = parse_offpeak("22h-6h")
    boundary = datetime(2026, 1, 5, 22, 0, tzinfo=PARIS)
    for zone in (UTC, PARIS, ZoneInfo("America/New_York"), timezone(timedelta(hours=5))):
        assert schedule.classify(A, CONS, boundary.astimezone(zone)) == HC
        before = (boundary - timedelta(microseconds=1)).astimezone(zone)
        assert schedule.classify(A, CONS, before) == HP


def test_repeated_autumn_hour_is_off_peak_twice() -> None:
    schedule = parse_offpeak("2h00-3h00")
    # 2026-10-25 00:00Z is 02:00 CEST and 01:00Z is 02:00 CET
    tags = [
        schedule.classify(A, CONS, datetime(2026, 10, 25, 0, 0, tzinfo=UTC) + timedelta(minutes=m))
        for m in range(-30, 150, 30)
    ]
    assert tags == [HP, HC, HC, HC, HC, HP]


def test_spring_gap_has_no_off_peak() -> None:
    schedule = parse_offpeak("2h00-3h00")
    # 2026-03-29 00:30Z is 01:30 CET and 01:00Z is already 03:00 CEST
    assert schedule.classify(A, CONS, datetime(2026, 3, 29, 0, 30, tzinfo=UTC)) == HP
    assert schedule.classify(A, CONS, datetime(2026, 3, 29, 1, 0, tzinfo=UTC)) == HP


# --- day and holiday words ---------------------------------------------------------------------

DAY_WORDS = {
    0: "lu lun lundi LUNDI mo mon monday Monday",
    1: "ma mar mardi tu tue tues tuesday",
    2: "me mer mercredi Mercredi we wed wednesday Wednesday WE",
    3: "je jeu jeudi th thu thurs thursday",
    4: "ve ven vendredi fr fri friday",
    5: "sa sam samedi sat saturday Sa",
    6: "di dim dimanche su sun sunday",
}


@pytest.mark.parametrize(
    ("word", "weekday"),
    [(word, day) for day, words in DAY_WORDS.items() for word in words.split()],
)
def test_day_words(word: str, weekday: int) -> None:
    rules = parse_offpeak(f"{word} 1h-2h").all_usage_points
    weekdays: list[tuple[TimeRange, ...] | None] = [None] * 7
    weekdays[weekday] = (r("01:00", "02:00"),)
    assert rules == Section(DayRules(weekdays=tuple(weekdays)))


HOLIDAY_WORDS = (
    "fe, fé, fè, FÉ, ferie, férié, fériés, FÉRIÉ, jo, jour, jour férié, jours fériés, jour ferie,"
    "ba, bank, bank holiday, ho, holiday, holidays, pu, public, public holiday, Public Holidays"
)


@pytest.mark.parametrize("words", [words.strip() for words in HOLIDAY_WORDS.split(",")])
def test_holiday_words(words: str) -> None:
    schedule = parse_offpeak(f"1h-2h {words} 0h-24h")
    assert schedule.all_usage_points == Section(
        DayRules(default=(r("01:00", "02:00"),), holiday=(WHOLE_DAY,)), production=None
    )


@pytest.mark.parametrize("word", ["p", "P", "prod", "PROD", "production", "Production"])
def test_production_words(word: str) -> None:
    schedule = parse_offpeak(f"1h-2h {word} 3h-4h")
    assert schedule.all_usage_points == Section(
        DayRules(default=(r("01:00", "02:00"),)), DayRules(default=(r("03:00", "04:00"),))
    )


def test_public_means_holiday_not_production() -> None:
    schedule = parse_offpeak("2h00-4h00 public 0h-24h")
    assert schedule.all_usage_points is not None
    assert schedule.all_usage_points.production is None
    for direction in (CONS, PROD):
        check(schedule, A, direction, "2026-07-14 12:00 HC, 2026-07-13 12:00 HP, Mon 03:00 HC")


@pytest.mark.parametrize(
    "text",
    ["samedi dimanche 0h-24h", "sa di 0h-24h", "samedi et dimanche 0h-24h", "sat and sun 0h-24h"],
)
def test_several_day_words_share_the_ranges(text: str) -> None:
    schedule = parse_offpeak(f"2h-4h {text}")
    check(schedule, A, CONS, "Sat 12:00 HC, Sun 12:00 HC, Fri 12:00 HP, Mon 12:00 HP, Mon 03:00 HC")


def test_connector_keeps_the_current_days() -> None:
    schedule = parse_offpeak("2h-4h samedi 9h-11h et 12h-16h")
    check(schedule, A, CONS, "Sat 09:00 HC, Sat 12:00 HC, Sat 03:00 HP, Mon 12:00 HP")


def test_day_word_after_ranges_starts_a_new_day_list() -> None:
    schedule = parse_offpeak("samedi 9h-11h dimanche 12h-16h")
    check(schedule, A, CONS, "Sat 09:00 HC, Sat 12:00 HP, Sun 09:00 HP, Sun 12:00 HC")


def test_bare_day_word_means_no_off_peak_that_day() -> None:
    schedule = parse_offpeak("2h-7h samedi")
    check(schedule, A, CONS, "Sat 03:00 HP, Fri 03:00 HC, Sun 03:00 HC")


def test_repeated_scopes_accumulate() -> None:
    schedule = parse_offpeak(
        "2h-3h 12345678901234 4h-5h mercredi 8h-9h 12345678901234 6h-7h mercredi 10h-11h"
    )
    check(schedule, A, CONS, "Mon 02:00 HP, Mon 04:00 HC, Mon 06:00 HC, Wed 08:00 HC, Wed 10:00 HC")
    check(schedule, OTHER, CONS, "Mon 02:00 HC, Mon 04:00 HP")


def test_only_usage_point_sections_leave_others_on_peak() -> None:
    schedule = parse_offpeak("12345678901234 2h-7h")
    assert schedule.all_usage_points is None
    check(schedule, OTHER, CONS, "Mon 03:00 HP")
    check(schedule, OTHER, PROD, "Mon 03:00 HP")
    check(schedule, A, PROD, "Mon 03:00 HC")


# --- public holidays ---------------------------------------------------------------------------

HOLIDAY_SCHEDULE = "2h-4h fe 0h-24h"


@pytest.mark.parametrize(
    ("subdivision", "spec"),
    [
        (
            None,
            "2026-07-14 12:00 HC, 2026-05-14 12:00 HC, 2026-01-01 12:00 HC,"
            "2026-05-25 12:00 HC, 2026-12-25 12:00 HC, 2026-12-26 12:00 HP, 2026-04-03 12:00 HP,"
            "2026-04-06 12:00 HC, 2026-07-15 12:00 HP, 2025-07-14 12:00 HC, 2030-05-30 12:00 HC",
        ),
        (
            "57",
            "2026-12-26 12:00 HC, 2026-04-03 12:00 HC, 2026-07-14 12:00 HC, 2026-04-02 12:00 HP",
        ),
        ("6AE", "2026-12-26 12:00 HC, 2026-04-03 12:00 HC"),
        ("67", "2026-12-26 12:00 HC, 2026-04-03 12:00 HC"),
        ("68", "2026-12-26 12:00 HC, 2026-04-03 12:00 HC"),
        ("Moselle", "2026-12-26 12:00 HC, 2026-04-03 12:00 HC"),
    ],
)
def test_public_holidays(subdivision: str | None, spec: str) -> None:
    check(parse_offpeak(HOLIDAY_SCHEDULE, holiday_subdivision=subdivision), A, CONS, spec)


def test_holiday_without_holiday_list_uses_its_weekday_list() -> None:
    # 2026-07-14 is a Tuesday
    schedule = parse_offpeak("1h-2h mardi 3h-4h")
    check(schedule, A, CONS, "2026-07-14 03:00 HC, 2026-07-14 01:00 HP")
    schedule = parse_offpeak("1h-2h mardi 3h-4h fe 5h-6h")
    check(schedule, A, CONS, "2026-07-14 05:00 HC, 2026-07-14 03:00 HP, 2026-07-14 01:00 HP")
    check(schedule, A, CONS, "2026-07-21 03:00 HC, 2026-07-21 05:00 HP")


def test_unknown_subdivision() -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_offpeak("2h-7h", holiday_subdivision="99")
    assert str(caught.value).startswith(
        'offpeak schedule: unknown public holiday subdivision "99" for France (known: 57, 6AE,'
    )


def imports_holidays(code: str) -> bool:
    """Whether running ``code`` (``s`` a schedule text, ``t`` 2026-05-01 03:00 in Paris, a
    public holiday) in a new interpreter imports ``holidays``."""
    program = (
        "import sys\n"
        "from datetime import datetime\n"
        "from linkyflux.tariffs.grammar import parse_offpeak as s\n"
        "from linkyflux.timeutil import PARIS\n"
        "t = datetime(2026, 5, 1, 3, tzinfo=PARIS)\n"
        f"{code}\n"
        "print('holidays' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    )
    return done.stdout.strip() == "True"


@pytest.mark.parametrize(
    ("code", "imported"),
    [
        ("s('22h-6h').classify('1', 'consumption', t)", False),
        ("s('22h-6h sa 0h-24h').ranges_on('1', 'consumption', t.date())", False),
        ("s('22h-6h sa 0h-24h').classify('1', 'production', t)", False),
        ("s('22h-6h fe 0h-24h')", False),
        ("s('22h-6h fe 0h-24h').classify('1', 'consumption', t)", True),
        ("s('22h-6h', holiday_subdivision='57')", True),  # checked when parsed
    ],
)
def test_the_holiday_calendar_is_built_only_when_needed(code: str, imported: bool) -> None:
    """Importing ``holidays`` and building France's calendar takes about 0.2 s."""
    assert imports_holidays(code) is imported


def test_the_holiday_calendar_is_built_once_per_subdivision() -> None:
    assert _france_holidays("57") is _france_holidays("57")
    assert _france_holidays(None) is _france_holidays(None) is not _france_holidays("57")


def test_ranges_on_and_is_holiday() -> None:
    schedule = parse_offpeak("2h-4h sa 0h-24h fe 5h-6h")
    assert schedule.is_holiday(date(2026, 7, 14))
    assert not schedule.is_holiday(date(2026, 7, 13))
    assert schedule.ranges_on(A, CONS, date(2026, 7, 14)) == (r("05:00", "06:00"),)
    assert schedule.ranges_on(A, PROD, date(2026, 1, 10)) == (WHOLE_DAY,)
    assert schedule.ranges_on(A, CONS, date(2026, 1, 9)) == (r("02:00", "04:00"),)


# --- errors ------------------------------------------------------------------------------------

UNKNOWN_WORD = (
    'unknown word (expected a day such as "lundi" or "mo", a holiday word such as "férié", '
    'a season ("hiver", "été"), "P" for production, a usage point number or a range such as '
    "2h00-7h00)"
)
NOT_A_RANGE = "not a valid range (expected e.g. 2h00-7h00 or 2:00-7:00)"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("25h00-7h00", '"25h00-7h00" at position 1: hour 25 is out of range (0-24)'),
        ("2h00-7h00 25h00-7h00", '"25h00-7h00" at position 11: hour 25 is out of range (0-24)'),
        ("2h00-7h60", '"2h00-7h60" at position 1: minute 60 is out of range (0-59)'),
        ("2:75-7:00", '"2:75-7:00" at position 1: minute 75 is out of range (0-59)'),
        ("22h00-24h30", '"22h00-24h30" at position 1: 24h30 is after the end of the day (24h00)'),
        ("2h00-", '"2h00-" at position 1: the range has no end (expected e.g. 2h00-7h00)'),
        ("1h-2h 2h00", '"2h00" at position 7: the range has no end (expected e.g. 2h00-7h00)'),
        ("2h00 -", '"2h00" at position 1: the range has no end (expected e.g. 2h00-7h00)'),
        ("2h00 à", '"2h00" at position 1: the range has no end (expected e.g. 2h00-7h00)'),
        ("lundi2h-3h", '"lundi2h-3h" at position 1: put a space between "lundi" and "2h-3h"'),
        ("foo 2h-3h", f'"foo" at position 1: {UNKNOWN_WORD}'),
        ("2h00-7h00 mars 1h-2h", f'"mars" at position 11: {UNKNOWN_WORD}'),
        ("fériés 2h-3h xyz", f'"xyz" at position 14: {UNKNOWN_WORD}'),
        ("pr 1h-2h", f'"pr" at position 1: {UNKNOWN_WORD}'),
        ("m 1h-2h", f'"m" at position 1: {UNKNOWN_WORD}'),
        ("weekend 0h-24h", f'"weekend" at position 1: {UNKNOWN_WORD}'),
        ("HC 1h-2h", f'"HC" at position 1: {UNKNOWN_WORD}'),
        ("2h00-7h00-9h00", f'"2h00-7h00-9h00" at position 1: {NOT_A_RANGE}'),
        ("2-7", f'"2-7" at position 1: {NOT_A_RANGE}'),
        ("2h5-7h", f'"2h5-7h" at position 1: {NOT_A_RANGE}'),
        (
            "1h-2h (3h-4h)",
            '"(3h-4h)" at position 7: not understood (expected a range, a day, a holiday word, '
            "a season, P or a usage point number)",
        ),
    ],
)
def test_errors(text: str, message: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_offpeak(text)
    assert str(caught.value) == f"offpeak schedule: {message}"


def test_schedule_error_is_a_value_error_and_a_config_error() -> None:
    with pytest.raises(ValueError):
        parse_offpeak("25h-1h")
    with pytest.raises(ConfigError):
        parse_offpeak("25h-1h")


# --- BASE, equality, argument checks -----------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t", " , ; "])
def test_blank_schedule_is_base(text: str) -> None:
    schedule = parse_offpeak(text)
    assert schedule.is_base()
    assert schedule.text == text
    for direction in (CONS, PROD):
        assert schedule.classify(A, direction, at("Mon 03:00")) == BASE
        assert schedule.classify(OTHER, direction, at("2026-07-14 12:00")) == BASE


@pytest.mark.parametrize("text", ["", "2h-7h"])
def test_naive_datetime_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        parse_offpeak(text).classify(A, CONS, datetime(2026, 1, 5, 3, 0))


@pytest.mark.parametrize("text", ["", "2h-7h"])
def test_unknown_direction_is_rejected(text: str) -> None:
    schedule = parse_offpeak(text)
    with pytest.raises(ValueError, match="direction"):
        schedule.classify(A, "injection", at("Mon 03:00"))


def test_equality_is_by_meaning() -> None:
    assert parse_offpeak("2:00-7:00 13:00-16:00") == parse_offpeak("13h-16h  02h00-07h00")
    assert parse_offpeak("2h-7h") != parse_offpeak("2h-7h P")
    assert parse_offpeak("2h-7h") != parse_offpeak("2h-7h", holiday_subdivision="57")
    assert len({parse_offpeak("2h-7h"), parse_offpeak("2:00-7:00")}) == 1


def test_a_whole_year() -> None:
    schedule = parse_offpeak("22h-6h sa 0h-24h fe 0h-24h")
    start = datetime(2026, 1, 1, tzinfo=PARIS).astimezone(UTC)
    end = datetime(2027, 1, 1, tzinfo=PARIS).astimezone(UTC)
    instants = [
        start + timedelta(minutes=30 * i) for i in range((end - start) // timedelta(minutes=30))
    ]
    assert len(instants) == 365 * 48
    first = [schedule.classify(A, CONS, instant) for instant in instants]
    assert [schedule.classify(A, CONS, instant) for instant in instants] == first  # cached
    hp_days = {
        i.astimezone(PARIS).date() for i, tag in zip(instants, first, strict=True) if tag == HP
    }
    # all off-peak: 52 Saturdays and 11 public holidays, 15 August being a Saturday
    assert 365 - len(hp_days) == 52 + 11 - 1


# --- property: classification matches a direct reading of the range ----------------------------

times = st.tuples(st.integers(0, 24), st.integers(0, 59)).filter(lambda t: t[0] < 24 or t[1] == 0)


@given(begin=times, end=times, hour=st.integers(0, 23), minute=st.integers(0, 59))
def test_single_range_matches_reference(
    begin: tuple[int, int], end: tuple[int, int], hour: int, minute: int
) -> None:
    text = f"{begin[0]}h{begin[1]:02d}-{end[0]}h{end[1]:02d}"
    b, e = begin[0] * 60 + begin[1], end[0] * 60 + end[1]
    t = hour * 60 + minute
    if b == e:
        expected = True  # begin equal to end: the whole day
    else:
        e = 1440 if e == 1439 else e  # 23h59 as an end is the end of the day
        b = 0 if b == 1440 else b  # 24h00 as a begin is midnight
        expected = b == e or (b <= t < e if b < e else (t >= b or t < e))
    tag = parse_offpeak(text).classify(A, CONS, datetime(2026, 1, 5, hour, minute, tzinfo=PARIS))
    assert tag == (HC if expected else HP), text
