"""One run at a time per state directory: an flock on ``<state>/lock``.

The kernel drops the lock when the process ends, however it ends (SIGKILL included), so
there is never a stale lock to clean up. Every command that writes the state takes it first,
so this is where a state directory that is a file, cannot be created or is not writable is
found (one :class:`StateError` line), before anything else is done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from linkyflux.errors import Locked
from linkyflux.fsutil import ensure_dir, state_error

LOCK_FILE = "lock"


@contextlib.contextmanager
def run_lock(state_dir: Path) -> Iterator[None]:
    ensure_dir(state_dir)
    path = state_dir / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise state_error(path, exc) from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip()
            raise Locked(
                f"another linkyflux run (pid {holder if holder.isdigit() else '?'}) is using "
                f"{state_dir}: this one stops; the next cron run will catch up"
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:
            raise state_error(path, exc) from None
        yield
    finally:
        os.close(fd)  # releases the lock
