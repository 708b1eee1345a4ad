"""The ways to reach Enedis, chosen by ``[consent] kind``: one class each, one reading model.

    device-flow   a Device-Flow-Proxy-Server: ``/device/*`` consent, ``/data/proxy/<Enedis path>``
    conso-api     Conso API: a JWT pasted once, ``/api/<type>``, unwrapped v5 bodies, wrapped
                  errors; its operator bans an IP after 100 requests in 12 hours
    enedis        Enedis DataHub directly: ``client_credentials`` (3 h 30 tokens, no refresh
                  token), usage points from the config, 5 calls a second and an hourly quota

A gateway says where each metering call goes (:meth:`Gateway.request`), turns its answers
back into plain Enedis ones (:meth:`Gateway.normalize`), how fast it may be called
(:meth:`Gateway.rates`), and how consent is obtained and used (:meth:`authorize`,
:meth:`auth`). Everything after :class:`linkyflux.sources.metering.MeteringApi` never knows which
gateway was used.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
import re
from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, ClassVar, NamedTuple

import httpx

from linkyflux.errors import AuthError, ConfigError, DataError, UpstreamError
from linkyflux.models import Contract, Direction
from linkyflux.settings import Settings
from linkyflux.sources import contracts
from linkyflux.sources.auth import (
    DeviceCode,
    DeviceFlow,
    ProxyAuth,
    RenewingAuth,
    split_usage_points,
)
from linkyflux.sources.dialects import Dialect, Kind
from linkyflux.sources.enedis import CONSENT_CODES, error_of
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer, Rate, per_minute
from linkyflux.timeutil import Clock

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Call:
    """One metering call, whatever the gateway and dialect."""

    kind: Kind
    direction: Direction
    usage_point_id: str
    start: date
    end: date


@dataclass(frozen=True)
class Asking:
    """What `linkyflux auth` gives a gateway to obtain the consent with."""

    client: httpx.Client
    clock: Clock
    echo: Echo
    token: str | None = None  # conso-api: pasted by the user
    on_device_code: Callable[[DeviceCode], None] | None = None  # device-flow: the demo's browser


class ContractCall(NamedTuple):
    """One call of those that give a usage point's contract."""

    label: str  # what Enedis calls it, for messages
    path: str  # relative to the gateway's URL
    params: dict[str, str]
    # a refusal means "not subscribed for the application", not a failure (comptage_auto:
    # only the off-peak hours)
    optional: bool = False


class Gateway:
    kind: ClassVar[str]
    name: ClassVar[str]  # for messages
    # The load curve's dates are interval starts already (not Enedis' interval ends).
    curve_dates_are_starts: ClassVar[bool] = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def url(self) -> str:
        return self.settings.consent.url

    def rates(self) -> list[Rate]:
        return [per_minute(self.settings.consent.requests_per_minute)]

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        """(path relative to ``url``, query) of one metering call."""
        path = dialect.path(call.kind, call.direction)
        return path, dialect.params(call.kind, call.usage_point_id, call.start, call.end)

    def headers(self, dialect: Dialect) -> dict[str, str]:
        """Extra headers of a metering call (a gateway may choose the dialect by header)."""
        return {}

    def normalize(self, response: httpx.Response, dialect: Dialect) -> httpx.Response:
        """The answer as Enedis would have given it (same status, Enedis body)."""
        return response

    def contract_calls(self, dialect: Dialect, prm: str) -> list[ContractCall]:
        """The calls that give a usage point's contract (none: this gateway has no contract)."""
        if dialect.name == "v5":
            return [ContractCall(contracts.V5_PATH, contracts.V5_PATH, {"usage_point_id": prm})]
        return [
            ContractCall(api, f"{api}/v1/{prm}", {}, optional=api == "comptage_auto")
            for api in contracts.ITC_2026
        ]

    def parse_contract(self, dialect: Dialect, bodies: list[Any], prm: str) -> Contract:
        if dialect.name == "v5":
            return contracts.from_v5(bodies[0], prm)
        return contracts.from_2026(bodies[0], bodies[1], bodies[2], prm)

    def require(self) -> None:
        """Check the settings this gateway needs (ConfigError naming the key)."""
        for key in ("url", "client_id"):
            if not getattr(self.settings.consent, key):
                raise self._unset(key, "see config.example.toml")

    def _unset(self, key: str, hint: str = "") -> ConfigError:
        where = f"{self.settings.source}: consent.{key} is not set"
        return ConfigError(f"{where} ({hint})" if hint else where)

    def authorize(self, ask: Asking) -> Tokens:
        """`linkyflux auth`: obtain the consent's tokens and usage points."""
        raise NotImplementedError

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        """How data calls authenticate, refreshing what can be refreshed."""
        raise NotImplementedError


class DeviceFlowGateway(Gateway):
    kind = "device-flow"
    name = "the consent proxy"

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        path, params = super().request(dialect, call)
        # The proxy checks usage_point_id against the consent, then passes every parameter
        # on to Enedis (which ignores those it does not know).
        return f"data/proxy/{path}", {**params, "usage_point_id": call.usage_point_id}

    def contract_calls(self, dialect: Dialect, prm: str) -> list[ContractCall]:
        return [
            call._replace(
                path=f"data/proxy/{call.path}", params={**call.params, "usage_point_id": prm}
            )
            for call in super().contract_calls(dialect, prm)
        ]

    def authorize(self, ask: Asking) -> Tokens:
        flow = DeviceFlow(ask.client, self.settings.consent.client_id, ask.clock)
        code = flow.start()
        minutes = max(1, round((code.expires_at - ask.clock.now()).total_seconds() / 60))
        ask.echo(f"Open {code.link}")
        ask.echo(f"and confirm the code {code.user_code} within {minutes} minutes.")
        ask.echo("Waiting for your consent on the Enedis page…")
        if ask.on_device_code:
            ask.on_device_code(code)
        return flow.wait(code)

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        return ProxyAuth(store, tokens, self.settings.consent.client_id, clock, pacer)


class BearerAuth(httpx.Auth):
    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


# ----------------------------------------------------------------------------- Conso API
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
    """The claims of a JWT, not verified (the gateway verifies it; we only read ``sub``)."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        raise AuthError(
            "that is not a Conso API token (a JWT: three dot-separated parts)"
        ) from None
    if not isinstance(claims, dict):
        raise AuthError("that is not a Conso API token (its payload is not an object)")
    return claims


class ConsoApiGateway(Gateway):
    kind = "conso-api"
    name = "Conso API"

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

    def contract_calls(self, dialect: Dialect, prm: str) -> list[ContractCall]:
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
        sub = claims.get("sub")
        points = split_usage_points(",".join(sub) if isinstance(sub, list) else str(sub or ""))
        if not points:
            raise AuthError("this Conso API token names no usage point (its `sub` is empty)")
        exp = claims.get("exp")
        expires = datetime.fromtimestamp(exp, UTC) if isinstance(exp, int | float) else None
        return Tokens(
            access_token=token.strip(),
            refresh_token="",
            expires_at=expires or ask.clock.now() + timedelta(days=3 * 365),
            usage_points=points,
            consent_url=self.url,
        )

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        if clock.now() >= tokens.expires_at:
            raise AuthError(
                "the Conso API token has expired: get a new one and run `linkyflux auth`"
            )
        return BearerAuth(tokens.access_token)


# ----------------------------------------------------------------------------- Enedis direct
class ClientCredentialsAuth(RenewingAuth):
    """Enedis' ``client_credentials`` token: 3 h 30, no refresh token, cached in tokens.json."""

    def __init__(self, gateway: EnedisGateway, store: TokenStore, tokens: Tokens, clock: Clock):
        super().__init__(store, tokens, clock)
        self.gateway = gateway

    def rejected(self, response: httpx.Response) -> bool:
        return response.status_code == 401

    def renew(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token_url = request.url.copy_with(path=self.gateway.token_path(), query=None)
        response = yield httpx.Request("POST", token_url, data=self.gateway.token_form())
        self.keep(*self.gateway.parse_token(response, self.clock))


class EnedisGateway(Gateway):
    kind = "enedis"
    name = "Enedis"
    # Enedis: 5 calls a second; 10 000 an hour in v5, 1 000 in the 2026 Swagger: keep to that.
    RATES: ClassVar[list[Rate]] = [Rate(5, timedelta(seconds=1)), Rate(1000, timedelta(hours=1))]

    def rates(self) -> list[Rate]:
        return list(self.RATES)

    def require(self) -> None:
        super().require()
        if not self.settings.consent.client_secret.get_secret_value():
            raise self._unset("client_secret")
        if not self.settings.consent.usage_points:
            raise ConfigError(
                f"{self.settings.source}: consent.usage_points is empty: list the usage points "
                "whose owners consented to your DataHub application"
            )

    def token_path(self) -> str:
        """The token endpoint's absolute path (Enedis' host may sit under a prefix)."""
        prefix = httpx.URL(self.url).path.rstrip("/")
        return f"{prefix}/oauth2/v3/token"

    def token_form(self) -> dict[str, str]:
        consent = self.settings.consent
        return {
            "grant_type": "client_credentials",
            "client_id": consent.client_id,
            "client_secret": consent.client_secret.get_secret_value(),
        }

    def parse_token(self, response: httpx.Response, clock: Clock) -> tuple[str, datetime]:
        if response.status_code >= 500:
            raise UpstreamError(f"Enedis' token endpoint failed ({response.status_code})")
        if response.status_code != 200:
            code, description = error_of(response)
            raise AuthError(
                f"Enedis refused the application's credentials ({response.status_code} {code}: "
                f"{description}): check consent.client_id and consent.client_secret"
            )
        try:
            body = response.json()
            return str(body["access_token"]), clock.now() + timedelta(
                seconds=int(body["expires_in"])
            )
        except (ValueError, KeyError, TypeError):
            raise DataError("Enedis' token answer lacks access_token or expires_in") from None

    def authorize(self, ask: Asking) -> Tokens:
        try:
            response = ask.client.post("oauth2/v3/token", data=self.token_form())
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"cannot reach Enedis at {self.url} ({type(exc).__name__})"
            ) from None
        access, expires_at = self.parse_token(response, ask.clock)
        return Tokens(
            access_token=access,
            refresh_token="",
            expires_at=expires_at,
            usage_points=tuple(self.settings.consent.usage_points),
            consent_url=self.url,
        )

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        return ClientCredentialsAuth(self, store, tokens, clock)


# ----------------------------------------------------------------------------- MyElectricalData
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
        if not self.settings.consent.client_secret.get_secret_value():
            raise self._unset("client_secret", "your MyElectricalData API key")

    def request(self, dialect: Dialect, call: Call) -> tuple[str, dict[str, str]]:
        params = {"start": call.start.isoformat(), "end": call.end.isoformat()}
        prm = call.usage_point_id
        if call.kind == "max_power":
            return f"enedis/power/{prm}", params
        data = "detail" if call.kind == "curve" else "daily"
        return f"enedis/{call.direction}/{data}/{prm}", params

    def headers(self, dialect: Dialect) -> dict[str, str]:
        return {"X-MED-Format": "2026"} if dialect.name == "2026" else {}

    def contract_calls(self, dialect: Dialect, prm: str) -> list[ContractCall]:
        path = f"enedis/contract/{prm}"
        return [ContractCall(path, path, {})]

    def parse_contract(self, dialect: Dialect, bodies: list[Any], prm: str) -> Contract:
        body = bodies[0]
        if dialect.name == "v5" or not isinstance(body, dict):
            return contracts.from_v5(body, prm)
        return contracts.from_2026(
            body.get("situation_contrat"), body.get("synthese_contrat"), body.get("comptage"), prm
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
                f"{self.url} answers in the v5 format (an older instance: it ignores "
                'X-MED-Format: 2026): set enedis.api = "v5" or "auto"'
            )
        return httpx.Response(404, text=MED_V5_ONLY)

    def authorize(self, ask: Asking) -> Tokens:
        secret = self.settings.consent.client_secret.get_secret_value()
        try:
            response = ask.client.get("pdl", headers={"Authorization": f"Bearer {secret}"})
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"cannot reach MyElectricalData at {self.url} ({type(exc).__name__})"
            ) from None
        if response.status_code in (401, 403):
            raise AuthError("MyElectricalData refused the API key: check consent.client_secret")
        try:
            data = response.json()["data"]
            points = tuple(str(p["usage_point_id"] if isinstance(p, dict) else p) for p in data)
        except (ValueError, KeyError, TypeError):
            raise DataError(
                "MyElectricalData's /pdl answer is not a list of usage points"
            ) from None
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


GATEWAYS: dict[str, type[Gateway]] = {
    g.kind: g for g in (DeviceFlowGateway, ConsoApiGateway, EnedisGateway, MyElectricalDataGateway)
}


# What linkyflux reads of an answer's headers (see enedis.error_of and enedis.retry_after).
_KEPT_HEADERS = ("Retry-After", "WWW-Authenticate")


def rebuilt(status: int, body: Any, like: httpx.Response) -> httpx.Response:
    """A gateway's answer rebuilt with an Enedis body, keeping of ``like``'s headers only
    those linkyflux reads: its Content-Encoding or Content-Length would not fit the new body
    (httpx would try to gunzip plain JSON)."""
    headers = {name: like.headers[name] for name in _KEPT_HEADERS if name in like.headers}
    return httpx.Response(status, json=body, headers=headers)


def gateway_for(settings: Settings) -> Gateway:
    return GATEWAYS[settings.consent.kind](settings)
