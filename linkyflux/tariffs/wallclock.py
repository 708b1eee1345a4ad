"""The wall clock of a Europe/Paris day: its stretches of one UTC offset.

Pure: no I/O and no clock (no "now"). A day has one stretch, or two on the days the clocks
change: :func:`clock_stretches` finds the instant of the change, so that the off-peak
boundaries of a day can be read on the wall clock (see
:meth:`~linkyflux.tariffs.schedule.Schedule.changes_on`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Final

from linkyflux.timeutil import PARIS, paris_day_bounds

_ONE_SECOND: Final = timedelta(seconds=1)


@lru_cache(maxsize=64)
def clock_stretches(day: date) -> tuple[tuple[datetime, datetime, datetime], ...]:
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
