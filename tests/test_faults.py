"""Upstream failures and bad input, through the CLI: clear lines, documented exit codes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from simenv import World, world

HOUSE = "22516914714270"
SOLAR = "24880057139941"


@pytest.fixture
def w(tmp_path: Path) -> World:
    with world(tmp_path) as w:
        w.consent = (HOUSE, SOLAR)
        w.config(consent={"timeout": 0.5})
        assert w.run("auth").exit_code == 0
        w.clock.advance(120)  # the pacer's minute after the consent is over
        yield w


def data_paths(w: World) -> list[str]:
    return [p.rsplit("/", 1)[-1] for p, _ in w.simulator.data_calls()]


@pytest.mark.parametrize("kind", ["technical_error", "unavailable", "malformed", "timeout"])
def test_transient_failures_are_retried(w: World, kind: str) -> None:
    w.simulator.inject(kind, count=2, path_contains="consumption_load_curve", delay=1.0)
    before = len(w.clock.slept)
    result = w.run("fetch", "-q")
    assert result.exit_code == 0, result.output
    assert data_paths(w)[:3] == ["consumption_load_curve"] * 3
    first, second = w.clock.slept[before:]  # the back-off, jittered by ±25 %, nothing else
    assert 3.75 <= first <= 6.25
    assert 15.0 <= second <= 25.0
    assert len([ln for ln in w.output_lines() if ln.startswith("linky_load_curve")]) == 48 + 48


def test_a_lasting_outage_stops_the_run_keeping_what_was_fetched(w: World) -> None:
    w.simulator.inject("technical_error", count=100, path_contains="daily_consumption")
    result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy: mesure_synchrone_auto/v2/consommation_quotidienne for "
        "22516914714270 [2026-11-21, 2026-11-22): 500 technical_error: Technical error. "
        "Please try later. (4 tries): the gateway or Enedis is down; nothing more was asked "
        "this run, the next run catches up"
    )
    # The curve fetched before the outage is in the sink; the run stopped there.
    assert len(w.output_lines()) == 48
    assert data_paths(w) == ["consumption_load_curve"] + ["daily_consumption"] * 4


def test_a_lasting_quota_answer_stops_the_run(w: World) -> None:
    """The 2026 APIs' hint-less 429 is retried shortly (see test_real_quotas.py); still
    refused, it ends the run."""
    w.simulator.inject("quota", count=100, path_contains="consumption_load_curve")
    result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy: mesure_synchrone_auto/v2/courbe_de_charge_consommation "
        "for 22516914714270 "
        "[2026-11-21, 2026-11-22): 429 SLA dépassé (quota exceeded: still refused after 4 "
        "tries; retry later)"
    )
    assert data_paths(w) == ["consumption_load_curve"] * 4


def test_v5_quota_answer_tells_when_to_retry(w: World) -> None:
    w.config(consent={"timeout": 0.5}, enedis={"api": "v5"})
    w.simulator.inject("quota", count=1, path_contains="consumption_load_curve")
    result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy: metering_data_clc/v5/consumption_load_curve for "
        "22516914714270 "
        "[2026-11-21, 2026-11-22): 429 Quota Q4 reached: Call threshold allowed on 0:-30:-40 "
        "(quota exceeded: retry in 30 min 40 s)"
    )


def test_throttle_answer_of_the_api_gateway(w: World) -> None:
    w.simulator.inject("throttle", count=100)
    result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1].endswith(
        "429 900807: You have exceeded your quota (quota exceeded: still refused after 4 "
        "tries; retry later)"
    )


def test_a_short_quota_hint_is_waited_out(w: World) -> None:
    w.simulator.inject("burst", count=1, path_contains="consumption_load_curve")
    before = len(w.clock.slept)
    result = w.run("fetch", "-q")
    assert result.exit_code == 0, result.output
    (pause,) = w.clock.slept[before:]
    assert 2.25 <= pause <= 3.75  # the hinted 2 s plus one, jittered
    assert data_paths(w)[:2] == ["consumption_load_curve"] * 2


def test_pacing_keeps_a_long_fetch_under_twelve_requests_a_minute(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config()
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "60", "-q")
        assert result.exit_code == 0, result.output
        sim = w.simulator
        times = [
            t
            for (_, path, _), t in zip(sim.requests, sim.request_times, strict=True)
            if path.startswith("/data/proxy/")
        ]
        metering = len(sim.data_calls())  # the contracts were read at auth
    # Per direction measured: 9 curve windows, 1 daily window (+1 max power for consumption);
    # one refused call for a direction not measured. 4 plain consumers and the one without
    # hourly collection: 12 each; solar: 11; both directions: 21; the meter activated on
    # 2026-11-10: 1 refused + 6 bisection probes + 1 curve window, daily, max power,
    # production refused = 11.
    assert metering == 5 * 12 + 11 + 21 + 11
    # never more than 12 in any 60 s, so the proxy never had to say slow_down
    assert max(sum(1 for u in times if t <= u < t + timedelta(seconds=60)) for t in times) == 12
    assert (times[-1] - times[0]).total_seconds() >= (len(times) // 12) * 61


def test_bad_config_one_line_per_problem(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text('[influxdb]\napi = "v3"\nurl = "localhost:8086"\n[tarif]\noffpeak = "x"\n')
    with world(tmp_path) as w:
        result = w.run("fetch", config=config)
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f"linkyflux: {config}: influxdb.api: Input should be 'v1' or 'v2' (got 'v3')",
        f"linkyflux: {config}: influxdb.url: must start with http:// or https:// "
        "(got 'localhost:8086')",
        f"linkyflux: {config}: tarif: unknown key",
    ]


def test_bad_schedule_names_token_and_position(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        config = w.config(tariff={"offpeak": "22h00-6h00 25h00-7h00"})
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f'linkyflux: {config}: tariff.offpeak: offpeak schedule: "25h00-7h00" at position 12: '
        "hour 25 is out of range (0-24)"
    ]


def test_env_override_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LINKYFLUX_CONSENT__REQUESTS_PER_MINUTE", "0")
    with world(tmp_path) as w:
        w.config()
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        "linkyflux: LINKYFLUX_CONSENT__REQUESTS_PER_MINUTE: consent.requests_per_minute: "
        "Input should be greater than or equal to 1 (got '0')"
    ]


def test_missing_config_file(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        result = w.run("fetch", config=tmp_path / "nope.toml")
    assert result.exit_code == 3
    assert result.output.splitlines() == [f"linkyflux: {tmp_path}/nope.toml: no such config file"]


def test_missing_consent_url(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_text("[influxdb]\noutput = '-'\n")
    with world(tmp_path) as w:
        result = w.run("auth", config=config)
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f"linkyflux: {config}: consent.url is not set (see config.example.toml)"
    ]


def test_bad_days_argument_is_a_usage_error(w: World) -> None:
    result = w.run("fetch", "-d", "0")
    assert result.exit_code == 2
    assert "Invalid value for '-d' / '--days': 0 is not in the range 1<=x<=1110." in result.output


def test_bad_holiday_subdivision_names_its_own_key(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        config = w.config(tariff={"offpeak": "22h00-6h00", "holiday_subdivision": "99"})
        result = w.run("fetch")
    assert result.exit_code == 3
    line = result.output.splitlines()[0]
    assert line.startswith(
        f"linkyflux: {config}: tariff.holiday_subdivision: offpeak schedule: unknown public "
        'holiday subdivision "99" for France'
    )


SEASONAL = "hiver 1h-7h 12h-14h été 2h-6h 13h-16h"
NOT_A_DAY = 'must be a day of the year as MM-DD, such as "11-01" for 1 November'


@pytest.mark.parametrize(
    ("tariff", "problems"),
    [
        ({"winter_from": "11-31"}, [f"tariff.winter_from: {NOT_A_DAY} (got '11-31')"]),
        ({"summer_from": "avril"}, [f"tariff.summer_from: {NOT_A_DAY} (got 'avril')"]),
        (
            {"winter_from": "2026-11-01", "summer_from": "04-31"},
            [
                f"tariff.winter_from: {NOT_A_DAY} (got '2026-11-01')",
                f"tariff.summer_from: {NOT_A_DAY} (got '04-31')",
            ],
        ),
        (
            {"summer_from": "11-01"},
            [
                "tariff.summer_from: must be another day than tariff.winter_from ('11-01') "
                "(got '11-01')"
            ],
        ),
        (
            {"winter_from": "4-1"},
            [
                "tariff.summer_from: must be another day than tariff.winter_from ('4-1') "
                "(got '04-01')"
            ],
        ),
    ],
)
def test_bad_season_days_name_their_key(
    tmp_path: Path, tariff: dict[str, object], problems: list[str]
) -> None:
    with world(tmp_path) as w:
        config = w.config(tariff={"offpeak": SEASONAL, **tariff})
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.splitlines() == [f"linkyflux: {config}: {p}" for p in problems]


def test_bad_season_day_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LINKYFLUX_TARIFF__WINTER_FROM", "31-10")
    with world(tmp_path) as w:
        w.config(tariff={"offpeak": SEASONAL})
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f"linkyflux: LINKYFLUX_TARIFF__WINTER_FROM: tariff.winter_from: {NOT_A_DAY} (got '31-10')"
    ]


def test_a_season_word_with_tempo_is_a_bad_schedule(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        config = w.config(tariff={"offpeak": "TEMPO hiver"})
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.splitlines() == [
        f'linkyflux: {config}: tariff.offpeak: offpeak schedule: "TEMPO" at position 1: TEMPO '
        'stands alone (offpeak = "TEMPO"): no season, day, range or other word with it'
    ]
