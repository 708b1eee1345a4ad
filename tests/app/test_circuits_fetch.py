"""Issue #18's "done when": one `fetch` writes the Linky and the Netatmo series; a week of
simulated circuits in a real InfluxDB equals ground truth (bucket starts, energy per circuit,
the fall-back day included), one point per bucket after repeated runs."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.netatmo import NETATMO_CLIENT_ID, NETATMO_CLIENT_SECRET
from linkyflux.timeutil import PARIS

from simenv import World, world

HOUSE = "22516914714270"
WORKSHOP, WORKSHOP_METER = "5f0000000000000000000002", "12655648759651"
NLE = "70:ee:50:00:00:01"
CIRCUITS = {
    f"{NLE}#{n}": name
    for n, name in enumerate(("Chauffage", "Chauffe-eau", "Prises", "Cuisine", "Éclairage"))
}
WEEK = [date(2026, 10, 22) + timedelta(days=n) for n in range(7)]  # 25 October: 25 hours


def configure(w: World, influx1: Any, **netatmo: object) -> None:
    w.consent = (HOUSE,)
    w.config(
        influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
        tariff={"offpeak": "22h00-6h00"},
        netatmo={
            "client_id": NETATMO_CLIENT_ID,
            "client_secret": NETATMO_CLIENT_SECRET,
            "url": w.url + "/netatmo",
            **netatmo,
        },
    )


def test_one_fetch_writes_the_linky_and_the_netatmo_series(influx1: Any, tmp_path: Path) -> None:
    with world(tmp_path, date(2026, 10, 29)) as w:
        configure(w, influx1, window_hours=240)
        assert w.run("auth").exit_code == 0
        result = w.run("auth", "--netatmo")
        assert result.exit_code == 0, result.output
        assert (
            "Maison (5f0000000000000000000001): Chauffage (electric, 70:ee:50:00:00:01#0)"
            in result.output
        )
        for _ in range(2):  # a run, then another three hours later: the same points
            result = w.run("fetch", "-d", "7")
            assert result.exit_code == 0, result.output
            w.clock.advance(3 * 3600)
        truth = {
            module_id: [
                (int(start.timestamp()), float(wh))
                for day in WEEK
                for start, wh in w.simulator.truth_circuit(module_id, day)
            ]
            for module_id in CIRCUITS
        }
        linky = influx1.query(
            "SELECT COUNT(energy_wh) FROM linky_load_curve WHERE direction = 'consumption'"
        )
    assert "Netatmo Maison: Chauffage (electric, 70:ee:50:00:00:01#0): " in result.output
    first, end = (
        int(datetime.combine(d, datetime.min.time(), PARIS).timestamp())
        for d in (WEEK[0], WEEK[-1] + timedelta(days=1))
    )
    for module_id, name in CIRCUITS.items():
        got = influx1.query(
            "SELECT energy_wh, tariff FROM netatmo_energy "
            f"WHERE module_id = '{module_id}' AND circuit = '{name}' "
            f"AND time >= {first}s AND time < {end}s"
        )[0]
        rows = [(t, e) for t, e, _ in got["values"]]
        assert rows == truth[module_id], module_id
        days = Counter(datetime.fromtimestamp(t, PARIS).date() for t, _ in rows)
        assert days[date(2026, 10, 25)] == 50 and days[date(2026, 10, 22)] == 48
        for t, _, tariff in got["values"]:
            hour = datetime.fromtimestamp(t, PARIS).hour
            assert tariff == ("HC" if hour < 6 or hour >= 22 else "HP"), (module_id, t)
    assert linky[0]["values"][0][1] > 0  # the same fetch wrote the Linky curve


def test_a_stopped_run_and_days_without_runs_are_caught_up(influx1: Any, tmp_path: Path) -> None:
    """Netatmo's limit stops a run (exit 5, what was written stays); four days without any
    run, more than the 48-hour window: the next run reads each circuit from its last bucket."""
    with world(tmp_path, date(2026, 10, 24)) as w:
        configure(w, influx1, usage_point=HOUSE)
        assert w.run("auth").exit_code == 0
        assert w.run("auth", "--netatmo").exit_code == 0
        first = w.clock.now()
        assert w.run("fetch", "-q").exit_code == 0
        w.clock.advance(6 * 3600)
        w.simulator.netatmo.fail_concurrency(1)  # the first Netatmo call of the run
        stopped = w.run("fetch", "-q")
        assert stopped.exit_code == 5, stopped.output
        assert "Netatmo's rate limit was reached" in stopped.stderr
        w.clock.advance(4 * 86400)
        again = w.run("fetch", "-q")
        assert again.exit_code == 0, again.output
        now = w.clock.now()
        truth = {
            int(start.timestamp()): float(wh)
            for n in range(10)
            for start, wh in w.simulator.truth_circuit(
                f"{NLE}#0", date(2026, 10, 21) + timedelta(days=n)
            )
        }
    got = influx1.query(f"SELECT energy_wh FROM netatmo_energy WHERE module_id = '{NLE}#0'")
    rows = [(t, float(e)) for t, e in got[0]["values"]]
    starts = [t for t, _ in rows]
    assert starts == list(range(starts[0], starts[-1] + 1, 1800))  # no gap, no bucket twice
    assert rows == [(t, truth[t]) for t in starts]
    assert starts[0] <= (first - timedelta(hours=48)).timestamp()
    assert starts[-1] + 1800 >= (now - timedelta(hours=4)).timestamp()  # up to the last upload


def test_each_home_is_tagged_with_the_meter_it_hangs_off(tmp_path: Path) -> None:
    with world(tmp_path, date(2026, 10, 29)) as w:
        w.consent = (HOUSE, WORKSHOP_METER)
        w.config(
            netatmo={
                "client_id": NETATMO_CLIENT_ID,
                "client_secret": NETATMO_CLIENT_SECRET,
                "url": w.url + "/netatmo",
                "homes": {WORKSHOP: WORKSHOP_METER},
            },
        )
        assert w.run("auth").exit_code == 0
        assert w.run("auth", "--netatmo").exit_code == 0
        unnamed = w.run("fetch", "-q")  # Maison is not in homes, and two meters are consented
        config = w.home / "config.toml"
        config.write_text(config.read_text() + f'usage_point = "{HOUSE}"\n')
        named = w.run("fetch", "-q")
        lines = [line for line in w.output_lines() if line.startswith("netatmo_energy,")]
    assert unnamed.exit_code == 3
    assert unnamed.stderr.splitlines()[-1].endswith(
        "netatmo.homes has no '5f0000000000000000000001' (Maison), and netatmo.usage_point is "
        "empty: say which Linky meter that home hangs off"
    )
    assert named.exit_code == 0, named.output
    meters = {
        (line.split(",home_id=")[1].split(",")[0], line.split("usage_point_id=")[1].split(" ")[0])
        for line in lines
    }
    assert meters == {("5f0000000000000000000001", HOUSE), (WORKSHOP, WORKSHOP_METER)}


def test_a_token_pair_from_the_developer_site_is_checked_and_rotated(tmp_path: Path) -> None:
    with world(tmp_path, date(2026, 10, 29)) as w:
        w.consent = (HOUSE,)
        configure_file(w)
        pair = w.simulator.netatmo_generate_token("read_magellan")
        typed = f"{pair['access_token']}\n{pair['refresh_token']}\n"
        runtime = Runtime(clock=w.clock)
        argv = ["--config", str(w.home / "config.toml"), "auth", "--netatmo", "--pair"]
        result = CliRunner().invoke(cli, argv, obj=runtime, input=typed)
        saved = json.loads((w.state_dir / "netatmo_tokens.json").read_text())
        again = CliRunner().invoke(cli, argv, obj=runtime, input=typed)  # a dead pair now
        kept = json.loads((w.state_dir / "netatmo_tokens.json").read_text())
    assert result.exit_code == 0, result.output
    assert "Maison (5f0000000000000000000001): Chauffage" in result.output
    assert pair["refresh_token"] not in result.output and pair["access_token"] not in result.output
    assert saved["refresh_token"] != pair["refresh_token"]  # rotated at once, and saved
    assert again.exit_code == 4
    assert kept == saved  # a dead pair pasted again leaves the working consent alone
    assert again.stderr.splitlines()[-1] == (
        "linkyflux: the Netatmo consent expired or was revoked: run `linkyflux auth --netatmo`"
    )


def configure_file(w: World) -> None:
    w.config(
        netatmo={
            "client_id": NETATMO_CLIENT_ID,
            "client_secret": NETATMO_CLIENT_SECRET,
            "url": w.url + "/netatmo",
        }
    )
