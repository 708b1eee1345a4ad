"""`linkyflux status`: consent, sync state per series, spool and requests, for people or scripts.

It reads every file of the state directory and writes none (but for making ``tokens.json``
0600 again): a file that is unusable is one line naming it (exit code 11), as for the other
commands.

Per series, ``available_from`` is the first day Enedis can still give (its history horizon,
or the meter's activation); ``missing`` days are those since the first day fetched that are
not in the sink yet, ``partial`` ones have gaps Enedis never filled, ``unavailable`` ones had
nothing three days after they ended.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from linkyflux.app.wiring import command_of, destination_of
from linkyflux.errors import AuthError
from linkyflux.models import Contract
from linkyflux.settings import Settings
from linkyflux.sinks.spool import Spool
from linkyflux.sources.contracts import describe
from linkyflux.sources.enedis import horizon
from linkyflux.sources.tokens import TokenStore
from linkyflux.sources.transport import RequestLog
from linkyflux.sync.circuits import CircuitState
from linkyflux.sync.planning import RECHECK
from linkyflux.sync.state import SERIES_KEYS, SeriesState, SyncState
from linkyflux.timeutil import Clock, paris_today
from linkyflux.urls import public_url


def _ranges(days: list[date]) -> list[str]:
    """Consecutive days as ``first..last`` (or a single day)."""
    out: list[list[date]] = []
    for day in sorted(days):
        if out and out[-1][1] == day - timedelta(days=1):
            out[-1][1] = day
        else:
            out.append([day, day])
    return [a.isoformat() if a == b else f"{a}..{b}" for a, b in out]


def _series(state: SeriesState, yesterday: date, available_from: date) -> dict[str, Any]:
    first = state.first_day()
    by_status: dict[str, list[date]] = {"partial": [], "unavailable": []}
    for day, status in state.days.items():
        if status in by_status:
            by_status[status].append(day)
    last = state.last_complete()
    return {
        "available_from": available_from.isoformat(),
        "first_day": first.isoformat() if first else None,
        "last_complete": last.isoformat() if last else None,
        "missing": _ranges(state.missing_between(first, yesterday + timedelta(1)) if first else []),
        "partial": _ranges(by_status["partial"]),
        "unavailable": _ranges(by_status["unavailable"]),
    }


def collect(settings: Settings, clock: Clock) -> dict[str, Any]:
    state_dir = settings.state_dir()
    now = clock.now()
    today = paris_today(clock)
    yesterday = today - timedelta(days=1)
    consent: dict[str, Any] | None
    try:
        tokens = TokenStore(state_dir).load()
        consent = {
            "url": public_url(tokens.consent_url),
            "usage_points": list(tokens.usage_points),
            "access_token_expires_at": tokens.expires_at.isoformat(),
            "access_token_valid": now < tokens.expires_at,
        }
        usage_points = list(tokens.usage_points)
    except AuthError as exc:
        consent, usage_points = None, []
        consent_error = str(exc)
    state = SyncState(state_dir)
    usage_points += [p for p in state.usage_points if p not in usage_points]
    times = RequestLog(state_dir).load(now)
    spool = Spool(state_dir)
    files, lines = spool.size()
    rejected = spool.rejected_lines()
    points = {}
    for usage_point_id in usage_points:
        point = state.point(usage_point_id)
        points[usage_point_id] = {
            "contract": point.contract.to_json() if point.contract else None,
            "contract_read": point.contract_read.isoformat() if point.contract_read else None,
            "activation": point.activation.isoformat() if point.activation else None,
            "directions": dict(sorted(point.directions.items())),
            # Tempo: days written without their colour's cost yet
            "waiting_for_colour": _ranges(sorted(point.uncoloured)),
            # direction -> the day a refused direction is asked again
            "asked_again_from": {
                direction: (day + RECHECK).isoformat()
                for direction, day in sorted(point.direction_checked.items())
            },
            "series": {
                key: _series(
                    point.series[key],
                    yesterday,
                    max(horizon(today, key.endswith("/curve")), point.activation or date.min),
                )
                for key in SERIES_KEYS
                if key in point.series and point.directions.get(key.split("/")[0]) is not False
            },
        }
    return {
        "state_dir": str(state_dir),
        "destination": state.destination or destination_of(settings),
        "command": command_of(settings),  # how to run linkyflux with this config
        "consent": consent if consent is not None else {"error": consent_error},
        "spool": {"files": files, "lines": lines},
        "rejected": {
            "lines": rejected,
            "file": str(spool.rejected_path),
            "what_to_do": _rewrite_advice(settings, spool.rejected_path) if rejected else None,
        },
        "requests": {
            "last_minute": sum(1 for t in times if now - t < timedelta(minutes=1)),
            "last_hour": sum(1 for t in times if now - t < timedelta(hours=1)),
            "last_24_hours": len(times),
            "limit_per_minute": settings.consent.requests_per_minute,
        },
        "usage_points": points,
        "circuits": _circuits(settings, now),
    }


def _circuits(settings: Settings, now: datetime) -> dict[str, Any] | None:
    """Netatmo: where each circuit stands (None: no Netatmo configured)."""
    if not settings.netatmo.enabled:
        return None
    state = CircuitState(settings.state_dir())
    return {
        module_id: {
            **state.described.get(module_id, {}),
            "last_bucket_end": end.isoformat(),
            "hours_behind": round((now - end).total_seconds() / 3600, 1),
        }
        for module_id, end in sorted(state.last.items())
    }


def _rewrite_advice(settings: Settings, path: Path) -> str:
    """What to do with the lines InfluxDB refused for good (``rejected.lp``)."""
    influx = settings.influxdb
    if influx.api == "v1":
        query = f"db={influx.database}&precision=s"
        query += f"&rp={influx.retention_policy}" if influx.retention_policy else ""
        user = f"-u {influx.username} " if influx.username else ""
        url = public_url(influx.url.rstrip("/"))
        command = f"curl {user}-XPOST '{url}/write?{query}' --data-binary @{path}"
    else:
        org = f"--org {influx.org} " if influx.org else ""
        command = f"influx write {org}--bucket {influx.bucket} --precision s --file {path}"
    return (
        "fix the database or the lines (InfluxDB's message is in the comment above each), "
        f"write them again by hand ({command}), then delete the file"
    )


def _when(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M UTC")


def format_status(status: dict[str, Any]) -> str:
    consent = status["consent"]
    rows = [f"State directory: {status['state_dir']}", f"Destination: {status['destination']}"]
    if "error" in consent:
        rows.append(f"Consent: {consent['error']}")
    else:
        validity = "valid" if consent["access_token_valid"] else "expired, refreshed on next use"
        rows.append(
            f"Consent: {len(consent['usage_points'])} usage point(s) through {consent['url']}; "
            f"access token {validity} until {_when(consent['access_token_expires_at'])}"
        )
    spool = status["spool"]
    rows.append(
        "Spool: empty"
        if not spool["files"]
        else f"Spool: {spool['lines']} lines in {spool['files']} file(s), written first on the "
        "next run"
    )
    rejected = status["rejected"]
    if rejected["lines"]:
        count = rejected["lines"]
        rows.append(
            f"Set aside: {count} line{'s' * (count > 1)} InfluxDB refused, in "
            f"{rejected['file']}: {rejected['what_to_do']}"
        )
    req = status["requests"]
    rows.append(
        f"Requests to the gateway: {req['last_minute']} in the last minute (limit "
        f"{req['limit_per_minute']}), {req['last_hour']} in the last hour, "
        f"{req['last_24_hours']} in the last 24 hours"
    )
    command = status["command"]
    for usage_point_id, point in status["usage_points"].items():
        measured = [d for d, yes in point["directions"].items() if yes]
        refused = [d for d, yes in point["directions"].items() if not yes]
        details = [f"measures {', '.join(measured)}" if measured else "not fetched yet"]
        if refused:
            again = [point["asked_again_from"].get(d) for d in refused]
            details.append(
                f"no {', '.join(refused)} (asked again from {min(again)}; now: {command} "
                "backfill --recheck-directions)"
                if all(again)
                else f"no {', '.join(refused)}"
            )
        if point["activation"]:
            details.append(f"activated {point['activation']}")
        rows.append(f"\n{usage_point_id}: {'; '.join(details)}")
        if point["contract_read"]:
            contract = Contract.from_json(point["contract"]) if point["contract"] else None
            rows.append(f"  contract: {describe(contract)} (read {point['contract_read']})")
        if point["waiting_for_colour"]:
            rows.append(
                f"  Tempo: waiting for the colour of {', '.join(point['waiting_for_colour'])} "
                "(their load curve has no cost yet; priced by the run that learns it)"
            )
        for key, s in point["series"].items():
            line = (
                f"  {key:<22} from {s['available_from']}  "
                f"last complete {s['last_complete'] or '-':<10}"
            )
            for name in ("missing", "partial", "unavailable"):
                if s[name]:
                    line += f"  {name}: {', '.join(s[name])}"
            if s["unavailable"]:
                line += (
                    f" (Enedis had nothing: to ask again, {command} backfill --retry-unavailable)"
                )
            rows.append(line)
    circuits = status.get("circuits")
    if circuits is not None:
        rows.append("\nNetatmo circuits:" if circuits else "\nNetatmo circuits: none read yet")
        for module_id, c in circuits.items():
            rows.append(
                f"  {c.get('name', '?')} ({c.get('kind', '?')}, {module_id}): up to "
                f"{_when(c['last_bucket_end'])}, {c['hours_behind']:g} h behind"
            )
    return "\n".join(rows)
