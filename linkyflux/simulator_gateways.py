"""The simulator's other front doors to the same meters: Conso API and Enedis direct.

- ``/conso/api/<type>``: Conso API (bokub/conso-api). A Bearer HS256 JWT whose ``sub`` lists
  the PRMs; v5 types answer the *contents* of ``meter_reading``, 2026 types the Enedis body
  as it is; errors are wrapped ``{status, message, error}``; an unknown type is a 400
  "Paramètres invalides"; an IP making 100 requests in 12 hours is banned (403 page).
- ``/enedis/…``: Enedis itself. ``POST /enedis/oauth2/v3/token`` (client_credentials, 3 h 30
  tokens), then the metering paths with the application's token; 5 calls a second (Quota
  Q3) and 1000 an hour (Quota Q4); only consented usage points.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkyflux.simulator import Reply, Simulator
    from linkyflux.synthetic import Meter

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
    from linkyflux.simulator import ENDPOINTS_2026, _html, _json

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
    from linkyflux.simulator import _error, _json

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
    from linkyflux.simulator import ENDPOINTS_2026, NO_CONSENT, _dialect_error, _error

    token = (authorization or "").removeprefix("Bearer ").strip()
    expiry = sim.app_tokens.get(token)
    if expiry is None or sim.now() >= expiry:
        return _error(401, "invalid_token", "Invalid Credentials")
    if sim.rate_exceeded("enedis-second", 5, timedelta(seconds=1)):
        return _error(429, "Quota Q3 reached", "Call threshold allowed on 0:00:01")
    if sim.rate_exceeded("enedis-hour", sim.enedis_hourly_quota, timedelta(hours=1)):
        return _error(429, "Quota Q4 reached", "Call threshold allowed on 0:59:59")
    prm = prm_of(path, query)
    if prm not in sim.consent:
        return _dialect_error(path in ENDPOINTS_2026, 403, "ADAM-DC-0008", NO_CONSENT)
    return sim.enedis_call(path, query)


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
MED_CODES = {"no_data_found": "NO_DATA", "ADAM-DC-0008": "ACCESS_DENIED"}


def _naive_minus(label: str, length: str) -> str:
    minutes = int(length.removeprefix("PT").removesuffix("M"))
    moved = datetime.strptime(label, "%Y-%m-%d %H:%M:%S") - timedelta(minutes=minutes)
    return moved.strftime("%Y-%m-%d %H:%M:%S")


def _shift_to_starts(body: dict[str, Any]) -> dict[str, Any]:
    """MyElectricalData moves each curve date back by its interval, on the naive local label
    (its ``_shift_date``): on DST days the labels it produces are not real starts."""
    for item in body.get("meter_reading", {}).get("interval_reading", []):
        item["date"] = _naive_minus(item["date"], item["interval_length"])
    for quantity in body.get("grandeur", []):
        for point in quantity.get("points", []):
            if "p" in point:
                point["d"] = _naive_minus(point["d"], point["p"])
    return body


def _envelope(status: int, data: Any = None, error: dict[str, str] | None = None) -> Reply:
    from linkyflux.simulator import _json

    body = {"success": error is None, "data": data, "error": error, "timestamp": "now"}
    return _json(status, body)


def myelectricaldata(
    sim: Simulator,
    path: str,
    query: dict[str, str],
    authorization: str | None,
    med_format: str | None,
) -> Reply:
    """MyElectricalData v2: ``{success, data, error}``, ``/pdl``, daily quota, curve starts."""
    if authorization != f"Bearer {MED_CLIENT_SECRET}":
        return _envelope(401, error={"code": "UNAUTHORIZED", "message": "Invalid API key"})
    if path == "pdl":
        points = [{"usage_point_id": p, "name": p} for p in sim.consent]
        return _envelope(200, points)
    now = sim.now()
    reset = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
    used = sim.med_calls.setdefault(now.date(), 0) + 1  # the quota resets at midnight UTC
    sim.med_calls[now.date()] = used
    headers = (
        ("X-RateLimit-Limit", str(MED_DAILY_QUOTA)),
        ("X-RateLimit-Remaining", str(max(0, MED_DAILY_QUOTA - used))),
        ("X-RateLimit-Reset", str(int(reset.timestamp()))),
    )
    if used > MED_DAILY_QUOTA:
        reply = _envelope(429, error={"code": "RATE_LIMITED", "message": "Daily quota exceeded"})
        reply.headers = headers
        return reply
    parts = path.split("/")  # enedis/<direction>/<daily|detail>/<pdl> or enedis/power/<pdl>
    if len(parts) == 3 and parts[:2] == ["enedis", "contract"]:
        return _med_contract(sim, parts[2], med_format == "2026", headers)
    if len(parts) == 3 and parts[:2] == ["enedis", "power"]:
        key, prm = ("power", "consumption"), parts[2]
    elif len(parts) == 4 and parts[0] == "enedis":
        key, prm = (parts[2], parts[1]), parts[3]
    else:
        key, prm = ("", ""), ""
    if key not in MED_PATHS:
        return _envelope(404, error={"code": "NOT_FOUND", "message": f"/{path}"})
    v2026 = med_format == "2026"
    enedis_path = MED_PATHS[key][1 if v2026 else 0]
    names = ("pointId", "dateDebut", "dateFin") if v2026 else ("usage_point_id", "start", "end")
    enedis_query = dict(
        zip(names, (prm, query.get("start", ""), query.get("end", "")), strict=True)
    )
    reply = sim.enedis_call(enedis_path, enedis_query)
    body = json.loads(reply.body) if reply.content_type == "application/json" else None
    if reply.status == 200 and isinstance(body, dict):
        out = _envelope(200, _shift_to_starts(body) if key[0] == "detail" else body)
    else:
        code, message = "ENEDIS_ERROR", reply.body.decode(errors="replace")[:200]
        if isinstance(body, dict):
            code = str(body.get("error") or body.get("code") or code)
            message = str(body.get("error_description") or body.get("message") or "")
        out = _envelope(reply.status, error={"code": MED_CODES.get(code, code), "message": message})
    out.headers = headers if v2026 else (*headers, ("Deprecation", "true"))
    return out


def _med_contract(
    sim: Simulator, prm: str, v2026: bool, headers: tuple[tuple[str, str], ...]
) -> Reply:
    """MyElectricalData's contract: the v5 body, or its 2026 aggregate of three calls."""
    if not v2026:
        reply = sim.enedis_call(CONTRACT_V5, {"usage_point_id": prm})
        body = json.loads(reply.body)
        if reply.status != 200:
            error = {"code": MED_CODES.get(body["error"], body["error"]), "message": ""}
            return _envelope(reply.status, error=error)
        out = _envelope(200, body)
    else:
        parts = [json.loads(sim.enedis_call(f"{api}{prm}", {}).body) for api in CONTRACT_2026]
        if isinstance(parts[0], dict) and "code" in parts[0]:
            return _envelope(404, error={"code": "NO_DATA", "message": parts[0]["message"]})
        aggregate = {
            "situation_contrat": parts[0],
            "synthese_contrat": parts[1],
            "comptage": parts[2],
        }
        out = _envelope(200, aggregate)
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
    from linkyflux.simulator import NO_CONSENT, _dialect_error, _json

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
