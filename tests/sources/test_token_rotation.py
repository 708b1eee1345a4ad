"""Refresh-token rotation (RFC 6749 §6): a refresh answer may carry a new refresh token, which
replaces the old one at once (the old one is dead). linkyflux saves the new pair before it
uses the new access token, so neither many days of runs nor a run killed right after its
refresh lose the consent; no token ever shows in an output."""

from __future__ import annotations

import json
import signal
import stat
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from linkyflux.errors import AuthError
from linkyflux.sources.auth import ProxyAuth
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer
from linkyflux.timeutil import PARIS, FakeClock, paris_today

from simenv import CLIENT_ID, World, world

HOUSE = "22516914714270"
DAY = 24 * 3600


def saved(w: World) -> dict[str, object]:
    path = w.state_dir / "tokens.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    tokens: dict[str, object] = json.loads(path.read_text())
    return tokens


def live_refresh_tokens(w: World) -> set[str]:
    with w.simulator._lock:
        return set(w.simulator._refresh)


def issued_tokens(w: World) -> set[str]:
    """Every token the proxy holds now (access tokens are never forgotten unless expired by
    the test), and what tokens.json holds."""
    with w.simulator._lock:
        tokens = set(w.simulator._access) | set(w.simulator._refresh)
    current = saved(w)
    return tokens | {str(current["access_token"]), str(current["refresh_token"])}


def token_calls(w: World) -> int:
    """Requests to /device/token so far (the device-code polls of `auth`, then refreshes)."""
    return sum(1 for (_, path, _) in w.simulator.requests if path == "/device/token")


def refresh(http: httpx.Client, refresh_token: str) -> httpx.Response:
    return http.post(
        "/device/token",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "usage_points_id": HOUSE,
            "refresh_token": refresh_token,
        },
    )


def written_days(w: World) -> set[date]:
    """The days of the daily consumption written to the output file."""
    days = set()
    for line in w.output_lines():
        if line.startswith("linky_daily,direction=consumption,"):
            stamp = int(line.rsplit(" ", 1)[1])
            days.add(datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date())
    return days


def test_the_simulator_rotates_refresh_tokens_when_asked(tmp_path: Path) -> None:
    with world(tmp_path, rotate_refresh_tokens=True) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        first = str(saved(w)["refresh_token"])
        http = httpx.Client(base_url=w.url)
        answer = refresh(http, first)
        assert answer.status_code == 200
        second = answer.json()["refresh_token"]
        assert second != first
        assert live_refresh_tokens(w) == {second}
        w.clock.advance(60)  # out of the proxy's per-minute window
        dead = refresh(http, first)
        assert dead.status_code == 400
        assert dead.json() == {
            "error": "invalid_request",
            "error_description": "refresh_token not found in database",
        }
        assert refresh(http, second).status_code == 200


def test_the_simulator_does_not_rotate_by_default(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        first = str(saved(w)["refresh_token"])
        answer = refresh(httpx.Client(base_url=w.url), first)
        assert answer.json()["refresh_token"] == first
        assert live_refresh_tokens(w) == {first}


def test_many_days_of_runs_keep_a_rotating_consent(tmp_path: Path) -> None:
    with world(tmp_path, rotate_refresh_tokens=True) as w:
        w.consent = (HOUSE,)
        w.config()
        auth = w.run("auth")
        assert auth.exit_code == 0, auth.output
        outputs = [auth.output]
        tokens = issued_tokens(w)
        first = str(saved(w)["refresh_token"])
        for n in range(1, 11):
            w.clock.advance(DAY)  # the 3 h 30 access token is long dead
            before = token_calls(w)
            result = w.run("fetch")
            assert result.exit_code == 0, result.output
            outputs.append(result.output)
            tokens |= issued_tokens(w)
            assert token_calls(w) == before + 1  # one refresh a run, each with a new token
            assert live_refresh_tokens(w) == {saved(w)["refresh_token"]}
            yesterday = paris_today(w.clock) - timedelta(days=1)
            assert yesterday in written_days(w), f"run {n}: {yesterday} not written"
        assert saved(w)["refresh_token"] != first
        assert len(written_days(w)) == 10
        assert len(tokens) >= 2 * 11  # 11 access tokens, and a refresh token per refresh
        for output in outputs:
            for token in tokens:
                assert token not in output
        # nor anywhere in the state directory but tokens.json
        for path in w.state_dir.rglob("*"):
            if path.is_file() and path.name != "tokens.json":
                text = path.read_bytes().decode("utf-8", "replace")
                assert not [t for t in tokens if t in text], path


def test_a_run_killed_right_after_its_refresh_keeps_the_consent(tmp_path: Path) -> None:
    with world(tmp_path, shared=True, rotate_refresh_tokens=True) as w:
        w.consent = (HOUSE,)
        w.config()
        auth = w.run("auth")
        assert auth.exit_code == 0, auth.output
        first = str(saved(w)["refresh_token"])
        tokens = issued_tokens(w)
        w.clock.advance(DAY)  # the next run refreshes first

        runs: list[subprocess.Popen[str]] = []
        before = token_calls(w)
        w.kill_on_data_call(1, lambda: runs[0])  # the first data call after the refresh
        runs.append(w.spawn("fetch"))
        killed, _ = runs[0].communicate(timeout=120)
        w.simulator.on_data_call = None
        assert runs[0].returncode == -signal.SIGKILL, killed
        assert token_calls(w) == before + 1
        tokens |= issued_tokens(w)
        # the old refresh token is dead; tokens.json holds the one the proxy gave instead
        assert live_refresh_tokens(w) == {saved(w)["refresh_token"]}
        assert saved(w)["refresh_token"] != first

        w.simulator.expire_access_tokens()  # so the next run must use the refresh token
        again = w.run("fetch")
        assert again.exit_code == 0, again.output
        assert token_calls(w) == before + 2
        tokens |= issued_tokens(w)
        assert live_refresh_tokens(w) == {saved(w)["refresh_token"]}
        yesterday = paris_today(w.clock) - timedelta(days=1)
        assert yesterday in written_days(w)
        for output in (auth.output, killed, again.output):
            for token in tokens:
                assert token not in output


class FlakyStore(TokenStore):
    """A token store, or one whose disk is full."""

    def __init__(self, state_dir: Path, broken: bool = False) -> None:
        super().__init__(state_dir)
        self.broken = broken

    def save(self, tokens: Tokens) -> None:
        if self.broken:
            raise OSError(28, "No space left on device")
        super().save(tokens)


def proxy_auth(store: TokenStore, seen: list[tuple[str, str]]) -> httpx.Client:
    """A client whose proxy rotates the refresh token ``r1`` into ``r2``; ``seen`` gets, for
    each data call, its Authorization and the refresh token tokens.json held then."""
    clock = FakeClock(datetime(2026, 11, 22, 9, tzinfo=PARIS))
    old = Tokens("a1", "r1", clock.now() - timedelta(hours=1), (HOUSE,), "http://proxy")

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/device/token":
            assert b"refresh_token=r1" in request.content
            body = {"access_token": "a2", "refresh_token": "r2", "expires_in": 12600}
            return httpx.Response(200, json=body)
        on_disk = json.loads(store.path.read_text())["refresh_token"] if store.path.exists() else ""
        seen.append((request.headers["Authorization"], on_disk))
        return httpx.Response(200, json={})

    auth = ProxyAuth(store, old, CLIENT_ID, clock, Pacer(clock, []))
    return httpx.Client(base_url="http://proxy", transport=httpx.MockTransport(handler), auth=auth)


def test_the_rotated_pair_is_saved_before_the_new_access_token_is_used(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path)
    seen: list[tuple[str, str]] = []
    with proxy_auth(store, seen) as http:
        assert http.get("/data/proxy/x").status_code == 200
    assert seen == [("Bearer a2", "r2")]
    assert saved_pair(store) == ("a2", "r2")
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


def test_a_rotated_pair_that_cannot_be_saved_is_not_used(tmp_path: Path) -> None:
    store = FlakyStore(tmp_path, broken=True)
    seen: list[tuple[str, str]] = []
    with proxy_auth(store, seen) as http, pytest.raises(AuthError) as raised:
        http.get("/data/proxy/x")
    assert str(raised.value) == (
        f"cannot save the renewed consent to {store.path} (No space left on device); "
        "the old refresh token is no longer valid: run `linkyflux auth`"
    )
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    assert seen == []  # the new access token was never sent


def saved_pair(store: TokenStore) -> tuple[str, str]:
    raw = json.loads(store.path.read_text())
    return raw["access_token"], raw["refresh_token"]
