"""Runs killed mid-request (cron's `timeout -s KILL`, the OOM killer, a reboot), then run again.

Each run here is a child process on the clock it shares with the simulator (see
``tests/sharedclock.py``); the simulator kills it while a data call is in flight, before
answering, so nothing of the run's own clean-up happens. What must hold afterwards is what
a kinder ending would give: no call over the gateway's limits, nothing lost.
"""

from __future__ import annotations

import signal
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from test_never_lose import days_of

from simenv import World, world

HOUSE = "22516914714270"


def proxy_calls_per_minute(w: World, since: int) -> Counter[datetime]:
    """The requests the consent proxy counts against the client (data and token refreshes)
    since request number ``since``, per calendar minute (UTC)."""
    counted: Counter[datetime] = Counter()
    for (_, path, _), at in list(zip(w.simulator.requests, w.simulator.request_times, strict=True))[
        since:
    ]:
        if path.startswith("/data/proxy/") or path == "/device/token":
            counted[at.replace(second=0, microsecond=0)] += 1
    return counted


def run_killed(w: World, *args: str, on_call: int, sig: signal.Signals = signal.SIGKILL) -> str:
    runs: list[subprocess.Popen[str]] = []
    w.kill_on_data_call(on_call, lambda: runs[0], sig)
    runs.append(w.spawn(*args))
    out, _ = runs[0].communicate(timeout=120)
    w.simulator.on_data_call = None
    assert runs[0].returncode == -sig, out
    return out


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["KILL", "TERM"])
def test_the_calls_of_killed_runs_count_for_the_next_runs(
    tmp_path: Path, sig: signal.Signals
) -> None:
    with world(tmp_path, shared=True) as w:  # the proxy allows 12 calls a minute
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        w.clock.advance(300)
        since = len(w.simulator.requests)
        run_killed(w, "backfill", "--days", "90", on_call=9, sig=sig)
        run_killed(w, "backfill", "--days", "90", on_call=5, sig=sig)
        result = w.run("backfill", "--days", "90")
        assert result.exit_code == 0, result.output
        busiest = proxy_calls_per_minute(w, since).most_common(1)[0]
        assert busiest[1] <= 12, f"{busiest[1]} calls in the minute from {busiest[0]}"
        curve = days_of(w, "linky_load_curve")  # and nothing lost
        assert len(curve) == 90
        assert set(curve.values()) == {48, 50}  # 25 October: 50 half-hours
