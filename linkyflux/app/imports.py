"""``linkyflux import``: files downloaded from Enedis into the configured destination, as
``fetch`` would have written them (see :mod:`linkyflux.sync.imports`)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

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
from linkyflux.sources.exports import lines_in, read_export
from linkyflux.sync.imports import Imported, Importer
from linkyflux.sync.lock import run_lock
from linkyflux.sync.state import SyncState
from linkyflux.sync.totals import Pricing

T = TypeVar("T")
Advance = Callable[[int], None]
# A file's progress bar, given the file and how many lines it has: a context that yields the
# function to call with the lines read since the last call
Progress = Callable[[Path, int], AbstractContextManager[Advance]]
SHOWN_FROM = 20_000  # lines: a smaller file is read in a blink, with no bar


@dataclass
class ImportReport:
    """Per file, what it gave per (usage point, direction); the errors, in order."""

    files: dict[Path, dict[tuple[str, str, str], Imported]] = field(default_factory=dict)
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
    settings: Settings,
    runtime: Runtime,
    paths: Sequence[str],
    warn: Echo,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ImportReport:
    """Import each file; a bad one is reported and the others are still imported. A large
    file shows its ``progress``, when given (on a terminal)."""
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
                        _import(path, importer, progress)
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


def _import(path: Path, importer: Importer, progress: Progress | None) -> None:
    readings = read_export(path)
    lines = lines_in(path) if progress is not None else 0
    if progress is None or lines < SHOWN_FROM:
        importer.add(readings)
        return
    with progress(path, lines) as advance:
        importer.add(_counted(readings, advance))


def _counted(items: Iterable[T], advance: Advance, every: int = 1000) -> Iterator[T]:
    """The items, calling ``advance`` with how many went by, every ``every`` of them."""
    n = 0
    for n, item in enumerate(items, start=1):
        yield item
        if n % every == 0:
            advance(every)
    advance(n % every)


def format_import(report: ImportReport) -> str:
    """One line per file and series: days (complete), points, energy, first and last day."""
    rows = []
    for path, series in report.files.items():
        if not series:
            continue
        for (usage_point_id, direction, kind), got in sorted(series.items()):
            days = sorted(got.days)
            span = f"from {days[0]} to {days[-1]}"
            energy = f"{got.energy_wh / 1000:.3f} kWh"
            if kind == "daily":
                rows.append(
                    f"{path.name}: {usage_point_id} {direction} daily energy: "
                    f"{len(days)} days {span}, {energy}"
                )
                continue
            rows.append(
                f"{path.name}: {usage_point_id} {direction}: {len(days)} days "
                f"({len(got.complete)} complete) {span}, {got.points} points, {energy}"
            )
    title = (
        f"Imported into {report.destination}:"
        if report.destination
        else "Read (dry run: nothing written):"
    )
    return "\n".join([title, *rows]) if rows else f"{title} nothing."
