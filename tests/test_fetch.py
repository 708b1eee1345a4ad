"""`linkyflux fetch` end to end through the CLI, against the simulator, into a file."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.timeutil import PARIS, paris_day_bounds

from simenv import World, world

HOUSE = "22516914714270"


@pytest.fixture
def w(tmp_path: Path) -> World:
    with world(tmp_path) as w:
        w.config(tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        yield w


def parse(lines: list[str]) -> list[tuple[str, dict[str, str], dict[str, float], int]]:
    out = []
    for text in lines:
        head, fields, ts = text.split(" ")
        measurement, *tags = head.split(",")
        out.append(
            (
                measurement,
                dict(t.split("=") for t in tags),
                {k: float(v) for k, v in (f.split("=") for f in fields.split(","))},
                int(ts),
            )
        )
    return out


def test_yesterday_for_one_meter_exact_lines(w: World) -> None:
    w.consent = (HOUSE,)
    assert w.run("auth").exit_code == 0
    result = w.run("fetch")
    assert result.exit_code == 0, result.output
    lines = w.output_lines()
    truth = w.simulator.truth_curve(HOUSE, "consumption", date(2026, 11, 21))
    first = truth[0]
    assert lines[0] == (
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        f"energy_wh={first.power_w / 2!r},power_w={float(first.power_w)!r} 1795215600"
    )
    curve = [p for p in parse(lines) if p[0] == "linky_load_curve"]
    assert len(curve) == 48
    assert curve[0][3] == int(datetime(2026, 11, 21, tzinfo=PARIS).timestamp())
    assert curve[-1][3] == int(datetime(2026, 11, 21, 23, 30, tzinfo=PARIS).timestamp())
    # 22:00-06:00 is HC: 12 intervals in the morning, 4 in the evening.
    assert Counter(p[1]["tariff"] for p in curve) == {"HC": 16, "HP": 32}
    daily = w.simulator.truth_daily(HOUSE, "consumption", date(2026, 11, 21))
    peak = w.simulator.truth_max_power(HOUSE, date(2026, 11, 21))
    hc = sum(
        i.energy_wh for i in truth if i.start.astimezone(PARIS).hour in (0, 1, 2, 3, 4, 5, 22, 23)
    )
    hp = sum(i.energy_wh for i in truth) - hc
    assert lines[48:] == [
        # the day's calendar month and year as tags; its curve's energy per tariff
        "linky_daily,direction=consumption,month=2026-11,usage_point_id=22516914714270,year=2026 "
        f"base_energy_wh=0.0,energy_wh={float(daily)!r},hc_energy_wh={hc!r},hp_energy_wh={hp!r} "
        "1795215600",
        "linky_max_power,direction=consumption,usage_point_id=22516914714270 "
        f"power_va={float(peak)!r} 1795215600",
        # the contract as it stands today (2026-11-22), for the subscribed-power line
        r"linky_contract,offpeak_hours=22:00-06:00,tariff_code=BTINFMUDT,"
        "usage_point_id=22516914714270 subscribed_power_kva=9.0 1795302000",
        # where each series stands today (the data-health panel): all up to date
        *(
            f"linky_sync,direction=consumption,series={series},usage_point_id=22516914714270 "
            "days_behind=0.0,last_complete_s=1795215600.0,missing_days=0.0,partial_days=0.0,"
            "unavailable_days=0.0 1795302000"
            for series in ("curve", "daily", "max_power")
        ),
    ]
    assert result.output.splitlines()[0] == (
        f"Fetched 2026-11-21 … 2026-11-21 into {w.home}/out.lp: 54 lines, 4 API calls."
    )
    # consumption curve, daily, max power, then production curve (wrong direction, remembered)
    paths = [p.rsplit("/", 1)[-1] for p, _ in w.simulator.data_calls()]
    assert paths == [
        "consumption_load_curve",
        "daily_consumption",
        "daily_consumption_max_power",
        "production_load_curve",
    ]
    state = json.loads((w.state_dir / "state.json").read_text())
    assert state["usage_points"][HOUSE]["directions"] == {"consumption": True, "production": False}
    w.clock.advance(86400)
    assert w.run("fetch", "-q").exit_code == 0
    paths = [p.rsplit("/", 1)[-1] for p, _ in w.simulator.data_calls()][4:]
    assert paths == ["consumption_load_curve", "daily_consumption", "daily_consumption_max_power"]


def test_a_week_of_every_meter_matches_ground_truth(w: World) -> None:
    result = w.run("fetch", "-d", "7")
    assert result.exit_code == 0, result.output
    points = parse(w.output_lines())
    energy: dict[tuple[str, str, date], float] = defaultdict(float)
    count: Counter[tuple[str, str, date]] = Counter()
    keys = Counter((p[0], tuple(sorted(p[1].items())), p[3]) for p in points)
    assert max(keys.values()) == 1, "a point was written twice"
    for measurement, tags, fields, ts in points:
        if measurement == "linky_load_curve":
            day = datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date()
            key = (tags["usage_point_id"], tags["direction"], day)
            energy[key] += fields["energy_wh"]
            count[key] += 1
    days = [date(2026, 11, 15) + timedelta(n) for n in range(7)]
    for usage_point_id in w.simulator.consent:
        for direction in ("consumption", "production"):
            for day in days:
                truth = w.simulator.truth_curve(usage_point_id, direction, day)
                key = (usage_point_id, direction, day)
                assert count[key] == len(truth), key
                assert energy[key] == pytest.approx(sum(i.energy_wh for i in truth), abs=1e-6)
    # the gap meter misses 10:00-14:00 on Tuesday 17 and Wednesday 18 November
    assert count[("42900589957123", "consumption", date(2026, 11, 17))] == 40
    assert count[("50000000000010", "consumption", date(2026, 11, 17))] == 144
    assert count[("50000000000060", "consumption", date(2026, 11, 17))] == 24
    daily = {
        (p[1]["usage_point_id"], p[1]["direction"], p[3]): p[2]["energy_wh"]
        for p in points
        if p[0] == "linky_daily"
    }
    midnight = int(paris_day_bounds(date(2026, 11, 18))[0].timestamp())
    assert daily[("24880057139941", "production", midnight)] == w.simulator.truth_daily(
        "24880057139941", "production", date(2026, 11, 18)
    )
    # Its daily energy is published for every day: the curve is not late, it is not collected.
    assert (
        "linkyflux: warning: 32320647321714: Enedis has no consumption load curve for 7 days "
        "from 2026-11-15 to 2026-11-21 (is hourly collection enabled in your Enedis account?)"
    ) in result.output.splitlines()
    assert "Not published yet" not in result.output


@pytest.mark.parametrize(
    ("today", "day", "count", "first", "last"),
    [
        (date(2026, 3, 30), date(2026, 3, 29), 46, "2026-03-28T23:00:00", "2026-03-29T21:30:00"),
        (date(2026, 10, 26), date(2026, 10, 25), 50, "2026-10-24T22:00:00", "2026-10-25T22:30:00"),
    ],
)
def test_dst_days(
    tmp_path: Path, today: date, day: date, count: int, first: str, last: str
) -> None:
    with world(tmp_path, today=today) as w:
        w.consent = (HOUSE,)
        w.config(tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        curve = [p for p in parse(w.output_lines()) if p[0] == "linky_load_curve"]
        stamps = [datetime.fromtimestamp(p[3], UTC).replace(tzinfo=None).isoformat() for p in curve]
        assert (len(curve), stamps[0], stamps[-1]) == (count, first, last)
        assert len(set(stamps)) == count
        hc = sum(1 for p in curve if p[1]["tariff"] == "HC")
        assert hc == {46: 14, 50: 18}[count]  # 7 h / 9 h of wall-clock HC on those nights


def test_rerun_writes_the_same_points(w: World) -> None:
    assert w.run("fetch", "-d", "3", "-q").exit_code == 0
    first = w.output_lines()
    (w.home / "out.lp").unlink()
    (w.state_dir / "state.json").unlink()  # forget what was fetched: everything again
    assert w.run("fetch", "-d", "3", "-q").exit_code == 0
    # the same points, the contract included (read again: the state file was removed)
    assert w.output_lines() == first


def test_complete_days_are_not_fetched_again_but_the_last_two(w: World) -> None:
    w.consent = (HOUSE,)
    assert w.run("auth").exit_code == 0
    assert w.run("fetch", "-d", "7", "-q").exit_code == 0
    before = len(w.simulator.data_calls())
    w.clock.advance(86400)
    assert w.run("fetch", "-d", "7", "-q").exit_code == 0
    calls = w.simulator.data_calls()[before:]
    assert [(p.rsplit("/", 1)[-1], q["start"], q["end"]) for p, q in calls] == [
        ("consumption_load_curve", "2026-11-21", "2026-11-23"),
        ("daily_consumption", "2026-11-21", "2026-11-23"),
        ("daily_consumption_max_power", "2026-11-21", "2026-11-23"),
    ]


def test_recently_activated_meter_stops_at_activation(w: World) -> None:
    result = w.run("fetch", "-d", "30", "-q")
    assert result.exit_code == 0, result.output
    state = json.loads((w.state_dir / "state.json").read_text())
    assert state["usage_points"]["11453290002823"]["activation"] == "2026-11-10"
    stamps = [p[3] for p in parse(w.output_lines()) if p[1]["usage_point_id"] == "11453290002823"]
    assert min(stamps) == int(datetime(2026, 11, 10, tzinfo=PARIS).timestamp())
    before = len(w.simulator.data_calls())
    assert w.run("fetch", "-d", "30", "-q").exit_code == 0
    calls = w.simulator.data_calls()[before:]
    starts = {q["start"] for p, q in calls if q["usage_point_id"] == "11453290002823"}
    assert starts == {"2026-11-20"}  # only the correction window; never before activation


def test_yesterday_not_yet_published_is_not_an_error(tmp_path: Path) -> None:
    with world(tmp_path, hour=6) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        early = w.run("fetch", "-q")
        assert (early.exit_code, early.output) == (0, "")
        assert [ln.split(",")[0] for ln in w.output_lines()] == ["linky_contract"]
        w.clock.advance(3 * 3600)  # 09:00: published at 08:00, fetched by the next run
        assert w.run("fetch", "-q").exit_code == 0
        assert len([ln for ln in w.output_lines() if ln.startswith("linky_load_curve")]) == 48
    (tmp_path / "verbose").mkdir()
    with world(tmp_path / "verbose", hour=6) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        assert w.run("fetch").output.splitlines()[-3:] == [
            "Not published yet, fetched on the next run: 22516914714270 consumption daily "
            "energy: 2026-11-21",
            "Not published yet, fetched on the next run: 22516914714270 consumption daily "
            "max power: 2026-11-21",
            "Not published yet, fetched on the next run: 22516914714270 consumption load "
            "curve: 2026-11-21",
        ]


def test_revoked_consent_for_one_meter_does_not_stop_the_others(w: World) -> None:
    w.consent = (HOUSE, "26584978546985", "24880057139941")
    assert w.run("auth").exit_code == 0
    result = w.run("fetch", "-q")
    assert result.exit_code == 4
    assert result.output.splitlines()[-1] == (
        "linkyflux: the consent proxy: mesure_synchrone_auto/v2/courbe_de_charge_consommation "
        "for 26584978546985 "
        "[2026-11-21, 2026-11-22): 403 ADAM-DC-0008: No consent can be found for this customer "
        "and this usage point.: renew the consent with `linkyflux auth`"
    )
    written = {p[1]["usage_point_id"] for p in parse(w.output_lines())}
    assert written == {HOUSE, "24880057139941"}


def test_stdout_sink_keeps_stdout_for_line_protocol(w: World) -> None:
    w.consent = (HOUSE,)
    assert w.run("auth").exit_code == 0
    w.config(tariff={"offpeak": "22h00-6h00"}, influxdb={"output": "-"})
    result = w.run("fetch")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 54
    assert {ln.split(",")[0] for ln in lines} == {
        "linky_load_curve",
        "linky_daily",
        "linky_max_power",
        "linky_contract",
        "linky_sync",
    }
    assert result.stderr.startswith(
        "Fetched 2026-11-21 … 2026-11-21 into stdout: 54 lines, 4 API calls."
    )
