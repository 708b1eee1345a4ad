"""MyElectricalData v2, the simulator's ``/med/api/…``.

As ``../shared/docs/enedis-api.md`` §8.2 and ``real-answers.md`` (items 1-3) describe it: an API
key as Bearer, ``/pdl``, answers in an ``APIResponse`` envelope ``{success, data, error}``
(errors with HTTP 200 too), a daily quota of 50 calls reset at midnight UTC, curve dates moved
back to the interval start on the naive local label, the 2026 format on
``X-MED-Format: 2026`` unless it is an older instance, and its contract route (v5, or the
2026 aggregate of three calls).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from linkyflux.simulator.contracts import CONTRACT_2026, CONTRACT_V5
from linkyflux.simulator.enedis import Enedis
from linkyflux.simulator.reply import Reply, json_reply

MED_CLIENT_SECRET = "med-simulator-secret"
MED_DAILY_QUOTA = 50
MED_PATHS = {  # (data, direction) -> (v5 path, 2026 path)
    ("daily", "consumption"): (
        "metering_data_dc/v5/daily_consumption",
        "mesure_synchrone_auto/v2/consommation_quotidienne",
    ),
    ("detail", "consumption"): (
        "metering_data_clc/v5/consumption_load_curve",
        "mesure_synchrone_auto/v2/courbe_de_charge_consommation",
    ),
    ("daily", "production"): (
        "metering_data_dp/v5/daily_production",
        "mesure_synchrone_auto/v2/production_quotidienne",
    ),
    ("detail", "production"): (
        "metering_data_plc/v5/production_load_curve",
        "mesure_synchrone_auto/v2/courbe_de_charge_production",
    ),
    ("power", "consumption"): (
        "metering_data_dcmp/v5/daily_consumption_max_power",
        "mesure_synchrone_auto/v2/puissance_conso_max_quotidienne",
    ),
}
MED_CODES = {"ADAM-DC-0008": "ACCESS_DENIED", "STM-ERR-0000019": "ACCESS_DENIED"}
MED_NO_PDL = "PDL not found"


def _naive_minus(label: str, length: str) -> str:
    minutes = int(length.removeprefix("PT").removesuffix("M"))
    moved = datetime.strptime(label, "%Y-%m-%d %H:%M:%S") - timedelta(minutes=minutes)
    return moved.strftime("%Y-%m-%d %H:%M:%S")


def _shift_to_starts(body: dict[str, Any]) -> dict[str, Any]:
    """MyElectricalData moves each curve date back by its interval, on the naive local label
    (its ``_shift_date``): on DST days the labels it produces are not real starts. A point
    without its step (``interval_length``, ``p``) is left as Enedis dated it."""
    for item in body.get("meter_reading", {}).get("interval_reading", []):
        if item.get("interval_length"):
            item["date"] = _naive_minus(item["date"], item["interval_length"])
    for quantity in body.get("grandeur", []):
        for point in quantity.get("points", []):
            if point.get("p"):
                point["d"] = _naive_minus(point["d"], point["p"])
    return body


def _envelope(
    sim: Enedis, data: Any = None, code: str = "", message: str = "", status: int = 200
) -> Reply:
    """MyElectricalData's ``APIResponse``: its routes answer errors with HTTP 200 too (no
    status code given); only the global exception handler answers 500."""
    error = {"code": code, "message": message, "field": None} if code else None
    stamp = sim.now().astimezone(UTC).replace(tzinfo=None).isoformat()
    body = {"success": error is None, "data": data, "error": error, "timestamp": stamp}
    return json_reply(status, body)


def _med_refusal(sim: Enedis, status: int, body: Any, curve: bool) -> Reply:
    """How MyElectricalData words an Enedis refusal: ``NO_DATA`` or ``ENEDIS_ERROR`` with the
    Enedis code inside the message (the load-curve route says the latter for an empty range),
    ``ADAM-ERR0123`` as it is, ``ACCESS_DENIED`` for a usage point without consent."""
    if not isinstance(body, dict):  # Enedis' error page, a timeout: the exception handler
        return _envelope(sim, None, "INTERNAL_ERROR", "Internal server error", status=500)
    code = str(body.get("error") or body.get("code") or "")
    message = str(body.get("error_description") or body.get("message") or "")
    if code in MED_CODES:
        return _envelope(sim, None, MED_CODES[code], MED_NO_PDL)
    if code == "no_data_found" and not curve:
        return _envelope(sim, None, "NO_DATA", "No data available for the requested period")
    if code == "ADAM-ERR0123":
        return _envelope(sim, None, code, message)
    text = f"{code}: {message}" if code != message else code
    if code == "no_data_found":
        text = f"Enedis API error {status}: {text}"
    return _envelope(sim, None, "ENEDIS_ERROR", text)


def myelectricaldata(
    sim: Enedis,
    path: str,
    query: dict[str, str],
    authorization: str | None,
    med_format: str | None,
) -> Reply:
    """MyElectricalData v2: ``{success, data, error}`` (errors with HTTP 200 too), ``/pdl``,
    daily quota, curve starts; the 2026 format on ``X-MED-Format: 2026`` unless it is an
    older instance (``sim.med_ignores_format``)."""
    if authorization != f"Bearer {MED_CLIENT_SECRET}":
        return _envelope(sim, None, "UNAUTHORIZED", "Invalid API key", status=401)
    if path == "pdl":
        points = [{"usage_point_id": p, "name": p} for p in sim.consent]
        return _envelope(sim, points)
    now = sim.now().astimezone(UTC)
    reset = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), UTC)
    used = sim.med_calls.setdefault(now.date(), 0) + 1  # the quota resets at midnight UTC
    sim.med_calls[now.date()] = used
    headers = (
        ("X-RateLimit-Limit", str(MED_DAILY_QUOTA)),
        ("X-RateLimit-Remaining", str(max(0, MED_DAILY_QUOTA - used))),
        ("X-RateLimit-Reset", str(int(reset.timestamp()))),
    )
    if used > MED_DAILY_QUOTA:
        message = (
            f"Daily rate limit exceeded ({MED_DAILY_QUOTA}/{MED_DAILY_QUOTA}). "
            "Use cache to increase limit."
        )
        reply = _envelope(sim, None, "RATE_LIMIT_EXCEEDED", message)
        reply.headers = headers
        return reply
    v2026 = med_format == "2026" and not sim.med_ignores_format
    parts = path.split("/")  # enedis/<direction>/<daily|detail>/<pdl> or enedis/power/<pdl>
    if len(parts) == 3 and parts[:2] == ["enedis", "contract"]:
        if parts[2] not in sim.consent:
            return _envelope(sim, None, "ACCESS_DENIED", MED_NO_PDL)
        return _med_contract(sim, parts[2], v2026, headers)
    if len(parts) == 3 and parts[:2] == ["enedis", "power"]:
        key, usage_point_id = ("power", "consumption"), parts[2]
    elif len(parts) == 4 and parts[0] == "enedis":
        key, usage_point_id = (parts[2], parts[1]), parts[3]
    else:
        key, usage_point_id = ("", ""), ""
    if key not in MED_PATHS:
        return _envelope(sim, None, "NOT_FOUND", f"/{path}", status=404)
    if usage_point_id not in sim.consent:  # not a usage point of this account
        out = _envelope(sim, None, "ACCESS_DENIED", MED_NO_PDL)
        out.headers = headers
        return out
    enedis_path = MED_PATHS[key][1 if v2026 else 0]
    names = ("pointId", "dateDebut", "dateFin") if v2026 else ("usage_point_id", "start", "end")
    enedis_query = dict(
        zip(names, (usage_point_id, query.get("start", ""), query.get("end", "")), strict=True)
    )
    reply = sim.enedis_call(enedis_path, enedis_query)
    try:
        body = json.loads(reply.body) if reply.content_type == "application/json" else None
    except ValueError:  # a truncated answer: the exception handler
        body = None
    if reply.status == 200 and isinstance(body, dict):
        out = _envelope(sim, _shift_to_starts(body) if key[0] == "detail" else body)
    else:
        out = _med_refusal(sim, reply.status, body, key[0] == "detail")
    out.delay = reply.delay
    out.headers = headers if v2026 else (*headers, ("Deprecation", "true"))
    return out


def _med_contract(
    sim: Enedis, usage_point_id: str, v2026: bool, headers: tuple[tuple[str, str], ...]
) -> Reply:
    """MyElectricalData's contract: the v5 body, or its 2026 aggregate of three calls."""
    if not v2026:
        reply = sim.enedis_call(CONTRACT_V5, {"usage_point_id": usage_point_id})
        try:
            body = json.loads(reply.body)
        except ValueError:
            body = None
        ok = reply.status == 200
        out = _envelope(sim, body) if ok else _med_refusal(sim, reply.status, body, False)
    else:
        replies = [sim.enedis_call(f"{api}{usage_point_id}", {}) for api in CONTRACT_2026]
        parts = [json.loads(reply.body) for reply in replies]
        if isinstance(parts[0], dict) and "code" in parts[0]:
            return _med_refusal(sim, replies[0].status, parts[0], False)
        aggregate = {
            "situation_contrat": parts[0],
            "synthese_contrat": parts[1],
            "comptage": parts[2],
        }
        out = _envelope(sim, aggregate)
    out.headers = headers
    return out
