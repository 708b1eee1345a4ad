"""Netatmo's cloud as a Legrand Ecocompteur / Drivia owner reaches it: the simulator's
``/netatmo/…`` (the real base URL is ``https://api.netatmo.com``), as
``../shared/docs/netatmo.md`` Part B describes it, and as rude.

- ``GET /netatmo/oauth2/authorize``: the simulated user accepts at once, 302 to
  ``<redirect_uri>?state=…&code=<32 hex>`` (code single use, 10 minutes; no scope asked means
  ``read_station``, as Netatmo defaults, which then lacks ``read_magellan``).
- ``POST /netatmo/oauth2/token``: ``authorization_code`` and ``refresh_token`` grants, with
  the client id and secret below (any other pair: 400 ``invalid_client``). Access tokens live
  3 h on the simulator's clock. **Every refresh rotates**: a new pair, and the old refresh
  and access tokens die at once; an old or unknown refresh token: 400 ``invalid_grant``.
  :meth:`Netatmo.generate_token` is the developer portal's "Generate Token" button.
- ``GET|POST /netatmo/api/homesdata`` and ``/netatmo/api/getmeasure`` (query or form):
  ``Authorization: Bearer`` (or a legacy ``access_token`` parameter), then in this order:
  403 code 2 (no or unknown token), 3 (expired), 13 (no ``read_magellan``: both endpoints),
  26 (the user's 50 requests / 10 s or 500 / hour, sliding, counting only the calls served),
  then 429 code 11 while :meth:`Netatmo.fail_concurrency` has calls left.

``getmeasure`` serves only ``scale=30min`` (any other scale: 400 code 21) of the modules of
:mod:`~linkyflux.simulator.netatmo_data`; ``device_id`` must be the module's bridge (400 code
9); ``limit`` ≤ 1024 (400 code 21); a bucket is in the answer when its middle lies in
``[date_begin, date_end]`` (``date_end`` defaults to now, ``date_begin`` to 10 days ago), it
ended at or before the last 3-hour UTC boundary (the upload) and it started at most 10 days
ago; the first ``limit`` such buckets are sent, stamped at their middle (``real_time=true``:
their start). ``type`` lists columns: the module's own type (``sum_energy_elec`` for an NLE
channel, ``sum_energy_buy_from_grid`` for the NLPC) carries the Wh; any other
``sum_energy…`` name (``$0``–``$2`` included: no tariff is set in the app) is null; anything
else is code 21. No bucket: ``body: []``.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from linkyflux.simulator.netatmo_data import (
    MODULES_BY_ID,
    STEP,
    homes_body,
    measured_type,
    module_truth,
)
from linkyflux.simulator.reply import Reply, html_reply, json_reply, redirect
from linkyflux.timeutil import PARIS

NETATMO_CLIENT_ID = "linkyflux-netatmo"
NETATMO_CLIENT_SECRET = "netatmo-secret"
NETATMO_USER_ID = "5f00000000000000000000aa"  # tokens read "<user id>|<32 hex>"
USER = {
    "id": NETATMO_USER_ID,
    "email": "ecocompteur@example.org",
    "language": "fr-FR",
    "locale": "fr-FR",
    "unit_system": 0,
}
ENERGY_SCOPE = "read_magellan"
DEFAULT_SCOPE = "read_station"  # Netatmo's, when the authorize link names none
ACCESS_EXPIRE = 10800
CODE_EXPIRE = 600
MAX_LIMIT = 1024
HISTORY = timedelta(days=10)
UPLOAD_EVERY = timedelta(hours=3)
USER_LIMITS = ((50, timedelta(seconds=10)), (500, timedelta(hours=1)))
ERRORS = {
    2: (403, "Invalid access token"),
    3: (403, "Access token expired"),
    9: (400, "Device not found"),
    10: (400, "Missing arguments"),
    11: (429, "Failed to enter concurrency limited section"),
    13: (403, "Application does not have the good scope rights"),
    21: (400, "Invalid arg"),
    26: (403, "User usage reached"),
}


def api_error(code: int) -> Reply:
    """``{"error": {"code", "message"}}`` with the HTTP status Netatmo gives that code."""
    status, message = ERRORS[code]
    return json_reply(status, {"error": {"code": code, "message": message}})


@dataclass
class _Code:
    redirect_uri: str
    scope: tuple[str, ...]
    expires: datetime


@dataclass
class _Access:
    scope: tuple[str, ...]
    expires: datetime


class Netatmo:
    """The simulated Netatmo cloud of one user: tokens, usage, faults, counters and answers.
    Held by the :class:`~linkyflux.simulator.simulator.Simulator` (``simulator.netatmo``),
    on its clock."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self.now = now
        self._lock = threading.RLock()
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, _Access] = {}
        self._refresh: dict[str, tuple[str, tuple[str, ...]]] = {}  # -> (access, scope)
        self._served: deque[datetime] = deque()  # API calls answered, last hour
        self.concurrency_faults = 0  # the next n API calls answer 429 code 11
        # counters tests read: requests per endpoint (authorize, token, homesdata,
        # getmeasure, …, refused ones included), refusals per error code, the grants given,
        # and each getmeasure's parameters
        self.calls: Counter[str] = Counter()
        self.refused: Counter[int] = Counter()
        self.code_grants = 0
        self.refreshes = 0
        self.on_call: Callable[[str, str], None] | None = None  # (endpoint, moment), tests
        self.measure_queries: list[dict[str, str]] = []

    # ----------------------------------------------------------------- test controls
    def generate_token(self, scope: str = ENERGY_SCOPE) -> dict[str, Any]:
        """A fresh token pair, as the developer portal's "Generate Token" button gives one
        (``scope``: space- or comma-separated)."""
        with self._lock:
            return self._mint(tuple(scope.replace(",", " ").split()))

    def fail_concurrency(self, count: int = 1) -> None:
        """Make the next ``count`` API calls answer 429 code 11."""
        with self._lock:
            self.concurrency_faults = count

    def expire_access_tokens(self) -> None:
        """Every access token expired now (code 3); the refresh tokens still work."""
        with self._lock:
            for access in self._access.values():
                access.expires = min(access.expires, self.now())

    def revoke(self) -> None:
        """The user removed the app: every token and code dies (``invalid_grant``, code 2)."""
        with self._lock:
            self._codes.clear()
            self._access.clear()
            self._refresh.clear()

    def truth_circuit(self, module_id: str, day: date) -> list[tuple[datetime, int]]:
        """(bucket start UTC, Wh) of every half-hour a module measured on a Paris day,
        uploaded or not (``[]`` for a module without energy history)."""
        return module_truth(module_id, day)

    def control(self, method: str, path: str, params: dict[str, str]) -> Reply:
        """``/_sim/netatmo/<path>`` (``params``: query, form or JSON object): POST
        ``generate_token`` (``scope``), ``fault`` (``kind=concurrency``, ``count``),
        ``expire``, ``revoke``; GET ``truth`` (``module_id``, ``day``) and ``stats``."""
        if path == "generate_token" and method == "POST":
            return json_reply(200, self.generate_token(params.get("scope", ENERGY_SCOPE)))
        if path == "fault" and method == "POST":
            if params.get("kind") != "concurrency" or not params.get("count", "1").isdigit():
                return json_reply(400, {"error": "kind=concurrency and a count are expected"})
            self.fail_concurrency(int(params.get("count", "1")))
            return json_reply(200, {"ok": True})
        if path in ("expire", "revoke") and method == "POST":
            if path == "expire":
                self.expire_access_tokens()
            else:
                self.revoke()
            return json_reply(200, {"ok": True})
        if path == "truth" and method == "GET":
            try:
                day = date.fromisoformat(params.get("day", ""))
                points = self.truth_circuit(params.get("module_id", ""), day)
            except ValueError as exc:
                return json_reply(400, {"error": f"module_id and day (YYYY-MM-DD): {exc}"})
            return json_reply(
                200,
                {
                    "module_id": params["module_id"],
                    "day": day.isoformat(),
                    "points": [[start.isoformat(), wh] for start, wh in points],
                    "energy_wh": sum(wh for _, wh in points),
                },
            )
        if path == "stats" and method == "GET":
            with self._lock:
                return json_reply(
                    200,
                    {
                        "calls": dict(self.calls),
                        "refused": {str(k): v for k, v in self.refused.items()},
                        "code_grants": self.code_grants,
                        "refreshes": self.refreshes,
                    },
                )
        return json_reply(404, {"error": "unknown Netatmo control endpoint"})

    # ----------------------------------------------------------------- dispatch
    def request(
        self,
        method: str,
        path: str,
        query: dict[str, str],
        form: dict[str, str],
        authorization: str | None,
    ) -> Reply:
        """Answer ``path`` (what follows ``/netatmo``) as Netatmo would; ``on_call`` (tests)
        is told of each call as it is ``received`` and once it is ``answered`` (done here,
        the answer not sent yet): a test kills its client there."""
        name = path.rsplit("/", 1)[-1]
        if self.on_call is not None:
            self.on_call(name, "received")
        reply = self._answer(method, path, name, query, form, authorization)
        if self.on_call is not None:
            self.on_call(name, "answered")
        return reply

    def _answer(
        self,
        method: str,
        path: str,
        name: str,
        query: dict[str, str],
        form: dict[str, str],
        authorization: str | None,
    ) -> Reply:
        with self._lock:
            self.calls[name] += 1
            if path == "/oauth2/authorize" and method == "GET":
                return self._authorize(query)
            if path == "/oauth2/token" and method == "POST":
                return self._token(form)
            if path in ("/api/homesdata", "/api/getmeasure") and method in ("GET", "POST"):
                params = {**query, **form}
                refused = self._refusal(params, authorization)
                if refused is not None:
                    self.refused[refused] += 1
                    return api_error(refused)
                if name == "homesdata":
                    homes = homes_body(params.get("home_id"))
                    return self._ok({"homes": homes, "user": USER})
                self.measure_queries.append(params)
                return self._getmeasure(params)
        return json_reply(404, {"error": {"code": 404, "message": "Not found"}})

    # ----------------------------------------------------------------- OAuth
    def _authorize(self, query: dict[str, str]) -> Reply:
        redirect_uri = query.get("redirect_uri", "")
        if query.get("client_id") != NETATMO_CLIENT_ID:
            return html_reply(400, "Invalid client_id: this application does not exist")
        if not redirect_uri.startswith(("http://", "https://")):
            return html_reply(400, "Invalid redirect_uri")
        if query.get("response_type", "code") != "code":
            return html_reply(400, "Invalid response_type: only code is supported")
        code = secrets.token_hex(16)
        scope = tuple(query.get("scope", "").replace(",", " ").split()) or (DEFAULT_SCOPE,)
        self._codes[code] = _Code(redirect_uri, scope, self.now() + timedelta(seconds=CODE_EXPIRE))
        params = {"state": query["state"]} if "state" in query else {}
        separator = "&" if "?" in redirect_uri else "?"
        return redirect(f"{redirect_uri}{separator}{urlencode({**params, 'code': code})}")

    def _token(self, form: dict[str, str]) -> Reply:
        grant = form.get("grant_type")
        if not grant:
            return json_reply(400, {"error": "invalid_request"})
        if (form.get("client_id"), form.get("client_secret")) != (
            NETATMO_CLIENT_ID,
            NETATMO_CLIENT_SECRET,
        ):
            return json_reply(400, {"error": "invalid_client"})
        if grant == "authorization_code":
            entry = self._codes.pop(form.get("code", ""), None)  # single use, even when wrong
            if (
                entry is None
                or self.now() >= entry.expires
                or form.get("redirect_uri") != entry.redirect_uri
            ):
                return json_reply(400, {"error": "invalid_grant"})
            self.code_grants += 1
            return json_reply(200, self._mint(entry.scope))
        if grant == "refresh_token":
            old = self._refresh.pop(form.get("refresh_token", ""), None)
            if old is None:
                return json_reply(400, {"error": "invalid_grant"})
            old_access, scope = old
            self._access.pop(old_access, None)  # the old access token dies with it
            self.refreshes += 1
            return json_reply(200, self._mint(scope))
        return json_reply(400, {"error": "unsupported_grant_type"})

    def _mint(self, scope: tuple[str, ...]) -> dict[str, Any]:
        access = f"{NETATMO_USER_ID}|{secrets.token_hex(16)}"
        refresh = f"{NETATMO_USER_ID}|{secrets.token_hex(16)}"
        self._access[access] = _Access(scope, self.now() + timedelta(seconds=ACCESS_EXPIRE))
        self._refresh[refresh] = (access, scope)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "scope": list(scope),
            "expires_in": ACCESS_EXPIRE,
            "expire_in": ACCESS_EXPIRE,
        }

    # ----------------------------------------------------------------- API gate
    def _refusal(self, params: dict[str, str], authorization: str | None) -> int | None:
        """The error code that refuses this API call, None to serve it (and count it)."""
        token = (authorization or "").removeprefix("Bearer ").strip()
        token = token or params.get("access_token", "")
        access = self._access.get(token)
        now = self.now()
        if access is None:
            return 2
        if now >= access.expires:
            return 3
        if ENERGY_SCOPE not in access.scope:
            return 13
        while self._served and now - self._served[0] >= USER_LIMITS[-1][1]:
            self._served.popleft()
        for limit, per in USER_LIMITS:
            if sum(1 for t in self._served if now - t < per) >= limit:
                return 26
        if self.concurrency_faults > 0:
            self.concurrency_faults -= 1
            return 11
        self._served.append(now)
        return None

    def _ok(self, body: Any) -> Reply:
        return json_reply(
            200,
            {
                "body": body,
                "status": "ok",
                "time_exec": 0.025,
                "time_server": int(self.now().timestamp()),
            },
        )

    # ----------------------------------------------------------------- getmeasure
    def _getmeasure(self, params: dict[str, str]) -> Reply:
        device_id, scale, types = (params.get(k, "") for k in ("device_id", "scale", "type"))
        if not device_id or not scale or not types:
            return api_error(10)
        module = MODULES_BY_ID.get(params.get("module_id") or device_id)
        if module is None or module.device_id != device_id:
            return api_error(9)
        columns = [t.strip() for t in types.split(",")]
        if scale != "30min" or not all(t.startswith("sum_energy") for t in columns):
            return api_error(21)
        now = self.now()
        try:
            begin = _epoch(params.get("date_begin"), now - HISTORY)
            end = _epoch(params.get("date_end"), now)
            limit = int(params.get("limit") or MAX_LIMIT)
            optimize = _flag(params.get("optimize"), True)
            real_time = _flag(params.get("real_time"), False)
        except (ValueError, OverflowError, OSError):
            return api_error(21)
        if not 1 <= limit <= MAX_LIMIT:
            return api_error(21)
        buckets = self._buckets(module.id, begin, end)[:limit]
        own = measured_type(module.id)
        offset = timedelta(0) if real_time else STEP / 2
        rows = [
            (int((start + offset).timestamp()), [wh if t == own else None for t in columns])
            for start, wh in buckets
        ]
        if not rows:
            return self._ok([])
        if not optimize:
            return self._ok({str(stamp): values for stamp, values in rows})
        step = int(STEP.total_seconds())
        lots: list[dict[str, Any]] = []
        previous = None
        for stamp, values in rows:
            if previous is None or stamp - previous != step:  # a gap: a new lot
                lots.append({"beg_time": stamp, "step_time": step, "value": []})
            lots[-1]["value"].append(values)
            previous = stamp
        return self._ok(lots)

    def _buckets(
        self, module_id: str, begin: datetime, end: datetime
    ) -> list[tuple[datetime, int]]:
        """The uploaded buckets of the last 10 days whose middle lies in [begin, end]."""
        now = self.now()
        epoch = datetime(1970, 1, 1, tzinfo=UTC)
        uploaded = epoch + (now - epoch) // UPLOAD_EVERY * UPLOAD_EVERY
        oldest = now - HISTORY
        first = max(begin - STEP, oldest).astimezone(PARIS).date()
        last = min(end, uploaded).astimezone(PARIS).date()
        out = []
        day = first
        while day <= last:
            for start, wh in module_truth(module_id, day):
                middle = start + STEP / 2
                if begin <= middle <= end and start >= oldest and start + STEP <= uploaded:
                    out.append((start, wh))
            day += timedelta(days=1)
        return out


def _epoch(value: str | None, default: datetime) -> datetime:
    """An epoch-seconds parameter (ValueError if not a number)."""
    if value is None or value == "":
        return default
    return datetime.fromtimestamp(int(float(value)), UTC)


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    if value.lower() in ("true", "1"):
        return True
    if value.lower() in ("false", "0"):
        return False
    raise ValueError(value)
