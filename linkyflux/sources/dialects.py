"""The two dialects of the Enedis metering APIs: where to ask, and where the readings are.

- ``v5`` (Data Connect v5, ``metering_data_*/v5/…``): ``start``/``end``/``usage_point_id``,
  readings in ``meter_reading.interval_reading[{value, date, interval_length}]``, errors
  ``{error, error_description}``.
- ``2026`` (``mesure_synchrone_auto/v2/…``, Enedis' replacement since 28/09/2026):
  ``pointId``/``dateDebut``/``dateFin``, readings in ``grandeur[].points[{v, d, p, n}]``,
  errors ``{code, message}``. Same end-of-interval local timestamps, same codes.

Each dialect turns its body into the same items, so the parsers in :mod:`linkyflux.sources.enedis`
and everything after them never know which was used; where a gateway moves or wraps things,
:mod:`linkyflux.sources.gateways` says so.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal, Protocol

from linkyflux.errors import DataError
from linkyflux.models import Direction
from linkyflux.sources.enedis import Request, v5_items

Kind = Literal["curve", "daily", "max_power"]


class Dialect(Protocol):
    name: str

    def path(self, kind: Kind, direction: Direction) -> str: ...

    def params(self, kind: Kind, usage_point_id: str, start: date, end: date) -> dict[str, str]: ...

    def items(
        self, body: dict[str, Any], req: Request, direction: Direction
    ) -> list[dict[str, Any]]:
        """The readings as ``{"value", "date", "interval_length"}`` items."""
        ...


class V5:
    name = "v5"
    PATHS: ClassVar[dict[tuple[Kind, Direction], str]] = {
        ("curve", "consumption"): "metering_data_clc/v5/consumption_load_curve",
        ("curve", "production"): "metering_data_plc/v5/production_load_curve",
        ("daily", "consumption"): "metering_data_dc/v5/daily_consumption",
        ("daily", "production"): "metering_data_dp/v5/daily_production",
        ("max_power", "consumption"): "metering_data_dcmp/v5/daily_consumption_max_power",
    }

    def path(self, kind: Kind, direction: Direction) -> str:
        return self.PATHS[(kind, direction)]

    def params(self, kind: Kind, usage_point_id: str, start: date, end: date) -> dict[str, str]:
        return {
            "start": start.isoformat(),
            "end": end.isoformat(),
            "usage_point_id": usage_point_id,
        }

    def items(
        self, body: dict[str, Any], req: Request, direction: Direction
    ) -> list[dict[str, Any]]:
        return v5_items(body, req)


class V2026:
    name = "2026"
    PREFIX = "mesure_synchrone_auto/v2/"
    PATHS: ClassVar[dict[tuple[Kind, Direction], str]] = {
        ("curve", "consumption"): PREFIX + "courbe_de_charge_consommation",
        ("curve", "production"): PREFIX + "courbe_de_charge_production",
        ("daily", "consumption"): PREFIX + "consommation_quotidienne",
        ("daily", "production"): PREFIX + "production_quotidienne",
        ("max_power", "consumption"): PREFIX + "puissance_conso_max_quotidienne",
    }
    METIER: ClassVar[dict[Direction, str]] = {"consumption": "CONS", "production": "PROD"}

    def path(self, kind: Kind, direction: Direction) -> str:
        return self.PATHS[(kind, direction)]

    def params(self, kind: Kind, usage_point_id: str, start: date, end: date) -> dict[str, str]:
        params = {
            "pointId": usage_point_id,
            "dateDebut": start.isoformat(),
            "dateFin": end.isoformat(),
        }
        if kind == "max_power":
            params.update(mesuresPas="P1D", grandeurPhysique="PMA")
        return params

    def items(
        self, body: dict[str, Any], req: Request, direction: Direction
    ) -> list[dict[str, Any]]:
        echoed = body.get("idPrm")
        if echoed is not None and str(echoed) != req.usage_point_id:
            raise DataError(f"{req}: the answer is for usage point {echoed}")
        quantities = body.get("grandeur")
        if not isinstance(quantities, list):
            raise DataError(f"{req}: no grandeur in the answer")
        items = Points()
        for number, quantity in enumerate(quantities):
            if not isinstance(quantity, dict) or not isinstance(quantity.get("points"), list):
                raise DataError(f"{req}: grandeur is not a list of objects with points")
            if quantity.get("grandeurMetier", self.METIER[direction]) != self.METIER[direction]:
                continue
            items.origins.append((len(items), number))
            for n, point in enumerate(quantity["points"]):
                if not isinstance(point, dict):
                    where = f"grandeur[{number}].points[{n}]"
                    raise DataError(f"{req}: a point is not an object ({where}: {point!r})")
                item = {"value": point.get("v"), "date": point.get("d")}
                if point.get("p"):
                    item["interval_length"] = point["p"]
                items.append(item)
        return items


class Points(list[dict[str, Any]]):
    """The items of a 2026 answer, which name a field as the answer does
    (``grandeur[0].points[3].v``; see :func:`linkyflux.sources.enedis.field_name`)."""

    NAMES: ClassVar[dict[str, str]] = {"value": "v", "date": "d", "interval_length": "p"}

    def __init__(self) -> None:
        super().__init__()
        self.origins: list[tuple[int, int]] = []  # (first item, grandeur index) per grandeur

    def field_name(self, index: int, name: str = "") -> str:
        first, number = max(o for o in self.origins if o[0] <= index)
        where = f"grandeur[{number}].points[{index - first}]"
        return f"{where}.{self.NAMES.get(name, name)}" if name else where


DIALECTS: dict[str, Dialect] = {"v5": V5(), "2026": V2026()}
