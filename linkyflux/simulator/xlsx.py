"""The customer space's XLSX exports, made from the simulated meters' intervals and days, cell
for cell where docs/enedis-exports.md shows them: the weekly load curve, sheet
``Consommation Horaire`` (§2.1), and the daily energy, sheets ``Export Consommation
Quotidienne`` and ``Export Production Quotidienne`` (§2.2).

As in the real 2024 files every cell is text (dates ``DD/MM/YYYY HH:MM:SS``, values with a
decimal comma), unless a newer file's date and number cells are asked for. openpyxl is
imported only when a workbook is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Final

from linkyflux.models import Direction
from linkyflux.simulator.synthetic import Interval
from linkyflux.timeutil import PARIS, paris_midnight

if TYPE_CHECKING:
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

HOURLY: Final = "Consommation Horaire"
DAILY: Final[dict[Direction, str]] = {
    "consumption": "Export Consommation Quotidienne",
    "production": "Export Production Quotidienne",
}
COMPTAGES: Final[dict[Direction, str]] = {
    "consumption": "Consommation horaire",
    "production": "Production horaire",
}
DAILY_COMPTAGES: Final[dict[Direction, str]] = {
    "consumption": "Consommation Quotidienne",
    "production": "Production Quotidienne",
}
COVER: Final = "Page d'accueil"
COVER_TEXT: Final = (
    "Les données mises à disposition dans ce fichier sont issues du système de mesure "
    "d'Enedis. La courbe de charge correspond à l'ensemble de valeurs moyennes horodatées de "
    "la puissance consommée ou produite puis injectée sur le réseau, sur une période donnée. "
    "Elle est exprimée en kW."
)
DAILY_COVER_TEXT: Final = (
    "Ce fichier est constitué des données de consommation et/ou de production quotidienne. "
    "Elle est calculée en kWh à partir des index relevés."
)
PRM_LABEL: Final = "Point Référence Mesure (PRM) : "
HOURLY_FIRST_ROW: Final = 17  # under the header C16:E16
DAILY_FIRST_ROW: Final = 15  # under the header B14:C14


def hourly_workbook(
    path: Path,
    usage_point_id: str,
    direction: Direction,
    intervals: Sequence[Interval],
    first: date,
    end: date,
    *,
    numeric: bool = False,
) -> None:
    """The weekly load-curve export of ``intervals`` for the period ``[first, end)``: one row
    per interval, its start and end in Paris wall clock and its average power in kW; a
    missing interval is no row, and the period's last interval is left out, as in every real
    file. ``numeric``: date cells and number cells, as newer files may have, instead of text.
    """
    book, sheet = _book(COVER_TEXT, HOURLY)
    _cells(
        sheet,
        B6="Compte Client",
        D6="Export des données de la courbe de charge",
        D7="Données :",
        E7="Brutes",
        B8=PRM_LABEL,
        C8=usage_point_id,
        D8="Grandeur physique :",
        E8="Puissance Active",
        D9="Type de comptage :",
        E9=COMPTAGES[direction],
        B10="NA",
        C10="Données indisponibles",
        D10="Date de début :",
        E10=f"{first:%d/%m/%Y}",
        D11="Date de fin :",
        E11=f"{end - timedelta(days=1):%d/%m/%Y}",
        C15="Plage horaire",
        C16="Début",
        D16="Fin",
        E16="Valeur (en kW)",
    )
    sheet.merge_cells("C15:D15")
    last = paris_midnight(end)
    row = HOURLY_FIRST_ROW
    for interval in intervals:
        if interval.end == last:
            continue  # Enedis never gives the last interval of the period
        begin, finish = _naive(interval.start), _naive(interval.end)
        kw = interval.power_w / 1000
        if numeric:
            sheet.cell(row, 3, begin).number_format = "dd/mm/yyyy hh:mm:ss"
            sheet.cell(row, 4, finish).number_format = "dd/mm/yyyy hh:mm:ss"
            sheet.cell(row, 5, round(kw, 3))
        else:
            sheet.cell(row, 3, f"{begin:%d/%m/%Y %H:%M:%S}")
            sheet.cell(row, 4, f"{finish:%d/%m/%Y %H:%M:%S}")
            sheet.cell(row, 5, _comma(kw))
        row += 1
    book.save(path)


def daily_workbook(
    path: Path,
    usage_point_id: str,
    days: Mapping[Direction, Sequence[tuple[date, int | None]]],
    first: date,
    end: date,
) -> None:
    """The daily energy export for the period ``[first, end)``: a sheet per direction given,
    one row per day, its energy in kWh as text with a decimal comma (Wh given, ``None`` for
    a day Enedis has no value for: ``NA``), under the 2024 files' header ``Valeur (en kW)``.
    """
    book, _ = _book(DAILY_COVER_TEXT, None)
    for direction, values in days.items():
        sheet = book.create_sheet(DAILY[direction])
        _cells(
            sheet,
            B6="Compte Client",
            E6="Export des données de l'énergie  ",
            E7="Grandeur physique : ",
            F7="Energie Active",
            B8=PRM_LABEL,
            C8=usage_point_id,
            E8="Type de comptage : ",
            F8=DAILY_COMPTAGES[direction],
            E9="Date de début : ",
            F9=f"{first:%d/%m/%Y}",
            B10="NA",
            C10="Données indisponibles",
            E10="Date de fin :",
            F10=f"{end - timedelta(days=1):%d/%m/%Y}",
            B14="Date",
            C14="Valeur (en kW)",  # sic: the values are kWh
        )
        for row, (day, wh) in enumerate(values, start=DAILY_FIRST_ROW):
            sheet.cell(row, 2, f"{day:%d/%m/%Y}")
            sheet.cell(row, 3, "NA" if wh is None else _comma(wh / 1000))
    book.save(path)


def _book(cover: str, title: str | None) -> tuple[Workbook, Worksheet]:
    """A workbook with its cover page, and its second sheet if ``title`` is given."""
    from openpyxl import Workbook
    from openpyxl.worksheet.worksheet import Worksheet

    book = Workbook()
    page = book.active
    assert isinstance(page, Worksheet)
    page.title = COVER
    page["B2"] = cover
    return book, book.create_sheet(title) if title is not None else page


def _cells(sheet: Worksheet, **cells: str) -> None:
    for coordinate, value in cells.items():
        sheet[coordinate] = value


def _comma(value: float) -> str:
    """``2,906``: three decimals (whole W or Wh), a decimal comma."""
    return f"{value:.3f}".replace(".", ",")


def _naive(instant: datetime) -> datetime:
    return instant.astimezone(PARIS).replace(tzinfo=None)
