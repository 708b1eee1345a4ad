"""Properties of classification over whole days, DST days included (hypothesis)."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from linkyflux.tariffs import parse_offpeak
from linkyflux.timeutil import paris_day_bounds

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
