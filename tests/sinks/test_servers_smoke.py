"""Smoke tests: the server fixtures work against the real InfluxDB 1.x and VictoriaMetrics."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest
from influxdb_client import InfluxDBClient, Point, WritePrecision
from influxdb_client.client.write_api import SYNCHRONOUS

if TYPE_CHECKING:  # conftest is loaded by pytest, not imported at run time
    from conftest import Influx1, Victoria

pytestmark = pytest.mark.servers

# Europe/Paris midnights around the end of DST (Sunday 29 Oct 2023 lasts 25 h).
OCT28 = 1698444000  # 2023-10-28T00:00:00+02:00
OCT29 = 1698530400  # 2023-10-29T00:00:00+02:00
OCT30 = 1698620400  # 2023-10-30T00:00:00+01:00
OCT31 = 1698706800  # 2023-10-31T00:00:00+01:00


def test_influx1_daily_sum_in_paris_time(influx1: Influx1) -> None:
    assert influx1.query("SHOW MEASUREMENTS") == []  # a fresh database
    influx1.write(
        "\n".join(
            [
                f"energy,site=home value=1 {OCT28}",
                f"energy,site=home value=2 {OCT29 - 1}",
                f"energy,site=home value=4 {OCT29}",
                f"energy,site=home value=8 {OCT30 - 1}",  # 22:59:59Z: still the 29th in Paris
                f"energy,site=home value=16 {OCT30}",
                f"energy,site=other value=100 {OCT29}",
            ]
        )
    )
    series = influx1.query(
        "SELECT SUM(value) FROM energy WHERE site='home' "
        f"AND time >= {OCT28}s AND time < {OCT31}s GROUP BY time(1d) tz('Europe/Paris')"
    )
    assert series == [
        {
            "name": "energy",
            "columns": ["time", "sum"],
            "values": [[OCT28, 3], [OCT29, 12], [OCT30, 16]],
        }
    ]
    assert OCT30 - OCT29 == 25 * 3600


def test_influx1_query_reports_server_errors(influx1: Influx1) -> None:
    with pytest.raises(RuntimeError, match="error parsing query"):
        influx1.query("SELEKT 1")
    with pytest.raises(RuntimeError, match="database not found"):
        type(influx1)(url=influx1.url, db=influx1.db + "x").query("SELECT * FROM energy")


def test_victoria_influxdb_client_write_reads_back_exactly(victoria: Victoria) -> None:
    soon = int(time.time()) + 3600  # slightly in the future: export must still include it
    with InfluxDBClient(url=victoria.url, token="x", org="x") as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket="b",
            record=[
                f"energy,site={victoria.label},kind=import value=1.5,kwh=2i {OCT28}",
                f"energy,site={victoria.label},kind=import value=2.25 {OCT29}",
                Point("energy")
                .tag("site", victoria.label)
                .tag("kind", "import")
                .field("value", 3.0)
                .time(soon, WritePrecision.S),
            ],
            write_precision=WritePrecision.S,
        )
    victoria.flush()
    assert victoria.export(f'{{site="{victoria.label}"}}') == [
        {
            "metric": {"__name__": "energy_kwh", "kind": "import", "site": victoria.label},
            "values": [2],
            "timestamps": [OCT28 * 1000],
        },
        {
            "metric": {"__name__": "energy_value", "kind": "import", "site": victoria.label},
            "values": [1.5, 2.25, 3],
            "timestamps": [OCT28 * 1000, OCT29 * 1000, soon * 1000],
        },
    ]


def test_victoria_isolation_by_label(victoria: Victoria) -> None:
    other = victoria.label + "x"
    with InfluxDBClient(url=victoria.url, token="x", org="myorg") as client:
        client.write_api(write_options=SYNCHRONOUS).write(
            bucket="mybucket",
            record=[
                f"iso,site={victoria.label} value=1 {OCT28}",
                f"iso,site={other} value=2 {OCT28}",
            ],
            write_precision=WritePrecision.S,
        )
    # Server-side labels, for writers that control the URL (not influxdb_client).
    r = httpx.post(
        f"{victoria.url}/api/v2/write",
        params={"bucket": "b", "precision": "s", "extra_label": f"run={victoria.label}"},
        content=f"iso2,site=a value=3 {OCT28}".encode(),
    )
    assert r.status_code == 204, r.text
    victoria.flush()
    mine = victoria.export(f'{{site="{victoria.label}"}}')
    # bucket and org are dropped: no label records them.
    assert [row["metric"] for row in mine] == [{"__name__": "iso_value", "site": victoria.label}]
    assert [row["values"] for row in mine] == [[1]]
    tagged = victoria.export(f'{{run="{victoria.label}"}}')
    assert [row["metric"] for row in tagged] == [
        {"__name__": "iso2_value", "run": victoria.label, "site": "a"}
    ]
