"""Every gateway × dialect writes byte-identical line protocol; each gateway's own rules."""

from __future__ import annotations

import gzip
import json
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from linkyflux.settings import Settings
from linkyflux.simulator.conso import conso_token
from linkyflux.simulator.enedis_direct import ENEDIS_CLIENT_SECRET
from linkyflux.simulator.myelectricaldata import MED_CLIENT_SECRET
from linkyflux.sources.dialects import V5, V2026
from linkyflux.sources.gateways.conso_api import ConsoApiGateway
from linkyflux.timeutil import paris_today

from simenv import CLIENT_ID, World, world

HOUSE = "22516914714270"
SOLAR = "24880057139941"
BOTH = "12655648759651"
NOT_METERING = ("oauth2", "contrat", "comptage", "customers", "/contract/")
TYPES_2026 = {path.rsplit("/", 1)[-1] for path in V2026.PATHS.values()}
CONSENTED = (HOUSE, SOLAR, BOTH, "50000000000010", "11453290002823", "42900589957123")


def gateway_config(w: World, kind: str, api: str) -> None:
    consent: dict[str, object] = {"kind": kind}
    if kind == "conso-api":
        consent["url"] = f"{w.url}/conso"
    elif kind == "myelectricaldata":
        consent.update(url=f"{w.url}/med/api", client_secret=MED_CLIENT_SECRET)
    elif kind == "enedis":
        consent.update(
            url=f"{w.url}/enedis",
            client_secret=ENEDIS_CLIENT_SECRET,
            usage_points=list(CONSENTED),
        )
    w.config(consent=consent, enedis={"api": api}, tariff={"offpeak": "22h00-6h00"})


def authorize(w: World, kind: str) -> None:
    if kind == "conso-api":
        token = conso_token(CONSENTED, w.clock.now())
        result = w.run("auth", "--token", token)
        assert token not in result.output
    else:
        result = w.run("auth")
    assert result.exit_code == 0, result.output
    assert f"for {len(CONSENTED)} usage point(s): {', '.join(CONSENTED)}" in result.output


def fetch_week(
    home: Path, kind: str, api: str, served: str | None = None
) -> tuple[list[str], dict[str, object]]:
    """A week through ``kind`` asking in ``api``; with ``served``, a gateway as rude as the
    real ones get: it serves that dialect only (a 404 with a code of its own for the other;
    an older MyElectricalData answers v5 whatever is asked), and rotates refresh tokens."""
    home.mkdir()
    rude: dict[str, object] = {}
    if served is not None:
        rude = {"dialects": (served,), "unserved_dialect_404": "coded"}
        rude.update(rotate_refresh_tokens=True, med_ignores_format=served == "v5")
    with world(home, today=date(2026, 10, 27), **rude) as w:
        w.consent = w.simulator.consent = CONSENTED
        gateway_config(w, kind, api)
        authorize(w, kind)
        if served is not None:
            w.simulator.expire_access_tokens()  # the fetch refreshes (and rotates) first
        result = w.run("fetch", "-d", "7", "-q")
        assert result.exit_code == 0, result.output
        prefix = {
            "device-flow": "/data/proxy/",
            "conso-api": "/conso/api/",
            "myelectricaldata": "/med/api/enedis/",
            "enedis": "/enedis/",
        }
        data = [
            p.rsplit("/", 1)[-1]
            for _, p, _ in w.simulator.requests
            if p.startswith(prefix[kind]) and not any(x in p for x in NOT_METERING)
        ]
        assert len(data) > 20
        if kind != "myelectricaldata" and served is None:  # (MED: by a header)
            assert {name in TYPES_2026 for name in data} == {api == "2026"}
        state = json.loads((w.state_dir / "state.json").read_text())["usage_points"]
        contracts = {prm: state[prm]["contract"] for prm in CONSENTED}
        return w.output_lines(), contracts


KINDS = ("device-flow", "conso-api", "myelectricaldata", "enedis")
PAIRS = [(k, a) for k in KINDS for a in ("v5", "2026")]


def test_every_gateway_and_dialect_writes_the_same_bytes(tmp_path: Path) -> None:
    outputs = {pair: fetch_week(tmp_path / f"{pair[0]}-{pair[1]}", *pair) for pair in PAIRS}
    reference, contracts = outputs[("device-flow", "v5")]
    assert len(reference) > 2000
    assert contracts[HOUSE] == {
        "usage_point_id": HOUSE,
        "subscribed_power_kva": 9.0,
        "tariff_code": "BTINFMUDT",
        "offpeak_hours": "HC (22H00-6H00)",
        "status": "SERVC",
        "activation": "2015-03-02",
    }
    assert contracts[SOLAR] is None  # customer data exists for consumption points only
    for pair, (lines, read) in outputs.items():
        if pair[0] == "conso-api":  # no contract data, so no contract points
            reference_without = [ln for ln in reference if not ln.startswith("linky_contract")]
            assert lines == reference_without, pair
        else:
            assert lines == reference, pair
        # the same contracts through every gateway that has them (Conso API has none)
        assert read == (dict.fromkeys(CONSENTED) if pair[0] == "conso-api" else contracts), pair


@pytest.mark.parametrize("served", ["v5", "2026"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_gateway_in_auto_mode_against_a_rude_one(
    tmp_path: Path, kind: str, served: str
) -> None:
    """Serving one dialect (its own 404 for the other), rotating refresh tokens, an older
    MyElectricalData answering v5 to a 2026 request: `auto` reads each one as the polite
    gateway, byte for byte."""
    reference, _ = fetch_week(tmp_path / "reference", "device-flow", "v5")
    lines, _ = fetch_week(tmp_path / "rude", kind, "auto", served)
    if kind == "conso-api":  # no contract data, so no contract points
        lines = [ln for ln in lines if not ln.startswith("linky_contract")]
        reference = [ln for ln in reference if not ln.startswith("linky_contract")]
    assert lines == reference


def test_conso_api_budget_is_never_crossed(tmp_path: Path) -> None:
    """A long backfill through Conso API stops before the 100-in-12-hours ban, says how many
    runs it will take, and the next runs finish it without ever being banned."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        gateway_config(w, "conso-api", "v5")
        w.run("auth", "--token", conso_token((HOUSE,), w.clock.now()))
        result = w.run("backfill", "--since", "2025-01-01")
        assert result.exit_code == 5
        last = result.output.splitlines()[-1]
        assert last.startswith(
            "linkyflux: the gateway's budget of 95 requests in 12 hours is used up; the next "
            "request is allowed at 2026-11-22 20:00 UTC"
        ), last
        assert last.endswith("(backfill will take 1 more run(s), 12 hours apart)")
        runs = 1
        while True:
            w.clock.advance(12 * 3600)
            runs += 1
            result = w.run("backfill", "--since", "2025-01-01", "-q")
            if result.exit_code == 0:
                break
            assert result.exit_code == 5 and runs < 5, result.output
        assert w.simulator.conso_banned == set()
        assert runs == 2  # as planned
        days = {ln.rsplit(" ", 1)[1] for ln in w.output_lines() if ln.startswith("linky_daily")}
        assert len(days) == (paris_today(w.clock) - date(2025, 1, 1)).days
        # never more than 95 requests in any 12 hours
        times = w.simulator.request_times
        assert max(sum(1 for u in times if t <= u < t + timedelta(hours=12)) for t in times) <= 95


def test_enedis_direct_reuses_its_token_until_it_expires(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        gateway_config(w, "enedis", "2026")
        w.config(
            consent={
                "kind": "enedis",
                "url": f"{w.url}/enedis",
                "client_secret": ENEDIS_CLIENT_SECRET,
                "usage_points": [HOUSE],
            }
        )
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        token_calls = [p for _, p, _ in w.simulator.requests if "oauth2" in p]
        assert len(token_calls) == 1
        w.clock.advance(4 * 3600)  # past 3 h 30
        assert w.run("fetch", "-q").exit_code == 0
        token_calls = [p for _, p, _ in w.simulator.requests if "oauth2" in p]
        assert len(token_calls) == 2
        tokens = json.loads((w.state_dir / "tokens.json").read_text())
        assert tokens["refresh_token"] == ""


def test_enedis_direct_bad_secret(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config(
            consent={
                "kind": "enedis",
                "url": f"{w.url}/enedis",
                "client_id": CLIENT_ID,
                "client_secret": "wrong",
                "usage_points": [HOUSE],
            }
        )
        result = w.run("auth")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == (
        "linkyflux: Enedis refused the application's credentials (401 Unauthorized: Valid "
        "authentication credentials are mandatory to access the resource): check "
        "consent.client_id and consent.client_secret"
    )


@pytest.mark.parametrize(
    ("token", "message"),
    [
        ("not-a-jwt", "that is not a Conso API token (a JWT: three dot-separated parts)"),
        (
            "",
            "no Conso API token: get one on the Conso API site, then run "
            "`linkyflux auth --token …` (or set consent.token)",
        ),
    ],
)
def test_conso_api_bad_token(tmp_path: Path, token: str, message: str) -> None:
    with world(tmp_path) as w:
        gateway_config(w, "conso-api", "v5")
        result = w.run("auth", "--token", token) if token else w.run("auth")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == f"linkyflux: {message}"


def test_myelectricaldata_daily_quota_is_never_crossed(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.simulator.consent = (HOUSE,)
        gateway_config(w, "myelectricaldata", "2026")
        assert w.run("auth").exit_code == 0
        result = w.run("backfill", "--since", "2026-01-01", "-q")
        assert result.exit_code == 5
        assert result.output.splitlines()[-1].startswith(
            "linkyflux: the gateway's budget of 48 requests in 24 hours is used up"
        )
        # 48 requests (/pdl, then 47 data calls), under MyElectricalData's 50 a day
        assert sum(1 for _, p, _ in w.simulator.requests if p.startswith("/med/")) == 48
        assert max(w.simulator.med_calls.values()) == 47


def test_switching_gateway_is_a_config_change_and_one_auth(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = w.simulator.consent = (HOUSE,)
        gateway_config(w, "device-flow", "auto")
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "7", "-q").exit_code == 0
        before = len(w.simulator.data_calls())
        gateway_config(w, "conso-api", "auto")
        w.clock.advance(86400)
        assert w.run("auth", "--token", conso_token((HOUSE,), w.clock.now())).exit_code == 0
        result = w.run("fetch", "-q")
        assert result.exit_code == 0, result.output
        # the history fetched through the proxy stays: only the new day and the correction
        calls = w.simulator.data_calls()[before:]
        assert {(q["start"], q["end"]) for _, q in calls} == {("2026-11-21", "2026-11-23")}
        assert all(p.startswith("/conso/api/") for _, p, _ in w.simulator.requests[-len(calls) :])


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, {"interval_reading": []}, {"meter_reading": {"interval_reading": []}}),
        (
            429,
            {"message": "Trop de requêtes", "error": None},
            {"error": "conso_api", "error_description": "Trop de requêtes"},
        ),
    ],
)
def test_a_compressed_conso_api_answer_is_rebuilt_as_plain_json(
    status: int, body: dict[str, object], expected: dict[str, object]
) -> None:
    """Behind Cloudflare, answers come gzipped: the Enedis-shaped answer rebuilt from one
    must not keep its Content-Encoding (httpx would gunzip plain JSON); Retry-After stays."""
    gateway = ConsoApiGateway(Settings(consent={"kind": "conso-api", "url": "http://conso"}))
    answer = httpx.Response(
        status,
        content=gzip.compress(json.dumps(body).encode()),
        headers={"Content-Encoding": "gzip", "Retry-After": "7"},
    )
    rebuilt = gateway.normalize(answer, V5)
    assert (rebuilt.status_code, rebuilt.json()) == (status, expected)
    assert rebuilt.headers["Retry-After"] == "7"
    assert "Content-Encoding" not in rebuilt.headers
