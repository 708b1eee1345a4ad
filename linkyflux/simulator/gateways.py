"""The simulator's other front doors to the same meters: Conso API and Enedis direct.

- ``/conso/api/<type>``: Conso API (bokub/conso-api). A Bearer HS256 JWT whose ``sub`` lists
  the PRMs; v5 types answer the *contents* of ``meter_reading``, 2026 types the Enedis body
  as it is; errors are wrapped ``{status, message, error}``; an unknown type is a 400
  "Paramètres invalides"; an IP making 100 requests in 12 hours is banned (403 page).
- ``/enedis/…``: Enedis itself. ``POST /enedis/oauth2/v3/token`` (client_credentials, 3 h 30
  tokens), then the metering paths with the application's token; "5 appels par seconde
  et/ou 1000 appels par heure", counted over any sliding second and hour (boundaries
  included) on the simulator's clock: over them the 2026 paths answer a hint-less
  ``429 {"code": "SLA dépassé", "message": "SLA dépassé"}``, the v5 ones Quota Q3 / Q4;
  only consented usage points.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkyflux.simulator.server import Reply, Simulator
    from linkyflux.simulator.synthetic import Meter

CONSO_SECRET = b"linkyflux-simulator-conso-api"
CONSO_BAN_THRESHOLD = 100
CONSO_BAN_WINDOW = timedelta(hours=12)
CONSO_TYPES = {
    "daily_consumption": "metering_data_dc/v5/daily_consumption",
    "consumption_load_curve": "metering_data_clc/v5/consumption_load_curve",
    "consumption_max_power": "metering_data_dcmp/v5/daily_consumption_max_power",
    "daily_production": "metering_data_dp/v5/daily_production",
    "production_load_curve": "metering_data_plc/v5/production_load_curve",
    "consommation_quotidienne": "mesure_synchrone_auto/v2/consommation_quotidienne",
    "courbe_de_charge_consommation": "mesure_synchrone_auto/v2/courbe_de_charge_consommation",
    "puissance_conso_max_quotidienne": "mesure_synchrone_auto/v2/puissance_conso_max_quotidienne",
    "production_quotidienne": "mesure_synchrone_auto/v2/production_quotidienne",
    "courbe_de_charge_production": "mesure_synchrone_auto/v2/courbe_de_charge_production",
}
ENEDIS_CLIENT_SECRET = "simulator-secret"
ENEDIS_ACCESS_EXPIRE = 12600
# Data Connect 2026: "5 appels par seconde et/ou 1000 appels par heure" (the hourly one is
# Simulator.enedis_hourly_quota); answered over quota with no hint of when to retry.
ENEDIS_PER_SECOND = 5
ENEDIS_SLA_EXCEEDED = {"code": "SLA dépassé", "message": "SLA dépassé"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def conso_token(usage_points: tuple[str, ...], issued: datetime, days: int = 1094) -> str:
    """A Conso API token as its callback issues one: HS256, ``sub`` = the PRMs."""
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {
        "sub": list(usage_points),
        "iat": int(issued.timestamp()),
        "exp": int((issued + timedelta(days=days)).timestamp()),
    }
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(CONSO_SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _conso_claims(authorization: str | None, now: datetime) -> dict[str, Any] | None:
    if not authorization or not authorization.startswith("Bearer "):
        return None
    try:
        header, payload, signature = authorization.split(" ", 1)[1].split(".")
        expected = hmac.new(CONSO_SECRET, f"{header}.{payload}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(_b64(expected), signature):
            return None
        claims: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=="))
    except ValueError:
        return None
    return claims if claims.get("exp", 0) > now.timestamp() else None


def conso_api(
    sim: Simulator, kind: str, query: dict[str, str], client: str, authorization: str | None
) -> Reply:
    from linkyflux.simulator.server import ENDPOINTS_2026, _html, _json

    flooding = sim.rate_exceeded(f"conso-{client}", CONSO_BAN_THRESHOLD - 1, CONSO_BAN_WINDOW)
    if client in sim.conso_banned or flooding:
        sim.conso_banned.add(client)
        return _html(403, "Sorry, you have been blocked (Cloudflare)")

    def wrapped(status: int, message: str, error: Any = None) -> Reply:
        body: dict[str, Any] = {"status": status, "message": message}
        if error is not None:
            body["error"] = error
        return _json(status, body)

    path = CONSO_TYPES.get(kind)
    dialect = "2026" if path in ENDPOINTS_2026 else "v5"
    if path is None or dialect not in sim.dialects:
        issue = {"path": ["type"], "message": "Invalid enum value"}
        return wrapped(400, "Paramètres invalides", {"issues": [issue]})
    names = ("pointId", "dateDebut", "dateFin") if dialect == "2026" else ("prm", "start", "end")
    prm = query.get(names[0], "")
    if len(prm) != 14 or not all(query.get(n) for n in names[1:]):
        issue = {"path": [names[0]], "message": "Invalid input"}
        return wrapped(400, "Paramètres invalides", {"issues": [issue]})
    claims = _conso_claims(authorization, sim.now())
    if authorization is None or not authorization.startswith("Bearer "):
        return wrapped(400, "Le header 'Authorization' est manquant ou invalide")
    if claims is None or prm not in claims.get("sub", []):
        return wrapped(401, "Votre token est invalide ou ne permet pas d'accéder à ce PRM")
    if dialect == "v5":
        enedis_query = {"usage_point_id": prm, "start": query["start"], "end": query["end"]}
    else:
        enedis_query = {n: query[n] for n in names}
    reply = sim.enedis_call(path, enedis_query)
    try:
        body = json.loads(reply.body)
    except ValueError:
        body = None
    if reply.status == 200:
        if dialect == "v5" and isinstance(body, dict):
            return _json(200, body["meter_reading"])  # Conso API strips the envelope
        return reply
    return wrapped(reply.status, "The Enedis API returned an error", body or reply.body.decode())


def enedis_token(sim: Simulator, form: dict[str, str]) -> Reply:
    from linkyflux.simulator.server import _error, _json

    if not all(form.get(k) for k in ("grant_type", "client_id", "client_secret")):
        return _error(400, "invalid_request", "missing_parameter")
    if form["grant_type"] != "client_credentials":
        return _error(400, "unsupported_grant_type", "client_credentials only")
    if form["client_id"] != sim.client_id or form["client_secret"] != ENEDIS_CLIENT_SECRET:
        return _error(
            401,
            "Unauthorized",
            "Valid authentication credentials are mandatory to access the resource",
        )
    token = secrets.token_urlsafe(32)
    sim.app_tokens[token] = sim.now() + timedelta(seconds=ENEDIS_ACCESS_EXPIRE)
    return _json(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ENEDIS_ACCESS_EXPIRE,
            "scope": "am_application_scope default",
        },
    )


def enedis_direct(
    sim: Simulator, path: str, query: dict[str, str], authorization: str | None
) -> Reply:
    from linkyflux.simulator.server import ENDPOINTS_2026, NO_CONSENT, _dialect_error, _error, _json

    token = (authorization or "").removeprefix("Bearer ").strip()
    expiry = sim.app_tokens.get(token)
    if expiry is None or sim.now() >= expiry:
        return _error(401, "invalid_token", "Invalid Credentials")
    over = _enedis_over_quota(sim)
    if over is not None:
        if path in ENDPOINTS_2026 or path.startswith(CONTRACT_2026):
            return _json(429, ENEDIS_SLA_EXCEEDED)
        if over == "second":
            return _error(429, "Quota Q3 reached", "Call threshold allowed on 0:00:01")
        return _error(429, "Quota Q4 reached", "Call threshold allowed on 0:59:59")
    prm = prm_of(path, query)
    if prm not in sim.consent:
        return _dialect_error(path in ENDPOINTS_2026, 403, "ADAM-DC-0008", NO_CONSENT)
    return sim.enedis_call(path, query)


def _enedis_over_quota(sim: Simulator) -> str | None:
    """Which quota a call arriving now breaks ("second", "hour"), if any: Enedis allows
    ``ENEDIS_PER_SECOND`` calls in any closed second ``[t, t + 1 s]`` and
    ``enedis_hourly_quota`` in any closed hour; the calls it refuses do not count."""
    now = sim.now()
    second, hour = timedelta(seconds=1), timedelta(hours=1)
    with sim._lock:
        served = sim.enedis_served
        while served and now - served[0] > hour:
            served.popleft()
        if sum(1 for t in served if now - t <= second) >= ENEDIS_PER_SECOND:
            return "second"
        if len(served) >= sim.enedis_hourly_quota:
            return "hour"
        served.append(now)
        return None


# ----------------------------------------------------------------------------- MyElectricalData
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
    sim: Simulator, data: Any = None, code: str = "", message: str = "", status: int = 200
) -> Reply:
    """MyElectricalData's ``APIResponse``: its routes answer errors with HTTP 200 too (no
    status code given); only the global exception handler answers 500."""
    from linkyflux.simulator.server import _json

    error = {"code": code, "message": message, "field": None} if code else None
    stamp = sim.now().astimezone(UTC).replace(tzinfo=None).isoformat()
    body = {"success": error is None, "data": data, "error": error, "timestamp": stamp}
    return _json(status, body)


def _med_refusal(sim: Simulator, status: int, body: Any, curve: bool) -> Reply:
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
    sim: Simulator,
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
        key, prm = ("power", "consumption"), parts[2]
    elif len(parts) == 4 and parts[0] == "enedis":
        key, prm = (parts[2], parts[1]), parts[3]
    else:
        key, prm = ("", ""), ""
    if key not in MED_PATHS:
        return _envelope(sim, None, "NOT_FOUND", f"/{path}", status=404)
    if prm not in sim.consent:  # not a usage point of this account
        out = _envelope(sim, None, "ACCESS_DENIED", MED_NO_PDL)
        out.headers = headers
        return out
    enedis_path = MED_PATHS[key][1 if v2026 else 0]
    names = ("pointId", "dateDebut", "dateFin") if v2026 else ("usage_point_id", "start", "end")
    enedis_query = dict(
        zip(names, (prm, query.get("start", ""), query.get("end", "")), strict=True)
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
    sim: Simulator, prm: str, v2026: bool, headers: tuple[tuple[str, str], ...]
) -> Reply:
    """MyElectricalData's contract: the v5 body, or its 2026 aggregate of three calls."""
    if not v2026:
        reply = sim.enedis_call(CONTRACT_V5, {"usage_point_id": prm})
        try:
            body = json.loads(reply.body)
        except ValueError:
            body = None
        ok = reply.status == 200
        out = _envelope(sim, body) if ok else _med_refusal(sim, reply.status, body, False)
    else:
        replies = [sim.enedis_call(f"{api}{prm}", {}) for api in CONTRACT_2026]
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


# ----------------------------------------------------------------------------- contracts
CONTRACT_V5 = "customers_upc/v5/usage_points/contracts"
CONTRACT_2026 = ("situation_contrat_auto/v1/", "synth_contrat_auto/v1/", "comptage_auto/v1/")


def is_contract(path: str) -> bool:
    return path == CONTRACT_V5 or path.startswith(CONTRACT_2026)


def prm_of(path: str, query: dict[str, str]) -> str:
    """The usage point a call is about: in the path (2026 contracts) or in the query."""
    if path.startswith(CONTRACT_2026):
        return path.rsplit("/", 1)[-1]
    return query.get("pointId") or query.get("usage_point_id", "")


def contract(path: str, query: dict[str, str], meter: Meter | None) -> Reply:
    """Contract data, v5 or 2026 (shapes as MyElectricalData's adapter reads them), of
    ``meter`` (None: an unknown usage point)."""
    from linkyflux.simulator.server import NO_CONSENT, _dialect_error, _json

    prm = prm_of(path, query)
    v2026 = path != CONTRACT_V5
    if meter is not None and meter.revoked:
        return _dialect_error(v2026, 403, "ADAM-DC-0008", NO_CONSENT)
    if meter is None or "consumption" not in meter.directions:
        return _dialect_error(v2026, 404, "no_data_found", "no measure found for this usage point")
    if path == CONTRACT_V5:
        contracts = {
            "segment": "C5",
            "subscribed_power": f"{meter.subscribed_kva} kVA",
            "last_activation_date": f"{meter.activation.isoformat()}+01:00",
            "distribution_tariff": meter.tariff,
            "offpeak_hours": meter.offpeak,
            "contract_status": "SERVC",
        }
        usage_point = {"usage_point_id": prm, "usage_point_status": "com", "meter_type": "AMM"}
        body = {"customer": {"customer_id": "-1137954749", "usage_points": [
            {"usage_point": usage_point, "contracts": contracts}]}}  # fmt: skip
        return _json(200, body)
    if path.startswith("situation_contrat_auto/"):
        situation = {
            "segment": "C5",
            "contract_type": "CARD-S",
            "distribution_tariff": meter.tariff,
            "contract_status": "SERVC",
            "subscribed_power": {"value": str(meter.subscribed_kva), "unit": "kVA"},
        }
        return _json(200, [situation])
    if path.startswith("synth_contrat_auto/"):
        return _json(200, {"consumption_last_activation_date": meter.activation.isoformat()})
    relais = {"plageHeuresCreuses": meter.offpeak} if meter.offpeak else {}
    return _json(200, {"relais": relais})
