"""Tempo day colours, from api-couleur-tempo.fr (docs/tempo-and-seasons.md §A1.1), kept in
``tempo.json`` in the state directory.

A colour is asked for once per Tempo season and run (``/joursTempo?periode[]=2025-2026``: one
call, the whole season) and only when one of its days is not known yet. A known colour of a day
up to today is kept for good and never asked again; tomorrow's may still change until noon, so
it is not kept, and neither is an unknown one (``codeJour`` 0, or a day the source lacks). After
a failure (no answer, an error, a body that is not a list of days) nothing more is asked in that
run: the days wait, uncoloured, for a later run.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any, Final

import httpx

from linkyflux.fsutil import write_private
from linkyflux.tariffs.tempo import Colour
from linkyflux.timeutil import Clock, paris_today

CACHE_FILE: Final = "tempo.json"
CODES: Final[dict[int, Colour]] = {1: "BLUE", 2: "WHITE", 3: "RED"}
SEASON_STARTS: Final = 9  # a Tempo season runs from 1 September to 31 August


def season_of(day: date) -> str:
    """``2025-2026`` for a day from 2025-09-01 to 2026-08-31."""
    first = day.year if day.month >= SEASON_STARTS else day.year - 1
    return f"{first}-{first + 1}"


class TempoColours:
    """The colour of each Tempo day, from the cache, else from the source (see the module)."""

    def __init__(self, client: httpx.Client, state_dir: Path, clock: Clock) -> None:
        self.client = client
        self.path = state_dir / CACHE_FILE
        self.clock = clock
        self.known: dict[date, Colour] = _load(self.path)
        self.failure: str | None = None
        self._asked: set[str] = set()

    def colour(self, day: date) -> Colour | None:
        """The colour of the Tempo day ``day`` (None: not known yet)."""
        known = self.known.get(day)
        if known is None and self.failure is None and season_of(day) not in self._asked:
            self._asked.add(season_of(day))
            self._ask(season_of(day))
            known = self.known.get(day)
        return known

    def _ask(self, season: str) -> None:
        where = f"the Tempo colour source {self.client.base_url}"
        try:
            response = self.client.get("joursTempo", params={"periode[]": season})
        except httpx.HTTPError as exc:
            self.failure = f"{where} cannot be reached ({type(exc).__name__})"
            return
        if response.status_code != 200:
            self.failure = f"{where} answered HTTP {response.status_code} for season {season}"
            return
        try:
            days = _colours(response.json())
        except ValueError as exc:
            self.failure = f"{where} sent an unexpected answer for season {season}: {exc}"
            return
        today = paris_today(self.clock)
        new = {day: colour for day, colour in days.items() if day <= today}
        if any(self.known.get(day) != colour for day, colour in new.items()):
            self.known.update(new)
            _save(self.path, self.known)


def _colours(body: Any) -> dict[date, Colour]:
    """``[{"dateJour": "2026-03-27", "codeJour": 3, …}, …]`` as the known colours."""
    if not isinstance(body, list):
        raise ValueError("not a list of days")
    out: dict[date, Colour] = {}
    for row in body:
        if not isinstance(row, dict) or not isinstance(row.get("dateJour"), str):
            raise ValueError(f"a day without a dateJour: {str(row)[:80]!r}")
        code = row.get("codeJour")
        if not isinstance(code, int) or isinstance(code, bool) or code not in (0, *CODES):
            raise ValueError(f"codeJour {code!r} on {row['dateJour']}")
        if code:
            out[date.fromisoformat(row["dateJour"])] = CODES[code]
    return out


def _load(path: Path) -> dict[date, Colour]:
    """The cache; a damaged one is no cache (its colours are asked again)."""
    names: dict[str, Colour] = {c: c for c in CODES.values()}
    try:
        raw = json.loads(path.read_text())
        return {date.fromisoformat(day): names[colour] for day, colour in raw["colours"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save(path: Path, known: dict[date, Colour]) -> None:
    colours = {day.isoformat(): colour for day, colour in sorted(known.items())}
    write_private(path, json.dumps({"version": 1, "colours": colours}).encode())
