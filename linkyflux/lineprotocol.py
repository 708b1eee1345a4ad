"""InfluxDB line protocol: escaping and formatting, nothing else.

Fields are always written as floats (``1.0``, never ``1`` or ``1i``) so a series never
changes type; timestamps are whole seconds (the writers use ``precision=s``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable

_MEASUREMENT = str.maketrans({",": r"\,", " ": r"\ ", "\\": "\\\\"})
_KEY = str.maketrans({",": r"\,", "=": r"\=", " ": r"\ ", "\\": "\\\\"})


def format_float(value: float) -> str:
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"line protocol cannot carry {value}")
    return repr(value)


def line(
    measurement: str,
    tags: Iterable[tuple[str, str]],
    fields: Iterable[tuple[str, float]],
    timestamp: int,
) -> str:
    """One line; tags must already be in the order they should appear (sorted is best)."""
    head = measurement.translate(_MEASUREMENT)
    tag_part = "".join(f",{k.translate(_KEY)}={v.translate(_KEY)}" for k, v in tags if v != "")
    field_part = ",".join(f"{k.translate(_KEY)}={format_float(v)}" for k, v in fields)
    if not field_part:
        raise ValueError("a line needs at least one field")
    return f"{head}{tag_part} {field_part} {int(timestamp)}"
