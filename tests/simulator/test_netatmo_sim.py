"""The simulated Netatmo answers as ``../shared/docs/netatmo.md`` Part B says the real one
does: OAuth with rotation, homesdata, getmeasure's buckets, its limits and error codes."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from linkyflux.simulator.netatmo import NETATMO_CLIENT_ID, NETATMO_CLIENT_SECRET
from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import PARIS, FakeClock, paris_day_bounds

from simenv import world

NLE = "70:ee:50:00:00:01"
NLG = "70:ee:50:00:00:10"
NLPC = "70:ee:50:00:00:11"
HOUSE_METER = "22516914714270"
REDIRECT = "http://localhost/callback"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def epoch(instant: datetime) -> int:
    return int(instant.timestamp())


class Netatmo:
    """A simulator on a fake clock, and a client holding a token pair from the portal."""

    def __init__(self, now: datetime, scope: str = "read_magellan") -> None:
        self.clock = FakeClock(now)
        self.sim = Simulator(self.clock)
        self.access = self.sim.netatmo_generate_token(scope)["access_token"]

    def call(
        self, name: str, method: str = "GET", token: str | None = None, **params: Any
    ) -> tuple[int, Any]:
        query = urlencode({k: str(v) for k, v in params.items()})
        auth = f"Bearer {token or self.access}"
        if method == "GET":
            reply = self.sim.handle("GET", f"/netatmo/api/{name}?{query}", b"", "::1", auth)
        else:
            reply = self.sim.handle("POST", f"/netatmo/api/{name}", query.encode(), "::1", auth)
        return reply.status, json.loads(reply.body)

    def measure(self, module_id: str, **params: Any) -> tuple[int, Any]:
        device = module_id.split("#")[0] if "#" in module_id else NLG
        defaults = {"device_id": device, "module_id": module_id, "scale": "30min"}
        defaults["type"] = "sum_energy_elec" if "#" in module_id else "sum_energy_buy_from_grid"
        return self.call("getmeasure", **{**defaults, **params})

    def day(self, module_id: str, day: date, **params: Any) -> Any:
        begin, end = paris_day_bounds(day)
        status, payload = self.measure(
            module_id, date_begin=epoch(begin), date_end=epoch(end), **params
        )
        assert status == 200, payload
        return payload["body"]


def starts_of(lots: list[dict[str, Any]]) -> list[datetime]:
    return [
        datetime.fromtimestamp(lot["beg_time"] - lot["step_time"] // 2 + i * lot["step_time"], UTC)
        for lot in lots
        for i in range(len(lot["value"]))
    ]


# ----------------------------------------------------------------------------------- OAuth
def test_the_oauth_dance_rotates_every_refresh(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        http = httpx.Client(base_url=w.url + "/netatmo")
        authorize = http.get(
            "/oauth2/authorize",
            params={
                "client_id": NETATMO_CLIENT_ID,
                "redirect_uri": REDIRECT,
                "scope": "read_magellan",
                "state": "xyz",
                "response_type": "code",
            },
        )
        assert authorize.status_code == 302
        location = urlsplit(authorize.headers["Location"])
        assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
        back = parse_qs(location.query)
        assert back["state"] == ["xyz"]
        assert re.fullmatch(r"[0-9a-f]{32}", back["code"][0])
        assert location.query.startswith("state=xyz&code=")
        grant = {
            "grant_type": "authorization_code",
            "client_id": NETATMO_CLIENT_ID,
            "client_secret": NETATMO_CLIENT_SECRET,
            "code": back["code"][0],
            "redirect_uri": REDIRECT,
            "scope": "read_magellan",
        }
        first = http.post("/oauth2/token", data=grant).json()
        assert sorted(first) == [
            "access_token",
            "expire_in",
            "expires_in",
            "refresh_token",
            "scope",
        ]
        assert (first["scope"], first["expires_in"], first["expire_in"]) == (
            ["read_magellan"],
            10800,
            10800,
        )
        again = http.post("/oauth2/token", data=grant)  # a code serves once
        assert (again.status_code, again.json()) == (400, {"error": "invalid_grant"})

        def homes(token: str) -> httpx.Response:
            return http.get("/api/homesdata", headers={"Authorization": f"Bearer {token}"})

        assert homes(first["access_token"]).status_code == 200
        refresh = {
            "grant_type": "refresh_token",
            "refresh_token": first["refresh_token"],
            "client_id": NETATMO_CLIENT_ID,
            "client_secret": NETATMO_CLIENT_SECRET,
        }
        second = http.post("/oauth2/token", data=refresh).json()
        assert second["refresh_token"] != first["refresh_token"]
        assert second["access_token"] != first["access_token"]
        assert second["scope"] == ["read_magellan"]
        replay = http.post("/oauth2/token", data=refresh)
        assert (replay.status_code, replay.json()) == (400, {"error": "invalid_grant"})
        old = homes(first["access_token"])
        assert (old.status_code, old.json()) == (
            403,
            {"error": {"code": 2, "message": "Invalid access token"}},
        )
        assert homes(second["access_token"]).status_code == 200
        netatmo = w.simulator.netatmo
        assert (netatmo.code_grants, netatmo.refreshes) == (1, 1)
        assert netatmo.calls["token"] == 4 and netatmo.calls["homesdata"] == 3
        assert http.get(w.url + "/_sim/netatmo/stats").json()["refused"] == {"2": 1}
        generated = http.post(
            w.url + "/_sim/netatmo/generate_token", data={"scope": "read_magellan"}
        )
        assert generated.json()["scope"] == ["read_magellan"]
        assert homes(generated.json()["access_token"]).status_code == 200


def authorize(sim: Simulator, **params: str) -> tuple[int, str]:
    query = {"client_id": NETATMO_CLIENT_ID, "redirect_uri": REDIRECT, "state": "s", **params}
    reply = sim.handle("GET", "/netatmo/oauth2/authorize?" + urlencode(query), b"", "::1")
    location = dict(reply.headers).get("Location", "")
    return reply.status, parse_qs(urlsplit(location).query).get("code", [""])[0]


def token(sim: Simulator, **form: str) -> tuple[int, Any]:
    base = {"client_id": NETATMO_CLIENT_ID, "client_secret": NETATMO_CLIENT_SECRET}
    body = urlencode({**base, **form}).encode()
    reply = sim.handle("POST", "/netatmo/oauth2/token", body, "::1")
    return reply.status, json.loads(reply.body)


def test_oauth_refusals() -> None:
    clock = FakeClock(utc(2026, 11, 20, 10))
    sim = Simulator(clock)
    status, _ = authorize(sim, client_id="someone-else")
    assert status == 400
    _, code = authorize(sim, scope="read_magellan")
    assert token(sim, grant_type="authorization_code", code=code, client_secret="nope") == (
        400,
        {"error": "invalid_client"},
    )
    wrong_uri = {"grant_type": "authorization_code", "redirect_uri": "http://localhost/other"}
    assert token(sim, code=code, **wrong_uri)[1] == {"error": "invalid_grant"}
    _, code = authorize(sim, scope="read_magellan")
    clock.advance(600)  # a code lives 10 minutes
    late = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
    assert token(sim, **late) == (400, {"error": "invalid_grant"})
    _, code = authorize(sim)  # no scope asked: Netatmo's default, without read_magellan
    status, pair = token(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert (status, pair["scope"]) == (200, ["read_station"])
    assert token(sim, grant_type="password")[1] == {"error": "unsupported_grant_type"}


# ------------------------------------------------------------------------ errors and limits
def test_tokens_expire_lack_scope_or_are_unknown() -> None:
    n = Netatmo(utc(2026, 11, 20, 10))
    assert n.call("homesdata", token="nope") == (
        403,
        {"error": {"code": 2, "message": "Invalid access token"}},
    )
    n.clock.advance(10799)
    assert n.call("homesdata")[0] == 200
    n.clock.advance(1)
    assert n.call("homesdata") == (
        403,
        {"error": {"code": 3, "message": "Access token expired"}},
    )
    weather = n.sim.netatmo_generate_token("read_station read_thermostat")["access_token"]
    scope_error = {"code": 13, "message": "Application does not have the good scope rights"}
    assert n.call("homesdata", token=weather) == (403, {"error": scope_error})
    assert n.measure(f"{NLE}#0")[0] == 403
    assert n.sim.netatmo.refused == {2: 1, 3: 2, 13: 1}


def test_the_user_is_throttled_at_50_per_10_seconds_and_500_per_hour() -> None:
    n = Netatmo(utc(2026, 11, 20, 10))
    for _ in range(50):
        assert n.call("homesdata")[0] == 200
    usage = (403, {"error": {"code": 26, "message": "User usage reached"}})
    assert n.call("homesdata") == usage
    n.clock.advance(9.9)
    assert n.measure(f"{NLE}#0", method="POST") == usage
    n.clock.advance(0.1)  # the first 50 leave the window; refused calls never counted
    assert n.call("homesdata")[0] == 200
    n = Netatmo(utc(2026, 11, 20, 10))
    for _ in range(500):
        assert n.call("homesdata")[0] == 200
        n.clock.advance(0.5)  # 20 per 10 s
    assert n.call("homesdata") == usage
    n.clock.advance(3600 - 250)  # the first call leaves the hour
    assert n.call("homesdata")[0] == 200
    assert n.call("homesdata") == usage


def test_a_switchable_concurrency_fault() -> None:
    n = Netatmo(utc(2026, 11, 20, 10))
    n.sim.netatmo.fail_concurrency(2)
    busy = (429, {"error": {"code": 11, "message": "Failed to enter concurrency limited section"}})
    assert n.call("homesdata") == busy
    assert n.measure(f"{NLE}#0") == busy
    assert n.call("homesdata")[0] == 200


# ------------------------------------------------------------------------------ homesdata
def test_homesdata_names_each_bridge_and_its_channels() -> None:
    n = Netatmo(utc(2026, 11, 20, 10))
    status, payload = n.call("homesdata", method="POST")
    assert status == 200
    assert (payload["status"], payload["time_server"]) == ("ok", epoch(utc(2026, 11, 20, 10)))
    homes = payload["body"]["homes"]
    assert [(h["id"], h["name"], h["timezone"]) for h in homes] == [
        ("5f0000000000000000000001", "Maison", "Europe/Paris"),
        ("5f0000000000000000000002", "Atelier", "Europe/Paris"),
    ]
    house = {m["id"]: m for m in homes[0]["modules"]}
    assert house[NLE]["type"] == "NLE" and "bridge" not in house[NLE]
    assert house[NLE]["modules_bridged"] == [f"{NLE}#{i}" for i in range(9)]
    names = ["Chauffage", "Chauffe-eau", "Prises", "Cuisine", "Éclairage", "Ligne 6"]
    names += ["Gaz", "Eau chaude", "Eau froide"]
    assert [(house[f"{NLE}#{i}"]["name"], house[f"{NLE}#{i}"]["bridge"]) for i in range(9)] == [
        (name, NLE) for name in names
    ]
    assert {m["type"] for m in house.values()} == {"NLE", "NAPlug", "NATherm1"}
    workshop = {m["id"]: m for m in homes[1]["modules"]}
    assert workshop[NLG]["modules_bridged"] == [NLPC, "70:ee:50:00:00:12"]
    assert (workshop[NLPC]["type"], workshop[NLPC]["name"], workshop[NLPC]["bridge"]) == (
        "NLPC",
        "Compteur atelier",
        NLG,
    )
    assert workshop["70:ee:50:00:00:12"]["type"] == "NLP"
    assert sum(len(r["module_ids"]) for r in homes[0]["rooms"]) == len(house)
    only = n.call("homesdata", home_id="5f0000000000000000000002")[1]["body"]["homes"]
    assert [h["name"] for h in only] == ["Atelier"]


# ----------------------------------------------------------------------------- getmeasure
@pytest.mark.parametrize(
    ("day", "buckets", "first", "module_id"),
    [
        (date(2026, 3, 29), 46, "2026-03-28T23:00:00+00:00", f"{NLE}#0"),
        (date(2026, 3, 29), 46, "2026-03-28T23:00:00+00:00", NLPC),
        (date(2026, 10, 25), 50, "2026-10-24T22:00:00+00:00", f"{NLE}#1"),
        (date(2026, 10, 25), 50, "2026-10-24T22:00:00+00:00", f"{NLE}#7"),
    ],
)
def test_dst_days_are_stamped_mid_bucket_and_equal_truth(
    day: date, buckets: int, first: str, module_id: str
) -> None:
    n = Netatmo(datetime.combine(day, datetime.min.time(), PARIS) + timedelta(days=3))
    truth = n.sim.truth_circuit(module_id, day)
    assert len(truth) == buckets and truth[0][0].isoformat() == first
    lots = n.day(module_id, day, method="POST")
    assert len(lots) == 1 and lots[0]["step_time"] == 1800
    assert lots[0]["beg_time"] == epoch(truth[0][0]) + 900
    assert lots[0]["value"] == [[wh] for _, wh in truth]
    assert starts_of(lots) == [start for start, _ in truth]
    flat = n.day(module_id, day, optimize="false")
    assert flat == {str(epoch(start) + 900): [wh] for start, wh in truth}
    real = n.day(module_id, day, optimize="false", real_time="true")
    assert list(real) == [str(epoch(start)) for start, _ in truth]


def test_exact_values_of_the_spring_forward_day() -> None:
    n = Netatmo(utc(2026, 4, 1, 12))
    lots = n.day(f"{NLE}#0", date(2026, 3, 29))
    assert lots[0]["beg_time"] == 1774739700  # 2026-03-28T23:15:00Z
    assert lots[0]["value"][:4] == [[471], [486], [429], [130]]
    assert sum(v[0] for v in lots[0]["value"]) == sum(
        wh for _, wh in n.sim.truth_circuit(f"{NLE}#0", date(2026, 3, 29))
    )


def test_the_nlpc_misses_saturday_night_so_the_answer_comes_in_two_lots() -> None:
    n = Netatmo(utc(2026, 11, 20, 12))
    saturday = date(2026, 11, 14)
    truth = n.sim.truth_circuit(NLPC, saturday)
    assert len(truth) == 44  # 48 half-hours but 03:00-05:00
    lots = n.day(NLPC, saturday)
    assert [(len(lot["value"]), lot["step_time"]) for lot in lots] == [(6, 1800), (38, 1800)]
    assert lots[0]["beg_time"] == epoch(datetime(2026, 11, 14, 0, 15, tzinfo=PARIS))
    assert lots[1]["beg_time"] == epoch(datetime(2026, 11, 14, 5, 15, tzinfo=PARIS))
    assert [v for lot in lots for v in lot["value"]] == [[wh] for _, wh in truth]
    assert len(n.sim.truth_circuit(NLPC, date(2026, 11, 15))) == 48


def test_only_the_buckets_uploaded_at_the_last_3_hour_boundary_are_served() -> None:
    n = Netatmo(utc(2026, 11, 20, 10, 40))
    begin = epoch(utc(2026, 11, 20, 0))

    def last_start() -> datetime:
        status, payload = n.measure(f"{NLE}#2", date_begin=begin)  # date_end: now
        assert status == 200
        return starts_of(payload["body"])[-1]

    assert last_start() == utc(2026, 11, 20, 8, 30)
    n.clock.advance(timedelta(hours=1, minutes=19, seconds=59).total_seconds())
    assert last_start() == utc(2026, 11, 20, 8, 30)
    n.clock.advance(1)  # 12:00 UTC
    assert last_start() == utc(2026, 11, 20, 11, 30)
    # a bucket is in the answer when its middle lies in [date_begin, date_end]
    after = n.measure(f"{NLE}#2", date_begin=epoch(utc(2026, 11, 20, 11, 45)))[1]["body"]
    assert starts_of(after) == [utc(2026, 11, 20, 11, 30)]
    assert n.measure(f"{NLE}#2", date_begin=epoch(utc(2026, 11, 20, 11, 46)))[1]["body"] == []


def test_ten_days_of_history() -> None:
    n = Netatmo(utc(2026, 11, 20, 10, 40))
    status, payload = n.measure(f"{NLE}#0", date_begin=epoch(utc(2026, 11, 1)))
    assert status == 200
    starts = starts_of(payload["body"])
    assert starts[0] == utc(2026, 11, 10, 11)  # the first bucket starting after now - 10 days
    assert starts[-1] == utc(2026, 11, 20, 8, 30)
    assert len(starts) == 9 * 48 + 44  # 11:00 … 08:30, 9 days later + 1
    assert n.day(f"{NLE}#0", date(2026, 11, 9)) == []


def test_limit_and_the_refused_arguments() -> None:
    n = Netatmo(utc(2026, 11, 20, 10, 40))
    invalid = (400, {"error": {"code": 21, "message": "Invalid arg"}})
    assert n.measure(f"{NLE}#0", limit=1025) == invalid
    assert n.measure(f"{NLE}#0", limit=1024)[0] == 200
    assert len(n.measure(f"{NLE}#0", limit=5)[1]["body"][0]["value"]) == 5
    assert n.measure(f"{NLE}#0", scale="1hour") == invalid
    assert n.measure(f"{NLE}#0", date_begin="yesterday") == invalid
    assert n.measure(f"{NLE}#0", type="temperature") == invalid
    not_found = (400, {"error": {"code": 9, "message": "Device not found"}})
    assert n.measure(f"{NLE}#0", device_id=NLG) == not_found
    assert n.measure(NLPC, device_id=NLE) == not_found
    assert n.measure(NLPC, device_id=NLPC) == not_found
    assert n.measure("70:ee:50:99:99:99#0", device_id="70:ee:50:99:99:99") == not_found
    missing = (400, {"error": {"code": 10, "message": "Missing arguments"}})
    assert n.call("getmeasure", device_id=NLE, module_id=f"{NLE}#0", scale="30min") == missing


def test_types_give_one_column_each_and_the_other_name_nulls() -> None:
    n = Netatmo(utc(2026, 11, 20, 10, 40))
    day = date(2026, 11, 18)
    truth = n.sim.truth_circuit(f"{NLE}#3", day)
    both = n.day(f"{NLE}#3", day, type="sum_energy_buy_from_grid,sum_energy_elec,sum_energy_elec$1")
    assert both[0]["value"] == [[None, wh, None] for _, wh in truth]
    assert {v[0] for v in n.day(NLPC, day, type="sum_energy_elec")[0]["value"]} == {None}
    assert n.day(f"{NLE}#5", day) == []  # "Ligne 6": wired to nothing
    assert n.day(NLE, day, device_id=NLE) == []  # the bridge itself
    assert n.day("70:ee:50:00:00:12", day) == []  # the plug


# ---------------------------------------------------------------------------- ground truth
@pytest.mark.parametrize(
    "day", [date(2026, 1, 15), date(2026, 3, 29), date(2026, 7, 1), date(2026, 10, 25)]
)
def test_the_circuits_sum_below_the_linky_curve(day: date) -> None:
    sim = Simulator(FakeClock(utc(2026, 12, 1)))
    linky = sim.truth_curve(HOUSE_METER, "consumption", day)
    circuits = [sim.truth_circuit(f"{NLE}#{i}", day) for i in range(5)]
    assert all(len(c) == len(linky) for c in circuits)
    for n, interval in enumerate(linky):
        assert all(c[n][0] == interval.start for c in circuits)
        total = sum(c[n][1] for c in circuits)
        assert 0 < total < interval.energy_wh
        assert abs(circuits[0][n][1] - 0.30 * interval.energy_wh) <= 0.5
    assert sim.truth_circuit(f"{NLE}#5", day) == []
    with pytest.raises(ValueError, match="unknown Netatmo module"):
        sim.truth_circuit("70:ee:50:99:99:99", day)


def test_the_control_endpoints() -> None:
    n = Netatmo(utc(2026, 11, 20, 10, 40))

    def control(method: str, path: str, body: bytes = b"") -> tuple[int, Any]:
        reply = n.sim.handle(method, f"/_sim/netatmo/{path}", body, "::1")
        return reply.status, json.loads(reply.body)

    status, truth = control("GET", f"truth?module_id={NLPC}&day=2026-11-14")
    assert (status, len(truth["points"]), truth["points"][0][0]) == (
        200,
        44,
        "2026-11-13T23:00:00+00:00",
    )
    assert truth["energy_wh"] == sum(wh for _, wh in n.sim.truth_circuit(NLPC, date(2026, 11, 14)))
    assert control("GET", "truth?module_id=nope&day=2026-11-14")[0] == 400
    assert control("POST", "fault", b'{"kind": "concurrency", "count": 1}') == (200, {"ok": True})
    assert n.call("homesdata")[0] == 429
    assert control("POST", "expire") == (200, {"ok": True})
    assert n.call("homesdata")[1]["error"]["code"] == 3
    pair = control("POST", "generate_token", b"scope=read_magellan")[1]
    assert n.call("homesdata", token=pair["access_token"])[0] == 200
    assert control("POST", "revoke") == (200, {"ok": True})
    assert n.call("homesdata", token=pair["access_token"])[1]["error"]["code"] == 2
    assert control("GET", "stats")[1]["refused"] == {"11": 1, "3": 1, "2": 1}
