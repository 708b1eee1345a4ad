"""Netatmo's energy API through httpx.MockTransport answering as docs/netatmo.md says:
homesdata → circuits, getmeasure → readings at the bucket starts (DST days included), the
error codes, the refresh on codes 2/3 with the rotated pair on disk before its first use, and
the pacing."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkyflux.errors import AuthError, DataError, RateLimited, UpstreamError
from linkyflux.models import Circuit
from linkyflux.sources.netatmo.api import ModuleNotFound, NetatmoClient, paced_http
from linkyflux.sources.netatmo.tokens import NetatmoTokens, NetatmoTokenStore
from linkyflux.sources.transport import BudgetExhausted
from linkyflux.timeutil import PARIS, FakeClock

BASE = "http://netatmo.test/netatmo"
NOW = datetime(2026, 11, 22, 8, 0, tzinfo=UTC)
HOME = "5f0000000000000000000001"
NLE = "70:ee:50:00:00:01"
NLPC = "70:ee:50:00:00:11"
NLG = "70:ee:50:00:00:10"
HOMESDATA = {
    "body": {
        "homes": [
            {
                "id": HOME,
                "name": "Maison",
                "timezone": "Europe/Paris",
                "modules": [
                    {"id": NLE, "type": "NLE", "name": "Écocompteur", "modules_bridged": []},
                    {"id": f"{NLE}#0", "type": "NLE", "name": "Chauffage", "bridge": NLE},
                    {"id": f"{NLE}#6", "type": "NLE", "name": "Gaz", "bridge": NLE},
                    {"id": f"{NLE}#8", "type": "NLE", "name": "Eau froide", "bridge": NLE},
                    {"id": "70:ee:50:00:00:99", "type": "NATherm1", "name": "Thermostat"},
                ],
            },
            {
                "id": "5f0000000000000000000002",
                "name": "Atelier",
                "modules": [
                    {"id": NLG, "type": "NLG", "name": "Passerelle", "modules_bridged": [NLPC]},
                    {"id": NLPC, "type": "NLPC", "name": "Compteur atelier", "bridge": NLG},
                ],
            },
        ]
    },
    "status": "ok",
}
CHAUFFAGE = Circuit(HOME, "Maison", NLE, f"{NLE}#0", "Chauffage", "electric", "NLE")
ATELIER = Circuit(
    "5f0000000000000000000002", "Atelier", NLG, NLPC, "Compteur atelier", "electric", "NLPC"
)


def error(status: int, code: int, message: str = "") -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


def lots_for(params: dict[str, str]) -> httpx.Response:
    """Every bucket of [date_begin, date_end) stamped at its middle; its value the bucket's
    half-hour number of the day (UTC) + 1."""
    begin, end = int(params["date_begin"]), int(params["date_end"])
    values = [[(t % 86400) // 1800 + 1] for t in range(begin, end, 1800)][:1024]
    lot = {"beg_time": begin + 900, "step_time": 1800, "value": values}
    return httpx.Response(200, json={"body": [lot], "status": "ok"})


class FakeNetatmo:
    """Netatmo's token endpoint (rotating the pair) and API; ``api`` answers the API calls
    whose token is good (it may be swapped per test); ``before_api`` runs first."""

    def __init__(self, store: NetatmoTokenStore) -> None:
        self.store = store
        self.n = 0
        self.access, self.refresh = "access-0|" + "a" * 24, "refresh-0|" + "r" * 24
        self.calls: list[tuple[str, dict[str, str]]] = []
        self.api: Callable[[str, dict[str, str]], httpx.Response] = self.default
        self.before_api: Callable[[], None] = lambda: None

    def default(self, path: str, params: dict[str, str]) -> httpx.Response:
        if path.endswith("homesdata"):
            return httpx.Response(200, json=HOMESDATA)
        return lots_for(params)

    def handler(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/netatmo/oauth2/token":
            form = dict(httpx.QueryParams(request.content.decode()))
            self.calls.append((path, {"grant_type": form["grant_type"]}))
            if form["refresh_token"] != self.refresh:
                return httpx.Response(400, json={"error": "invalid_grant"})
            self.n += 1
            self.access, self.refresh = (
                f"access-{self.n}|" + "a" * 24,
                f"refresh-{self.n}|" + "r" * 24,
            )
            answer = {"access_token": self.access, "refresh_token": self.refresh}
            return httpx.Response(
                200, json={**answer, "expires_in": 10800, "scope": ["read_magellan"]}
            )
        params = dict(request.url.params)
        self.calls.append((path, params))
        self.before_api()
        if request.headers["Authorization"] != f"Bearer {self.access}":
            return error(403, 3, "Access token expired")
        return self.api(path, params)

    def client(self, clock: FakeClock, base: str = BASE) -> NetatmoClient:
        http = httpx.Client(base_url=base, transport=httpx.MockTransport(self.handler))
        return NetatmoClient(http, self.store, clock, "linkyflux-netatmo", "netatmo-secret")

    def api_calls(self) -> list[dict[str, str]]:
        return [params for path, params in self.calls if path.startswith("/netatmo/api/")]

    def refreshes(self) -> int:
        return sum(1 for path, _ in self.calls if path.endswith("/oauth2/token"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def netatmo(tmp_path: Path, clock: FakeClock) -> FakeNetatmo:
    fake = FakeNetatmo(NetatmoTokenStore(tmp_path))
    fake.store.save(NetatmoTokens(fake.access, fake.refresh, NOW + timedelta(hours=3)))
    return fake


def paris_day(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, datetime.min.time(), PARIS)
    return start, datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS)


# ------------------------------------------------------------------ homesdata


def test_homesdata_gives_the_circuits(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    assert netatmo.client(clock).circuits() == [
        CHAUFFAGE,
        Circuit(HOME, "Maison", NLE, f"{NLE}#6", "Gaz", "gas", "NLE"),
        Circuit(HOME, "Maison", NLE, f"{NLE}#8", "Eau froide", "cold_water", "NLE"),
        ATELIER,
    ]  # the NLE itself, the thermostat and the gateway left out


# ------------------------------------------------------------------ getmeasure


@pytest.mark.parametrize(
    ("day", "buckets", "first_utc"),
    [
        (date(2026, 10, 25), 50, datetime(2026, 10, 24, 22, 0, tzinfo=UTC)),  # fall back
        (date(2026, 3, 29), 46, datetime(2026, 3, 28, 23, 0, tzinfo=UTC)),  # spring forward
        (date(2026, 11, 21), 48, datetime(2026, 11, 20, 23, 0, tzinfo=UTC)),
    ],
)
def test_a_paris_day_at_the_bucket_starts(
    netatmo: FakeNetatmo, clock: FakeClock, day: date, buckets: int, first_utc: datetime
) -> None:
    start, end = paris_day(day)
    readings = netatmo.client(clock).readings(CHAUFFAGE, start, end)
    assert len(readings) == buckets
    assert readings[0].timestamp == int(first_utc.timestamp())
    assert [b.timestamp - a.timestamp for a, b in itertools.pairwise(readings)] == [1800] * (
        buckets - 1
    )
    assert {(r.minutes, r.circuit) for r in readings} == {(30, CHAUFFAGE)}
    # the value of the bucket starting at 22:00 UTC is the 45th half hour's: mid-point undone
    assert readings[0].energy_wh == (first_utc.hour * 2 + 1)
    (call,) = netatmo.api_calls()
    assert call == {
        "device_id": NLE,
        "module_id": f"{NLE}#0",
        "scale": "30min",
        "type": "sum_energy_elec",
        "date_begin": str(int(start.timestamp())),
        "date_end": str(int(end.timestamp())),
        "limit": "1024",
        "optimize": "true",
    }


def test_several_lots_nulls_left_out_zeros_kept(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    t0 = int(datetime(2026, 11, 20, 23, 0, tzinfo=UTC).timestamp())
    body = [
        {"beg_time": t0 + 900, "step_time": 1800, "value": [[12], [None], [0], [7.0]]},
        {"beg_time": t0 + 3 * 3600 + 900, "step_time": 1800, "value": [[5], [6]]},
    ]
    netatmo.api = lambda path, params: httpx.Response(200, json={"body": body})
    readings = netatmo.client(clock).readings(ATELIER, *paris_day(date(2026, 11, 21)))
    assert [(r.timestamp - t0, r.energy_wh) for r in readings] == [
        (0, 12),
        (3600, 0),
        (5400, 7),
        (10800, 5),
        (12600, 6),
    ]
    assert netatmo.api_calls()[0]["type"] == "sum_energy_buy_from_grid"
    assert netatmo.api_calls()[0]["device_id"] == NLG


def test_an_empty_body_is_no_reading(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    netatmo.api = lambda path, params: httpx.Response(200, json={"body": []})
    assert netatmo.client(clock).readings(CHAUFFAGE, *paris_day(date(2026, 11, 1))) == []


def test_windows_of_1024_buckets(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    start = datetime(2026, 10, 1, 0, 0, tzinfo=UTC)
    end = start + timedelta(days=30)  # 1440 buckets
    readings = netatmo.client(clock).readings(CHAUFFAGE, start, end)
    assert len(readings) == 1440
    t0 = int(start.timestamp())
    assert [(c["date_begin"], c["date_end"], c["limit"]) for c in netatmo.api_calls()] == [
        (str(t0), str(t0 + 1024 * 1800), "1024"),
        (str(t0 + 1024 * 1800), str(t0 + 30 * 86400), "1024"),
    ]


def test_a_start_inside_a_half_hour_is_taken_down_to_it(
    netatmo: FakeNetatmo, clock: FakeClock
) -> None:
    start = datetime(2026, 11, 21, 10, 20, tzinfo=UTC)
    readings = netatmo.client(clock).readings(CHAUFFAGE, start, start + timedelta(minutes=40))
    assert [datetime.fromtimestamp(r.timestamp, UTC) for r in readings] == [
        datetime(2026, 11, 21, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 21, 10, 30, tzinfo=UTC),
    ]


# ------------------------------------------------------------------ tokens


def test_a_token_about_to_expire_is_rotated_and_saved_before_its_use(
    netatmo: FakeNetatmo, clock: FakeClock
) -> None:
    clock.advance(3 * 3600 - 299)  # less than 5 minutes left

    def on_disk_first() -> None:
        saved = json.loads(netatmo.store.path.read_text())
        assert saved["refresh_token"] == netatmo.refresh  # the new one, before its first use

    netatmo.before_api = on_disk_first
    assert len(netatmo.client(clock).circuits()) == 4
    assert netatmo.refreshes() == 1 and netatmo.n == 1


def test_code_3_is_one_refresh_and_a_retry(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    netatmo.access = "revoked-by-netatmo"  # the saved access token is rejected with code 3
    assert len(netatmo.client(clock).circuits()) == 4
    assert netatmo.refreshes() == 1
    assert len(netatmo.api_calls()) == 2
    assert netatmo.store.load() is not None
    assert netatmo.store.load().refresh_token == netatmo.refresh  # type: ignore[union-attr]


def test_a_token_rejected_even_after_a_refresh(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    netatmo.api = lambda path, params: error(403, 2, "Invalid access token")
    with pytest.raises(AuthError) as caught:
        netatmo.client(clock).circuits()
    assert str(caught.value) == (
        "Netatmo rejects the access token it has just renewed (error 2): run "
        "`linkyflux auth --netatmo`"
    )
    assert netatmo.refreshes() == 1


def test_a_rejected_refresh_token(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    netatmo.refresh = "forgotten"
    clock.advance(4 * 3600)
    with pytest.raises(AuthError) as caught:
        netatmo.client(clock).circuits()
    assert (
        str(caught.value)
        == "the Netatmo consent expired or was revoked: run `linkyflux auth --netatmo`"
    )
    assert caught.value.exit_code == 4


# ------------------------------------------------------------------ errors


@pytest.mark.parametrize(
    ("answer", "kind", "line"),
    [
        (
            error(403, 26, "User usage reached"),
            RateLimited,
            "Netatmo's rate limit was reached (error 26): stop this run, keep what is written; "
            "retry later",
        ),
        (
            error(429, 11, "Failed to enter concurrency limited section"),
            RateLimited,
            "Netatmo's rate limit was reached (error 11): stop this run, keep what is written; "
            "retry later",
        ),
        (
            httpx.Response(429, text="slow down"),
            RateLimited,
            "Netatmo's rate limit was reached (HTTP 429): stop this run, keep what is written; "
            "retry later",
        ),
        (
            error(403, 13, "Application does not have the good scope rights"),
            AuthError,
            "the Netatmo token lacks the read_magellan scope (error 13): run "
            "`linkyflux auth --netatmo` "
            "and keep read_magellan ticked",
        ),
        (
            error(400, 9, "Device not found"),
            ModuleNotFound,
            "Netatmo does not know the module 70:ee:50:00:00:01#0 (error 9, device not found): "
            "check it is still in the Netatmo or Legrand app",
        ),
        (
            error(400, 21, "Invalid argument"),
            DataError,
            "Netatmo refused getmeasure for 70:ee:50:00:00:01#0 (HTTP 400, error 21: Invalid "
            "argument): report it",
        ),
        (
            httpx.Response(503, text="<html>down</html>"),
            UpstreamError,
            "Netatmo failed at http://netatmo.test/netatmo/api/getmeasure (HTTP 503): retry later",
        ),
        (
            httpx.Response(200, text="<html>"),
            DataError,
            "Netatmo's answer to getmeasure for 70:ee:50:00:00:01#0 is not JSON",
        ),
        (
            httpx.Response(403, text="<html>Forbidden</html>"),
            DataError,
            "Netatmo refused getmeasure for 70:ee:50:00:00:01#0 (HTTP 403, no error code): "
            "report it",
        ),
    ],
    ids=["26", "429-11", "429", "13-scope", "9-module", "21", "503", "not-json", "403-html"],
)
def test_netatmo_s_errors(
    netatmo: FakeNetatmo, clock: FakeClock, answer: httpx.Response, kind: type, line: str
) -> None:
    netatmo.api = lambda path, params: answer
    with pytest.raises(kind) as caught:
        netatmo.client(clock).readings(CHAUFFAGE, *paris_day(date(2026, 11, 21)))
    assert type(caught.value) is kind
    assert str(caught.value) == line
    assert "access-" not in str(caught.value) and "refresh-" not in str(caught.value)


def test_exit_codes() -> None:
    assert (RateLimited("x").exit_code, ModuleNotFound("m").exit_code) == (5, 6)


def test_no_connection_names_the_public_url_only(netatmo: FakeNetatmo, clock: FakeClock) -> None:
    def down() -> None:
        raise httpx.ReadTimeout("timed out")

    netatmo.before_api = down
    client = netatmo.client(clock, base="http://me:pw@netatmo.test/netatmo")
    with pytest.raises(UpstreamError) as caught:
        client.circuits()
    assert str(caught.value) == (
        "cannot reach Netatmo at http://netatmo.test/netatmo for homesdata (ReadTimeout): "
        "retry later"
    )


BAD_BODIES: list[tuple[str, Any, str]] = [
    ("optimize-false", {"body": {"1700000000": [1]}}, "body is an object, not a list"),
    ("beg-string", {"body": [{"beg_time": "x", "step_time": 1800, "value": []}]},
     "body[0].beg_time is 'x', not a number"),
    ("step-3600", {"body": [{"beg_time": 1763766900, "step_time": 3600, "value": []}]},
     "body[0].step_time is 3600, not 1800 (the 30min scale)"),
    ("beg-not-mid", {"body": [{"beg_time": 1763766000, "step_time": 1800, "value": []}]},
     "body[0].beg_time is 1763766000, not the middle of a half hour"),
    ("no-value", {"body": [{"beg_time": 1763766900, "step_time": 1800}]},
     "body[0].value is missing"),
    ("empty-row", {"body": [{"beg_time": 1763766900, "step_time": 1800, "value": [[]]}]},
     "body[0].value[0] is an empty list"),
    ("negative", {"body": [{"beg_time": 1763766900, "step_time": 1800, "value": [[-4]]}]},
     "body[0].value[0][0] is -4, negative"),
    ("string-wh", {"body": [{"beg_time": 1763766900, "step_time": 1800, "value": [["4"]]}]},
     "body[0].value[0][0] is '4', not a number"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("body", "problem"), [c[1:] for c in BAD_BODIES], ids=[c[0] for c in BAD_BODIES]
)
def test_a_getmeasure_answer_of_the_wrong_shape(
    netatmo: FakeNetatmo, clock: FakeClock, body: Any, problem: str
) -> None:
    netatmo.api = lambda path, params: httpx.Response(200, json=body)
    with pytest.raises(DataError) as caught:
        netatmo.client(clock).readings(CHAUFFAGE, *paris_day(date(2026, 11, 21)))
    assert str(caught.value) == (f"Netatmo's getmeasure for 70:ee:50:00:00:01#0 answer: {problem}")


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"status": "ok"}, "body is missing"),
        ({"body": {"homes": [{"id": 5}]}}, "body.homes[0].id is 5, not a string"),
        (
            {"body": {"homes": [{"id": HOME, "modules": [{"id": "x y", "type": "NLE"}]}]}},
            "body.homes[0].modules[0].id is 'x y', not a Netatmo module id",
        ),
        (
            {"body": {"homes": [{"id": HOME, "modules": [{"id": NLPC, "type": "NLPC"}]}]}},
            "body.homes[0].modules[0] (an NLPC) has no bridge",
        ),
    ],
)
def test_a_homesdata_answer_of_the_wrong_shape(
    netatmo: FakeNetatmo, clock: FakeClock, body: Any, problem: str
) -> None:
    netatmo.api = lambda path, params: httpx.Response(200, json=body)
    with pytest.raises(DataError) as caught:
        netatmo.client(clock).circuits()
    assert str(caught.value) == f"Netatmo's homesdata answer: {problem}"


# ------------------------------------------------------------------ pacing


def test_pacing_50_in_10_seconds_in_its_own_log(
    netatmo: FakeNetatmo, clock: FakeClock, tmp_path: Path
) -> None:
    http, _, log = paced_http(BASE, tmp_path, clock, transport=httpx.MockTransport(netatmo.handler))
    client = NetatmoClient(http, netatmo.store, clock, "linkyflux-netatmo", "netatmo-secret")
    for _ in range(51):
        client.circuits()
    assert clock.now() - NOW == timedelta(seconds=10, milliseconds=1)
    assert log.path == tmp_path / "netatmo-requests.log"
    assert len(log.load(clock.now())) == 51
    assert not (tmp_path / "requests.log").exists()


def test_the_hourly_budget_stops_the_run(
    netatmo: FakeNetatmo, clock: FakeClock, tmp_path: Path
) -> None:
    log = tmp_path / "netatmo-requests.log"
    log.write_text("".join(f"{NOW.timestamp() - 3000 + i:.3f}\n" for i in range(500)))
    http, _, _ = paced_http(BASE, tmp_path, clock, transport=httpx.MockTransport(netatmo.handler))
    client = NetatmoClient(http, netatmo.store, clock, "linkyflux-netatmo", "netatmo-secret")
    with pytest.raises(BudgetExhausted) as caught:
        client.circuits()
    assert caught.value.exit_code == 5
    assert netatmo.calls == []
