"""MyElectricalData as it really answers (issue #13 items 1 and 2, real-answers.md 1-3).

Errors come with HTTP 200 and ``{success: false, data: null, error: {code, message, field}}``;
each code must end as the Enedis answer it stands for. An older instance ignores
``X-MED-Format: 2026`` and answers v5 bodies: ``auto`` reads them and remembers v5.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkyflux.settings import Settings
from linkyflux.simulator import myelectricaldata as simulator_med
from linkyflux.simulator.myelectricaldata import MED_CLIENT_SECRET, _shift_to_starts
from linkyflux.sources.dialects import DIALECTS, V5, V2026
from linkyflux.sources.enedis import Request, curve_readings, error_of
from linkyflux.sources.gateways.myelectricaldata import MyElectricalDataGateway
from linkyflux.timeutil import PARIS

from simenv import World, world

HOUSE = "22516914714270"  # consumption only
SOLAR = "24880057139941"  # production only
LATE = "11453290002823"  # activated on 2026-11-10
TODAY = date(2026, 11, 22)
WEEK = [TODAY - timedelta(days=n) for n in range(7, 0, -1)]  # 11-15 .. 11-21


def configure(w: World, api: str = "auto", **sections: dict[str, object]) -> None:
    """config.toml for MyElectricalData at the simulator (and any other ``sections``)."""
    w.config(
        consent={
            "kind": "myelectricaldata",
            "url": w.url + "/med/api",
            "client_secret": MED_CLIENT_SECRET,
        },
        enedis={"api": api},
        tariff={"offpeak": "22h00-6h00"},
        **sections,
    )


@contextmanager
def med(home: Path, *prms: str, api: str = "auto", **options: Any) -> Iterator[World]:
    """A world whose MyElectricalData account holds ``prms``, `linkyflux auth` done."""
    home.mkdir(exist_ok=True)
    with world(home, today=TODAY, **options) as w:
        w.consent = w.simulator.consent = prms
        configure(w, api)
        result = w.run("auth")
        assert result.exit_code == 0, result.output
        yield w


def last_line(output: str) -> str:
    return output.splitlines()[-1]


def status(w: World) -> dict[str, Any]:
    result = w.run("status", "--json")
    body: dict[str, Any] = json.loads(result.output)
    return body


def truth(w: World, prms: tuple[str, ...], days: list[date]) -> tuple[dict[Any, float], ...]:
    """Ground truth: curve power per (prm, direction, start s), daily energy per (…, day s)."""
    curve, daily = {}, {}
    for prm in prms:
        for direction in ("consumption", "production"):
            for day in days:
                for i in w.simulator.truth_curve(prm, direction, day):
                    curve[(prm, direction, int(i.start.timestamp()))] = float(i.power_w)
                energy = w.simulator.truth_daily(prm, direction, day)
                if energy is not None:
                    start = int(datetime.combine(day, datetime.min.time(), PARIS).timestamp())
                    daily[(prm, direction, start)] = float(energy)
    return curve, daily


def written(lines: list[str]) -> tuple[dict[Any, float], ...]:
    """The same, read back from the line protocol written."""
    curve, daily = {}, {}
    for text in lines:
        head, fields, ts = text.split(" ")
        measurement, *pairs = head.split(",")
        tags = dict(p.split("=") for p in pairs)
        values = dict(f.split("=") for f in fields.split(","))
        if measurement == "linky_load_curve":
            curve[(tags["usage_point_id"], tags["direction"], int(ts))] = float(values["power_w"])
        elif measurement == "linky_daily":
            daily[(tags["usage_point_id"], tags["direction"], int(ts))] = float(values["energy_wh"])
    return curve, daily


# ----------------------------------------------------------------------------- item 1
def test_consumption_and_solar_meters_in_auto_mode_into_influxdb_1x(
    influx1: Any, tmp_path: Path
) -> None:
    """Each meter's other direction is refused with a 200 ENEDIS_ERROR "ADAM-ERR0069: …":
    the run ends 0, the points are the ground truth, and the refusal is remembered."""
    with med(tmp_path, HOUSE, SOLAR) as w:
        influxdb = {"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""}
        configure(w, influxdb=influxdb)
        result = w.run("fetch", "-d", "7")
        assert result.exit_code == 0, result.output
        directions = {prm: p["directions"] for prm, p in status(w)["usage_points"].items()}
        assert directions == {
            HOUSE: {"consumption": True, "production": False},
            SOLAR: {"consumption": False, "production": True},
        }
        curve, daily = truth(w, (HOUSE, SOLAR), WEEK)
        calls = len(w.simulator.data_calls())
        # the next run does not ask again for the directions refused
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0
        asked = {
            (p.rsplit("/", 1)[-1], q["usage_point_id"]) for p, q in w.simulator.data_calls()[calls:]
        }
        assert asked == {
            ("consumption_load_curve", HOUSE),
            ("daily_consumption", HOUSE),
            ("daily_consumption_max_power", HOUSE),
            ("production_load_curve", SOLAR),
            ("daily_production", SOLAR),
        }
    lo = int(datetime.combine(WEEK[0], datetime.min.time(), PARIS).timestamp())
    hi = int(datetime.combine(TODAY, datetime.min.time(), PARIS).timestamp())
    got_curve: dict[Any, float] = {}
    for s in influx1.query(
        f"SELECT power_w FROM linky_load_curve WHERE time >= {lo}s AND time < {hi}s "
        "GROUP BY usage_point_id, direction"
    ):
        for ts, power in s["values"]:
            got_curve[(s["tags"]["usage_point_id"], s["tags"]["direction"], ts)] = power
    got_daily: dict[Any, float] = {}
    for s in influx1.query(
        f"SELECT energy_wh FROM linky_daily WHERE time >= {lo}s AND time < {hi}s "
        "GROUP BY usage_point_id, direction"
    ):
        for ts, energy in s["values"]:
            got_daily[(s["tags"]["usage_point_id"], s["tags"]["direction"], ts)] = energy
    assert len(curve) == 2 * 7 * 48
    assert got_curve == curve
    assert got_daily == daily


def test_the_meter_activated_on_2026_11_10_is_backfilled_from_its_activation(
    tmp_path: Path,
) -> None:
    """Before the activation MyElectricalData answers 200 ``ADAM-ERR0123``: found by bisection."""
    with med(tmp_path, LATE) as w:
        result = w.run("backfill", "--since", "2026-09-01", "-q")
        assert result.exit_code == 0, result.output
        point = status(w)["usage_points"][LATE]
        assert point["activation"] == "2026-11-10"
        assert point["directions"] == {"consumption": True, "production": False}
        days = [date(2026, 11, 10) + timedelta(days=n) for n in range(12)]
        curve, daily = truth(w, (LATE,), days)
        got_curve, got_daily = written(w.output_lines())
    assert len(curve) == 12 * 48
    assert got_curve == curve
    assert got_daily == daily


def test_the_daily_rate_limit_ends_the_run_with_5(tmp_path: Path) -> None:
    """Its key's 50 calls of the day were used elsewhere: 200 ``RATE_LIMIT_EXCEEDED``."""
    with med(tmp_path, HOUSE) as w:
        w.simulator.med_calls[w.clock.now().astimezone(UTC).date()] = 50
        result = w.run("fetch", "-q")
    assert result.exit_code == 5, result.output
    assert last_line(result.output) == (
        "linkyflux: MyElectricalData: mesure_synchrone_auto/v2/courbe_de_charge_consommation for "
        "22516914714270 [2026-11-21, 2026-11-22): 429 RATE_LIMIT_EXCEEDED: "
        "Daily rate limit exceeded (50/50). Use cache to increase limit. (the quota resets at "
        "2026-11-23 00:00 UTC) (quota exceeded: retry in 16 h)"
    )


def test_access_denied_ends_the_run_with_4(tmp_path: Path) -> None:
    """The account no longer holds the usage point: 200 ``ACCESS_DENIED`` "PDL not found"."""
    with med(tmp_path, HOUSE) as w:
        w.simulator.consent = ()
        result = w.run("fetch", "-q")
    assert result.exit_code == 4, result.output
    assert last_line(result.output) == (
        "linkyflux: MyElectricalData: mesure_synchrone_auto/v2/courbe_de_charge_consommation for "
        "22516914714270 [2026-11-21, 2026-11-22): 403 ADAM-DC-0008: PDL "
        "not found (no consent for this usage point on MyElectricalData, or consent."
        "client_secret is not the API key of the account that holds it): renew the consent "
        "with `linkyflux auth`"
    )


# ----------------------------------------------------------------------------- item 2
def test_an_older_instance_answering_v5_is_read_in_auto_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    formats: list[str | None] = []  # the X-MED-Format of each call to MyElectricalData
    serve = simulator_med.myelectricaldata

    def recorded(sim: Any, path: str, query: Any, authorization: Any, med_format: Any) -> Any:
        formats.append(med_format)
        return serve(sim, path, query, authorization, med_format)

    monkeypatch.setattr(simulator_med, "myelectricaldata", recorded)
    with med(tmp_path / "new", HOUSE, SOLAR) as new:
        assert new.run("fetch", "-d", "7", "-q").exit_code == 0
        expected = new.output_lines()
        curve, daily = truth(new, (HOUSE, SOLAR), WEEK)
    with med(tmp_path / "old", HOUSE, SOLAR) as old:
        old.simulator.med_ignores_format = True
        before = len(formats)
        result = old.run("fetch", "-d", "7", "-q")
        assert result.exit_code == 0, result.output
        assert formats[before:].count("2026") == 1  # one extra call, once
        lines = old.output_lines()
        state = json.loads((old.state_dir / "state.json").read_text())
        assert state["dialects"] == {f"{old.url}/med/api": "v5"}
        # once remembered, every call is a v5 one: no 2026 request is made again
        calls = len(formats)
        old.clock.advance(86400)
        assert old.run("fetch", "-q").exit_code == 0
        assert len(formats) > calls
        assert set(formats[calls:]) == {None}
    assert lines == expected
    assert written(lines) == (curve, daily)


def test_an_older_instance_with_the_2026_dialect_forced(tmp_path: Path) -> None:
    with med(tmp_path, HOUSE, api="2026") as w:
        w.simulator.med_ignores_format = True
        result = w.run("fetch", "-q")
    assert result.exit_code == 3, result.output
    assert last_line(result.output) == (
        f'linkyflux: {w.home / "config.toml"}: enedis.api = "2026", but MyElectricalData at '
        f"{w.url}/med/api answers in the v5 format (an older instance: it ignores "
        'X-MED-Format: 2026): set enedis.api = "v5" or "auto"'
    )


# ----------------------------------------------------------------------------- the mapping
def _med_answer(
    code: str, message: str, path: str = "enedis/consumption/daily/1"
) -> httpx.Response:
    body = {
        "success": False,
        "data": None,
        "error": {"code": code, "message": message, "field": None},
        "timestamp": "2026-11-22T08:00:00",
    }
    return httpx.Response(200, json=body, request=httpx.Request("GET", f"http://med/api/{path}"))


GATEWAY = MyElectricalDataGateway(
    Settings(consent={"kind": "myelectricaldata", "url": "http://med/api"})
)


@pytest.mark.parametrize(
    ("code", "message", "status", "enedis_code"),
    [
        ("NO_DATA", "No data for this period", 404, "no_data_found"),
        (
            "ENEDIS_ERROR",
            "ADAM-ERR0069: no production measure for this usage point",
            400,
            "ADAM-ERR0069",
        ),
        (
            "ENEDIS_ERROR",
            "Enedis API error 404: no_data_found: no measure found",
            404,
            "no_data_found",
        ),
        ("ENEDIS_ERROR", "ADAM-DC-0008: No consent can be found", 403, "ADAM-DC-0008"),
        (
            "ENEDIS_ERROR",
            "technical_error: Technical error. Please try later.",
            500,
            "technical_error",
        ),
        ("ENEDIS_ERROR", "Enedis answered something else", 502, "ENEDIS_ERROR"),
        (
            "ADAM-ERR0123",
            "The requested period cannot be anterior to the meter's last activation date",
            400,
            "ADAM-ERR0123",
        ),
        (
            "RATE_LIMIT_EXCEEDED",
            "Daily rate limit exceeded (50/50). Use cache to increase limit.",
            429,
            "RATE_LIMIT_EXCEEDED",
        ),
        ("ACCESS_DENIED", "PDL not found", 403, "ADAM-DC-0008"),
        # Enedis' own quota, through the gateway: its hint stays in the description
        (
            "ENEDIS_ERROR",
            "Quota Q3 reached: Call threshold allowed on 0:00:02",
            429,
            "ENEDIS_ERROR",
        ),
        (
            "ENEDIS_ERROR",
            "invalid_request: The end date parameter must be earlier than the current date.",
            400,
            "invalid_request",
        ),
    ],
)
def test_each_error_code_is_the_enedis_answer_it_stands_for(
    code: str, message: str, status: int, enedis_code: str
) -> None:
    answer = GATEWAY.normalize(_med_answer(code, message), V2026)
    assert (answer.status_code, error_of(answer)[0]) == (status, enedis_code)


def test_a_v5_body_to_a_2026_request_is_a_dialect_not_served() -> None:
    body = {"success": True, "data": {"meter_reading": {"interval_reading": []}}, "error": None}
    answer = GATEWAY.normalize(httpx.Response(200, json=body), V2026)
    assert answer.status_code == 404
    assert error_of(answer)[0] == ""
    # the same body to a v5 request is the data
    assert GATEWAY.normalize(httpx.Response(200, json=body), V5).json() == body["data"]


# ----------------------------------------------------------------------------- item 3
def test_points_without_their_step_are_not_moved_by_the_gateway() -> None:
    """MyElectricalData moves a curve date back to the interval start only when the point
    carries its step; a point without one keeps Enedis' end label (PT30M then)."""
    raw = [
        {"value": "100", "date": "2026-11-21 00:30:00", "interval_length": "PT30M"},
        {"value": "200", "date": "2026-11-21 01:00:00"},
    ]
    shifted = _shift_to_starts({"meter_reading": {"interval_reading": [dict(i) for i in raw]}})
    dates = [i["date"] for i in shifted["meter_reading"]["interval_reading"]]
    assert dates == ["2026-11-21 00:00:00", "2026-11-21 01:00:00"]
    points = {
        "grandeur": [
            {
                "points": [
                    {"v": "100", "d": "2026-11-21 00:30:00", "p": "PT30M"},
                    {"v": "200", "d": "2026-11-21 01:00:00"},
                ]
            }
        ]
    }
    assert [p["d"] for p in _shift_to_starts(points)["grandeur"][0]["points"]] == dates
    # the client reads both as the intervals they are
    for dialect, data in ((DIALECTS["v5"], shifted), (DIALECTS["2026"], points)):
        body = {"success": True, "data": data, "error": None}
        request = httpx.Request("GET", f"http://med/api/enedis/consumption/detail/{HOUSE}")
        answer = GATEWAY.normalize(httpx.Response(200, json=body, request=request), dialect)
        req = Request(dialect.path("curve", "consumption"), HOUSE)
        items = dialect.items(answer.json(), req, "consumption")
        readings = curve_readings(items, req, "consumption", starts=True)
        assert [r.start for r in readings] == [
            datetime(2026, 11, 20, 23, 0, tzinfo=UTC),
            datetime(2026, 11, 20, 23, 30, tzinfo=UTC),
        ], dialect.name
