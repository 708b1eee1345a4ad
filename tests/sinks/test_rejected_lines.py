"""Lines InfluxDB refuses for good are set aside, reported once, and block nothing (issue #12).

InfluxDB 1.x answers 400 for a field-type conflict or a malformed line after writing the other
lines of the batch: retrying that batch can never succeed. linkyflux finds the refused lines by
halving the batch, appends them to ``<state>/rejected.lp`` and lets everything else flow.
"""

from __future__ import annotations

import json
import re
import socket
import stat
import threading
from collections.abc import Iterator
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from linkyflux.errors import SinkError
from linkyflux.sinks.writers import InfluxV1Sink, InfluxV2Sink, Rejected
from linkyflux.text import printable
from linkyflux.timeutil import paris_day_bounds

from conftest import Influx1, influx_query
from simenv import World, world

HOUSE = "22516914714270"
FIRST_DAY = date(2026, 10, 23)  # `fetch -d 30` on 2026-11-22
DAYS = [FIRST_DAY + timedelta(n) for n in range(30)]
CONFLICT = (
    'partial write: field type conflict: input field "energy_wh" on measurement "linky_daily" '
    "is type float, already exists as type integer dropped=1"
)
# The daily points InfluxDB files in the shard of 2026-10-19..26 (UTC), where the test writes
# energy_wh as an integer first: 2026-10-23 to 2026-10-26 (Paris midnights).
REFUSED_DAYS = [date(2026, 10, 23), date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26)]
REFUSED = [
    f"linky_daily,direction=consumption,month=2026-10,usage_point_id={HOUSE},year=2026 "
    "base_energy_wh=0.0,energy_wh=23686.0,hc_energy_wh=9097.0,hp_energy_wh=14588.5 1792706400",
    f"linky_daily,direction=consumption,month=2026-10,usage_point_id={HOUSE},year=2026 "
    "base_energy_wh=0.0,energy_wh=23015.0,hc_energy_wh=8608.5,hp_energy_wh=14406.5 1792792800",
    f"linky_daily,direction=consumption,month=2026-10,usage_point_id={HOUSE},year=2026 "
    "base_energy_wh=0.0,energy_wh=26809.0,hc_energy_wh=10637.5,hp_energy_wh=16171.5 1792879200",
    f"linky_daily,direction=consumption,month=2026-10,usage_point_id={HOUSE},year=2026 "
    "base_energy_wh=0.0,energy_wh=30541.0,hc_energy_wh=11535.0,hp_energy_wh=19006.0 1792969200",
]
STAMP = r"# \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ "


def midnight(day: date) -> int:
    return int(paris_day_bounds(day)[0].timestamp())


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def v1(url: str, db: str) -> dict[str, object]:
    return {"api": "v1", "url": url, "database": db, "output": ""}


def plant_conflict(influx: Influx1) -> None:
    """energy_wh of linky_daily written as an integer first, in the shard of 2026-10-24."""
    influx.write(f"linky_daily,usage_point_id=elsewhere energy_wh=1i {midnight(DAYS[1])}")


def refusal_line(influx: Influx1, rejected: Path) -> str:
    """The line, as the CLI prints it: at most 500 characters (the refused line is whole
    in the rejected file)."""
    return "linkyflux: " + printable(
        f"InfluxDB 1.x at {influx.url}, database '{influx.db}' refused 4 lines, "
        f"set aside in {rejected} (see `linkyflux status`): {CONFLICT}; first: {REFUSED[0]}"
    )


def assert_set_aside(rejected: Path) -> None:
    """The four refused lines, each after a comment with the time and InfluxDB's message."""
    assert stat.S_IMODE(rejected.stat().st_mode) == 0o600
    lines = rejected.read_text().splitlines()
    assert len(lines) == 2 * len(REFUSED)
    assert lines[1::2] == REFUSED
    for comment in lines[0::2]:
        assert re.fullmatch(STAMP + re.escape(CONFLICT), comment), comment


def assert_everything_else_written(influx: Influx1, w: World) -> None:
    daily = influx.query(f"SELECT energy_wh FROM linky_daily WHERE usage_point_id='{HOUSE}'")
    assert daily[0]["values"] == [
        [midnight(d), w.simulator.truth_daily(HOUSE, "consumption", d)]
        for d in DAYS
        if d not in REFUSED_DAYS
    ]
    curve = influx.query(
        f"SELECT COUNT(energy_wh) FROM linky_load_curve WHERE usage_point_id='{HOUSE}'"
    )
    assert curve[0]["values"][0][1] == 30 * 48 + 2  # 2026-10-25 has 50 half-hours
    peaks = influx.query(
        f"SELECT COUNT(power_va) FROM linky_max_power WHERE usage_point_id='{HOUSE}'"
    )
    assert peaks[0]["values"][0][1] == 30


@pytest.fixture
def w(tmp_path: Path) -> Iterator[World]:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        assert w.run("auth", config=w.config()).exit_code == 0
        w.clock.advance(120)
        yield w


def test_refused_lines_of_a_fetch_are_set_aside_and_reported_once(influx1, w: World) -> None:
    w.config(influxdb=v1(influx1.url, influx1.db))
    plant_conflict(influx1)
    rejected = w.state_dir / "rejected.lp"

    result = w.run("fetch", "-d", "30", "-q")
    assert result.exit_code == 7
    assert result.output.splitlines() == [refusal_line(influx1, rejected)]
    assert_set_aside(rejected)
    assert_everything_else_written(influx1, w)
    assert list((w.state_dir / "spool").glob("*")) == []

    advice = (
        "fix the database or the lines (InfluxDB's message is in the comment above each), "
        f"write them again by hand (curl -XPOST '{influx1.url}/write?db={influx1.db}"
        f"&precision=s' --data-binary @{rejected}), then delete the file"
    )
    status = w.run("status")
    assert status.exit_code == 0
    assert f"Set aside: 4 lines InfluxDB refused, in {rejected}: {advice}" in (
        status.output.splitlines()
    )
    as_json = json.loads(w.run("status", "--json").output)
    assert as_json["rejected"] == {"lines": 4, "file": str(rejected), "what_to_do": advice}
    assert as_json["spool"] == {"files": 0, "lines": 0}

    # The next day's run is not blocked by them and does not write them again.
    before = rejected.read_bytes()
    w.clock.advance(86400)
    result = w.run("fetch", "-q")
    assert result.exit_code == 0, result.output
    assert result.output == ""
    assert rejected.read_bytes() == before


def test_refused_lines_of_the_spool_are_set_aside_and_the_rest_written(
    influx1: Influx1, w: World
) -> None:
    late = Influx1(influx1.url, f"{influx1.db}late")  # created after the first run
    w.config(influxdb=v1(late.url, late.db))
    result = w.run("fetch", "-d", "30", "-q")
    assert result.exit_code == 7
    assert result.output.splitlines() == [
        f"linkyflux: InfluxDB 1.x at {late.url}, database '{late.db}': the database does not "
        f'exist (create it: CREATE DATABASE "{late.db}") (1506 lines kept in the spool, written '
        "first on the next run)"
    ]

    influx_query(late.url, f'CREATE DATABASE "{late.db}"')
    try:
        plant_conflict(late)
        rejected = w.state_dir / "rejected.lp"
        w.clock.advance(3600)
        result = w.run("fetch", "-q")
        assert result.exit_code == 7
        assert result.output.splitlines() == [refusal_line(late, rejected)]
        assert list((w.state_dir / "spool").iterdir()) == []
        assert_set_aside(rejected)
        assert_everything_else_written(late, w)

        before = rejected.read_bytes()
        w.clock.advance(86400)
        result = w.run("fetch", "-q")
        assert result.exit_code == 0, result.output
        assert rejected.read_bytes() == before
        status = json.loads(w.run("status", "--json").output)
        assert status["rejected"]["lines"] == 4
        assert status["spool"] == {"files": 0, "lines": 0}
    finally:
        influx_query(late.url, f'DROP DATABASE "{late.db}"')


def test_the_v1_sink_writes_around_a_malformed_line(influx1) -> None:
    sink = InfluxV1Sink(influx1.url, influx1.db, batch_size=3)
    lines = ["m f=1 1", "m f= 2", "m f=3 3", "m f=4 4", "m,t=x f=5i 5", "m f=6 6", "m f=7 7"]
    try:
        with pytest.raises(Rejected) as caught:
            sink.write(lines)
    finally:
        sink.close()
    assert caught.value.lines == [
        ("m f= 2", "unable to parse 'm f= 2': missing field value"),
        (
            "m,t=x f=5i 5",
            'partial write: field type conflict: input field "f" on measurement "m" is type '
            "integer, already exists as type float dropped=1",
        ),
    ]
    written = influx1.query("SELECT f FROM m")
    assert written[0]["values"] == [[1, 1.0], [3, 3.0], [4, 4.0], [6, 6.0], [7, 7.0]]


class _Influx2(BaseHTTPRequestHandler):
    """InfluxDB 2.x's write API, refusing a whole batch when a line holds "bad"."""

    status: ClassVar[int] = 400
    written: ClassVar[list[str]] = []
    requests: ClassVar[int] = 0

    def do_POST(self) -> None:
        type(self).requests += 1
        lines = self.rfile.read(int(self.headers["Content-Length"])).decode().splitlines()
        bad = [ln for ln in lines if "bad" in ln]
        if bad:
            body = json.dumps({"code": "invalid", "message": f"unable to parse '{bad[0]}'"})
            self.send_response(self.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body.encode())
            return
        self.written.extend(lines)
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status", [400, 422])
def test_the_v2_sink_sets_aside_what_influxdb_2_refuses(status: int) -> None:
    _Influx2.status, _Influx2.written, _Influx2.requests = status, [], 0
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Influx2)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sink = InfluxV2Sink(url, token="secret", org="home", bucket="linky")
    try:
        with pytest.raises(Rejected) as caught:
            sink.write(["m f=1 1", "m bad=2 2", "m f=3 3", "m f=4 4", "m bad=5 5"])
    finally:
        sink.close()
        server.shutdown()
    assert caught.value.lines == [
        ("m bad=2 2", "unable to parse 'm bad=2 2'"),
        ("m bad=5 5", "unable to parse 'm bad=5 5'"),
    ]
    assert sorted(_Influx2.written) == ["m f=1 1", "m f=3 3", "m f=4 4"]
    # the batch, its halves [0:2] [2:5], then [0:1] [1:2], [2:3] [3:5], [3:4] [4:5]
    assert _Influx2.requests == 9


def test_a_bug_in_the_v2_sink_is_a_bug_not_an_unreachable_server(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url = closed_port_url()
    sink = InfluxV2Sink(url, token="secret", org="home", bucket="linky", timeout=2)

    def broken(**kwargs: object) -> None:
        raise TypeError("write() got an unexpected keyword argument 'record'")

    try:
        with pytest.raises(SinkError) as caught:
            sink.write(["m f=1 1"])
        assert str(caught.value) == (
            f"cannot reach InfluxDB at {url}, bucket 'linky' (NewConnectionError)"
        )
        monkeypatch.setattr(sink.api, "write", broken)
        with pytest.raises(TypeError, match="unexpected keyword argument 'record'"):
            sink.write(["m f=1 1"])
    finally:
        sink.close()
