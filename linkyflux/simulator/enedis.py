"""Enedis itself, as every gateway reaches it: the metering API in both dialects (v5 and
Data Connect 2026, from the same meters) and, through :mod:`~linkyflux.simulator.contracts`,
the contract APIs; injected faults answer first.

It follows ``../shared/docs/enedis-api.md`` (§2-§3, §5, §9): ``[start, end)``, ``end`` not
after today, 7-day curve windows, history horizons, the meter's activation date, the
direction of the meter, hourly collection, publication of day D on D+1 from 08:00,
end-of-interval naive local timestamps (46 / 50 half-hours on DST days, repeated October
labels); either dialect can be switched off to play a gateway that serves only the other
(``real-answers.md`` item 6).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from functools import partial
from typing import Any

from dateutil.relativedelta import relativedelta

from linkyflux.models import Direction
from linkyflux.simulator.contracts import contract, is_contract, usage_point_of
from linkyflux.simulator.dialects import ENDPOINTS, ENDPOINTS_2026, PARAMS
from linkyflux.simulator.faults import fault_reply, take_fault
from linkyflux.simulator.reply import (
    NO_CONSENT,
    NOT_FOUND_PAGE,
    Reply,
    dialect_error,
    error_reply,
    html_reply,
    json_reply,
)
from linkyflux.simulator.state import State
from linkyflux.simulator.synthetic import (
    Meter,
    daily_energy_wh,
    days_between,
    local_label,
    max_power,
    published_curve,
)
from linkyflux.timeutil import PARIS

# how far back each kind of data goes, as of the moment a request arrives
CURVE_HORIZON = relativedelta(months=24, days=15)
DAILY_HORIZON = relativedelta(months=36, days=15)

# v5: meter_reading.reading_type of each kind
READING_TYPES = {
    "curve": {"unit": "W", "measurement_kind": "power", "aggregate": "average"},
    "daily": {
        "unit": "Wh",
        "measurement_kind": "energy",
        "aggregate": "sum",
        "measuring_period": "P1D",
    },
    "max_power": {
        "unit": "VA",
        "measurement_kind": "power",
        "aggregate": "maximum",
        "measuring_period": "P1D",
    },
}
# 2026: what each grandeur of each kind says it measures
GRANDEURS = {
    "curve": {"grandeurPhysique": "PA", "unite": "W"},
    "daily": {"grandeurPhysique": "EA", "unite": "Wh"},
    "max_power": {"grandeurPhysique": "PMA", "unite": "VA"},
}


def _point_2026(reading: dict[str, str]) -> dict[str, str]:
    point = {"v": reading["value"], "d": reading["date"]}
    if "interval_length" in reading:
        point.update(p=reading["interval_length"], n=reading["measure_type"])
    return point


class Enedis(State):
    """Enedis' answers to a gateway: metering in either dialect, contracts, faults first."""

    def enedis_call(self, path: str, query: dict[str, str]) -> Reply:
        """What Enedis answers a gateway for ``path``: injected faults first."""
        if is_contract(path):
            if not self.serves_contracts:
                return html_reply(404, NOT_FOUND_PAGE)
            return contract(path, query, self.meter(usage_point_of(path, query)))
        if self.on_data_call is not None:
            self.on_data_call(path)
        with self._lock:
            fault = take_fault(self._faults, path)
            if fault is not None:
                self.faults_served += 1
        if fault is not None:
            return fault_reply(fault, path)
        return self._enedis(path, query)

    def _enedis(self, path: str, query: dict[str, str]) -> Reply:
        """Enedis metering in either dialect, checks in the order the gateway applies them."""
        dialect = "v5" if path in ENDPOINTS else "2026" if path in ENDPOINTS_2026 else None
        if dialect is None or dialect not in self.dialects:
            if dialect is not None and self.unserved_dialect_404 == "coded":
                return error_reply(404, "not_found", f"no API at /{path}")
            return html_reply(404, NOT_FOUND_PAGE)
        kind, direction = (ENDPOINTS if dialect == "v5" else ENDPOINTS_2026)[path]
        names = PARAMS[dialect]
        args = {key: query.get(name, "") for key, name in names.items()}

        error = partial(dialect_error, dialect == "2026")

        usage_point_id = args["usage_point"]
        if not re.fullmatch(r"[0-9]{14}", usage_point_id):
            return error(
                400, "invalid_request", f"{names['usage_point']} parameter must be 14 digits long."
            )
        for key in ("start", "end"):
            label = f"{key} date" if dialect == "v5" else names[key]
            if not args[key]:
                required = label.capitalize() if dialect == "v5" else label
                return error(400, "invalid_request", f"{required} parameter is required.")
            try:
                date.fromisoformat(args[key])
            except ValueError:
                return error(
                    400, "invalid_request", f"{label} parameter must be in the format yyyy-mm-dd."
                )
        start, end = date.fromisoformat(args["start"]), date.fromisoformat(args["end"])
        today = self.today()
        if start >= end:
            return error(400, "Invalid_request", "Start date should be before end date.")
        if end > today:
            return error(
                400,
                "invalid_request",
                "The end date parameter must be earlier than the current date.",
            )
        if kind == "curve" and (end - start).days > 7:
            return error(
                400,
                "ADAM-DC-0015",
                "The requested period must be less than 7 days for an access to the load curve.",
            )
        if start < today - (CURVE_HORIZON if kind == "curve" else DAILY_HORIZON):
            return error(
                400, "ADAM-DC-0016", "The start date must be greater than the history deadline."
            )
        meter = self.meter(usage_point_id)
        if meter is None:
            return error(404, "STM-ERR-0000019", "Unknown or unauthorized user.")
        if meter.revoked:
            return error(403, "ADAM-DC-0008", NO_CONSENT)
        if direction not in meter.directions:
            return error(
                400, "ADAM-ERR0069", "Le sens de la mesure ne correspond pas pour le PRM demandé."
            )
        if start < meter.activation:
            return error(
                400,
                "ADAM-ERR0123",
                "The requested period cannot be anterior to the meter's last activation date",
            )
        days = [d for d in days_between(start, end) if self._published(d)]
        readings = self._readings(kind, direction, meter, days)
        if not readings:
            return error(404, "no_data_found", "no measure found for this usage point")
        if dialect == "v5":
            body: dict[str, Any] = {
                "meter_reading": {
                    "usage_point_id": usage_point_id,
                    "start": args["start"],
                    "end": args["end"],
                    "quality": "BRUT",
                    "reading_type": READING_TYPES[kind],
                    "interval_reading": readings,
                }
            }
        else:
            body = {
                "idPrm": usage_point_id,
                "etapeMetier": "BRUT",
                "periode": {"dateDebut": args["start"], "dateFin": args["end"]},
                "modeCalcul": "BRUT",
                "grandeur": [
                    {
                        "grandeurMetier": "CONS" if direction == "consumption" else "PROD",
                        **GRANDEURS[kind],
                        "points": [_point_2026(r) for r in readings],
                    }
                ],
            }
            if kind == "curve":
                body["pas"] = readings[0]["interval_length"]
        return json_reply(200, body)

    def _published(self, day: date) -> bool:
        """Day D is published on D+1 from ``publication_hour`` (Europe/Paris)."""
        ready = datetime.combine(day + timedelta(days=1), datetime.min.time(), PARIS)
        return self.now() >= ready + timedelta(hours=self.publication_hour)

    def _readings(
        self, kind: str, direction: Direction, meter: Meter, days: list[date]
    ) -> list[dict[str, str]]:
        if kind == "curve":
            if not meter.hourly_collection:
                return []
            return [
                {
                    "value": str(i.power_w),
                    "date": local_label(i.end),
                    "interval_length": f"PT{i.minutes}M",
                    "measure_type": "B",
                }
                for day in days
                for i in published_curve(meter, direction, day)
            ]
        if kind == "daily":
            return [
                {"value": str(daily_energy_wh(meter, direction, d)), "date": d.isoformat()}
                for d in days
            ]
        out = []
        for d in days:
            value, at = max_power(meter, d)
            out.append({"value": str(value), "date": local_label(at)})
        return out
