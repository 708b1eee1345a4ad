"""The simulator answers as the documents say Enedis and the proxy answer."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from linkyflux.simulator.cli import from_args

from simenv import World, world

HOUSE = "22516914714270"
CURVE = "/data/proxy/metering_data_clc/v5/consumption_load_curve"
DAILY = "/data/proxy/metering_data_dc/v5/daily_consumption"


@pytest.fixture
def w(tmp_path: Path) -> World:
    with world(tmp_path, requests_per_minute=600) as w:
        yield w


@pytest.fixture
def api(w: World) -> httpx.Client:
    return w.api_client()


def get(api: httpx.Client, path: str, start: str, end: str, prm: str = HOUSE) -> httpx.Response:
    return api.get(path, params={"start": start, "end": end, "usage_point_id": prm})


@pytest.mark.parametrize(
    ("path", "start", "end", "prm", "status", "body"),
    [
        (
            CURVE,
            "2026-11-10",
            "2026-11-18",
            HOUSE,
            400,
            {
                "error": "ADAM-DC-0015",
                "error_description": "The requested period must be less than 7 days "
                "for an access to the load curve.",
            },
        ),
        (
            CURVE,
            "2026-11-21",
            "2026-11-23",
            HOUSE,
            400,
            {
                "error": "invalid_request",
                "error_description": "The end date parameter must be earlier than "
                "the current date.",
            },
        ),
        (
            CURVE,
            "2026-11-21",
            "2026-11-21",
            HOUSE,
            400,
            {
                "error": "Invalid_request",
                "error_description": "Start date should be before end date.",
            },
        ),
        (
            CURVE,
            "2024-11-06",
            "2024-11-08",
            HOUSE,
            400,
            {
                "error": "ADAM-DC-0016",
                "error_description": "The start date must be greater than the history deadline.",
            },
        ),
        (
            DAILY,
            "2023-11-06",
            "2023-11-08",
            HOUSE,
            400,
            {
                "error": "ADAM-DC-0016",
                "error_description": "The start date must be greater than the history deadline.",
            },
        ),
        (
            CURVE,
            "2026-11-08",
            "2026-11-12",
            "11453290002823",
            400,
            {
                "error": "ADAM-ERR0123",
                "error_description": "The requested period cannot be anterior to "
                "the meter's last activation date",
            },
        ),
        (
            CURVE,
            "2026-11-20",
            "2026-11-21",
            "24880057139941",
            400,
            {
                "error": "ADAM-ERR0069",
                "error_description": "Le sens de la mesure ne correspond pas pour le PRM demandé.",
            },
        ),
        (
            CURVE,
            "2026-11-20",
            "2026-11-21",
            "32320647321714",
            404,
            {
                "error": "no_data_found",
                "error_description": "no measure found for this usage point",
            },
        ),
        (
            CURVE,
            "2026-11-20",
            "2026-11-21",
            "99999999999999",
            404,
            {"error": "Unauthorized", "error_description": "Bad access token"},
        ),
        (
            CURVE,
            "2026/11/20",
            "2026-11-21",
            HOUSE,
            400,
            {
                "error": "invalid_request",
                "error_description": "start date parameter must be in the format yyyy-mm-dd.",
            },
        ),
    ],
)
def test_documented_errors(
    api: httpx.Client, path: str, start: str, end: str, prm: str, status: int, body: dict[str, str]
) -> None:
    response = get(api, path, start, end, prm)
    assert (response.status_code, response.json()) == (status, body)


def test_horizon_boundaries(api: httpx.Client) -> None:
    # today 2026-11-22: the curve goes back 24 months and 15 days, daily data 36 months and 15.
    assert get(api, CURVE, "2024-11-07", "2024-11-08").status_code == 200
    assert get(api, CURVE, "2024-11-06", "2024-11-07").status_code == 400
    assert get(api, DAILY, "2023-11-07", "2023-11-08").status_code == 200
    assert get(api, DAILY, "2023-11-06", "2023-11-07").status_code == 400


def test_seven_days_is_the_largest_curve_window(api: httpx.Client) -> None:
    body = get(api, CURVE, "2026-11-15", "2026-11-22").json()["meter_reading"]
    assert len(body["interval_reading"]) == 7 * 48
    assert body["interval_reading"][0] == {
        "value": body["interval_reading"][0]["value"],
        "date": "2026-11-15 00:30:00",
        "interval_length": "PT30M",
        "measure_type": "B",
    }
    assert body["reading_type"] == {
        "unit": "W",
        "measurement_kind": "power",
        "aggregate": "average",
    }


def test_proxy_token_errors(w: World) -> None:
    http = httpx.Client(base_url=w.url)
    params = {"start": "2026-11-20", "end": "2026-11-21", "usage_point_id": HOUSE}
    assert http.get(CURVE, params=params).json() == {
        "error": "Unauthorized",
        "error_description": "Autorization missing",
    }
    answer = http.get(CURVE, params=params, headers={"Authorization": "Bearer nope"})
    assert (answer.status_code, answer.json()["error_description"]) == (
        403,
        "Access token not found",
    )


def test_publication_at_eight(tmp_path: Path) -> None:
    with world(tmp_path, hour=7) as w:
        http = w.api_client()
        assert get(http, CURVE, "2026-11-21", "2026-11-22").status_code == 404
        w.clock.advance(3600)
        assert get(http, CURVE, "2026-11-21", "2026-11-22").status_code == 200


def test_control_endpoints_over_http(w: World, api: httpx.Client) -> None:
    http = httpx.Client(base_url=w.url)
    truth = http.get("/_sim/truth", params={"usage_point_id": HOUSE, "day": "2026-10-25"}).json()
    curve = w.simulator.truth_curve(HOUSE, "consumption", date(2026, 10, 25))
    assert truth == {
        "usage_point_id": HOUSE,
        "direction": "consumption",
        "day": "2026-10-25",
        "points": 50,
        "curve_energy_wh": sum(i.energy_wh for i in curve),
        "first_start": "2026-10-24T22:00:00+00:00",
        "last_start": "2026-10-25T22:30:00+00:00",
        "daily_energy_wh": w.simulator.truth_daily(HOUSE, "consumption", date(2026, 10, 25)),
        "max_power_va": w.simulator.truth_max_power(HOUSE, date(2026, 10, 25)),
    }
    assert http.post("/_sim/faults", json={"kind": "technical_error", "count": 1}).json() == {
        "ok": True
    }
    failed = get(api, CURVE, "2026-11-20", "2026-11-21")
    assert (failed.status_code, failed.json()) == (
        500,
        {"error": "technical_error", "error_description": "Technical error. Please try later."},
    )
    assert get(api, CURVE, "2026-11-20", "2026-11-21").status_code == 200
    assert http.post("/_sim/faults", json={"kind": "nope"}).status_code == 400
    assert http.get("/_sim/now").json() == {
        "now": "2026-11-22T08:00:05+00:00",
        "today": "2026-11-22",
    }


def test_the_command_line_makes_the_simulator_as_rude_as_asked() -> None:
    polite, _ = from_args([])
    assert (polite.dialects, polite.unserved_dialect_404) == (("v5", "2026"), "page")
    assert (polite.rotate_refresh_tokens, polite.med_ignores_format) == (False, False)
    assert polite.serves_contracts
    rude, _ = from_args(
        [
            "--dialects",
            "v5",
            "--coded-404",
            "--rotate-refresh-tokens",
            "--old-myelectricaldata",
            "--no-contracts",
        ]
    )
    assert (rude.dialects, rude.unserved_dialect_404) == (("v5",), "coded")
    assert (rude.rotate_refresh_tokens, rude.med_ignores_format) == (True, True)
    assert not rude.serves_contracts
    reply = rude.enedis_call("mesure_synchrone_auto/v2/consommation_quotidienne", {})
    assert (reply.status, json.loads(reply.body)["error"]) == (404, "not_found")
    reply = rude.enedis_call("customers_upc/v5/usage_points/contracts", {})
    assert reply.status == 404 and reply.content_type.startswith("text/html")
