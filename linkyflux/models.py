"""Typed readings: what every gateway and dialect is normalised into.

All instants are timezone-aware UTC (a load-curve reading's start is kept as whole seconds
since the Unix epoch, which is UTC); days are Europe/Paris calendar days.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

Direction = Literal["consumption", "production"]
USAGE_POINT = re.compile(r"[0-9]{14}")  # a usage point (PRM, PDL): 14 digits


def is_usage_point(text: str) -> bool:
    return USAGE_POINT.fullmatch(text) is not None


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


# Distribution tariffs with off-peak hours end in DT (or 4, seasonal); ST is single rate.
TWO_RATES = re.compile(r"(DT|4)$")


@dataclass(frozen=True)
class Contract:
    """A usage point's contract, as read by the sources (see :mod:`linkyflux.sources.contracts`)
    and used by the tariffs and the sinks."""

    usage_point_id: str
    subscribed_power_kva: float | None
    tariff_code: str | None
    offpeak_hours: str | None
    status: str | None
    activation: date | None

    @property
    def single_rate(self) -> bool:
        return bool(self.tariff_code) and not TWO_RATES.search(self.tariff_code or "")

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["activation"] = self.activation.isoformat() if self.activation else None
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Contract:
        activation = raw.get("activation")
        return cls(
            usage_point_id=str(raw["usage_point_id"]),
            subscribed_power_kva=raw.get("subscribed_power_kva"),
            tariff_code=raw.get("tariff_code"),
            offpeak_hours=raw.get("offpeak_hours"),
            status=raw.get("status"),
            activation=date.fromisoformat(activation) if activation else None,
        )


# Netatmo energy modules (Legrand Ecocompteur NLE, Connected Energy Meter NLPC), docs/netatmo.md
CircuitKind = Literal["electric", "gas", "hot_water", "cold_water"]
NLE_KINDS: dict[int, CircuitKind] = {
    **dict.fromkeys(range(6), "electric"),
    6: "gas",
    7: "hot_water",
    8: "cold_water",
}  # an NLE channel's kind, by its index (names are the user's: never keyed on)


@dataclass(frozen=True, slots=True)
class Circuit:
    """One metered channel of a Netatmo energy module, as ``homesdata`` lists it."""

    home_id: str
    home_name: str
    bridge_id: str  # getmeasure's device_id: the NLE itself, or the NLPC's gateway
    module_id: str  # getmeasure's module_id: "<mac>#<index>" (NLE) or the NLPC's id
    name: str  # the user's name for it
    kind: CircuitKind
    module_type: str  # "NLE" or "NLPC"


@dataclass(frozen=True, slots=True)
class CircuitReading:
    """A circuit's energy over [start, start + minutes), its start in whole seconds since
    the epoch (Netatmo stamps the middle of the bucket: this is the start)."""

    circuit: Circuit
    timestamp: int
    minutes: int
    energy_wh: float
