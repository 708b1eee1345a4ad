"""The seasons of seasonal off-peak hours, and which one a Europe/Paris day is in.

Pure: no I/O and no clock. Enedis' reform of the off-peak hours gives many homes other hours
in summer than in winter from its phase 2 (second half of 2026; docs/tempo-and-seasons.md
Part C). The seasons are TURPE's by default: winter ("saison haute") from 1 November to 31
March, summer ("saison basse") from 1 April to 31 October. Both first days are settings
(``tariff.winter_from``, ``tariff.summer_from``); a season runs from its first day
(inclusive) to the other's (exclusive), across the new year when it has to.

A season is a property of the Paris day, as a weekday is: every interval of a day is tagged
with the off-peak hours of that day's season, whatever its hour.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

Season = Literal["winter", "summer"]
WINTER: Final = "winter"
SUMMER: Final = "summer"
SEASONS: Final[tuple[Season, ...]] = (WINTER, SUMMER)

# The grammar's season words, without accents (the grammar folds them); 3 letters at least,
# as "su" is Sunday and "et" (the folded "ét") a connector. to_text writes SEASON_WORDS (in
# the order of SEASONS).
SEASON_NAMES: Final[dict[Season, tuple[str, ...]]] = {
    WINTER: ("hiver", "winter"),
    SUMMER: ("ete", "summer"),
}
SEASON_WORDS: Final[dict[Season, str]] = {WINTER: "hiver", SUMMER: "été"}
MIN_SEASON_LETTERS: Final = 3

MonthDay = tuple[int, int]
"""A day of the year as ``(month, day)``; ``(2, 29)`` is 1 March in other years."""

_MONTH_DAY: Final = re.compile(r"(\d{1,2})-(\d{1,2})")
_MONTHS: Final = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def month_day(text: str) -> MonthDay:
    """``"11-01"`` as ``(11, 1)``; :class:`ValueError` unless it is a real day of a year."""
    match = _MONTH_DAY.fullmatch(text)
    if match:
        month, day = int(match[1]), int(match[2])
        try:
            date(2000, month, day)  # a leap year: 02-29 is a day of the year
        except ValueError:
            pass
        else:
            return month, day
    raise ValueError('must be a day of the year as MM-DD, such as "11-01" for 1 November')


@dataclass(frozen=True)
class Seasons:
    """The first day of winter and of summer; a day is in the season that began last."""

    winter_from: MonthDay = (11, 1)
    summer_from: MonthDay = (4, 1)

    def __post_init__(self) -> None:
        for first in (self.winter_from, self.summer_from):
            month_day(f"{first[0]:02d}-{first[1]:02d}")
        if self.winter_from == self.summer_from:
            raise ValueError("winter and summer cannot begin on the same day")

    @classmethod
    def from_text(cls, winter_from: str, summer_from: str) -> Seasons:
        """From ``"MM-DD"`` texts, as the settings hold them."""
        return cls(month_day(winter_from), month_day(summer_from))

    def season_of(self, day: date) -> Season:
        """The season of a Europe/Paris day."""
        today = (day.month, day.day)
        winter, summer = self.winter_from, self.summer_from
        if winter < summer:  # winter within one calendar year
            return WINTER if winter <= today < summer else SUMMER
        return SUMMER if summer <= today < winter else WINTER

    def describe(self) -> str:
        """``winter from 1 November, summer from 1 April``."""
        return ", ".join(
            f"{season} from {first[1]} {_MONTHS[first[0] - 1]}"
            for season, first in ((WINTER, self.winter_from), (SUMMER, self.summer_from))
        )


TURPE_SEASONS: Final = Seasons()
