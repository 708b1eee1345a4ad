"""The files of the state directory, on a machine that may be hostile: written atomically and
privately (a crash or a full disk leaves either the old file or the new one), read back
through a versioned, typed schema, and every failure one :class:`StateError` line naming the
path (and the field) and what to do.

An ``OSError`` on a state file is translated here, once (:func:`state_error`): a directory
where a file should be, a file where the directory should be, no permission, no space left.
A JSON document is read by :func:`read_document` (a missing ``version`` is 1, a newer one is
refused) and its values through :class:`Field` (typed, finite, in range), whose errors name
the field: ``usage_points.22516914714270.series.consumption/curve.days[0][1]``.
"""

from __future__ import annotations

import contextlib
import errno
import json
import math
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from linkyflux.errors import StateError
from linkyflux.text import excerpt, quoted
from linkyflux.urls import scrub_urls

FIRST_DAY, LAST_DAY = date(1990, 1, 1), date(2199, 12, 31)  # a day in a state file is in there
FIRST_YEAR, LAST_YEAR = 1970, 9998  # an instant in a state file (a token's expiry) is in there
FULL = {errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded"}


def warn(message: str) -> None:
    """A warning about the state directory, on stderr as the CLI prints its own."""
    print(f"linkyflux: warning: {message}", file=sys.stderr, flush=True)


# ------------------------------------------------------------------ OS errors


class NoSpace(StateError):
    """No space left on the device (or quota exceeded) writing ``path``: the previous file,
    if any, is intact (a log may end with a line cut short, which its reader skips)."""

    def __init__(self, path: Path, full: str, kept: str = "") -> None:
        self.full = full
        kept = kept or ("the previous file is intact" if path.exists() else "it was not written")
        super().__init__(f"{full} writing {path}: free some space; nothing was lost ({kept})")


def state_error(path: Path, exc: OSError, *, writing: bool = True) -> StateError:
    """The one line for ``exc``, raised reading or writing ``path`` (a state file)."""
    code = exc.errno
    if code == errno.EISDIR:
        return StateError(f"{path} is a directory, not a file: remove or rename it")
    if code == errno.ENOTDIR:
        return not_a_directory(_blocking(path))
    if code in FULL:
        return NoSpace(path, FULL[code])
    if code in (errno.EACCES, errno.EPERM):
        if not writing:
            return StateError(f"{path} is not readable: fix its permissions (chmod u+rw {path})")
        if path.is_file() and not os.access(path, os.W_OK):
            return StateError(f"{path} is not writable: fix its permissions (chmod u+rw {path})")
        return not_writable(path.parent)
    if code == errno.EROFS:
        return StateError(
            f"{path.parent} is on a read-only file system: set state.dir to a writable directory"
        )
    verb = "write" if writing else "read"
    return StateError(
        f"cannot {verb} {path} ({exc.strerror or type(exc).__name__}): "
        "check the state directory, or set state.dir"
    )


def not_writable(directory: Path) -> StateError:
    return StateError(
        f"{directory} is not writable: fix its permissions (chmod u+rwx {directory}) "
        "or set state.dir"
    )


def not_a_directory(path: Path) -> StateError:
    return StateError(f"{path} is a file, not a directory: remove or rename it, or set state.dir")


def _blocking(path: Path) -> Path:
    """The first of ``path``'s parents (or itself) that is there and not a directory."""
    for candidate in [*reversed(path.parents), path]:
        if candidate.exists() and not candidate.is_dir():
            return candidate
        if not candidate.exists():
            break
    return path.parent


def ensure_dir(path: Path) -> None:
    """``path`` is a directory: created (0700, with its parents) when missing."""
    if is_dir(path, "remove or rename it, or set state.dir"):
        return
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
    except PermissionError as exc:
        parent = Path(exc.filename).parent if exc.filename else path.parent
        raise StateError(f"cannot create {path}: {not_writable(parent)}") from None
    except FileExistsError:  # a symbolic link to nowhere
        raise not_a_directory(path) from None
    except OSError as exc:
        raise state_error(path, exc) from None


def is_file(path: Path) -> bool:
    """Whether ``path`` is there, a regular file; a directory or anything else (a FIFO that
    would block a read for ever) is a :class:`StateError`."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise state_error(path, exc, writing=False) from None
    if stat.S_ISDIR(mode):
        raise StateError(f"{path} is a directory, not a file: remove or rename it")
    if not stat.S_ISREG(mode):
        raise StateError(f"{path} is not a regular file (a FIFO, a socket or a device): remove it")
    return True


def is_dir(path: Path, what_to_do: str = "remove or rename it") -> bool:
    """Whether the directory ``path`` is there; anything else of that name is a StateError."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise state_error(path, exc, writing=False) from None
    if not stat.S_ISDIR(mode):
        raise StateError(f"{path} is a file, not a directory: {what_to_do}")
    return True


def read_bytes(path: Path) -> bytes | None:
    """The file's bytes (None: there is none)."""
    if not is_file(path):
        return None
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise state_error(path, exc, writing=False) from None


# ------------------------------------------------------------------ writing


def keep_private(path: Path, holds: str, command: str) -> None:
    """A secrets file others may read is made 0600 again, and said so: what it ``holds``,
    and the ``command`` that gives new secrets if others may have read them."""
    try:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
    except OSError as exc:
        warn(
            f"{path} may be readable by other users and could not be made 0600 "
            f"({exc.strerror}): chmod 600 {path}"
        )
        return
    if mode & 0o077:
        warn(
            f"{path} was readable by other users (mode {mode:04o}): it is 0600 now "
            f"(it holds {holds}: if others may have read them, run `{command}` again)"
        )


def write_private(path: Path, data: bytes) -> None:
    """Replace ``path`` atomically with ``data``; the file is 0600 from its first byte. On any
    failure (a full disk…), the previous file is left as it was, and a StateError says why."""
    ensure_dir(path.parent)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.fchmod(fd, 0o600)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError as exc:
        _remove(tmp)
        raise state_error(path, exc) from None
    except BaseException:
        _remove(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename is done: a directory fsync is a bonus
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def append_private(path: Path, data: bytes) -> None:
    """Append ``data`` to the log ``path`` (created 0600): a cut line at worst, which its
    reader skips."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            _write_all(fd, data)
        finally:
            os.close(fd)
    except OSError as exc:
        if exc.errno in FULL:
            cut = "a line cut short is skipped when read"
            raise NoSpace(path, FULL[exc.errno], cut) from None
        raise state_error(path, exc) from None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)


# ------------------------------------------------------------------ reading JSON back


class Damaged(StateError):
    """The file's content cannot be read as a document (not UTF-8, not JSON, no version): a
    cache may take it for no cache at all."""


class BadField(ValueError):
    """A value of a document is not what its schema says (the message names the field)."""


def read_document(path: Path, version: int, what_to_do: str, *, quote: bool = True) -> Field | None:
    """The JSON object in ``path`` (None: there is none), written by a version up to
    ``version`` of its schema (no ``version``: 1). ``what_to_do`` ends each message;
    ``quote``: whether a bad value may be quoted in it (never for a file of secrets)."""
    data = read_bytes(path)
    if data is None:
        return None
    try:
        raw = json.loads(data.decode())
    except UnicodeDecodeError:
        raise Damaged(f"{path} is not UTF-8 text: {what_to_do}") from None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg.removesuffix(' at')} at line {exc.lineno}, column {exc.colno}"
        raise Damaged(f"{path} is not valid JSON ({where}): {what_to_do}") from None
    except (ValueError, RecursionError):  # a 5000-digit number, [[[[…]]]] too deep
        raise Damaged(f"{path} is not valid JSON: {what_to_do}") from None
    if not isinstance(raw, dict):
        raise Damaged(f"{path} is {_kind(raw)}, not a JSON object: {what_to_do}")
    found = raw.get("version", 1)
    if not isinstance(found, int) or isinstance(found, bool) or found < 1:
        shown = f" ({_shown(found)})" if quote else ""
        raise Damaged(f"{path}: version is not a version number{shown}: {what_to_do}")
    if found > version:
        raise StateError(
            f"{path} was written by a newer linkyflux (version {_shown(found)}): upgrade "
            "linkyflux, or move the file away"
        )
    return Field(raw, "", quote)


@contextlib.contextmanager
def schema_of(path: Path, what_to_do: str) -> Iterator[None]:
    """Reading a document of ``path``: a :class:`BadField` becomes its StateError line."""
    try:
        yield
    except BadField as exc:
        raise StateError(scrub_urls(f"{path}: {exc}: {what_to_do}")) from None


def _shown(value: Any) -> str:
    """A short, printable quote of a bad value read from JSON: ``'2026-11…'``, ``Infinity``."""
    return quoted(value) if isinstance(value, str) else excerpt(json.dumps(value))


def _kind(value: Any) -> str:
    kinds = {
        bool: "true or false",
        str: "a string",
        list: "a list",
        dict: "an object",
        int: "a number",
        float: "a number",
        type(None): "null",
    }
    return kinds.get(type(value), type(value).__name__)


@dataclass(frozen=True)
class Field:
    """A value of a JSON document read back, and where it is in the document."""

    value: Any
    name: str
    quote: bool = True  # a bad value may be quoted in the message

    def bad(self, problem: str) -> BadField:
        if self.quote and not isinstance(self.value, dict | list):
            return BadField(f"{self.name} is {_shown(self.value)}, {problem}")
        return BadField(f"{self.name} is {_kind(self.value)}, {problem}")

    def _at(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.name}[{key}]"
        shown = excerpt(key)
        return f"{self.name}.{shown}" if self.name else shown

    def __getitem__(self, key: str) -> Field:
        """The value of ``key`` (it must be there)."""
        mapping = self.mapping()
        if key not in mapping:
            raise BadField(f"{self._at(key)} is missing")
        return Field(mapping[key], self._at(key), self.quote)

    def get(self, key: str) -> Field | None:
        """The value of ``key``; None when absent or null."""
        value = self.mapping().get(key)
        return None if value is None else Field(value, self._at(key), self.quote)

    def mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.bad("not an object")
        return self.value

    def items(self, key: str | None = None) -> list[tuple[str, Field]]:
        """The entries of the object ``key`` (of this value, without a key; none when absent
        or null)."""
        found = self if key is None else self.get(key)
        if found is None:
            return []
        return [(k, Field(v, found._at(k), self.quote)) for k, v in found.mapping().items()]

    def entries(self, key: str | None = None) -> list[Field]:
        """The elements of the list ``key`` (of this value, without a key; none when absent
        or null)."""
        found = self if key is None else self.get(key)
        if found is None:
            return []
        if not isinstance(found.value, list):
            raise found.bad("not a list")
        return [Field(v, found._at(n), self.quote) for n, v in enumerate(found.value)]

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.bad("not a string")
        return self.value

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.bad("not true or false")
        return self.value

    def number(self) -> float:
        value = self.value
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.bad("not a number")
        if not math.isfinite(value):
            raise self.bad("not a finite number")
        return float(value)

    def day(self) -> date:
        try:
            day = date.fromisoformat(self.text())
        except ValueError:
            raise self.bad("not a day (YYYY-MM-DD)") from None
        if not FIRST_DAY <= day <= LAST_DAY:
            raise self.bad(f"out of range ({FIRST_DAY} to {LAST_DAY})")
        return day

    def instant(self) -> datetime:
        """An ISO 8601 date and time with its offset, from 1970 to 9998."""
        try:
            moment = datetime.fromisoformat(self.text())
        except ValueError:
            raise self.bad("not a date and time (ISO 8601)") from None
        if moment.tzinfo is None:
            raise self.bad("without a time zone")
        if not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise BadField(f"{self.name} is out of range ({FIRST_YEAR} to {LAST_YEAR})")
        return moment
