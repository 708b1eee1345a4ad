"""The real wiring, on the real clock: separate processes, real sockets, real waiting.

Everything else runs on a fake clock; these few runs prove that the console entry points,
the simulator process and the device-flow polling work with real time (a few seconds).
"""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.simulator.proxy import browser_consent
from linkyflux.timeutil import PARIS

HOUSE = "22516914714270"
pytestmark = pytest.mark.realclock


def linkyflux(*args: str, cwd: Path, **kwargs: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "linkyflux", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        **kwargs,  # type: ignore[call-overload]
    )


@pytest.fixture
def simulator_url() -> str:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "linkyflux.simulator",
            "--port",
            "0",
            "--client-id",
            "rc",
            "--publication-hour",
            "0",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    banner = process.stdout.readline()
    assert banner.startswith("linkyflux simulator on http://127.0.0.1:"), banner
    yield banner.split()[3]
    process.terminate()
    process.wait(timeout=10)


def test_auth_then_fetch_in_separate_processes(simulator_url: str, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[consent]\nurl = "{simulator_url}"\nclient_id = "rc"\n'
        f'[influxdb]\noutput = "{tmp_path}/out.lp"\n[state]\ndir = "{tmp_path}/state"\n'
        '[tariff]\noffpeak = "22h00-6h00"\n'
    )
    auth = linkyflux("--config", str(config), "auth", cwd=tmp_path)
    assert auth.stdout is not None
    link = auth.stdout.readline().split()
    code = auth.stdout.readline().split()[4]
    assert link == ["Open", f"{simulator_url}/device?code={code}"]
    browser_consent(simulator_url, code, usage_points=(HOUSE,))
    out, _ = auth.communicate(timeout=60)
    assert auth.returncode == 0, out
    assert f"Consent granted for 1 usage point(s): {HOUSE}" in out

    fetch = linkyflux("--config", str(config), "fetch", "-d", "2", "-q", cwd=tmp_path)
    out, _ = fetch.communicate(timeout=60)
    assert fetch.returncode == 0, out
    assert out == ""
    today = datetime.now(PARIS).date()
    first_day = today - timedelta(days=2)
    lines = (tmp_path / "out.lp").read_text().splitlines()
    curve = [ln for ln in lines if ln.startswith("linky_load_curve,")]
    midnight = int(
        datetime(first_day.year, first_day.month, first_day.day, tzinfo=PARIS).timestamp()
    )
    assert curve[0].endswith(f" {midnight}")
    assert sum(1 for ln in lines if ln.startswith("linky_daily,")) == 2
    assert sum(1 for ln in lines if ln.startswith("linky_max_power,")) == 2


def test_demo_from_a_fresh_directory(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    demo = linkyflux("demo", "-d", "2", cwd=tmp_path, env=env)
    out, _ = demo.communicate(timeout=120)
    assert demo.returncode == 0, out
    assert "[demo] Opening the link and accepting the consent" in out
    assert "Consent granted for 8 usage point(s)" in out
    written = (tmp_path / "linkyflux-demo.lp").read_text().splitlines()
    assert f"into linkyflux-demo.lp: {len(written)} lines, " in out
    assert {ln.split(",", 1)[0] for ln in written} == {
        "linky_load_curve",
        "linky_daily",
        "linky_max_power",
        "linky_contract",
        "linky_sync",
        "netatmo_energy",  # the simulated Netatmo circuits: the demo shows both sources
    }
    assert "Netatmo consent saved in " in out
