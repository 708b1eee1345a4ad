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
from collections import deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from linkyflux.simulator import Reply, Simulator

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

    now = sim.now()
    seen = sim.conso_requests.setdefault(client, deque())
    while seen and now - seen[0] >= CONSO_BAN_WINDOW:
        seen.popleft()
    seen.append(now)
    if client in sim.conso_banned or len(seen) >= CONSO_BAN_THRESHOLD:
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
    claims = _conso_claims(authorization, now)
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
    from linkyflux.simulator import ENDPOINTS_2026, _error, _json

    token = (authorization or "").removeprefix("Bearer ").strip()
    expiry = sim.app_tokens.get(token)
    if expiry is None or sim.now() >= expiry:
        return _error(401, "invalid_token", "Invalid Credentials")
    if sim.rate_exceeded("enedis-second", 5, timedelta(seconds=1)):
        return _error(429, "Quota Q3 reached", "Call threshold allowed on 0:00:01")
    if sim.rate_exceeded("enedis-hour", sim.enedis_hourly_quota, timedelta(hours=1)):
        return _error(429, "Quota Q4 reached", "Call threshold allowed on 0:59:59")
    prm = query.get("pointId" if path in ENDPOINTS_2026 else "usage_point_id", "")
    if prm not in sim.consent:
        description = "No consent can be found for this customer and this usage point."
        if path in ENDPOINTS_2026:
            return _json(403, {"code": "ADAM-DC-0008", "message": description})
        return _error(403, "ADAM-DC-0008", description)
    return sim.enedis_call(path, query)
