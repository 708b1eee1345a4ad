"""Day settlement: what one answer says of each day of its window, recorded in the state
(complete, partial, kept, given up) and in the report (not published yet, late, never).

A day is given up (unavailable) only on Enedis' word, and only 3 days after it ended: when the
same answer had data for other days (a hole Enedis will not fill), or when Enedis said "no
data" for it on an earlier day too (one "no data" for a whole window may be a hiccup).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from linkyflux.models import CurveReading, DailyReading, MaxPowerReading
from linkyflux.sync.planning import Series
from linkyflux.sync.report import FetchReport
from linkyflux.sync.state import SeriesState
from linkyflux.timeutil import paris_day, paris_day_bounds, paris_day_minutes

Reading = CurveReading | DailyReading | MaxPowerReading

LATE = timedelta(hours=48)  # a day still missing this long after it ended is reported
GIVE_UP = timedelta(hours=72)  # still empty this long after it ended: unavailable


def settle(
    usage_point_id: str,
    series: Series,
    state: SeriesState,
    window: tuple[date, date],
    readings: list[Reading],
    now: datetime,
    report: FetchReport,
) -> None:
    """Record what the window ``[start, end)`` gave, day by day, as seen at ``now``."""
    covered: dict[date, int] = defaultdict(int)  # day -> minutes (curve) or values
    for r in readings:
        if isinstance(r, CurveReading):
            covered[paris_day(r.start)] += r.minutes
        else:
            covered[r.day] += 1
    today = paris_day(now)
    start, end = window
    for n in range((end - start).days):
        day = start + timedelta(days=n)
        finish = paris_day_bounds(day)[1]
        full = paris_day_minutes(day) if series.kind == "curve" else 1
        got = covered.get(day, 0)
        if got >= full:
            state.mark(day, "complete")
        elif got > 0:
            state.mark(day, "partial")
        elif state.status(day) in ("complete", "partial"):
            pass  # an earlier answer had it: keep what is already in the sink
        elif state.status(day) == "stale":
            state.mark(day, "complete")  # as above; asking again changed nothing
        else:
            if now - finish >= GIVE_UP and (readings or state.said_empty(day, today)):
                state.mark(day, "unavailable")
            _missing(usage_point_id, series, state, day, now - finish, report)


def _missing(
    usage_point_id: str,
    series: Series,
    state: SeriesState,
    day: date,
    since_end: timedelta,
    report: FetchReport,
) -> None:
    """Report a day without data: not published yet, late, or of a series that never had
    any (its collection may be off)."""
    if since_end < LATE:
        report.pending[(usage_point_id, series.label)].append(day)
    elif not state.seen:
        report.never[(usage_point_id, series)].append(day)
    else:
        report.late[(usage_point_id, series.label)].append(day)
