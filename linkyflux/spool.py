"""A durable spool for points the sink could not take (``<state>/spool/*.lp``).

Each batch becomes one file, written to a temporary name, fsync'd, then renamed: a file in
the spool is always complete. The next run writes the spool first and deletes each file
once the sink took it; a run killed half-way writes some points twice, which InfluxDB
treats as the same points (same measurement, tags and timestamp).
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from linkyflux.errors import SinkError
from linkyflux.fsutil import write_private
from linkyflux.sinks import Sink

SPOOL_DIR = "spool"
_sequence = itertools.count()


class Spool:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir / SPOOL_DIR

    def files(self) -> list[Path]:
        if not self.dir.exists():
            return []
        return sorted(p for p in self.dir.iterdir() if p.suffix == ".lp")

    def add(self, lines: Sequence[str]) -> None:
        if lines:
            name = f"{os.getpid()}-{next(_sequence):06d}-{os.urandom(4).hex()}.lp"
            write_private(self.dir / name, "".join(f"{ln}\n" for ln in lines).encode())

    def size(self) -> tuple[int, int]:
        """(files, lines) waiting."""
        files = self.files()
        return len(files), sum(len(p.read_bytes().splitlines()) for p in files)

    def drain(self, sink: Sink) -> int:
        """Write every spooled file to ``sink``, oldest first; returns the lines written."""
        written = 0
        for path in self.files():
            lines = path.read_text().splitlines()
            sink.write(lines)
            path.unlink()
            written += len(lines)
        return written


class SpoolingSink:
    """A sink that never loses a point: once the real sink fails, the rest goes to the spool."""

    def __init__(self, sink: Sink, spool: Spool) -> None:
        self.sink = sink
        self.spool = spool
        self.description = sink.description
        self.failure: SinkError | None = None
        self.spooled = 0

    def drain_spool(self) -> int:
        try:
            return self.spool.drain(self.sink)
        except SinkError as exc:
            self.failure = exc
            return 0

    def write(self, lines: Sequence[str]) -> None:
        if self.failure is None:
            try:
                self.sink.write(lines)
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
