"""The R63 load-curve CSV ("demande de données", docs/enedis-exports.md §1).

``;``-separated UTF-8, one header line, then one row per interval: the usage point, the
requested period, ``Grandeur métier`` (``CONS`` or ``PROD``), ``Unité`` (``W``), ``Horodate``
(the interval's **end**, naive Europe/Paris wall clock), ``Valeur`` (average power) and ``Pas``
(the step, per row: ``PT30M``, ``PT60M``…). On the October day the 02:00 and 02:30 labels come
twice, CEST then CET: a label means the instant after the previous row's. A spring day has no
02:00 or 02:30 label. A hole stays a hole.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Final

from linkyflux.errors import BadFile
from linkyflux.models import CurveReading, Direction, is_usage_point
from linkyflux.sources.enedis import local_to_epoch
from linkyflux.sources.exports.values import power_w
from linkyflux.timeutil import PARIS

REQUIRED: Final = ("Identifiant PRM", "Grandeur métier", "Unité", "Horodate", "Valeur", "Pas")
DIRECTIONS: Final[dict[str, Direction]] = {"CONS": "consumption", "PROD": "production"}
_STEP = re.compile(r"PT(\d+)([MH])")


def is_r63(head: str) -> bool:
    """The file's first line is an R63 header."""
    names = head.lstrip("\ufeff").rstrip("\r\n").split(";")
    return names[:1] == ["Identifiant PRM"] and all(name in names for name in REQUIRED)


def read_r63(path: Path) -> Iterator[CurveReading]:
    """The file's intervals, in its order (see the module)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle, delimiter=";")
        header = next(rows, [])
        column = {name: n for n, name in enumerate(header)}
        missing = [name for name in REQUIRED if name not in column]
        if missing:
            raise BadFile(f"{path}: line 1: not an R63 header (no {', '.join(missing)} column)")
        at = [column[name] for name in REQUIRED]
        last: dict[tuple[str, str], int] = {}  # the last end instant of each series
        for line, row in enumerate(rows, start=2):
            if not any(row):
                continue
            try:
                prm, grandeur, unit, label, value, step = (row[n] for n in at)
            except IndexError:
                raise BadFile(
                    f"{path}: line {line}: {len(row)} columns, not {len(header)}"
                ) from None
            yield _reading(path, line, prm, grandeur, unit, label, value, step, last)


def _reading(
    path: Path,
    line: int,
    prm: str,
    grandeur: str,
    unit: str,
    label: str,
    value: str,
    step: str,
    last: dict[tuple[str, str], int],
) -> CurveReading:
    def bad(what: str) -> BadFile:
        return BadFile(f"{path}: line {line}: {what}")

    if not is_usage_point(prm):
        raise bad(f"Identifiant PRM {prm!r} is not 14 digits")
    direction = DIRECTIONS.get(grandeur)
    if direction is None:
        raise bad(f"Grandeur métier {grandeur!r} is neither CONS nor PROD")
    if unit != "W":
        raise bad(f"Unité {unit!r}: only W (average power) is known")
    steps = _STEP.fullmatch(step)
    if steps is None:
        raise bad(f"Pas {step!r} is not a step such as PT30M")
    minutes = int(steps[1]) * (60 if steps[2] == "H" else 1)
    if not 0 < minutes <= 60 or 60 % minutes:
        raise bad(f"Pas {step!r} does not divide an hour")
    try:
        naive = datetime.strptime(label, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise bad(f"Horodate {label!r} is not YYYY-MM-DD HH:MM:SS") from None
    key = (prm, direction)
    end = local_to_epoch(naive, last.get(key))
    if datetime.fromtimestamp(end, PARIS).replace(tzinfo=None) != naive:
        raise bad(f"Horodate {label!r} does not exist in Europe/Paris (the clocks jump it)")
    if key in last and end <= last[key]:
        raise bad(f"Horodate {label!r} is not after the line before ({_local(last[key])})")
    power = power_w(value, f"{path}: line {line}")
    last[key] = end
    return CurveReading(prm, direction, end - minutes * 60, minutes, power)


def _local(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, PARIS).isoformat()
