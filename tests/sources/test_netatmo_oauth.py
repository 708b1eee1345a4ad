"""Netatmo consent: the authorize link, what the user pastes back, the code exchange, a pasted
pair, the token file, and the refresh whose rotated pair is on disk before it is used."""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkyflux.errors import AuthError, ConfigError, DataError, StateError, UpstreamError
from linkyflux.sources.netatmo import oauth
from linkyflux.sources.netatmo.oauth import (
    BadPaste,
    TokenKeeper,
    authorize_url,
    code_from,
    exchange_code,
    from_pair,
)
from linkyflux.sources.netatmo.tokens import NetatmoTokens, NetatmoTokenStore
from linkyflux.timeutil import FakeClock

BASE = "http://netatmo.test/netatmo"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
CODE = "0123456789abcdef0123456789ABCDEF"
ACCESS = "5f0000000000000000000001|access0000000000000000000000000"
REFRESH = "5f0000000000000000000001|refresh000000000000000000000000"
SECRETS = ("access000", "refresh000", "netatmo-secret")


def token_server(
    answer: Callable[[dict[str, str]], httpx.Response], seen: list[dict[str, str]] | None = None
) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        assert request.url.path == "/netatmo/oauth2/token"
        form = dict(httpx.QueryParams(request.content.decode()))
        if seen is not None:
            seen.append(form)
        return answer(form)

    return httpx.Client(base_url=BASE, transport=httpx.MockTransport(handler))


def pair(n: int, expires_in: Any = 10800, **extra: Any) -> httpx.Response:
    body = {
        "access_token": f"{ACCESS}{n}",
        "refresh_token": f"{REFRESH}{n}",
        "expires_in": expires_in,
        "expire_in": expires_in,
        "scope": ["read_magellan"],
        **extra,
    }
    return httpx.Response(200, json=body)


def assert_no_secret(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text


# ------------------------------------------------------------------ the link and the paste


def test_the_authorize_link() -> None:
    assert authorize_url(BASE + "/", "linkyflux-netatmo", "http://localhost/", "s1") == (
        "http://netatmo.test/netatmo/oauth2/authorize?client_id=linkyflux-netatmo"
        "&redirect_uri=http%3A%2F%2Flocalhost%2F&scope=read_magellan&state=s1"
        "&response_type=code"
    )


@pytest.mark.parametrize(
    "pasted",
    [
        CODE,
        f"  {CODE}\n",
        f"http://localhost/?state=s1&code={CODE}",
        f"'http://localhost/?code={CODE}&state=s1'",
        f"state=s1&code={CODE}",
    ],
)
def test_the_code_from_a_paste(pasted: str) -> None:
    assert code_from(pasted, "s1") == CODE


@pytest.mark.parametrize(
    ("pasted", "line"),
    [
        (
            f"http://localhost/?state=s2&code={CODE}",
            "the pasted address is from another authorize link (its state= is not this one's): "
            "open the link just printed, accept, and paste the address it leads to",
        ),
        (
            f"http://localhost/?code={CODE}",
            "the pasted address has no state=: paste the whole address your browser shows after "
            "you accepted on Netatmo's page",
        ),
        (
            "http://localhost/?state=s1",
            "the pasted address has no code=: paste the whole address your browser shows after "
            "you accepted on Netatmo's page",
        ),
        (
            "http://localhost/?state=s1&code=ab%20cd",
            "the pasted address's code= is 'ab cd', not a Netatmo code",
        ),
        (
            "yes I clicked on accept and then there was a page that did not load at all",
            "the pasted text 'yes I clicked on accept and then there w…' is neither the "
            "address Netatmo redirected to (with state= and code=) nor its code (32 letters "
            "and digits): paste the whole address your browser shows after you accepted",
        ),
        (
            CODE[:31],
            f"the pasted text {CODE[:31]!r} is neither the address Netatmo redirected to (with "
            "state= and code=) nor its code (32 letters and digits): paste the whole address "
            "your browser shows after you accepted",
        ),
    ],
    ids=["wrong-state", "no-state", "no-code", "junk-code", "junk-text", "short-code"],
)
def test_a_wrong_paste_is_one_line_saying_what_is_wrong(pasted: str, line: str) -> None:
    with pytest.raises(BadPaste) as caught:
        code_from(pasted, "s1")
    assert str(caught.value) == line
    assert caught.value.exit_code == 3


def test_a_refusal_on_netatmo_s_page() -> None:
    with pytest.raises(AuthError, match=r"^Netatmo's page gave no consent \(access_denied\): "):
        code_from("http://localhost/?state=s1&error=access_denied", "s1")


def test_a_pasted_pair_is_refreshed_at_its_first_use() -> None:
    tokens = from_pair(f" {ACCESS} ", REFRESH, NOW)
    assert (tokens.access_token, tokens.refresh_token) == (ACCESS, REFRESH)
    assert tokens.expires_at == NOW and tokens.expiring(NOW)


def test_a_pasted_pair_that_is_not_tokens_is_never_quoted() -> None:
    with pytest.raises(BadPaste) as caught:
        from_pair(ACCESS, "refresh token with spaces", NOW)
    assert str(caught.value).startswith("the pasted refresh token is not a Netatmo token")
    assert_no_secret(str(caught.value))


# ------------------------------------------------------------------ the token endpoint


def test_the_code_exchange() -> None:
    seen: list[dict[str, str]] = []
    http = token_server(lambda form: pair(1), seen)
    tokens = exchange_code(
        http, "linkyflux-netatmo", "netatmo-secret", CODE, "http://localhost/", FakeClock(NOW)
    )
    assert seen == [
        {
            "grant_type": "authorization_code",
            "client_id": "linkyflux-netatmo",
            "client_secret": "netatmo-secret",
            "code": CODE,
            "redirect_uri": "http://localhost/",
            "scope": "read_magellan",
        }
    ]
    assert tokens == NetatmoTokens(
        f"{ACCESS}1", f"{REFRESH}1", NOW + timedelta(hours=3), ("read_magellan",)
    )
    assert_no_secret(repr(tokens))


@pytest.mark.parametrize(
    ("answer", "error", "line"),
    [
        (
            httpx.Response(400, json={"error": "invalid_client"}),
            ConfigError,
            "Netatmo refused the application (invalid_client): check netatmo.client_id and "
            "netatmo.client_secret (LINKYFLUX_NETATMO__CLIENT_ID, "
            "LINKYFLUX_NETATMO__CLIENT_SECRET): the app's values on dev.netatmo.com",
        ),
        (
            httpx.Response(400, json={"error": "invalid_grant"}),
            AuthError,
            "Netatmo refused the code (invalid_grant: it expired, was used already, or "
            "netatmo.redirect_uri differs from the link's): run `linkyflux auth --netatmo` again",
        ),
        (
            pair(1, scope=["read_station"]),
            AuthError,
            "Netatmo granted read_station, without read_magellan: run "
            "`linkyflux auth --netatmo` again "
            "and keep read_magellan ticked",
        ),
        (
            httpx.Response(502, text="bad gateway"),
            UpstreamError,
            "Netatmo's token endpoint http://netatmo.test/netatmo/oauth2/token failed "
            "(HTTP 502): retry later",
        ),
        (
            pair(1, expires_in="soon"),
            DataError,
            "Netatmo's answer to the code gives expires_in 'soon', not a number of seconds "
            "from 1 to ten years",
        ),
        (
            httpx.Response(200, json={"refresh_token": REFRESH, "expires_in": 10800}),
            DataError,
            "Netatmo's answer to the code has no access_token (or not a token)",
        ),
    ],
    ids=["invalid_client", "invalid_grant", "no-read_magellan", "502", "expires_in", "no-access"],
)
def test_the_code_exchange_refused(answer: httpx.Response, error: type, line: str) -> None:
    http = token_server(lambda form: answer)
    with pytest.raises(error) as caught:
        exchange_code(http, "linkyflux-netatmo", "netatmo-secret", CODE, "x", FakeClock(NOW))
    assert str(caught.value) == line


def test_no_connection_names_the_public_url_only() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused")

    http = httpx.Client(
        base_url="http://user:pw@netatmo.test/netatmo", transport=httpx.MockTransport(handler)
    )
    with pytest.raises(UpstreamError) as caught:
        oauth.refresh(http, "id", "netatmo-secret", REFRESH, FakeClock(NOW))
    assert str(caught.value) == (
        "cannot reach Netatmo at http://netatmo.test/netatmo for the refresh (ConnectError): "
        "retry later"
    )


# ------------------------------------------------------------------ the token file


def test_the_token_file_is_private_and_versioned(tmp_path: Path) -> None:
    store = NetatmoTokenStore(tmp_path)
    assert store.load() is None
    tokens = NetatmoTokens(ACCESS, REFRESH, NOW, ("read_magellan",))
    store.save(tokens)
    path = tmp_path / "netatmo_tokens.json"
    assert store.path == path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert json.loads(path.read_text()) == {
        "version": 1,
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "expires_at": "2026-11-22T08:00:00+00:00",
        "scope": ["read_magellan"],
    }
    assert store.load() == tokens
    assert_no_secret(repr(tokens))


def test_a_readable_token_file_is_made_private_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = NetatmoTokenStore(tmp_path)
    store.save(NetatmoTokens(ACCESS, REFRESH, NOW))
    os.chmod(store.path, 0o644)
    store.load()
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert "was readable by other users (mode 0644): it is 0600 now" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("document", "line"),
    [
        (
            {"version": 1, "access_token": ACCESS, "refresh_token": 5, "expires_at": "x"},
            "netatmo_tokens.json: refresh_token is a number, not a string: run "
            "`linkyflux auth --netatmo` to write it again",
        ),
        (
            {"version": 1, "access_token": ACCESS, "refresh_token": REFRESH},
            "netatmo_tokens.json: expires_at is missing: run "
            "`linkyflux auth --netatmo` to write it again",
        ),
        (
            {"access_token": "", "refresh_token": REFRESH, "expires_at": NOW.isoformat()},
            "netatmo_tokens.json: access_token is a string, empty: run "
            "`linkyflux auth --netatmo` to "
            "write it again",
        ),
        (
            {"version": 2},
            "netatmo_tokens.json was written by a newer linkyflux (version 2): upgrade "
            "linkyflux, or move the file away",
        ),
    ],
    ids=["not-a-string", "missing", "empty", "newer"],
)
def test_a_damaged_token_file_is_named_never_quoted(
    tmp_path: Path, document: dict[str, Any], line: str
) -> None:
    store = NetatmoTokenStore(tmp_path)
    store.path.write_text(json.dumps(document))
    with pytest.raises(StateError) as caught:
        store.load()
    assert str(caught.value) == f"{tmp_path}/{line}"
    assert_no_secret(str(caught.value))


# ------------------------------------------------------------------ refresh with rotation


class Rotating:
    """A token endpoint that rotates the pair on every refresh and forgets the old one."""

    def __init__(self) -> None:
        self.n = 0
        self.live = REFRESH

    def __call__(self, form: dict[str, str]) -> httpx.Response:
        assert form["grant_type"] == "refresh_token" and "scope" not in form
        if (form["client_id"], form["client_secret"]) != ("linkyflux-netatmo", "netatmo-secret"):
            return httpx.Response(400, json={"error": "invalid_client"})
        if form["refresh_token"] != self.live:
            return httpx.Response(400, json={"error": "invalid_grant"})
        self.n += 1
        self.live = f"{REFRESH}{self.n}"
        return pair(self.n)


def keeper(tmp_path: Path, clock: FakeClock, **kw: Any) -> TokenKeeper:
    http = token_server(Rotating())
    store = NetatmoTokenStore(tmp_path)
    return TokenKeeper(http, store, clock, "linkyflux-netatmo", "netatmo-secret", **kw)


def test_a_pasted_pair_is_refreshed_and_saved_before_it_is_used(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    store = NetatmoTokenStore(tmp_path)
    store.save(from_pair(ACCESS, REFRESH, clock.now()))
    stages: list[tuple[str, str | None]] = []

    def hook(stage: str) -> None:
        on_disk = store.load()
        stages.append((stage, on_disk.refresh_token if on_disk else None))

    tokens = keeper(tmp_path, clock, on_refreshed=hook)
    assert tokens.access_token() == f"{ACCESS}1"
    # right after the answer the old pair is on disk; the new one before any use
    assert stages == [("answered", REFRESH), ("saved", f"{REFRESH}1")]
    assert store.load() == NetatmoTokens(
        f"{ACCESS}1", f"{REFRESH}1", NOW + timedelta(hours=3), ("read_magellan",)
    )
    clock.advance(3 * 3600 - 301)
    assert tokens.access_token() == f"{ACCESS}1"  # more than 5 minutes left
    clock.advance(2)
    assert tokens.access_token() == f"{ACCESS}2"  # less: refreshed
    assert stages[-1] == ("saved", f"{REFRESH}2")


def test_a_pair_another_run_rotated_is_taken_from_disk(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    store = NetatmoTokenStore(tmp_path)
    store.save(NetatmoTokens(ACCESS, REFRESH, NOW + timedelta(hours=3)))
    ours = keeper(tmp_path, clock)
    assert ours.access_token() == ACCESS
    other = keeper(tmp_path, clock)
    other.http = ours.http
    fresh = other.renew()
    assert ours.renew() == fresh  # not a second refresh with a dead token


def test_a_rejected_refresh_token_is_exit_4_with_the_command(tmp_path: Path) -> None:
    clock = FakeClock(NOW)
    NetatmoTokenStore(tmp_path).save(NetatmoTokens(ACCESS, "revoked-refresh-token", NOW))
    with pytest.raises(AuthError) as caught:
        keeper(tmp_path, clock).access_token()
    assert str(caught.value) == (
        "the Netatmo consent expired or was revoked: run `linkyflux auth --netatmo`"
    )
    assert caught.value.exit_code == 4


def test_no_consent_yet(tmp_path: Path) -> None:
    with pytest.raises(AuthError) as caught:
        keeper(tmp_path, FakeClock(NOW)).access_token()
    assert str(caught.value) == (
        f"no Netatmo consent yet ({tmp_path}/netatmo_tokens.json is missing): run "
        "`linkyflux auth --netatmo`"
    )


def test_a_rotated_pair_that_cannot_be_saved_mocked_enospc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """(As root, a full disk is simulated: os.replace raises ENOSPC.)"""
    clock = FakeClock(NOW)
    store = NetatmoTokenStore(tmp_path)
    store.save(from_pair(ACCESS, REFRESH, clock.now()))

    def full(src: Any, dst: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "replace", full)
    with pytest.raises(AuthError) as caught:
        keeper(tmp_path, clock).access_token()
    assert str(caught.value) == (
        f"no space left on device writing {store.path}: free some space; nothing was lost "
        "(the previous file is intact); Netatmo has already replaced the refresh token that "
        "file holds, so once that is fixed run `linkyflux auth --netatmo`"
    )
    monkeypatch.undo()
    assert store.load() == from_pair(ACCESS, REFRESH, NOW)  # the old pair, intact
