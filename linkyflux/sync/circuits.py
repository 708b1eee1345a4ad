"""Netatmo circuits into the sink: every run reads a trailing window again and overwrites it.

A Legrand Ecocompteur uploads every few hours, and its newest buckets may come late
(docs/netatmo.md B5): so each run asks every circuit for the ``window`` before the last
bucket it has seen, or before now when it has seen none, and writes what comes back. A
bucket is one point per circuit and start, so reading it again rewrites the same point. A run
that stops (rate limit, consent) keeps what it wrote: the next one starts from each circuit's
own last bucket, so the days between are caught up.

What each circuit has reached is kept in ``circuits.json`` in the state directory (its last
bucket's end, its home, name and kind for ``status``), versioned and written atomically.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from linkyflux.errors import LinkyfluxError
from linkyflux.fsutil import read_document, schema_of, write_private
from linkyflux.models import Circuit, CircuitReading
from linkyflux.sinks.writers import Sink
from linkyflux.sync.state import UsagePointState
from linkyflux.sync.totals import Pricing

CIRCUITS_FILE = "circuits.json"
VERSION = 1
WHAT_TO_DO = "move it away (every circuit is read again from its trailing window)"


class CircuitSource(Protocol):
    """Where circuits and their buckets come from (the Netatmo client, see sources/netatmo)."""

    def circuits(self) -> list[Circuit]: ...

    def readings(
        self, circuit: Circuit, start: datetime, end: datetime
    ) -> list[CircuitReading]: ...


@dataclass
class CircuitSummary:
    """What a run wrote for one circuit."""

    circuit: Circuit
    points: int = 0
    energy_wh: float = 0.0
    last: datetime | None = None  # the end of its last bucket, as far as it reached


@dataclass
class CircuitsReport:
    circuits: dict[str, CircuitSummary] = field(default_factory=dict)  # by module id
    errors: list[LinkyfluxError] = field(default_factory=list)


class CircuitState:
    """``circuits.json``: the end of each circuit's last bucket seen (see the module)."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / CIRCUITS_FILE
        self.last: dict[str, datetime] = {}
        self.described: dict[str, dict[str, str]] = {}
        document = read_document(self.path, VERSION, WHAT_TO_DO)
        if document is None:
            return
        with schema_of(self.path, WHAT_TO_DO):
            for module_id, entry in document.items("circuits"):
                self.last[module_id] = entry["last_end"].instant()
                self.described[module_id] = {
                    key: entry[key].text() for key in ("home_id", "name", "kind")
                }

    def save(self) -> None:
        circuits = {
            module_id: {**self.described.get(module_id, {}), "last_end": end.isoformat()}
            for module_id, end in sorted(self.last.items())
        }
        data = {"version": VERSION, "circuits": circuits}
        write_private(self.path, json.dumps(data, indent=1).encode())

    def reached(self, circuit: Circuit, end: datetime) -> None:
        self.last[circuit.module_id] = max(end, self.last.get(circuit.module_id, end))
        self.described[circuit.module_id] = {
            "home_id": circuit.home_id,
            "name": circuit.name,
            "kind": circuit.kind,
        }


def sync_circuits(
    source: CircuitSource,
    sink: Sink,
    pricing: Pricing,
    state_dir: Path,
    point: Callable[[str], UsagePointState],
    usage_point_of: Callable[[Circuit], str],
    now: datetime,
    window: timedelta,
    since: datetime | None = None,
) -> CircuitsReport:
    """Read and write every circuit from ``window`` before its last bucket (or before
    ``now``; from ``since`` for a backfill) to ``now``. An upstream error stops the run
    there (what was written stays written): it is in the report."""
    report = CircuitsReport()
    state = CircuitState(state_dir)
    try:
        circuits = source.circuits()
    except LinkyfluxError as exc:
        report.errors.append(exc)
        return report
    for circuit in circuits:
        summary = report.circuits.setdefault(circuit.module_id, CircuitSummary(circuit))
        start = min(state.last.get(circuit.module_id, now), now) - window
        if since is not None:
            start = min(start, since)
        try:
            readings = source.readings(circuit, start.astimezone(UTC), now)
        except LinkyfluxError as exc:
            report.errors.append(exc)
            break
        if not readings:
            continue
        usage_point_id = usage_point_of(circuit)
        sink.write(pricing.circuit_lines(point(usage_point_id), usage_point_id, readings))
        end = max(datetime.fromtimestamp(r.timestamp + r.minutes * 60, UTC) for r in readings)
        summary.points += len(readings)
        summary.energy_wh += sum(r.energy_wh for r in readings)
        summary.last = end
        state.reached(circuit, end)
        state.save()
    return report
