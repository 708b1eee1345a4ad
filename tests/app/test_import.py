"""`linkyflux import`: the R63 CSV of the simulated meters, through the CLI, point by point
against ground truth (issue #16, first format)."""

from __future__ import annotations

import io
import json
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from linkyflux.simulator.exports import hourly, r63, web_curve, web_index
from linkyflux.simulator.synthetic import Interval
from linkyflux.simulator.xlsx import hourly_workbook
from linkyflux.timeutil import PARIS

from simenv import World, world

HOUSE = "22516914714270"  # PT30M consumption
SOLAR = "24880057139941"  # PT30M production
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # 46 and 50 half hours
FIRST, END = date(2026, 3, 27), date(2026, 4, 3)
HOLE = date(2026, 3, 31)  # not in the file at all
HOURLY = (date(2026, 4, 1), date(2026, 4, 2))  # Enedis sent these at a 60-minute step


def intervals(
    w: World, usage_point_id: str, direction: str, first: date, end: date
) -> list[Interval]:
    out: list[Interval] = []
    day = first
    while day < end:
        got = w.simulator.truth_curve(usage_point_id, direction, day)  # type: ignore[arg-type]
        if day in HOURLY and usage_point_id == HOUSE:
            got = hourly(got)
        if not (day == HOLE and usage_point_id == HOUSE):
            out += got
        day += timedelta(days=1)
    return out


def points(lines: list[str]) -> list[tuple[str, str, str, int, float, float]]:
    """(usage point, direction, tariff, start, power, energy) of each load-curve line."""
    out = []
    for line in lines:
        head, fields, stamp = line.split(" ")
        name, *tags = head.split(",")
        if name == "linky_load_curve":
            t = dict(tag.split("=") for tag in tags)
            f = dict(field.split("=") for field in fields.split(","))
            out.append(
                (
                    t["usage_point_id"],
                    t["direction"],
                    t["tariff"],
                    int(stamp),
                    float(f["power_w"]),
                    float(f["energy_wh"]),
                )
            )
    return out


def test_an_r63_file_imports_as_fetch_would_have_written_it(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config(tariff={"offpeak": "22h00-6h00"})
        house = intervals(w, HOUSE, "consumption", FIRST, END)
        solar = intervals(w, SOLAR, "production", FIRST, END)
        autumn = intervals(w, HOUSE, "consumption", AUTUMN, AUTUMN + timedelta(days=1))
        export = tmp_path / "ENEDIS_R63_P_CdC_M07VD2PL_00001_20261122093019.csv"
        export.write_text(
            r63([(HOUSE, "consumption", house + autumn), (SOLAR, "production", solar)], FIRST, END)
        )
        result = w.run("import", str(export))
        assert result.exit_code == 0, result.output
        lines = w.output_lines()
        state = json.loads((w.state_dir / "state.json").read_text())["usage_points"]
    expected = [
        (uid, direction, i.start, i.power_w, i.power_w * i.minutes / 60)
        for uid, direction, some in (
            (HOUSE, "consumption", house + autumn),
            (SOLAR, "production", solar),
        )
        for i in some
    ]
    got = points(lines)
    assert [(u, d, s, p, e) for u, d, _, s, p, e in got] == [
        (u, d, int(start.timestamp()), float(p), e) for u, d, start, p, e in expected
    ]
    per_day = Counter((u, datetime.fromtimestamp(s, PARIS).date()) for u, _, _, s, _, _ in got)
    assert per_day[(HOUSE, SPRING)] == 46 and per_day[(HOUSE, AUTUMN)] == 50
    assert per_day[(HOUSE, HOURLY[0])] == 24 and (HOUSE, HOLE) not in per_day
    # tagged by the schedule at each start (22h-6h), a day with a 60-minute step too
    for u, _, tariff, start, _, _ in got:
        hour = datetime.fromtimestamp(start, PARIS).hour
        assert tariff == ("HC" if hour < 6 or hour >= 22 else "HP"), (u, start)
    # a complete day has its daily point, from its curve, left for the API to confirm
    daily = {}
    for line in lines:
        head, fields, stamp = line.split(" ")
        if head.startswith("linky_daily,"):
            tags = dict(tag.split("=") for tag in head.split(",")[1:])
            values = dict(field.split("=") for field in fields.split(","))
            day = datetime.fromtimestamp(int(stamp), PARIS).date()
            daily[(tags["usage_point_id"], day)] = float(values["energy_wh"])
    by_day: Counter[tuple[str, date]] = Counter()
    for uid, _, start, _, energy in expected:
        by_day[(uid, start.astimezone(PARIS).date())] += energy
    assert sorted(daily) == sorted(by_day), set(daily) ^ set(by_day)
    assert daily == pytest.approx(dict(by_day))
    assert state[HOUSE]["series"]["consumption/daily"]["days"] == [
        [FIRST.isoformat(), "2026-03-30", "stale"],
        ["2026-04-01", "2026-04-02", "stale"],
        [AUTUMN.isoformat(), AUTUMN.isoformat(), "stale"],
    ]
    curve = state[HOUSE]["series"]["consumption/curve"]["days"]
    complete = {
        d for first, last, status in curve for d in _days(first, last) if status == "complete"
    }
    assert HOLE.isoformat() not in complete and SPRING.isoformat() in complete
    assert AUTUMN.isoformat() in complete and "2026-04-02" in complete


def _days(first: str, last: str) -> list[str]:
    a, b = date.fromisoformat(first), date.fromisoformat(last)
    return [(a + timedelta(days=n)).isoformat() for n in range((b - a).days + 1)]


def _export(w: World, tmp_path: Path, name: str, first: date, end: date) -> Path:
    path = tmp_path / name
    path.write_text(
        r63([(HOUSE, "consumption", intervals(w, HOUSE, "consumption", first, end))], first, end)
    )
    return path


def test_imported_days_are_not_asked_again_and_a_hole_is_filled_by_the_api(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        export = _export(w, tmp_path, "r63.csv", FIRST, END)
        assert w.run("import", "-q", str(export)).exit_code == 0
        calls = len(w.simulator.data_calls())
        result = w.run("backfill", "--since", FIRST.isoformat(), "-q")
        assert result.exit_code == 0, result.output
        starts = sorted(
            q.get("start", q.get("dateDebut", ""))
            for path, q in w.simulator.data_calls()[calls:]
            if "consumption_load_curve" in path
        )
        lines = points(w.output_lines())
    assert starts[0] == HOLE.isoformat()  # the 27th to the 30th came from the file
    hole = [p for p in lines if datetime.fromtimestamp(p[3], PARIS).date() == HOLE]
    assert len(hole) == 48  # filled by the API


def test_a_bad_file_is_one_line_and_the_others_are_imported(tmp_path: Path) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    with world(tmp_path) as w:
        w.config()
        _export(w, folder, "a-good.csv", FIRST, FIRST + timedelta(days=1))
        bad = _export(w, folder, "b-bad.csv", AUTUMN, AUTUMN + timedelta(days=1))
        rows = bad.read_text().splitlines()
        rows[11] = rows[11].replace(";PT30M;", ";PT7M;")
        bad.write_text("\n".join(rows) + "\n")
        other = folder / "c-notes.txt"
        other.write_text("my electricity notes\n")
        result = w.run("import", str(folder))
        got = points(w.output_lines())
        daily = [ln for ln in w.output_lines() if ln.startswith("linky_daily,")]
    assert result.exit_code == 10
    assert result.output.splitlines()[-2:] == [
        f"linkyflux: {bad}: line 12: Pas 'PT7M' does not divide an hour",
        f"linkyflux: {other}: line 1: not an Enedis export linkyflux reads (an R63 load-curve "
        "CSV, the customer space's XLSX or its Enedis_Conso_Heure or Enedis_Conso_Jour CSV, "
        "or Conso Downloader's CSV)",
    ]
    days = Counter(datetime.fromtimestamp(p[3], PARIS).date() for p in got)
    assert days == {FIRST: 48, AUTUMN: 10}  # the bad file's lines before its bad one
    assert len(daily) == 1  # the complete day's; the autumn day is not complete
    assert "a-good.csv: 22516914714270 consumption: 1 days (1 complete)" in result.output


def test_dry_run_reads_and_writes_nothing(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config()
        export = _export(w, tmp_path, "r63.csv", SPRING, SPRING + timedelta(days=1))
        day = intervals(w, HOUSE, "consumption", SPRING, SPRING + timedelta(days=1))
        result = w.run("import", "--dry-run", str(export))
        assert not (tmp_path / "out.lp").exists() and not (w.state_dir / "state.json").exists()
    kwh = sum(i.power_w * i.minutes / 60 for i in day) / 1000
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Read (dry run: nothing written):\n"
        f"r63.csv: {HOUSE} consumption: 1 days (1 complete) from {SPRING} to {SPRING}, "
        f"46 points, {kwh:.3f} kWh\n"
    )


def test_overlapping_files_imported_twice_leave_one_point_per_instant(
    influx1: Any, tmp_path: Path
) -> None:
    with world(tmp_path) as w:
        w.config(
            influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        first = _export(w, tmp_path, "first.csv", FIRST, END)
        second = _export(w, tmp_path, "second.csv", FIRST + timedelta(days=3), END)  # overlaps
        for _ in range(2):
            result = w.run("import", "-q", str(first), str(second))
            assert result.exit_code == 0, result.output
        truth = intervals(w, HOUSE, "consumption", FIRST, END)
    got = influx1.query(
        f"SELECT energy_wh, power_w FROM linky_load_curve WHERE usage_point_id = '{HOUSE}'"
    )[0]["values"]
    assert [(v[0], v[1], v[2]) for v in got] == [
        (int(i.start.timestamp()), i.power_w * i.minutes / 60, float(i.power_w)) for i in truth
    ]


def test_the_old_customer_space_csv_imports_the_same_points(tmp_path: Path) -> None:
    """Offsets in the labels, a BOM, no step given, a step change between blocks, a hole
    written as rows without values (docs/enedis-exports.md §3)."""
    with world(tmp_path) as w:
        w.config(tariff={"offpeak": "22h00-6h00"})
        house = intervals(w, HOUSE, "consumption", FIRST, END)
        del house[60:65]  # two and a half hours missing inside a block: rows without values
        autumn = intervals(w, HOUSE, "consumption", AUTUMN, AUTUMN + timedelta(days=1))
        solar = intervals(w, SOLAR, "production", FIRST, END)
        files = {
            "Enedis_Conso_Heure_20260327-20261026_22516914714270.csv": web_curve(
                HOUSE, "consumption", house + autumn, FIRST, AUTUMN + timedelta(days=1)
            ),
            "Enedis_Prod_Heure_20260327-20260403_24880057139941.csv": web_curve(
                SOLAR, "production", solar, FIRST, END
            ),
        }
        for name, text in files.items():
            (tmp_path / name).write_text(text)
        result = w.run("import", *(str(tmp_path / name) for name in files))
        assert result.exit_code == 0, result.output
        got = points(w.output_lines())
    expected = [
        (uid, direction, int(i.start.timestamp()), float(i.power_w), i.power_w * i.minutes / 60)
        for uid, direction, some in (
            (HOUSE, "consumption", house + autumn),
            (SOLAR, "production", solar),
        )
        for i in some
    ]
    assert [(u, d, s, p, e) for u, d, _, s, p, e in got] == expected
    assert "\ufeffIdentifiant PRM;Type de donnees" in files[next(iter(files))][:40]
    text = files[next(iter(files))]
    assert "\n\n" in text  # the step change's blank line
    assert text.count("+01:00;\n") == 5  # the missing intervals (28 March, winter time)


def test_a_large_file_shows_its_progress_on_a_terminal_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("linkyflux.app.imports.SHOWN_FROM", 50)  # lines: this file has 97
    shown: list[tuple[str, int, int]] = []  # (file, lines, lines read)

    @contextmanager
    def bar(path: Path, lines: int) -> Iterator[Callable[[int], None]]:
        read = [0]
        yield lambda n: read.__setitem__(0, read[0] + n)
        shown.append((path.name, lines, read[0]))

    monkeypatch.setattr("linkyflux.cli._file_progress", bar)
    with world(tmp_path) as w:
        w.config()
        export = _export(w, tmp_path, "r63.csv", FIRST, FIRST + timedelta(days=2))
        small = _export(w, tmp_path, "small.csv", FIRST, FIRST + timedelta(days=1))
        assert w.run("import", str(export)).exit_code == 0 and shown == []  # not a terminal
        monkeypatch.setattr("linkyflux.cli._on_terminal", lambda: True)
        assert w.run("import", "-q", str(export)).exit_code == 0 and shown == []
        assert w.run("import", str(export), str(small)).exit_code == 0
    assert shown == [("r63.csv", 97, 96)]  # the header line is not a reading


def test_the_progress_bar_draws_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from linkyflux.cli import _file_progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    for stream, drawn in ((io.StringIO(), False), (Terminal(), True)):
        monkeypatch.setattr("sys.stderr", stream)
        with _file_progress(Path("/downloads/r63.csv"), 4) as advance:
            advance(3)
            advance(1)
        assert ("r63.csv" in stream.getvalue() and "100%" in stream.getvalue()) is drawn


def daily_points(lines: list[str]) -> dict[tuple[str, date], dict[str, float]]:
    out = {}
    for line in lines:
        head, fields, stamp = line.split(" ")
        if head.startswith("linky_daily,"):
            tags = dict(tag.split("=") for tag in head.split(",")[1:])
            day = datetime.fromtimestamp(int(stamp), PARIS).date()
            values = out.setdefault((tags["usage_point_id"], day), {})
            values.update((k, float(v)) for k, v in (f.split("=") for f in fields.split(",")))
    return out


@pytest.mark.parametrize("index_first", [True, False])
def test_a_daily_index_keeps_enedis_figure_and_the_curve_adds_its_split(
    tmp_path: Path, index_first: bool
) -> None:
    """Days from the old index CSV are Enedis' own daily energy, whichever file comes first;
    a day whose curve is whole also gets the curve's HC/HP split; no daily call asks again."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config(tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        first, end = FIRST, HOLE + timedelta(days=1)
        truth = {d: w.simulator.truth_daily(HOUSE, "consumption", d) for d in _dates(first, end)}
        index = tmp_path / "Enedis_Conso_Jour.csv"
        index.write_text(web_index(HOUSE, "consumption", list(truth.items()), first, end))
        curve = _export(w, tmp_path, "r63.csv", first, end)  # 31 March: the hole
        files = [index, curve] if index_first else [curve, index]
        result = w.run("import", *map(str, files))
        assert result.exit_code == 0, result.output
        assert (
            f"Enedis_Conso_Jour.csv: {HOUSE} consumption daily energy: 5 days from {first} "
            f"to {HOLE}, {sum(truth.values()) / 1000:.3f} kWh" in result.output  # type: ignore[arg-type]
        )
        days = daily_points(w.output_lines())
        sums = Counter()
        for i in intervals(w, HOUSE, "consumption", first, end):
            sums[i.start.astimezone(PARIS).date()] += i.energy_wh
        calls = len(w.simulator.data_calls())
        assert w.run("backfill", "--since", first.isoformat(), "-q").exit_code == 0
        asked = [
            q.get("start", q.get("dateDebut", ""))
            for path, q in w.simulator.data_calls()[calls:]
            if "daily_consumption" in path and "max_power" not in path
        ]
    assert {d: v["energy_wh"] for (_, d), v in days.items()} == truth
    for day in _dates(first, HOLE):  # whole in the R63 file
        assert days[(HOUSE, day)]["hc_energy_wh"] + days[(HOUSE, day)][
            "hp_energy_wh"
        ] == pytest.approx(sums[day])
    assert "hc_energy_wh" not in days[(HOUSE, HOLE)]
    # the file's daily energies are not asked again, but the hole's: once its curve is whole
    # (from the API), its daily point is fetched again with its split, with the days after it
    assert min(asked) == HOLE.isoformat()


def _dates(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]


def test_a_bad_workbook_or_an_archive_is_one_line_and_the_others_are_imported(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "downloads"
    folder.mkdir()
    with world(tmp_path) as w:
        w.config()
        week = intervals(w, HOUSE, "consumption", FIRST, FIRST + timedelta(days=2))
        hourly_workbook(
            folder / "a-week.xlsx", HOUSE, "consumption", week, FIRST, FIRST + timedelta(days=2)
        )
        book = load_workbook(folder / "a-week.xlsx")
        book["Consommation Horaire"]["E40"] = "12,5 kW"
        book.save(folder / "b-bad.xlsx")
        good = _export(w, tmp_path, "r63.csv", SPRING, SPRING + timedelta(days=1))
        with zipfile.ZipFile(folder / "c-r63.zip", "w") as archive:
            archive.write(good, good.name)
        result = w.run("import", str(folder))
        got = Counter(datetime.fromtimestamp(p[3], PARIS).date() for p in points(w.output_lines()))
    assert result.exit_code == 10
    assert result.stdout.startswith("Imported into ")
    assert result.stderr.splitlines() == [
        f"linkyflux: {folder / 'b-bad.xlsx'}: sheet 'Consommation Horaire' cell E40: Valeur "
        "'12,5 kW' is not a number",
        f"linkyflux: {folder / 'c-r63.zip'}: a ZIP archive, not a workbook: unzip it (Enedis "
        "sends the R63 CSV in one) and import the files it holds",
    ]
    # the good week (less its last half hour), then the bad one's rows before row 40 (23)
    assert got == {FIRST: 48 + 23, FIRST + timedelta(days=1): 47}


def test_a_file_that_gives_nothing_says_so(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config()
        notes = tmp_path / "notes.txt"
        notes.write_text("my electricity notes\n")
        result = w.run("import", str(notes))
    assert result.exit_code == 10
    assert result.stdout == f"Imported into {tmp_path / 'out.lp'}: nothing.\n"
