"""What the export readers check the same way."""

from __future__ import annotations

import math

from linkyflux.errors import BadFile


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
