"""The files customers download from Enedis (docs/enedis-exports.md), read into the same
typed readings as the API's answers: the format is found from the content, never the name.

``r63`` reads the R63 load-curve CSV, ``webcsv`` the customer space's old
``Enedis_Conso_Heure`` CSV, ``webindex`` its daily index CSV (``Enedis_Conso_Jour``),
``consodl`` the CSV of the Conso Downloader browser extension, ``xlsx`` the customer
space's web XLSX (its hourly and daily sheets). Each reader yields readings in the file's order and
raises :class:`~linkyflux.errors.BadFile` naming the file, the line and what is wrong.
:func:`read_export` finds the reader of a file.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Final

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, DailyReading
from linkyflux.sources.exports.consodl import is_consodl, read_consodl
from linkyflux.sources.exports.r63 import is_r63, read_r63
from linkyflux.sources.exports.webcsv import is_web_curve, read_web_curve
from linkyflux.sources.exports.webindex import is_web_index, read_web_index
from linkyflux.sources.exports.xlsx import is_xlsx, read_xlsx

KNOWN: Final = (
    "an R63 load-curve CSV, the customer space's XLSX or its Enedis_Conso_Heure or "
    "Enedis_Conso_Jour CSV, or Conso Downloader's CSV"
)


def read_export(path: Path) -> Iterator[CurveReading | DailyReading]:
    """The readings of an export, by the reader its first line calls for."""
    try:
        with path.open("rb") as handle:
            first = handle.readline(1 << 16)
    except OSError as exc:
        raise BadFile(f"{path}: cannot read: {exc.strerror}") from None
    if is_xlsx(first):
        if _archive(path):
            raise BadFile(
                f"{path}: a ZIP archive, not a workbook: unzip it (Enedis sends the R63 CSV "
                "in one) and import the files it holds"
            )
        return read_xlsx(path)
    head = first.decode("utf-8-sig", errors="replace")
    if is_r63(head):
        return read_r63(path)
    if is_web_curve(head):
        return read_web_curve(path)
    if is_web_index(head):
        return read_web_index(path)
    if is_consodl(head):
        return read_consodl(path)
    raise BadFile(f"{path}: line 1: not an Enedis export linkyflux reads ({KNOWN})")


def lines_in(path: Path) -> int:
    """How many lines a text export has (what a progress bar counts up to): a quick pass
    over its bytes; none for a workbook (a week, or a few years of days: read at once)."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if is_xlsx(head):
            return 0
        return head.count(b"\n") + sum(
            chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b"")
        )


def _archive(path: Path) -> bool:
    """A readable ZIP that is not a workbook (a damaged one is the workbook reader's to say)."""
    try:
        with zipfile.ZipFile(path) as archive:
            return "xl/workbook.xml" not in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False
