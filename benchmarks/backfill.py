"""Backfill wall time against the bound the gateway's rate and latency impose, and its memory.

**Wall time.** A full ``linkyflux backfill`` (load curve 24 months and 15 days back, daily
energy and max power 36 months and 15 days) of three usage points, as a child process on
the real clock, against the simulated gateway answering each request after 150 ms and
allowing N requests a minute. The baseline is the shortest possible time for the requests
the run made, one after the other: request k cannot start before request k-1 is answered,
nor before request k-N started a minute earlier (:func:`paced_bound`).

**Memory.** Peak RSS of a backfill of five usage points (a 10-minute meter and a solar one
among them), for two history lengths, against a bare interpreter's.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from benchmarks.common import GATEWAY_WINDOW, ChildRun, Figure, gateway, mb, run_child, secs

# Three consumption meters, at 30-, 10- and 60-minute intervals (see linkyflux.simulator.synthetic).
THREE = ("22516914714270", "50000000000010", "50000000000060")
# ... with gaps every Tuesday and Wednesday, and a production-only one.
FIVE = (*THREE, "42900589957123", "24880057139941")

LATENCY = 0.150
WALL_TARGET = 1.15
RSS_TARGET_MB = 80.0
FLAT_TARGET = 1.10  # the longer history may take at most 10 % more memory


def paced_bound(calls: int, latency: float, limit: int, window: float) -> float:
    """The shortest wall time of ``calls`` sequential requests, each answered ``latency``
    after it is sent, when at most ``limit`` may arrive within any ``window`` seconds."""
    starts: list[float] = []
    for k in range(calls):
        start = starts[-1] + latency if starts else 0.0
        if k >= limit:
            start = max(start, starts[k - limit] + window)
        starts.append(start)
    return starts[-1] + latency if starts else 0.0


@dataclass(frozen=True)
class Backfill:
    points: tuple[str, ...]
    args: tuple[str, ...]  # after `backfill -q`: the history asked for
    requests_per_minute: int
    latency: float


def _run(spec: Backfill) -> tuple[ChildRun, int, int]:
    """One backfill from a fresh state: (the child's run, requests made, lines written)."""
    with gateway(
        spec.points, requests_per_minute=spec.requests_per_minute, latency=spec.latency
    ) as gw:
        before = gw.requests()
        run = gw.linkyflux("backfill", "-q", *spec.args)
        calls = gw.requests() - before
        lines = len(gw.output.read_text().splitlines()) if gw.output.exists() else 0
    if run.returncode != 0:
        raise RuntimeError(f"backfill exited with {run.returncode}: {run.output.strip()}")
    return run, calls, lines


def wall_time(quick: bool) -> Figure:
    if quick:  # one meter, two weeks, a fast gateway: a few requests, about a second
        spec = Backfill(THREE[:1], ("--days", "14"), 600, 0.020)
    else:  # 120 a minute keeps the bound near two minutes (12 a minute: half an hour)
        spec = Backfill(THREE, (), 120, LATENCY)
    run, calls, lines = _run(spec)
    bound = paced_bound(calls, spec.latency, spec.requests_per_minute, GATEWAY_WINDOW)
    ratio = run.seconds / bound
    meters = "1 usage point" if len(spec.points) == 1 else f"{len(spec.points)} usage points"
    history = "2 weeks" if quick else "24 months of curve, 36 of daily and max power"
    return Figure(
        "backfill",
        f"{meters}, {history}: {calls} requests, {lines:,} lines  "
        f"linkyflux {secs(run.seconds)}  bound {secs(bound)} "
        f"({spec.requests_per_minute}/min, {spec.latency * 1000:.0f} ms each)  "
        f"ratio {ratio:.2f}x",
        ok=ratio <= WALL_TARGET,
        target=f"target <= {WALL_TARGET}x",
    )


def memory(quick: bool) -> Figure:
    # No latency and the highest rate linkyflux accepts: memory does not depend on waiting.
    histories: dict[str, tuple[str, ...]] = (
        {"1 week": ("--days", "7"), "2 weeks": ("--days", "14")}
        if quick
        else {"12 months": ("--days", "365"), "24 months (the full backfill)": ()}
    )
    points = FIVE[:2] if quick else FIVE
    peaks = [_run(Backfill(points, args, 6000, 0.0))[0].max_rss_kb for args in histories.values()]
    labels = list(histories)
    bare = run_child([sys.executable, "-c", "pass"]).max_rss_kb
    growth = peaks[1] / peaks[0]
    ok = peaks[1] / 1024 < RSS_TARGET_MB and growth <= FLAT_TARGET
    return Figure(
        "memory",
        f"peak RSS of a backfill of {len(points)} usage points  "
        f"{labels[0]} of curve {mb(peaks[0])}, {labels[1]} {mb(peaks[1])} "
        f"({(growth - 1) * 100:+.0f} %)  python -c pass {mb(bare)}  "
        f"ratio {peaks[1] / bare:.1f}x",
        ok=ok,
        target=f"target < {RSS_TARGET_MB:.0f} MB, growth <= {(FLAT_TARGET - 1) * 100:.0f} %",
    )
