"""Netatmo rotates its refresh token on every refresh (docs/netatmo.md B1): a run killed at
each point of a refresh, then the next run (issue #18).

- killed as the refresh reaches Netatmo, before Netatmo rotates: the pair on disk still
  works, the next run carries on;
- killed right after the new pair is saved (at the next call): the next run uses it;
- killed after Netatmo rotated but before the answer came back: the pair on disk is dead, and
  nothing on our side can know the new one (Netatmo sent it to a dead process). The next run
  exits 4 with the command that gives the consent again: a run never hides it.
"""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from linkyflux.simulator.netatmo import NETATMO_CLIENT_ID, NETATMO_CLIENT_SECRET

from simenv import World, world

HOUSE = "22516914714270"


def saved_refresh(w: World) -> str:
    return str(json.loads((w.state_dir / "netatmo_tokens.json").read_text())["refresh_token"])


def kill_at(w: World, endpoint: str, moment: str, runs: list[subprocess.Popen[str]]) -> None:
    """SIGKILL the run when Netatmo's ``endpoint`` call is at ``moment`` (the first time)."""
    done = False

    def hook(name: str, when: str) -> None:
        nonlocal done
        if done or (name, when) != (endpoint, moment):
            return
        done = True
        runs[0].send_signal(signal.SIGKILL)
        runs[0].wait()
        raise ConnectionAbortedError("the client was killed")

    w.simulator.netatmo.on_call = hook


def killed_run(w: World, endpoint: str, moment: str) -> str:
    runs: list[subprocess.Popen[str]] = []
    kill_at(w, endpoint, moment, runs)
    runs.append(w.spawn("fetch", "-q"))
    output, _ = runs[0].communicate(timeout=120)
    w.simulator.netatmo.on_call = None
    assert runs[0].returncode == -signal.SIGKILL, output
    return output


Expect = Callable[[World, str], None]


@pytest.mark.parametrize(
    ("endpoint", "moment", "survives"),
    [
        ("token", "received", True),  # before Netatmo rotates
        ("getmeasure", "received", True),  # after the new pair is saved
        ("token", "answered", False),  # rotated at Netatmo, never heard of here
    ],
)
def test_a_run_killed_during_a_refresh(
    tmp_path: Path, endpoint: str, moment: str, survives: bool
) -> None:
    with world(tmp_path, date(2026, 10, 29), shared=True) as w:
        w.consent = (HOUSE,)
        w.config(
            netatmo={
                "client_id": NETATMO_CLIENT_ID,
                "client_secret": NETATMO_CLIENT_SECRET,
                "url": f"{w.url}/netatmo",
            }
        )
        assert w.run("auth").exit_code == 0
        assert w.run("auth", "--netatmo").exit_code == 0
        first = saved_refresh(w)
        w.simulator.netatmo.expire_access_tokens()  # the next call is refused: code 3, refresh
        killed_run(w, endpoint, moment)
        rotated = saved_refresh(w) != first
        assert rotated is (endpoint == "getmeasure")  # saved before the first use
        w.simulator.netatmo.expire_access_tokens()
        again = w.run("fetch", "-q")
    if survives:
        assert again.exit_code == 0, again.output
        assert w.simulator.netatmo.refreshes >= 1
    else:
        assert again.exit_code == 4, again.output
        assert again.stderr.splitlines()[-1] == (
            "linkyflux: the Netatmo consent expired or was revoked: run `linkyflux auth --netatmo`"
        )
