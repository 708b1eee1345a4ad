"""Properties of classification over whole days, DST days included (hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.timeutil import PARIS, paris_day_bounds

PRM = "22516914714270"
HALF_HOURS = st.integers(min_value=0, max_value=47)


def clock(half_hours: int) -> str:
    minutes = half_hours * 30
    return f"{minutes // 60}h{minutes % 60:02d}"


def covered(ranges: list[tuple[int, int]], start: int, end: int) -> int:
    """Minutes of [start, end) (wall clock) inside the ranges; a range end <= begin wraps."""
    minutes = set()
    for begin, stop in ranges:
        if begin == stop:
            minutes |= set(range(1440))
        elif begin < stop:
            minutes |= set(range(begin, stop))
        else:
            minutes |= set(range(begin, 1440)) | set(range(0, stop))
    return len(minutes & set(range(start, end)))


def hc_half_hours(text: str, day: date) -> int:
    schedule = parse_offpeak(text)
    start, end = paris_day_bounds(day)
    count, t = 0, start
    while t < end:
        count += schedule.classify(PRM, "consumption", t) == "HC"
        t += timedelta(minutes=30)
    return count


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(HALF_HOURS, HALF_HOURS), min_size=1, max_size=3))
def test_hc_time_of_a_day_is_the_schedule_s_dst_days_included(
    pairs: list[tuple[int, int]],
) -> None:
    text = " ".join(f"{clock(a)}-{clock(b)}" for a, b in pairs)
    ranges = [(a * 30, b * 30) for a, b in pairs]
    whole = covered(ranges, 0, 1440)
    night = covered(ranges, 120, 180)  # local 02:00-03:00, skipped in March, twice in October
    assert hc_half_hours(text, date(2026, 6, 15)) * 30 == whole
    assert hc_half_hours(text, date(2026, 3, 29)) * 30 == whole - night
    assert hc_half_hours(text, date(2026, 10, 25)) * 30 == whole + night


# ----------------------------------------------------------------- arbitrary schedules
DAY_WORDS = [
    ["lundi", "lu", "monday", "mo", "Lundi"],
    ["mardi", "ma", "tuesday", "tu"],
    ["mercredi", "me", "wednesday", "we", "MERCREDI"],
    ["jeudi", "je", "thursday", "th"],
    ["vendredi", "ve", "friday", "fr"],
    ["samedi", "sa", "saturday", "sat"],
    ["dimanche", "di", "sunday", "su"],
]
HOLIDAY_WORDS = ["fe", "férié", "feries", "jo", "ba", "ho", "pu", "holiday"]
SEASON_WORDS = [
    ["hiver", "Hiver", "hiv", "winter", "WIN"],
    ["été", "ÉTÉ", "ete", "summer", "sum"],
]
PDLS = ["12345678901234", "88888888888888", PRM]


@st.composite
def range_token(draw: st.DrawFn) -> str:
    begin, end = draw(HALF_HOURS), draw(st.integers(min_value=0, max_value=48))
    style = draw(
        st.sampled_from(["{}h{:02d}-{}h{:02d}", "{}:{:02d}-{}:{:02d}", "{}h{:02d} à {}h{:02d}"])
    )
    return style.format(begin // 2, begin % 2 * 30, end // 2, end % 2 * 30)


def rules_tokens(draw: st.DrawFn) -> list[str]:
    tokens = draw(st.lists(range_token(), max_size=2))
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        words = draw(st.sampled_from([*DAY_WORDS, HOLIDAY_WORDS]))
        tokens.append(draw(st.sampled_from(words)))
        tokens += draw(st.lists(range_token(), max_size=2))
    return tokens


def part_tokens(draw: st.DrawFn) -> list[str]:
    tokens = rules_tokens(draw)
    if draw(st.booleans()):
        tokens.append(draw(st.sampled_from(["P", "prod", "production"])))
        tokens += rules_tokens(draw)
    return tokens


@st.composite
def schedule_text(draw: st.DrawFn) -> str:
    """Sections of all usage points and of some, each with its all-year rules and, often,
    season parts (in any order, a season again adding to its part)."""
    tokens: list[str] = []
    for pdl in [None, *draw(st.lists(st.sampled_from(PDLS), max_size=2, unique=True))]:
        if pdl is not None:
            tokens.append(pdl)
        tokens += part_tokens(draw)
        for words in draw(st.lists(st.sampled_from(SEASON_WORDS), max_size=3)):
            tokens.append(draw(st.sampled_from(words)))
            tokens += part_tokens(draw)
    return " ".join(tokens)


DAYS = st.one_of(
    st.sampled_from([date(2026, 3, 29), date(2026, 10, 25), date(2026, 5, 1), date(2026, 7, 14)]),
    st.sampled_from([date(2026, 3, 31), date(2026, 4, 1), date(2026, 10, 31), date(2026, 11, 1)]),
    st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
)


@settings(max_examples=200, deadline=None)
@given(schedule_text())
def test_the_canonical_text_parses_back_to_the_same_schedule(text: str) -> None:
    schedule = parse_offpeak(text)
    canonical = schedule.to_text()
    assert parse_offpeak(canonical) == schedule
    assert parse_offpeak(canonical).to_text() == canonical
    assert schedule.seasonal == any(word in canonical.split() for word in ("hiver", "été"))


@settings(max_examples=100, deadline=None)
@given(
    schedule_text(),
    DAYS,
    st.sampled_from([PRM, "99999999999999"]),
    st.sampled_from(["consumption", "production"]),
)
def test_every_instant_of_a_day_is_classified_once_as_the_day_s_ranges_say(
    text: str, day: date, prm: str, direction: str
) -> None:
    schedule = parse_offpeak(text)
    ranges = [(r.begin, r.end) for r in schedule.ranges_on(prm, direction, day)]
    start, end = paris_day_bounds(day)
    hc = hp = 0
    t = start
    while t < end:
        local = t.astimezone(PARIS)
        wall = local.hour * 60 + local.minute
        tariff = schedule.classify(prm, direction, t)
        expected = "HC" if covered(ranges, wall, wall + 30) else "HP"
        assert tariff == ("BASE" if schedule.is_base() else expected), t
        hc += tariff == "HC"
        hp += tariff in ("HP", "BASE")
        t += timedelta(minutes=30)
    assert (hc + hp) * 30 == (end - start).total_seconds() / 60  # 46, 48 or 50 intervals


@settings(max_examples=100, deadline=None)
@given(st.data(), DAYS, st.sampled_from(["consumption", "production"]))
def test_a_season_part_replaces_the_all_year_rules_on_the_days_of_its_season(
    data: st.DataObject, day: date, direction: str
) -> None:
    """A day of a season is classified as the text of its season's part alone says, else as
    the all-year rules alone say (TURPE's seasons: winter from 1 November to 31 March)."""
    all_year = part_tokens(data.draw)
    parts = [part_tokens(data.draw) if data.draw(st.booleans()) else None for _ in SEASON_WORDS]
    text = " ".join(all_year)
    for words, tokens in zip(SEASON_WORDS, parts, strict=True):
        if tokens is not None:
            text += " " + " ".join([data.draw(st.sampled_from(words)), *tokens])
    schedule = parse_offpeak(text)
    winter = (day.month, day.day) >= (11, 1) or (day.month, day.day) < (4, 1)
    part = parts[0 if winter else 1]
    alone = parse_offpeak(" ".join(all_year if part is None else part))
    start, end = paris_day_bounds(day)
    t = start
    while t < end:
        if schedule.is_base():
            expected = "BASE"
        else:  # an empty part (or all-year part) has no off-peak hours, it is not BASE
            expected = "HP" if alone.is_base() else alone.classify(PRM, direction, t)
        assert schedule.classify(PRM, direction, t) == expected, (text, t)
        t += timedelta(minutes=30)


# ----------------------------------------------------------------- arbitrary instants
DST_CHANGES = [  # 01:00 UTC
    datetime(*day, 1, tzinfo=UTC)
    for day in [(2025, 3, 30), (2025, 10, 26), (2026, 3, 29), (2026, 10, 25)]
]
NEAR_A_CHANGE = st.builds(
    lambda change, seconds: change + timedelta(seconds=seconds),
    st.sampled_from(DST_CHANGES),
    st.floats(min_value=-6 * 3600, max_value=6 * 3600),
)
ANY_TIME = st.datetimes(
    min_value=datetime(2024, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
ZONES = st.sampled_from([UTC, PARIS, ZoneInfo("America/New_York"), timezone(timedelta(hours=9))])


@settings(max_examples=300, deadline=None)
@given(
    schedule_text(),
    st.one_of(NEAR_A_CHANGE, ANY_TIME),
    ZONES,
    st.sampled_from([PRM, "99999999999999"]),
    st.sampled_from(["consumption", "production"]),
)
def test_an_instant_is_classified_by_its_paris_wall_clock_minute(
    text: str, instant: datetime, zone: ZoneInfo | timezone, prm: str, direction: str
) -> None:
    """The cached per-day changes give what reading the wall clock gives, to the microsecond,
    whatever the instant's time zone."""
    schedule = parse_offpeak(text)
    local = instant.astimezone(PARIS)
    minute = local.hour * 60 + local.minute
    ranges = [(r.begin, r.end) for r in schedule.ranges_on(prm, direction, local.date())]
    expected = (
        "BASE" if schedule.is_base() else "HC" if covered(ranges, minute, minute + 1) else "HP"
    )
    assert schedule.classify(prm, direction, instant.astimezone(zone)) == expected
