"""What the benchmarks share: their result line, the machine, the simulated gateway, child runs.

The gateway is linkyflux's own simulator on a loopback port, in this process, with an added
latency (see :class:`LatentSimulator`). linkyflux itself runs as a child process, as cron
runs it, so that its wall time and peak memory are its own.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from linkyflux.app.consent import run_auth
from linkyflux.app.wiring import Runtime
from linkyflux.settings import load_settings
from linkyflux.simulator.proxy import browser_consent
from linkyflux.simulator.reply import Reply
from linkyflux.simulator.server import SimulatorServer
from linkyflux.simulator.simulator import Simulator
from linkyflux.sources.auth import DeviceCode
from linkyflux.timeutil import FakeClock, SystemClock

CLIENT_ID = "linkyflux-bench"
OFFPEAK = "22h00-6h00"
# The simulated gateway's window: "N requests a minute" (linkyflux keeps to N in 61 s).
GATEWAY_WINDOW = 60.0
# How long before the timed run the consent was given: longer than any rate window, so
# that the timed run starts with the whole of the gateway's allowance, as a cron run would.
AUTH_AGO = timedelta(minutes=10)


@dataclass
class Figure:
    """One benchmark's result: its line, and whether it met its target."""

    name: str
    text: str
    ok: bool | None = None  # None: no target checked (a --quick run, or a figure only)
    target: str = ""
    broken: str = ""  # the benchmark could not be trusted: wrong bytes, a failed run

    def line(self, quick: bool) -> str:
        if self.broken:
            verdict = f"FAILED: {self.broken}"
        elif not self.target:
            verdict = ""
        elif quick or self.ok is None:
            verdict = f"({self.target}, not checked)"
        else:
            verdict = f"({self.target}) {'OK' if self.ok else 'MISSED'}"
        return f"{self.name}: {self.text}  {verdict}".rstrip()


def secs(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def mb(kilobytes: float) -> str:
    return f"{kilobytes / 1024:.1f} MB"


def machine() -> str:
    """nproc, CPU model, Python and the date: the facts the README's table records."""
    model = platform.processor() or "unknown CPU"
    try:
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                model = row.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{date.today()}, {os.cpu_count()} CPUs ({model}), "
        f"Python {platform.python_version()}, {platform.system()} {platform.release()}"
    )


# ----------------------------------------------------------------------------- child runs
@dataclass
class ChildRun:
    seconds: float
    max_rss_kb: int
    returncode: int
    output: str


def child_env() -> dict[str, str]:
    """The environment without LINKYFLUX_* overrides (each run is what its config says) and
    with bytecode caching on, as for an installed package (pip compiles it at install)."""
    return {
        k: v
        for k, v in os.environ.items()
        if not k.upper().startswith("LINKYFLUX_") and k != "PYTHONDONTWRITEBYTECODE"
    }


# Runs each command and reports its exit code, wall time and peak RSS. It is a small
# interpreter of its own (-S: no site, only built-in modules): a child's peak RSS counts the
# memory of the process it was spawned from, which must then be less than any command's.
_LAUNCHER = """\
import os, sys, time
began = time.perf_counter()
pid = os.posix_spawn(sys.argv[2], sys.argv[2:], os.environ)
_, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - began
with open(sys.argv[1], "w") as out:
    out.write(f"{os.waitstatus_to_exitcode(status)} {seconds!r} {usage.ru_maxrss}")
"""


def run_child(argv: list[str]) -> ChildRun:
    """Run ``argv`` (its first item a path) to its end: wall time from launch to exit, and
    its own peak RSS."""
    with tempfile.TemporaryDirectory(prefix="linkyflux-bench-run-") as tmp:
        result, output = Path(tmp) / "result", Path(tmp) / "output"
        with output.open("w") as out:
            subprocess.run(
                [sys.executable, "-S", "-c", _LAUNCHER, str(result), *argv],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=child_env(),
                check=True,
            )
        code, seconds, rss = result.read_text().split()
        return ChildRun(float(seconds), int(rss), int(code), output.read_text())


def linkyflux_argv() -> list[str]:
    """The installed ``linkyflux`` command next to this Python, else ``python -m linkyflux``."""
    script = Path(sys.executable).with_name("linkyflux")
    return [str(script)] if script.exists() else [sys.executable, "-m", "linkyflux"]


# ----------------------------------------------------------------------------- the gateway
class LatentSimulator(Simulator):
    """The simulator, answering each request ``latency`` seconds after it arrived, its own
    work included (a gateway across the Internet, not a loopback one)."""

    def __init__(self, *args: Any, latency: float = 0.0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.latency = latency

    def handle(self, method: str, target: str, *args: Any, **kwargs: Any) -> Reply:
        began = time.perf_counter()
        reply = super().handle(method, target, *args, **kwargs)
        if self.latency and not target.startswith("/_sim/"):
            reply.delay += max(0.0, self.latency - (time.perf_counter() - began))
        return reply


class _Ago:
    """The real clock, ``offset`` ago."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return SystemClock().now() - self.offset

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


@dataclass
class Gateway:
    simulator: LatentSimulator
    home: Path
    config: Path

    @property
    def output(self) -> Path:
        return self.home / "out.lp"

    def requests(self) -> int:
        """Requests answered so far (control endpoints aside)."""
        return sum(1 for _, path, _ in self.simulator.requests if not path.startswith("/_sim/"))

    def linkyflux(self, *args: str) -> ChildRun:
        return run_child([*linkyflux_argv(), "--config", str(self.config), *args])


def write_config(home: Path, url: str, requests_per_minute: int) -> Path:
    values: dict[str, dict[str, object]] = {
        "consent": {"url": url, "client_id": CLIENT_ID, "requests_per_minute": requests_per_minute},
        "influxdb": {"output": str(home / "out.lp")},
        "state": {"dir": str(home / "state")},
        "tariff": {"offpeak": OFFPEAK},
    }
    rows = []
    for section, entries in values.items():
        rows.append(f"[{section}]")
        rows += [f"{key} = {json.dumps(value)}" for key, value in entries.items()]
    path = home / "config.toml"
    path.write_text("\n".join(rows) + "\n")
    return path


@contextmanager
def gateway(
    usage_points: tuple[str, ...], *, requests_per_minute: int, latency: float = 0.0
) -> Iterator[Gateway]:
    """A simulated device-flow gateway on loopback, on the real clock, and a linkyflux
    config and state directory (in a temporary home) already holding its consent."""
    simulator = LatentSimulator(
        _Ago(AUTH_AGO),
        client_id=CLIENT_ID,
        requests_per_minute=requests_per_minute,
        publication_hour=0,  # yesterday is always published: every run does the same work
        latency=latency,
    )
    with (
        tempfile.TemporaryDirectory(prefix="linkyflux-bench-") as tmp,
        SimulatorServer(simulator) as server,
    ):
        home = Path(tmp)
        config = write_config(home, server.url, requests_per_minute)
        _authorize(config, server.url, usage_points, simulator)
        yield Gateway(simulator, home, config)


def _authorize(config: Path, url: str, usage_points: tuple[str, ...], simulator: Simulator) -> None:
    """`linkyflux auth` (consent and contracts), as if done AUTH_AGO: linkyflux's request log
    and the gateway's rate window then both start the timed runs empty."""
    warnings: list[str] = []

    def accept(code: DeviceCode) -> None:
        browser_consent(url, code.user_code, usage_points=usage_points)

    runtime = Runtime(clock=FakeClock(SystemClock().now() - AUTH_AGO), on_device_code=accept)
    run_auth(load_settings(str(config)), runtime, lambda _: None, warn=warnings.append)
    if warnings:
        raise RuntimeError(f"linkyflux auth warned: {'; '.join(warnings)}")
    simulator.clock = SystemClock()  # from now on, the real clock
