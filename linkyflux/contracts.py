"""Contract data (subscribed power, tariff code, off-peak hours, status, activation date),
in either dialect, through whichever gateway, normalised into one :class:`Contract`.

- v5: ``customers_upc/v5/usage_points/contracts?usage_point_id=…`` →
  ``customer.usage_points[0].contracts`` (``"subscribed_power": "9 kVA"``,
  ``"last_activation_date": "2006-05-24+02:00"``, ``"offpeak_hours": "HC (…)"``).
- 2026: ``situation_contrat_auto/v1/{prm}``, ``synth_contrat_auto/v1/{prm}`` and
  ``comptage_auto/v1/{prm}`` (the PRM in the path). Their field names are not documented in
  our sources; we read them as MyElectricalData's 2026 adapter aggregates them
  (``situation_contrat[].subscribed_power.value``, ``synthese_contrat.
  consumption_last_activation_date``, ``comptage.relais.plageHeuresCreuses``): inferred.

Customer data exists only for consumption usage points: a production-only one has none.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from linkyflux.errors import DataError

V5_PATH = "customers_upc/v5/usage_points/contracts"
ITC_2026 = ("situation_contrat_auto", "synth_contrat_auto", "comptage_auto")
# Distribution tariffs with off-peak hours end in DT (or 4, seasonal); ST is single rate.
_TWO_RATES = re.compile(r"(DT|4)$")


@dataclass(frozen=True)
class Contract:
    usage_point_id: str
    subscribed_power_kva: float | None
    tariff_code: str | None
    offpeak_hours: str | None
    status: str | None
    activation: date | None

    @property
    def single_rate(self) -> bool:
        return bool(self.tariff_code) and not _TWO_RATES.search(self.tariff_code or "")

    def to_json(self) -> dict[str, Any]:
        raw = asdict(self)
        raw["activation"] = self.activation.isoformat() if self.activation else None
        return raw

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Contract:
        activation = raw.get("activation")
        return cls(
            usage_point_id=str(raw["usage_point_id"]),
            subscribed_power_kva=raw.get("subscribed_power_kva"),
            tariff_code=raw.get("tariff_code"),
            offpeak_hours=raw.get("offpeak_hours"),
            status=raw.get("status"),
            activation=date.fromisoformat(activation) if activation else None,
        )


def _kva(raw: Any) -> float | None:
    if raw is None:
        return None
    if isinstance(raw, dict):
        raw = raw.get("value")
    match = re.match(r"\s*(\d+(?:[.,]\d+)?)", str(raw))
    return float(match.group(1).replace(",", ".")) if match else None


def _date(raw: Any) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(str(raw)[:10])  # "2006-05-24+02:00" or "2006-05-24"
    except ValueError:
        return None


def from_v5(body: dict[str, Any], usage_point_id: str) -> Contract:
    try:
        usage_point = body["customer"]["usage_points"][0]
        contracts = usage_point["contracts"]
    except (KeyError, IndexError, TypeError):
        raise DataError(
            f"{V5_PATH} for {usage_point_id}: no customer.usage_points[0].contracts"
        ) from None
    return Contract(
        usage_point_id=usage_point_id,
        subscribed_power_kva=_kva(contracts.get("subscribed_power")),
        tariff_code=contracts.get("distribution_tariff"),
        offpeak_hours=contracts.get("offpeak_hours"),
        status=contracts.get("contract_status"),
        activation=_date(contracts.get("last_activation_date")),
    )


def from_2026(situation: Any, synthese: Any, comptage: Any, usage_point_id: str) -> Contract:
    first = situation[0] if isinstance(situation, list) and situation else situation
    if not isinstance(first, dict):
        raise DataError(f"situation_contrat_auto for {usage_point_id}: no contract situation")
    synthese = synthese if isinstance(synthese, dict) else {}
    relais = (comptage or {}).get("relais") if isinstance(comptage, dict) else None
    return Contract(
        usage_point_id=usage_point_id,
        subscribed_power_kva=_kva(first.get("subscribed_power")),
        tariff_code=first.get("distribution_tariff"),
        offpeak_hours=(relais or {}).get("plageHeuresCreuses"),
        status=first.get("contract_status"),
        activation=_date(synthese.get("consumption_last_activation_date")),
    )


def describe(contract: Contract | None) -> str:
    if contract is None:
        return "no contract data (a production-only point, or a gateway without contracts)"
    parts = []
    if contract.subscribed_power_kva is not None:
        parts.append(f"{contract.subscribed_power_kva:g} kVA")
    if contract.tariff_code:
        rates = "single rate" if contract.single_rate else "HP/HC"
        parts.append(f"{contract.tariff_code} ({rates})")
    if contract.offpeak_hours:
        parts.append(f"off-peak {contract.offpeak_hours}")
    if contract.status:
        parts.append(contract.status)
    if contract.activation:
        parts.append(f"active since {contract.activation}")
    return ", ".join(parts)
