"""The metering client: one gateway, one or two dialects, retries, quotas, error mapping.

Paths are relative to the gateway's URL (see :mod:`linkyflux.sources.gateways` for each one's).

With ``[enedis] api = "auto"`` the client asks in the remembered dialect (the 2026 one the
first time) and, when the gateway answers as if that API did not exist (a 404 page with no
error code, the API gateway's 403 "API Subscription validation failed", or, before that
dialect has answered anything in this run, any 404 that is not an answer of Enedis such as
``{"error": "not_found", "error_description": "no API at …"}``), asks again in the other one
and remembers what worked, per gateway.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import httpx

from linkyflux.errors import AuthError, DataError, LinkyfluxError, RateLimited, UpstreamError
from linkyflux.models import Contract, CurveReading, DailyReading, Direction, MaxPowerReading
from linkyflux.sources.dialects import Dialect, Kind
from linkyflux.sources.enedis import (
    CONSENT_CODES,
    BeforeActivation,
    BeyondHorizon,
    BeyondToday,
    ConsentRevoked,
    NoData,
    Request,
    WrongDirection,
    curve_readings,
    daily_readings,
    error_of,
    max_power_readings,
    retry_after,
)
from linkyflux.sources.gateways.base import Call, Gateway
from linkyflux.sources.transport import Pacer
from linkyflux.timeutil import Clock

# Bounded retries for what is usually transient: 5xx, timeouts, truncated bodies. Each delay
# is jittered by ±25 % so that many clients failing together do not retry together; no retry
# starts more than RETRY_WINDOW seconds after the first try. A call that fails them all with
# the gateway down (5xx, timeouts) is the last call of the run (see GatewayDown).
RETRY_DELAYS = (5.0, 20.0, 60.0)
RETRY_WINDOW = 150.0
JITTER = 0.25
# A 429 whose hint asks for a short pause is waited out; a longer one ends the run.
MAX_QUOTA_WAIT = 300.0
# A 429 with no hint of when to retry (the 2026 APIs' "SLA dépassé": over 5 calls in a
# second, or 1000 in an hour) is retried after these pauses, jittered too; a call still
# refused after them ends the run.
QUOTA_RETRY_DELAYS = (2.0, 5.0, 10.0)
# The 404 codes of Enedis' own answers (data, usage point, consent) besides ADAM-* and
# STM-ERR-*, and the consent proxy's: the API asked exists.
_NO_DATA_CODES = ("no_data_found", "STM-ERR-0000014", "STM-ERR-0000020")


# "The end date parameter must be earlier than the current date" (and the error table's
# "données disponibles à J-1. Utilisez la veille comme date maximale")
_BEYOND_TODAY = re.compile(r"earlier than the current date|veille comme date maximale", re.I)


class GatewayDown(UpstreamError):
    """The gateway (or Enedis) failed a call and all its retries: nothing more is asked of it
    in this run (a cron run must end in minutes, not keep knocking)."""


class ContractNotServed(UpstreamError):
    """The gateway serves no contract API (in any dialect we speak)."""


class _Retry(Exception):
    def __init__(self, error: LinkyfluxError, *, down: bool = False) -> None:
        self.error = error
        self.down = down  # the gateway failed (5xx), rather than refused (slow down)


class _NotServed(Exception):
    def __init__(self, detail: str) -> None:
        self.detail = detail


def _enedis_answer(code: str) -> bool:
    """Whether an error code is an answer of Enedis (or of the consent proxy about our
    consent) rather than of a gateway that does not serve the API asked."""
    return (
        code in _NO_DATA_CODES
        or code.startswith(("ADAM", "STM-ERR"))
        or code in CONSENT_CODES
        or code == "Unauthorized"
    )


def _duration(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s"]
    return " ".join(p for p in parts if p and p != "0 s") or "0 s"


class MeteringApi:
    """A gateway's metering endpoints, in the dialects given (the first one that answers
    goes first from then on)."""

    def __init__(
        self,
        http: httpx.Client,
        pacer: Pacer,
        clock: Clock,
        rng: random.Random | None = None,
        *,
        gateway: Gateway,
        dialects: Sequence[Dialect],
        on_dialect: Callable[[str], None] = lambda name: None,
    ) -> None:
        self.gateway = gateway
        self.http = http
        self.pacer = pacer
        self.clock = clock
        self.rng = rng or random.Random()
        self.dialects = list(dialects)
        self.on_dialect = on_dialect
        self.down: GatewayDown | None = None
        # the APIs ("v5", "2026 contracts", …) that answered as such in this run: a 404 with
        # a code unknown to us no longer means "not served" there
        self.confirmed: set[str] = set()

    def curve(
        self, usage_point_id: str, direction: Direction, start: date, end: date
    ) -> list[CurveReading]:
        req, items = self._items("curve", direction, usage_point_id, start, end)
        return curve_readings(items, req, direction, starts=self.gateway.curve_dates_are_starts)

    def daily(
        self, usage_point_id: str, direction: Direction, start: date, end: date
    ) -> list[DailyReading]:
        req, items = self._items("daily", direction, usage_point_id, start, end)
        return daily_readings(items, req, direction)

    def max_power(self, usage_point_id: str, start: date, end: date) -> list[MaxPowerReading]:
        req, items = self._items("max_power", "consumption", usage_point_id, start, end)
        return max_power_readings(items, req)

    def contract(self, usage_point_id: str) -> Contract | None:
        """The usage point's contract; None when the gateway or Enedis has none for it."""
        refusals = []
        for dialect in list(self.dialects):
            calls = self.gateway.contract_calls(dialect, usage_point_id)
            if not calls:
                return None
            bodies: list[Any] = []
            try:
                for call in calls:
                    req = Request(call.label, usage_point_id, via=self.gateway.name)
                    headers = self.gateway.headers(dialect)
                    try:
                        bodies.append(
                            self._get(
                                req,
                                call.path,
                                dialect,
                                call.params,
                                headers,
                                json_types=(dict, list),
                                api=f"{dialect.name} contracts",
                            )
                        )
                    except (NoData, DataError, ConsentRevoked):
                        if not call.optional:
                            raise
                        bodies.append(None)
            except NoData:
                return None
            except _NotServed as exc:
                refusals.append(f"{dialect.name}: {exc.detail}")
                continue
            return self.gateway.parse_contract(dialect, bodies, usage_point_id)
        raise ContractNotServed(
            f"the gateway serves no contract API for {usage_point_id} ({'; '.join(refusals)})"
        )

    def _items(
        self, kind: Kind, direction: Direction, usage_point_id: str, start: date, end: date
    ) -> tuple[Request, list[dict[str, Any]]]:
        refusals = []
        for dialect in list(self.dialects):
            path, params = self.gateway.request(
                dialect, Call(kind, direction, usage_point_id, start, end)
            )
            # Enedis' own path, whatever the gateway's
            req = Request(
                dialect.path(kind, direction), usage_point_id, start, end, self.gateway.name
            )
            try:
                headers = self.gateway.headers(dialect)
                body = self._get(req, path, dialect, params, headers, api=dialect.name)
            except _NotServed as exc:
                refusals.append(f"{dialect.name}: {exc.detail}")
                continue
            if dialect is not self.dialects[0]:
                self.dialects.remove(dialect)
                self.dialects.insert(0, dialect)
                self.on_dialect(dialect.name)
            return req, dialect.items(body, req, direction)
        names = " or ".join(d.name for d in self.dialects)
        raise UpstreamError(
            f"the gateway does not serve the {names} metering API for {usage_point_id} "
            f'({"; ".join(refusals)}): check consent.url, or set enedis.api = "auto"'
        )

    def _get(
        self,
        req: Request,
        path: str,
        dialect: Dialect,
        params: dict[str, str],
        headers: dict[str, str],
        *,
        json_types: tuple[type, ...] = (dict,),
        api: str,
    ) -> Any:
        if self.down is not None:
            raise self.down
        failure: LinkyfluxError | None = None
        down = False  # the last failure says the gateway is down (5xx, timeout, unreachable)
        started, tries = self.clock.now(), 0
        retries, quota_retries = iter(RETRY_DELAYS), iter(QUOTA_RETRY_DELAYS)
        while True:
            tries += 1
            try:
                response = self.http.get(path, params=params, headers=headers)
                answer = self.gateway.normalize(response, dialect)
                return self._answer(req, answer, json_types, api)
            except httpx.TimeoutException as exc:
                failure = UpstreamError(f"{req}: no answer from the gateway ({type(exc).__name__})")
                down, delay = True, next(retries, None)
            except httpx.TransportError as exc:
                failure = UpstreamError(f"{req}: cannot reach the gateway ({type(exc).__name__})")
                down, delay = True, next(retries, None)
            except _Retry as retry:
                failure, down, delay = retry.error, retry.down, next(retries, None)
            except RateLimited as limited:
                failure, down = limited, False
                if limited.retry_after is None:
                    delay = next(quota_retries, None)
                    if delay is None:
                        raise RateLimited(
                            f"{limited} (quota exceeded: still refused after {tries} tries; "
                            "retry later)"
                        ) from None
                elif limited.retry_after > MAX_QUOTA_WAIT:
                    raise
                else:
                    slot = next(retries, None)
                    delay = None if slot is None else limited.retry_after + 1
            if delay is None:
                break
            delay *= self.rng.uniform(1 - JITTER, 1 + JITTER)
            elapsed = (self.clock.now() - started).total_seconds()
            if elapsed + delay > RETRY_WINDOW and not isinstance(failure, RateLimited):
                break
            self.clock.sleep(delay)
        assert failure is not None
        if down:
            self.down = GatewayDown(
                f"{failure} ({tries} tries): the gateway or Enedis is down; nothing more was "
                "asked this run, the next run catches up"
            )
            raise self.down
        raise failure

    def _answer(
        self, req: Request, response: httpx.Response, json_types: tuple[type, ...], api: str
    ) -> Any:
        """The body of a 200, or the error an answer stands for; ``api`` names the API asked
        (for :attr:`confirmed`)."""
        status = response.status_code
        if status == 200:
            try:
                body = response.json()
            except ValueError as exc:
                raise _Retry(DataError(f"{req}: malformed JSON from the gateway ({exc})")) from None
            if not isinstance(body, json_types):
                raise DataError(f"{req}: expected a JSON object, got {type(body).__name__}")
            self.confirmed.add(api)
            return body
        code, description = error_of(response)
        detail = f": {description}" if description and description != code else ""
        what = f"{req}: {status} {code}{detail}"
        if (status == 404 and not code) or (status == 403 and code == "900908"):
            raise _NotServed(f"{status} {code or description}".strip())
        if _enedis_answer(code):
            self.confirmed.add(api)
        elif status == 404 and api not in self.confirmed:
            raise _NotServed(f"{status} {code}{detail}")  # the gateway's own "no such API"
        if code == "slow_down":
            self.pacer.saturate()
            raise _Retry(UpstreamError(f"{req}: the consent proxy keeps asking us to slow down"))
        if status == 429:
            wait = retry_after(response)
            if not wait:  # no hint: _get retries it shortly, then says so
                raise RateLimited(what, None)
            raise RateLimited(f"{what} (quota exceeded: retry in {_duration(wait)})", wait)
        if status >= 500:
            raise _Retry(UpstreamError(what), down=True)
        if code in _NO_DATA_CODES:
            raise NoData(what)
        if code == "ADAM-ERR0069":
            raise WrongDirection(what)
        if code == "ADAM-ERR0123":
            raise BeforeActivation(what)
        if code in ("ADAM-DC-0016", "ADAM-ERR0125"):
            raise BeyondHorizon(what)
        if status == 400 and _BEYOND_TODAY.search(description):
            raise BeyondToday(what)
        if code in CONSENT_CODES:
            raise ConsentRevoked(f"{what}: renew the consent with `linkyflux auth`")
        if status == 401:
            raise AuthError(f"{what}: the gateway refuses our credentials: run `linkyflux auth`")
        if status == 403 and "access token" in description.lower():
            raise AuthError(
                f"{req}: the consent proxy rejects our access token even after a refresh: "
                "run `linkyflux auth`"
            )
        if status == 404 and code == "Unauthorized":
            raise AuthError(
                f"{req}: the consent proxy says this usage point is not covered by your consent "
                f"({description}): run `linkyflux auth`"
            )
        raise DataError(what)
