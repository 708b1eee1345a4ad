"""`linkyflux demo`: the real device flow and fetch against the embedded simulator."""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.netatmo import NETATMO_CLIENT_ID, NETATMO_CLIENT_SECRET
from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import FakeClock

from simenv import paris, world


def test_demo_writes_what_a_real_fetch_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("LINKYFLUX_CONFIG", raising=False)
    (tmp_path / "linkyflux-demo.lp").write_text("stale line from an earlier demo\n")
    clock = FakeClock(paris(2026, 11, 22, 9))
    result = CliRunner().invoke(cli, ["demo"], obj=Runtime(clock=clock), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    demo_lines = (tmp_path / "linkyflux-demo.lp").read_text().splitlines()
    assert f"Fetched 2026-11-15 … 2026-11-21 into linkyflux-demo.lp: {len(demo_lines)} lines, " in (
        result.output
    )
    assert "Off-peak schedule: '22h00-6h00'" in result.output
    assert (
        "Prices: from 2020-01-01: base 0.2016, hc 0.1615, hp 0.2146, production 0.1276 €/kWh, "
        "subscription 15.65 €/month" in result.output
    )

    home = tmp_path / "user"
    home.mkdir()
    with world(home) as w:
        config = w.config(
            tariff={"offpeak": "22h00-6h00"},
            netatmo={  # the simulated Netatmo homes, hanging off the household meter
                "client_id": NETATMO_CLIENT_ID,
                "client_secret": NETATMO_CLIENT_SECRET,
                "url": f"{w.url}/netatmo",
                "usage_point": "22516914714270",
                "window_hours": 7 * 24,
            },
        )
        config.write_text(  # the demo's example prices
            config.read_text() + "[[tariff.price]]\nfrom = 2020-01-01\nbase = 0.2016\n"
            "hc = 0.1615\nhp = 0.2146\nproduction = 0.1276\nsubscription = 15.65\n"
        )
        assert w.run("auth").exit_code == 0
        assert w.run("auth", "--netatmo").exit_code == 0
        assert w.run("fetch", "-d", "7", "-q").exit_code == 0
        assert demo_lines == w.output_lines()
    # and today's contract of the 7 consuming meters, where each of their 25 series stands,
    # and the buckets of the 9 Netatmo circuits that have some: from 7 days before now
    # (08:00 UTC) to the last upload (06:00 UTC), the workshop's without its Saturday gap
    netatmo = [line for line in demo_lines if line.startswith("netatmo_energy,")]
    assert len(demo_lines) - len(netatmo) == 3288 + 7 + 25
    circuits = Counter(line.split(",module_id=")[1].split(",")[0] for line in netatmo)
    assert circuits.pop("70:ee:50:00:00:11") == (7 * 24 - 2) * 2 - 4
    assert len(circuits) == 8 and set(circuits.values()) == {(7 * 24 - 2) * 2}


def test_demo_writes_to_the_configured_sink_only_when_asked(
    influx1, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The quick start must not pour eight simulated meters into a real database."""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.toml"
    config.write_text(f'[influxdb]\napi = "v1"\nurl = "{influx1.url}"\ndatabase = "{influx1.db}"\n')
    clock = FakeClock(paris(2026, 11, 22, 9))
    demo = ["--config", str(config), "demo", "-d", "1"]
    result = CliRunner().invoke(cli, demo, obj=Runtime(clock=clock))
    assert result.exit_code == 0, result.output
    assert "Fetched 2026-11-21 … 2026-11-21 into linkyflux-demo.lp: " in result.output
    assert influx1.query("SELECT COUNT(energy_wh) FROM linky_daily") == []
    result = CliRunner().invoke(cli, [*demo, "--to-config"], obj=Runtime(clock=clock))
    assert result.exit_code == 0, result.output
    assert f"into InfluxDB 1.x at {influx1.url}, database '{influx1.db}': " in result.output
    daily = influx1.query("SELECT COUNT(energy_wh) FROM linky_daily")
    assert daily[0]["values"][0][1] == 9  # 7 consuming meters, 2 producing
    result = CliRunner().invoke(
        cli, ["--config", str(tmp_path / "none.toml"), "demo", "--to-config"], obj=Runtime()
    )
    assert result.exit_code == 3
    assert result.output == (
        f"linkyflux: --to-config: there is no config file at {tmp_path / 'none.toml'}\n"
    )


def test_demo_uses_the_configured_sink_and_schedule(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[influxdb]\noutput = "{tmp_path}/mine.lp"\n[tariff]\noffpeak = "BASES"\n')
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "demo", "-d", "1"],
        obj=Runtime(clock=FakeClock(paris(2026, 11, 22, 9))),
    )
    assert result.exit_code == 3
    assert "tariff.offpeak" in result.output
    config.write_text(f'[influxdb]\noutput = "{tmp_path}/mine.lp"\n')
    result = CliRunner().invoke(
        cli,
        ["--config", str(config), "demo", "-d", "1", "--to-config"],
        obj=Runtime(clock=FakeClock(paris(2026, 11, 22, 9))),
    )
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "mine.lp").read_text().splitlines()
    assert lines[0].startswith("linky_load_curve,direction=consumption,tariff=HC,")


def test_demo_shows_an_import_then_fetches_the_days_after_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
    monkeypatch.delenv("LINKYFLUX_CONFIG", raising=False)
    clock = FakeClock(paris(2026, 11, 22, 9))
    result = CliRunner().invoke(
        cli, ["demo", "--import", "-d", "3"], obj=Runtime(clock=clock), catch_exceptions=False
    )
    assert result.exit_code == 0, result.output
    truth = Simulator(clock)
    house, solar = "22516914714270", "24880057139941"
    kwh = {
        uid: sum(
            i.energy_wh
            for n in range(3)
            for i in truth.truth_curve(uid, direction, date(2026, 11, 16 + n))  # type: ignore[arg-type]
        )
        / 1000
        for uid, direction in ((house, "consumption"), (solar, "production"))
    }
    assert (
        "[demo] Enedis sent the R63 CSV of 2026-11-16 to 2026-11-18: linkyflux-demo-R63.csv\n"
        "Imported into linkyflux-demo.lp:\n"
        f"linkyflux-demo-R63.csv: {house} consumption: 3 days (3 complete) from 2026-11-16 "
        f"to 2026-11-18, 144 points, {kwh[house]:.3f} kWh\n"
        f"linkyflux-demo-R63.csv: {solar} production: 3 days (3 complete) from 2026-11-16 "
        f"to 2026-11-18, 144 points, {kwh[solar]:.3f} kWh\n"
    ) in result.output
    assert "Fetched 2026-11-19 … 2026-11-21 into linkyflux-demo.lp: " in result.output
    lines = (tmp_path / "linkyflux-demo.lp").read_text().splitlines()
    starts = [
        int(line.rsplit(" ", 1)[1])
        for line in lines
        if line.startswith("linky_load_curve,") and f"usage_point_id={house}" in line
    ]
    expected = [
        int(i.start.timestamp())
        for n in range(6)
        for i in truth.truth_curve(house, "consumption", date(2026, 11, 16 + n))
    ]
    assert starts == expected  # imported, then fetched: each interval once
