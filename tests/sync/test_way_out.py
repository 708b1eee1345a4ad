"""What used to need editing state.json: a new destination, days given up, a direction.

A move to another bucket, database, server or file is seen by the next run, which sends
the history again; `backfill --retry-unavailable`, `--resend` and `--recheck-directions`
undo what linkyflux concluded, and `status` says when each is needed.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from test_never_lose import days_of, points, series_status

from linkyflux.timeutil import paris_today

from simenv import World, consented

HOUSE = "22516914714270"


def keys(w: World, output: str) -> set[str]:
    """The data points of a file (not the per-run contract and sync points), by key."""
    path = w.home / output
    return {
        line.rsplit(" ", 2)[0] + " " + line.rsplit(" ", 1)[1]
        for line in path.read_text().splitlines()
        if line.startswith(("linky_load_curve,", "linky_daily,", "linky_max_power,"))
    }


def test_a_backfill_into_a_new_destination_sends_everything_again(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        assert w.run("backfill", "--days", "30", "-q").exit_code == 0
        sent = keys(w, "out.lp")
        assert len(sent) == 30 * 48 + 2 + 30 + 30  # 25 October: 50 half-hours
        w.config(influxdb={"output": str(w.home / "new.lp")})
        result = w.run("backfill", "--days", "30", "-q")
        assert result.exit_code == 0, result.output
        assert result.output == (
            f"linkyflux: warning: the destination changed from {w.home / 'out.lp'} to "
            f"{w.home / 'new.lp'}: the days sent to the old one are sent again to the new "
            "one (from 2026-10-23)\n"
        )
        assert keys(w, "new.lp") == sent


def test_a_fetch_after_a_move_catches_up_the_history(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-d", "20", "-q").exit_code == 0
        w.config(influxdb={"output": str(w.home / "new.lp")})
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0
        assert keys(w, "out.lp") < keys(w, "new.lp")
        assert len(keys(w, "new.lp")) == 21 * 50  # the 2nd to the 22nd


def test_resend_fills_a_destination_emptied_by_hand(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-d", "10", "-q").exit_code == 0
        sent = keys(w, "out.lp")
        (w.home / "out.lp").unlink()  # a dropped database, a lost file
        assert w.run("backfill", "--days", "10", "-q").exit_code == 0
        assert len(keys(w, "out.lp")) == 2 * 50  # the correction window only
        result = w.run("backfill", "--days", "10", "--resend", "-q")
        assert result.exit_code == 0, result.output
        assert keys(w, "out.lp") == sent


def test_retry_unavailable_asks_enedis_again(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        for _ in range(2):  # "no data" on two days: given up
            w.simulator.inject("no_data", path_contains="load_curve")
            w.run("backfill", "--days", "20", "-q")
            w.clock.advance(86400)
        assert series_status(w, "consumption/curve")["unavailable"] == ["2026-11-03..2026-11-08"]
        text = w.run("status").output
        assert (
            "  consumption/curve      from 2024-11-09  last complete 2026-11-22  "
            "missing: 2026-11-02, 2026-11-23  unavailable: 2026-11-03..2026-11-08 (Enedis had "
            f"nothing: to ask again, linkyflux --config {w.home / 'config.toml'} backfill "
            "--retry-unavailable)"
        ) in text.splitlines(), text
        given_up = [date(2026, 11, n) for n in range(3, 9)]
        assert w.run("backfill", "--days", "30", "-q").exit_code == 0
        assert [days_of(w, "linky_load_curve")[d] for d in given_up] == [0] * 6  # not asked
        result = w.run("backfill", "--days", "30", "--retry-unavailable", "-q")
        assert result.exit_code == 0, result.output
        assert series_status(w, "consumption/curve")["unavailable"] == []
        curve = days_of(w, "linky_load_curve")
        assert [curve[d] for d in given_up] == [48] * 6
        assert len(curve) == 30  # 25 October to 23 November


def test_recheck_directions_asks_a_refused_direction_now(tmp_path: Path) -> None:
    with consented(tmp_path, HOUSE) as w:
        assert w.run("fetch", "-q").exit_code == 0
        text = w.run("status").output
        assert (
            f"\n{HOUSE}: measures consumption; no production (asked again from 2026-12-22; "
            f"now: linkyflux --config {w.home / 'config.toml'} backfill --recheck-directions)"
        ) in text
        w.simulator.change_contract(HOUSE, directions=("consumption", "production"))
        result = w.run("backfill", "--days", "3", "--recheck-directions", "-q")
        assert result.exit_code == 0, result.output
        status = json.loads(w.run("status", "--json").output)
        assert status["usage_points"][HOUSE]["directions"] == {
            "consumption": True,
            "production": True,
        }
        produced = [k for k in points(w) if k.startswith("linky_daily,direction=production")]
        assert len(produced) == 3
        assert paris_today(w.clock).isoformat() == "2026-11-22"
