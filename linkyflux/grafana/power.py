"""The power dashboard (``linkyflux-power.json``): the load curve by tariff and each day's
maximum power, both under the subscribed power drawn as a dashed threshold line.
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.influxql import by_day, curve_power, q, where
from linkyflux.grafana.panels import TARIFF_COLOURS, dashboard, panel, target
from linkyflux.sinks import schema as s


def _subscribed_power() -> str:
    """The latest subscribed power (VA) of the usage points picked, summed: one value, whatever
    the time range (the contract is read now, it has no history)."""
    latest = (
        f"SELECT last({q(s.FIELD_SUBSCRIBED_KVA)}) AS {q('kva')} FROM {q(s.CONTRACT)} "
        f"WHERE {q(s.TAG_USAGE_POINT)} =~ /^$usage_point$/ GROUP BY {q(s.TAG_USAGE_POINT)}"
    )
    return f"SELECT sum({q('kva')}) * 1000 AS {q('subscribed')} FROM ({latest})"


# The subscribed power as a dashed threshold line: query B feeds the threshold (Grafana's
# built-in "config from query results" transformation), so it spans the whole time range.
SUBSCRIBED_THRESHOLD: dict[str, Any] = {
    "transformations": [
        {
            "id": "configFromData",
            "options": {
                "configRefId": "B",
                "mappings": [{"fieldName": "subscribed", "handlerKey": "threshold1"}],
            },
        }
    ],
}
THRESHOLD_LINE = {
    "thresholdsStyle": {"mode": "dashed"},
}
THRESHOLDS = {
    "mode": "absolute",
    "steps": [{"color": "transparent", "value": None}, {"color": "red", "value": 0}],
}


def power_dashboard() -> dict[str, Any]:
    max_power = (
        f"SELECT max({q(s.FIELD_POWER_VA)}) FROM {q(s.MAX_POWER)} WHERE {where()} "
        f"{by_day(s.TAG_USAGE_POINT)}"
    )
    subscribed = (
        " The dashed line is the subscribed power (kVA read as kW; with several usage "
        "points, their total)."
    )
    panels = [
        panel(
            "timeseries",
            "Load curve: average power, by tariff",
            [
                target(curve_power("$direction"), alias="$tag_tariff"),
                target(_subscribed_power(), "B", table=True),
            ],
            (0, 0, 24, 10),
            unit="watt",
            description="Mean power per interval (summed over the usage points picked), "
            "coloured by the tariff tag each half-hour was written with." + subscribed,
            custom={
                "drawStyle": "bars",
                "fillOpacity": 70,
                "stacking": {"mode": "normal"},
                **THRESHOLD_LINE,
            },
            thresholds=THRESHOLDS,
            overrides=TARIFF_COLOURS,
            interval="30m",
            **SUBSCRIBED_THRESHOLD,
        ),
        panel(
            "timeseries",
            "Daily max power and subscribed power",
            [
                target(max_power, alias="$tag_usage_point_id"),
                target(_subscribed_power(), "B", table=True),
            ],
            (0, 10, 24, 9),
            unit="voltamp",
            description="Each day's maximum apparent power (VA)." + subscribed,
            custom={"drawStyle": "bars", "fillOpacity": 60, **THRESHOLD_LINE},
            thresholds=THRESHOLDS,
            interval="1d",
            **SUBSCRIBED_THRESHOLD,
        ),
    ]
    return dashboard(
        "linkyflux-power",
        "Linky: power",
        panels,
        time_from="now-7d",
        description="The half-hour load curve by tariff, daily max power, subscribed power.",
        direction_variable=True,
    )
