"""The simulator's XLSX exports, cell for cell where docs/enedis-exports.md §2.1-2.2 shows the
real files' (the reader's round trips are in tests/sources/test_xlsx.py)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl

from linkyflux.models import Direction
from linkyflux.simulator.synthetic import METERS_BY_ID, Interval, published_curve
from linkyflux.simulator.xlsx import daily_workbook, hourly_workbook

HOUSE = METERS_BY_ID["22516914714270"]
FIRST, END = date(2024, 1, 1), date(2024, 1, 8)


def week() -> list[Interval]:
    return [
        i
        for n in range(7)
        for i in published_curve(HOUSE, "consumption", FIRST + timedelta(days=n))
    ]


def test_a_weekly_load_curve_is_all_text_and_lacks_its_last_half_hour(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    intervals = week()
    hourly_workbook(path, HOUSE.usage_point_id, "consumption", intervals, FIRST, END)
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["Page d'accueil", "Consommation Horaire"]
    sheet = book["Consommation Horaire"]
    assert {c: sheet[c].value for c in ("B6", "D6", "D7", "E7", "B8", "C8", "D8", "E8")} == {
        "B6": "Compte Client",
        "D6": "Export des données de la courbe de charge",
        "D7": "Données :",
        "E7": "Brutes",
        "B8": "Point Référence Mesure (PRM) : ",
        "C8": "22516914714270",
        "D8": "Grandeur physique :",
        "E8": "Puissance Active",
    }
    assert {c: sheet[c].value for c in ("D9", "E9", "B10", "C10", "D10", "E10", "D11", "E11")} == {
        "D9": "Type de comptage :",
        "E9": "Consommation horaire",
        "B10": "NA",
        "C10": "Données indisponibles",
        "D10": "Date de début :",
        "E10": "01/01/2024",
        "D11": "Date de fin :",
        "E11": "07/01/2024",
    }
    assert sheet["C15"].value == "Plage horaire" and "C15:D15" in sheet.merged_cells
    rows = list(sheet.iter_rows(min_row=16, min_col=3, max_col=5, values_only=True))
    assert rows[0] == ("Début", "Fin", "Valeur (en kW)")
    assert len(rows) == 1 + 7 * 48 - 1  # 335 intervals: the last one is never there
    assert rows[1] == (
        "01/01/2024 00:00:00",
        "01/01/2024 00:30:00",
        f"{intervals[0].power_w // 1000},{intervals[0].power_w % 1000:03d}",
    )
    assert rows[-1][:2] == ("07/01/2024 23:00:00", "07/01/2024 23:30:00")
    assert all(isinstance(v, str) for row in rows for v in row)
    assert all(sheet.cell(17, c).data_type == "s" for c in (3, 4, 5))


def test_newer_files_have_date_and_number_cells(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    intervals = week()
    hourly_workbook(path, HOUSE.usage_point_id, "consumption", intervals, FIRST, END, numeric=True)
    sheet = openpyxl.load_workbook(path)["Consommation Horaire"]
    assert [sheet.cell(17, c).value for c in (3, 4, 5)] == [
        datetime(2024, 1, 1, 0, 0),
        datetime(2024, 1, 1, 0, 30),
        intervals[0].power_w / 1000,
    ]


def test_a_missing_interval_is_no_row(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    intervals = week()
    del intervals[3]
    hourly_workbook(path, HOUSE.usage_point_id, "consumption", intervals, FIRST, END)
    sheet = openpyxl.load_workbook(path)["Consommation Horaire"]
    assert [sheet.cell(r, 3).value for r in (19, 20)] == [
        "01/01/2024 01:00:00",
        "01/01/2024 02:00:00",
    ]


def test_the_daily_export_says_kw_and_holds_kwh(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    days: dict[Direction, list[tuple[date, int | None]]] = {
        "consumption": [(date(2024, 7, 29), 45043), (date(2024, 7, 30), None)],
        "production": [(date(2024, 7, 29), 12)],
    }
    daily_workbook(path, HOUSE.usage_point_id, days, date(2024, 7, 29), date(2024, 8, 1))
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == [
        "Page d'accueil",
        "Export Consommation Quotidienne",
        "Export Production Quotidienne",
    ]
    sheet = book["Export Consommation Quotidienne"]
    cells = ("B6", "E6", "E7", "F7", "B8", "C8", "E8", "F8", "E9", "F9", "B10", "C10", "E10", "F10")
    assert [sheet[c].value for c in cells] == [
        "Compte Client",
        "Export des données de l'énergie  ",
        "Grandeur physique : ",
        "Energie Active",
        "Point Référence Mesure (PRM) : ",
        "22516914714270",
        "Type de comptage : ",
        "Consommation Quotidienne",
        "Date de début : ",
        "29/07/2024",
        "NA",
        "Données indisponibles",
        "Date de fin :",
        "31/07/2024",
    ]
    rows = list(sheet.iter_rows(min_row=14, min_col=2, max_col=3, values_only=True))
    assert rows == [("Date", "Valeur (en kW)"), ("29/07/2024", "45,043"), ("30/07/2024", "NA")]
    production = book["Export Production Quotidienne"]
    assert (production["F8"].value, production["B15"].value, production["C15"].value) == (
        "Production Quotidienne",
        "29/07/2024",
        "0,012",
    )
