"""A fake clock shared by processes, and the CLI run in a child process on it.

The instant lives in a file: every process that opens a :class:`SharedClock` on it sees the
same time, and a ``sleep`` in any of them moves it for all (instantly). The simulator (in the
test process) and a `linkyflux` child process that the test kills with SIGKILL agree on the
time without waiting on the real clock: ``python tests/sharedclock.py CLOCK_FILE ARGS...``
runs ``linkyflux ARGS...`` on the clock kept in CLOCK_FILE.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path


class SharedClock:
    def __init__(self, path: Path, start: datetime | None = None) -> None:
        self.path = path
        if start is not None:
            if start.tzinfo is None:
                raise ValueError("SharedClock needs an aware datetime")
            self._update(lambda _: start.astimezone(UTC).timestamp())

    def _update(self, change: object) -> float:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = os.read(fd, 64)
            value = float(raw) if raw else 0.0
            if callable(change):
                value = change(value)
                os.lseek(fd, 0, os.SEEK_SET)
                os.ftruncate(fd, 0)
                os.write(fd, repr(value).encode())
            return value
        finally:
            os.close(fd)

    def now(self) -> datetime:
        return datetime.fromtimestamp(self._update(None), UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self._update(lambda value: value + seconds)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)

    def set(self, instant: datetime) -> None:
        self._update(lambda _: instant.astimezone(UTC).timestamp())

    def after(self, delta: timedelta) -> datetime:
        return self.now() + delta


def spawn(clock_file: Path, config: Path, *args: str) -> subprocess.Popen[str]:
    """`linkyflux --config CONFIG ARGS...` in a child process on the shared clock."""
    return subprocess.Popen(
        [sys.executable, __file__, str(clock_file), "--config", str(config), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
    )


def main() -> None:
    from linkyflux.app.wiring import Runtime
    from linkyflux.cli import cli

    clock = SharedClock(Path(sys.argv[1]))
    cli.main(sys.argv[2:], prog_name="linkyflux", obj=Runtime(clock=clock))


if __name__ == "__main__":
    main()
