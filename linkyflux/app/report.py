"""The summary a ``fetch`` or ``backfill`` prints: what was written, per usage point and
direction, and what is not published yet."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from linkyflux.sinks.writers import Sink
    from linkyflux.sync.report import FetchReport


def format_report(report: FetchReport, sink: Sink) -> str:
    if report.start == report.end:  # nothing was to be fetched
        return "\n".join(report.notes)
    last = report.end - timedelta(days=1)
    priced = any(s.cost_by_tariff for s in report.series.values())
    spooled = getattr(sink, "spooled", 0)  # what a SpoolingSink could not write now
    unwritten = f" ({spooled} of them not written: see below)" if spooled else ""
    rows = [
        *report.notes,
        f"Fetched {report.start} … {last} into {sink.description}: "
        f"{report.lines_written} lines{unwritten}, {report.calls} API calls.",
        f"{'usage point':<15} {'direction':<12} {'curve pts':>9} {'HC kWh':>9} {'HP kWh':>9} "
        f"{'BASE kWh':>9} {'daily kWh':>10} {'peak days':>9}" + (f" {'curve €':>9}" * priced),
    ]
    for (usage_point_id, direction), s in sorted(report.series.items()):
        kwh = {t: f"{s.energy_by_tariff.get(t, 0.0) / 1000:9.3f}" for t in ("HC", "HP", "BASE")}
        cost = ""
        if priced:
            cost = f" {sum(s.cost_by_tariff.values()):>9.2f}" if s.cost_by_tariff else f" {'-':>9}"
        rows.append(
            f"{usage_point_id:<15} {direction:<12} {s.curve_points:>9} {kwh['HC']} {kwh['HP']} "
            f"{kwh['BASE']} {s.daily_energy_wh / 1000:>10.3f} {s.max_power_values:>9}{cost}"
        )
    rows += report.sources
    for (usage_point_id, label), days in sorted(report.pending.items()):
        listed = ", ".join(d.isoformat() for d in sorted(days))
        rows.append(
            f"Not published yet, fetched on the next run: {usage_point_id} {label}: {listed}"
        )
    return "\n".join(rows)
