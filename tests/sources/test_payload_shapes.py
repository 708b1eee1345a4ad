"""Answers in shapes the gateways were not seen to send: read right, or one clear line.

Each unexpected shape is a DataError naming the path, the usage point and the field, never a
wrong tag or a traceback (issue #13, items 6 and 7; real-answers.md items 7, 8 and 12).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from linkyflux.errors import DataError
from linkyflux.models import CurveReading
from linkyflux.sinks import schema
from linkyflux.sinks.lineprotocol import line
from linkyflux.sinks.points import contract_line, curve_lines
from linkyflux.sources.contracts import Contract, describe, from_2026, from_v5
from linkyflux.sources.dialects import V5, V2026
from linkyflux.sources.enedis import Request, curve_readings, daily_readings, max_power_readings
from linkyflux.tariffs.classifier import Classifier
from linkyflux.timeutil import PARIS

from simenv import World, consented, world

PRM = "01234567890123"
HOUSE = "22516914714270"
CURVE = Request(
    "metering_data_clc/v5/consumption_load_curve", PRM, date(2026, 10, 25), date(2026, 10, 26)
)
CURVE_2026 = Request(
    "mesure_synchrone_auto/v2/courbe_de_charge_consommation",
    PRM,
    date(2026, 10, 25),
    date(2026, 10, 26),
)
DAILY = Request("metering_data_dc/v5/daily_consumption", PRM, date(2023, 4, 1), date(2023, 4, 4))
POWER = Request(
    "metering_data_dcmp/v5/daily_consumption_max_power", PRM, date(2023, 4, 1), date(2023, 4, 4)
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def v5(*items: dict[str, Any]) -> dict[str, Any]:
    return {"meter_reading": {"usage_point_id": PRM, "interval_reading": list(items)}}


def starts(labels: list[str], step: str = "PT30M", **kwargs: Any) -> list[datetime]:
    """The UTC starts read from end labels (``HH:MM`` on 2026-10-25 unless a date is given)."""
    items = [
        {"value": "1", "date": t if len(t) > 5 else f"2026-10-25 {t}:00", "interval_length": step}
        for t in labels
    ]
    return [r.start for r in curve_readings(items, CURVE, "consumption", **kwargs)]


# ----------------------------------------------------------------- the October day (item 6)
def test_october_first_pass_missing_is_read_as_the_second_pass() -> None:
    """The repeated 02:00 and 02:30 labels come once, for the second pass (CET): they end
    at 01:00 and 01:30 UTC, and chain into 03:00 CET (02:00 UTC, started 01:30 UTC)."""
    assert starts(["01:00", "01:30", "02:00", "02:30", "03:00", "03:30"]) == [
        utc(2026, 10, 24, 22, 30),
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 25, 0, 30),  # 02:00 CET ends 01:00 UTC
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 2, 0),
    ]


def test_october_day_without_its_first_pass_every_start() -> None:
    """The whole day, 48 points of the 50: every start is the instant it was, the two
    missing intervals (23:30 and 00:00 UTC, labels 02:00 and 02:30 CEST) left as a gap."""
    day_start = utc(2026, 10, 24, 22, 0)
    truth = [day_start + timedelta(minutes=30 * n) for n in range(50)]
    missing = {utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0, 0)}
    labels = [
        (t + timedelta(minutes=30)).astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")
        for t in truth
        if t not in missing
    ]
    assert labels.count("2026-10-25 02:00:00") == labels.count("2026-10-25 02:30:00") == 1
    got = starts(labels)
    assert len(got) == 48
    assert got == [t for t in truth if t not in missing]
    assert got[:6] == [
        utc(2026, 10, 24, 22, 0),
        utc(2026, 10, 24, 22, 30),
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
    ]
    assert got[-1] == utc(2026, 10, 25, 22, 30)


@pytest.mark.parametrize(
    ("labels", "step", "expected"),
    [
        # both passes: the label going back starts the second pass
        (
            ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"],
            "PT30M",
            [(10, 24, 23, 0), (10, 24, 23, 30), (10, 25, 0, 0), (10, 25, 0, 30),
             (10, 25, 1, 0), (10, 25, 1, 30)],
        ),
        # one label of the first pass only: it follows 01:30 CEST, and 03:00 does not follow it
        (["01:30", "02:00", "03:00"], "PT30M",
         [(10, 24, 23, 0), (10, 24, 23, 30), (10, 25, 1, 30)]),
        # one label of the second pass only: it ends where 03:00's interval starts
        (["01:30", "02:30", "03:00"], "PT30M",
         [(10, 24, 23, 0), (10, 25, 1, 0), (10, 25, 1, 30)]),
        # hourly points, the first 02:00 missing
        (["01:00", "02:00", "03:00"], "PT60M", [(10, 24, 22, 0), (10, 25, 0, 0), (10, 25, 1, 0)]),
        # ten-minute points, the first pass missing
        (
            ["01:50", "02:00", "02:10", "02:20", "02:30", "02:40", "02:50", "03:00", "03:10"],
            "PT10M",
            [(10, 24, 23, 40), (10, 25, 0, 50), (10, 25, 1, 0), (10, 25, 1, 10), (10, 25, 1, 20),
             (10, 25, 1, 30), (10, 25, 1, 40), (10, 25, 1, 50), (10, 25, 2, 0)],
        ),
        # the whole hour as a single point list: no neighbour says, the first occurrence
        (["02:30"], "PT30M", [(10, 25, 0, 0)]),
    ],
)  # fmt: skip
def test_october_folds_follow_the_instants(
    labels: list[str], step: str, expected: list[tuple[int, int, int, int]]
) -> None:
    assert starts(labels, step) == [utc(2026, *e) for e in expected]


def test_october_first_pass_missing_with_start_labels() -> None:
    """MyElectricalData's start labels (end label moved back on the naive local time)."""
    got = starts(["00:30", "01:00", "01:30", "02:00", "02:30", "03:00"], starts=True)
    assert got == [
        utc(2026, 10, 24, 22, 30),
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
        utc(2026, 10, 25, 2, 0),
    ]


# ------------------------------------------------------------ values and steps (item 6)
@pytest.mark.parametrize(
    ("value", "expected"),
    [("752", 752.0), ("752.0", 752.0), (752, 752.0), (752.5, 752.5), ("0", 0.0), (-3, -3.0)],
)
def test_values_as_numbers_or_strings(value: object, expected: float) -> None:
    items = [{"value": value, "date": "2023-04-01 00:30:00"}]  # no interval_length: PT30M
    readings = curve_readings(items, CURVE, "consumption")
    assert [(r.start, r.minutes, r.power_w) for r in readings] == [
        (utc(2023, 3, 31, 22, 0), 30, expected)
    ]
    daily = daily_readings([{"value": value, "date": "2023-04-01"}], DAILY, "consumption")
    assert [(d.day, d.energy_wh) for d in daily] == [(date(2023, 4, 1), expected)]


AT = "2023-04-01 00:30:00"
BAD_ITEMS = [
    ({"value": "x", "date": AT}, "interval_reading[0].value is not a number: 'x'"),
    ({"value": True, "date": AT}, "interval_reading[0].value is not a number: True"),
    ({"value": [1], "date": AT}, "interval_reading[0].value is not a number: [1]"),
    ({"value": None, "date": AT}, "interval_reading[0].value is not a number: None"),
    ({"date": AT}, "interval_reading[0].value is missing"),
    ({"value": "1_000", "date": AT}, "interval_reading[0].value is not a number: '1_000'"),
    ({"value": "nan", "date": AT}, "interval_reading[0].value is not finite: 'nan'"),
    ({"value": "1", "date": "01/04/2023 00:30"},
     "interval_reading[0].date is not a local date and time like '2023-04-01 00:30:00': "
     "'01/04/2023 00:30'"),
    ({"value": "1", "date": 20230401},
     "interval_reading[0].date is not a local date and time like '2023-04-01 00:30:00': 20230401"),
    ({"value": "1"}, "interval_reading[0].date is missing"),
    ({"value": "1", "date": AT, "interval_length": "P1D"},
     "interval_reading[0].interval_length is not a step like 'PT30M': 'P1D'"),
    ({"value": "1", "date": AT, "interval_length": 30},
     "interval_reading[0].interval_length is not a step like 'PT30M': 30"),
]  # fmt: skip


@pytest.mark.parametrize(("item", "message"), BAD_ITEMS)
def test_a_bad_curve_item_is_one_line(item: dict[str, Any], message: str) -> None:
    with pytest.raises(DataError) as info:
        curve_readings([item], CURVE, "consumption")
    assert str(info.value) == f"{CURVE}: {message}"


def test_the_2026_answer_names_its_own_fields() -> None:
    body = {
        "idPrm": PRM,
        "grandeur": [
            {"grandeurMetier": "PROD", "points": [{"v": "1", "d": "2026-10-25 00:30:00"}]},
            {
                "grandeurMetier": "CONS",
                "points": [
                    {"v": "5", "d": "2026-10-25 00:30:00", "p": "PT30M"},
                    {"v": "5", "d": "2026-10-25 01:00:00", "p": "30 minutes"},
                ],
            },
        ],
    }
    items = V2026().items(body, CURVE_2026, "consumption")
    with pytest.raises(DataError) as info:
        curve_readings(items, CURVE_2026, "consumption")
    assert str(info.value) == (
        f"{CURVE_2026}: grandeur[1].points[1].p is not a step like 'PT30M': '30 minutes'"
    )
    body["grandeur"][1]["points"][1] = {"v": {"x": 1}, "d": "2026-10-25 01:00:00"}  # type: ignore[index]
    items = V2026().items(body, CURVE_2026, "consumption")
    with pytest.raises(DataError) as info:
        curve_readings(items, CURVE_2026, "consumption")
    assert str(info.value) == f"{CURVE_2026}: grandeur[1].points[1].v is not a number: {{'x': 1}}"


# ------------------------------------------------------------- dates of a day (item 6)
@pytest.mark.parametrize(
    ("raw", "day", "at"),
    [
        ("2023-04-01 12:06:20", date(2023, 4, 1), utc(2023, 4, 1, 10, 6, 20)),  # real answers
        ("2023-04-01T12:06:20+02:00", date(2023, 4, 1), utc(2023, 4, 1, 10, 6, 20)),  # documented
        ("2023-04-01 12:06:20+02:00", date(2023, 4, 1), utc(2023, 4, 1, 10, 6, 20)),
        ("2023-04-01T12:06:20", date(2023, 4, 1), utc(2023, 4, 1, 10, 6, 20)),
        ("2023-04-01T10:06:20Z", date(2023, 4, 1), utc(2023, 4, 1, 10, 6, 20)),
        ("2023-04-01T22:30:00Z", date(2023, 4, 2), utc(2023, 4, 1, 22, 30)),  # Paris' 2 April
        ("2023-04-01", date(2023, 4, 1), None),
    ],
)
def test_max_power_dates(raw: str, day: date, at: datetime | None) -> None:
    for dialect, body, req in (
        (V5(), v5({"value": "4638", "date": raw}), POWER),
        (V2026(), {"grandeur": [{"points": [{"v": 4638, "d": raw}]}]}, POWER),
    ):
        peaks = max_power_readings(dialect.items(body, req, "consumption"), req)
        assert [(p.usage_point_id, p.day, p.power_va, p.at) for p in peaks] == [
            (PRM, day, 4638.0, at)
        ]


@pytest.mark.parametrize(
    "raw", ["01/04/2023 12:06:20", "2023-04-01T25:00:00+02:00", "2023-04-01 noon", "", 20230401]
)
def test_a_max_power_date_that_is_not_a_date(raw: object) -> None:
    with pytest.raises(DataError) as info:
        max_power_readings([{"value": "4638", "date": raw}], POWER)
    assert str(info.value) == f"{POWER}: interval_reading[0].date is not a date: {raw!r}"


@pytest.mark.parametrize(
    ("raw", "day"),
    [("2023-04-01", date(2023, 4, 1)), ("2023-04-01T00:00:00+02:00", date(2023, 4, 1))],
)
def test_daily_dates(raw: str, day: date) -> None:
    assert [d.day for d in daily_readings([{"value": 1, "date": raw}], DAILY, "consumption")] == [
        day
    ]


@pytest.mark.parametrize("raw", ["2023-04-01xyz", "2023-4-1", None])
def test_a_daily_date_that_is_not_a_date(raw: object) -> None:
    with pytest.raises(DataError) as info:
        daily_readings([{"value": "1", "date": raw}], DAILY, "consumption")
    assert str(info.value) == f"{DAILY}: interval_reading[0].date is not a date: {raw!r}"


# ------------------------------------------------------------------- contracts (item 6)
SITUATION = [{"distribution_tariff": "BTINFMUDT", "contract_status": "SERVC",
              "subscribed_power": {"value": "9", "unit": "kVA"}}]  # fmt: skip
SYNTHESE = {"consumption_last_activation_date": "2006-05-24"}
COMPTAGE = {"relais": {"plageHeuresCreuses": "HC (22H00-6H00)"}}
GOOD = Contract(PRM, 9.0, "BTINFMUDT", "HC (22H00-6H00)", "SERVC", date(2006, 5, 24))


def _situation(**fields: object) -> list[dict[str, object]]:
    situation = dict(SITUATION[0], **fields)
    return [{k: v for k, v in situation.items() if v is not _MISSING}]


_MISSING = object()


@pytest.mark.parametrize(
    ("power", "kva"),
    [
        ({"value": "9", "unit": "kVA"}, 9.0),
        ({"value": 9}, 9.0),
        ({"value": "9000", "unit": "VA"}, 9.0),
        ("9 kVA", 9.0),
        ("12", 12.0),
        (9, 9.0),
        (6.5, 6.5),
        ("7,5 kVA", 7.5),
    ],
)
def test_2026_subscribed_power_shapes(power: object, kva: float) -> None:
    contract = from_2026(_situation(subscribed_power=power), SYNTHESE, COMPTAGE, PRM)
    assert contract.subscribed_power_kva == kva


BAD_2026 = [
    # (situation fields, synthese, comptage, the line)
    ({}, SYNTHESE, {"relais": {"plageHeuresCreuses": ["22H00-6H00"]}},
     f"comptage_auto for {PRM}: relais.plageHeuresCreuses is a list, not off-peak hours "
     "such as 'HC (22H00-6H00)': ['22H00-6H00']"),
    ({}, SYNTHESE, {"relais": {"plageHeuresCreuses": {"debut": "22:00", "fin": "06:00"}}},
     f"comptage_auto for {PRM}: relais.plageHeuresCreuses is an object, not off-peak hours "
     "such as 'HC (22H00-6H00)': {'debut': '22:00', 'fin': '06:00'}"),
    ({}, SYNTHESE, {"relais": {"plageHeuresCreuses": "HC variables"}},
     f"comptage_auto for {PRM}: relais.plageHeuresCreuses has no off-peak range such as "
     "'HC (22H00-6H00)': 'HC variables'"),
    ({}, SYNTHESE, {"relais": {"plageHeuresCreuses": "HC (25H00-6H00)"}},
     f"comptage_auto for {PRM}: relais.plageHeuresCreuses cannot be read (offpeak schedule: "
     '"25:00-06:00" at position 1: hour 25 is out of range (0-24)): \'HC (25H00-6H00)\''),
    ({}, SYNTHESE, {"relais": {}},
     f"comptage_auto for {PRM}: relais.plageHeuresCreuses is missing, and the tariff "
     "BTINFMUDT has off-peak hours"),
    ({}, SYNTHESE, {"relais": "HC (22H00-6H00)"},
     f"comptage_auto for {PRM}: relais is a string, not an object: 'HC (22H00-6H00)'"),
    ({"subscribed_power": "neuf kVA"}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: subscribed_power is not a power in kVA: 'neuf kVA'"),
    ({"subscribed_power": {"valeur": 9}}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: subscribed_power is not a power in kVA: {{'valeur': 9}}"),
    ({"subscribed_power": {"value": 9, "unit": "kW"}}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: subscribed_power is not a power in kVA: "
     "{'value': 9, 'unit': 'kW'}"),
    ({"subscribed_power": True}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: subscribed_power is not a power in kVA: True"),
    ({"subscribed_power": [9]}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: subscribed_power is not a power in kVA: [9]"),
    ({"distribution_tariff": 123}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: distribution_tariff is not a string: 123"),
    ({"distribution_tariff": {"code": "BTINFMUDT"}}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: distribution_tariff is not a string: "
     "{'code': 'BTINFMUDT'}"),
    ({"distribution_tariff": _MISSING}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: distribution_tariff is missing"),
    ({"contract_status": 1}, SYNTHESE, COMPTAGE,
     f"situation_contrat_auto for {PRM}: contract_status is not a string: 1"),
    ({}, {"consumption_last_activation_date": "24/05/2006"}, COMPTAGE,
     f"synth_contrat_auto for {PRM}: consumption_last_activation_date is not a date: "
     "'24/05/2006'"),
]  # fmt: skip


@pytest.mark.parametrize(("fields", "synthese", "comptage", "message"), BAD_2026)
def test_2026_contract_shapes_are_one_line(
    fields: dict[str, object], synthese: object, comptage: object, message: str
) -> None:
    with pytest.raises(DataError) as info:
        from_2026(_situation(**fields), synthese, comptage, PRM)
    assert str(info.value) == message


def test_2026_contracts_that_read() -> None:
    assert from_2026(SITUATION, SYNTHESE, COMPTAGE, PRM) == GOOD
    # a single-rate tariff needs no off-peak hours
    single = from_2026(_situation(distribution_tariff="BTINFCUST"), SYNTHESE, {"relais": {}}, PRM)
    assert (single.tariff_code, single.offpeak_hours, single.single_rate) == (
        "BTINFCUST",
        None,
        True,
    )
    # comptage_auto not served: the hours are unknown, and said so
    unknown = from_2026(SITUATION, SYNTHESE, None, PRM)
    assert unknown.offpeak_hours is None
    assert describe(unknown) == (
        "9 kVA, BTINFMUDT (HP/HC), off-peak hours unknown, SERVC, active since 2006-05-24"
    )


def _v5(**fields: object) -> dict[str, Any]:
    contracts = {
        "subscribed_power": "9 kVA",
        "last_activation_date": "2006-05-24+02:00",
        "distribution_tariff": "BTINFMUDT",
        "offpeak_hours": "HC (22H00-6H00)",
        "contract_status": "SERVC",
    }
    contracts.update(fields)  # type: ignore[arg-type]
    return {"customer": {"usage_points": [{"contracts": contracts}]}}


V5_WHERE = f"customers_upc/v5/usage_points/contracts for {PRM}: customer.usage_points[0].contracts"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"offpeak_hours": ["1H30-8H00"]},
         f"{V5_WHERE}.offpeak_hours is a list, not off-peak hours such as "
         "'HC (22H00-6H00)': ['1H30-8H00']"),
        ({"offpeak_hours": None},
         f"{V5_WHERE}.offpeak_hours is missing, and the tariff BTINFMUDT has off-peak hours"),
        ({"subscribed_power": {"value": None}},
         f"{V5_WHERE}.subscribed_power is not a power in kVA: {{'value': None}}"),
        ({"subscribed_power": "9 kVA", "offpeak_hours": {"HC": "22H00-6H00"}},
         f"{V5_WHERE}.offpeak_hours is an object, not off-peak hours such as "
         "'HC (22H00-6H00)': {'HC': '22H00-6H00'}"),
        ({"distribution_tariff": 4},
         f"{V5_WHERE}.distribution_tariff is not a string: 4"),
        ({"last_activation_date": "hier"},
         f"{V5_WHERE}.last_activation_date is not a date: 'hier'"),
    ],
)  # fmt: skip
def test_v5_contract_shapes_are_one_line(fields: dict[str, object], message: str) -> None:
    with pytest.raises(DataError) as info:
        from_v5(_v5(**fields), PRM)
    assert str(info.value) == message


def test_v5_contracts_that_read() -> None:
    assert from_v5(_v5(), PRM) == GOOD
    assert from_v5(_v5(subscribed_power=9, offpeak_hours="HC (22h00-6h00)"), PRM) == Contract(
        PRM, 9.0, "BTINFMUDT", "HC (22h00-6h00)", "SERVC", date(2006, 5, 24)
    )
    single = from_v5(_v5(distribution_tariff="BTINFCUST", offpeak_hours=None), PRM)
    assert single.single_rate and single.offpeak_hours is None


def test_a_contract_read_classifies_hc() -> None:
    contract = from_2026(SITUATION, SYNTHESE, COMPTAGE, PRM)
    classifier = Classifier([], {PRM: contract})
    at = datetime(2026, 11, 21, 23, 0, tzinfo=PARIS)
    assert classifier.classify(PRM, "consumption", at) == "HC"


# ----------------------------------------------------------- through the CLI (item 6)
def test_fetch_keeps_the_previous_contract_when_the_new_one_cannot_be_read(
    tmp_path: Path,
) -> None:
    """A month on, the 2026 comptage answer carries its off-peak hours as an object: `fetch`
    says so in one line, keeps the contract read before, and its days stay HC/HP."""
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-q").exit_code == 0
        w.simulator.change_contract(HOUSE, offpeak={"debut": "22:00", "fin": "06:00"})
        w.clock.advance(30 * 86400)
        result = w.run("fetch", "-q")
        hc = _hc_by_day(w)
        contract_lines = [ln for ln in w.output_lines() if ln.startswith("linky_contract,")]
    assert result.exit_code == 0
    assert result.output == (
        f"linkyflux: warning: {HOUSE}: the contract could not be read again (comptage_auto for "
        f"{HOUSE}: relais.plageHeuresCreuses is an object, not off-peak hours such as "
        "'HC (22H00-6H00)': {'debut': '22:00', 'fin': '06:00'})\n"
    )
    # 22h00-6h00: 16 half-hours HC every day, before and after the unreadable answer
    assert {d: hc[d] for d in ("2026-11-21", "2026-12-20", "2026-12-21")} == {
        "2026-11-21": 16,
        "2026-12-20": 16,
        "2026-12-21": 16,
    }
    assert contract_lines[-1].startswith(
        f"linky_contract,offpeak_hours=22:00-06:00,tariff_code=BTINFMUDT,usage_point_id={HOUSE} "
    )


def test_auth_and_fetch_with_a_contract_that_cannot_be_read(tmp_path: Path) -> None:
    """Read for the first time in an odd shape: a warning at `auth` and at each `fetch`, no
    traceback, no contract line made of the odd value."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        w.simulator.change_contract(HOUSE, subscribed_kva="neuf")
        auth = w.run("auth")
        fetch = w.run("fetch", "-q")
        lines = w.output_lines()
    line_of_it = (
        f"{HOUSE}: the contract could not be read%s (situation_contrat_auto for {HOUSE}: "
        "subscribed_power is not a power in kVA: {'value': 'neuf', 'unit': 'kVA'})"
    )
    assert auth.exit_code == 0
    assert f"linkyflux: warning: {line_of_it % ''}\n" in auth.output
    assert fetch.exit_code == 0
    assert fetch.output == f"linkyflux: warning: {line_of_it % ' again'}\n"
    assert not [ln for ln in lines if ln.startswith("linky_contract,")]
    assert any(ln.startswith("linky_load_curve,") for ln in lines)


def _hc_by_day(w: World) -> Counter[str]:
    days: Counter[str] = Counter()
    for ln in w.output_lines():
        if ln.startswith("linky_load_curve,") and ",tariff=HC," in ln:
            stamp = int(ln.rsplit(" ", 1)[1])
            days[datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date().isoformat()] += 1
    return days


# ------------------------------------------------------------- line protocol (item 7)
@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("BTINF\nMUDT", r"BTINF\nMUDT"),
        ("BTINF\rMUDT", r"BTINF\rMUDT"),
        ("BTINF\tMUDT", r"BTINF\tMUDT"),
        ("BTINF\r\nMUDT", r"BTINF\r\nMUDT"),
        ("a,b", r"a\,b"),
        ("a b", r"a\ b"),
        ("a=b", r"a\=b"),
        ("a\\b", r"a\\b"),
        ("a\\nb", r"a\\nb"),  # a backslash and an n: not a newline
        ("\n", r"\n"),
    ],
)
def test_tag_values_never_split_a_line(value: str, escaped: str) -> None:
    written = line("m", [("tariff_code", value), ("u", "1")], [("f", 1.0)], 7)
    assert written == f"m,tariff_code={escaped},u=1 f=1.0 7"
    assert "\n" not in written and "\r" not in written and "\t" not in written
    assert line("m", [(value, "v")], [(value, 1.0)], 7) == f"m,{escaped}=v {escaped}=1.0 7"


def test_measurement_names_never_split_a_line() -> None:
    assert line("m\n2 x,y", [], [("f", 1.0)], 7) == r"m\n2\ x\,y f=1.0 7"


def test_a_contract_label_with_a_newline_is_one_line() -> None:
    contract = Contract(PRM, 9.0, "BTINFMUDT\nX", "HC (22H00-6H00)", "SERVC", None)
    text = contract_line(contract, date(2026, 11, 21))
    assert text == (
        f"{schema.CONTRACT},offpeak_hours=22:00-06:00,tariff_code=BTINFMUDT\\nX,"
        f"usage_point_id={PRM} subscribed_power_kva=9.0 1795215600"
    )
    run = next(
        Classifier([], {}).runs(
            "a\tb\nc",
            "consumption",
            [CurveReading.at("a\tb\nc", "consumption", utc(2026, 11, 21, 0), 30, 100.0)],
        )
    )
    assert curve_lines(run) == [
        r"linky_load_curve,direction=consumption,tariff=BASE,usage_point_id=a\tb\nc "
        "energy_wh=50.0,power_w=100.0 1795219200"
    ]
