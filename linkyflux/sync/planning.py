"""What to ask for: the series of a usage point, the days each one still needs, and the
fewest windows the API allows to cover them. Pure: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from linkyflux.models import Direction
from linkyflux.sources.enedis import CURVE_WINDOW_DAYS, DAILY_WINDOW_DAYS
from linkyflux.sync.state import SeriesState, UsagePointState

CORRECTION_DAYS = 2  # the last two days are fetched again even when complete
RECHECK = timedelta(days=30)  # a direction the meter does not measure is asked again


@dataclass(frozen=True)
class Series:
    direction: Direction
    kind: Literal["curve", "daily", "max_power"]

    @property
    def key(self) -> str:
        return f"{self.direction}/{self.kind}"

    @property
    def window(self) -> timedelta:
        return timedelta(days=CURVE_WINDOW_DAYS if self.kind == "curve" else DAILY_WINDOW_DAYS)

    @property
    def label(self) -> str:
        name = {"curve": "load curve", "daily": "daily energy", "max_power": "daily max power"}
        return f"{self.direction} {name[self.kind]}"


SERIES = (
    Series("consumption", "curve"),
    Series("consumption", "daily"),
    Series("consumption", "max_power"),
    Series("production", "curve"),
    Series("production", "daily"),
)


def days_to_fetch(
    state: SeriesState,
    start: date,
    end: date,
    *,
    today: date,
    lower: date,
    catch_up: bool,
) -> list[date]:
    """The days to fetch, never before ``lower``:

    - the missing (or stale) days of ``[start, end)``;
    - with ``catch_up``, the missing (or stale) days since the series' first recorded day;
    - the days already fetched among the last two (late corrections cheaply ride along).
    """
    correction = today - timedelta(days=CORRECTION_DAYS)
    recorded = state.first_day()
    since = recorded if catch_up and recorded is not None else start
    first = max(min(start, since, correction), lower)
    wanted_from = {
        "missing": min(start, since),
        "stale": min(start, since),
        "complete": correction,
        "partial": correction,
    }
    needed = []
    for n in range((end - first).days):
        day = first + timedelta(days=n)
        status = state.status(day)
        if status in wanted_from and day >= wanted_from[status]:
            needed.append(day)
    return needed


def refused(point: UsagePointState, direction: str, today: date) -> bool:
    """The meter does not measure ``direction``, as Enedis said less than a month ago
    (a home may add solar panels: a refusal is asked again, as the contract is)."""
    if point.directions.get(direction) is not False:
        return False
    checked = point.direction_checked.get(direction)
    return checked is not None and today - checked < RECHECK


def next_window(pending: Sequence[date], size: timedelta) -> tuple[date, date]:
    """The window starting at the first pending day and ending after the last it can hold."""
    start = pending[0]
    return start, max(d for d in pending if d < start + size) + timedelta(days=1)


def cover(days: Sequence[date], size: timedelta) -> list[tuple[date, date]]:
    """The fewest windows of at most ``size`` covering ``days`` (sorted), greedily."""
    windows = []
    pending = list(days)
    while pending:
        windows.append(next_window(pending, size))
        pending = [d for d in pending if d >= windows[-1][1]]
    return windows
