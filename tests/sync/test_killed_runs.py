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

from simenv import World, consented, world

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


def test_a_line_cut_by_a_kill_does_not_swallow_the_next_run_s(tmp_path: Path) -> None:
    """A run killed while appending to the output file leaves half a line: the next run
    starts on a new line, so only the cut point is lost (and fetched again)."""
    with consented(tmp_path, HOUSE) as w:
        cut = "linky_daily,direction=consumption,usage_point_id=22516914714270 energy_wh=12"
        (w.home / "out.lp").write_text(cut)
        assert w.run("fetch", "-q").exit_code == 0
        lines = w.output_lines()
        assert lines[0] == cut
        assert all(line.count(" ") == 2 for line in lines[1:])
        assert len(lines) == 1 + 48 + 1 + 1 + 1 + 3  # curve, daily, max power, contract, sync
