"""Conso API (``kind = "conso-api"``): a JWT pasted once, ``/api/<type>``, unwrapped v5 bodies
and wrapped errors, and an operator who bans an IP after 100 requests in 12 hours, as
``../shared/docs/enedis-api.md`` §7 (Conso API gateway) and §9 (its 2026 types) describe it.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from linkyflux.errors import AuthError
from linkyflux.models import Direction
from linkyflux.sources.auth import split_usage_points, usage_points_named
from linkyflux.sources.dialects import Dialect, Kind
from linkyflux.sources.gateways.base import (
    Asking,
    BearerAuth,
    Call,
    ContractCall,
    Gateway,
    rebuilt,
)
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer, Rate, per_minute
from linkyflux.text import quoted
from linkyflux.timeutil import Clock

CONSO_API_TYPES: dict[tuple[Kind, Direction], str] = {
    ("curve", "consumption"): "consumption_load_curve",
    ("curve", "production"): "production_load_curve",
    ("daily", "consumption"): "daily_consumption",
    ("daily", "production"): "daily_production",
    ("max_power", "consumption"): "consumption_max_power",
}
# Conso API's operator bans, without notice, any IP making 100 requests in 12 hours; keep a
# margin for a curl or two by hand.
CONSO_API_BUDGET = Rate(95, timedelta(hours=12), wait=False)


def jwt_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, not verified (the gateway verifies it; we read ``sub`` and
    ``exp``)."""
    if not re.fullmatch(r"[A-Za-z0-9_=.-]*", token):  # it goes into an HTTP header as it is
        raise AuthError(
            "that is not a Conso API token: a JWT holds only letters, digits and '-_.=' "
            "(a space, an invisible or accented character came with it): paste it again"
        )
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error, RecursionError):
        raise AuthError(
            "that is not a Conso API token (a JWT: three dot-separated parts)"
        ) from None
    if not isinstance(claims, dict):
        raise AuthError("that is not a Conso API token (its payload is not an object)")
    return claims


NEW_TOKEN = ": get a new token on the Conso API site, then run `linkyflux auth --token …`"


def _usage_points(sub: object) -> tuple[str, ...]:
    """The usage points a token's ``sub`` names: a list of PRMs, or one string of them
    (comma- or semicolon-separated)."""
    if isinstance(sub, str):
        names: list[object] = list(split_usage_points(sub))
    elif isinstance(sub, list):
        names = sub
    elif sub is None:
        names = []
    else:
        kind = "an object" if isinstance(sub, dict) else f"{type(sub).__name__} {quoted(sub)}"
        raise AuthError(
            f"this Conso API token's `sub` is not a list of usage points but {kind}{NEW_TOKEN}"
        )
    points = usage_points_named(names, "this Conso API token's `sub`", AuthError, NEW_TOKEN)
    if not points:
        raise AuthError("this Conso API token names no usage point (its `sub` is empty)")
    return points


def _expiry(exp: object) -> datetime | None:
    """When a token's ``exp`` says it expires (None: it does not say)."""
    if exp is None:
        return None
    if isinstance(exp, int | float) and not isinstance(exp, bool):
        try:
            return datetime.fromtimestamp(exp, UTC)
        except (OverflowError, OSError, ValueError):  # ±1e20, NaN: no date
            pass
        shown = f"{exp:g}"
    else:
        shown = quoted(exp)
    raise AuthError(f"this Conso API token's `exp` ({shown}) is not a date{NEW_TOKEN}")


class ConsoApiGateway(Gateway):
    kind = "conso-api"
    name = "Conso API"
    takes_token = True

    def rates(self) -> list[Rate]:
        return [CONSO_API_BUDGET, per_minute(self.settings.consent.requests_per_minute)]

    def require(self) -> None:
        if not self.settings.consent.url:
            raise self._unset("url", 'Conso API: url = "https://conso.boris.sh"')

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        if dialect.name == "v5":
            params = {
                "prm": call.usage_point_id,
                "start": call.start.isoformat(),
                "end": call.end.isoformat(),
            }
            return f"api/{CONSO_API_TYPES[(call.kind, call.direction)]}", params
        path, params = super().request(dialect, call)
        return f"api/{path.rsplit('/', 1)[-1]}", params

    def contract_calls(self, dialect: Dialect, usage_point_id: str) -> list[ContractCall]:
        return []  # Conso API serves metering data only

    def normalize(self, response: httpx.Response, dialect: Dialect) -> httpx.Response:
        try:
            body = response.json()
        except ValueError:
            return response  # a Cloudflare page, say: as it is
        if response.status_code == 200:
            if dialect.name == "v5" and isinstance(body, dict) and "meter_reading" not in body:
                body = {"meter_reading": body}  # Conso API strips the v5 envelope
            return rebuilt(200, body, response)
        if not isinstance(body, dict):
            return response
        inner = body.get("error")
        if body.get("message") == "Paramètres invalides" and "type" in json.dumps(inner):
            # an unknown data type: this Conso API does not serve that dialect
            return httpx.Response(404, text=f"Conso API: unknown type ({response.url.path})")
        if isinstance(inner, dict) and ("error" in inner or "code" in inner or "fault" in inner):
            return rebuilt(response.status_code, inner, response)
        message = str(body.get("message", ""))
        return rebuilt(
            response.status_code, {"error": "conso_api", "error_description": message}, response
        )

    def authorize(self, ask: Asking) -> Tokens:
        token = ask.token or self.settings.consent.token.get_secret_value()
        if not token:
            raise AuthError(
                "no Conso API token: get one on the Conso API site, then run "
                "`linkyflux auth --token …` (or set consent.token)"
            )
        claims = jwt_claims(token.strip())
        points = _usage_points(claims.get("sub"))
        expires = _expiry(claims.get("exp")) or ask.clock.now() + timedelta(days=3 * 365)
        if expires <= ask.clock.now():
            raise AuthError(
                f"this Conso API token expired on {expires:%Y-%m-%d}: get a new one on the "
                "Conso API site, then run `linkyflux auth --token …`"
            )
        return Tokens(
            access_token=token.strip(),
            refresh_token="",
            expires_at=expires,
            usage_points=points,
            consent_url=self.url,
        )

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        if clock.now() >= tokens.expires_at:
            raise AuthError(
                "the Conso API token has expired: get a new one and run `linkyflux auth`"
            )
        return BearerAuth(tokens.access_token)
