"""The benchmarks' quick version runs, so the scripts cannot rot (its targets are not checked
here: timings belong to `python -m benchmarks`, on a quiet machine)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_quick_benchmarks_run_and_serialise_identical_bytes() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--quick"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    names = [line.split(":", 1)[0] for line in lines[1:-1]]
    assert names == [
        "serialisation",
        "backfill",
        "memory",
        "cold start",
        "cold start",
        "api economy",
        "import",
        "import memory",
    ], done.stdout
    assert not any("FAILED" in line for line in lines), done.stdout
    assert "identical bytes" in lines[1]
    assert "calls 52  minimum 52 " in lines[6]
    assert lines[-1].endswith("targets not checked (--quick)")
