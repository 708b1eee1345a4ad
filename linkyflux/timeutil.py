"""Time: Europe/Paris, aware datetimes only, and an injectable clock.

Nothing in linkyflux reads the machine's time zone or calls ``datetime.now()`` directly:
"today" is always the Europe/Paris date of ``clock.now()``. Tests and the demo use
:class:`FakeClock`, whose ``sleep`` advances time instantly, so pacing, back-off and
device-flow polling run without waiting.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, date, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware (UTC)."""
        ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class FakeClock:
    """A clock that only moves when someone sleeps (or calls :meth:`advance`). Thread-safe."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            if seconds > 0:
                self._now += timedelta(seconds=seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def paris_today(clock: Clock) -> date:
    return paris_day(clock.now())


def paris_day(instant: datetime) -> date:
    """The Europe/Paris date of an aware instant (a naive one is refused: it would be read
    in the machine's time zone)."""
    if instant.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is needed, got {instant.isoformat()}")
    return instant.astimezone(PARIS).date()


def paris_midnight(day: date) -> datetime:
    """The instant (UTC) at which ``day`` starts in Europe/Paris."""
    return datetime(day.year, day.month, day.day, tzinfo=PARIS).astimezone(UTC)


def paris_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Paris day as UTC instants: 23, 24 or 25 hours long."""
    return paris_midnight(day), paris_midnight(day + timedelta(days=1))


def paris_day_minutes(day: date) -> int:
    """How long a Paris day lasts, in minutes (1380 or 1500 on the days the clocks change)."""
    begin, end = paris_day_bounds(day)
    return int((end - begin).total_seconds() // 60)
