"""Fault injection: the failures a test can ask for, which data call each hits, and what
Enedis answers then.

Each kind is an answer the real service gives (``../shared/docs/enedis-api.md`` §5: Quota
Q3/Q4 bodies, the API gateway's throttle, ``technical_error``, 503 pages, stalls; and
``real-answers.md``: the 2026 APIs' hint-less ``429 SLA dépassé``). The queue itself is part
of the simulator's state (:mod:`linkyflux.simulator.state`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from linkyflux.simulator.dialects import ENDPOINTS_2026, V5_TWIN
from linkyflux.simulator.reply import Reply, dialect_error, json_reply

FAULT_KINDS = (
    "quota",  # 429 Quota Q4 (hourly), retry in half an hour
    "burst",  # 429 Quota Q3 (5 calls/s), retry in 2 seconds
    "throttle",  # 429 from the API gateway (WSO2), no hint
    "technical_error",
    "unavailable",
    "timeout",
    "malformed",
    "no_data",  # 404 no_data_found for a range that has data (a transient hiccup)
)


@dataclass
class Fault:
    kind: str
    count: int = 1
    path_contains: str = ""
    delay: float = 2.0  # real seconds, for "timeout"


def take_fault(pending: list[Fault], path: str) -> Fault | None:
    """The first pending fault for ``path``, counted down (and dropped once spent); the caller
    holds the simulator's lock."""
    # A fault named after a v5 path also hits its 2026 twin.
    names = f"{path} {V5_TWIN.get(path, '')}"
    for fault in pending:
        if fault.path_contains in names:
            fault.count -= 1
            if fault.count <= 0:
                pending.remove(fault)
            return fault
    return None


def fault_reply(fault: Fault, path: str) -> Reply:
    """What Enedis answers ``path`` when ``fault`` strikes, in the path's dialect."""
    v2026 = path in ENDPOINTS_2026
    error = partial(dialect_error, v2026)

    if fault.kind == "quota":
        if v2026:  # the 2026 APIs only say "SLA exceeded", with no hint of when
            return json_reply(429, {"code": "SLA dépassé", "message": "SLA dépassé"})
        return error(429, "Quota Q4 reached", "Call threshold allowed on 0:-30:-40")
    if fault.kind == "burst":
        reply = error(429, "Quota Q3 reached", "Call threshold allowed on 0:00:02")
        reply.headers = (("Retry-After", "2"),)
        return reply
    if fault.kind == "throttle":
        fault_body = {
            "code": 900807,
            "message": "Message throttled out",
            "description": "You have exceeded your quota",
        }
        return json_reply(429, {"fault": fault_body})
    if fault.kind == "technical_error":
        return error(500, "technical_error", "Technical error. Please try later.")
    if fault.kind == "unavailable":
        return Reply(503, b"Service Unavailable", "text/plain")
    if fault.kind == "timeout":
        return Reply(504, b"", "text/plain", delay=fault.delay)
    if fault.kind == "no_data":
        return error(404, "no_data_found", "no measure found for this usage point")
    return Reply(200, b'{"meter_reading": {"usage_point_id": "', "application/json")
