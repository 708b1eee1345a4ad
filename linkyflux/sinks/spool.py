"""A durable spool for points the sink could not take (``<state>/spool/*.lp``), and the file
of lines it refused for good (``<state>/rejected.lp``).

Each batch becomes one file, written to a temporary name, fsync'd, then renamed: a file in
the spool is always complete. Files are numbered in the order they are written (one more
than the highest number present: runs hold the state directory's lock, so one process
writes at a time) and written back in that order, so a newer value of a point always lands
last. The next run writes the spool first and deletes each file once the sink took it; a
run killed half-way writes some points twice, which InfluxDB treats as the same points
(same measurement, tags and timestamp).

Lines InfluxDB refuses for good (a field-type conflict, a malformed line) would fail again
on every run: they are set aside in ``rejected.lp``, each after a comment line with the time
and InfluxDB's message, and reported once; the other lines flow. A spool file that is not
UTF-8 text (no linkyflux wrote it) is set aside as ``<name>.bad``, with a warning.

The spool lives in the state directory: a spool that is not a directory, or a spool file
that cannot be written (a full disk), is a :class:`StateError`, not a sink failure (exit
code 7 promises the points wait in the spool; they could not). The points of such a write
are not recorded as written, so they are fetched again.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from linkyflux.errors import SinkError, StateError
from linkyflux.fsutil import (
    NoSpace,
    is_dir,
    is_file,
    read_bytes,
    state_error,
    warn,
    write_private,
)
from linkyflux.sinks.writers import Rejected, Sink
from linkyflux.timeutil import Clock

SPOOL_DIR = "spool"
REJECTED_FILE = "rejected.lp"
_WIDTH = 12  # digits of a spool file's number; a larger number just has more
_NUMBERED = re.compile(r"[0-9]+")


def _order(path: Path) -> tuple[int, int, str, int]:
    """Files of older versions (``<pid>-<seq>-<rand>.lp``) first, by age; then by number."""
    if _NUMBERED.fullmatch(path.stem):
        return (1, 0, "", int(path.stem))
    return (0, path.stat().st_mtime_ns, path.name, 0)


class Spool:
    def __init__(self, state_dir: Path, warn: Callable[[str], None] = warn) -> None:
        self.dir = state_dir / SPOOL_DIR
        self.rejected_path = state_dir / REJECTED_FILE
        self.warn = warn
        self._next: int | None = None

    def files(self) -> list[Path]:
        """The spooled files, in the order they were written."""
        if not is_dir(self.dir):
            return []
        try:
            found = [p for p in self.dir.iterdir() if p.suffix == ".lp" and p.is_file()]
            return sorted(found, key=_order)
        except OSError as exc:
            raise state_error(self.dir, exc, writing=False) from None

    def add(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        if self._next is None:
            numbers = [int(p.stem) for p in self.files() if _NUMBERED.fullmatch(p.stem)]
            self._next = max(numbers, default=0) + 1
        path = self.dir / f"{self._next:0{_WIDTH}d}.lp"
        self._next += 1
        try:
            write_private(path, "".join(f"{ln}\n" for ln in lines).encode())
        except NoSpace as exc:
            raise StateError(
                f"{exc.full} writing {path}: free some space and run again (the points that "
                "could not be spooled are not recorded as written)"
            ) from None

    def read(self, path: Path) -> list[str] | None:
        """The lines of the spool file ``path``; None when it is not UTF-8 text, then set
        aside as ``<name>.bad`` with a warning."""
        data = read_bytes(path) or b""
        try:
            return data.decode().splitlines()
        except UnicodeDecodeError:
            bad = path.with_name(f"{path.name}.bad")
            try:
                os.replace(path, bad)
            except OSError as exc:
                raise state_error(bad, exc) from None
            self.warn(
                f"{path} is not UTF-8 text: set aside as {bad} (its lines are not written: "
                "look at them, then delete it)"
            )
            return None

    def size(self) -> tuple[int, int]:
        """(files, lines) waiting."""
        files = self.files()
        return len(files), sum(len((read_bytes(p) or b"").splitlines()) for p in files)

    def set_aside(self, rejected: Sequence[tuple[str, str]], now: datetime) -> Path:
        """Append each refused line, after a ``# <UTC time> <message>`` line, to the rejected
        file; the file is rewritten atomically, so a crash never leaves half a line."""
        stamp = now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        text = "".join(f"# {stamp} {' '.join(msg.split())}\n{ln}\n" for ln, msg in rejected)
        old = read_bytes(self.rejected_path) or b""
        write_private(self.rejected_path, old + text.encode())
        return self.rejected_path

    def rejected_lines(self) -> int:
        """How many lines wait in the rejected file (comments not counted)."""
        if not is_file(self.rejected_path):
            return 0
        lines = (read_bytes(self.rejected_path) or b"").splitlines()
        return sum(1 for ln in lines if ln.strip() and not ln.startswith(b"#"))


class SpoolingSink:
    """A sink that never loses a point: once the real sink fails, the rest goes to the spool;
    the lines it refuses for good are set aside (see :meth:`Spool.set_aside`)."""

    def __init__(self, sink: Sink, spool: Spool, clock: Clock) -> None:
        self.sink = sink
        self.spool = spool
        self.clock = clock
        self.description = sink.description
        self.failure: SinkError | None = None
        self.spooled = 0
        self.rejected: list[SinkError] = []  # one line per write whose lines were set aside

    def _write(self, lines: Sequence[str]) -> int:
        """Write to the real sink, setting aside what it refuses; returns the lines set aside.
        Raises SinkError when the sink failed."""
        try:
            self.sink.write(lines)
        except Rejected as exc:
            path = self.spool.set_aside(exc.lines, self.clock.now())
            count = len(exc.lines)
            line, message = exc.lines[0]
            self.rejected.append(
                SinkError(
                    f"{self.description} refused {count} line{'s' * (count > 1)}, set aside in "
                    f"{path} (see `linkyflux status`): {message}; first: {line}"
                )
            )
            return count
        return 0

    def drain_spool(self) -> int:
        """Write the spool, oldest file first; returns the lines written."""
        written = 0
        try:
            for path in self.spool.files():
                lines = self.spool.read(path)
                if lines is None:
                    continue
                written += len(lines) - self._write(lines)
                try:
                    path.unlink()
                except FileNotFoundError:
                    pass
                except OSError as exc:
                    raise state_error(path, exc) from None
        except SinkError as exc:
            self.failure = exc
        return written

    def write(self, lines: Sequence[str]) -> None:
        if self.failure is None:
            try:
                self._write(lines)
                return
            except SinkError as exc:
                self.failure = exc
        self.spool.add(lines)
        self.spooled += len(lines)

    def delete(
        self, measurement: str, tags: dict[str, str], start: datetime, stop: datetime
    ) -> None:
        """Delete from the real sink; never while points wait in the spool (they would be
        written after the delete)."""
        if self.failure is not None:
            raise self.failure
        self.sink.delete(measurement, tags, start, stop)

    def close(self) -> None:
        self.sink.close()
