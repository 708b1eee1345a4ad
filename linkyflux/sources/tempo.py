"""Tempo day colours, kept in ``tempo.json`` in the state directory, from one of two sources
(docs/tempo-and-seasons.md §A1):

- api-couleur-tempo.fr (no account): ``/joursTempo?periode[]=2025-2026``, the whole season;
- RTE's "Tempo Like Supply Contract" API (a free data.rte-france.com application): a
  client-credentials token, then ``tempo_like_calendars`` from 1 September to tomorrow.

A colour is asked for once per Tempo season and run, and only when one of its days is not
known yet. A known colour of a day up to today is kept for good and never asked again;
tomorrow's may still change until noon, so it is not kept, and neither is an unknown one
(``codeJour`` 0, a day the source lacks). After a failure (no answer, an error, a body of an
unexpected shape) nothing more is asked in that run: the days wait, uncoloured, for a later run.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Final

import httpx

from linkyflux.fsutil import Damaged, read_document, write_private
from linkyflux.tariffs.tempo import COLOURS, Colour
from linkyflux.timeutil import PARIS, Clock, paris_today

CACHE_FILE: Final = "tempo.json"
CACHE_VERSION: Final = 1
CODES: Final[dict[int, Colour]] = {1: "BLUE", 2: "WHITE", 3: "RED"}
_NAMES: Final[dict[str, Colour]] = {colour: colour for colour in COLOURS}  # str -> Colour
SEASON_STARTS: Final = 9  # a Tempo season runs from 1 September to 31 August
RTE_TOKEN: Final = "token/oauth/"
RTE_CALENDARS: Final = "open_api/tempo_like_supply_contract/v1/tempo_like_calendars"

Fetch = Callable[[str], dict[date, Colour]]
"""A season's known colours from a source; raises :class:`SourceError` or ``httpx.HTTPError``."""


class SourceError(Exception):
    """The colour source answered, but not with colours."""


def season_of(day: date) -> str:
    """``2025-2026`` for a day from 2025-09-01 to 2026-08-31."""
    first = day.year if day.month >= SEASON_STARTS else day.year - 1
    return f"{first}-{first + 1}"


class TempoColours:
    """The colour of each Tempo day, from the cache, else from the source (see the module)."""

    def __init__(self, fetch: Fetch, where: str, state_dir: Path, clock: Clock) -> None:
        self.fetch = fetch
        self.where = where
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
        try:
            days = self.fetch(season)
        except httpx.HTTPError as exc:
            self.failure = (
                f"the Tempo colour source {self.where} cannot be reached ({type(exc).__name__})"
            )
            return
        except SourceError as exc:
            self.failure = f"the Tempo colour source {self.where} {exc}"
            return
        today = paris_today(self.clock)
        new = {day: colour for day, colour in days.items() if day <= today}
        if any(self.known.get(day) != colour for day, colour in new.items()):
            self.known.update(new)
            _save(self.path, self.known)


def api_couleur_tempo(client: httpx.Client) -> Fetch:
    """api-couleur-tempo.fr: ``[{"dateJour": "2026-03-27", "codeJour": 3, …}, …]``."""

    def fetch(season: str) -> dict[date, Colour]:
        response = client.get("joursTempo", params={"periode[]": season})
        return _season(response, season, _jours_tempo)

    return fetch


def rte(client: httpx.Client, client_id: str, client_secret: str, clock: Clock) -> Fetch:
    """RTE's Tempo Like Supply Contract API: a token (HTTP Basic client credentials), then a
    season's calendar, from 1 September to tomorrow (RTE serves up to J+2)."""
    token: dict[str, Any] = {}

    def bearer() -> str:
        if not token or clock.now() >= token["until"]:
            response = client.post(
                RTE_TOKEN,
                data={"grant_type": "client_credentials"},
                auth=(client_id, client_secret),
            )
            if response.status_code != 200:
                raise SourceError(
                    f"refused the application's credentials (HTTP {response.status_code})"
                )
            try:
                body = response.json()
                token["value"] = str(body["access_token"])
                lifetime = int(body.get("expires_in", 3600))
            except (ValueError, KeyError, TypeError):
                raise SourceError("sent a token answer without an access_token") from None
            token["until"] = clock.now() + timedelta(seconds=max(lifetime - 60, 0))
        return str(token["value"])

    def fetch(season: str) -> dict[date, Colour]:
        first = date(int(season[:4]), SEASON_STARTS, 1)
        end = min(date(first.year + 1, SEASON_STARTS, 1), paris_today(clock) + timedelta(days=2))
        response = client.get(
            RTE_CALENDARS,
            params={"start_date": _rte_stamp(first), "end_date": _rte_stamp(end)},
            headers={"Authorization": f"Bearer {bearer()}"},
        )
        return _season(response, season, _tempo_like_calendars)

    return fetch


def _season(
    response: httpx.Response, season: str, parse: Callable[[Any], dict[date, Colour]]
) -> dict[date, Colour]:
    """A season's answer read by ``parse``, or the :class:`SourceError` that says why not."""
    if response.status_code != 200:
        raise SourceError(f"answered HTTP {response.status_code} for season {season}")
    try:
        return parse(response.json())
    except ValueError as exc:
        raise SourceError(f"sent an unexpected answer for season {season}: {exc}") from None


def _rte_stamp(day: date) -> str:
    """Midnight of ``day`` in Paris with its offset, as RTE wants it (``+01:00``/``+02:00``)."""
    return datetime.combine(day, time(0), PARIS).isoformat()


def _jours_tempo(body: Any) -> dict[date, Colour]:
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


def _tempo_like_calendars(body: Any) -> dict[date, Colour]:
    """``{"tempo_like_calendars": {"values": [{"start_date": "…T00:00:00+01:00", "value":
    "BLUE", …}, …]}}``, newest first; a day is named by the local date it starts."""
    values = body.get("tempo_like_calendars", {}).get("values") if isinstance(body, dict) else None
    if not isinstance(values, list):
        raise ValueError("no tempo_like_calendars.values list")
    out: dict[date, Colour] = {}
    for value in values:
        if not isinstance(value, dict) or value.get("value") not in _NAMES:
            raise ValueError(f"a day without a colour: {str(value)[:80]!r}")
        start = datetime.fromisoformat(str(value.get("start_date")))
        out[start.astimezone(PARIS).date()] = _NAMES[value["value"]]
    return out


def _load(path: Path) -> dict[date, Colour]:
    """The cache; a damaged one is no cache (its colours are asked again). One that is not a
    file, or of a newer version, is a StateError: it could not be written, or would be
    overwritten with less."""
    try:
        document = read_document(path, CACHE_VERSION, "move it away")
    except Damaged:
        return {}
    if document is None:
        return {}
    try:
        colours = document.value["colours"]
        return {date.fromisoformat(day): _NAMES[colour] for day, colour in colours.items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        return {}


def _save(path: Path, known: dict[date, Colour]) -> None:
    colours = {day.isoformat(): colour for day, colour in sorted(known.items())}
    write_private(path, json.dumps({"version": CACHE_VERSION, "colours": colours}).encode())
