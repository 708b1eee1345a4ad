"""The CSV of the Conso Downloader browser extension (bokub/conso-downloader, 2025 on,
docs/enedis-exports.md §4.1): the customer space's load curve, as the site's own JSON had it.

UTF-8 without a BOM, ``;``-separated, the header ``debut;fin;kW`` (``debut;fin;kWh`` in an
earlier version: the same data), then one row per interval: its start and its end, naive
Europe/Paris wall clock to the minute (``2023-12-12T00:00``; seconds or a ``+01:00`` offset
are tolerated, an offset is then taken as it is), and its average power in kW, always
double-quoted with a decimal comma (``"0,696"``). An empty, ``NA`` or ``-`` value is a missing
interval.

The rows name neither the usage point nor the direction: only the file's name does,
``historique_conso_<PRM>_<date>.csv`` or ``historique_prod_…`` (what ha-linky matches too).

Naive times are read in the file's order: a row's start is the first instant with its label
after the previous row's start, its end the first after its own start. So on the October day
the 02:00 and 02:30 starts come twice, CEST then CET, and a March row ``01:30 → 03:00`` is 30
real minutes. Each row's step is its end minus its start in real time, and must divide an hour.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Final

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, Direction
from linkyflux.sources.enedis import local_to_epoch
from linkyflux.sources.exports.values import MISSING
from linkyflux.timeutil import PARIS

HEADERS: Final = ("debut;fin;kW", "debut;fin;kWh")
DIRECTIONS: Final[dict[str, Direction]] = {"conso": "consumption", "prod": "production"}
_NAME = re.compile(r"historique_(conso|prod)_(\d{14})(?!\d).*\.csv$", re.IGNORECASE)
_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d)?)([+-]\d\d:\d\d)?")


def is_consodl(head: str) -> bool:
    """The file's first line is the extension's header."""
    return head.lstrip("\ufeff").rstrip("\r\n") in HEADERS


def read_consodl(path: Path) -> Iterator[CurveReading]:
    """The file's intervals, in its order (see the module)."""
    named = _NAME.search(path.name)
    if named is None:
        raise BadFile(
            f"{path}: a Conso Downloader file names its meter only in its file name: keep the "
            "name historique_conso_<PRM>_<date>.csv (or historique_prod_…)"
        )
    direction, prm = DIRECTIONS[named[1].lower()], named[2]
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=";")
        header = ";".join(next(rows, []))
        if header not in HEADERS:
            raise BadFile(f"{path}: line 1: expected the header debut;fin;kW")
        previous: int | None = None  # the previous row's start
        for line, row in enumerate(rows, start=2):
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise BadFile(f"{path}: line {line}: {len(row)} columns, not 3")
            where = f"{path}: line {line}"
            start = _instant(where, "debut", row[0], previous)
            if previous is not None and start <= previous:
                raise BadFile(f"{where}: debut {row[0]!r} is not after the line before")
            end = _instant(where, "fin", row[1], start)
            seconds = end - start
            if seconds <= 0 or seconds % 60 or 60 % (seconds // 60):
                raise BadFile(
                    f"{where}: {row[0]!r} to {row[1]!r} is {seconds / 60:g} minutes: not a step "
                    "that divides an hour"
                )
            previous = start
            value = row[2].strip()
            if value in MISSING:
                continue  # a missing interval stays missing
            yield CurveReading(prm, direction, start, seconds // 60, _watts(where, value))


def _instant(where: str, name: str, label: str, after: int | None) -> int:
    """The epoch second of ``label``: as its offset says, else the first Paris instant with
    that wall clock after ``after``."""
    parts = _TIME.fullmatch(label.strip())
    if parts is None:
        raise BadFile(f"{where}: {name} {label!r} is not a time such as 2023-12-12T00:30")
    try:
        naive = datetime.fromisoformat(parts[1])
        if parts[2]:
            return int(datetime.fromisoformat(label.strip()).timestamp())
    except ValueError:
        raise BadFile(f"{where}: {name} {label!r} is not a date and time") from None
    epoch = local_to_epoch(naive, after)
    if datetime.fromtimestamp(epoch, PARIS).replace(tzinfo=None) != naive:
        raise BadFile(
            f"{where}: {name} {label!r} does not exist in Europe/Paris (the clocks jump it)"
        )
    return epoch


def _watts(where: str, value: str) -> float:
    """A kW cell (decimal comma or point) as W, exactly: ``0,696`` is 696.0, not 695.99…"""
    try:
        kw = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise BadFile(f"{where}: value {value!r} is not a number of kW") from None
    if not kw.is_finite() or kw < 0:
        raise BadFile(f"{where}: value {value!r} is not a power in kW")
    return float(kw * 1000)
