"""A simulated world for end-to-end tests: simulator on loopback, fake clock, CLI runner."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from click.testing import CliRunner, Result

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.proxy import browser_consent
from linkyflux.simulator.server import SimulatorServer
from linkyflux.simulator.simulator import Simulator
from linkyflux.sources.auth import DeviceCode, DeviceFlow
from linkyflux.timeutil import PARIS, FakeClock

from sharedclock import SharedClock, spawn

CLIENT_ID = "linkyflux-tests"


def paris(*args: int) -> datetime:
    return datetime(*args, tzinfo=PARIS)


@dataclass
class World:
    clock: FakeClock | SharedClock
    simulator: Simulator
    url: str
    home: Path
    consent: tuple[str, ...] | None = None  # usage points the "user" ticks; None = all
    accept: bool = True
    browser_calls: list[str] = field(default_factory=list)

    @property
    def state_dir(self) -> Path:
        return self.home / "state"

    def config(self, **sections: dict[str, object]) -> Path:
        """Write config.toml: consent pointing at the simulator, output to a file by default."""
        values: dict[str, dict[str, object]] = {
            "consent": {"url": self.url, "client_id": CLIENT_ID},
            "influxdb": {"output": str(self.home / "out.lp")},
            "state": {"dir": str(self.state_dir)},
        }
        for name, extra in sections.items():
            values.setdefault(name, {}).update(extra)
        lines = []
        for name, entries in values.items():
            lines.append(f"[{name}]")
            lines += [f"{k} = {_toml(v)}" for k, v in entries.items()]
        path = self.home / "config.toml"
        path.write_text("\n".join(lines) + "\n")
        return path

    def _browser(self, code: DeviceCode) -> None:
        self.browser_calls.append(code.user_code)
        browser_consent(self.url, code.user_code, accept=self.accept, usage_points=self.consent)

    def _netatmo_browser(self, link: str) -> str:
        """The user accepts on Netatmo's page and pastes the address the browser lands on."""
        answer = httpx.get(link, follow_redirects=False)
        assert answer.status_code == 302, answer.text
        return answer.headers["location"]

    def api_client(self) -> httpx.Client:
        """A raw client holding a fresh access token for the usage points of ``consent``."""
        http = httpx.Client(base_url=self.url)
        flow = DeviceFlow(http, CLIENT_ID, self.clock)
        code = flow.start()
        self._browser(code)
        http.headers["Authorization"] = f"Bearer {flow.wait(code).access_token}"
        return http

    def run(self, *args: str, config: Path | None = None) -> Result:
        runtime = Runtime(
            clock=self.clock, on_device_code=self._browser, on_netatmo_link=self._netatmo_browser
        )
        argv = ["--config", str(config or self.home / "config.toml"), *args]
        return CliRunner().invoke(cli, argv, obj=runtime, catch_exceptions=False)

    def spawn(self, *args: str) -> subprocess.Popen[str]:
        """`linkyflux ARGS...` in a child process (that a test may kill), on the shared clock
        (see ``world(shared=True)``)."""
        assert isinstance(self.clock, SharedClock), "world(shared=True) is needed"
        return spawn(self.clock.path, self.home / "config.toml", *args)

    def kill_on_data_call(
        self,
        n: int,
        process: Callable[[], subprocess.Popen[str]],
        sig: signal.Signals = signal.SIGKILL,
    ) -> None:
        """Make the simulator send ``sig`` to ``process()`` when the n-th data call from now
        arrives, before answering it (as cron's `timeout` would, mid-request)."""
        seen = 0

        def hook(path: str) -> None:
            nonlocal seen
            seen += 1
            if seen == n:
                victim = process()
                victim.send_signal(sig)
                victim.wait()
                # the call dies with its client: it takes no fault meant for a later run
                raise ConnectionAbortedError("the client was killed")

        self.simulator.on_data_call = hook

    def output_lines(self) -> list[str]:
        path = self.home / "out.lp"
        return path.read_text().splitlines() if path.exists() else []


@contextmanager
def consented(home: Path, *usage_points: str, **world_options: Any) -> Iterator[World]:
    """A world whose user consented for ``usage_points``, with the default config (output
    to a file) and `linkyflux auth` done."""
    with world(home, **world_options) as w:
        w.consent = usage_points
        w.config()
        result = w.run("auth")
        assert result.exit_code == 0, result.output
        yield w


@dataclass(frozen=True)
class SkewedClock:
    """Another machine's clock: ours, ``skew`` ahead."""

    clock: FakeClock | SharedClock
    skew: timedelta

    def now(self) -> datetime:
        return self.clock.now() + self.skew

    def sleep(self, seconds: float) -> None:
        self.clock.sleep(seconds)


def _toml(value: object) -> str:
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextmanager
def world(
    home: Path,
    today: date = date(2026, 11, 22),
    hour: int = 9,
    *,
    shared: bool = False,
    skew: timedelta = timedelta(0),
    **simulator_options: object,
) -> Iterator[World]:
    """The simulator on loopback and a fake clock starting ``today`` at ``hour`` (Paris);
    ``shared``: a clock that child processes share (see :meth:`World.spawn`); ``skew``: how
    far Enedis' clock is ahead of ours (behind when negative)."""
    start = paris(today.year, today.month, today.day, hour)
    clock = SharedClock(home / "clock", start) if shared else FakeClock(start)
    enedis_clock = clock if not skew else SkewedClock(clock, skew)
    simulator = Simulator(enedis_clock, client_id=CLIENT_ID, **simulator_options)
    with SimulatorServer(simulator) as server:
        yield World(clock, simulator, server.url, home)
