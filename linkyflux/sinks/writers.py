"""Where line protocol goes: InfluxDB 2.x/3.x/1.8+ (influxdb-client), 1.x ``/write``, a file.

Every sink takes lines in batches and either stores all of a batch or raises
:class:`SinkError` naming the server (never its credentials); lines InfluxDB refuses for good
(a field-type conflict, a malformed line: 400, or 422 for 2.x) are found by halving the batch
and raised as :class:`Rejected` once every other line is written. influxdb-client is
imported only when the v2 sink is used: it costs a quarter of a second at start-up.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, Protocol

import httpx

from linkyflux.errors import ConfigError, SinkError
from linkyflux.timeutil import paris_day
from linkyflux.tls import tls_for
from linkyflux.urls import public_url

BATCH_SIZE = 5000


class CannotDelete(ConfigError):
    """The sink cannot delete points (a file, InfluxDB 3): the message says what to do."""


class Rejected(SinkError):
    """The sink wrote every line but these, which it refuses for good: ``(line, message)``."""

    def __init__(self, description: str, lines: list[tuple[str, str]]) -> None:
        line, message = lines[0]
        super().__init__(f"{description} refused {len(lines)} line(s): {message}; first: {line}")
        self.lines = lines


class Sink(Protocol):
    description: str

    def write(self, lines: Sequence[str]) -> None: ...

    def delete(
        self, measurement: str, tags: dict[str, str], start: datetime, stop: datetime
    ) -> None:
        """Delete the points of ``measurement`` with these tags in ``[start, stop)``."""

    def close(self) -> None: ...


def _rfc3339(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def influxql_delete(measurement: str, tags: dict[str, str], start: datetime, stop: datetime) -> str:
    """The InfluxQL ``DELETE`` statement for :meth:`Sink.delete` (also shown to users)."""
    where = [f"\"{k}\" = '{_quote(v)}'" for k, v in sorted(tags.items())]
    where += [f"time >= '{_rfc3339(start)}'", f"time < '{_rfc3339(stop)}'"]
    return f'DELETE FROM "{measurement}" WHERE ' + " AND ".join(where)


def flux_predicate(measurement: str, tags: dict[str, str]) -> str:
    """The delete predicate of the InfluxDB 2.x delete API for :meth:`Sink.delete`."""
    terms = [f'_measurement="{measurement}"']
    terms += [f'{k}="{_quote(v)}"' for k, v in sorted(tags.items())]
    return " AND ".join(terms)


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'").replace('"', '\\"')


def _batches(lines: Sequence[str], size: int) -> list[Sequence[str]]:
    return [lines[i : i + size] for i in range(0, len(lines), size)]


def _bisect(
    send: Callable[[Sequence[str]], str | None], batch: Sequence[str]
) -> list[tuple[str, str]]:
    """Write ``batch`` with ``send``, which returns the server's message when it refuses some
    lines (having written the others, or not); find those lines by halving the batch (writing
    a line again is harmless: the same point). Returns each refused line with its message."""
    message = send(batch)
    if message is None:
        return []
    if len(batch) == 1:
        return [(batch[0], message)]
    half = len(batch) // 2
    return _bisect(send, batch[:half]) + _bisect(send, batch[half:])


def _write_batches(
    post: Callable[[Sequence[str]], str | None], lines: Sequence[str], size: int, name: str
) -> None:
    """Write ``lines`` in batches of ``size`` with ``post`` (see :func:`_bisect`); raise
    :class:`Rejected` at the end for the lines the server refused for good."""
    rejected: list[tuple[str, str]] = []
    for batch in _batches(lines, size):
        rejected += _bisect(post, batch)
    if rejected:
        raise Rejected(name, rejected)


# fsync's answer for a file that cannot be synced (a device such as /dev/null, a pipe)
_UNSYNCABLE = (errno.EINVAL, errno.ENOTSUP, errno.EROFS)


class FileSink:
    """Appends to a file (fsync'd on close), or writes to stdout for ``-``. A line left
    unfinished by a killed run is ended first, so it never swallows the next one."""

    def __init__(self, output: str) -> None:
        self.description = "stdout" if output == "-" else output
        self._path = None if output == "-" else Path(output)
        self._out: IO[str] | None = None

    def write(self, lines: Sequence[str]) -> None:
        if not lines:
            return
        try:
            if self._out is None:
                self._out = sys.stdout if self._path is None else self._open(self._path)
            self._out.write("".join(f"{ln}\n" for ln in lines))
            self._out.flush()
        except OSError as exc:
            self._abandon()  # its buffer holds lines that will not fit: never flush them again
            raise SinkError(f"cannot write to {self.description}: {_reason(exc)}") from None

    def _abandon(self) -> None:
        out, self._out = self._out, None
        if out is not None and out is not sys.stdout:
            with contextlib.suppress(OSError):  # reported: closing may only fail the same way
                out.close()

    @staticmethod
    def _open(path: Path) -> IO[str]:
        out = path.open("a+b")
        if out.tell():
            out.seek(-1, os.SEEK_END)
            if out.read(1) != b"\n":
                out.write(b"\n")
        out.close()
        return path.open("a")

    def delete(
        self, measurement: str, tags: dict[str, str], start: datetime, stop: datetime
    ) -> None:
        raise CannotDelete(
            f"{self.description} is a file: linkyflux cannot delete what it wrote there. "
            "Delete those points in the database you load it into: "
            f"{influxql_delete(measurement, tags, start, stop)} (InfluxDB 1.x), or "
            f"influx delete --start {_rfc3339(start)} --stop {_rfc3339(stop)} "
            f"--predicate '{flux_predicate(measurement, tags)}' (2.x)"
        )

    def close(self) -> None:
        """Flush, fsync and close; SinkError if the lines did not all reach the file."""
        out, self._out = self._out, None
        if out is None or self._path is None:
            return
        try:
            out.flush()
            try:
                os.fsync(out.fileno())
            except OSError as exc:
                if exc.errno not in _UNSYNCABLE:
                    raise
            out.close()
        except OSError as exc:
            with contextlib.suppress(OSError):
                out.close()
            raise SinkError(
                f"cannot write to {self.description}: {_reason(exc)} (the last lines of this "
                "run may not be in it: run `linkyflux backfill --resend` once it is fixed)"
            ) from None


def _reason(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def _influx_error(response: httpx.Response) -> str:
    try:
        body = response.json()
        if isinstance(body, dict):
            return str(body.get("error") or body.get("message") or body)
    except ValueError:
        pass
    return " ".join(response.text.split())[:200]


class InfluxV1Sink:
    """InfluxDB 1.x: ``POST /write?db=…&precision=s``, basic auth when a user is set."""

    def __init__(
        self,
        url: str,
        database: str,
        *,
        username: str = "",
        password: str = "",
        retention_policy: str = "",
        timeout: float = 30.0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.description = f"InfluxDB 1.x at {public_url(self.url)}, database {database!r}"
        self.batch_size = batch_size
        self.params = {"db": database, "precision": "s"}
        if retention_policy:
            self.params["rp"] = retention_policy
        auth = httpx.BasicAuth(username, password) if username else None
        self.http = httpx.Client(timeout=timeout, auth=auth, verify=tls_for(self.url))

    def write(self, lines: Sequence[str]) -> None:
        _write_batches(self._post, lines, self.batch_size, self.description)

    def _post(self, batch: Sequence[str]) -> str | None:
        """Write ``batch``; InfluxDB's message when it refuses some lines (400: it wrote the
        others)."""
        body = "\n".join(batch).encode()
        try:
            response = self.http.post(f"{self.url}/write", params=self.params, content=body)
        except httpx.TransportError as exc:
            raise SinkError(f"cannot reach {self.description} ({type(exc).__name__})") from None
        if response.status_code == 204:
            return None
        detail = _influx_error(response)
        if response.status_code == 400:
            return detail
        if response.status_code == 404 and "database not found" in detail:
            raise SinkError(
                f"{self.description}: the database does not exist "
                f'(create it: CREATE DATABASE "{self.database}")'
            )
        if response.status_code in (401, 403):
            raise SinkError(f"{self.description}: credentials refused ({detail})")
        raise SinkError(f"{self.description}: {response.status_code} {detail}")

    def delete(
        self, measurement: str, tags: dict[str, str], start: datetime, stop: datetime
    ) -> None:
        params = {"db": self.database, "q": influxql_delete(measurement, tags, start, stop)}
        try:
            response = self.http.post(f"{self.url}/query", params=params)
        except httpx.TransportError as exc:
            raise SinkError(f"cannot reach {self.description} ({type(exc).__name__})") from None
        detail = _influx_error(response)
        if response.status_code in (401, 403):
            raise SinkError(f"{self.description}: credentials refused ({detail})")
        if response.status_code != 200:
            raise SinkError(f"{self.description}: delete: {response.status_code} {detail}")
        results = response.json().get("results") or [{}]
        if results[0].get("error"):
            raise SinkError(f"{self.description}: delete: {results[0]['error']}")

    def close(self) -> None:
        self.http.close()


class InfluxV2Sink:
    """InfluxDB 2.x, 3.x and 1.8+ through influxdb-client, synchronous writes in batches."""

    def __init__(
        self,
        url: str,
        *,
        token: str,
        org: str,
        bucket: str,
        timeout: float = 30.0,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        from influxdb_client.client.influxdb_client import InfluxDBClient
        from influxdb_client.client.write_api import SYNCHRONOUS

        self.url = url.rstrip("/")
        self.bucket = bucket
        self.org = org
        self.description = f"InfluxDB at {public_url(self.url)}, bucket {bucket!r}"
        self.batch_size = batch_size
        self.client: Any = InfluxDBClient(
            url=self.url, token=token, org=org, timeout=int(timeout * 1000)
        )
        self.api: Any = self.client.write_api(write_options=SYNCHRONOUS)

    def write(self, lines: Sequence[str]) -> None:
        _write_batches(self._post, lines, self.batch_size, self.description)

    def _post(self, batch: Sequence[str]) -> str | None:
        """Write ``batch``; the server's message when it refuses some lines (400, 422)."""
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        try:
            self.api.write(bucket=self.bucket, record="\n".join(batch), write_precision="s")
        except ApiException as exc:
            if exc.status in (400, 422):
                return _api_message(exc)
            raise SinkError(f"{self.description}: {exc.status} {_api_message(exc)}") from None
        except (HTTPError, OSError) as exc:  # anything else is a bug, not an unreachable server
            raise SinkError(f"cannot reach {self.description} ({type(exc).__name__})") from None
        return None

    def delete(
        self, measurement: str, tags: dict[str, str], start: datetime, stop: datetime
    ) -> None:
        """The 2.x delete API (also in 1.8+); InfluxDB 3 has none and says 404 or 405."""
        from influxdb_client.rest import ApiException
        from urllib3.exceptions import HTTPError

        predicate = flux_predicate(measurement, tags)
        try:
            self.client.delete_api().delete(
                _rfc3339(start), _rfc3339(stop), predicate, bucket=self.bucket, org=self.org
            )
        except ApiException as exc:
            unsupported = exc.status == 400 and "unsupported path" in _api_message(exc)
            if exc.status in (404, 405, 501) or unsupported:  # VictoriaMetrics says 400
                since = paris_day(start)
                raise CannotDelete(
                    f"{self.description} has no delete API ({exc.status}; InfluxDB 3 and "
                    "VictoriaMetrics cannot delete points): delete the "
                    f"{measurement} points where {flux_predicate(measurement, tags)} from "
                    f"{_rfc3339(start)} on with the server's own tools (InfluxDB 3: drop the "
                    "table and rewrite the whole history), then run `linkyflux backfill "
                    f"--reclassify --no-delete --since {since}`"
                ) from None
            raise SinkError(
                f"{self.description}: delete: {exc.status} {_api_message(exc)}"
            ) from None
        except (HTTPError, OSError) as exc:
            raise SinkError(f"cannot reach {self.description} ({type(exc).__name__})") from None

    def close(self) -> None:
        self.client.close()


def _api_message(exc: Any) -> str:
    """The server's message: a JSON body's ``message`` (InfluxDB 2.x), else the body."""
    body = getattr(exc, "body", None) or getattr(exc, "reason", "")
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
        text = parsed["message"]
    return " ".join(text.split())[:200]
