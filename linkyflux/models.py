"""Typed readings: what every gateway and dialect is normalised into.

All instants are timezone-aware UTC; days are Europe/Paris calendar days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal

Direction = Literal["consumption", "production"]


@dataclass(frozen=True, slots=True)
class CurveReading:
    """One load-curve interval: average power over [start, start + minutes)."""

    usage_point_id: str
    direction: Direction
    start: datetime
    minutes: int
    power_w: float

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
