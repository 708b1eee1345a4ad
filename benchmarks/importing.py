"""Importing an R63 file: a two-year load curve (35,000 rows) read, tagged, priced and written.

linkyflux: ``linkyflux import``'s work in this process (:func:`read_r63` into an
:class:`Importer` writing to a file, with the state saved after each batch). Baseline: reading
the same file with the csv module alone. Targets: under one second, and memory flat: the peak
of Python's allocations (tracemalloc) for a two-year file within 25 % of a one-year one. The
readings are never all held (a file read whole would double the peak with the file); what
grows is the state every fetch keeps too, a few hundred bytes per day (status, schedule and
totals of each day).
"""

from __future__ import annotations

import csv
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from benchmarks.common import Figure, mb, secs
from linkyflux.simulator.exports import r63
from linkyflux.simulator.synthetic import METERS_BY_ID, published_curve
from linkyflux.sinks.writers import FileSink
from linkyflux.sources.exports.r63 import read_r63
from linkyflux.sync.imports import Importer
from linkyflux.sync.state import SyncState
from linkyflux.sync.totals import Pricing
from linkyflux.tariffs.classifier import Classifier, DatedSchedule
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.prices import Price, PriceList

HOUSE = "22516914714270"  # half-hourly
TARGET_S = 1.0
GROWTH = 0.25


def export(folder: Path, days: int) -> Path:
    """An R63 file of ``days`` days of the simulated household."""
    first = date(2024, 11, 1)
    meter = METERS_BY_ID[HOUSE]
    intervals = [
        i for n in range(days) for i in published_curve(meter, "consumption", first + timedelta(n))
    ]
    path = folder / f"r63-{days}.csv"
    path.write_text(r63([(HOUSE, "consumption", intervals)], first, first + timedelta(days)))
    return path


def baseline(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        for _ in csv.reader(handle, delimiter=";"):
            pass


def importing(path: Path) -> None:
    with tempfile.TemporaryDirectory() as state_dir:
        state = SyncState(Path(state_dir))
        classifier = Classifier([DatedSchedule(None, parse_offpeak("22h00-6h00"))], {})
        pricing = Pricing(classifier, PriceList([Price(date(2020, 1, 1), hc=0.16, hp=0.21)]))
        sink = FileSink(str(Path(state_dir) / "out.lp"))
        try:
            Importer(sink, pricing, state).add(read_r63(path))
        finally:
            sink.close()


def measure(work: Callable[[Path], None], path: Path) -> tuple[float, int]:
    """Best of three wall times, and the peak of Python's allocations."""
    best = min(_timed(work, path) for _ in range(3))
    tracemalloc.start()
    work(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return best, peak


def _timed(work: Callable[[Path], None], path: Path) -> float:
    began = time.perf_counter()
    work(path)
    return time.perf_counter() - began


def run(quick: bool) -> list[Figure]:
    days = 30 if quick else 730
    with tempfile.TemporaryDirectory() as folder:
        full, half = export(Path(folder), days), export(Path(folder), days // 2)
        rows = sum(1 for _ in full.open()) - 1
        took, peak = measure(importing, full)
        csv_took, csv_peak = measure(baseline, full)
        _, half_peak = measure(importing, half)
    growth = peak / half_peak - 1
    return [
        Figure(
            "import",
            f"R63, {rows:,} rows ({days} days)  linkyflux {secs(took)}  csv module alone "
            f"{secs(csv_took)}  ratio {took / csv_took:.1f}x",
            ok=took < TARGET_S,
            target=f"< {secs(TARGET_S)}",
        ),
        Figure(
            "import memory",
            f"peak of Python's allocations  {days // 2} days {mb(half_peak / 1024)}, {days} days "
            f"{mb(peak / 1024)} ({growth:+.0%})  csv module alone {mb(csv_peak / 1024)}",
            ok=growth <= GROWTH,
            target=f"growth <= {GROWTH:.0%}",
        ),
    ]
