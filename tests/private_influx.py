"""A private InfluxDB 1.x that a test may stop and restart (the shared one must stay up)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


class PrivateInflux:
    def __init__(self, root: Path) -> None:
        binary = shutil.which("influxd")
        if binary is None:
            pytest.fail("influxd is not installed: run the tests with ./scripts/test.sh")
        self.binary = binary
        self.root = root
        http, rpc = _free_ports(2)
        self.url = f"http://127.0.0.1:{http}"
        self.config = root / "influxdb.conf"
        self.config.write_text(
            f'reporting-enabled = false\nbind-address = "127.0.0.1:{rpc}"\n'
            f'[meta]\n  dir = "{root}/meta"\n'
            f'[data]\n  dir = "{root}/data"\n  wal-dir = "{root}/wal"\n'
            "  query-log-enabled = false\n"
            "[monitor]\n  store-enabled = false\n"
            f'[http]\n  bind-address = "127.0.0.1:{http}"\n  log-enabled = false\n'
            '[logging]\n  level = "warn"\n  suppress-logo = true\n'
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.root / "influxd.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "run", "-config", str(self.config)], stdout=log, stderr=log
        )
        for _ in range(600):
            try:
                if httpx.get(f"{self.url}/ping", timeout=1).status_code == 204:
                    return
            except httpx.TransportError:
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        pytest.fail(f"private influxd did not start: {(self.root / 'influxd.log').read_text()}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def query(self, q: str, db: str = "linky") -> list[dict[str, object]]:
        r = httpx.post(f"{self.url}/query", data={"q": q, "db": db, "epoch": "s"}, timeout=30)
        r.raise_for_status()
        result = r.json()["results"][0]
        if "error" in result:
            raise RuntimeError(result["error"])
        series: list[dict[str, object]] = result.get("series", [])
        return series


@contextmanager
def running(home: Path) -> Iterator[PrivateInflux]:
    """A private InfluxDB 1.x in ``home/influx``, started, with a database ``linky``;
    stopped at the end."""
    (home / "influx").mkdir()
    server = PrivateInflux(home / "influx")
    server.start()
    try:
        server.query("CREATE DATABASE linky")
        yield server
    finally:
        server.stop()
