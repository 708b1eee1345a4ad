"""HTTP plumbing shared by every gateway: one paced httpx client per gateway.

Each gateway has its rates: the device-flow proxy allows 12 requests per minute per client
(data and refresh), counted per calendar minute; Enedis itself 5 a second and a budget per
hour. A sliding window of the same size is stricter than any calendar one, so pacing every
request through :class:`Pacer` keeps us under each limit without slowing a short cron run
that makes only a handful of calls.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from linkyflux import __version__
from linkyflux.errors import UpstreamError
from linkyflux.fsutil import (
    append_private,
    ensure_dir,
    is_file,
    read_bytes,
    state_error,
    write_private,
)
from linkyflux.timeutil import Clock
from linkyflux.tls import tls_for

USER_AGENT = f"linkyflux/{__version__}"


# How far past the end of a window the pacer sends the next request: a request exactly
# ``per`` after another is still within the same window for Enedis (boundaries included), and
# the request log keeps milliseconds.
MARGIN = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Rate:
    """At most ``limit`` requests in any window of length ``per``, both ends included: in
    any ``[t, t + per]``.

    With ``wait=False`` the rate is a budget: rather than wait (for hours) the pacer refuses,
    raising :class:`BudgetExhausted`.
    """

    limit: int
    per: timedelta
    wait: bool = True


class BudgetExhausted(UpstreamError):
    def __init__(self, rate: Rate, available_at: datetime, plan: str = "") -> None:
        hours = rate.per.total_seconds() / 3600
        super().__init__(
            f"the gateway's budget of {rate.limit} requests in {hours:g} hours is used up; "
            f"the next request is allowed at {available_at:%Y-%m-%d %H:%M} UTC"
            + (f" ({plan})" if plan else "")
        )
        self.rate = rate
        self.available_at = available_at


def per_minute(limit: int) -> Rate:
    # One second of slack over the gateway's minute absorbs latency differences between calls.
    return Rate(limit, timedelta(seconds=61))


class Pacer:
    """Holds each request until every rate allows it; waits on the injected clock.

    ``history`` holds the requests of earlier runs (see :class:`RequestLog`), so a run
    started right after another one still respects the rates; ``record`` is told of each
    request before it is sent, so that a run killed while waiting for an answer still
    leaves it behind for the next run to count.
    """

    def __init__(
        self,
        clock: Clock,
        rates: Sequence[Rate],
        history: Iterable[datetime] = (),
        record: Callable[[datetime], None] = lambda sent: None,
    ) -> None:
        self.clock = clock
        self.rates = tuple(rates)
        self.history: list[datetime] = sorted(history)
        self.record = record
        self._blocked_until: datetime | None = None
        self._lock = threading.Lock()

    def _wait_needed(self, now: datetime) -> timedelta:
        wait = timedelta(0)
        if self._blocked_until is not None and now < self._blocked_until:
            wait = self._blocked_until - now
        for rate in self.rates:
            recent = self.history[bisect.bisect_left(self.history, now - rate.per) :]
            if len(recent) >= rate.limit:
                needed = recent[-rate.limit] + rate.per + MARGIN - now
                if not rate.wait:
                    raise BudgetExhausted(rate, now + needed)
                wait = max(wait, needed)
        return wait

    def wait(self) -> None:
        with self._lock:
            while True:
                now = self.clock.now()
                wait = self._wait_needed(now)
                if wait <= timedelta(0):
                    self.record(now)
                    self.history.append(now)
                    return
                self.clock.sleep(wait.total_seconds())

    def saturate(self) -> None:
        """The server said slow down: send nothing more for the longest window."""
        with self._lock:
            longest = max((rate.per for rate in self.rates), default=timedelta(seconds=61))
            self._blocked_until = self.clock.now() + longest


class RequestLog:
    """When the last day's requests to the gateway were sent (``<state>/requests.log``; a
    gateway with rates of its own keeps its own log, e.g. ``netatmo-requests.log``).

    Each request is appended (one line, before it is sent) by :meth:`record`, so even a run
    killed with SIGKILL leaves every request it made; :meth:`save` rewrites the file with the
    last day only, atomically, at the end of a run.
    """

    KEEP = timedelta(hours=24)
    LEGACY = "requests.json"  # a JSON list, written by linkyflux before 0.x: still read

    def __init__(self, state_dir: Path, name: str = "requests.log") -> None:
        self.path = state_dir / name
        # the legacy file is the Enedis gateways' own: another log never reads it
        self.legacy: Path | None = state_dir / self.LEGACY if name == "requests.log" else None

    def load(self, now: datetime) -> list[datetime]:
        """The requests of the last day. Whatever a crash or an older version left is read
        as far as it goes; a log that is not a file (a directory…) is a StateError, found
        here, before the run sends anything."""
        stamps: list[Any] = []
        legacy = read_bytes(self.legacy) if self.legacy else None
        if legacy is not None:
            with contextlib.suppress(ValueError, RecursionError):
                found = json.loads(legacy)
                stamps += found if isinstance(found, list) else []
        text = (read_bytes(self.path) or b"").decode(errors="replace")
        for line in text.splitlines():  # a line cut by a crash is skipped
            try:
                stamps.append(float(line))
            except ValueError:
                continue
        times = []
        for stamp in stamps:
            try:
                times.append(datetime.fromtimestamp(stamp, UTC))
            except (TypeError, ValueError, OverflowError, OSError):
                continue
        return sorted(t for t in times if now - t < self.KEEP)

    def record(self, sent: datetime) -> None:
        ensure_dir(self.path.parent)
        append_private(self.path, f"{sent.timestamp():.3f}\n".encode())

    def save(self, times: Iterable[datetime], now: datetime) -> None:
        recent = sorted(t for t in times if now - t < self.KEEP)
        write_private(self.path, "".join(f"{t.timestamp():.3f}\n" for t in recent).encode())
        if self.legacy is not None and is_file(self.legacy):
            try:
                self.legacy.unlink()
            except FileNotFoundError:
                pass
            except OSError as exc:
                raise state_error(self.legacy, exc) from None


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
