"""Cold start: how long the ``linkyflux`` command takes to start, against bare interpreters.

``linkyflux --help`` against ``python -c "import click, httpx"`` (the two libraries every
command needs), and a whole ``linkyflux fetch -d 1`` (settings, state, three requests to
the simulated gateway on loopback, file sink) against the same, with ``python -c pass`` as
the floor. Each command runs once untimed, then the commands take turns; the median counts.
"""

from __future__ import annotations

import statistics
import sys

from benchmarks.common import Figure, gateway, linkyflux_argv, run_child, secs

HELP_TARGET = 1.3
HOUSE = "22516914714270"


def run(quick: bool) -> list[Figure]:
    rounds = 2 if quick else 15
    with gateway((HOUSE,), requests_per_minute=6000) as gw:
        commands = {
            "help": [*linkyflux_argv(), "--help"],
            "fetch": [*linkyflux_argv(), "--config", str(gw.config), "fetch", "-d", "1", "-q"],
            "import": [sys.executable, "-c", "import click, httpx"],
            "bare": [sys.executable, "-c", "pass"],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for n in range(rounds + 1):
            for name, argv in commands.items():
                child = run_child(argv)
                if child.returncode != 0:
                    raise RuntimeError(
                        f"{' '.join(argv)} exited with {child.returncode}: {child.output.strip()}"
                    )
                if n:  # the first round warms the caches (and learns the meter's directions)
                    times[name].append(child.seconds)
    median = {name: statistics.median(values) for name, values in times.items()}
    importing = 'python -c "import click, httpx"'
    ratio = median["help"] / median["import"]
    return [
        Figure(
            "cold start",
            f"linkyflux --help {secs(median['help'])}  {importing} {secs(median['import'])}  "
            f"ratio {ratio:.2f}x  (python -c pass {secs(median['bare'])}; "
            f"median of {rounds})",
            ok=ratio <= HELP_TARGET,
            target=f"target <= {HELP_TARGET}x",
        ),
        Figure(
            "cold start",
            f"linkyflux fetch -d 1 {secs(median['fetch'])}  {importing} "
            f"{secs(median['import'])}  ratio {median['fetch'] / median['import']:.2f}x  "
            f"(python -c pass {secs(median['bare'])}; median of {rounds}; no target)",
        ),
    ]
