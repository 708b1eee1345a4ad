"""The spool is replayed in the order it was written, whatever the writers' PIDs (issue #12).

A spool file is named by a sequence number the spool directory keeps (one more than the
highest present); files left by older versions (``<pid>-<seq>-<rand>.lp``) are replayed first,
oldest (mtime) first.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from datetime import date
from pathlib import Path

import pytest

from linkyflux.sinks.spool import Spool, SpoolingSink
from linkyflux.timeutil import SystemClock, paris_day_bounds

from private_influx import PrivateInflux
from simenv import World, world

HOUSE = "22516914714270"
NOV_21 = int(paris_day_bounds(date(2026, 11, 21))[0].timestamp())


@pytest.fixture
def influx(tmp_path: Path) -> Iterator[PrivateInflux]:
    """An InfluxDB 1.x that is down until the test starts it (its URL never changes)."""
    (tmp_path / "influx").mkdir()
    server = PrivateInflux(tmp_path / "influx")
    yield server
    server.stop()


def configure(w: World, influx: PrivateInflux, price: float) -> None:
    path = w.config(influxdb={"api": "v1", "url": influx.url, "database": "linky", "output": ""})
    with path.open("a") as out:
        out.write(f"[[tariff.price]]\nfrom = 2026-01-01\nbase = {price}\nhc = {price}\n")
        out.write(f"hp = {price}\n")


def daily_cost(lines: list[str]) -> str:
    """The cost_eur field of HOUSE's daily point of 2026-11-21 among ``lines``."""
    (line,) = [
        ln
        for ln in lines
        if ln.startswith("linky_daily,")
        and f"usage_point_id={HOUSE}" in ln
        and ln.endswith(f" {NOV_21}")
    ]
    (field,) = [f for f in line.split(" ")[1].split(",") if f.startswith("cost_eur=")]
    return field.removeprefix("cost_eur=")


def spooled(w: World) -> dict[str, list[str]]:
    return {p.name: p.read_text().splitlines() for p in Spool(w.state_dir).files()}


def test_the_newer_spooled_value_wins_whatever_the_pids(
    influx: PrivateInflux, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        configure(w, influx, 0.2)  # InfluxDB is down
        assert w.run("auth").exit_code == 0
        w.clock.advance(120)

        monkeypatch.setattr(os, "getpid", lambda: 9999)
        first = w.run("fetch", "-q")
        assert first.exit_code == 7, first.output
        older = spooled(w)
        assert daily_cost([ln for lines in older.values() for ln in lines]) == "7.9689"

        w.clock.advance(3600)
        configure(w, influx, 0.3)  # the price changed: the same point, a new value
        monkeypatch.setattr(os, "getpid", lambda: 10000)
        second = w.run("fetch", "-q")
        assert second.exit_code == 7, second.output
        newer = {k: v for k, v in spooled(w).items() if k not in older}
        assert daily_cost([ln for lines in newer.values() for ln in lines]) == "11.95335"

        # Three days later InfluxDB is back: the spool is written first, in order; the run
        # fetches 2026-11-22 to 2026-11-24, never 2026-11-21 again.
        monkeypatch.undo()
        w.clock.advance(3 * 86400)
        configure(w, influx, 0.5)
        influx.start()
        influx.query("CREATE DATABASE linky")
        third = w.run("fetch", "-q")
        assert third.exit_code == 0, third.output
        assert spooled(w) == {}
        series = influx.query(
            f"SELECT cost_eur FROM linky_daily WHERE usage_point_id='{HOUSE}' AND time = {NOV_21}s"
        )
        assert series[0]["values"] == [[NOV_21, 11.95335]]


class Recorder:
    description = "a recorder"

    def __init__(self) -> None:
        self.written: list[str] = []

    def write(self, lines: Sequence[str]) -> None:
        self.written += lines

    def delete(self, *args: object) -> None:
        raise AssertionError("not called")

    def close(self) -> None:
        pass


def test_files_are_numbered_in_the_order_they_are_written(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    for text in ("a", "b", "c"):
        spool.add([text])
    assert sorted(p.name for p in spool.dir.iterdir()) == [
        "000000000001.lp",
        "000000000002.lp",
        "000000000003.lp",
    ]
    (spool.dir / "000000000002.lp").unlink()
    (spool.dir / "999999999998.lp").write_text("y\n")
    later = Spool(tmp_path)  # the next run: one more than the highest number present
    later.add(["z"])
    later.add(["zz"])
    assert [p.name for p in later.files()] == [
        "000000000001.lp",
        "000000000003.lp",
        "999999999998.lp",
        "999999999999.lp",
        "1000000000000.lp",  # numeric order, not the names'
    ]


def test_files_of_older_versions_are_written_first_by_age(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.add(["new 1"])
    spool.add(["new 2"])
    legacy = {  # name: (mtime_ns, content), as older versions named them
        "10000-000000-0a1b2c3d.lp": (1_795_000_000_000_000_002, "pid 10000"),
        "9999-000007-deadbeef.lp": (1_795_000_000_000_000_001, "pid 9999"),
        "9999-000008-00c0ffee.lp": (1_795_000_000_000_000_002, "pid 9999, same mtime"),
    }
    for name, (mtime_ns, text) in legacy.items():
        path = spool.dir / name
        path.write_text(f"{text}\n")
        os.utime(path, ns=(mtime_ns, mtime_ns))
    (spool.dir / ".000000000003.lp.123.tmp").write_text("a crashed write\n")
    recorder = Recorder()
    sink = SpoolingSink(recorder, spool, SystemClock())
    assert sink.drain_spool() == 5
    assert recorder.written == ["pid 9999", "pid 10000", "pid 9999, same mtime", "new 1", "new 2"]
    assert spool.files() == []
    assert sink.failure is None
