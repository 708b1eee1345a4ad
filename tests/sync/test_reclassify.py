"""`backfill --reclassify`: a changed schedule rewrites history, one point per interval."""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from linkyflux.sinks.writers import CannotDelete, InfluxV2Sink
from linkyflux.sources.enedis import horizon
from linkyflux.timeutil import PARIS

from private_influx import running
from simenv import World, world

PRM = "22516914714270"  # household, PT30M
PRICES = "[[tariff.price]]\nfrom = 2026-01-01\nhc = 0.2\nhp = 0.3\n"


def _state(w: World) -> dict:
    return json.loads((w.state_dir / "state.json").read_text())["usage_points"][PRM]


def _configure(w: World, offpeak: str, **influxdb: object) -> None:
    config = w.config(tariff={"offpeak": offpeak}, influxdb=dict(influxdb))
    config.write_text(config.read_text() + PRICES)


def _influx(influx1: object) -> dict[str, object]:
    return {"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""}


def _hc_per_day(rows: list[list[object]]) -> Counter[str]:
    """HC half-hours per Paris day, from InfluxQL rows ``[time, tariff]``."""
    out: Counter[str] = Counter()
    for stamp, tariff in rows:
        day = datetime.fromtimestamp(int(stamp), UTC).astimezone(PARIS).date().isoformat()
        out[day] += tariff == "HC"
    return out


def _curve_rows(influx1: object) -> list[list[object]]:
    series = influx1.query(
        f"SELECT energy_wh, cost_eur, tariff FROM linky_load_curve WHERE usage_point_id = '{PRM}'",
    )
    return series[0]["values"] if series else []


def test_reclassify_rewrites_the_history_in_influxdb_1x(influx1, tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _configure(w, "22h00-6h00", **_influx(influx1))
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "5", "-q").exit_code == 0  # the 17th to the 21st
        _configure(w, "2h00-7h00", **_influx(influx1))
        w.clock.advance(86400)
        result = w.run("fetch", "-q")  # the 22nd with the new schedule
        assert result.exit_code == 0
        assert result.output == (
            f"linkyflux: warning: {PRM}: 5 days from 2026-11-17 to 2026-11-21 keep the "
            "off-peak schedule they were first written with, not the one configured now; "
            f"to delete and rewrite them: linkyflux --config {tmp_path / 'config.toml'} "
            "backfill --reclassify --since 2026-11-17\n"
        )
        before = _curve_rows(influx1)
        calls = len(w.simulator.data_calls())
        result = w.run("backfill", "--reclassify")
        assert result.exit_code == 0, result.output
        assert result.output.splitlines()[0] == (
            f"Fetched 2026-11-17 … 2026-11-22 into InfluxDB 1.x at {influx1.url}, "
            f"database '{influx1.db}': 300 lines, 3 API calls."
        )
        # one curve window, one daily window (the daily points carry the curve's cost), and
        # the max power of the correction window, as every run
        assert [p.rsplit("/", 1)[1] for p, _ in w.simulator.data_calls()[calls:]] == [
            "consumption_load_curve",
            "daily_consumption",
            "daily_consumption_max_power",
        ]
        after = _curve_rows(influx1)
        daily = influx1.query(f"SELECT cost_eur FROM linky_daily WHERE usage_point_id = '{PRM}'")[
            0
        ]["values"]
        again = w.run("backfill", "--reclassify")
    assert _hc_per_day([[t, tariff] for t, _, _, tariff in before]) == {
        **{f"2026-11-{d}": 16 for d in range(17, 22)},  # 22h00-6h00
        "2026-11-22": 10,  # 2h00-7h00
    }
    # exactly one point per interval, all with the new schedule and their new cost
    assert len(after) == len({t for t, *_ in after}) == 6 * 48
    assert _hc_per_day([[t, tariff] for t, _, _, tariff in after]) == {
        f"2026-11-{d}": 10 for d in range(17, 23)
    }
    for _, energy, cost, tariff in after:
        assert cost == round(energy / 1000 * (0.2 if tariff == "HC" else 0.3), 6)
    day_costs: Counter[int] = Counter()
    for stamp, _, cost, _ in after:
        local = datetime.fromtimestamp(int(stamp), UTC).astimezone(PARIS)
        day_costs[int(local.replace(hour=0, minute=0).timestamp())] += cost
    assert [(t, c) for t, c in daily] == [(t, round(day_costs[t], 6)) for t, _ in daily]
    assert again.exit_code == 0
    assert again.output == (
        "Nothing to reclassify: every day written has the tags of the schedule configured for it.\n"
    )


def test_a_delete_left_undone_is_done_before_the_next_run_writes(tmp_path: Path) -> None:
    with running(tmp_path) as influx:
        settings = {"api": "v1", "url": influx.url, "database": "linky", "output": ""}
        with world(tmp_path) as w:
            w.consent = (PRM,)
            _configure(w, "22h00-6h00", **settings)
            assert w.run("auth").exit_code == 0
            assert w.run("fetch", "-d", "3", "-q").exit_code == 0  # the 19th to the 21st
            _configure(w, "2h00-7h00", **settings)
            influx.stop()
            result = w.run("backfill", "--reclassify", "-q")
            assert result.exit_code == 7
            assert result.output.startswith(
                f"linkyflux: cannot reach InfluxDB 1.x at {influx.url}, database 'linky' ("
            )
            assert _state(w)["delete_from"] == "2026-11-19"
            influx.start()
            w.clock.advance(86400)
            assert w.run("fetch", "-q").exit_code == 0  # deletes, then fetches the 19th on
            after = _curve_rows(influx)
            state = _state(w)
    assert state["delete_from"] is None
    assert len(after) == len({t for t, *_ in after}) == 4 * 48
    assert _hc_per_day([[t, tariff] for t, _, _, tariff in after]) == {
        f"2026-11-{d}": 10 for d in range(19, 23)
    }


def test_a_file_cannot_delete_so_nothing_changes_until_told(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _configure(w, "22h00-6h00")
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "2", "-q").exit_code == 0  # the 20th and 21st
        _configure(w, "2h00-7h00")
        state = (w.state_dir / "state.json").read_text()
        result = w.run("backfill", "--reclassify", "--since", "2026-11-21")
        assert result.exit_code == 3
        assert result.output == (
            f"linkyflux: {tmp_path / 'out.lp'} is a file: linkyflux cannot delete what it "
            "wrote there. Delete those points in the database you load it into: "
            'DELETE FROM "linky_load_curve" WHERE "usage_point_id" = \'22516914714270\' AND '
            "time >= '2026-11-20T23:00:00Z' AND time < '2026-11-23T23:00:00Z' (InfluxDB 1.x), "
            "or influx delete --start 2026-11-20T23:00:00Z --stop 2026-11-23T23:00:00Z "
            '--predicate \'_measurement="linky_load_curve" AND '
            'usage_point_id="22516914714270"\' (2.x)\n'
        )
        assert (w.state_dir / "state.json").read_text() == state
        result = w.run("backfill", "--reclassify", "--no-delete", "--since", "2026-11-21", "-q")
        assert result.exit_code == 0
        lines = [ln for ln in w.output_lines() if ln.startswith("linky_load_curve,")]
    # the 20th and 21st; then the 21st reclassified, and the 20th (correction window) as before
    rewritten = Counter((_day_of(ln), ln.split("tariff=")[1].split(",")[0]) for ln in lines[96:])
    assert rewritten == {
        ("2026-11-20", "HC"): 16,
        ("2026-11-20", "HP"): 32,
        ("2026-11-21", "HC"): 10,
        ("2026-11-21", "HP"): 38,
    }


def _day_of(line: str) -> str:
    stamp = int(line.rsplit(" ", 1)[1])
    return datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date().isoformat()


def test_victoriametrics_has_no_delete_api(victoria, tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        sink = {"api": "v2", "url": victoria.url, "org": "o", "token": "t", "output": ""}
        _configure(w, "22h00-6h00", **sink)
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        state = (w.state_dir / "state.json").read_text()
        result = w.run("backfill", "--reclassify", "--since", "2026-11-21")
    assert result.exit_code == 3
    assert result.output == (
        f"linkyflux: InfluxDB at {victoria.url}, bucket 'linky' has no delete API (400; "
        "InfluxDB 3 and VictoriaMetrics cannot delete points): delete the linky_load_curve "
        f'points where _measurement="linky_load_curve" AND usage_point_id="{PRM}" from '
        "2026-11-20T23:00:00Z on with the server's own tools (InfluxDB 3: drop the table and "
        "rewrite the whole history), then run `linkyflux backfill --reclassify --no-delete "
        "--since 2026-11-21`\n"
    )
    assert (w.state_dir / "state.json").read_text() == state


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-delete"], "linkyflux: --no-delete goes with --reclassify"),
        (["--reclassify", "--since", "2026-11-22"], "2026-11-22 is not before today"),
    ],
)
def test_bad_arguments(tmp_path: Path, args: list[str], message: str) -> None:
    with world(tmp_path) as w:
        w.config()
        result = w.run("backfill", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_before_the_horizon_the_curve_keeps_its_tags(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _configure(w, "22h00-6h00")
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        result = w.run("backfill", "--reclassify", "--no-delete", "--since", "2024-01-01")
    floor = horizon(date(2026, 11, 22), curve=True)
    assert result.exit_code == 0
    note, fetched = result.output.splitlines()[:2]
    assert note == (
        f"{PRM}: the load curve before {floor} cannot be fetched again (Enedis keeps 24 "
        f"months), so it keeps its tags: reclassifying from {floor}"
    )
    assert fetched.startswith(f"Fetched {floor} … 2026-11-21 into {tmp_path / 'out.lp'}: ")


class _DeleteApi(BaseHTTPRequestHandler):
    """Answers the 2.x delete API like InfluxDB 2.x (204), or 404 like InfluxDB 3 Core."""

    status = 204
    seen: ClassVar[list[tuple[str, dict[str, object]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.seen.append((self.path, body))
        self.send_response(self.status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("status", [204, 404])
def test_the_v2_sink_calls_the_delete_api(status: int) -> None:
    _DeleteApi.status, _DeleteApi.seen = status, []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _DeleteApi)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    sink = InfluxV2Sink(url, token="secret", org="home", bucket="linky")
    start, stop = datetime(2026, 11, 17, tzinfo=PARIS), datetime(2026, 11, 24, tzinfo=PARIS)
    try:
        if status == 404:
            with pytest.raises(CannotDelete, match=r"has no delete API \(404; InfluxDB 3"):
                sink.delete("linky_load_curve", {"usage_point_id": PRM}, start, stop)
        else:
            sink.delete("linky_load_curve", {"usage_point_id": PRM}, start, stop)
    finally:
        sink.close()
        server.shutdown()
    assert _DeleteApi.seen == [
        (
            "/api/v2/delete?org=home&bucket=linky",
            {
                "start": "2026-11-16T23:00:00Z",
                "stop": "2026-11-23T23:00:00Z",
                "predicate": f'_measurement="linky_load_curve" AND usage_point_id="{PRM}"',
            },
        )
    ]
