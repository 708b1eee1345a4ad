"""EDF's Tempo tariff: which day's colour an interval is priced with.

Every Tempo customer has HC 22:00-06:00 (whatever the meter's Enedis off-peak hours) and one of
three colours per day (BLUE, WHITE, RED), with six kWh prices. A Tempo day runs from 06:00 to
06:00 Europe/Paris: the night from 00:00 to 06:00 of calendar day D is HC of D-1's colour, and
22:00-24:00 of D is HC of D's colour (docs/tempo-and-seasons.md §A2). On the days the clocks
change, the Tempo day lasts 23 or 25 hours: the rule is on the wall clock.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Final, Literal

from linkyflux.timeutil import PARIS

Colour = Literal["BLUE", "WHITE", "RED"]
COLOURS: Final[tuple[Colour, ...]] = ("BLUE", "WHITE", "RED")
TEMPO_OFFPEAK: Final = "22h00-6h00"  # HC of every Tempo customer
DAY_STARTS_AT: Final = 6  # o'clock, Europe/Paris wall clock


def tempo_day(start: datetime) -> date:
    """The Tempo day of the interval starting at the aware instant ``start``."""
    if start.tzinfo is None:
        raise ValueError(f"a Tempo day needs a timezone-aware instant, not {start}")
    local = start.astimezone(PARIS)
    day = local.date()
    return day - timedelta(days=1) if local.hour < DAY_STARTS_AT else day
