"""The old customer-space load-curve CSV, ``Enedis_Conso_Heure_….csv`` (until early 2025,
docs/enedis-exports.md §3.2-3.4).

UTF-8 with a BOM, ``;``-separated: a metadata header (``Identifiant PRM;Type de donnees;…;
Unite;Pas en minutes``), its values (``Courbe de charge``, ``Consommation`` or ``Production``,
``W``, a step often left empty), then ``Horodate;Valeur`` and one row per interval: the
interval's **end** with its UTC offset (so the October hour is unambiguous), its average power.
An empty value is a missing interval. A blank line separates blocks of different steps: each
row's step is the file's ``Pas en minutes``, else the usual spacing of the rows of its block.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Final

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, Direction, is_usage_point
from linkyflux.sources.exports.values import power_w

DIRECTIONS: Final[dict[str, Direction]] = {
    "Consommation": "consumption",
    "Production": "production",
}
_LABEL = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d")


def is_web_curve(head: str) -> bool:
    """The file's first line is the old export's metadata header with a step column."""
    names = head.lstrip("\ufeff").rstrip("\r\n").split(";")
    return names[:2] == ["Identifiant PRM", "Type de donnees"] and "Pas en minutes" in names


def read_web_curve(path: Path) -> Iterator[CurveReading]:
    """The file's intervals, in its order (see the module)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        lines = iter(enumerate(handle, start=1))
        header = next(lines, (1, ""))[1].rstrip("\r\n").split(";")
        number, values = next(lines, (2, ""))
        meta = dict(zip(header, values.rstrip("\r\n").split(";"), strict=False))
        prm, direction, step = _metadata(path, number, meta)
        block: list[tuple[int, int, str]] = []  # (line, end epoch, value) of the current block
        table = False
        for number, raw in lines:
            text = raw.rstrip("\r\n")
            if not table:
                table = text.replace(" ", "") == "Horodate;Valeur"
                if not table and text.strip():
                    raise BadFile(f"{path}: line {number}: expected the header Horodate;Valeur")
                continue
            if not text.strip():
                yield from _block(path, prm, direction, step, block)
                block = []
                continue
            label, _, value = text.partition(";")
            if not _LABEL.fullmatch(label):
                raise BadFile(
                    f"{path}: line {number}: Horodate {label!r} is not an ISO time with its offset"
                )
            end = int(datetime.fromisoformat(label).timestamp())
            if block and end <= block[-1][1]:
                raise BadFile(
                    f"{path}: line {number}: Horodate {label!r} is not after the line before"
                )
            block.append((number, end, value))
        yield from _block(path, prm, direction, step, block)


def _metadata(path: Path, line: int, meta: dict[str, str]) -> tuple[str, Direction, int | None]:
    def bad(what: str) -> BadFile:
        return BadFile(f"{path}: line {line}: {what}")

    prm = meta.get("Identifiant PRM", "")
    if not is_usage_point(prm):
        raise bad(f"Identifiant PRM {prm!r} is not 14 digits")
    if meta.get("Type de donnees") != "Courbe de charge":
        raise bad(f"Type de donnees {meta.get('Type de donnees')!r}: only Courbe de charge is read")
    direction = DIRECTIONS.get(meta.get("Grandeur metier", ""))
    if direction is None:
        raise bad(
            f"Grandeur metier {meta.get('Grandeur metier')!r}: neither Consommation nor Production"
        )
    if meta.get("Unite") != "W":
        raise bad(f"Unite {meta.get('Unite')!r}: only W (average power) is known")
    step = meta.get("Pas en minutes", "").strip()
    if step and not (step.isdigit() and 0 < int(step) <= 60 and 60 % int(step) == 0):
        raise bad(f"Pas en minutes {step!r} does not divide an hour")
    return prm, direction, int(step) if step else None


def _block(
    path: Path, prm: str, direction: Direction, step: int | None, rows: list[tuple[int, int, str]]
) -> Iterator[CurveReading]:
    """A block's readings, each of the file's step, else of its block's usual spacing."""
    if not rows:
        return
    if step is None:
        gaps = Counter((b[1] - a[1]) // 60 for a, b in pairwise(rows))
        if not gaps:
            raise BadFile(f"{path}: line {rows[0][0]}: a block of one row, and no Pas en minutes")
        step = gaps.most_common(1)[0][0]
        if not 0 < step <= 60 or 60 % step:
            raise BadFile(f"{path}: line {rows[0][0]}: rows {step} minutes apart: not a step")
    for number, end, value in rows:
        if not value.strip():
            continue  # a missing interval stays missing
        power = power_w(value, f"{path}: line {number}")
        yield CurveReading(prm, direction, end - step * 60, step, power)
