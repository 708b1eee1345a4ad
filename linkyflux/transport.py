"""HTTP plumbing shared by every gateway: one paced httpx client per gateway.

The device-flow proxy allows 12 requests per minute per client (data and refresh), counted
per calendar minute. A sliding window of the same size is stricter than any calendar
minute, so pacing every request through :class:`Pacer` keeps us under the limit without
slowing a short cron run that makes only a handful of calls.
"""

from __future__ import annotations

import functools
import json
import ssl
import threading
from collections import deque
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from linkyflux import __version__
from linkyflux.fsutil import write_private
from linkyflux.timeutil import Clock

USER_AGENT = f"linkyflux/{__version__}"
# One second of slack over the gateway's minute absorbs latency differences between calls.
WINDOW = timedelta(seconds=61)


class Pacer:
    """At most ``limit`` requests in any ``WINDOW``; waits on the injected clock.

    ``history`` holds the requests of earlier runs (see :class:`RequestLog`), so a run
    started right after another one still respects the window.
    """

    def __init__(self, clock: Clock, limit: int, history: Iterable[datetime] = ()) -> None:
        self.clock = clock
        self.limit = limit
        self.history: list[datetime] = sorted(history)
        self._sent: deque[datetime] = deque(self.history[-limit:])
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            while True:
                now = self.clock.now()
                while self._sent and now - self._sent[0] >= WINDOW:
                    self._sent.popleft()
                if len(self._sent) < self.limit:
                    self._sent.append(now)
                    self.history.append(now)
                    return
                self.clock.sleep((self._sent[0] + WINDOW - now).total_seconds())

    def saturate(self) -> None:
        """The server said slow down: treat the window as full from now on."""
        with self._lock:
            now = self.clock.now()
            self._sent = deque([now] * self.limit)


class RequestLog:
    """When the last day's requests to the gateway were sent (``<state>/requests.json``)."""

    KEEP = timedelta(hours=24)

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "requests.json"

    def load(self, now: datetime) -> list[datetime]:
        try:
            times = [datetime.fromtimestamp(t, UTC) for t in json.loads(self.path.read_text())]
        except (FileNotFoundError, ValueError, TypeError, OverflowError):
            return []
        return [t for t in times if now - t < self.KEEP]

    def save(self, times: Iterable[datetime], now: datetime) -> None:
        recent = [round(t.timestamp(), 3) for t in sorted(times) if now - t < self.KEEP]
        write_private(self.path, json.dumps(recent).encode())


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_for(url: str) -> ssl.SSLContext | bool:
    """Certificate checks for https URLs; loading the CA bundle costs ~80 ms, so only then,
    and once per process."""
    return _ssl_context() if url.startswith("https:") else False


class PacedTransport(httpx.BaseTransport):
    def __init__(self, inner: httpx.BaseTransport, pacer: Pacer) -> None:
        self.inner = inner
        self.pacer = pacer

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.pacer.wait()
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def paced_client(
    base_url: str,
    pacer: Pacer,
    *,
    timeout: float = 30.0,
    auth: httpx.Auth | None = None,
    transport: httpx.BaseTransport | None = None,
) -> httpx.Client:
    """An httpx client for one gateway: paced, with our User-Agent and JSON accepted."""
    return httpx.Client(
        base_url=base_url,
        transport=PacedTransport(transport or httpx.HTTPTransport(verify=tls_for(base_url)), pacer),
        timeout=timeout,
        auth=auth,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    )
