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

Every field is checked as it is read (a subscribed power as ``"9 kVA"``, ``9``, ``"9"`` or
``{"value": "9", "unit": "kVA"}``; texts as texts; off-peak hours as ``"HC (…)"`` text with
at least one range, required for a two-rate tariff): any other shape is a DataError naming
the API, the usage point and the field, so the caller keeps the contract it read before
rather than tag days BASE with a contract read wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from linkyflux.errors import DataError
from linkyflux.models import TWO_RATES, Contract

V5_PATH = "customers_upc/v5/usage_points/contracts"
ITC_2026 = ("situation_contrat_auto", "synth_contrat_auto", "comptage_auto")
# --------------------------------------------------------------------------- reading
# Each field is read for what it is, or the answer is refused in one line naming the API,
# the usage point and the field: a contract read wrong would tag every day written with it
# (an HC/HP contract taken for BASE), so a contract that cannot be read is an error (the
# caller keeps the contract it read before), never a guess.
EXAMPLE_HOURS = "HC (22H00-6H00)"
_KVA_TEXT = re.compile(r"\s*(\d+(?:[.,]\d+)?)\s*(kVA|VA)?\s*", re.IGNORECASE)
_DATE_TEXT = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
)


def _shape(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


@dataclass(frozen=True)
class _Fields:
    """One JSON object of a contract answer: ``where`` names the API and the usage point,
    ``prefix`` the object's place in the answer."""

    raw: dict[str, Any]
    where: str
    prefix: str = ""

    @classmethod
    def of(cls, raw: Any, where: str, name: str = "", prefix: str = "") -> _Fields:
        """The object ``raw`` found at ``prefix + name`` (the answer itself without a name)."""
        if not isinstance(raw, dict):
            what = f"{prefix}{name}" if name else "the answer"
            raise DataError(f"{where}: {what} is {_shape(raw)}, not an object: {raw!r}")
        return cls(raw, where, f"{prefix}{name}." if name else prefix)

    def error(self, key: str, problem: str) -> DataError:
        return DataError(f"{self.where}: {self.prefix}{key} {problem}")

    def get(self, key: str) -> Any:
        """The field's value; None (or an empty text) when it is missing."""
        value = self.raw.get(key)
        return None if value == "" else value

    def text(self, key: str, *, required: bool = False) -> str | None:
        value = self.get(key)
        if value is None:
            if required:
                raise self.error(key, "is missing")
            return None
        if not isinstance(value, str):
            raise self.error(key, f"is not a string: {value!r}")
        return value.strip()

    def kva(self, key: str) -> float | None:
        """A subscribed power: ``"9 kVA"``, ``9``, ``"9"`` or ``{"value": "9", "unit": "kVA"}``."""
        raw = self.get(key)
        if raw is None:
            return None
        value, unit = raw, "kVA"
        if isinstance(raw, dict):
            value, unit = raw.get("value"), raw.get("unit") or "kVA"
        number: float | None = None
        if isinstance(value, int | float) and not isinstance(value, bool):
            number = float(value)
        elif isinstance(value, str) and (match := _KVA_TEXT.fullmatch(value)):
            number = float(match.group(1).replace(",", "."))
            unit = match.group(2) or unit
        if (
            number is None
            or not isinstance(unit, str)
            or unit.lower() not in ("kva", "va")
            or not 0 < number < float("inf")
        ):
            raise self.error(key, f"is not a power in kVA: {raw!r}")
        return number / 1000 if unit.lower() == "va" else number

    def day(self, key: str) -> date | None:
        """``"2006-05-24+02:00"`` or ``"2006-05-24"`` (a time after it is allowed)."""
        raw = self.get(key)
        if raw is None:
            return None
        match = _DATE_TEXT.fullmatch(raw) if isinstance(raw, str) else None
        try:
            if match:
                return date.fromisoformat(match.group(1))
        except ValueError:
            pass
        raise self.error(key, f"is not a date: {raw!r}")

    def offpeak(self, key: str, tariff: str) -> str | None:
        """Off-peak hours text (``"HC (22H00-6H00)"``) with at least one range; required
        for a two-rate tariff, or its days would all be taken for BASE."""
        raw = self.get(key)
        if raw is None:
            if TWO_RATES.search(tariff):
                raise self.error(key, f"is missing, and the tariff {tariff} has off-peak hours")
            return None
        if not isinstance(raw, str):
            problem = f"is {_shape(raw)}, not off-peak hours such as {EXAMPLE_HOURS!r}: {raw!r}"
            raise self.error(key, problem)
        from linkyflux.tariffs.classifier import (  # (they need Contract)
            contract_ranges,
            contract_schedule,
        )
        from linkyflux.tariffs.schedule import ScheduleError

        if not contract_ranges(raw):
            problem = f"has no off-peak range such as {EXAMPLE_HOURS!r}: {raw!r}"
            raise self.error(key, problem)
        try:
            contract_schedule(raw)
        except ScheduleError as exc:
            raise self.error(key, f"cannot be read ({exc}): {raw!r}") from None
        return raw


def from_v5(body: dict[str, Any], usage_point_id: str) -> Contract:
    where = f"{V5_PATH} for {usage_point_id}"
    try:
        usage_point = body["customer"]["usage_points"][0]
        raw = usage_point["contracts"]
    except (KeyError, IndexError, TypeError):
        raise DataError(f"{where}: no customer.usage_points[0].contracts") from None
    contracts = _Fields.of(raw, where, "contracts", "customer.usage_points[0].")
    tariff = contracts.text("distribution_tariff", required=True) or ""
    return Contract(
        usage_point_id=usage_point_id,
        subscribed_power_kva=contracts.kva("subscribed_power"),
        tariff_code=tariff,
        offpeak_hours=contracts.offpeak("offpeak_hours", tariff),
        status=contracts.text("contract_status"),
        activation=contracts.day("last_activation_date"),
    )


def from_2026(situation: Any, synthese: Any, comptage: Any, usage_point_id: str) -> Contract:
    """The contract from the three 2026 answers; ``comptage`` None when that API refused
    (its off-peak hours are then unknown, and :func:`describe` says so)."""
    first = situation[0] if isinstance(situation, list) and situation else situation
    if not isinstance(first, dict):
        raise DataError(f"situation_contrat_auto for {usage_point_id}: no contract situation")
    contract = _Fields(first, f"situation_contrat_auto for {usage_point_id}")
    tariff = contract.text("distribution_tariff", required=True) or ""
    where = f"synth_contrat_auto for {usage_point_id}"
    summary = _Fields({}, where) if synthese is None else _Fields.of(synthese, where)
    offpeak = None
    if comptage is not None:
        where = f"comptage_auto for {usage_point_id}"
        metering = _Fields.of(comptage, where)
        relais = metering.get("relais")
        if relais is None:  # no relay: its off-peak hours are missing
            relais = {}
        offpeak = _Fields.of(relais, where, "relais").offpeak("plageHeuresCreuses", tariff)
    return Contract(
        usage_point_id=usage_point_id,
        subscribed_power_kva=contract.kva("subscribed_power"),
        tariff_code=tariff,
        offpeak_hours=offpeak,
        status=contract.text("contract_status"),
        activation=summary.day("consumption_last_activation_date"),
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
    elif contract.tariff_code and not contract.single_rate:
        parts.append("off-peak hours unknown")
    if contract.status:
        parts.append(contract.status)
    if contract.activation:
        parts.append(f"active since {contract.activation}")
    return ", ".join(parts)
