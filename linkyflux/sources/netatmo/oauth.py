"""Consent to Netatmo (docs/netatmo.md B1): the authorization-code grant with scope
``read_magellan``, a token pair pasted from Netatmo's developer site, and keeping the access
token fresh while the refresh token rotates.

Netatmo invalidates the refresh token it was given on every refresh and answers with a new
pair. :class:`TokenKeeper` saves that pair atomically the moment the answer is parsed, before
anything else (before the new access token is ever used), so a run killed at any point
leaves on disk a pair Netatmo issued: the old one if it died before the save, the new one
after. One window cannot be closed by a client: a kill after Netatmo rotated and before the
save finished (the few milliseconds of one fsync'ed write) leaves the old, rotated-away pair,
and the next run gets ``invalid_grant`` (exit 4, run ``linkyflux auth``) unless the server
keeps the old refresh token valid until the new pair is used. ``on_refreshed`` lets a test
act right there ("answered": before the save; "saved": after it, before any use).

A pasted pair (developer site, "Generate Token") has no known expiry: it is saved as expiring
at the moment it was pasted, so the first use refreshes it at once, which checks it, learns
its expiry and rotates it away from the page that showed it.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from datetime import datetime
from typing import Literal
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from linkyflux.errors import AuthError, ConfigError, DataError, RateLimited, UpstreamError
from linkyflux.sources.auth import lifetime
from linkyflux.sources.netatmo.tokens import (
    AUTH_COMMAND,
    SCOPE,
    NetatmoTokens,
    NetatmoTokenStore,
)
from linkyflux.text import excerpt, quoted
from linkyflux.timeutil import Clock
from linkyflux.urls import public_url

TOKEN_PATH = "oauth2/token"
AUTHORIZE_PATH = "oauth2/authorize"
CODE = re.compile(r"[A-Za-z0-9]{32}")  # a bare code, as the redirect brings it
CODE_IN_URL = re.compile(r"[A-Za-z0-9._~|-]{8,512}")  # what a redirect's code= may hold
TOKEN = re.compile(r"[!-~]{8,2048}")  # printable, no spaces: "5f1c…|9a0d…"
RATE_CODES = (11, 26)  # concurrency limit, usage reached (HTTP 429 / 403)
EXPIRED = f"the Netatmo consent expired or was revoked: run `{AUTH_COMMAND}`"
CLIENT_KEYS = (
    "check netatmo.client_id and netatmo.client_secret (LINKYFLUX_NETATMO__CLIENT_ID, "
    "LINKYFLUX_NETATMO__CLIENT_SECRET): the app's values on dev.netatmo.com"
)
RATE_LIMITED = "stop this run, keep what is written; retry later"

RefreshStage = Literal["answered", "saved"]
RefreshHook = Callable[[RefreshStage], None]


class BadPaste(ConfigError):
    """What was pasted is not the redirected address, a code or a token (exit 3)."""


def base_of(http: httpx.Client) -> str:
    """Netatmo's base URL as it may be printed (no user and password)."""
    return public_url(str(http.base_url).rstrip("/"))


def error_of(response: httpx.Response) -> tuple[int | str | None, str]:
    """Netatmo's error: ``{"error": {"code": N, "message": …}}`` from the API, ``{"error":
    "invalid_grant"}`` from the token endpoint; (None, "") when there is none."""
    try:
        body = response.json()
    except ValueError:
        return None, ""
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict):
        code, message = error.get("code"), error.get("message")
        code = code if isinstance(code, int) and not isinstance(code, bool) else None
        return code, excerpt(message) if isinstance(message, str) else ""
    if isinstance(error, str):
        described = body.get("error_description")
        return excerpt(error), excerpt(described) if isinstance(described, str) else ""
    return None, ""


def rate_limited(response: httpx.Response, code: int | str | None) -> RateLimited | None:
    if response.status_code != 429 and code not in RATE_CODES:
        return None
    after = response.headers.get("Retry-After", "")
    retry_after = float(after) if after.isdigit() else None
    shown = f"error {code}" if code is not None else f"HTTP {response.status_code}"
    return RateLimited(f"Netatmo's rate limit was reached ({shown}): {RATE_LIMITED}", retry_after)


# ------------------------------------------------------------------ the user's part


def new_state() -> str:
    """A fresh ``state`` for one authorize link (ties the pasted redirect to it)."""
    return secrets.token_urlsafe(16)


def authorize_url(base_url: str, client_id: str, redirect_uri: str, state: str) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "redirect_uri": redirect_uri,
            "scope": SCOPE,
            "state": state,
            "response_type": "code",
        }
    )
    return f"{base_url.rstrip('/')}/{AUTHORIZE_PATH}?{query}"


def code_from(pasted: str, state: str) -> str:
    """The code in what the user pasted: the whole address Netatmo redirected to (its
    ``state`` must be this link's) or the bare code; BadPaste saying what is wrong otherwise.
    A refusal on Netatmo's page (``error=access_denied``) is an AuthError."""
    text = pasted.strip().strip("\"'<>")
    if CODE.fullmatch(text):
        return text
    if not ("://" in text or "code=" in text or "state=" in text or "error=" in text):
        raise BadPaste(
            f"the pasted text {quoted(text)} is neither the address Netatmo redirected to "
            "(with state= and code=) nor its code (32 letters and digits): paste the whole "
            "address your browser shows after you accepted"
        )
    query = urlsplit(text).query if "?" in text else text
    params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
    if "error" in params:
        raise AuthError(
            f"Netatmo's page gave no consent ({excerpt(params['error'])}): run "
            f"`{AUTH_COMMAND}` again and accept"
        )
    if "state" not in params:
        raise BadPaste(
            "the pasted address has no state=: paste the whole address your browser shows "
            "after you accepted on Netatmo's page"
        )
    if params["state"] != state:
        raise BadPaste(
            "the pasted address is from another authorize link (its state= is not this "
            "one's): open the link just printed, accept, and paste the address it leads to"
        )
    code = params.get("code", "")
    if not code:
        raise BadPaste(
            "the pasted address has no code=: paste the whole address your browser shows "
            "after you accepted on Netatmo's page"
        )
    if not CODE_IN_URL.fullmatch(code):
        raise BadPaste(f"the pasted address's code= is {quoted(code)}, not a Netatmo code")
    return code


def from_pair(access: str, refresh: str, now: datetime) -> NetatmoTokens:
    """A pair pasted from the developer site. Its expiry is unknown: it is taken as expiring
    ``now``, so its first use refreshes it (which checks it and rotates it)."""
    for name, value in (("access token", access.strip()), ("refresh token", refresh.strip())):
        if not TOKEN.fullmatch(value):
            raise BadPaste(
                f"the pasted {name} is not a Netatmo token (printable characters without "
                "spaces, like 5f1c…|9a0d…): copy it again from your app on dev.netatmo.com"
            )
    return NetatmoTokens(access.strip(), refresh.strip(), now, ())


# ------------------------------------------------------------------ the token endpoint


def exchange_code(
    http: httpx.Client,
    client_id: str,
    client_secret: str,
    code: str,
    redirect_uri: str,
    clock: Clock,
) -> NetatmoTokens:
    """The pair for a code just pasted (``redirect_uri`` as in the authorize link)."""
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": client_secret,
        "code": code,
        "redirect_uri": redirect_uri,
        "scope": SCOPE,
    }
    invalid_grant = AuthError(
        "Netatmo refused the code (invalid_grant: it expired, was used already, or "
        f"netatmo.redirect_uri differs from the link's): run `{AUTH_COMMAND}` again"
    )
    tokens = _token_answer(http, form, "the code", invalid_grant, clock, None)
    if tokens.scope and SCOPE not in tokens.scope:
        raise AuthError(
            f"Netatmo granted {excerpt(' '.join(tokens.scope))}, without {SCOPE}: run "
            f"`{AUTH_COMMAND}` again and keep {SCOPE} ticked"
        )
    return tokens


def refresh(
    http: httpx.Client, client_id: str, client_secret: str, refresh_token: str, clock: Clock
) -> NetatmoTokens:
    """One refresh (no scope: Netatmo keeps the granted one). Netatmo invalidates
    ``refresh_token`` as it answers: save the result at once (see :class:`TokenKeeper`)."""
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh_token,
        "client_id": client_id,
        "client_secret": client_secret,
    }
    return _token_answer(http, form, "the refresh", AuthError(EXPIRED), clock, refresh_token)


def _token_answer(
    http: httpx.Client,
    form: dict[str, str],
    what: str,
    invalid_grant: AuthError,
    clock: Clock,
    old_refresh: str | None,
) -> NetatmoTokens:
    try:
        response = http.post(TOKEN_PATH, data=form)
    except httpx.TransportError as exc:
        raise UpstreamError(
            f"cannot reach Netatmo at {base_of(http)} for {what} ({type(exc).__name__}): "
            "retry later"
        ) from None
    error, description = error_of(response)
    limited = rate_limited(response, error)
    if limited:
        raise limited
    if response.status_code >= 500:
        raise UpstreamError(
            f"Netatmo's token endpoint {base_of(http)}/{TOKEN_PATH} failed "
            f"(HTTP {response.status_code}): retry later"
        )
    if error == "invalid_client":
        raise ConfigError(f"Netatmo refused the application (invalid_client): {CLIENT_KEYS}")
    if error == "invalid_grant":
        raise invalid_grant
    if response.status_code != 200 or error is not None:
        shown = f"{error}: {description}" if description else str(error)
        raise AuthError(
            f"Netatmo refused {what} (HTTP {response.status_code}, {shown}): run `{AUTH_COMMAND}`"
        )
    return _tokens(response, what, clock, old_refresh)


def _tokens(
    response: httpx.Response, what: str, clock: Clock, old_refresh: str | None
) -> NetatmoTokens:
    place = f"Netatmo's answer to {what}"
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise DataError(f"{place} is not a JSON object")
    access, rotated = body.get("access_token"), body.get("refresh_token")
    if not (isinstance(access, str) and TOKEN.fullmatch(access)):
        raise DataError(f"{place} has no access_token (or not a token)")
    if rotated is None and old_refresh is not None:
        rotated = old_refresh  # RFC 6749 §6: no new refresh token, the old one still holds
    if not (isinstance(rotated, str) and TOKEN.fullmatch(rotated)):
        raise DataError(f"{place} has no refresh_token (or not a token)")
    expires_in = body.get("expires_in", body.get("expire_in"))
    if expires_in is None:
        raise DataError(f"{place} has no expires_in")
    expires_at = clock.now() + lifetime(expires_in, place)
    scope = body.get("scope")
    if isinstance(scope, str):
        scope = scope.replace(",", " ").split()
    if not (isinstance(scope, list | None) and all(isinstance(s, str) for s in scope or ())):
        raise DataError(f"{place} has a scope that is not a list of names")
    return NetatmoTokens(access, rotated, expires_at, tuple(scope or ()))


# ------------------------------------------------------------------ keeping them fresh


class TokenKeeper:
    """The current access token, refreshed when less than 5 minutes are left (or when the
    API rejects it: :meth:`renew`), each new pair saved before it is used."""

    def __init__(
        self,
        http: httpx.Client,
        store: NetatmoTokenStore,
        clock: Clock,
        client_id: str,
        client_secret: str,
        on_refreshed: RefreshHook | None = None,
    ) -> None:
        self.http = http
        self.store = store
        self.clock = clock
        self.client_id = client_id
        self.client_secret = client_secret
        self.on_refreshed = on_refreshed
        self._tokens: NetatmoTokens | None = None

    def _load(self) -> NetatmoTokens:
        tokens = self.store.load()
        if tokens is None:
            raise AuthError(
                f"no Netatmo consent yet ({self.store.path} is missing): run `{AUTH_COMMAND}`"
            )
        return tokens

    def access_token(self) -> str:
        if self._tokens is None:
            self._tokens = self._load()
        if self._tokens.expiring(self.clock.now()):
            return self.renew().access_token
        return self._tokens.access_token

    def renew(self) -> NetatmoTokens:
        """Refresh now; the new pair is on disk before this returns."""
        current = self._tokens or self._load()
        on_disk = self._load()
        if on_disk.refresh_token != current.refresh_token:
            # another run (or `auth`) replaced the pair since we read it: ours is dead
            current = self._tokens = on_disk
            if not on_disk.expiring(self.clock.now()):
                return on_disk
        tokens = refresh(
            self.http, self.client_id, self.client_secret, current.refresh_token, self.clock
        )
        if self.on_refreshed:
            self.on_refreshed("answered")
        self._save(tokens, rotated=tokens.refresh_token != current.refresh_token)
        self._tokens = tokens
        if self.on_refreshed:
            self.on_refreshed("saved")
        return tokens

    def _save(self, tokens: NetatmoTokens, rotated: bool) -> None:
        try:
            self.store.save(tokens)
        except Exception as exc:  # a StateError (a full disk…) or anything else
            if not rotated:
                raise
            raise AuthError(
                f"{exc}; Netatmo has already replaced the refresh token that file holds, "
                f"so once that is fixed run `{AUTH_COMMAND}`"
            ) from None
