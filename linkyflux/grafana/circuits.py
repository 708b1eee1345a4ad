"""The energy dashboard's collapsed row "Circuits (Netatmo)": each circuit's energy per day and
over the time range, its cost, the gas and water channels, and the Linky curve's unmetered part.

A Legrand Ecocompteur or Drivia module meters circuits behind a Linky meter; linkyflux writes
each channel's energy per 30-minute bucket (at its start) to ``netatmo_energy``, tagged with
the Linky usage point it hangs off, so the dashboard's ``$usage_point`` picks both.

"Unmetered" is the Linky consumption minus the sum of the electric circuits, per Paris day.
InfluxQL cannot subtract across measurements: the panel runs two queries (``A``: the Linky
curve, ``B``: the circuits) and Grafana subtracts them, joining the two frames on time with an
inner join, so that a day only one side has (today's circuits before Enedis publishes the
curve, a day before the module was installed) is left out rather than drawn as a negative or
whole Linky bar.
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.influxql import by_day, q, where
from linkyflux.grafana.panels import HIDE_TIME, Panel, panel, target
from linkyflux.sinks import schema as s

TITLE = "Circuits (Netatmo)"
# an electricity channel's kind (models.CircuitKind; the others: gas, hot_water, cold_water)
ELECTRIC = "electric"
CONSUMPTION = "consumption"
LINKY, CIRCUITS, UNMETERED = "Linky", "circuits", "unmetered"  # the unmetered panel's series
BARS = {"drawStyle": "bars", "fillOpacity": 80, "stacking": {"mode": "normal"}}
UNMETERED_TRANSFORMATIONS = [
    {"id": "joinByField", "options": {"byField": "Time", "mode": "inner"}},
    {
        "id": "calculateField",
        "options": {
            "mode": "binary",
            "binary": {"left": LINKY, "operator": "-", "right": CIRCUITS},
            "alias": UNMETERED,
            "replaceFields": False,
        },
    },
]


def circuits_query(select: str, group: str, *, kind: str = f"= '{ELECTRIC}'") -> str:
    """``select`` from the channels of the usage points picked whose kind is ``kind`` (a
    comparison: electric ones by default), in the dashboard's time."""
    conditions = [f"{q(s.TAG_USAGE_POINT)} =~ /^$usage_point$/", f"{q(s.TAG_KIND)} {kind}"]
    return (
        f"SELECT {select} FROM {q(s.NETATMO)} WHERE {' AND '.join(conditions)} AND $timeFilter "
        f"{group}"
    )


def _kwh(alias: str) -> str:
    return f"sum({q(s.FIELD_ENERGY_WH)}) / 1000 AS {q(alias)}"


COST = f"sum({q(s.FIELD_COST_EUR)}) AS {q('€')}"


def daily_energy_query() -> str:
    """Each electric circuit's energy per Paris day, kWh."""
    return circuits_query(_kwh("kWh"), by_day(s.TAG_CIRCUIT))


def daily_cost_query() -> str:
    """Each electric circuit's cost per Paris day, € (none when no prices are configured)."""
    return circuits_query(COST, by_day(s.TAG_CIRCUIT))


def range_query() -> str:
    """Each electric circuit's energy and cost over the time range."""
    return circuits_query(f"{_kwh('kWh')}, {COST}", f"GROUP BY {q(s.TAG_CIRCUIT)}")


def other_kinds_query() -> str:
    """The gas and water channels' raw values per Paris day (their unit is not verified)."""
    return circuits_query(
        f"sum({q(s.FIELD_ENERGY_WH)}) AS {q('value')}",
        by_day(s.TAG_CIRCUIT, s.TAG_KIND),
        kind=f"!= '{ELECTRIC}'",
    )


def linky_daily_query() -> str:
    """The Linky load curve's consumption per Paris day, kWh (the unmetered panel's ``A``)."""
    return (
        f"SELECT {_kwh(LINKY)} FROM {q(s.LOAD_CURVE)} WHERE {where(direction=CONSUMPTION)} "
        f"{by_day()}"
    )


def circuits_daily_query() -> str:
    """The electric circuits together per Paris day, kWh (the unmetered panel's ``B``)."""
    return circuits_query(_kwh(CIRCUITS), by_day())


def _series_style(name: str, **properties: Any) -> dict[str, Any]:
    return {
        "matcher": {"id": "byName", "options": name},
        "properties": [{"id": key, "value": value} for key, value in properties.items()],
    }


def circuits_row(top: int) -> Panel:
    """The collapsed row "Circuits (Netatmo)" at grid row ``top``, its panels below it."""
    y = top + 1
    electric = f"The electric channels (`{s.TAG_KIND}` = '{ELECTRIC}') of the usage points picked"
    panels = [
        panel(
            "timeseries",
            "Circuits: daily energy",
            [target(daily_energy_query(), alias=f"$tag_{s.TAG_CIRCUIT}")],
            (0, y, 24, 9),
            unit="kwatth",
            description=f"{electric}, stacked per Paris day, from `{s.NETATMO}` (the Netatmo "
            "module's 30-minute buckets). The module uploads every few hours: today and the "
            "end of yesterday fill in as linkyflux re-reads them.",
            custom=BARS,
        ),
        panel(
            "table",
            "Circuits: energy and cost over the range",
            [target(range_query(), table=True)],
            (0, y + 9, 12, 9),
            description=f"{electric}: each circuit's energy and cost over the time range. "
            "`€` is empty when no prices are configured (priced with the HC/HP schedule and "
            "the prices of the Linky meter they hang off).",
            transformations=[HIDE_TIME],
            options={"showHeader": True, "sortBy": [{"displayName": "kWh", "desc": True}]},
        ),
        panel(
            "timeseries",
            "Circuits: daily cost",
            [target(daily_cost_query(), alias=f"$tag_{s.TAG_CIRCUIT}")],
            (12, y + 9, 12, 9),
            unit="currencyEUR",
            description=f"{electric}: each circuit's cost per Paris day at the configured "
            "prices (subscription apart); empty when no prices are configured.",
            custom=BARS,
        ),
        panel(
            "timeseries",
            "Unmetered: daily energy",
            [
                target(linky_daily_query(), alias=LINKY),
                target(circuits_daily_query(), "B", alias=CIRCUITS),
            ],
            (0, y + 18, 24, 9),
            unit="kwatth",
            description="Bars: the electric circuits together and the rest of the Linky "
            "consumption, which no circuit explains (Linky minus the circuits), per Paris day; "
            "line: the Linky consumption. Only days both have are drawn; a day whose last "
            "circuit buckets are not uploaded yet looks more unmetered until the next run.",
            custom=BARS,
            transformations=UNMETERED_TRANSFORMATIONS,
            overrides=[
                _series_style(
                    LINKY,
                    **{
                        "custom.drawStyle": "line",
                        "custom.stacking": {"mode": "none"},
                        "custom.fillOpacity": 0,
                        "color": {"fixedColor": "purple", "mode": "fixed"},
                    },
                ),
                _series_style(CIRCUITS, color={"fixedColor": "green", "mode": "fixed"}),
                _series_style(UNMETERED, color={"fixedColor": "orange", "mode": "fixed"}),
            ],
        ),
        panel(
            "timeseries",
            "Circuits: gas and water (raw values)",
            [target(other_kinds_query(), alias=f"$tag_{s.TAG_CIRCUIT} ($tag_{s.TAG_KIND})")],
            (0, y + 27, 24, 8),
            description="The gas, hot-water and cold-water channels' values summed per Paris "
            f"day, as Netatmo gives them in `{s.FIELD_ENERGY_WH}`: their unit is not verified "
            "(Netatmo does not document it for these channels; it may be litres, m³ or Wh), so "
            "no unit is shown. Compare days with each other, not with electricity.",
            custom={"drawStyle": "bars", "fillOpacity": 80, "stacking": {"mode": "none"}},
        ),
    ]
    return {
        "type": "row",
        "title": TITLE,
        "collapsed": True,
        "gridPos": {"x": 0, "y": top, "w": 24, "h": 1},
        "panels": panels,
    }
