"""The old customer-space daily CSV, ``Enedis_Conso_Jour_….csv`` / ``Enedis_Prod_Jour_….csv``
(until early 2025, docs/enedis-exports.md §3.6): not daily energies but the meter's **index**.

UTF-8 with a BOM, ``;``-separated: a metadata header of 8 fields (``Identifiant PRM;Type de
donnees;…;Unite``, no ``Pas en minutes``: that is the load-curve file), its values (``Index``,
``Consommation`` or ``Production``, ``Wh``), then ``Horodate;Type de releve;EAS F1;…;EAS D4;
EAS T`` (a production file adds ``EAI T``) and one ``Arrêté quotidien`` row per day: the
reading's instant with its offset and the cumulative registers in Wh. The total is ``EAS T``
for consumption, ``EAI T`` for production, found by name. The data ends at a trailer that
starts ``Periode;`` (the registers' tariff classes, sometimes in mojibake): it is never read.

A reading belongs to the Paris calendar day whose midnight is nearest to its instant: most
files read at local midnight, the 2021 ones at 01:00+02:00 in summer (midnight CET), which is
still day D, not D-1 or D+1 with a fixed UTC hour. A reading more than two hours from a Paris
midnight is not a daily reading: a bad line.

Day D's energy is ``total(D+1) - total(D)``, filed under D, and only when both readings are
there: a missing reading (no row, or an empty total) leaves the days on either side of it
out, never guessed. An index that goes down (a meter replaced, a register rolled over) gives
no energy for that day rather than a negative one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Final

from linkyflux.errors import BadFile
from linkyflux.models import DailyReading, Direction, is_usage_point
from linkyflux.timeutil import PARIS

DIRECTIONS: Final[dict[str, Direction]] = {
    "Consommation": "consumption",
    "Production": "production",
}
TOTALS: Final[dict[Direction, str]] = {"consumption": "EAS T", "production": "EAI T"}
NEAR_MIDNIGHT: Final = timedelta(hours=2)
_LABEL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def is_web_index(head: str) -> bool:
    """The file's first line is the old export's metadata header without a step column."""
    names = head.lstrip("\ufeff").rstrip("\r\n").split(";")
    return names[:2] == ["Identifiant PRM", "Type de donnees"] and "Pas en minutes" not in names


def read_web_index(path: Path) -> Iterator[DailyReading]:
    """The file's daily energies, in its order (see the module)."""
    # errors="replace": the trailer may be mojibake or another encoding; the cells read are ASCII
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        lines = iter(enumerate(handle, start=1))
        header = next(lines, (1, ""))[1].rstrip("\r\n").split(";")
        number, values = next(lines, (2, ""))
        meta = dict(zip(header, values.rstrip("\r\n").split(";"), strict=False))
        prm, direction = _metadata(path, number, meta)
        total = -1  # the total's column, once the table header is read
        previous: tuple[date, int] | None = None  # the last reading with a total
        last_day: date | None = None  # the last reading's day, with a total or not
        for number, raw in lines:
            text = raw.rstrip("\r\n")
            if not text.strip():
                continue
            if total < 0:
                total = _table(path, number, text, TOTALS[direction])
                continue
            if text.startswith("Periode;"):
                break
            cells = text.split(";")
            if len(cells) <= total:
                raise BadFile(f"{path}: line {number}: {len(cells)} columns, not {total + 1}")
            day = _day(path, number, cells[0])
            if last_day is not None and day <= last_day:
                raise BadFile(
                    f"{path}: line {number}: Horodate {cells[0]!r} is not a day after the "
                    f"line before ({last_day})"
                )
            last_day = day
            index = _index(path, number, TOTALS[direction], cells[total])
            if index is None:
                continue  # a missing reading: the days on either side of it stay missing
            if previous is not None and previous[0] + timedelta(days=1) == day:
                energy = index - previous[1]
                if energy >= 0:  # a meter change or a rollover is no negative day
                    yield DailyReading(prm, direction, previous[0], float(energy))
            previous = (day, index)


def _metadata(path: Path, line: int, meta: dict[str, str]) -> tuple[str, Direction]:
    def bad(what: str) -> BadFile:
        return BadFile(f"{path}: line {line}: {what}")

    prm = meta.get("Identifiant PRM", "")
    if not is_usage_point(prm):
        raise bad(f"Identifiant PRM {prm!r} is not 14 digits")
    kind = meta.get("Type de donnees")
    if kind == "Puissance maximale quotidienne":
        raise bad(
            "Type de donnees 'Puissance maximale quotidienne': the daily maximum power is not "
            "read, only Index"
        )
    if kind != "Index":
        raise bad(f"Type de donnees {kind!r}: only Index is read")
    direction = DIRECTIONS.get(meta.get("Grandeur metier", ""))
    if direction is None:
        raise bad(
            f"Grandeur metier {meta.get('Grandeur metier')!r}: neither Consommation nor Production"
        )
    if meta.get("Unite") != "Wh":
        raise bad(f"Unite {meta.get('Unite')!r}: only Wh (a cumulative index) is known")
    return prm, direction


def _table(path: Path, line: int, text: str, name: str) -> int:
    """The column of the total ``name`` in the table header ``text``."""
    names = [cell.strip() for cell in text.split(";")]
    if names[:1] != ["Horodate"]:
        raise BadFile(f"{path}: line {line}: expected the header Horodate;Type de releve;…")
    if name not in names:
        raise BadFile(f"{path}: line {line}: no {name} column")
    return names.index(name)


def _day(path: Path, line: int, label: str) -> date:
    """The Paris day whose midnight is nearest to the instant ``label``."""
    if not _LABEL.fullmatch(label):
        raise BadFile(f"{path}: line {line}: Horodate {label!r} is not an ISO time with its offset")
    instant = datetime.fromisoformat(label)
    local = instant.astimezone(PARIS).date()
    for day in (local, local + timedelta(days=1)):
        if abs(instant - datetime.combine(day, time(), PARIS)) <= NEAR_MIDNIGHT:
            return day
    raise BadFile(
        f"{path}: line {line}: Horodate {label!r} is not a daily reading "
        "(more than two hours from a Paris midnight)"
    )


def _index(path: Path, line: int, name: str, cell: str) -> int | None:
    """A register's cell as whole Wh, ``None`` when empty."""
    cell = cell.strip()
    if not cell:
        return None
    if not cell.isascii() or not cell.isdigit():
        raise BadFile(f"{path}: line {line}: {name} {cell!r} is not a whole number of Wh")
    return int(cell)
