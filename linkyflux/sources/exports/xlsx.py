"""The customer space's XLSX exports (docs/enedis-exports.md §2): the weekly load curve and
the daily energy, both downloaded from the "Mes mesures" pages since early 2025.

A workbook (a zip of XML parts: openpyxl reads it, imported only here and only when a file
is read) with a cover page and one sheet per kind of data, found by name:

- ``Consommation Horaire`` (§2.1): a preamble, of which linkyflux reads the usage point (the
  cell right of ``Point Référence Mesure (PRM) :``) and the direction (right of ``Type de
  comptage :``, ``Consommation horaire`` or ``Production horaire``); then a header row
  ``Début | Fin | Valeur (en kW)`` and one row per interval: its start and end, **naive
  Europe/Paris wall clock**, as text ``DD/MM/YYYY HH:MM:SS`` (2024) or date cells (newer
  files), and its average power in the header's unit, as text with a decimal comma
  (``2,906``) or a number. Each label means the instant after the one before (the row
  before's start for ``Début``, the row's own start for ``Fin``), so the October 02:00 hour,
  lived twice, comes out CEST then CET; its length is ``Fin − Début`` in real time (the
  March row ``01:30 → 03:00`` lasts 30 minutes). The docs guess the first pass's last half
  hour may read ``02:30 → 03:00`` (its end shown as if the clocks had not gone back): a row
  starting in that hour whose real length is no step is taken at its wall-clock length.
- ``Export Consommation Quotidienne`` and ``Export Production Quotidienne`` (§2.2), either or
  both: the same preamble, a header ``Date | Valeur (en kWh)`` and one row per Paris day,
  the date as ``DD/MM/YYYY`` text or a date cell, the energy in **kWh whatever the header
  says** (the 2024 files say ``(en kW)``).

The header rows are found by their text, never by their number. A value that is empty,
``NA`` or ``-`` is a missing interval or day: no reading, never a zero. Errors name the file,
the sheet and the cell: ``…: sheet 'Consommation Horaire' cell E17: Valeur 'abc' is not a
number``.
"""

from __future__ import annotations

import re
import warnings
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final
from xml.etree.ElementTree import ParseError
from zipfile import BadZipFile

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, DailyReading, Direction, is_usage_point
from linkyflux.sources.enedis import local_to_epoch
from linkyflux.sources.exports.values import cell_number
from linkyflux.timeutil import PARIS

HOURLY: Final = "Consommation Horaire"
DAILY: Final[dict[str, Direction]] = {
    "Export Consommation Quotidienne": "consumption",
    "Export Production Quotidienne": "production",
}
COMPTAGES: Final[dict[str, Direction]] = {
    "consommation horaire": "consumption",
    "production horaire": "production",  # (inferred: no real production file was seen)
}
UNITS: Final = {"kw": 1000, "w": 1}  # average power, to W
NOT_AN_EXPORT: Final = (
    "not an Enedis XLSX export (no sheet 'Consommation Horaire', "
    "'Export Consommation Quotidienne' or 'Export Production Quotidienne')"
)
# What a file that is not a sound workbook makes zipfile, the XML parser or openpyxl raise.
_UNREADABLE: Final = (
    BadZipFile,
    zlib.error,
    EOFError,
    ParseError,
    KeyError,
    OSError,
    TypeError,
    ValueError,
)
_UNIT = re.compile(r"\(\s*en\s+([^)]*?)\s*\)", re.IGNORECASE)

Row = tuple[object, ...]


def is_xlsx(head: bytes) -> bool:
    """The file's first bytes are a zip's (an XLSX is one)."""
    return head.startswith(b"PK\x03\x04")


def read_xlsx(path: Path) -> Iterator[CurveReading | DailyReading]:
    """The readings of every sheet linkyflux knows in the workbook, in its order (see the
    module)."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    # A handle, not the path: openpyxl refuses a path whose name does not end in .xlsx, and
    # the format is told by the content.
    with path.open("rb") as handle:
        try:
            with warnings.catch_warnings():  # about styles or extensions it does not read
                warnings.simplefilter("ignore")
                book = load_workbook(handle, read_only=True, data_only=True)
        except (*_UNREADABLE, InvalidFileException):
            raise BadFile(f"{path}: {NOT_AN_EXPORT}") from None
        try:
            names = [name for name in book.sheetnames if name == HOURLY or name in DAILY]
            if not names:
                raise BadFile(f"{path}: {NOT_AN_EXPORT}")
            for name in names:
                sheet = book[name]
                if not isinstance(sheet, ReadOnlyWorksheet):
                    raise BadFile(f"{path}: sheet {name!r}: not a worksheet")
                # The stored dimensions may be wrong (then openpyxl would cut the rows): the
                # rows are read as they come.
                sheet.reset_dimensions()
                rows = _rows(path, name, sheet.iter_rows(values_only=True))
                if name == HOURLY:
                    yield from _hourly(path, name, rows)
                else:
                    yield from _daily(path, name, DAILY[name], rows)
        finally:
            book.close()


def _rows(path: Path, name: str, rows: Iterator[Row]) -> Iterator[tuple[int, Row]]:
    """(row number, cell values from column A) of a sheet, its XML errors as a BadFile."""
    number = 0
    while True:
        try:
            row = next(rows, None)
        except _UNREADABLE as exc:
            raise BadFile(f"{path}: sheet {name!r}: not a readable sheet ({exc})") from None
        if row is None:
            return
        number += 1
        yield number, row


@dataclass(frozen=True, slots=True)
class _Table:
    """What the preamble of a sheet says, and where its columns are (0-based)."""

    prm: str
    comptage: tuple[str, str] | None  # (cell, text) of the Type de comptage
    header: int  # its row
    columns: dict[str, int]  # heading -> column, "Valeur" for the value's
    valeur: str  # the value's heading, with its unit


def _preamble(
    path: Path, name: str, rows: Iterator[tuple[int, Row]], headings: tuple[str, ...]
) -> _Table:
    """Read the rows up to the header (the row with each of ``headings`` and a ``Valeur…``)."""
    prm: str | None = None
    comptage: tuple[str, str] | None = None
    for number, row in rows:
        texts = [value.strip() if isinstance(value, str) else "" for value in row]
        columns = {text: n for n, text in enumerate(texts) if text in headings}
        valeur = next((n for n, text in enumerate(texts) if text.startswith("Valeur")), None)
        if len(columns) == len(headings) and valeur is not None:
            if prm is None:
                raise BadFile(
                    f"{path}: sheet {name!r}: no Point Référence Mesure (PRM) above the header"
                )
            columns["Valeur"] = valeur
            return _Table(prm, comptage, number, columns, texts[valeur])
        for n, text in enumerate(texts):
            right = row[n + 1] if n + 1 < len(row) else None
            if text.startswith("Point Référence Mesure"):
                prm = _prm(f"{path}: sheet {name!r} cell {_cell(number, n + 2)}", right)
            elif text.startswith("Type de comptage"):
                comptage = (_cell(number, n + 2), _text(right))
    raise BadFile(f"{path}: sheet {name!r}: no header row ({', '.join(headings)}, Valeur…)")


def _prm(where: str, value: object) -> str:
    """The usage point, from a text cell or a number cell."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _text(value)
    if not is_usage_point(text):
        raise BadFile(f"{where}: PRM {text!r} is not 14 digits")
    return text


def _hourly(path: Path, name: str, rows: Iterator[tuple[int, Row]]) -> Iterator[CurveReading]:
    table = _preamble(path, name, rows, ("Début", "Fin"))
    at = f"{path}: sheet {name!r}"
    if table.comptage is None:
        raise BadFile(f"{at}: no Type de comptage above the header")
    cell, comptage = table.comptage
    direction = COMPTAGES.get(comptage.casefold())
    if direction is None:
        raise BadFile(
            f"{at} cell {cell}: Type de comptage {comptage!r} is neither "
            "Consommation horaire nor Production horaire"
        )
    unit = _UNIT.search(table.valeur)
    factor = UNITS.get(unit[1].casefold()) if unit else None
    if unit is None or factor is None:
        raise BadFile(
            f"{at} cell {_cell(table.header, table.columns['Valeur'] + 1)}: "
            f"{table.valeur!r}: only kW or W (average power) is known"
        )
    quantity = f"a power in {unit[1]}"
    columns = [table.columns[heading] for heading in ("Début", "Fin", "Valeur")]
    previous: int | None = None  # the row before's start
    for number, row in rows:
        begin, finish, value = (row[n] if n < len(row) else None for n in columns)
        if _blank(begin) and _blank(finish) and _blank(value):
            continue
        where = [f"{at} cell {_cell(number, n + 1)}" for n in columns]
        naive_start, start_label = _moment(where[0], "Début", begin)
        start = _instant(where[0], "Début", naive_start, start_label, previous)
        if previous is not None and start <= previous:
            raise BadFile(
                f"{where[0]}: Début {start_label!r} is not after the row before "
                f"({_local(previous)})"
            )
        naive_end, end_label = _moment(where[1], "Fin", finish)
        end = _instant(where[1], "Fin", naive_end, end_label, start)
        seconds = end - start
        if not _step(seconds) and _repeated(naive_start):
            seconds = int((naive_end - naive_start).total_seconds())
        if seconds <= 0:
            raise BadFile(f"{where[1]}: Fin {end_label!r} is not after Début {start_label!r}")
        if not _step(seconds):
            raise BadFile(
                f"{where[1]}: Fin {end_label!r} is {seconds / 60:g} minutes after Début "
                f"{start_label!r}: not a step that divides an hour"
            )
        previous = start
        power = cell_number(value, where[2], quantity)
        if power is not None:
            yield CurveReading(table.prm, direction, start, seconds // 60, round(power * factor, 3))


def _daily(
    path: Path, name: str, direction: Direction, rows: Iterator[tuple[int, Row]]
) -> Iterator[DailyReading]:
    table = _preamble(path, name, rows, ("Date",))
    columns = (table.columns["Date"], table.columns["Valeur"])
    for number, row in rows:
        day_cell, value = (row[n] if n < len(row) else None for n in columns)
        if _blank(day_cell) and _blank(value):
            continue
        where = [f"{path}: sheet {name!r} cell {_cell(number, n + 1)}" for n in columns]
        day = _day(where[0], day_cell)
        energy = cell_number(value, where[1], "an energy in kWh")
        if energy is not None:
            yield DailyReading(table.prm, direction, day, round(energy * 1000, 3))


def _moment(where: str, heading: str, value: object) -> tuple[datetime, str]:
    """A naive wall-clock time from a text or a date cell, and how to show it."""
    if isinstance(value, datetime):
        # a date cell is a fraction of a day: openpyxl rounds it to the millisecond
        naive = (value + timedelta(microseconds=500_000)).replace(microsecond=0, tzinfo=None)
        return naive, f"{naive:%d/%m/%Y %H:%M:%S}"
    text = _text(value)
    try:
        return datetime.strptime(text, "%d/%m/%Y %H:%M:%S"), text
    except ValueError:
        raise BadFile(f"{where}: {heading} {_shown(value)} is not DD/MM/YYYY HH:MM:SS") from None


def _instant(where: str, heading: str, naive: datetime, label: str, after: int | None) -> int:
    """The instant a label names: the first after ``after`` if it names two."""
    instant = local_to_epoch(naive, after)
    if datetime.fromtimestamp(instant, PARIS).replace(tzinfo=None) != naive:
        raise BadFile(
            f"{where}: {heading} {label!r} does not exist in Europe/Paris (the clocks jump it)"
        )
    return instant


def _day(where: str, value: object) -> date:
    if isinstance(value, datetime):
        if value.time() != datetime.min.time():
            raise BadFile(f"{where}: Date {value:%d/%m/%Y %H:%M:%S} is not a day")
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.strptime(_text(value), "%d/%m/%Y").date()
    except ValueError:
        raise BadFile(f"{where}: Date {_shown(value)} is not DD/MM/YYYY") from None


def _step(seconds: int) -> bool:
    """Whole minutes, dividing an hour."""
    return 0 < seconds <= 3600 and seconds % 60 == 0 and 60 % (seconds // 60) == 0


def _repeated(naive: datetime) -> bool:
    """The wall-clock time is lived twice (the October day's 02:00 hour)."""
    return (
        naive.replace(tzinfo=PARIS, fold=0).utcoffset()
        != naive.replace(tzinfo=PARIS, fold=1).utcoffset()
    )


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _shown(value: object) -> str:
    return repr(value.strip()) if isinstance(value, str) else repr(_text(value))


def _cell(row: int, column: int) -> str:
    """``E17`` for row 17, column 5 (both from 1)."""
    letters = ""
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return f"{letters}{row}"


def _local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, PARIS).isoformat()
