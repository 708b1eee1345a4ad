"""Fixtures for tests against the real servers started by ``scripts/test.sh``.

``scripts/test.sh`` starts InfluxDB 1.6 and VictoriaMetrics on free loopback ports (see
``scripts/tsdb.sh``) and exports ``INFLUX1_URL`` and ``VM_URL``. Without them, the tests that use
:func:`influx1` or :func:`victoria` are skipped, or fail when ``LINKYFLUX_REQUIRE_SERVERS`` or
``CI`` is set. Tests using these fixtures get the ``servers`` marker automatically, so
``pytest -m "not servers"`` runs everything else.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

_TIMEOUT = 10.0
_SERVER_FIXTURES = frozenset({"influx1", "victoria", "influx1_url", "vm_url"})
# /api/v1/export defaults to end=now, which would hide slightly-future points; 2100-01-01 UTC.
_FAR_FUTURE_S = 4_102_444_800


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() not in ("", "0", "false", "no")


def _server_url(var: str) -> str:
    url = os.environ.get(var, "").strip()
    if url:
        return url.rstrip("/")
    if _flag("LINKYFLUX_REQUIRE_SERVERS") or _flag("CI"):
        pytest.fail(
            f"{var} is not set but LINKYFLUX_REQUIRE_SERVERS/CI is: run the tests with "
            "./scripts/test.sh, which starts InfluxDB 1.x and VictoriaMetrics",
            pytrace=False,
        )
    pytest.skip(f"{var} is not set: run ./scripts/test.sh to start the test servers")


def _unique_name() -> str:
    # Lowercase letters and digits, starting with a letter: valid unquoted as an InfluxDB
    # database/measurement name, a tag value, a Prometheus label value and in a metric name.
    return "t" + uuid.uuid4().hex[:12]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _SERVER_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.servers)


@pytest.fixture(scope="session")
def influx1_url() -> str:
    """Base URL of the test InfluxDB 1.x (``$INFLUX1_URL``), no trailing slash."""
    return _server_url("INFLUX1_URL")


@pytest.fixture(scope="session")
def vm_url() -> str:
    """Base URL of the test VictoriaMetrics (``$VM_URL``), no trailing slash."""
    return _server_url("VM_URL")


class ServerError(RuntimeError):
    """A test server answered with an error; the message holds the server's own text."""


@dataclass(frozen=True)
class Influx1:
    """A real InfluxDB 1.x and a fresh database ``db`` that is dropped after the test."""

    url: str
    db: str

    def write(self, lines: str, precision: str = "s") -> None:
        """POST line protocol to ``/write?db=<db>&precision=<precision>``."""
        r = httpx.post(
            f"{self.url}/write",
            params={"db": self.db, "precision": precision},
            content=lines.encode(),
            timeout=_TIMEOUT,
        )
        if r.status_code != 204:
            raise ServerError(f"InfluxDB write failed: HTTP {r.status_code}: {r.text.strip()}")

    def query(self, q: str) -> list[dict[str, Any]]:
        """Run InfluxQL against ``db`` with ``epoch=s``; return ``results[0]["series"]``.

        Each series is a dict such as ``{"name": "energy", "tags": {...}, "columns": ["time",
        "sum"], "values": [[1700002800, 1.5], ...]}`` (``tags`` only with ``GROUP BY <tag>``);
        the list is empty when the query matched nothing. Raises :class:`ServerError` with
        the server's message on an error (bad syntax, unknown database, ...).
        """
        return influx_query(self.url, q, db=self.db)

    def query_db(self, db: str, q: str) -> list[dict[str, Any]]:
        """The same against another database of the same server."""
        return influx_query(self.url, q, db=db)


def influx_query(
    url: str, q: str, db: str | None = None, *, epoch: str = "s", timeout: float = _TIMEOUT
) -> list[dict[str, Any]]:
    """The series of an InfluxQL query's first statement; ServerError when it fails."""
    data = {"q": q, "epoch": epoch}
    if db is not None:
        data["db"] = db
    r = httpx.post(f"{url}/query", data=data, timeout=timeout)
    try:
        body = r.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    results = body.get("results") or []
    errors = [res["error"] for res in results if isinstance(res, dict) and "error" in res]
    if "error" in body:
        errors.insert(0, body["error"])
    if r.status_code != 200 or errors or not results:
        detail = "; ".join(map(str, errors)) or r.text.strip()
        raise ServerError(f"InfluxQL {q!r} failed: HTTP {r.status_code}: {detail}")
    series: list[dict[str, Any]] = results[0].get("series", [])
    return series


@pytest.fixture
def influx1(influx1_url: str) -> Iterator[Influx1]:
    """A real InfluxDB 1.x (``INFLUX1_URL``) with a fresh, empty database ``influx1.db``.

    Write with ``influx1.write(lines)`` (or any client, to ``/write?db=<influx1.db>``) and read
    with ``influx1.query("SELECT ...")``. The database is dropped after the test.
    """
    server = Influx1(url=influx1_url, db=_unique_name())
    influx_query(server.url, f'CREATE DATABASE "{server.db}"')
    try:
        yield server
    finally:
        influx_query(server.url, f'DROP DATABASE "{server.db}"')


@dataclass(frozen=True)
class Victoria:
    """A real VictoriaMetrics, shared by all tests of the session, plus a per-test ``label``.

    Isolation: nothing is deleted between tests, so each test must only write and read series
    that carry its own unique ``label``. What was verified against the Debian build
    (victoria-metrics 1.79.5):

    * ``/api/v2/write`` ignores ``bucket`` and ``org`` entirely (no label is added), and
      ``influxdb_client``'s ``write_api().write()`` only ever sends ``org``, ``bucket`` and
      ``precision``; so a test writing through ``influxdb_client`` can only be isolated by its
      data: use ``label`` as a tag value (e.g. the usage point id, or a dedicated tag) or in the
      measurement name, then read back with e.g.
      ``victoria.export(f'{{site="{victoria.label}"}}')``.
    * Writers that build the URL themselves can add labels server-side: ``?db=X`` adds the label
      ``db="X"``, and ``?extra_label=name=value`` (repeatable) adds ``name="value"``, on both
      ``/write`` and ``/api/v2/write``. (Passing ``url=f"{vm_url}/api/v2/write?extra_label=...&_="``
      to ``InfluxDBClient`` also happens to work, because the client's own path and ``org``
      end up in the ``_`` parameter, but that is a hack that breaks every other endpoint.)
    * ``/influx/api/v2/write`` is accepted too (so ``InfluxDBClient(url=vm_url + "/influx")``
      writes), without any extra label.

    ``label`` is lowercase letters and digits starting with a letter, so it needs no quoting in
    line protocol, metric names or label values.
    """

    url: str
    label: str

    def flush(self) -> None:
        """Make everything written so far searchable (``GET /internal/force_flush``)."""
        r = httpx.get(f"{self.url}/internal/force_flush", timeout=_TIMEOUT)
        if r.status_code != 200:
            raise ServerError(f"VictoriaMetrics force_flush: HTTP {r.status_code}: {r.text}")

    def forget(self, match: str) -> None:
        """Delete every series matching ``match`` (for a test whose data cannot carry its
        ``label``: what earlier runs on the same server wrote would be counted again)."""
        r = httpx.post(
            f"{self.url}/api/v1/admin/tsdb/delete_series",
            params={"match[]": match},
            timeout=_TIMEOUT,
        )
        if r.status_code != 204:
            raise ServerError(f"VictoriaMetrics delete_series {match!r}: HTTP {r.status_code}")

    def export(self, match: str) -> list[dict[str, Any]]:
        """Raw samples of the series matching ``match`` (a series selector), all time.

        Uses ``/api/v1/export`` with ``start=0`` and an ``end`` far in the future, so historical
        and slightly-future points are included. Returns one dict per series as VictoriaMetrics
        sends it, e.g. ``{"metric": {"__name__": "energy_value", "site": "..."}, "values":
        [1.5], "timestamps": [1700000000000]}`` (timestamps in milliseconds), sorted by
        ``metric``. Call :meth:`flush` after writing and before exporting.
        """
        r = httpx.get(
            f"{self.url}/api/v1/export",
            params={"match[]": match, "start": "0", "end": str(_FAR_FUTURE_S)},
            timeout=_TIMEOUT,
        )
        if r.status_code != 200:
            raise ServerError(f"VictoriaMetrics export {match!r}: HTTP {r.status_code}: {r.text}")
        rows = [json.loads(line) for line in r.text.splitlines() if line.strip()]
        return sorted(rows, key=lambda row: json.dumps(row["metric"], sort_keys=True))


@pytest.fixture
def victoria(vm_url: str) -> Victoria:
    """The real VictoriaMetrics (``VM_URL``) and a unique ``label`` for this test (see
    :class:`Victoria` for how to keep tests apart on this shared server)."""
    return Victoria(url=vm_url, label=_unique_name())
