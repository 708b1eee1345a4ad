"""Enedis' real quotas (real-answers.md items 4 and 6): 5 calls in any sliding second and
1000 in any sliding hour, a hint-less 429 "SLA dépassé"; and a gateway that does not serve a
dialect answering a 404 with an error code of its own."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.simulator.enedis_direct import ENEDIS_CLIENT_SECRET
from linkyflux.simulator.simulator import Simulator
from linkyflux.sources.transport import Pacer, Rate
from linkyflux.timeutil import PARIS, FakeClock, paris_day_bounds

from simenv import CLIENT_ID, World, paris, world

HOUSE = "22516914714270"
SLA = {"code": "SLA dépassé", "message": "SLA dépassé"}
CURVE_2026 = "mesure_synchrone_auto/v2/courbe_de_charge_consommation"
DAILY_2026 = "mesure_synchrone_auto/v2/consommation_quotidienne"


def most_in_a_closed_window(times: list[datetime], per: timedelta) -> int:
    """The most requests within any [t, t + per], boundaries included."""
    return max(sum(1 for u in times if t <= u <= t + per) for t in times)


# ----------------------------------------------------------------------------- the pacer
def test_the_pacer_never_lets_six_calls_into_a_closed_second() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [Rate(5, timedelta(seconds=1))])
    sent = []
    for _ in range(23):
        pacer.wait()
        sent.append(clock.now())
    assert most_in_a_closed_window(sent, timedelta(seconds=1)) == 5
    # ... and no slower than that: each burst of 5 within a few milliseconds of the second
    assert (sent[-1] - sent[0]).total_seconds() < 4 * 1.01


# ----------------------------------------------------------------------------- the simulator
def enedis_get(
    sim: Simulator, token: str, path: str, day: date
) -> tuple[int, object, dict[str, str]]:
    query = f"pointId={HOUSE}&dateDebut={day}&dateFin={day + timedelta(days=1)}"
    reply = sim.handle("GET", f"/enedis/{path}?{query}", b"", "client", f"Bearer {token}")
    return reply.status, json.loads(reply.body), dict(reply.headers)


def enedis_sim(**options: object) -> tuple[Simulator, FakeClock, str]:
    clock = FakeClock(paris(2026, 11, 22, 9))
    sim = Simulator(clock, client_id=CLIENT_ID, **options)  # type: ignore[arg-type]
    form = f"grant_type=client_credentials&client_id={CLIENT_ID}"
    form += f"&client_secret={ENEDIS_CLIENT_SECRET}"
    reply = sim.handle("POST", "/enedis/oauth2/v3/token", form.encode(), "client")
    return sim, clock, json.loads(reply.body)["access_token"]


def test_simulated_enedis_counts_any_sliding_second_boundaries_included() -> None:
    sim, clock, token = enedis_sim()
    day = date(2026, 11, 20)
    for _ in range(5):
        assert enedis_get(sim, token, DAILY_2026, day)[0] == 200
    clock.advance(1.0)  # exactly one second after the first five: still the same second
    assert enedis_get(sim, token, DAILY_2026, day) == (429, SLA, {})
    clock.advance(0.001)
    assert enedis_get(sim, token, DAILY_2026, day)[0] == 200


def test_simulated_enedis_counts_any_sliding_hour() -> None:
    sim, clock, token = enedis_sim()
    day = date(2026, 11, 20)
    start = clock.now()
    for _ in range(1000):
        assert enedis_get(sim, token, DAILY_2026, day)[0] == 200
        clock.advance(0.25)
    clock.advance(3600 - (clock.now() - start).total_seconds())  # the first call's hour
    assert enedis_get(sim, token, DAILY_2026, day) == (429, SLA, {})
    clock.advance(0.001)
    assert enedis_get(sim, token, DAILY_2026, day)[0] == 200


def test_an_injected_quota_on_a_2026_path_is_the_hintless_sla_answer() -> None:
    sim, _, token = enedis_sim()
    sim.inject("quota")
    assert enedis_get(sim, token, DAILY_2026, date(2026, 11, 20)) == (429, SLA, {})


# ----------------------------------------------------------------------------- through the CLI
def enedis_direct(w: World) -> None:
    w.config(
        consent={
            "kind": "enedis",
            "url": f"{w.url}/enedis",
            "client_secret": ENEDIS_CLIENT_SECRET,
            "usage_points": [HOUSE],
        },
        enedis={"api": "2026"},
        tariff={"offpeak": "22h00-6h00"},
    )
    result = w.run("auth")
    assert result.exit_code == 0, result.output


def parse(lines: list[str]) -> list[tuple[str, dict[str, str], dict[str, float], int]]:
    out = []
    for text in lines:
        head, fields, ts = text.split(" ")
        measurement, *tags = head.split(",")
        values = {k: float(v) for k, v in (f.split("=") for f in fields.split(","))}
        out.append((measurement, dict(t.split("=") for t in tags), values, int(ts)))
    return out


def metering_times(w: World) -> list[datetime]:
    return [
        at
        for (_, path, _), at in zip(w.simulator.requests, w.simulator.request_times, strict=True)
        if path.startswith("/enedis/") and "oauth2" not in path
    ]


def test_a_backfill_through_enedis_direct_keeps_to_its_sliding_limits(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        enedis_direct(w)
        result = w.run("backfill", "--since", "2026-06-01", "-q")
        assert result.exit_code == 0, result.output
        times = metering_times(w)
        assert len(times) > 30
        assert most_in_a_closed_window(times, timedelta(seconds=1)) == 5
        points = parse(w.output_lines())
        energy: dict[date, float] = defaultdict(float)
        count: Counter[date] = Counter()
        daily: dict[int, float] = {}
        for measurement, tags, fields, ts in points:
            assert tags["usage_point_id"] == HOUSE
            if measurement == "linky_load_curve":
                day = datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date()
                energy[day] += fields["energy_wh"]
                count[day] += 1
            elif measurement == "linky_daily":
                daily[ts] = fields["energy_wh"]
        day = date(2026, 6, 1)
        while day < date(2026, 11, 22):
            truth = w.simulator.truth_curve(HOUSE, "consumption", day)
            assert count[day] == len(truth) > 0, day
            assert energy[day] == pytest.approx(sum(i.energy_wh for i in truth), abs=1e-6), day
            midnight = int(paris_day_bounds(day)[0].timestamp())
            assert daily[midnight] == w.simulator.truth_daily(HOUSE, "consumption", day), day
            day += timedelta(days=1)


def test_a_hintless_429_is_retried_after_a_short_pause(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        enedis_direct(w)
        w.simulator.inject("quota", count=2, path_contains="consumption_load_curve")
        before, calls = len(w.clock.slept), len(w.simulator.data_calls())
        result = w.run("fetch", "-q")
        assert result.exit_code == 0, result.output
        paths = [p.rsplit("/", 1)[-1] for p, _ in w.simulator.data_calls()[calls:]]
        assert paths[:3] == ["consumption_load_curve"] * 3
        pauses = [s for s in w.clock.slept[before:] if s > 0.01]  # the pacer's are shorter
        assert len(pauses) == 2
        assert 1.5 <= pauses[0] <= 2.5 and 3.75 <= pauses[1] <= 6.25
        curve = [ln for ln in w.output_lines() if ln.startswith("linky_load_curve")]
        assert len(curve) == 48


def test_a_lasting_hintless_429_ends_the_run_with_one_line(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        enedis_direct(w)
        w.simulator.inject("quota", count=100, path_contains="consumption_load_curve")
        calls = len(w.simulator.data_calls())
        result = w.run("fetch", "-q")
        assert result.exit_code == 5
        assert result.output.splitlines()[-1] == (
            f"linkyflux: Enedis: {CURVE_2026} for {HOUSE} [2026-11-21, 2026-11-22): 429 SLA "
            "dépassé (quota exceeded: still refused after 4 tries; retry later)"
        )
        paths = [p.rsplit("/", 1)[-1] for p, _ in w.simulator.data_calls()[calls:]]
        assert paths == ["consumption_load_curve"] * 4


# ----------------------------------------------------------------------------- item 6
def fetch_week(home: Path, api: str, **simulator: object) -> World:
    home.mkdir()
    with world(home, today=date(2026, 10, 27), **simulator) as w:
        w.config(enedis={"api": api}, tariff={"offpeak": "22h00-6h00"})
        result = w.run("auth")
        assert result.exit_code == 0, result.output
        result = w.run("fetch", "-d", "7", "-q")
        assert result.exit_code == 0, result.output
        return w


def test_the_simulator_can_answer_a_coded_404_for_the_unserved_dialect() -> None:
    sim, _, token = enedis_sim(dialects=("v5",), unserved_dialect_404="coded")
    assert enedis_get(sim, token, DAILY_2026, date(2026, 11, 20)) == (
        404,
        {"error": "not_found", "error_description": f"no API at /{DAILY_2026}"},
        {},
    )


def test_auto_falls_back_on_a_404_with_a_code_of_the_gateway(tmp_path: Path) -> None:
    w = fetch_week(tmp_path / "coded", "auto", dialects=("v5",), unserved_dialect_404="coded")
    reference = fetch_week(tmp_path / "ref", "v5", dialects=("v5",))
    assert w.output_lines() == reference.output_lines()
    assert len(w.output_lines()) > 2000
    state = json.loads((w.state_dir / "state.json").read_text())
    assert state["dialects"] == {w.url: "v5"}
    attempts = [p for _, p, _ in w.simulator.requests if "mesure_synchrone_auto" in p]
    assert len(attempts) == 1  # one 2026 attempt, then v5 for everything


def test_a_forced_dialect_answered_by_a_coded_404_is_not_served(tmp_path: Path) -> None:
    with world(tmp_path, dialects=("v5",), unserved_dialect_404="coded") as w:
        w.consent = (HOUSE,)
        w.config(enedis={"api": "2026"})
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        f"linkyflux: the gateway does not serve the 2026 metering API for {HOUSE} (2026: 404 "
        f"not_found: no API at /{CURVE_2026}): check consent.url, or set "
        'enedis.api = "auto"'
    )
