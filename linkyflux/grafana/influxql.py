"""The InfluxQL of the dashboards' panels, named through :mod:`linkyflux.sinks.schema`.

Quoted identifiers, the filter on the usage points picked, a direction and the dashboard's
time, energy summed in kWh from ``energy_wh`` fields (never from power), costs from the
``cost_eur`` written with each point, days cut in Europe/Paris, and the load curve's power.
"""

from __future__ import annotations

from linkyflux.sinks import schema as s

TIMEZONE = "Europe/Paris"


def q(name: str) -> str:
    """A quoted InfluxQL identifier."""
    return f'"{name}"'


def where(direction: str | None = "consumption") -> str:
    """The usage points picked in the dashboard, a direction, the time."""
    parts = [f"{q(s.TAG_USAGE_POINT)} =~ /^$usage_point$/"]
    if direction is not None:
        parts.append(f"{q(s.TAG_DIRECTION)} = '{direction}'")
    return " AND ".join([*parts, "$timeFilter"])


def _kwh(field: str, alias: str) -> str:
    return f"sum({q(field)}) / 1000 AS {q(alias)}"


def daily(select: str, *, direction: str | None = "$direction", group: str = "") -> str:
    """``select`` from the daily points (one per local day, stamped at its midnight)."""
    query = f"SELECT {select} FROM {q(s.DAILY)} WHERE {where(direction=direction)}"
    return f"{query} {group}".strip()


def by_day(*tags: str) -> str:
    """Per Paris day (and per tag)."""
    return f"GROUP BY {', '.join(['time(1d)', *map(q, tags)])} fill(none) tz('{TIMEZONE}')"


BY_DAY = by_day()
ENERGY = _kwh(s.FIELD_ENERGY_WH, "kWh")
COST = f"sum({q(s.FIELD_COST_EUR)}) AS {q('€')}"
SPLIT = ", ".join(
    _kwh(field, tariff)
    for field, tariff in (
        (s.FIELD_HC_ENERGY_WH, "HC"),
        (s.FIELD_HP_ENERGY_WH, "HP"),
        (s.FIELD_BASE_ENERGY_WH, "BASE"),
    )
)


def curve_power(direction: str) -> str:
    """The load curve's mean power per interval and tariff, summed over the usage points."""
    inner = (
        f"SELECT mean({q(s.FIELD_POWER_W)}) AS {q('p')} FROM {q(s.LOAD_CURVE)} "
        f"WHERE {where(direction=direction)} "
        f"GROUP BY time($__interval), {q(s.TAG_USAGE_POINT)}, {q(s.TAG_TARIFF)}"
    )
    return (
        f"SELECT sum({q('p')}) FROM ({inner}) WHERE $timeFilter "
        f"GROUP BY time($__interval), {q(s.TAG_TARIFF)} fill(none)"
    )
