"""``python -m benchmarks [--quick] [--only NAME]``: run the benchmarks, check their targets.

Exit code: 0 when every benchmark ran (and, without ``--quick``, met its target); 1 when a
target was missed; 2 when a benchmark failed to run or produced wrong bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from benchmarks import backfill, coldstart, economy, importing, serialisation
from benchmarks.common import Figure, machine, secs

BENCHMARKS: dict[str, Callable[[bool], Figure | list[Figure]]] = {
    "serialisation": serialisation.run,
    "backfill": backfill.wall_time,
    "memory": backfill.memory,
    "coldstart": coldstart.run,
    "economy": economy.run,
    "import": importing.run,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="linkyflux's benchmarks: each prints its figure, a baseline measured in "
        "the same run, their ratio and the target.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="small versions, in seconds: check that everything runs and the bytes are "
        "identical, not the targets",
    )
    parser.add_argument(
        "--only", action="append", choices=list(BENCHMARKS), help="run only this (repeatable)"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    print(f"linkyflux benchmarks{' (quick)' if args.quick else ''}: {machine()}", flush=True)
    figures: list[Figure] = []
    for name, bench in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        try:
            result = bench(args.quick)
        except Exception as exc:  # report it, run the others
            result = Figure(name, "", broken=f"{type(exc).__name__}: {exc}")
        for figure in result if isinstance(result, list) else [result]:
            figures.append(figure)
            print(figure.line(args.quick), flush=True)
    broken = [f for f in figures if f.broken]
    missed = [f for f in figures if f.ok is False and not args.quick]
    print(
        f"{len(figures)} figures in {secs(time.perf_counter() - began)}: "
        + (f"{len(broken)} failed, " if broken else "")
        + ("targets not checked (--quick)" if args.quick else f"{len(missed)} target(s) missed"),
        flush=True,
    )
    return 2 if broken else 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
