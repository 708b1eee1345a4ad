"""Enedis DataHub directly (``kind = "enedis"``): ``client_credentials`` tokens (3 h 30, no
refresh token), usage points from the config, 5 calls a second and an hourly quota, as
``../shared/docs/enedis-api.md`` §6.3 (token) and §5.3 (rate limits) and
``../shared/docs/real-answers.md`` ("Enedis (direct access, Data Connect 2026)") describe it.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime, timedelta
from typing import ClassVar

import httpx

from linkyflux.errors import AuthError, ConfigError, DataError, UpstreamError
from linkyflux.sources.auth import RenewingAuth, lifetime, usage_points_named
from linkyflux.sources.enedis import error_of
from linkyflux.sources.gateways.base import Asking, Gateway
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer, Rate
from linkyflux.timeutil import Clock
from linkyflux.urls import public_url


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
        self.usage_points()

    def usage_points(self) -> tuple[str, ...]:
        """``consent.usage_points``, each checked (a junk one never reaches a URL)."""
        return usage_points_named(
            self.settings.consent.usage_points,
            f"{self.settings.source}: consent.usage_points",
            ConfigError,
            " (the PRM shown on the meter and the bills)",
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
            access, expires_in = str(body["access_token"]), body["expires_in"]
        except (ValueError, KeyError, TypeError):
            raise DataError("Enedis' token answer lacks access_token or expires_in") from None
        return access, clock.now() + lifetime(expires_in, "Enedis' token answer")

    def authorize(self, ask: Asking) -> Tokens:
        try:
            response = ask.client.post("oauth2/v3/token", data=self.token_form())
        except httpx.TransportError as exc:
            raise UpstreamError(
                f"cannot reach Enedis at {public_url(self.url)} ({type(exc).__name__})"
            ) from None
        access, expires_at = self.parse_token(response, ask.clock)
        return Tokens(
            access_token=access,
            refresh_token="",
            expires_at=expires_at,
            usage_points=self.usage_points(),
            consent_url=self.url,
        )

    def auth(self, store: TokenStore, tokens: Tokens, clock: Clock, pacer: Pacer) -> httpx.Auth:
        return ClientCredentialsAuth(self, store, tokens, clock)
