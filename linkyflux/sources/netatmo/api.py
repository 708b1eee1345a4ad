"""Netatmo's energy API (docs/netatmo.md B2): the circuits from ``homesdata``, their
half-hour energy from ``getmeasure``, Netatmo's error codes, and its pacing.

``getmeasure`` stamps each bucket at its middle (``beg_time`` is the middle of the first one):
a reading keeps the bucket's start, ``beg_time - step_time/2 + i*step_time``, in UTC, which
is all a DST day needs (50 buckets on the fall-back day, 46 on the spring one). A ``null``
is a bucket with no data, left out (never 0); a real 0 is kept. Answers are validated here:
a shape we cannot read is one :class:`DataError` line naming the field.

Errors, by what the caller can do::

    code 2 / 3 (token invalid / expired)   refresh once and retry, then AuthError (exit 4)
    code 13 (scope)                         AuthError: run `linkyflux auth` (exit 4)
    code 26 (HTTP 403) / HTTP 429, code 11  RateLimited: stop this run, keep what is written
    code 9 (device not found)               ModuleNotFound, a DataError naming the module
    HTTP 5xx, no connection                 UpstreamError naming the public URL (exit 5)

Pacing: 50 requests in 10 s (waited for) and 500 in an hour (a budget: past it the run
stops, exit 5) per user, counted across runs in ``<state>/netatmo-requests.log``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from linkyflux.errors import AuthError, DataError, UpstreamError
from linkyflux.fsutil import BadField, Field
from linkyflux.models import NLE_KINDS, Circuit, CircuitReading
from linkyflux.sources.netatmo.oauth import (
    RefreshHook,
    TokenKeeper,
    base_of,
    error_of,
    rate_limited,
)
from linkyflux.sources.netatmo.tokens import AUTH_COMMAND, SCOPE, NetatmoTokenStore
from linkyflux.sources.transport import Pacer, Rate, RequestLog, paced_client
from linkyflux.timeutil import Clock

RATES = (Rate(50, timedelta(seconds=10)), Rate(500, timedelta(hours=1), wait=False))
REQUEST_LOG = "netatmo-requests.log"
SCALE, STEP, MINUTES = "30min", 1800, 30
MAX_BUCKETS = 1024  # getmeasure's limit: values per call
MEASURE_TYPES = {"NLE": "sum_energy_elec", "NLPC": "sum_energy_buy_from_grid"}
TOKEN_REJECTED = (2, 3)  # invalid access token, access token expired
MODULE_ID = re.compile(r"[0-9A-Za-z:._-]{1,64}(#[0-9]{1,2})?")


class ModuleNotFound(DataError):
    """Netatmo does not know this module (error 9): the caller may skip it."""

    def __init__(self, module_id: str) -> None:
        super().__init__(
            f"Netatmo does not know the module {module_id} (error 9, device not found): "
            "check it is still in the Netatmo or Legrand app"
        )
        self.module_id = module_id


def paced_http(
    base_url: str,
    state_dir: Path,
    clock: Clock,
    *,
    timeout: float = 30.0,
    transport: httpx.BaseTransport | None = None,
) -> tuple[httpx.Client, Pacer, RequestLog]:
    """An httpx client for Netatmo at ``base_url``, paced to its limits with the requests of
    earlier runs; save ``pacer.history`` to the log at the end of the run."""
    log = RequestLog(state_dir, REQUEST_LOG)
    pacer = Pacer(clock, RATES, log.load(clock.now()), log.record)
    return paced_client(base_url, pacer, timeout=timeout, transport=transport), pacer, log


def measure_type(circuit: Circuit) -> str:
    return MEASURE_TYPES[circuit.module_type]


class NetatmoClient:
    """Netatmo's energy API for one consent; ``http``'s base URL is Netatmo's
    (``https://api.netatmo.com``, or ``<simulator>/netatmo``)."""

    def __init__(
        self,
        http: httpx.Client,
        store: NetatmoTokenStore,
        clock: Clock,
        client_id: str,
        client_secret: str,
        *,
        on_refreshed: RefreshHook | None = None,
    ) -> None:
        self.http = http
        self.clock = clock
        self.keeper = TokenKeeper(http, store, clock, client_id, client_secret, on_refreshed)

    def circuits(self) -> list[Circuit]:
        """Every NLE channel and NLPC meter of every home (the NLE itself and any other
        module left out)."""
        body = self._get("api/homesdata", {}, "homesdata")
        try:
            return list(_circuits(body))
        except BadField as exc:
            raise DataError(f"Netatmo's homesdata answer: {exc}") from None

    def readings(self, circuit: Circuit, start: datetime, end: datetime) -> list[CircuitReading]:
        """The circuit's half hours starting in [start, end) (start taken down to its half
        hour), in calls of at most 1024 buckets."""
        if start.utcoffset() is None or end.utcoffset() is None:
            raise ValueError("readings() takes aware datetimes")
        first = int(start.timestamp()) // STEP * STEP
        last = int(end.timestamp())
        found: dict[int, float] = {}
        for begin in range(first, last, MAX_BUCKETS * STEP):
            stop = min(begin + MAX_BUCKETS * STEP, last)
            params = {
                "device_id": circuit.bridge_id,
                "module_id": circuit.module_id,
                "scale": SCALE,
                "type": measure_type(circuit),
                "date_begin": str(begin),
                "date_end": str(stop),
                "limit": str(MAX_BUCKETS),
                "optimize": "true",
            }
            what = f"getmeasure for {circuit.module_id}"
            body = self._get("api/getmeasure", params, what, circuit.module_id)
            try:
                buckets = list(_buckets(body))
            except BadField as exc:
                raise DataError(f"Netatmo's {what} answer: {exc}") from None
            found.update((start, wh) for start, wh in buckets if begin <= start < stop)
        return [CircuitReading(circuit, stamp, MINUTES, wh) for stamp, wh in sorted(found.items())]

    # -------------------------------------------------------------- one call

    def _send(self, path: str, params: dict[str, str], what: str) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.keeper.access_token()}"}
        try:
            return self.http.get(path, params=params, headers=headers)
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"cannot reach Netatmo at {base_of(self.http)} for {what} "
                f"({type(exc).__name__}): retry later"
            ) from None

    def _get(
        self, path: str, params: dict[str, str], what: str, module: str | None = None
    ) -> Field:
        response = self._send(path, params, what)
        code, message = error_of(response)
        if code in TOKEN_REJECTED or response.status_code == 401:
            self.keeper.renew()
            response = self._send(path, params, what)
            code, message = error_of(response)
            if code in TOKEN_REJECTED or response.status_code == 401:
                raise AuthError(
                    f"Netatmo rejects the access token it has just renewed (error {code}): "
                    f"run `{AUTH_COMMAND}`"
                )
        limited = rate_limited(response, code)
        if limited:
            raise limited
        if response.status_code >= 500:
            raise UpstreamError(
                f"Netatmo failed at {base_of(self.http)}/{path} (HTTP {response.status_code}): "
                "retry later"
            )
        if code == 13:
            raise AuthError(
                f"the Netatmo token lacks the {SCOPE} scope (error 13): run `{AUTH_COMMAND}` "
                f"and keep {SCOPE} ticked"
            )
        if code == 9 and module is not None:
            raise ModuleNotFound(module)
        if response.status_code != 200 or code is not None:
            shown = "no error code" if code is None else f"error {code}"
            shown += f": {message}" if message else ""
            raise DataError(
                f"Netatmo refused {what} (HTTP {response.status_code}, {shown}): report it"
            )
        try:
            return Field(response.json(), "")
        except ValueError:
            raise DataError(f"Netatmo's answer to {what} is not JSON") from None


# ------------------------------------------------------------------ shapes


def _module_id(raw: Field) -> str:
    value = raw.text()
    if not MODULE_ID.fullmatch(value):
        raise raw.bad("not a Netatmo module id")
    return value


def _circuits(root: Field) -> Iterator[Circuit]:
    for home in root["body"].entries("homes"):
        home_id = _module_id(home["id"])
        named = home.get("name")
        home_name = named.text() if named else home_id
        for module in home.entries("modules"):
            module_id, kind = _module_id(module["id"]), module["type"].text()
            named = module.get("name")
            name = named.text() if named else module_id
            bridge = module.get("bridge")
            if kind == "NLE" and "#" in module_id:
                mac, _, index = module_id.partition("#")
                if int(index) not in NLE_KINDS:
                    continue  # a channel Netatmo added since: not ours to guess
                bridge_id = _module_id(bridge) if bridge else mac
                yield Circuit(
                    home_id, home_name, bridge_id, module_id, name, NLE_KINDS[int(index)], "NLE"
                )
            elif kind == "NLPC":
                if bridge is None:
                    raise BadField(f"{module.name} (an NLPC) has no bridge")
                yield Circuit(
                    home_id, home_name, _module_id(bridge), module_id, name, "electric", "NLPC"
                )


def _buckets(root: Field) -> Iterator[tuple[int, float]]:
    """(bucket start, Wh) of every non-null value of every lot."""
    body = root.get("body")
    for lot in body.entries() if body else []:
        beg, step = lot["beg_time"], lot["step_time"]
        if beg.number() != int(beg.number()):
            raise beg.bad("not a whole number of seconds")
        if step.number() != STEP:
            raise step.bad(f"not {STEP} (the {SCALE} scale)")
        first = int(beg.number()) - STEP // 2
        if first % STEP:
            raise beg.bad("not the middle of a half hour")
        for i, row in enumerate(lot["value"].entries()):
            cells = row.entries()
            if not cells:
                raise BadField(f"{row.name} is an empty list")
            if cells[0].value is None:
                continue  # no data for that bucket: absent, never 0
            wh = cells[0].number()
            if wh < 0:
                raise cells[0].bad("negative")
            yield first + i * STEP, wh
