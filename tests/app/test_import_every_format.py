"""Issue #16's "done when": a file in every format Enedis' customers download, made from the
simulated meters (a spring-forward and a fall-back day, a step change, holes, production,
two meters in one file, overlapping weekly XLSX), imported twice through the CLI into a real
InfluxDB 1.x, equals ground truth point by point, one point per instant.

Each meter comes from one curve format, so that its truth is the file's intervals; daily
files overlap the curve files where they can, and a day's daily energy is then Enedis' own
figure, with the curve's split added."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from linkyflux.models import Direction
from linkyflux.simulator.exports import consodl, consodl_name, hourly, r63, web_curve, web_index
from linkyflux.simulator.synthetic import Interval
from linkyflux.simulator.xlsx import daily_workbook, hourly_workbook
from linkyflux.timeutil import PARIS, paris_day_minutes

from simenv import World, world

HOUSE = "22516914714270"  # R63, with the solar plant; the index CSV
SOLAR = "24880057139941"  # R63 (spring), Conso Downloader (autumn); the index CSV
STUDY = "50000000000010"  # PT10M: weekly XLSX, overlapping; the daily XLSX
SELF = "12655648759651"  # both directions: old web CSV; a daily XLSX with both sheets
GAPS = "42900589957123"  # Tuesday and Wednesday holes: Conso Downloader
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)
D = timedelta(days=1)


@dataclass
class Files:
    """The files written, and what they hold, for the expectations."""

    folder: Path
    curves: dict[tuple[str, str], dict[int, Interval]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    complete: set[tuple[str, str, date]] = field(default_factory=set)  # a file covers it whole
    daily: dict[tuple[str, str, date], float] = field(default_factory=dict)

    def curve(self, uid: str, direction: str, intervals: list[Interval]) -> list[Interval]:
        covered: dict[date, int] = defaultdict(int)
        for i in intervals:
            self.curves[(uid, direction)][int(i.start.timestamp())] = i
            covered[i.start.astimezone(PARIS).date()] += i.minutes
        self.complete |= {
            (uid, direction, day) for day, m in covered.items() if m == paris_day_minutes(day)
        }
        return intervals

    def write(self, name: str, text: str) -> None:
        (self.folder / name).write_text(text)


def days(first: date, end: date) -> list[date]:
    return [first + n * D for n in range((end - first).days)]


def truth(w: World, uid: str, direction: Direction, first: date, end: date) -> list[Interval]:
    return [i for day in days(first, end) for i in w.simulator.truth_curve(uid, direction, day)]


def make_files(w: World, folder: Path) -> Files:
    f = Files(folder)
    # R63: two meters in one file; a hole (31 March) and two days at a 60-minute step
    first, end = date(2026, 3, 27), date(2026, 4, 3)
    house = [
        i
        for day in days(first, end)
        if day != date(2026, 3, 31)
        for i in (
            hourly(truth(w, HOUSE, "consumption", day, day + D))
            if day in (date(2026, 4, 1), date(2026, 4, 2))
            else truth(w, HOUSE, "consumption", day, day + D)
        )
    ]
    solar = truth(w, SOLAR, "production", first, end)
    f.write(
        "ENEDIS_R63_P_CdC_M07VD2PL_00001_20261201093019.csv",
        r63(
            [
                (HOUSE, "consumption", f.curve(HOUSE, "consumption", house)),
                (SOLAR, "production", f.curve(SOLAR, "production", solar)),
            ],
            first,
            end,
        ),
    )
    # the old daily index CSV of March, both meters
    for uid, direction in ((HOUSE, "consumption"), (SOLAR, "production")):
        march = [
            (d, w.simulator.truth_daily(uid, direction, d))
            for d in days(date(2026, 3, 1), date(2026, 3, 31))
        ]
        kind = "Conso" if direction == "consumption" else "Prod"
        f.write(
            f"Enedis_{kind}_Jour_20260301-20260331_{uid}.csv",
            web_index(uid, direction, march, date(2026, 3, 1), date(2026, 3, 31)),
        )
        f.daily |= {(uid, direction, d): float(wh) for d, wh in march if wh is not None}
    # weekly XLSX at a 10-minute step, overlapping by a day, each without its last interval,
    # over both clock changes; text cells, then numeric ones
    for n, (first, end) in enumerate(
        [
            (date(2026, 3, 23), date(2026, 3, 30)),
            (date(2026, 3, 29), date(2026, 4, 5)),
            (date(2026, 10, 19), date(2026, 10, 26)),
            (date(2026, 10, 25), date(2026, 11, 1)),
        ]
    ):
        week = truth(w, STUDY, "consumption", first, end)
        f.curve(STUDY, "consumption", week[:-1])
        hourly_workbook(
            folder / f"{STUDY}_semaine_{n}.xlsx",
            STUDY,
            "consumption",
            week,
            first,
            end,
            numeric=n % 2 == 1,
        )
    study = [
        (d, w.simulator.truth_daily(STUDY, "consumption", d))
        for d in days(date(2026, 3, 1), date(2026, 11, 1))
    ]
    daily_workbook(
        folder / f"{STUDY}_Export_energie_Consommation_01032026-31102026.xlsx",
        STUDY,
        {"consumption": study},
        date(2026, 3, 1),
        date(2026, 11, 1),
    )
    f.daily |= {(STUDY, "consumption", d): float(wh) for d, wh in study if wh is not None}
    # the old web CSV, both directions of one meter, and a daily XLSX with both sheets
    first, end = date(2026, 10, 23), date(2026, 10, 28)
    both: dict[Direction, list[tuple[date, int | None]]] = {}
    for direction, kind in (("consumption", "Conso"), ("production", "Prod")):
        curve = f.curve(SELF, direction, truth(w, SELF, direction, first, end))
        f.write(
            f"Enedis_{kind}_Heure_20261023-20261028_{SELF}.csv",
            web_curve(SELF, direction, curve, first, end),
        )
        both[direction] = [
            (d, w.simulator.truth_daily(SELF, direction, d))
            for d in days(date(2026, 10, 1), date(2026, 11, 1))
        ]
        f.daily |= {(SELF, direction, d): float(wh) for d, wh in both[direction] if wh is not None}
    daily_workbook(
        folder / f"{SELF}_Export_energie_Consommation-Production_01102026-31102026.xlsx",
        SELF,
        both,
        date(2026, 10, 1),
        date(2026, 11, 1),
    )
    # Conso Downloader: a meter with holes, and the solar plant's autumn
    for uid, direction in ((GAPS, "consumption"), (SOLAR, "production")):
        curve = f.curve(uid, direction, truth(w, uid, direction, first, end))
        f.write(consodl_name(uid, direction, end), consodl(curve))
    return f


def test_every_format_imported_twice_equals_ground_truth(influx1: Any, tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    with world(tmp_path) as w:
        w.config(
            influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        files = make_files(w, folder)
        for _ in range(2):
            result = w.run("import", "-q", str(folder))
            assert result.exit_code == 0, result.output
    for (uid, direction), by_start in files.curves.items():
        got = influx1.query(
            "SELECT energy_wh, power_w FROM linky_load_curve "
            f"WHERE usage_point_id = '{uid}' AND direction = '{direction}'"
        )[0]["values"]
        assert got == [
            [start, i.energy_wh, float(i.power_w)] for start, i in sorted(by_start.items())
        ], (uid, direction)
    per_day: dict[tuple[str, str, date], float] = defaultdict(float)
    for (uid, direction), by_start in files.curves.items():
        for start, i in by_start.items():
            per_day[(uid, direction, datetime.fromtimestamp(start, PARIS).date())] += i.energy_wh
    expected = {key: per_day[key] for key in files.complete} | files.daily
    got_daily = {}
    for series in influx1.query(
        "SELECT energy_wh, hc_energy_wh, hp_energy_wh FROM linky_daily "
        "GROUP BY usage_point_id, direction"
    ):
        tags = series["tags"]
        for stamp, energy, hc, hp in series["values"]:
            key = (
                tags["usage_point_id"],
                tags["direction"],
                datetime.fromtimestamp(stamp, PARIS).date(),
            )
            got_daily[key] = energy
            if key in files.complete:  # the curve's split, whatever gave the energy
                assert hc + hp == pytest.approx(per_day[key]), key
            else:
                assert hc is None and hp is None, key
    assert sorted(got_daily) == sorted(expected)
    assert got_daily == pytest.approx(expected)
    assert {key for key in files.daily if key in files.complete}  # the overlap is tested
    counts = influx1.query("SELECT COUNT(power_w) FROM linky_load_curve")[0]["values"][0][1]
    assert counts == sum(len(v) for v in files.curves.values())  # one point per instant
