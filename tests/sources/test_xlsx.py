"""The customer space's XLSX reader (docs/enedis-exports.md §2): workbooks written by the
simulator from its meters, read back against the simulator's truth; DST days, text and
number cells, holes, the daily sheets, and bad cells named by file, sheet and cell."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, DailyReading, Direction
from linkyflux.simulator.synthetic import Interval
from linkyflux.simulator.xlsx import daily_workbook, hourly_workbook
from linkyflux.sources.exports.xlsx import is_xlsx, read_xlsx
from linkyflux.timeutil import paris_day, paris_midnight

from simenv import World, world

HOUSE = "22516914714270"  # PT30M consumption
SOLAR = "24880057139941"  # PT30M production
BOTH = "12655648759651"  # consumption and production
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)  # 46 and 50 half hours
HOURLY = "Consommation Horaire"
NOT_AN_EXPORT = (
    "not an Enedis XLSX export (no sheet 'Consommation Horaire', "
    "'Export Consommation Quotidienne' or 'Export Production Quotidienne')"
)


@pytest.fixture(scope="module")
def truth(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with world(tmp_path_factory.mktemp("world")) as w:
        yield w


def curve(
    w: World, usage_point_id: str, direction: Direction, first: date, end: date
) -> list[Interval]:
    out: list[Interval] = []
    day = first
    while day < end:
        out += w.simulator.truth_curve(usage_point_id, direction, day)
        day += timedelta(days=1)
    return out


def seen(readings: list[CurveReading | DailyReading]) -> list[tuple[str, int, float]]:
    """(UTC start, minutes, W) of each load-curve reading."""
    out = []
    for r in readings:
        assert isinstance(r, CurveReading)
        out.append((datetime.fromtimestamp(r.timestamp, UTC).isoformat(), r.minutes, r.power_w))
    return out


def expected(intervals: list[Interval]) -> list[tuple[str, int, float]]:
    return [(i.start.isoformat(), i.minutes, float(i.power_w)) for i in intervals]


def edit(path: Path, sheet: str = HOURLY, **cells: Any) -> Path:
    """Change cells of a written workbook, as a newer or a broken export would have them."""
    book = openpyxl.load_workbook(path)
    for coordinate, value in cells.items():
        book[sheet][coordinate] = value
    book.save(path)
    return path


def day_export(w: World, tmp_path: Path, day: date, *, numeric: bool = False) -> Path:
    """One day's load curve of the household, as the customer space exports it."""
    path = tmp_path / "export.xlsx"
    intervals = w.simulator.truth_curve(HOUSE, "consumption", day)
    hourly_workbook(
        path, HOUSE, "consumption", intervals, day, day + timedelta(days=1), numeric=numeric
    )
    return path


@pytest.mark.parametrize("numeric", [False, True], ids=["text cells", "number cells"])
def test_the_october_day_has_50_half_hours_the_repeated_hour_cest_then_cet(
    truth: World, tmp_path: Path, numeric: bool
) -> None:
    intervals = truth.simulator.truth_curve(HOUSE, "consumption", AUTUMN)
    assert len(intervals) == 50
    got = seen(list(read_xlsx(day_export(truth, tmp_path, AUTUMN, numeric=numeric))))
    # every half hour of the day from 22:00Z (Paris midnight, CEST) but the last (not exported)
    begin = datetime(2026, 10, 24, 22, tzinfo=UTC)
    assert [start for start, _, _ in got] == [
        (begin + timedelta(minutes=30 * n)).isoformat() for n in range(49)
    ]
    assert got[4:8] == [  # 02:00, 02:30 CEST, then 02:00, 02:30 CET
        ("2026-10-25T00:00:00+00:00", 30, 656.0),
        ("2026-10-25T00:30:00+00:00", 30, 666.0),
        ("2026-10-25T01:00:00+00:00", 30, 632.0),
        ("2026-10-25T01:30:00+00:00", 30, 631.0),
    ]
    assert got == expected(intervals[:-1])


@pytest.mark.parametrize("numeric", [False, True], ids=["text cells", "number cells"])
def test_the_march_day_has_46_half_hours_and_its_01_30_row_ends_at_03_00(
    truth: World, tmp_path: Path, numeric: bool
) -> None:
    intervals = truth.simulator.truth_curve(HOUSE, "consumption", SPRING)
    assert len(intervals) == 46
    path = day_export(truth, tmp_path, SPRING, numeric=numeric)
    row = next(
        openpyxl.load_workbook(path)[HOURLY].iter_rows(min_row=20, max_row=20, values_only=True)
    )
    labels = (datetime(2026, 3, 29, 1, 30), datetime(2026, 3, 29, 3))
    assert row[2:4] == (labels if numeric else tuple(f"{t:%d/%m/%Y %H:%M:%S}" for t in labels))
    got = seen(list(read_xlsx(path)))
    assert got[2:5] == [
        ("2026-03-29T00:00:00+00:00", 30, 2860.0),  # 01:00 CET
        ("2026-03-29T00:30:00+00:00", 30, 870.0),  # 01:30 CET -> 03:00 CEST: 30 minutes
        ("2026-03-29T01:00:00+00:00", 30, 887.0),  # 03:00 CEST
    ]
    assert got == expected(intervals[:-1])


def test_the_october_rows_as_the_docs_guess_them_02_30_to_03_00_twice(tmp_path: Path) -> None:
    """§2.1 (unverified): the first pass's last half hour labelled 02:30 -> 03:00 too."""
    start = paris_midnight(AUTUMN) + timedelta(hours=1, minutes=30)  # 01:30 CEST
    intervals = [Interval(start + timedelta(minutes=30 * n), 30, 100 * n) for n in range(6)]
    path = tmp_path / "export.xlsx"
    hourly_workbook(path, HOUSE, "consumption", intervals, AUTUMN, AUTUMN + timedelta(days=1))
    assert openpyxl.load_workbook(path)[HOURLY]["D19"].value == "25/10/2026 02:00:00"
    edit(path, D19="25/10/2026 03:00:00")
    assert seen(list(read_xlsx(path))) == expected(intervals)


def test_a_week_of_production_with_a_hole_and_its_last_interval_missing(
    truth: World, tmp_path: Path
) -> None:
    first, end, hole = date(2026, 6, 1), date(2026, 6, 8), date(2026, 6, 3)
    every = curve(truth, SOLAR, "production", first, end)
    intervals = [i for i in every if paris_day(i.start) != hole]
    path = tmp_path / "download"  # no extension: the format is told by the content
    hourly_workbook(path, SOLAR, "production", intervals, first, end)
    got = list(read_xlsx(path))
    assert {(r.usage_point_id, r.direction) for r in got} == {(SOLAR, "production")}
    assert len(got) == 6 * 48 - 1
    assert seen(got) == expected(intervals[:-1])
    assert intervals[-1].start == datetime(2026, 6, 7, 21, 30, tzinfo=UTC)  # 23:30 Paris
    assert max(power for _, _, power in seen(got)) > 1000  # not all night


@pytest.mark.parametrize("missing", ["NA", "-", "", " ", None])
def test_a_missing_value_is_no_reading_never_a_zero(
    truth: World, tmp_path: Path, missing: object
) -> None:
    path = edit(day_export(truth, tmp_path, SPRING), E19=missing)
    intervals = truth.simulator.truth_curve(HOUSE, "consumption", SPRING)
    assert seen(list(read_xlsx(path))) == expected(intervals[:2] + intervals[3:-1])


def test_values_in_w_and_blank_rows_after_the_data(truth: World, tmp_path: Path) -> None:
    path = edit(day_export(truth, tmp_path, SPRING), E16="Valeur (en W)", E17="3141,5")
    edit(path, C70="  ", E71=None)
    got = seen(list(read_xlsx(path)))
    assert got[0] == ("2026-03-28T23:00:00+00:00", 30, 3141.5)
    assert got[1] == ("2026-03-28T23:30:00+00:00", 30, 3.241)


def test_the_header_is_found_by_its_text_not_its_row(truth: World, tmp_path: Path) -> None:
    path = day_export(truth, tmp_path, SPRING)
    book = openpyxl.load_workbook(path)
    book[HOURLY].insert_rows(12, amount=3)
    book[HOURLY].insert_cols(1)
    book.save(path)
    intervals = truth.simulator.truth_curve(HOUSE, "consumption", SPRING)
    assert seen(list(read_xlsx(path))) == expected(intervals[:-1])


def test_a_prm_in_a_number_cell(truth: World, tmp_path: Path) -> None:
    path = edit(day_export(truth, tmp_path, SPRING), C8=int(HOUSE))
    assert {r.usage_point_id for r in read_xlsx(path)} == {HOUSE}


def test_the_daily_sheets_are_kwh_whatever_their_header_says(truth: World, tmp_path: Path) -> None:
    first, end = date(2026, 6, 1), date(2026, 6, 4)
    days = [first + timedelta(days=n) for n in range(3)]
    directions: tuple[Direction, ...] = ("consumption", "production")
    truths: dict[Direction, list[tuple[date, int | None]]] = {
        d: [(day, truth.simulator.truth_daily(BOTH, d, day)) for day in days] for d in directions
    }
    assert truths["consumption"][0] == (first, 9702)
    assert truths["production"][0] == (first, 20082)
    truths["consumption"][1] = (days[1], None)  # NA
    path = tmp_path / "export.xlsx"
    daily_workbook(path, BOTH, truths, first, end)
    sheet = openpyxl.load_workbook(path)["Export Consommation Quotidienne"]
    assert (sheet["C14"].value, sheet["C15"].value, sheet["C16"].value) == (
        "Valeur (en kW)",
        "9,702",
        "NA",
    )
    assert list(read_xlsx(path)) == [
        DailyReading(BOTH, direction, day, float(wh))
        for direction, values in truths.items()
        for day, wh in values
        if wh is not None
    ]
    assert len(list(read_xlsx(path))) == 5


def test_a_daily_sheet_with_date_and_number_cells(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    daily_workbook(
        path,
        HOUSE,
        {"consumption": [(date(2024, 7, 29), 45043)]},
        date(2024, 7, 29),
        date(2024, 7, 30),
    )
    edit(
        path,
        "Export Consommation Quotidienne",
        B15=datetime(2024, 7, 29),
        C15=45.043,
        C14="Valeur (en kWh)",
    )
    edit(path, "Export Consommation Quotidienne", B16=date(2024, 7, 30), C16=53.481)
    assert list(read_xlsx(path)) == [
        DailyReading(HOUSE, "consumption", date(2024, 7, 29), 45043.0),
        DailyReading(HOUSE, "consumption", date(2024, 7, 30), 53481.0),
    ]


def test_a_workbook_with_the_load_curve_and_the_daily_energy(truth: World, tmp_path: Path) -> None:
    path = day_export(truth, tmp_path, SPRING)
    book = openpyxl.load_workbook(path)
    daily = book.create_sheet("Export Consommation Quotidienne")
    daily["B8"], daily["C8"] = "Point Référence Mesure (PRM) : ", HOUSE
    daily["B14"], daily["C14"], daily["B15"], daily["C15"] = (
        "Date",
        "Valeur (en kWh)",
        "29/03/2026",
        "31,5",
    )
    book.save(path)
    got = list(read_xlsx(path))
    assert len(got) == 46
    assert got[-1] == DailyReading(HOUSE, "consumption", SPRING, 31500.0)
    intervals = truth.simulator.truth_curve(HOUSE, "consumption", SPRING)
    assert seen(got[:-1]) == expected(intervals[:-1])


def test_an_xlsx_is_told_by_its_first_bytes(truth: World, tmp_path: Path) -> None:
    assert is_xlsx(day_export(truth, tmp_path, SPRING).read_bytes()[:4])
    assert not is_xlsx(b"Identifiant PRM;") and not is_xlsx(b"")


def test_openpyxl_is_imported_only_to_read_or_write_a_workbook() -> None:
    """``linkyflux --help`` is timed: importing the readers and the writer does not load it."""
    code = (
        "import sys, linkyflux.cli, linkyflux.sources.exports.xlsx, linkyflux.simulator.xlsx;"
        "print('openpyxl' in sys.modules)"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "False\n"


def not_a_zip(path: Path) -> None:
    path.write_text("Identifiant PRM;Type de donnees\n")


def a_zip_not_a_workbook(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "bonjour")


def no_known_sheet(path: Path) -> None:
    book = openpyxl.Workbook()
    book.create_sheet("Consommation")["A1"] = "Point Référence Mesure (PRM) :"
    book.save(path)


def a_truncated_workbook(path: Path) -> None:
    daily_workbook(path, SOLAR, {"production": []}, date(2026, 6, 1), date(2026, 6, 2))
    path.write_bytes(path.read_bytes()[:2000])


@pytest.mark.parametrize(
    "make", [not_a_zip, a_zip_not_a_workbook, no_known_sheet, a_truncated_workbook]
)
def test_a_file_that_is_not_an_export(tmp_path: Path, make: Callable[[Path], None]) -> None:
    path = tmp_path / "export.xlsx"
    make(path)
    with pytest.raises(BadFile) as caught:
        list(read_xlsx(path))
    assert str(caught.value) == f"{path}: {NOT_AN_EXPORT}"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"E17": "abc"}, "cell E17: Valeur 'abc' is not a number"),
        ({"E18": "-1,5"}, "cell E18: Valeur '-1,5' is not a power in kW"),
        ({"E18": -1.5}, "cell E18: Valeur -1.5 is not a power in kW"),
        ({"E18": "inf"}, "cell E18: Valeur 'inf' is not a number"),
        (
            {"C18": "29/02/2026 00:30:00"},
            "cell C18: Début '29/02/2026 00:30:00' is not DD/MM/YYYY HH:MM:SS",
        ),
        (
            {"D17": "2026-03-29 00:30"},
            "cell D17: Fin '2026-03-29 00:30' is not DD/MM/YYYY HH:MM:SS",
        ),
        (
            {"D17": "28/03/2026 23:30:00"},
            "cell D17: Fin '28/03/2026 23:30:00' is not after Début '29/03/2026 00:00:00'",
        ),
        (
            {"D17": "29/03/2026 00:45:00"},
            "cell D17: Fin '29/03/2026 00:45:00' is 45 minutes after Début '29/03/2026 00:00:00'"
            ": not a step that divides an hour",
        ),
        (
            {"C18": "29/03/2026 00:00:00"},
            "cell C18: Début '29/03/2026 00:00:00' is not after the row before "
            "(2026-03-29T00:00:00+01:00)",
        ),
        (
            {"D20": "29/03/2026 02:00:00"},
            "cell D20: Fin '29/03/2026 02:00:00' does not exist in Europe/Paris "
            "(the clocks jump it)",
        ),
        (
            {"C21": "29/03/2026 02:30:00"},
            "cell C21: Début '29/03/2026 02:30:00' does not exist in Europe/Paris "
            "(the clocks jump it)",
        ),
        ({"C8": "2251691471427"}, "cell C8: PRM '2251691471427' is not 14 digits"),
        (
            {"E9": "Index"},
            "cell E9: Type de comptage 'Index' is neither Consommation horaire nor "
            "Production horaire",
        ),
        (
            {"E16": "Valeur (en kWh)"},
            "cell E16: 'Valeur (en kWh)': only kW or W (average power) is known",
        ),
        ({"D16": "Heure de fin"}, ": no header row (Début, Fin, Valeur…)"),
        ({"B8": "Compteur"}, ": no Point Référence Mesure (PRM) above the header"),
    ],
)
def test_a_bad_cell_is_named(
    truth: World, tmp_path: Path, cells: dict[str, Any], message: str
) -> None:
    path = edit(day_export(truth, tmp_path, SPRING), **cells)
    with pytest.raises(BadFile) as caught:
        list(read_xlsx(path))
    sep = "" if message.startswith(":") else " "
    assert str(caught.value) == f"{path}: sheet 'Consommation Horaire'{sep}{message}"


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ({"B15": "2026-06-01"}, "cell B15: Date '2026-06-01' is not DD/MM/YYYY"),
        ({"B15": "31/06/2026"}, "cell B15: Date '31/06/2026' is not DD/MM/YYYY"),
        ({"C15": "-3"}, "cell C15: Valeur '-3' is not an energy in kWh"),
        ({"C15": "douze"}, "cell C15: Valeur 'douze' is not a number"),
        ({"B15": datetime(2026, 6, 1, 12)}, "cell B15: Date 01/06/2026 12:00:00 is not a day"),
    ],
)
def test_a_bad_daily_cell_is_named(tmp_path: Path, cells: dict[str, Any], message: str) -> None:
    path = tmp_path / "export.xlsx"
    daily_workbook(
        path, SOLAR, {"production": [(date(2026, 6, 1), 12000)]}, date(2026, 6, 1), date(2026, 6, 2)
    )
    edit(path, "Export Production Quotidienne", **cells)
    with pytest.raises(BadFile) as caught:
        list(read_xlsx(path))
    assert str(caught.value) == f"{path}: sheet 'Export Production Quotidienne' {message}"
