"""A faithful local stand-in for the consent proxy and the Enedis v5 metering API.

It speaks the Device-Flow-Proxy-Server protocol (``/device/code``, ``/device/token``, the
browser pages ``/device``, ``/auth/verify_code``, ``/auth/redirect``) and, behind
``/data/proxy/``, the five Enedis v5 metering endpoints, with the status codes and bodies
documented in ``shared/docs/enedis-api.md`` and ``device-flow-proxy-and-domoticzlinky.md``:

* the proxy's own opaque tokens (access 12 600 s, refresh ~4 years, device code 300 s),
  its 12 requests/minute per device code (polling) and per client (refresh, data),
  ``slow_down``, ``authorization_pending``, ``invalid_grant``, ``Access token not found``;
* the Data Connect 2026 dialect (``mesure_synchrone_auto/v2/…``, ``{code, message}`` errors)
  beside v5, from the same meters; either can be switched off to play a gateway that serves
  only one of them (``dialects``; its paths then answer a 404 page, or a 404 with a code of
  the gateway's own: ``unserved_dialect_404``);
* Enedis' date rules (``[start, end)``, ``end`` not after today, 7-day curve windows,
  history horizons, the meter's activation date, the direction of the meter, hourly
  collection), publication of day D on D+1 from 08:00, end-of-interval naive local
  timestamps (46 / 50 half-hours on DST days, repeated October labels);
* faults on demand: 429 quota bodies, 500 ``technical_error``, 503, timeouts, malformed
  JSON, injected by tests through :meth:`Simulator.inject` or ``POST /_sim/faults``.

The Enedis consent page itself is simulated at ``/_enedis/authorize``; tests and the demo
drive it like a browser would (:func:`browser_consent`). Ground truth for tests comes from
:mod:`linkyflux.simulator.synthetic`, exposed as :meth:`Simulator.truth_curve` and
``GET /_sim/truth``.

Run it alone with ``python -m linkyflux.simulator --port 8765``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import secrets
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from dateutil.relativedelta import relativedelta

from linkyflux.models import Direction
from linkyflux.simulator import gateways as simulator_gateways
from linkyflux.simulator.synthetic import (
    DEFAULT_CONSENT,
    METERS_BY_ID,
    Interval,
    Meter,
    daily_energy_wh,
    days_between,
    local_label,
    max_power,
    published_curve,
)
from linkyflux.timeutil import PARIS, Clock, SystemClock, paris_today

ACCESS_EXPIRE = 12600
REFRESH_EXPIRE = 4 * 365 * 24 * 3600
CODE_EXPIRE = 300
PICKUP_EXPIRE = 120
USER_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"

CURVE_HORIZON = relativedelta(months=24, days=15)
DAILY_HORIZON = relativedelta(months=36, days=15)

# path -> (kind, direction)
ENDPOINTS: dict[str, tuple[str, Direction]] = {
    "metering_data_clc/v5/consumption_load_curve": ("curve", "consumption"),
    "metering_data_plc/v5/production_load_curve": ("curve", "production"),
    "metering_data_dc/v5/daily_consumption": ("daily", "consumption"),
    "metering_data_dp/v5/daily_production": ("daily", "production"),
    "metering_data_dcmp/v5/daily_consumption_max_power": ("max_power", "consumption"),
}

ENDPOINTS_2026: dict[str, tuple[str, Direction]] = {
    "mesure_synchrone_auto/v2/courbe_de_charge_consommation": ("curve", "consumption"),
    "mesure_synchrone_auto/v2/courbe_de_charge_production": ("curve", "production"),
    "mesure_synchrone_auto/v2/consommation_quotidienne": ("daily", "consumption"),
    "mesure_synchrone_auto/v2/production_quotidienne": ("daily", "production"),
    "mesure_synchrone_auto/v2/puissance_conso_max_quotidienne": ("max_power", "consumption"),
}
# each 2026 path -> the v5 path of the same series
V5_TWIN = {
    path: v5
    for v5, series in ENDPOINTS.items()
    for path, twin in ENDPOINTS_2026.items()
    if twin == series
}
# the query parameters of each dialect
PARAMS = {
    "v5": {"prm": "usage_point_id", "start": "start", "end": "end"},
    "2026": {"prm": "pointId", "start": "dateDebut", "end": "dateFin"},
}
GRANDEURS = {
    "curve": {"grandeurPhysique": "PA", "unite": "W"},
    "daily": {"grandeurPhysique": "EA", "unite": "Wh"},
    "max_power": {"grandeurPhysique": "PMA", "unite": "VA"},
}


def _point_2026(reading: dict[str, str]) -> dict[str, str]:
    point = {"v": reading["value"], "d": reading["date"]}
    if "interval_length" in reading:
        point.update(p=reading["interval_length"], n=reading["measure_type"])
    return point


READING_TYPES = {
    "curve": {"unit": "W", "measurement_kind": "power", "aggregate": "average"},
    "daily": {
        "unit": "Wh",
        "measurement_kind": "energy",
        "aggregate": "sum",
        "measuring_period": "P1D",
    },
    "max_power": {
        "unit": "VA",
        "measurement_kind": "power",
        "aggregate": "maximum",
        "measuring_period": "P1D",
    },
}

FAULT_KINDS = (
    "quota",  # 429 Quota Q4 (hourly), retry in half an hour
    "burst",  # 429 Quota Q3 (5 calls/s), retry in 2 seconds
    "throttle",  # 429 from the API gateway (WSO2), no hint
    "technical_error",
    "unavailable",
    "timeout",
    "malformed",
    "no_data",  # 404 no_data_found for a range that has data (a transient hiccup)
)


@dataclass
class Fault:
    kind: str
    count: int = 1
    path_contains: str = ""
    delay: float = 2.0  # real seconds, for "timeout"


@dataclass
class Reply:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def _json(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode())


def _error(status: int, error: str, description: str | None = None) -> Reply:
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return _json(status, body)


NO_CONSENT = "No consent can be found for this customer and this usage point."


def _dialect_error(v2026: bool, status: int, code: str, description: str) -> Reply:
    """An Enedis error: ``{code, message}`` in the 2026 dialect, ``{error, error_description}``
    in v5."""
    if v2026:
        return _json(status, {"code": code, "message": description})
    return _error(status, code, description)


def _html(status: int, text: str) -> Reply:
    page = f"<!doctype html><html><body>{text}</body></html>"
    return Reply(status, page.encode(), "text/html; charset=utf-8")


def _redirect(location: str) -> Reply:
    return Reply(302, b"", "text/plain", (("Location", location),))


NOT_FOUND_PAGE = "Erreur 404 – La page que vous recherchez n'existe pas"


class Simulator:
    """The simulated proxy and Enedis: all state and logic, no sockets (see SimulatorServer)."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        client_id: str = "linkyflux-simulator",
        requests_per_minute: int = 12,
        publication_hour: int = 8,
        consent: tuple[str, ...] = DEFAULT_CONSENT,
        dialects: tuple[str, ...] = ("v5", "2026"),
        serves_contracts: bool = True,
        rotate_refresh_tokens: bool = False,
        unserved_dialect_404: Literal["page", "coded"] = "page",
        med_ignores_format: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        self.client_id = client_id
        self.requests_per_minute = requests_per_minute
        self.publication_hour = publication_hour
        self.consent = consent
        # the metering API dialects this gateway serves: the other one's paths are a 404 page,
        # or ("coded") a 404 with an error code of the gateway's own
        self.dialects = dialects
        self.unserved_dialect_404 = unserved_dialect_404
        # False: a gateway without the contract APIs (their paths are a 404 page)
        self.serves_contracts = serves_contracts
        # True: each refresh grant returns a new refresh token and the old one dies at once
        # (RFC 6749 §6; Netatmo does so, the consent proxy does not today)
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.base_url = ""
        self._lock = threading.RLock()
        self._codes: dict[str, dict[str, Any]] = {}  # device_code -> entry
        self._user_codes: dict[str, str] = {}  # user code (no hyphen) -> device_code
        self._states: dict[str, str] = {}  # consent state -> device_code
        self._access: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self._refresh: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self._buckets: dict[str, deque[datetime]] = {}
        self._faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.request_times: list[datetime] = []  # when each of ``requests`` arrived
        # Called with the path of every data call before it is answered (tests use it to
        # break something else at a precise point of a run).
        self.on_data_call: Callable[[str], None] | None = None
        self.faults_served = 0
        # usage point -> contract fields changed since (see change_contract)
        self.contract_changes: dict[str, dict[str, Any]] = {}
        # Conso API: banned clients (their requests are counted by rate_exceeded)
        self.conso_banned: set[str] = set()
        # Enedis direct: the application's tokens, and its hourly quota
        self.app_tokens: dict[str, datetime] = {}
        self.enedis_hourly_quota = 1000
        self.enedis_served: deque[datetime] = deque()  # the calls it answered, last hour
        # MyElectricalData: calls per UTC day
        self.med_calls: dict[date, int] = {}
        # True: an older MyElectricalData instance, which ignores X-MED-Format: 2026 and
        # answers v5 bodies whatever the request
        self.med_ignores_format = med_ignores_format

    # ----------------------------------------------------------------- test controls
    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return paris_today(self.clock)

    def inject(
        self, kind: str, count: int = 1, path_contains: str = "", delay: float = 2.0
    ) -> None:
        """Make the next ``count`` data calls (whose path contains ``path_contains``) fail."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, count, path_contains, delay))

    def change_contract(self, usage_point_id: str, **fields: Any) -> None:
        """Change a meter's contract from now on (``offpeak``, ``tariff``, ``subscribed_kva``),
        as when Enedis moves its off-peak hours, or the meter itself (``directions``: solar
        panels added). Ground truth (``truth_*``) stays the original meter's."""
        with self._lock:
            self.contract_changes.setdefault(usage_point_id, {}).update(fields)

    def meter(self, usage_point_id: str) -> Meter | None:
        """The simulated meter as it is now (with its changes), None if unknown."""
        meter = METERS_BY_ID.get(usage_point_id)
        changes = self.contract_changes.get(usage_point_id)
        return dataclasses.replace(meter, **changes) if meter and changes else meter

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    def data_calls(self) -> list[tuple[str, dict[str, str]]]:
        """The metering calls received through any gateway, in v5 terms whatever their
        dialect: (``/data/proxy/<v5 path>``, ``{usage_point_id, start, end}``)."""
        out = []
        with self._lock:
            for _, path, query in self.requests:
                if path.startswith("/data/proxy/"):
                    endpoint = path.removeprefix("/data/proxy/")
                elif path.startswith("/conso/api/"):
                    endpoint = simulator_gateways.CONSO_TYPES.get(path.rsplit("/", 1)[-1], "")
                    if "prm" in query:
                        query = {"usage_point_id": query["prm"], **query}
                elif path.startswith("/enedis/") and not path.startswith("/enedis/oauth2"):
                    endpoint = path.removeprefix("/enedis/")
                elif path.startswith("/med/api/enedis/") and "/contract/" not in path:
                    parts = path.removeprefix("/med/api/enedis/").split("/")
                    data = ("power", "consumption") if parts[0] == "power" else (parts[1], parts[0])
                    endpoint = simulator_gateways.MED_PATHS[data][0]
                    query = {"usage_point_id": parts[-1], **query}
                else:
                    continue
                path = "/data/proxy/" + endpoint
                if endpoint in ENDPOINTS_2026:
                    path = "/data/proxy/" + V5_TWIN[endpoint]
                    names = PARAMS["2026"]
                    query = {
                        "usage_point_id": query.get(names["prm"], ""),
                        "start": query.get(names["start"], ""),
                        "end": query.get(names["end"], ""),
                    }
                if path.removeprefix("/data/proxy/") in ENDPOINTS:  # metering calls only
                    out.append((path, query))
        return out

    def truth_curve(self, usage_point_id: str, direction: Direction, day: date) -> list[Interval]:
        """The intervals the API publishes for that day (gaps removed), true instants."""
        meter = METERS_BY_ID[usage_point_id]
        if direction not in meter.directions or not meter.hourly_collection:
            return []
        if day < meter.activation or meter.revoked:
            return []
        return published_curve(meter, direction, day)

    def truth_daily(self, usage_point_id: str, direction: Direction, day: date) -> int | None:
        meter = METERS_BY_ID[usage_point_id]
        if direction not in meter.directions or day < meter.activation or meter.revoked:
            return None
        return daily_energy_wh(meter, direction, day)

    def truth_max_power(self, usage_point_id: str, day: date) -> int | None:
        meter = METERS_BY_ID[usage_point_id]
        if "consumption" not in meter.directions or day < meter.activation or meter.revoked:
            return None
        return max_power(meter, day)[0]

    # ----------------------------------------------------------------- dispatch
    def handle(
        self,
        method: str,
        target: str,
        body: bytes,
        client: str,
        authorization: str | None = None,
        med_format: str | None = None,
    ) -> Reply:
        url = urlsplit(target)
        path = url.path
        query = {k: v[-1] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        with self._lock:
            self.requests.append((method, path, query))
            self.request_times.append(self.now())
        if path.startswith("/_sim/"):
            return self._control(method, path, query, body)
        if path == "/device/code" and method == "POST":
            return self._device_code(form)
        if path == "/device/token" and method == "POST":
            return self._device_token(form, client)
        if path == "/device" and method == "GET":
            return self._device_page(query)
        if path == "/auth/verify_code" and method == "GET":
            return self._verify_code(query)
        if path == "/_enedis/authorize":
            return self._enedis_authorize(method, query, form)
        if path == "/auth/redirect" and method == "GET":
            return self._auth_redirect(query)
        if path.startswith("/data/proxy/") and method == "GET":
            return self._data(path.removeprefix("/data/proxy/"), query, client, authorization)
        if path.startswith("/conso/api/") and method == "GET":
            kind = path.removeprefix("/conso/api/")
            return simulator_gateways.conso_api(self, kind, query, client, authorization)
        if path.startswith("/med/api/") and method == "GET":
            return simulator_gateways.myelectricaldata(
                self, path.removeprefix("/med/api/"), query, authorization, med_format
            )
        if path == "/enedis/oauth2/v3/token" and method == "POST":
            return simulator_gateways.enedis_token(self, form)
        if path.startswith("/enedis/") and method == "GET":
            return simulator_gateways.enedis_direct(
                self, path.removeprefix("/enedis/"), query, authorization
            )
        return _html(404, NOT_FOUND_PAGE)

    # ----------------------------------------------------------------- consent proxy
    def _rate_limited(self, key: str) -> bool:
        """At most ``requests_per_minute`` per key within any 60 seconds."""
        return self.rate_exceeded(key, self.requests_per_minute, timedelta(seconds=60))

    def rate_exceeded(self, key: str, limit: int, per: timedelta) -> bool:
        """Count this request under ``key``: more than ``limit`` within ``per``?"""
        now = self.now()
        with self._lock:
            bucket = self._buckets.setdefault(key, deque())
            while bucket and now - bucket[0] >= per:
                bucket.popleft()
            bucket.append(now)
            return len(bucket) > limit

    def _device_code(self, form: dict[str, str]) -> Reply:
        if not form.get("client_id"):
            return _error(400, "invalid_request", "Missing client_id")
        device_code = secrets.token_hex(32)
        user_code = "".join(secrets.choice(USER_CODE_ALPHABET) for _ in range(8))
        with self._lock:
            self._codes[device_code] = {
                "status": "pending",
                "client_id": form["client_id"],
                "expires": self.now() + timedelta(seconds=CODE_EXPIRE),
            }
            self._user_codes[user_code] = device_code
        return _json(
            200,
            {
                "device_code": device_code,
                "user_code": f"{user_code[:4]}-{user_code[4:]}",
                "verification_uri": f"{self.base_url}/device",
                "expires_in": CODE_EXPIRE,
                "interval": round(60 / self.requests_per_minute),
            },
        )

    def _live_code(self, device_code: str) -> dict[str, Any] | None:
        entry = self._codes.get(device_code)
        if entry is None or self.now() >= entry["expires"]:
            self._codes.pop(device_code, None)
            return None
        return entry

    def _device_token(self, form: dict[str, str], client: str) -> Reply:
        grant = form.get("grant_type")
        if not form.get("client_id") or not grant:
            return _error(400, "invalid_request", "Missing client_id or grant_type")
        if form["client_id"] != self.client_id:
            return _error(400, "invalid_request", "Bad client_id")
        if grant == DEVICE_GRANT:
            return self._device_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form, client)
        return _error(400, "unsupported_grant_type")

    def _device_grant(self, form: dict[str, str]) -> Reply:
        device_code = form.get("device_code")
        if not device_code:
            return _error(400, "invalid_request", "Missing device_code")
        if self._rate_limited(f"device-{device_code}"):
            return _error(400, "slow_down")
        with self._lock:
            entry = self._live_code(device_code)
            if entry is None:
                return _error(400, "invalid_grant", "device_code not found in db")
            if entry["status"] == "pending":
                return _error(400, "authorization_pending")
            del self._codes[device_code]  # single use
            return _json(200, entry["token_response"])

    def _refresh_grant(self, form: dict[str, str], client: str) -> Reply:
        points, refresh = form.get("usage_points_id"), form.get("refresh_token")
        if not points:
            return _error(400, "invalid_request", "Missing usage_points_id")
        if not refresh:
            return _error(400, "invalid_request", "Missing refresh_token")
        if self._rate_limited(f"ip-{client}"):
            return _error(400, "slow_down")
        with self._lock:
            known = self._refresh.get(refresh)
            if known is None or self.now() >= known[1]:
                return _error(400, "invalid_request", "refresh_token not found in database")
            if ",".join(known[0]) != points:
                return _error(
                    400, "invalid_request", "refresh_token not corresponding to usage_points_id"
                )
            access = secrets.token_hex(32)
            self._access[access] = (known[0], self.now() + timedelta(seconds=ACCESS_EXPIRE))
            if self.rotate_refresh_tokens:  # same consent (usage points, end), new token
                del self._refresh[refresh]
                refresh = secrets.token_hex(32)
                self._refresh[refresh] = known
        return _json(
            200,
            {
                "access_token": access,
                "refresh_token": refresh,
                "token_type": "Bearer",
                "expires_in": ACCESS_EXPIRE,
                "scope": "",
            },
        )

    def _device_page(self, query: dict[str, str]) -> Reply:
        code = query.get("code", "")
        return _html(
            200,
            '<form action="/auth/verify_code" method="get">'
            f'<input name="code" value="{code}"><button>Continuer</button></form>',
        )

    def _verify_code(self, query: dict[str, str]) -> Reply:
        code = query.get("code", "").upper().replace("-", "")
        with self._lock:
            device_code = self._user_codes.get(code)
            entry = self._live_code(device_code) if device_code else None
            if device_code is None or entry is None:
                return _html(400, "Code non valide")
            state = secrets.token_hex(16)
            self._states[state] = device_code
        params = {
            "response_type": "code",
            "client_id": entry["client_id"],
            "state": state,
            "duration": "P3Y",
        }
        return _redirect(f"{self.base_url}/_enedis/authorize?{urlencode(params)}")

    def _enedis_authorize(self, method: str, query: dict[str, str], form: dict[str, str]) -> Reply:
        if method == "GET":
            state = query.get("state", "")
            boxes = "".join(
                f'<label><input type="checkbox" name="usage_point_id" value="{p}" checked>{p} '
                f"({METERS_BY_ID[p].label})</label><br>"
                for p in self.consent
            )
            return _html(
                200,
                f'<h1>Enedis (simulated): share your data?</h1><form method="post">'
                f'<input type="hidden" name="state" value="{state}">{boxes}'
                '<button name="decision" value="accept">Accept</button>'
                '<button name="decision" value="refuse">Refuse</button></form>',
            )
        state = form.get("state", "")
        if form.get("decision") != "accept":
            refused = {"error": "access_denied", "error_description": "refused", "state": state}
            return _redirect(f"{self.base_url}/auth/redirect?{urlencode(refused)}")
        points = form.get("usage_point_id") or ";".join(self.consent)
        granted = {"code": secrets.token_urlsafe(18), "state": state, "usage_point_id": points}
        return _redirect(f"{self.base_url}/auth/redirect?{urlencode(granted)}")

    def _auth_redirect(self, query: dict[str, str]) -> Reply:
        if "error" in query:
            return _html(400, f"Erreur : {query['error']} – {query.get('error_description', '')}")
        state = query.get("state", "")
        points_raw = query.get("usage_point_id")
        if not points_raw:
            return _html(400, "usage_point_id manquant")
        points = tuple(p for p in re.split(r"[;,]", points_raw) if p)
        with self._lock:
            device_code = self._states.pop(state, None)
            entry = self._live_code(device_code) if device_code else None
            if entry is None:
                return _html(400, "Code expiré, recommencez depuis votre application")
            access, refresh = secrets.token_hex(32), secrets.token_hex(32)
            now = self.now()
            self._access[access] = (points, now + timedelta(seconds=ACCESS_EXPIRE))
            self._refresh[refresh] = (points, now + timedelta(seconds=REFRESH_EXPIRE))
            entry.update(
                status="complete",
                expires=now + timedelta(seconds=PICKUP_EXPIRE),
                token_response={
                    "access_token": access,
                    "refresh_token": refresh,
                    "token_type": "Bearer",
                    "expires_in": ACCESS_EXPIRE,
                    "usage_points_id": ",".join(points),
                    "scope": "",
                },
            )
        return _html(200, "Consentement enregistré, vous pouvez fermer cette page.")

    # ----------------------------------------------------------------- data
    def _take_fault(self, path: str) -> Fault | None:
        # A fault named after a v5 path also hits its 2026 twin.
        names = f"{path} {V5_TWIN.get(path, '')}"
        with self._lock:
            for fault in self._faults:
                if fault.path_contains in names:
                    self.faults_served += 1
                    fault.count -= 1
                    if fault.count <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _data(
        self, path: str, query: dict[str, str], client: str, authorization: str | None
    ) -> Reply:
        if not query.get("usage_point_id"):
            return _error(400, "invalid_request", "Missing usage_point_id")
        # The proxy itself: its tokens, its per-client rate limit.
        if not authorization:
            return _error(404, "Unauthorized", "Autorization missing")
        with self._lock:
            grant = self._access.get(authorization.removeprefix("Bearer ").strip())
        if grant is None or self.now() >= grant[1]:
            return _error(403, "Unauthorized", "Access token not found")
        if query["usage_point_id"] not in grant[0]:
            return _error(404, "Unauthorized", "Bad access token")
        if self._rate_limited(f"ip-{client}"):
            return _error(400, "slow_down")
        return self.enedis_call(path, query)

    def enedis_call(self, path: str, query: dict[str, str]) -> Reply:
        """What Enedis answers a gateway for ``path``: injected faults first."""
        if simulator_gateways.is_contract(path):
            if not self.serves_contracts:
                return _html(404, NOT_FOUND_PAGE)
            meter = self.meter(simulator_gateways.prm_of(path, query))
            return simulator_gateways.contract(path, query, meter)
        if self.on_data_call is not None:
            self.on_data_call(path)
        fault = self._take_fault(path)
        if fault is not None:
            return self._fault_reply(fault, path)
        return self._enedis(path, query)

    def _fault_reply(self, fault: Fault, path: str) -> Reply:
        v2026 = path in ENDPOINTS_2026
        error = partial(_dialect_error, v2026)

        if fault.kind == "quota":
            if v2026:  # the 2026 APIs only say "SLA exceeded", with no hint of when
                return _json(429, {"code": "SLA dépassé", "message": "SLA dépassé"})
            return error(429, "Quota Q4 reached", "Call threshold allowed on 0:-30:-40")
        if fault.kind == "burst":
            reply = error(429, "Quota Q3 reached", "Call threshold allowed on 0:00:02")
            reply.headers = (("Retry-After", "2"),)
            return reply
        if fault.kind == "throttle":
            fault_body = {
                "code": 900807,
                "message": "Message throttled out",
                "description": "You have exceeded your quota",
            }
            return _json(429, {"fault": fault_body})
        if fault.kind == "technical_error":
            return error(500, "technical_error", "Technical error. Please try later.")
        if fault.kind == "unavailable":
            return Reply(503, b"Service Unavailable", "text/plain")
        if fault.kind == "timeout":
            return Reply(504, b"", "text/plain", delay=fault.delay)
        if fault.kind == "no_data":
            return error(404, "no_data_found", "no measure found for this usage point")
        return Reply(200, b'{"meter_reading": {"usage_point_id": "', "application/json")

    def _enedis(self, path: str, query: dict[str, str]) -> Reply:
        """Enedis metering in either dialect, checks in the order the gateway applies them."""
        dialect = "v5" if path in ENDPOINTS else "2026" if path in ENDPOINTS_2026 else None
        if dialect is None or dialect not in self.dialects:
            if dialect is not None and self.unserved_dialect_404 == "coded":
                return _error(404, "not_found", f"no API at /{path}")
            return _html(404, NOT_FOUND_PAGE)
        kind, direction = (ENDPOINTS if dialect == "v5" else ENDPOINTS_2026)[path]
        names = PARAMS[dialect]
        args = {key: query.get(name, "") for key, name in names.items()}

        error = partial(_dialect_error, dialect == "2026")

        prm = args["prm"]
        if not re.fullmatch(r"[0-9]{14}", prm):
            return error(
                400, "invalid_request", f"{names['prm']} parameter must be 14 digits long."
            )
        for key in ("start", "end"):
            label = f"{key} date" if dialect == "v5" else names[key]
            if not args[key]:
                required = label.capitalize() if dialect == "v5" else label
                return error(400, "invalid_request", f"{required} parameter is required.")
            try:
                date.fromisoformat(args[key])
            except ValueError:
                return error(
                    400, "invalid_request", f"{label} parameter must be in the format yyyy-mm-dd."
                )
        start, end = date.fromisoformat(args["start"]), date.fromisoformat(args["end"])
        today = self.today()
        if start >= end:
            return error(400, "Invalid_request", "Start date should be before end date.")
        if end > today:
            return error(
                400,
                "invalid_request",
                "The end date parameter must be earlier than the current date.",
            )
        if kind == "curve" and (end - start).days > 7:
            return error(
                400,
                "ADAM-DC-0015",
                "The requested period must be less than 7 days for an access to the load curve.",
            )
        if start < today - (CURVE_HORIZON if kind == "curve" else DAILY_HORIZON):
            return error(
                400, "ADAM-DC-0016", "The start date must be greater than the history deadline."
            )
        meter = self.meter(prm)
        if meter is None:
            return error(404, "STM-ERR-0000019", "Unknown or unauthorized user.")
        if meter.revoked:
            return error(403, "ADAM-DC-0008", NO_CONSENT)
        if direction not in meter.directions:
            return error(
                400, "ADAM-ERR0069", "Le sens de la mesure ne correspond pas pour le PRM demandé."
            )
        if start < meter.activation:
            return error(
                400,
                "ADAM-ERR0123",
                "The requested period cannot be anterior to the meter's last activation date",
            )
        days = [d for d in days_between(start, end) if self._published(d)]
        readings = self._readings(kind, direction, meter, days)
        if not readings:
            return error(404, "no_data_found", "no measure found for this usage point")
        if dialect == "v5":
            body: dict[str, Any] = {
                "meter_reading": {
                    "usage_point_id": prm,
                    "start": args["start"],
                    "end": args["end"],
                    "quality": "BRUT",
                    "reading_type": READING_TYPES[kind],
                    "interval_reading": readings,
                }
            }
        else:
            body = {
                "idPrm": prm,
                "etapeMetier": "BRUT",
                "periode": {"dateDebut": args["start"], "dateFin": args["end"]},
                "modeCalcul": "BRUT",
                "grandeur": [
                    {
                        "grandeurMetier": "CONS" if direction == "consumption" else "PROD",
                        **GRANDEURS[kind],
                        "points": [_point_2026(r) for r in readings],
                    }
                ],
            }
            if kind == "curve":
                body["pas"] = readings[0]["interval_length"]
        return _json(200, body)

    def _published(self, day: date) -> bool:
        """Day D is published on D+1 from ``publication_hour`` (Europe/Paris)."""
        ready = datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS)
        return self.now() >= ready + timedelta(hours=self.publication_hour)

    def _readings(
        self, kind: str, direction: Direction, meter: Meter, days: list[date]
    ) -> list[dict[str, str]]:
        if kind == "curve":
            if not meter.hourly_collection:
                return []
            return [
                {
                    "value": str(i.power_w),
                    "date": local_label(i.end),
                    "interval_length": f"PT{i.minutes}M",
                    "measure_type": "B",
                }
                for day in days
                for i in published_curve(meter, direction, day)
            ]
        if kind == "daily":
            return [
                {"value": str(daily_energy_wh(meter, direction, d)), "date": d.isoformat()}
                for d in days
            ]
        out = []
        for d in days:
            value, at = max_power(meter, d)
            out.append({"value": str(value), "date": local_label(at)})
        return out

    # ----------------------------------------------------------------- /_sim control
    def _control(self, method: str, path: str, query: dict[str, str], body: bytes) -> Reply:
        if path == "/_sim/faults" and method == "POST":
            try:
                spec = json.loads(body or b"{}")
                self.inject(spec["kind"], int(spec.get("count", 1)), spec.get("path_contains", ""))
            except (KeyError, ValueError) as exc:
                return _json(400, {"error": str(exc)})
            return _json(200, {"ok": True})
        if path == "/_sim/truth" and method == "GET":
            return self._truth(query)
        if path == "/_sim/meters":
            meters = [
                {
                    "usage_point_id": m.usage_point_id,
                    "label": m.label,
                    "directions": list(m.directions),
                    "step_minutes": m.step_minutes,
                    "activation": m.activation.isoformat(),
                }
                for m in METERS_BY_ID.values()
            ]
            return _json(200, meters)
        if path == "/_sim/stats":
            return _json(
                200, {"requests": len(self.requests), "data_calls": len(self.data_calls())}
            )
        if path == "/_sim/now":
            return _json(200, {"now": self.now().isoformat(), "today": self.today().isoformat()})
        return _json(404, {"error": "unknown control endpoint"})

    def _truth(self, query: dict[str, str]) -> Reply:
        prm = query.get("usage_point_id", "")
        if prm not in METERS_BY_ID or "day" not in query:
            return _json(400, {"error": "usage_point_id (a simulated meter) and day are required"})
        day = date.fromisoformat(query["day"])
        direction: Direction = (
            "production" if query.get("direction") == "production" else "consumption"
        )
        curve = self.truth_curve(prm, direction, day)
        return _json(
            200,
            {
                "usage_point_id": prm,
                "direction": direction,
                "day": day.isoformat(),
                "points": len(curve),
                "curve_energy_wh": sum(i.energy_wh for i in curve),
                "first_start": curve[0].start.isoformat() if curve else None,
                "last_start": curve[-1].start.isoformat() if curve else None,
                "daily_energy_wh": self.truth_daily(prm, direction, day),
                "max_power_va": self.truth_max_power(prm, day),
            },
        )


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes: without this, Nagle's algorithm and delayed
    # ACKs add ~40 ms to every answer.
    disable_nagle_algorithm = True
    server: SimulatorServer

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        reply = self.server.simulator.handle(
            self.command,
            self.path,
            body,
            self.client_address[0],
            self.headers.get("Authorization"),
            self.headers.get("X-MED-Format"),
        )
        if reply.delay:
            time.sleep(reply.delay)  # a real stall: only a socket can show a timeout
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    do_GET = do_POST = do_PUT = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:
        pass


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client gone before its answer (killed by a test, timed out) is not news."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)

    def __init__(self, simulator: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        super().__init__((host, port), _Handler)
        self.simulator = simulator
        simulator.base_url = f"http://{host}:{self.server_address[1]}"

    @property
    def url(self) -> str:
        return self.simulator.base_url

    def start(self) -> SimulatorServer:
        thread = threading.Thread(target=self.serve_forever, name="simulator", daemon=True)
        thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def __enter__(self) -> SimulatorServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def browser_consent(
    base_url: str,
    user_code: str,
    *,
    accept: bool = True,
    usage_points: tuple[str, ...] | None = None,
) -> None:
    """Do what the user does in a browser: open the link, enter the code, accept or refuse."""
    with httpx.Client(base_url=base_url, follow_redirects=False, timeout=10) as web:
        web.get("/device", params={"code": user_code}).raise_for_status()
        authorize = web.get("/auth/verify_code", params={"code": user_code})
        if authorize.status_code != 302:
            raise RuntimeError(f"the proxy refused the code: {authorize.text}")
        location = urlsplit(authorize.headers["Location"])
        state = parse_qs(location.query)["state"][0]
        web.get(f"{location.path}?{location.query}").raise_for_status()
        form: dict[str, str] = {"state": state, "decision": "accept" if accept else "refuse"}
        if usage_points is not None:
            form["usage_point_id"] = ";".join(usage_points)
        back = web.post(location.path, data=form)
        done = web.get(back.headers["Location"])
        if accept and done.status_code != 200:
            raise RuntimeError(f"the proxy refused the consent: {done.text}")


class OffsetClock:
    """The real clock shifted so that "today" is a chosen day (for ``--today``)."""

    def __init__(self, today: date) -> None:
        target = datetime.combine(today, datetime.min.time(), PARIS) + timedelta(hours=12)
        self._offset = target - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


def from_args(argv: list[str] | None = None) -> tuple[Simulator, argparse.Namespace]:
    """The simulator the command line describes, and the parsed arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m linkyflux.simulator",
        description="The linkyflux simulator: consent proxy + Enedis v5 metering, on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="linkyflux-simulator")
    parser.add_argument("--today", type=date.fromisoformat, help="pretend today is this Paris date")
    parser.add_argument("--requests-per-minute", type=int, default=12)
    parser.add_argument("--publication-hour", type=int, default=8)
    parser.add_argument(
        "--dialects",
        default="v5,2026",
        help="the metering APIs served, comma-separated: v5, 2026 (default: both)",
    )
    parser.add_argument(
        "--coded-404",
        action="store_true",
        help="answer the paths of a dialect not served with a 404 of the gateway's own "
        "({error: not_found}) instead of an HTML page",
    )
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="each refresh grant returns a new refresh token; the old one dies at once",
    )
    parser.add_argument(
        "--old-myelectricaldata",
        action="store_true",
        help="MyElectricalData ignores X-MED-Format: 2026 and answers v5 bodies",
    )
    parser.add_argument(
        "--no-contracts", action="store_true", help="the gateway serves no contract API"
    )
    args = parser.parse_args(argv)
    clock: Clock = OffsetClock(args.today) if args.today else SystemClock()
    simulator = Simulator(
        clock,
        client_id=args.client_id,
        requests_per_minute=args.requests_per_minute,
        publication_hour=args.publication_hour,
        dialects=tuple(d for d in args.dialects.split(",") if d),
        serves_contracts=not args.no_contracts,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        unserved_dialect_404="coded" if args.coded_404 else "page",
        med_ignores_format=args.old_myelectricaldata,
    )
    return simulator, args


def main(argv: list[str] | None = None) -> None:
    simulator, args = from_args(argv)
    server = SimulatorServer(simulator, args.host, args.port)
    today = simulator.today()
    print(f"linkyflux simulator on {server.url} (client_id {args.client_id!r}, today {today})")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
