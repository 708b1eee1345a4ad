"""Typed readings: what every gateway and dialect is normalised into.

All instants are timezone-aware UTC (a load-curve reading's start is kept as whole seconds
since the Unix epoch, which is UTC); days are Europe/Paris calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Literal

Direction = Literal["consumption", "production"]


@dataclass(frozen=True, slots=True)
class CurveReading:
    """One load-curve interval: average power over [start, start + minutes).

    Its start is kept as ``timestamp``, whole seconds since the Unix epoch: what line
    protocol writes and what classifying compares, with no conversion per interval (a
    backfill has tens of thousands); :attr:`start` is the same instant as a datetime."""

    usage_point_id: str
    direction: Direction
    timestamp: int
    minutes: int
    power_w: float

    @classmethod
    def at(
        cls,
        usage_point_id: str,
        direction: Direction,
        start: datetime,
        minutes: int,
        power_w: float,
    ) -> CurveReading:
        """The reading of the interval starting at the aware instant ``start``."""
        if start.utcoffset() is None:
            raise ValueError(f"a reading starts at an aware instant, not {start.isoformat()}")
        return cls(usage_point_id, direction, int(start.timestamp()), minutes, power_w)

    @property
    def start(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp, UTC)

    @property
    def energy_wh(self) -> float:
        return self.power_w * self.minutes / 60


@dataclass(frozen=True, slots=True)
class DailyReading:
    usage_point_id: str
    direction: Direction
    day: date
    energy_wh: float


@dataclass(frozen=True, slots=True)
class MaxPowerReading:
    usage_point_id: str
    day: date
    power_va: float
    at: datetime | None
