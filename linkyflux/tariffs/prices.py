"""Prices in force by day, and what energy cost (``[[tariff.price]]``).

Each price list entry applies from its ``from`` day (Europe/Paris midnight) until the next
one, so adding a new price never changes the cost of the days before it; an entry keeps every
price it does not set from the one before (:func:`carried_over`). An interval is
priced by the day it starts on and its tariff tag: ``base`` for BASE, ``hc`` / ``hp`` for
off-peak / peak consumption, ``production`` for every produced interval (sold energy, any
tariff); on Tempo, ``blue_hc`` … ``red_hp`` by the colour of its Tempo day. A missing price
means no cost is written, never a guess.

Costs are rounded to the micro-euro: a month of half-hours then sums to within a tenth of a
cent of the exact figure.
"""

from __future__ import annotations

import bisect
import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from linkyflux.tariffs.schedule import BASE, HC, HP
from linkyflux.tariffs.tempo import Colour

DIGITS = 6
TEMPO_PRICES = ("blue_hc", "blue_hp", "white_hc", "white_hp", "red_hc", "red_hp")
PRICE_NAMES = ("base", "hc", "hp", "production", "subscription", *TEMPO_PRICES)


@dataclass(frozen=True)
class Price:
    """Prices in euros: per kWh, and ``subscription`` per month (consumption only)."""

    start: date
    base: float | None = None
    hc: float | None = None
    hp: float | None = None
    production: float | None = None
    subscription: float | None = None
    blue_hc: float | None = None
    blue_hp: float | None = None
    white_hc: float | None = None
    white_hp: float | None = None
    red_hc: float | None = None
    red_hp: float | None = None

    def per_kwh(self, direction: str, tariff: str, colour: Colour | None = None) -> float | None:
        """The price of a kWh of ``tariff`` (on Tempo, of that ``colour``)."""
        if direction == "production":
            return self.production
        if colour is not None:
            return _tempo_price(self, colour, tariff)
        return {BASE: self.base, HC: self.hc, HP: self.hp}.get(tariff)


def _tempo_price(price: Price, colour: Colour, tariff: str) -> float | None:
    if tariff not in (HC, HP):
        return None
    value: float | None = getattr(price, f"{colour.lower()}_{tariff.lower()}")
    return value


def carried_over(changes: Sequence[tuple[date, Mapping[str, float | None]]]) -> list[Price]:
    """The prices in force from each day: the ones that day's change sets (None: that price
    ends), the others as they were before it."""
    prices = []
    current: dict[str, float | None] = {}
    for start, change in sorted(changes, key=lambda c: c[0]):
        current = {**current, **change}
        prices.append(Price(start, **current))
    return prices


def energy_cost(energy_wh: float, per_kwh: float) -> float:
    """``energy_wh`` at ``per_kwh`` euros, rounded to the micro-euro."""
    return round(energy_wh / 1000 * per_kwh, DIGITS)


class PriceList:
    def __init__(self, prices: Sequence[Price] = ()) -> None:
        self.prices = sorted(prices, key=lambda p: p.start)
        self._starts = [p.start for p in self.prices]

    def on(self, day: date) -> Price | None:
        """The price in force on ``day`` (None before the first one)."""
        index = bisect.bisect_right(self._starts, day)
        return self.prices[index - 1] if index else None

    def per_kwh(
        self, day: date, direction: str, tariff: str, colour: Colour | None = None
    ) -> float | None:
        """The price of a kWh of that tariff (and Tempo colour) on ``day`` (None: no price)."""
        price = self.on(day)
        return price.per_kwh(direction, tariff, colour) if price else None

    def cost(self, day: date, direction: str, tariff: str, energy_wh: float) -> float | None:
        """What ``energy_wh`` of that tariff cost (or earned, produced) on ``day``."""
        per_kwh = self.per_kwh(day, direction, tariff)
        return None if per_kwh is None else energy_cost(energy_wh, per_kwh)

    def subscription_share(self, day: date) -> float | None:
        """The day's share of the monthly subscription (a calendar month sums to it)."""
        price = self.on(day)
        if price is None or price.subscription is None:
            return None
        days = calendar.monthrange(day.year, day.month)[1]
        return round(price.subscription / days, DIGITS)
