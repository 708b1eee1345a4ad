"""Conso API (bokub/conso-api, ``conso.boris.sh``), the simulator's ``/conso/api/<type>``.

As ``../shared/docs/enedis-api.md`` §7 and §9 describe it: a Bearer HS256 JWT whose ``sub``
lists the PRMs; v5 types answer the *contents* of ``meter_reading``, 2026 types the Enedis
body as it is; errors are wrapped ``{status, message, error}``; an unknown type is a 400
"Paramètres invalides"; an IP making 100 requests in 12 hours is banned (403 page).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from linkyflux.simulator.dialects import ENDPOINTS_2026
from linkyflux.simulator.enedis import Enedis
from linkyflux.simulator.reply import Reply, html_reply, json_reply

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
    sim: Enedis, kind: str, query: dict[str, str], client: str, authorization: str | None
) -> Reply:
    """``GET /conso/api/<kind>``: Conso API's own checks (ban, type, parameters, token), then
    Enedis' answer as Conso API passes it on."""
    flooding = sim.rate_exceeded(f"conso-{client}", CONSO_BAN_THRESHOLD - 1, CONSO_BAN_WINDOW)
    if client in sim.conso_banned or flooding:
        sim.conso_banned.add(client)
        return html_reply(403, "Sorry, you have been blocked (Cloudflare)")

    def wrapped(status: int, message: str, error: Any = None) -> Reply:
        body: dict[str, Any] = {"status": status, "message": message}
        if error is not None:
            body["error"] = error
        return json_reply(status, body)

    path = CONSO_TYPES.get(kind)
    dialect = "2026" if path in ENDPOINTS_2026 else "v5"
    if path is None or dialect not in sim.dialects:
        issue = {"path": ["type"], "message": "Invalid enum value"}
        return wrapped(400, "Paramètres invalides", {"issues": [issue]})
    names = ("pointId", "dateDebut", "dateFin") if dialect == "2026" else ("prm", "start", "end")
    usage_point_id = query.get(names[0], "")
    if len(usage_point_id) != 14 or not all(query.get(n) for n in names[1:]):
        issue = {"path": [names[0]], "message": "Invalid input"}
        return wrapped(400, "Paramètres invalides", {"issues": [issue]})
    claims = _conso_claims(authorization, sim.now())
    if authorization is None or not authorization.startswith("Bearer "):
        return wrapped(400, "Le header 'Authorization' est manquant ou invalide")
    if claims is None or usage_point_id not in claims.get("sub", []):
        return wrapped(401, "Votre token est invalide ou ne permet pas d'accéder à ce PRM")
    if dialect == "v5":
        enedis_query = {
            "usage_point_id": usage_point_id,
            "start": query["start"],
            "end": query["end"],
        }
    else:
        enedis_query = {n: query[n] for n in names}
    reply = sim.enedis_call(path, enedis_query)
    try:
        body = json.loads(reply.body)
    except ValueError:
        body = None
    if reply.status == 200:
        if dialect == "v5" and isinstance(body, dict):
            return json_reply(200, body["meter_reading"])  # Conso API strips the envelope
        return reply
    return wrapped(reply.status, "The Enedis API returned an error", body or reply.body.decode())
