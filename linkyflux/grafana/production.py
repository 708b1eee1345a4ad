"""The production dashboard (``linkyflux-production.json``): exported (sold) and imported
energy of producing usage points, by day and calendar month, and what self-consumption is.
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.influxql import COST, ENERGY, by_day, curve_power, daily, q
from linkyflux.grafana.panels import (
    HIDE_TIME,
    HP_COLOUR,
    PRODUCTION_COLOUR,
    colour,
    dashboard,
    panel,
    stat,
    target,
)
from linkyflux.sinks import schema as s


def production_dashboard() -> dict[str, Any]:
    both = by_day(s.TAG_DIRECTION)
    last_month = {"time_from": "now/M", "time_shift": "1M/M"}
    exported, imported = (
        daily(ENERGY, direction="production"),
        daily(ENERGY, direction="consumption"),
    )
    sold = daily(COST, direction="production")
    panels = [
        stat("Last month: exported", exported, (0, 0, 6, 4), "kwatth", **last_month),
        stat(
            "Last month: sold for",
            sold,
            (6, 0, 6, 4),
            "currencyEUR",
            description="Exported energy at the configured production price.",
            **last_month,
        ),
        stat("Last month: imported", imported, (12, 0, 6, 4), "kwatth", **last_month),
        stat("This year so far: exported", exported, (18, 0, 6, 4), "kwatth", time_from="now/y"),
        panel(
            "timeseries",
            "Daily import and export",
            [target(daily(ENERGY, direction=None, group=both), alias="$tag_direction")],
            (0, 4, 24, 9),
            unit="kwatth",
            custom={"drawStyle": "bars", "fillOpacity": 70},
            overrides=[colour("consumption", HP_COLOUR), colour("production", PRODUCTION_COLOUR)],
        ),
        panel(
            "timeseries",
            "Load curve: exported power",
            [target(curve_power("production"), alias="exported $tag_tariff")],
            (0, 13, 24, 9),
            unit="watt",
            custom={"drawStyle": "line", "fillOpacity": 30},
            interval="30m",
        ),
        panel(
            "table",
            "Calendar months: import and export",
            [
                target(
                    daily(
                        f"{ENERGY}, {COST}",
                        direction=None,
                        group=f"GROUP BY {q(s.TAG_MONTH)}, {q(s.TAG_DIRECTION)}",
                    ),
                    table=True,
                )
            ],
            (0, 22, 14, 10),
            transformations=[HIDE_TIME],
            options={"showHeader": True, "sortBy": [{"displayName": s.TAG_MONTH, "desc": True}]},
        ),
        panel(
            "text",
            "About self-consumption",
            [],
            (14, 22, 10, 10),
            options={
                "mode": "markdown",
                "content": (
                    "A Linky meter sees only what crosses it: **import** (`consumption`) and "
                    "**export** (`production`, the surplus sold). What your panels produce "
                    "and use at home never reaches it, so self-consumption is *production "
                    "(from your inverter) − export*: add your inverter's data to see it. "
                    "A self-consumption meter reports the net flow of each interval: one "
                    "direction carries it, the other is 0."
                ),
            },
        ),
    ]
    return dashboard(
        "linkyflux-production",
        "Linky: production",
        panels,
        time_from="now-13M/M",
        description="Exported (sold) and imported energy of producing usage points.",
    )
