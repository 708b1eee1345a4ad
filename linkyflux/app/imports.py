"""``linkyflux import``: files downloaded from Enedis into the configured destination, as
``fetch`` would have written them (see :mod:`linkyflux.sync.imports`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from linkyflux.app.runs import check_destination, sink_errors
from linkyflux.app.wiring import (
    Echo,
    Runtime,
    make_classifier,
    make_prices,
    spooling_sink,
    tempo_colours,
)
from linkyflux.errors import BadFile, LinkyfluxError
from linkyflux.settings import Settings
from linkyflux.sources.exports.r63 import is_r63, read_r63
from linkyflux.sources.exports.webcsv import is_web_curve, read_web_curve
from linkyflux.sync.imports import Imported, Importer
from linkyflux.sync.lock import run_lock
from linkyflux.sync.state import SyncState
from linkyflux.sync.totals import Pricing


@dataclass
class ImportReport:
    """Per file, what it gave per (usage point, direction); the errors, in order."""

    files: dict[Path, dict[tuple[str, str], Imported]] = field(default_factory=dict)
    errors: list[LinkyfluxError] = field(default_factory=list)
    destination: str = ""


def files_of(paths: Sequence[str]) -> list[Path]:
    """The files named, and the files of the folders named (sorted), in order."""
    out: list[Path] = []
    for name in paths:
        path = Path(name)
        out += sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    return out


def run_import(
    settings: Settings, runtime: Runtime, paths: Sequence[str], warn: Echo, *, dry_run: bool
) -> ImportReport:
    """Import each file; a bad one is reported and the others are still imported."""
    state_dir = settings.state_dir()
    report = ImportReport()
    with run_lock(state_dir):
        state = SyncState(state_dir)
        sink = None if dry_run else spooling_sink(settings, runtime)
        try:
            if sink is not None:
                check_destination(settings, state, warn)
                report.destination = sink.description
                sink.drain_spool()
            with tempo_colours(settings, runtime) as colours:
                pricing = Pricing(make_classifier(settings, state), make_prices(settings), colours)
                for path in files_of(paths):
                    importer = Importer(sink, pricing, state)
                    try:
                        _import(path, importer)
                    except BadFile as exc:
                        report.errors.append(exc)
                    report.files[path] = dict(importer.imported)
        finally:
            if sink is not None:
                sink.close()
                state.save()
        if sink is not None:
            report.errors += sink_errors(sink)
    return report


def _import(path: Path, importer: Importer) -> None:
    try:
        with path.open(encoding="utf-8-sig", errors="replace") as handle:
            head = handle.readline()
    except OSError as exc:
        raise BadFile(f"{path}: cannot read: {exc.strerror}") from None
    if is_r63(head):
        importer.add(read_r63(path))
    elif is_web_curve(head):
        importer.add(read_web_curve(path))
    else:
        raise BadFile(
            f"{path}: line 1: not an Enedis export linkyflux reads (an R63 load-curve CSV, or "
            "the customer space's Enedis_Conso_Heure CSV)"
        )


def format_import(report: ImportReport) -> str:
    """One line per file and series: days (complete), points, energy, first and last day."""
    rows = []
    for path, series in report.files.items():
        if not series:
            continue
        for (usage_point_id, direction), got in sorted(series.items()):
            days = sorted(got.days)
            rows.append(
                f"{path.name}: {usage_point_id} {direction}: {len(days)} days "
                f"({len(got.complete)} complete) from {days[0]} to {days[-1]}, "
                f"{got.points} points, {got.energy_wh / 1000:.3f} kWh"
            )
    title = (
        f"Imported into {report.destination}:"
        if report.destination
        else "Read (dry run: nothing written):"
    )
    return "\n".join([title, *rows])
