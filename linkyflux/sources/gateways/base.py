"""What every gateway is: the :class:`Gateway` base, the calls it shapes and what it shares.

A gateway says where each metering call goes (:meth:`Gateway.request`), turns its answers
back into plain Enedis ones (:meth:`Gateway.normalize`), how fast it may be called
(:meth:`Gateway.rates`), and how consent is obtained and used (:meth:`Gateway.authorize`,
:meth:`Gateway.auth`). Everything after :class:`linkyflux.sources.metering.MeteringApi` never
knows which gateway was used.

The defaults are Enedis' own requests, in either dialect: ``../shared/docs/enedis-api.md``
§2 (metering v5), §4 (customers v5) and §9 (Data Connect 2026, its contract APIs).
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from dataclasses import dataclass
from datetime import date
from typing import Any, ClassVar, NamedTuple

import httpx

from linkyflux.errors import ConfigError
from linkyflux.models import Contract, Direction
from linkyflux.settings import Settings
from linkyflux.sources import contracts
from linkyflux.sources.auth import DeviceCode
from linkyflux.sources.dialects import Dialect, Kind
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
    """One way to reach Enedis; by default, Enedis' own paths on ``consent.url``."""

    kind: ClassVar[str]
    name: ClassVar[str]  # for messages
    # The load curve's dates are interval starts already (not Enedis' interval ends).
    curve_dates_are_starts: ClassVar[bool] = False
    # `linkyflux auth --token` gives it the token it is authorized with (else: refused).
    takes_token: ClassVar[bool] = False

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

    def contract_calls(self, dialect: Dialect, usage_point_id: str) -> list[ContractCall]:
        """The calls that give a usage point's contract (none: this gateway has no contract)."""
        if dialect.name == "v5":
            return [
                ContractCall(
                    contracts.V5_PATH, contracts.V5_PATH, {"usage_point_id": usage_point_id}
                )
            ]
        return [
            ContractCall(api, f"{api}/v1/{usage_point_id}", {}, optional=api == "comptage_auto")
            for api in contracts.ITC_2026
        ]

    def parse_contract(self, dialect: Dialect, bodies: list[Any], usage_point_id: str) -> Contract:
        if dialect.name == "v5":
            return contracts.from_v5(bodies[0], usage_point_id)
        return contracts.from_2026(bodies[0], bodies[1], bodies[2], usage_point_id)

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


class BearerAuth(httpx.Auth):
    """The same ``Authorization: Bearer`` on every call (Conso API's JWT, MyElectricalData's
    API key): nothing to refresh."""

    def __init__(self, token: str) -> None:
        self._header = f"Bearer {token}"

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._header
        yield request


# What linkyflux reads of an answer's headers (see enedis.error_of and enedis.retry_after).
_KEPT_HEADERS = ("Retry-After", "WWW-Authenticate")


def rebuilt(status: int, body: Any, like: httpx.Response) -> httpx.Response:
    """A gateway's answer rebuilt with an Enedis body, keeping of ``like``'s headers only
    those linkyflux reads: its Content-Encoding or Content-Length would not fit the new body
    (httpx would try to gunzip plain JSON)."""
    headers = {name: like.headers[name] for name in _KEPT_HEADERS if name in like.headers}
    return httpx.Response(status, json=body, headers=headers)
