"""Consent: the RFC 8628 device flow against the proxy, and keeping the access token fresh.

The proxy (Device-Flow-Proxy-Server protocol) issues its own opaque tokens: an access token
for 3 h 30 and a refresh token for about four years, mapped to the usage points the user
consented to. ``/device/token`` answers every error with HTTP 400 and an OAuth ``error``.
The clock and its ``sleep`` are injected, so polling runs instantly in tests.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx

from linkyflux.errors import AuthError, DataError, LinkyfluxError, UpstreamError
from linkyflux.models import is_usage_point
from linkyflux.sources.enedis import error_of
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer
from linkyflux.text import quoted
from linkyflux.timeutil import Clock
from linkyflux.urls import public_url

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
SLOW_DOWN_STEP = 5  # RFC 8628 §3.5: add 5 seconds to the interval on slow_down
MAX_REFRESH_TRIES = 3
LONGEST_LIFETIME = timedelta(days=3660)  # of a token a gateway grants: ten years
# of a device code, and the polling interval, whatever the proxy says (a larger one is a
# broken proxy, and a sleep that large overflows)
LONGEST_CODE_LIFETIME, LONGEST_INTERVAL = 86400, 300


@dataclass(frozen=True)
class DeviceCode:
    device_code: str = field(repr=False)
    user_code: str
    link: str
    expires_at: datetime
    interval: int


def _post(http: httpx.Client, path: str, data: dict[str, str], what: str) -> httpx.Response:
    try:
        return http.post(path, data=data)
    except httpx.TransportError as exc:
        raise UpstreamError(
            f"cannot reach the consent proxy at {_base(http)} for {what} ({type(exc).__name__})"
        ) from None


def _base(http: httpx.Client) -> str:
    """The proxy's URL as it may be printed (without a user and password)."""
    return public_url(str(http.base_url).rstrip("/"))


def _json_object(response: httpx.Response, what: str) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DataError(f"the consent proxy answered {what} with something that is not JSON")
    return body


def split_usage_points(raw: str) -> tuple[str, ...]:
    return tuple(p.strip() for p in re.split(r"[,;]", raw) if p.strip())


def lifetime(value: object, what: str) -> timedelta:
    """A gateway's ``expires_in`` (seconds: an integer, or its digits) as a duration;
    DataError naming ``what`` unless it is from 1 second to ten years."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}", value.strip()):
        value = int(value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    limit = LONGEST_LIFETIME.total_seconds()
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= limit:
        return timedelta(seconds=value)
    raise DataError(
        f"{what} gives expires_in {quoted(value)}, not a number of seconds from 1 to ten years"
    )


def usage_points_named(
    values: Iterable[object], what: str, error: type[LinkyfluxError], hint: str = ""
) -> tuple[str, ...]:
    """``values`` as usage points (14 digits each, surrounding spaces ignored); ``error``
    naming the first that is not one (``what`` names where it came from) otherwise: a junk
    one must never become a path of an API call nor a tag."""
    points = []
    for value in values:
        point = value.strip() if isinstance(value, str) else value
        if not (isinstance(point, str) and is_usage_point(point)):
            raise error(
                f"{what} names {quoted(value)}, which is not a usage point (14 digits){hint}"
            )
        points.append(point)
    return tuple(points)


class DeviceFlow:
    def __init__(self, http: httpx.Client, client_id: str, clock: Clock) -> None:
        self.http = http
        self.client_id = client_id
        self.clock = clock

    def start(self) -> DeviceCode:
        response = _post(self.http, "/device/code", {"client_id": self.client_id}, "a device code")
        if response.status_code != 200:
            code, description = error_of(response)
            raise AuthError(
                f"the consent proxy refused to start a consent: {response.status_code} {code} "
                f"{description}".rstrip()
            )
        body = _json_object(response, "/device/code")
        device_code, user_code = body.get("device_code"), body.get("user_code")
        if not isinstance(device_code, str) or not isinstance(user_code, str):
            raise DataError(
                "the consent proxy's /device/code answer lacks device_code or user_code"
            )
        link = body.get("verification_uri_complete") or (
            f"{_base(self.http)}/device?code={quote(user_code)}"
        )
        expires_in, interval = body.get("expires_in"), body.get("interval")
        seconds = expires_in if isinstance(expires_in, int) and expires_in > 0 else 300
        seconds = min(seconds, LONGEST_CODE_LIFETIME)
        return DeviceCode(
            device_code=device_code,
            user_code=user_code,
            link=str(link),
            expires_at=self.clock.now() + timedelta(seconds=seconds),
            interval=min(interval, LONGEST_INTERVAL)
            if isinstance(interval, int) and interval > 0
            else 5,
        )

    def wait(self, code: DeviceCode) -> Tokens:
        """Poll ``/device/token`` until the user consents, refuses, or the code expires."""
        interval = code.interval
        expired = AuthError(
            f"the code {code.user_code} expired before consent was given: "
            "run `linkyflux auth` again"
        )
        data = {
            "client_id": self.client_id,
            "grant_type": DEVICE_GRANT,
            "device_code": code.device_code,
        }
        while True:
            self.clock.sleep(interval)
            if self.clock.now() >= code.expires_at:
                raise expired
            try:
                response = self.http.post("/device/token", data=data)
            except httpx.TransportError:
                continue  # a blip while the user is busy in the browser: keep polling
            if response.status_code == 200:
                return self._tokens(_json_object(response, "the consent"))
            if response.status_code >= 500:
                continue
            error, description = error_of(response)
            if error == "authorization_pending":
                continue
            if error == "slow_down":
                interval += SLOW_DOWN_STEP
                continue
            if error in ("expired_token", "invalid_grant"):
                raise expired
            if error == "access_denied":
                raise AuthError(
                    "consent was refused on the Enedis page: run `linkyflux auth` again"
                )
            raise AuthError(
                f"the consent proxy refused the device code: {error} {description}".rstrip()
            )

    def _tokens(self, body: dict[str, object]) -> Tokens:
        access, refresh = body.get("access_token"), body.get("refresh_token")
        points, expires_in = body.get("usage_points_id"), body.get("expires_in")
        if not (isinstance(access, str) and isinstance(refresh, str) and isinstance(points, str)):
            raise DataError("the consent proxy's token answer lacks a token or usage_points_id")
        if expires_in is None:
            raise DataError("the consent proxy's token answer lacks expires_in")
        expires_at = self.clock.now() + lifetime(expires_in, "the consent proxy's token answer")
        usage_points = usage_points_named(
            split_usage_points(points),
            "the consent proxy's token answer",
            DataError,
            "; nothing was saved: tell the proxy's operator",
        )
        if not usage_points:
            raise AuthError("the consent covers no usage point: run `linkyflux auth` again")
        return Tokens(
            access_token=access,
            refresh_token=refresh,
            token_type=str(body.get("token_type") or "Bearer"),
            expires_at=expires_at,
            usage_points=usage_points,
            consent_url=str(self.http.base_url).rstrip("/"),
        )


def _needs_refresh(response: httpx.Response) -> bool:
    if response.status_code not in (401, 403):
        return False
    error, description = error_of(response)
    return error == "invalid_token" or "access token not found" in description.lower()


class RenewingAuth(httpx.Auth):
    """Bearer auth that renews its token before expiry, and once more (per run) when the
    gateway rejects it. Subclasses say how to renew and what a rejection looks like; the new
    token is saved atomically to the token store."""

    requires_response_body = True

    def __init__(self, store: TokenStore, tokens: Tokens, clock: Clock) -> None:
        self.store = store
        self.tokens = tokens
        self.clock = clock
        self.reactive_renewal_done = False

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self.tokens.expiring(self.clock.now()):
            yield from self.renew(request)
        request.headers["Authorization"] = f"{self.tokens.token_type} {self.tokens.access_token}"
        response = yield request
        if self.rejected(response) and not self.reactive_renewal_done:
            self.reactive_renewal_done = True
            yield from self.renew(request)
            request.headers["Authorization"] = (
                f"{self.tokens.token_type} {self.tokens.access_token}"
            )
            yield request

    def rejected(self, response: httpx.Response) -> bool:
        raise NotImplementedError

    def renew(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        raise NotImplementedError

    def keep(
        self, access_token: str, expires_at: datetime, refresh_token: str | None = None
    ) -> None:
        """Save the renewed tokens (with the refresh token that replaced ours, if it
        rotated), then use them: a run killed in between leaves the store with tokens that
        still work, never with a refresh token the gateway has already forgotten."""
        tokens = self.tokens.with_access(access_token, expires_at, refresh_token)
        try:
            self.store.save(tokens)
        except OSError as exc:
            if tokens.refresh_token == self.tokens.refresh_token:
                raise
            raise AuthError(
                f"cannot save the renewed consent to {self.store.path} "
                f"({exc.strerror or type(exc).__name__}); the old refresh token is no longer "
                "valid: run `linkyflux auth`"
            ) from None
        self.tokens = tokens


class ProxyAuth(RenewingAuth):
    """The consent proxy's access token, renewed with its refresh grant."""

    def __init__(
        self, store: TokenStore, tokens: Tokens, client_id: str, clock: Clock, pacer: Pacer
    ) -> None:
        super().__init__(store, tokens, clock)
        self.client_id = client_id
        self.pacer = pacer

    def rejected(self, response: httpx.Response) -> bool:
        return _needs_refresh(response)

    def renew(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        url = request.url.copy_with(path=_token_path(request.url.path), query=None)
        data = {
            "grant_type": "refresh_token",
            "client_id": self.client_id,
            "usage_points_id": ",".join(self.tokens.usage_points),
            "refresh_token": self.tokens.refresh_token,
        }
        headers = {
            k: v for k, v in request.headers.items() if k.lower() in ("user-agent", "accept")
        }
        for _ in range(MAX_REFRESH_TRIES):
            response = yield httpx.Request("POST", url, data=data, headers=headers)
            if response.status_code == 200:
                body = _json_object(response, "the token refresh")
                access, expires_in = body.get("access_token"), body.get("expires_in")
                if not isinstance(access, str) or expires_in is None:
                    raise DataError(
                        "the consent proxy's refresh answer lacks access_token or expires_in"
                    )
                expires = lifetime(expires_in, "the consent proxy's refresh answer")
                # RFC 6749 §6: a new refresh token replaces ours at once (ours may be dead)
                rotated = body.get("refresh_token")
                self.keep(
                    access,
                    self.clock.now() + expires,
                    rotated if isinstance(rotated, str) and rotated else None,
                )
                return
            error, description = error_of(response)
            if error == "slow_down":
                self.pacer.saturate()
                continue
            if response.status_code >= 500:
                raise UpstreamError(
                    f"the consent proxy failed to refresh the access token ({response.status_code})"
                )
            raise AuthError(
                f"the consent proxy refused to refresh the access token ({error}: {description}): "
                "run `linkyflux auth`"
            )
        raise UpstreamError("the consent proxy keeps asking us to slow down while refreshing")


def _token_path(data_path: str) -> str:
    """``/prefix/data/proxy/...`` -> ``/prefix/device/token`` (a proxy may live under a prefix)."""
    prefix = data_path.split("/data/proxy/", 1)[0] if "/data/proxy/" in data_path else ""
    return f"{prefix}/device/token"
