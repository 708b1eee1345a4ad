"""`linkyflux auth`: the device flow against the simulated proxy, and token refresh."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import httpx
import pytest

from linkyflux.errors import AuthError
from linkyflux.sources.auth import DeviceCode, DeviceFlow
from linkyflux.timeutil import FakeClock

from simenv import World, paris, world


@pytest.fixture
def w(tmp_path: Path) -> World:
    with world(tmp_path) as w:
        w.config()
        yield w


def test_auth_prints_link_and_code_then_stores_tokens_0600(w: World) -> None:
    result = w.run("auth")
    assert result.exit_code == 0, result.output
    code = w.browser_calls[0]
    lines = result.output.splitlines()
    assert lines[0] == f"Open {w.url}/device?code={code}"
    assert lines[1] == f"and confirm the code {code} within 5 minutes."
    assert lines[3] == (
        "Consent granted for 8 usage point(s): 22516914714270, 50000000000010, 50000000000060, "
        "24880057139941, 12655648759651, 42900589957123, 11453290002823, 32320647321714"
    )
    token_file = w.state_dir / "tokens.json"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    saved = json.loads(token_file.read_text())
    assert saved["usage_points"][0] == "22516914714270"
    assert saved["access_token"] not in result.output
    assert saved["refresh_token"] not in result.output
    # 12 600 s from the moment the consent was picked up, one poll interval (5 s) after start.
    assert saved["expires_at"] == "2026-11-22T11:30:05+00:00"


def test_only_the_ticked_usage_points_are_consented(w: World) -> None:
    w.consent = ("24880057139941",)
    result = w.run("auth")
    assert "Consent granted for 1 usage point(s): 24880057139941" in result.output


def test_refused_consent(w: World) -> None:
    w.accept = False
    result = w.run("auth")
    # The proxy only shows the refusal in the browser; the code then expires (invalid_grant).
    assert result.exit_code == 4
    code = w.browser_calls[0]
    assert result.output.splitlines()[-1] == (
        f"linkyflux: the code {code} expired before consent was given: run `linkyflux auth` again"
    )
    assert not (w.state_dir / "tokens.json").exists()
    # It polled every 5 s until the proxy forgot the code (300 s); the pacer adds a second
    # (and the millisecond past the window's end) now and then to stay within 12 requests in
    # any minute.
    polls = [p for _, p, _ in w.simulator.requests if p == "/device/token"]
    assert len(polls) == 59
    assert set(w.clock.slept) == {5, 1.001}


def test_access_denied_from_a_proxy_that_reports_it() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, json={"error": "access_denied"})

    clock = FakeClock(paris(2026, 11, 22, 9))
    flow = DeviceFlow(
        httpx.Client(base_url="http://proxy", transport=httpx.MockTransport(handler)), "id", clock
    )
    code = DeviceCode(
        "dc", "ABCD-EFGH", "http://proxy/device?code=ABCD-EFGH", paris(2026, 11, 22, 10), 5
    )
    with pytest.raises(
        AuthError, match=r"^consent was refused on the Enedis page: run `linkyflux auth` again$"
    ):
        flow.wait(code)


def test_slow_down_adds_five_seconds_to_the_interval() -> None:
    answers = iter(
        ["authorization_pending", "slow_down", "authorization_pending", "slow_down", "ok"]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "ok":
            return httpx.Response(
                200,
                json={
                    "access_token": "a" * 64,
                    "refresh_token": "r" * 64,
                    "token_type": "Bearer",
                    "expires_in": 12600,
                    "usage_points_id": "12345678901234;22516914714270",
                },
            )
        return httpx.Response(400, json={"error": answer})

    clock = FakeClock(paris(2026, 11, 22, 9))
    flow = DeviceFlow(
        httpx.Client(base_url="http://proxy", transport=httpx.MockTransport(handler)), "id", clock
    )
    code = DeviceCode("dc", "ABCD-EFGH", "x", paris(2026, 11, 22, 10), 5)
    tokens = flow.wait(code)
    assert clock.slept == [5, 5, 10, 10, 15]
    assert tokens.usage_points == ("12345678901234", "22516914714270")
    assert "a" * 64 not in repr(tokens)


def test_polling_faster_than_the_proxy_allows_gets_slow_down(w: World) -> None:
    """The simulator enforces 12 polls a minute per device code, as the real proxy does."""
    client = httpx.Client(base_url=w.url)
    flow = DeviceFlow(client, "linkyflux-tests", w.clock)
    code = flow.start()
    errors = []
    for _ in range(13):
        data = {
            "client_id": "linkyflux-tests",
            "grant_type": "urn:ietf:params:oauth:grant-type:device_code",
            "device_code": code.device_code,
        }
        errors.append(client.post("/device/token", data=data).json()["error"])
        w.clock.advance(1)
    assert errors == ["authorization_pending"] * 12 + ["slow_down"]


def test_wrong_client_id_is_refused(w: World) -> None:
    w.config(consent={"client_id": "someone-else"})
    result = w.run("auth")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy refused the device code: invalid_request Bad client_id"
    )


def test_unreachable_proxy(w: World, tmp_path: Path) -> None:
    w.config(consent={"url": "http://127.0.0.1:9"})
    result = w.run("auth")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        "linkyflux: cannot reach the consent proxy at http://127.0.0.1:9 "
        "for a device code (ConnectError)"
    )


def test_expired_access_token_is_refreshed_before_use(w: World) -> None:
    assert w.run("auth").exit_code == 0
    before = json.loads((w.state_dir / "tokens.json").read_text())
    w.clock.advance(4 * 3600)  # past the 3 h 30 access token
    result = w.run("fetch", "-d", "1", "-q")
    assert result.exit_code == 0, result.output
    after = json.loads((w.state_dir / "tokens.json").read_text())
    assert after["access_token"] != before["access_token"]
    assert after["refresh_token"] == before["refresh_token"]
    assert stat.S_IMODE((w.state_dir / "tokens.json").stat().st_mode) == 0o600
    token_calls = [q for m, p, q in w.simulator.requests if p == "/device/token"]
    assert len(token_calls) == 2  # the device-code pickup, then one refresh


def test_rejected_access_token_is_refreshed_once(w: World) -> None:
    assert w.run("auth").exit_code == 0
    w.simulator.expire_access_tokens()  # the proxy forgot it: 403 Access token not found
    result = w.run("fetch", "-d", "1", "-q")
    assert result.exit_code == 0, result.output
    assert sum(1 for _, p, _ in w.simulator.requests if p == "/device/token") == 2


def test_failed_refresh_says_run_auth(w: World) -> None:
    assert w.run("auth").exit_code == 0
    w.simulator.expire_access_tokens()
    w.simulator.revoke_refresh_tokens()
    result = w.run("fetch", "-d", "1", "-q")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy refused to refresh the access token "
        "(invalid_request: refresh_token not found in database): run `linkyflux auth`"
    )
    tokens = json.loads((w.state_dir / "tokens.json").read_text())
    assert tokens["refresh_token"] not in result.output


def test_fetch_without_consent(w: World) -> None:
    result = w.run("fetch")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == (
        f"linkyflux: no consent yet ({w.state_dir}/tokens.json is missing): run `linkyflux auth`"
    )
