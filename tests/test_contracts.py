from __future__ import annotations

from datetime import date

import pytest

from linkyflux.contracts import Contract, describe, from_2026, from_v5
from linkyflux.errors import DataError

PRM = "01234567890123"
V5 = {  # cyr-ius/myelectricaldatapy tests/fixtures/contract.json, as enedis-api.md §4.1 quotes it
    "customer": {
        "customer_id": "-1137954749",
        "usage_points": [
            {
                "usage_point": {
                    "usage_point_id": PRM,
                    "usage_point_status": "com",
                    "meter_type": "AMM",
                },
                "contracts": {
                    "segment": "C5",
                    "subscribed_power": "9 kVA",
                    "last_activation_date": "2006-05-24+02:00",
                    "distribution_tariff": "BTINFMUDT",
                    "offpeak_hours": "HC (1H30-8H00;12H30-14H00)",
                    "contract_status": "SERVC",
                    "last_distribution_tariff_change_date": "2019-09-13+02:00",
                },
            }
        ],
    }
}
EXPECTED = Contract(PRM, 9.0, "BTINFMUDT", "HC (1H30-8H00;12H30-14H00)", "SERVC", date(2006, 5, 24))


def test_v5() -> None:
    assert from_v5(V5, PRM) == EXPECTED


def test_2026_as_aggregated() -> None:
    situation = [{"distribution_tariff": "BTINFMUDT", "contract_status": "SERVC",
                  "subscribed_power": {"value": "9", "unit": "kVA"}}]  # fmt: skip
    synthese = {"consumption_last_activation_date": "2006-05-24"}
    comptage = {"relais": {"plageHeuresCreuses": "HC (1H30-8H00;12H30-14H00)"}}
    assert from_2026(situation, synthese, comptage, PRM) == EXPECTED
    assert from_2026(situation, synthese, None, PRM).offpeak_hours is None  # comptage refused


def test_bad_v5_body() -> None:
    with pytest.raises(DataError) as info:
        from_v5({"customer": {"usage_points": []}}, PRM)
    assert str(info.value) == (
        f"customers_upc/v5/usage_points/contracts for {PRM}: no customer.usage_points[0].contracts"
    )


@pytest.mark.parametrize(
    ("code", "single"),
    [("BTINFCUST", True), ("BTINFMUST", True), ("BTINFMUDT", False), ("BTINFCU4", False)],
)
def test_single_rate_codes(code: str, single: bool) -> None:
    assert Contract(PRM, 6, code, None, None, None).single_rate is single


def test_describe() -> None:
    assert describe(EXPECTED) == (
        "9 kVA, BTINFMUDT (HP/HC), off-peak HC (1H30-8H00;12H30-14H00), SERVC, "
        "active since 2006-05-24"
    )
    assert Contract.from_json(EXPECTED.to_json()) == EXPECTED
