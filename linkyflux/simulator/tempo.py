"""Tempo day colours: the simulator's calendar and the two sources that publish it,
api-couleur-tempo.fr (``/tempo/api/…``) and RTE's "Tempo Like Supply Contract" API
(``/rte/…``), as ``../shared/docs/tempo-and-seasons.md`` §A1.1, §A1.2 and §A2.1 describe them.

- The calendar (:func:`colour`, :func:`season`) is pure and deterministic, one draw per season
  seeded by its name, following RTE's rules: a season runs 1 Sept → 31 Aug with 22 red days
  (Monday to Friday, not public holidays, 1 Nov → 31 Mar, at most 5 in a row) and 43 white days
  (any day but Sunday); every other day is blue.
- A test forces a colour (``State.tempo_overrides``) or removes a day from both sources
  (``State.tempo_holes``); the colour of day D is published at D-1 11:00 Europe/Paris on the
  simulator's clock, unknown before.
- api-couleur-tempo.fr (no auth): ``jourTempo/{date|today|tomorrow|yesterday}`` and the
  unpaginated ``joursTempo`` collection with its repeatable ``periode``, ``dateJour`` and
  ``codeJour`` filters; rows exist from 2020-09-01 to today+2 (``codeJour`` 0 while unknown),
  anything else is API Platform's 404.
- RTE: a client-credentials token (HTTP Basic or form body), then ``tempo_like_calendars``
  with Paris-offset ISO dates, ``end_date`` exclusive, newest day first, unknown days left out.
  The error codes are those of RTE's guide as its clients quote it (``TMPLIKSUPCON_TMPLIKCAL_F01``
  to ``F07``: F03 more than 366 days, F04 ``end_date`` after J+2, F06 a date's format).
- Injected faults (:mod:`~linkyflux.simulator.faults`) reach a Tempo path only when their
  ``path_contains`` names it (so a fault meant for Enedis never lands here), and only the kinds
  a plain JSON API can show: 500, 503, a stall, a truncated body.
"""

from __future__ import annotations

import base64
import binascii
import random
import re
import secrets
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qsl

from linkyflux.simulator.faults import Fault, take_fault
from linkyflux.simulator.reply import Reply, error_reply, json_reply
from linkyflux.simulator.state import State
from linkyflux.timeutil import PARIS

COULEUR_PREFIX = "/tempo/api/"
RTE_PREFIX = "/rte/"
PREFIXES = (COULEUR_PREFIX, RTE_PREFIX)
RTE_CLIENT_ID = "rte-simulator-client"
RTE_CLIENT_SECRET = "rte-simulator-secret"
RTE_TOKEN_LIFETIME = 7200  # seconds of the simulator's clock
RTE_CALENDARS = "/rte/open_api/tempo_like_supply_contract/v1/tempo_like_calendars"
RTE_MAX_DAYS = 366
RED_DAYS, WHITE_DAYS, MOST_REDS_IN_A_ROW = 22, 43, 5
PUBLICATION = time(11)  # the colour of D is known from D-1 at this hour, Paris time
UPDATED = time(10, 20)  # RTE's updated_date of D: D-1 at 10:20 in every real example
COULEUR_HISTORY = date(2020, 9, 1)  # "l'historique des couleurs depuis 2020"
RTE_HISTORY = date(2014, 9, 1)
CODES = {"BLUE": (1, "Bleu"), "WHITE": (2, "Blanc"), "RED": (3, "Rouge")}
UNKNOWN = (0, "Inconnu")
TEMPO_FAULT_KINDS = ("technical_error", "unavailable", "timeout", "malformed")
ONE_DAY = timedelta(days=1)

# ----------------------------------------------------------------- the calendar


def season(day: date) -> str:
    """The Tempo season ``day`` belongs to, as both sources write it: ``"2025-2026"``."""
    first = day.year if day.month >= 9 else day.year - 1
    return f"{first}-{first + 1}"


def colour(day: date) -> str:
    """The simulated colour of ``day``: ``"BLUE"``, ``"WHITE"`` or ``"RED"``."""
    return _season_colours(season(day))[day]


@cache
def _season_colours(name: str) -> Mapping[date, str]:
    """One season's colours, drawn once per process from a generator seeded by its name."""
    # Imported on first use: building the holiday calendar costs ~0.2 s (see tariffs.schedule).
    import holidays

    first = int(name[:4])
    rng = random.Random(f"tempo-{name}")
    start = date(first, 9, 1)
    days = [start + n * ONE_DAY for n in range((date(first + 1, 9, 1) - start).days)]
    public_holidays = holidays.country_holidays("FR", years=(first, first + 1))
    winter = [d for d in days if date(first, 11, 1) <= d <= date(first + 1, 3, 31)]
    red_pool = [d for d in winter if d.weekday() < 5 and d not in public_holidays]
    # Cold spells: red days come in runs, mostly in December to February.
    core = [d for d in red_pool if d.month in (12, 1, 2)]
    red = _draw(rng, red_pool, core, RED_DAYS, MOST_REDS_IN_A_ROW, MOST_REDS_IN_A_ROW)
    white_pool = [d for d in days if d.weekday() != 6 and d not in red]
    white_winter = [d for d in white_pool if winter[0] <= d <= winter[-1]]
    white = _draw(rng, white_pool, white_winter, WHITE_DAYS, 3, None)
    return {d: "RED" if d in red else "WHITE" if d in white else "BLUE" for d in days}


def _draw(
    rng: random.Random,
    pool: list[date],
    favoured: list[date],
    count: int,
    run: int,
    most_in_a_row: int | None,
) -> set[date]:
    """``count`` days of ``pool``, in runs of 1 to ``run`` days starting mostly in
    ``favoured``, never more than ``most_in_a_row`` chosen days in a row."""
    allowed, chosen = set(pool), set[date]()
    while len(chosen) < count:
        day = rng.choice(favoured if favoured and rng.random() < 0.8 else pool)
        for _ in range(rng.randint(1, run)):
            if len(chosen) == count or day not in allowed or day in chosen:
                break
            if most_in_a_row is not None and _row_through(chosen, day) > most_in_a_row:
                break
            chosen.add(day)
            day += ONE_DAY
    return chosen


def _row_through(chosen: set[date], day: date) -> int:
    """How many days in a row ``chosen`` would hold with ``day`` added."""
    n = 1
    for step in (ONE_DAY, -ONE_DAY):
        other = day + step
        while other in chosen:
            n, other = n + 1, other + step
    return n


# ----------------------------------------------------------------- what the sources know


def published(sim: State, day: date) -> bool:
    """Is the colour of ``day`` out yet (D-1 11:00 Europe/Paris on the simulator's clock)?"""
    return sim.now() >= datetime.combine(day - ONE_DAY, PUBLICATION, PARIS)


def known_colour(sim: State, day: date) -> str | None:
    """The colour the sources give for ``day`` (a test's override first), None while it is
    not published or when the day is a hole."""
    if day in sim.tempo_holes or not published(sim, day):
        return None
    return sim.tempo_overrides.get(day) or colour(day)


def tempo_request(
    sim: State,
    method: str,
    path: str,
    raw_query: str,
    form: dict[str, str],
    authorization: str | None,
) -> Reply:
    """Any request under :data:`PREFIXES`: logged in ``tempo_calls``, injected faults first,
    then the source it is for (``raw_query`` as sent: filters repeat their keys)."""
    with sim._lock:
        sim.tempo_calls.append(f"{path}?{raw_query}" if raw_query else path)
        eligible = [f for f in sim._faults if f.path_contains and f.kind in TEMPO_FAULT_KINDS]
        fault = take_fault(eligible, path)
        if fault is not None:
            sim.faults_served += 1
            if fault.count <= 0:
                sim._faults.remove(fault)
    if fault is not None:
        return _fault_reply(fault, path)
    if path.startswith(COULEUR_PREFIX):
        if method != "GET":
            return _api_platform_error(405, "Method Not Allowed")
        return couleur_tempo(sim, path.removeprefix(COULEUR_PREFIX), raw_query)
    if path.rstrip("/") == "/rte/token/oauth" and method == "POST":
        return rte_token(sim, form, authorization)
    if path == RTE_CALENDARS and method == "GET":
        return rte_calendars(sim, dict(parse_qsl(raw_query, keep_blank_values=True)), authorization)
    return error_reply(404, "not_found", f"No resource at {method} {path}")


def _fault_reply(fault: Fault, path: str) -> Reply:
    """What a Tempo source answers when ``fault`` strikes (in its own error shape)."""
    couleur = path.startswith(COULEUR_PREFIX)
    if fault.kind == "technical_error":
        if couleur:
            return _api_platform_error(500, "Internal Server Error")
        return error_reply(500, "server_error", "Technical error. Please try later.")
    if fault.kind == "unavailable":
        return Reply(503, b"Service Unavailable", "text/plain")
    if fault.kind == "timeout":
        return Reply(504, b"", "text/plain", delay=fault.delay)
    return Reply(200, b'{"dateJour": "' if couleur else b'{"tempo_like_calendars": {"')


# ----------------------------------------------------------------- api-couleur-tempo.fr


def couleur_tempo(sim: State, route: str, raw_query: str) -> Reply:
    """``GET /tempo/api/<route>``: one day (``jourTempo/…``) or the collection
    (``joursTempo``)."""
    if route == "joursTempo":
        return json_reply(200, _jours_tempo(sim, _php_query(raw_query)))
    key = route.removeprefix("jourTempo/")
    today = sim.today()
    relative = {"yesterday": -1, "today": 0, "tomorrow": 1}
    day: date | None = None
    if route.startswith("jourTempo/") and key in relative:
        day = today + relative[key] * ONE_DAY
    elif route.startswith("jourTempo/") and re.fullmatch(r"\d{4}-\d{2}-\d{2}", key):
        try:
            day = date.fromisoformat(key)
        except ValueError:
            day = None
    row = _jour_tempo(sim, day, today) if day else None
    return json_reply(200, row) if row else _api_platform_error(404, "Not Found")


def _jour_tempo(sim: State, day: date, today: date) -> dict[str, Any] | None:
    """The row of ``day`` (``codeJour`` 0 while unknown); None where the server has none:
    before its history, after today+2 (the rows it creates at 00:01), a hole."""
    if day < COULEUR_HISTORY or day > today + 2 * ONE_DAY or day in sim.tempo_holes:
        return None
    known = known_colour(sim, day)
    code, label = CODES[known] if known else UNKNOWN
    return {
        "dateJour": day.isoformat(),
        "codeJour": code,
        "periode": season(day),
        "libCouleur": label,
    }


def _jours_tempo(sim: State, filters: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The rows the filters keep (each one exact, several values meaning any of them),
    oldest first, unpaginated."""
    today = sim.today()
    periodes, dates, codes = (filters.get(k) for k in ("periode", "dateJour", "codeJour"))
    rows = []
    day = COULEUR_HISTORY
    while day <= today + 2 * ONE_DAY:
        if (periodes is None or season(day) in periodes) and (
            dates is None or day.isoformat() in dates
        ):
            row = _jour_tempo(sim, day, today)
            if row and (codes is None or str(row["codeJour"]) in codes):
                rows.append(row)
        day += ONE_DAY
    return rows


def _php_query(raw_query: str) -> dict[str, list[str]]:
    """The query string as the PHP server reads it: ``key[]=a&key[]=b`` (or ``key[0]=…``) is
    a list; a bare ``key=a`` repeated keeps its last value."""
    out: dict[str, list[str]] = {}
    for key, value in parse_qsl(raw_query, keep_blank_values=True):
        name, bracket, _ = key.partition("[")
        if bracket:
            out.setdefault(name, []).append(value)
        else:
            out[name] = [value]
    return out


def _api_platform_error(status: int, detail: str) -> Reply:
    """API Platform's JSON error body."""
    body = {
        "@context": "/api/contexts/Error",
        "@type": "hydra:Error",
        "title": "An error occurred",
        "detail": detail,
        "status": status,
    }
    return json_reply(status, body)


# ----------------------------------------------------------------- RTE


def rte_token(sim: State, form: dict[str, str], authorization: str | None) -> Reply:
    """``POST /rte/token/oauth/``: a client-credentials token, the client named by HTTP Basic
    or in the form body."""
    if form.get("grant_type", "client_credentials") != "client_credentials":
        return error_reply(400, "unsupported_grant_type", "client_credentials only")
    client_id, client_secret = form.get("client_id"), form.get("client_secret")
    if authorization and authorization.startswith("Basic "):
        try:
            decoded = base64.b64decode(authorization.removeprefix("Basic "), validate=True)
            client_id, _, client_secret = decoded.decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id = client_secret = None
    if client_id != RTE_CLIENT_ID or client_secret != RTE_CLIENT_SECRET:
        return error_reply(401, "invalid_client", "Client authentication failed")
    token = secrets.token_urlsafe(32)
    sim.rte_tokens[token] = sim.now() + timedelta(seconds=RTE_TOKEN_LIFETIME)
    return json_reply(
        200, {"access_token": token, "token_type": "Bearer", "expires_in": RTE_TOKEN_LIFETIME}
    )


def _rte_error(code: int, description: str) -> Reply:
    return error_reply(400, f"TMPLIKSUPCON_TMPLIKCAL_F{code:02d}", description)


def _rte_date(text: str) -> datetime | None:
    """``2023-12-02T00:00:00+01:00`` with the offset Paris has then; None otherwise (an
    unencoded ``+`` arrives as a space, and fails here)."""
    if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", text):
        return None
    try:
        instant = datetime.fromisoformat(text)
    except ValueError:
        return None
    return instant if instant.utcoffset() == instant.replace(tzinfo=PARIS).utcoffset() else None


def _paris_midnight(day: date) -> str:
    return datetime.combine(day, time(), PARIS).isoformat()


def rte_calendars(sim: State, query: dict[str, str], authorization: str | None) -> Reply:
    """``GET /rte/…/tempo_like_calendars``: the known colours of ``[start_date, end_date)``,
    newest first; without dates, the latest known day."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    expiry = sim.rte_tokens.get(token)
    if not authorization or not authorization.startswith("Bearer ") or expiry is None:
        return error_reply(401, "invalid_token", "Invalid or missing access token")
    if sim.now() >= expiry:
        return error_reply(401, "invalid_token", "Access token expired")
    today = sim.today()
    fallback = query.get("fallback_status")
    if fallback not in (None, "true", "false"):
        return _rte_error(7, 'The value of "fallback_status" field must be true or false.')
    if "start_date" not in query and "end_date" not in query:
        latest = today + 2 * ONE_DAY
        while latest >= RTE_HISTORY and known_colour(sim, latest) is None:
            latest -= ONE_DAY
        first, last = latest, latest + ONE_DAY
        start_text, end_text = _paris_midnight(first), _paris_midnight(last)
    elif "start_date" not in query or "end_date" not in query:
        return _rte_error(1, 'The "start_date" and "end_date" fields go together.')
    else:
        start, end = _rte_date(query["start_date"]), _rte_date(query["end_date"])
        if start is None or end is None:
            name = "start_date" if start is None else "end_date"
            return _rte_error(
                6,
                f'The value of "{name}" field is incorrect: expected '
                "YYYY-MM-DDThh:mm:ss±hh:mm with the offset of Europe/Paris on that date.",
            )
        if start > end:
            return _rte_error(2, 'The value of "start_date" field is after "end_date".')
        # calendar days, on the wall clock: a DST day is 23 or 25 hours long
        if end.replace(tzinfo=None) - start.replace(tzinfo=None) < ONE_DAY:
            return _rte_error(5, "The requested period is shorter than one calendar day.")
        first = start.date()
        last = end.date() if end.time() == time() else end.date() + ONE_DAY
        if (last - first).days > RTE_MAX_DAYS:
            return _rte_error(3, f"The requested period is longer than {RTE_MAX_DAYS} days.")
        if end.date() > today + 2 * ONE_DAY:
            return _rte_error(
                4,
                'The value of "end_date" field is incorrect. '
                "It is not possible to recover data to this term.",
            )
        start_text, end_text = start.isoformat(), end.isoformat()
    values = []
    day = last - ONE_DAY
    while day >= max(first, RTE_HISTORY):
        known = known_colour(sim, day)
        if known is not None:
            value: dict[str, Any] = {
                "start_date": _paris_midnight(day),
                "end_date": _paris_midnight(day + ONE_DAY),
                "value": known,
                "updated_date": datetime.combine(day - ONE_DAY, UPDATED, PARIS).isoformat(),
            }
            if fallback == "true":
                value["fallback"] = False
            values.append(value)
        day -= ONE_DAY
    calendars = {"start_date": start_text, "end_date": end_text, "values": values}
    return json_reply(200, {"tempo_like_calendars": calendars})
