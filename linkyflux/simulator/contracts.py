"""Enedis' contract APIs, as the simulated meters answer them: v5
``customers_upc/v5/usage_points/contracts`` and the three 2026 APIs with the usage point in
the path (``situation_contrat_auto/v1/``, ``synth_contrat_auto/v1/``, ``comptage_auto/v1/``).

Shapes after ``../shared/docs/enedis-api.md`` (§4.1, §9); the 2026 field names as
MyElectricalData's adapter reads them.
"""

from __future__ import annotations

from linkyflux.simulator.reply import NO_CONSENT, Reply, dialect_error, json_reply
from linkyflux.simulator.synthetic import Meter

CONTRACT_V5 = "customers_upc/v5/usage_points/contracts"
CONTRACT_2026 = ("situation_contrat_auto/v1/", "synth_contrat_auto/v1/", "comptage_auto/v1/")


def is_contract(path: str) -> bool:
    return path == CONTRACT_V5 or path.startswith(CONTRACT_2026)


def usage_point_of(path: str, query: dict[str, str]) -> str:
    """The usage point a call is about: in the path (2026 contracts) or in the query."""
    if path.startswith(CONTRACT_2026):
        return path.rsplit("/", 1)[-1]
    return query.get("pointId") or query.get("usage_point_id", "")


def contract(path: str, query: dict[str, str], meter: Meter | None) -> Reply:
    """Contract data, v5 or 2026 (shapes as MyElectricalData's adapter reads them), of
    ``meter`` (None: an unknown usage point)."""
    usage_point_id = usage_point_of(path, query)
    v2026 = path != CONTRACT_V5
    if meter is not None and meter.revoked:
        return dialect_error(v2026, 403, "ADAM-DC-0008", NO_CONSENT)
    if meter is None or "consumption" not in meter.directions:
        return dialect_error(v2026, 404, "no_data_found", "no measure found for this usage point")
    if path == CONTRACT_V5:
        contracts = {
            "segment": "C5",
            "subscribed_power": f"{meter.subscribed_kva} kVA",
            "last_activation_date": f"{meter.activation.isoformat()}+01:00",
            "distribution_tariff": meter.tariff,
            "offpeak_hours": meter.offpeak,
            "contract_status": "SERVC",
        }
        usage_point = {
            "usage_point_id": usage_point_id,
            "usage_point_status": "com",
            "meter_type": "AMM",
        }
        body = {"customer": {"customer_id": "-1137954749", "usage_points": [
            {"usage_point": usage_point, "contracts": contracts}]}}  # fmt: skip
        return json_reply(200, body)
    if path.startswith("situation_contrat_auto/"):
        situation = {
            "segment": "C5",
            "contract_type": "CARD-S",
            "distribution_tariff": meter.tariff,
            "contract_status": "SERVC",
            "subscribed_power": {"value": str(meter.subscribed_kva), "unit": "kVA"},
        }
        return json_reply(200, [situation])
    if path.startswith("synth_contrat_auto/"):
        return json_reply(200, {"consumption_last_activation_date": meter.activation.isoformat()})
    relais = {"plageHeuresCreuses": meter.offpeak} if meter.offpeak else {}
    return json_reply(200, {"relais": relais})
