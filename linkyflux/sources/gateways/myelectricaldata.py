"""MyElectricalData v2 (``kind = "myelectricaldata"``): an API key, ``{success, data, error}``
envelopes whose errors come with HTTP 200, the 2026 format on request, a daily quota, as
``../shared/docs/enedis-api.md`` §8.2 (MyElectricalData v2) and
``../shared/docs/real-answers.md`` ("MyElectricalData v2") describe it.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from linkyflux.errors import AuthError, ConfigError, DataError, UpstreamError
from linkyflux.models import Contract
from linkyflux.sources import contracts
from linkyflux.sources.auth import usage_points_named
from linkyflux.sources.dialects import Dialect
from linkyflux.sources.enedis import CONSENT_CODES
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
from linkyflux.timeutil import Clock
from linkyflux.urls import public_url

# MyElectricalData's own error codes, as the Enedis answer each stands for (status, code).
MED_ERRORS: dict[str, tuple[int, str]] = {
    "NO_DATA": (404, "no_data_found"),
    "ACCESS_DENIED": (403, "ADAM-DC-0008"),  # "PDL not found": no consent, or not our key
    "RATE_LIMIT_EXCEEDED": (429, "RATE_LIMIT_EXCEEDED"),
    "UNAUTHORIZED": (401, "UNAUTHORIZED"),
    "NOT_FOUND": (404, ""),  # a path it does not serve
}
# An Enedis code, as MyElectricalData's own code or inside an ENEDIS_ERROR message
# ("ADAM-ERR0069: no production measure for this usage point", "…: no_data_found: …").
MED_ENEDIS_CODE = re.compile(
    r"\b(ADAM[-_](?:ERR\d{4}|DC[-_]\d{4})|STM-ERR-\d{7}|no_data_found|unauthorized_user"
    r"|technical_error|[Ii]nvalid_request)\b"
)
# Enedis' quota refusals, inside an ENEDIS_ERROR message (v5 "Quota Q3 reached: Call
# threshold allowed on H:MM:SS", 2026 "SLA dépassé")
MED_ENEDIS_QUOTA = re.compile(r"Quota Q\d|SLA d[ée]pass[ée]", re.IGNORECASE)
MED_ACCESS_HINT = (
    " (no consent for this usage point on MyElectricalData, or consent.client_secret is not "
    "the API key of the account that holds it)"
)
# an older instance, which ignores X-MED-Format: 2026 (at most 120 characters: error_of)
MED_V5_ONLY = "this MyElectricalData instance answers in v5 (it ignores X-MED-Format: 2026)"
# 50 calls a day without its cache (reset at midnight UTC): a rolling day is stricter.
MED_BUDGET = Rate(48, timedelta(hours=24), wait=False)


def _enedis_status(code: str) -> int:
    """The status Enedis gives its error ``code`` (what linkyflux reads with the code)."""
    if code in ("no_data_found", "STM-ERR-0000014", "STM-ERR-0000019", "STM-ERR-0000020"):
        return 404
    if code in CONSENT_CODES:
        return 403
    return 500 if code == "technical_error" else 400


def med_error(code: str, message: str, status: int) -> tuple[int, str, str]:
    """(status, Enedis code, description) of a MyElectricalData error envelope: the Enedis
    answer it stands for, whatever HTTP status it came with (200 from its routes)."""
    description = message
    if status >= 500:  # its global exception handler
        return status, code, description
    if code in MED_ERRORS:
        status, enedis = MED_ERRORS[code]
        if code == "ACCESS_DENIED":
            description += MED_ACCESS_HINT
        elif code == "UNAUTHORIZED":
            description += ": check consent.client_secret (your MyElectricalData API key)"
        return status, enedis, description
    found = MED_ENEDIS_CODE.fullmatch(code) or (
        MED_ENEDIS_CODE.search(message) if code == "ENEDIS_ERROR" else None
    )
    if found:
        enedis = found.group(1)
        return _enedis_status(enedis), enedis, description
    if code == "ENEDIS_ERROR":  # a refusal we cannot name: Enedis failing, as far as we know
        return 429 if MED_ENEDIS_QUOTA.search(message) else 502, code, description
    return max(status, 400), code, description


def _utc(stamp: object) -> datetime | None:
    """An envelope's ``timestamp`` (ISO 8601, UTC when naive), None if it is not one."""
    try:
        when = datetime.fromisoformat(str(stamp))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _quota_reset(header: str, now: datetime | None) -> datetime | None:
    """When MyElectricalData's daily quota resets: at ``X-RateLimit-Reset``, else at the
    midnight (UTC) after the answer's ``timestamp``; None when neither says."""
    if header.isdigit():
        return datetime.fromtimestamp(int(header), UTC)
    if now is None:
        return None
    return datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)


class MyElectricalDataGateway(Gateway):
    """MyElectricalData v2: ``/enedis/<direction>/<daily|detail>/<pdl>``, ``/enedis/power/<pdl>``,
    ``{success, data, error}`` (its errors come with HTTP 200), the 2026 format on
    ``X-MED-Format: 2026`` (which an older instance ignores), and load-curve dates already
    moved to the interval start (never shift them twice)."""

    kind = "myelectricaldata"
    name = "MyElectricalData"
    curve_dates_are_starts = True

    def rates(self) -> list[Rate]:
        return [MED_BUDGET, per_minute(self.settings.consent.requests_per_minute)]

    def require(self) -> None:
        if not self.settings.consent.url:
            raise self._unset(
                "url", 'MyElectricalData: url = "https://www.v2.myelectricaldata.fr/api"'
            )
        key = self.settings.consent.client_secret.get_secret_value()
        if not key:
            raise self._unset("client_secret", "your MyElectricalData API key")
        if not (key.isascii() and key.isprintable()) or " " in key:  # it goes into a header
            raise ConfigError(
                f"{self.settings.source}: consent.client_secret holds a character no "
                "MyElectricalData API key has (a space, an invisible or accented character): "
                "paste the key again"
            )

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        params = {"start": call.start.isoformat(), "end": call.end.isoformat()}
        usage_point_id = call.usage_point_id
        if call.kind == "max_power":
            return f"enedis/power/{usage_point_id}", params
        data = "detail" if call.kind == "curve" else "daily"
        return f"enedis/{call.direction}/{data}/{usage_point_id}", params

    def headers(self, dialect: Dialect) -> dict[str, str]:
        return {"X-MED-Format": "2026"} if dialect.name == "2026" else {}

    def contract_calls(self, dialect: Dialect, usage_point_id: str) -> list[ContractCall]:
        path = f"enedis/contract/{usage_point_id}"
        return [ContractCall(path, path, {})]

    def parse_contract(self, dialect: Dialect, bodies: list[Any], usage_point_id: str) -> Contract:
        body = bodies[0]
        if dialect.name == "v5" or not isinstance(body, dict):
            return contracts.from_v5(body, usage_point_id)
        return contracts.from_2026(
            body.get("situation_contrat"),
            body.get("synthese_contrat"),
            body.get("comptage"),
            usage_point_id,
        )

    def normalize(self, response: httpx.Response, dialect: Dialect) -> httpx.Response:
        try:
            body = response.json()
        except ValueError:
            return response
        if not isinstance(body, dict) or "success" not in body:
            return response
        if body["success"]:
            data = body.get("data")
            v5_body = isinstance(data, dict) and ("meter_reading" in data or "customer" in data)
            if dialect.name == "2026" and v5_body:
                return self._v5_only()
            return rebuilt(response.status_code, data, response)
        error = body.get("error")
        error = error if isinstance(error, dict) else {}
        status, code, description = med_error(
            str(error.get("code") or ""), str(error.get("message") or ""), response.status_code
        )
        wait = None
        if status == 429 and code != "ENEDIS_ERROR":  # its own daily quota
            now = _utc(body.get("timestamp"))
            when = _quota_reset(response.headers.get("X-RateLimit-Reset", ""), now)
            if when is not None:
                description += f" (the quota resets at {when:%Y-%m-%d %H:%M} UTC)"
                if now is not None:
                    wait = max(0, math.ceil((when - now).total_seconds()))
        answer = rebuilt(status, {"error": code, "error_description": description}, response)
        if wait is not None:
            answer.headers["Retry-After"] = str(wait)
        return answer

    def _v5_only(self) -> httpx.Response:
        """A v5 body to a request in the 2026 dialect: an older instance, which ignores
        X-MED-Format. In ``auto`` mode, a gateway that does not serve the 2026 dialect (the
        client asks in v5 and remembers it); forced to 2026, a configuration error."""
        if self.settings.enedis.api == "2026":
            raise ConfigError(
                f'{self.settings.source}: enedis.api = "2026", but MyElectricalData at '
                f"{public_url(self.url)} answers in the v5 format (an older instance: it ignores "
                'X-MED-Format: 2026): set enedis.api = "v5" or "auto"'
            )
        return httpx.Response(404, text=MED_V5_ONLY)

    def authorize(self, ask: Asking) -> Tokens:
        secret = self.settings.consent.client_secret.get_secret_value()
        try:
            response = ask.client.get("pdl", headers={"Authorization": f"Bearer {secret}"})
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"cannot reach MyElectricalData at {public_url(self.url)} ({type(exc).__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise AuthError("MyElectricalData refused the API key: check consent.client_secret")
        try:
            data = response.json()["data"]
            if not isinstance(data, list):
                raise TypeError
            named = [p["usage_point_id"] if isinstance(p, dict) else p for p in data]
        except (ValueError, KeyError, TypeError):
            raise DataError(
                "MyElectricalData's /pdl answer is not a list of usage points"
            ) from None
        points = usage_points_named(
            [str(p) if isinstance(p, int) and not isinstance(p, bool) else p for p in named],
            "MyElectricalData's /pdl answer",
            DataError,
            "; nothing was saved",
        )
        if not points:
            raise AuthError("your MyElectricalData account has no usage point")
        return Tokens(
            access_token="",  # the API key stays in the config, not here
            refresh_token="",
            expires_at=ask.clock.now() + timedelta(days=3 * 365),
            usage_points=points,
            consent_url=self.url,
        )

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        return BearerAuth(self.settings.consent.client_secret.get_secret_value())
