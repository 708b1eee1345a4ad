"""What the export readers check the same way."""

from __future__ import annotations

import math
import re
from typing import Final

from linkyflux.errors import BadFile

MISSING: Final = frozenset({"", "NA", "-"})  # what a spreadsheet shows for no value
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)")


def power_w(value: str, where: str) -> float:
    """A ``Valeur`` cell as an average power in W, or the :class:`BadFile` that says why not
    (``where``: the file and the line)."""
    try:
        power = float(value)
    except ValueError:
        raise BadFile(f"{where}: Valeur {value!r} is not a number") from None
    if not math.isfinite(power) or power < 0:
        raise BadFile(f"{where}: Valeur {value!r} is not a power in W")
    return power


def cell_number(value: object, where: str, quantity: str) -> float | None:
    """A spreadsheet ``Valeur`` cell, a number or text with a decimal comma (``2,906``) or
    point; ``None`` when it says the value is missing (empty, ``NA``, ``-``); else the
    :class:`BadFile` that says why not (``where``: the file, the sheet and the cell;
    ``quantity``: what the value is, ``a power in kW``)."""
    if isinstance(value, str):
        text = value.strip()
        if text in MISSING:
            return None
        if not _DECIMAL.fullmatch(text):
            raise BadFile(f"{where}: Valeur {value!r} is not a number")
        number = float(text.replace(",", "."))
    elif value is None:
        return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        raise BadFile(f"{where}: Valeur {value!r} is not a number")
    if not math.isfinite(number) or number < 0:
        raise BadFile(f"{where}: Valeur {value!r} is not {quantity}")
    return number + 0.0  # -0.0 is 0
