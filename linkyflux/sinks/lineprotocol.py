"""InfluxDB line protocol: escaping and formatting, nothing else.

Measurements, tag keys and values and field keys are escaped (comma, equals sign, space,
backslash; newline, carriage return and tab as ``\n``, ``\r``, ``\t``). Fields are always
floats (``1.0``, never ``1`` or ``1i``; no string field is written) so a series never changes
type (and ``-0.0`` as ``0.0``); timestamps are whole seconds (the writers use
``precision=s``).

Escaping was most of a line's work, and a run writes many lines of few series: the escaped
head of a series (its measurement and tags) and the escaped field keys are built once and
kept (:func:`head`, :func:`field_key`); a line then only formats its values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from functools import lru_cache

# Line protocol has no way to carry a newline (it ends the line); a gateway's tariff code or
# contract label may hold one, or a carriage return or a tab: they are written as the two
# characters ``\n``, ``\r``, ``\t``, as InfluxData's own clients write them, so a value stays
# on its line (and a backslash is doubled, so ``\n`` in the text stays apart from a newline).
_CONTROL = {"\n": r"\n", "\r": r"\r", "\t": r"\t"}
_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\\": "\\\\", **_CONTROL})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\", **_CONTROL})
_isfinite = math.isfinite


@lru_cache(maxsize=4096)
def head(measurement: str, tags: tuple[tuple[str, str], ...]) -> str:
    """The escaped measurement and tags that start a series' lines, tags with an empty
    value left out. Kept for the next line of the series (a few thousand series at most:
    a backfill writes a handful of usage points and directions, three tariffs each)."""
    tag_part = "".join(f",{k.translate(_KEY)}={v.translate(_KEY)}" for k, v in tags if v != "")
    return f"{measurement.translate(_MEASUREMENT)}{tag_part}"


@lru_cache(maxsize=256)
def field_key(key: str) -> str:
    """A field key, escaped (and kept: there are few of them)."""
    return key.translate(_KEY)


def float_value(value: float) -> str:
    """A field value: always a float, a negative zero as ``0.0``; never NaN or infinite."""
    value = float(value) + 0.0
    if not _isfinite(value):
        raise ValueError(f"line protocol cannot carry {value}")
    return repr(value)


def line(
    measurement: str,
    tags: Iterable[tuple[str, str]],
    fields: Iterable[tuple[str, float]],
    timestamp: int,
) -> str:
    """One line; tags must already be in the order they should appear (sorted is best)."""
    pairs = [f"{field_key(key)}={float_value(value)}" for key, value in fields]
    if not pairs:
        raise ValueError("a line needs at least one field")
    return f"{head(measurement, tuple(tags))} {','.join(pairs)} {int(timestamp)}"
