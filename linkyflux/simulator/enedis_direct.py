"""Enedis itself, reached directly with the application's client credentials: the
simulator's ``/enedis/…``.

``POST /enedis/oauth2/v3/token`` (client_credentials, 3 h 30 tokens), then the metering and
contract paths with the application's token, for consented usage points only. "5 appels par
seconde et/ou 1000 appels par heure" (``../shared/docs/enedis-api.md`` §5.3, §9), counted over
any sliding second and hour (boundaries included) on the simulator's clock: over them the 2026
paths answer a hint-less ``429 {"code": "SLA dépassé", "message": "SLA dépassé"}``
(``real-answers.md`` item 4), the v5 ones Quota Q3 / Q4.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from linkyflux.simulator.contracts import CONTRACT_2026, usage_point_of
from linkyflux.simulator.dialects import ENDPOINTS_2026
from linkyflux.simulator.enedis import Enedis
from linkyflux.simulator.reply import NO_CONSENT, Reply, dialect_error, error_reply, json_reply

ENEDIS_CLIENT_SECRET = "simulator-secret"
ENEDIS_ACCESS_EXPIRE = 12600
# Data Connect 2026: "5 appels par seconde et/ou 1000 appels par heure" (the hourly one is
# State.enedis_hourly_quota); answered over quota with no hint of when to retry.
ENEDIS_PER_SECOND = 5
ENEDIS_SLA_EXCEEDED = {"code": "SLA dépassé", "message": "SLA dépassé"}


def enedis_token(sim: Enedis, form: dict[str, str]) -> Reply:
    """``POST /enedis/oauth2/v3/token``: an application token for the client credentials."""
    if not all(form.get(k) for k in ("grant_type", "client_id", "client_secret")):
        return error_reply(400, "invalid_request", "missing_parameter")
    if form["grant_type"] != "client_credentials":
        return error_reply(400, "unsupported_grant_type", "client_credentials only")
    if form["client_id"] != sim.client_id or form["client_secret"] != ENEDIS_CLIENT_SECRET:
        return error_reply(
            401,
            "Unauthorized",
            "Valid authentication credentials are mandatory to access the resource",
        )
    token = secrets.token_urlsafe(32)
    sim.app_tokens[token] = sim.now() + timedelta(seconds=ENEDIS_ACCESS_EXPIRE)
    return json_reply(
        200,
        {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": ENEDIS_ACCESS_EXPIRE,
            "scope": "am_application_scope default",
        },
    )


def enedis_direct(
    sim: Enedis, path: str, query: dict[str, str], authorization: str | None
) -> Reply:
    """``GET /enedis/<path>``: the application's token, the quotas, the consent, then Enedis'
    answer."""
    token = (authorization or "").removeprefix("Bearer ").strip()
    expiry = sim.app_tokens.get(token)
    if expiry is None or sim.now() >= expiry:
        return error_reply(401, "invalid_token", "Invalid Credentials")
    over = _enedis_over_quota(sim)
    if over is not None:
        if path in ENDPOINTS_2026 or path.startswith(CONTRACT_2026):
            return json_reply(429, ENEDIS_SLA_EXCEEDED)
        if over == "second":
            return error_reply(429, "Quota Q3 reached", "Call threshold allowed on 0:00:01")
        return error_reply(429, "Quota Q4 reached", "Call threshold allowed on 0:59:59")
    usage_point_id = usage_point_of(path, query)
    if usage_point_id not in sim.consent:
        return dialect_error(path in ENDPOINTS_2026, 403, "ADAM-DC-0008", NO_CONSENT)
    return sim.enedis_call(path, query)


def _enedis_over_quota(sim: Enedis) -> str | None:
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
