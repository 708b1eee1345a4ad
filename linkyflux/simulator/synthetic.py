"""Deterministic synthetic Linky meters, the data behind the simulator.

Every value is a pure function of (usage point, direction, day): the same meter gives the
same curve in every run, on every machine, whatever "today" is. The shapes are plausible
rather than exact: a household with a base load, morning and evening peaks, a water heater
on at night and winter heating; solar panels following the sun with a cloudiness per day.

The curve is generated in UTC steps from local midnight to the next local midnight, so
DST days come out with 46 or 50 half-hours, exactly as Enedis sends them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache

from linkyflux.models import Direction
from linkyflux.timeutil import PARIS, paris_day_bounds

OLD_ACTIVATION = date(2015, 3, 2)


@dataclass(frozen=True, slots=True)
class Interval:
    """One simulated load-curve interval, with its true instant (UTC)."""

    start: datetime
    minutes: int
    power_w: int

    @property
    def end(self) -> datetime:
        return self.start + timedelta(minutes=self.minutes)

    @property
    def energy_wh(self) -> float:
        return self.power_w * self.minutes / 60


@dataclass(frozen=True, slots=True)
class Meter:
    usage_point_id: str
    label: str
    directions: tuple[Direction, ...] = ("consumption",)
    step_minutes: int = 30
    activation: date = OLD_ACTIVATION
    hourly_collection: bool = True
    # Paris weekdays (0 = Monday) on which the curve misses 10:00-14:00 local.
    gap_weekdays: frozenset[int] = field(default_factory=frozenset)
    revoked: bool = False
    scale: float = 1.0
    # contract (customers_upc / situation_contrat_auto): production-only meters have none
    subscribed_kva: int = 9
    tariff: str = "BTINFMUDT"
    offpeak: str | None = "HC (22H00-6H00)"


METERS: tuple[Meter, ...] = (
    Meter("22516914714270", "household, PT30M, consumption"),
    Meter(
        "50000000000010",
        "household, PT10M (network study), single rate",
        step_minutes=10,
        scale=0.8,
        subscribed_kva=6,
        tariff="BTINFCUST",
        offpeak=None,
    ),
    Meter(
        "50000000000060",
        "household, PT60M (hourly), two off-peak blocks",
        step_minutes=60,
        scale=1.3,
        subscribed_kva=12,
        offpeak="HC (1H30-8H00;12H30-14H00)",
    ),
    Meter("24880057139941", "solar plant, production only", directions=("production",)),
    Meter(
        "12655648759651",
        "self-consumption, both directions",
        directions=("consumption", "production"),
        offpeak="HC (23h00-7h30)",
    ),
    Meter(
        "42900589957123",
        "gaps every Tuesday and Wednesday, 10:00-14:00",
        gap_weekdays=frozenset({1, 2}),
    ),
    Meter("11453290002823", "activated on 2026-11-10", activation=date(2026, 11, 10)),
    Meter("32320647321714", "hourly collection not enabled", hourly_collection=False),
    Meter("26584978546985", "consent revoked (ADAM-DC-0008)", revoked=True),
)
METERS_BY_ID = {m.usage_point_id: m for m in METERS}
DEFAULT_CONSENT: tuple[str, ...] = tuple(m.usage_point_id for m in METERS if not m.revoked)


def _rng(*parts: object) -> random.Random:
    # str seeds are hashed with SHA-512 by random.seed: stable across runs and machines.
    return random.Random("|".join(str(p) for p in parts))


def _household_w(local: datetime, heat: float, rng: random.Random) -> float:
    hour = local.hour + local.minute / 60
    doy = local.timetuple().tm_yday
    winter = max(0.0, math.cos(2 * math.pi * (doy - 15) / 365))
    power = 220.0
    if 6.5 <= hour < 8.5:
        power += 900
    if 12 <= hour < 13.5:
        power += 500
    if 18 <= hour < 22:
        power += 1300
    if hour >= 23 or hour < 1.5:  # water heater on the night off-peak
        power += 2000
    heating = 1800 * winter * heat
    if hour < 6 or hour >= 17:
        heating *= 1.4
    power += heating
    return power * rng.uniform(0.85, 1.15)


def _solar_w(instant: datetime, cloud: float) -> float:
    doy = instant.astimezone(PARIS).timetuple().tm_yday
    day_hours = 12 + 4 * math.sin(2 * math.pi * (doy - 80) / 365)
    noon_utc = 11.8  # solar noon in France, about 2 degrees east
    hour_utc = instant.hour + instant.minute / 60
    rise = noon_utc - day_hours / 2
    if not rise < hour_utc < rise + day_hours:
        return 0.0
    season = 0.55 + 0.45 * math.sin(2 * math.pi * (doy - 80) / 365)
    return 3000 * season * cloud * math.sin(math.pi * (hour_utc - rise) / day_hours)


@lru_cache(maxsize=8192)
def _raw_day(usage_point_id: str, day: date) -> tuple[tuple[datetime, int, int, int], ...]:
    """(start, minutes, load W, solar W) for every interval of a Paris day, without gaps."""
    meter = METERS_BY_ID[usage_point_id]
    rng = _rng(usage_point_id, day.isoformat())
    heat = rng.uniform(0.6, 1.3)
    cloud = rng.uniform(0.15, 1.0)
    solar_panels = meter.directions != ("consumption",)
    begin, end = paris_day_bounds(day)
    step = timedelta(minutes=meter.step_minutes)
    rows = []
    t = begin
    while t < end:
        mid = t + step / 2
        load = _household_w(mid.astimezone(PARIS), heat, rng) * meter.scale
        solar = _solar_w(mid, cloud) * meter.scale if solar_panels else 0.0
        rows.append((t, meter.step_minutes, round(load), round(solar)))
        t += step
    return tuple(rows)


def full_curve(meter: Meter, direction: Direction, day: date) -> list[Interval]:
    """Every interval of the day, gaps included (what the meter measured)."""
    out = []
    for start, minutes, load, solar in _raw_day(meter.usage_point_id, day):
        if meter.directions == ("production",):
            power = solar
        elif meter.directions == ("consumption",):
            power = load
        elif direction == "consumption":  # self-consumption: net value on one side only
            power = max(0, load - solar)
        else:
            power = max(0, solar - load)
        out.append(Interval(start, minutes, power))
    return out


def published_curve(meter: Meter, direction: Direction, day: date) -> list[Interval]:
    """The intervals Enedis publishes for that day (the meter's gaps removed)."""
    curve = full_curve(meter, direction, day)
    if meter.gap_weekdays and day.weekday() in meter.gap_weekdays:
        curve = [i for i in curve if not 10 <= i.start.astimezone(PARIS).hour < 14]
    return curve


def daily_energy_wh(meter: Meter, direction: Direction, day: date) -> int:
    """Daily energy as Enedis computes it from the meter: whole Wh, gaps do not matter."""
    return round(sum(i.energy_wh for i in full_curve(meter, direction, day)))


def max_power(meter: Meter, day: date) -> tuple[int, datetime]:
    """The day's maximum apparent power (VA) and the instant (UTC) it was reached."""
    curve = full_curve(meter, "consumption", day)
    peak = max(curve, key=lambda i: i.power_w)
    rng = _rng(meter.usage_point_id, "max", day.isoformat())
    at = peak.start + timedelta(seconds=rng.randrange(peak.minutes * 60))
    return round(peak.power_w * 1.08) + rng.randrange(300), at


def local_label(instant: datetime) -> str:
    """Enedis' timestamp format: naive Europe/Paris wall-clock time."""
    return instant.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")


def days_between(start: date, end: date) -> Sequence[date]:
    return [start + timedelta(days=n) for n in range((end - start).days)]
