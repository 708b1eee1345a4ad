"""The energy and cost dashboard (``linkyflux-energy.json``): yesterday, last month and last
year, each beside the same period a year before, the month and year so far, days by tariff,
calendar months and years from the daily points' tags, the data health of each series, and
two collapsed rows: the Netatmo circuits and the unmetered rest of the Linky curve
(:mod:`linkyflux.grafana.circuits`), the Tempo panels (:mod:`linkyflux.grafana.tempo`).
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.circuits import circuits_row
from linkyflux.grafana.influxql import BY_DAY, COST, ENERGY, SPLIT, daily, q, where
from linkyflux.grafana.panels import (
    HIDE_TIME,
    TARIFF_COLOURS,
    Panel,
    dashboard,
    panel,
    stat,
    target,
)
from linkyflux.grafana.tempo import tempo_row
from linkyflux.sinks import schema as s

# The past periods of the headline stats: (title, relative time, time shift), in pairs.
PERIODS = (
    ("Yesterday", "now/d", "1d/d"),
    ("Same day, a year before", "now/d", "1y-1d/d"),
    ("Last month", "now/M", "1M/M"),
    ("Same month, a year before", "now/M", "1y-1M/M"),
    ("Last year", "now/y", "1y/y"),
    ("The year before", "now/y", "2y/y"),
)


def _calendar_table(group: str, title: str, grid: tuple[int, int, int, int], **extra: Any) -> Panel:
    select = ", ".join(
        [
            ENERGY,
            SPLIT,
            COST,
            f"sum({q(s.FIELD_SUBSCRIPTION_EUR)}) AS {q('subscription €')}",
        ]
    )
    query = daily(select, group=f"GROUP BY {q(group)}")
    return panel(
        "table",
        title,
        [target(query, table=True)],
        grid,
        description=f"Sums of the daily points by their `{group}` tag: calendar periods in "
        "Europe/Paris. `€` is the energy's cost at the configured prices; the subscription "
        "is apart.",
        transformations=[HIDE_TIME],
        options={"showHeader": True, "sortBy": [{"displayName": group, "desc": True}]},
        **extra,
    )


def energy_dashboard() -> dict[str, Any]:
    cost_note = "The energy's cost at the configured prices (subscription apart)."
    figures = (
        ("energy", daily(ENERGY), "kwatth", ""),
        ("cost", daily(COST), "currencyEUR", cost_note),
    )
    panels: list[Panel] = [
        stat(
            f"{title}: {what}",
            query,
            (n * 4, row * 4, 4, 4),
            unit,
            time_from=time_from,
            time_shift=shift,
            description=note,
        )
        for n, (title, time_from, shift) in enumerate(PERIODS)
        for row, (what, query, unit, note) in enumerate(figures)
    ]
    panels += [
        stat("This month so far: energy", daily(ENERGY), (0, 8, 4, 4), "kwatth", time_from="now/M"),
        stat(
            "This month so far: cost", daily(COST), (4, 8, 4, 4), "currencyEUR", time_from="now/M"
        ),
        stat("This year so far: energy", daily(ENERGY), (8, 8, 4, 4), "kwatth", time_from="now/y"),
        stat(
            "This year so far: cost", daily(COST), (12, 8, 4, 4), "currencyEUR", time_from="now/y"
        ),
        panel(
            "stat",
            "Last month: HC / HP",
            [target(daily(SPLIT), alias="$col")],
            (16, 8, 8, 4),
            unit="kwatth",
            description="Off-peak (HC), peak (HP) and BASE energy of last month's complete "
            "load curves.",
            options={
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "colorMode": "value",
                "graphMode": "none",
                "textMode": "value_and_name",
            },
            overrides=TARIFF_COLOURS,
            timeFrom="now/M",
            timeShift="1M/M",
        ),
        panel(
            "timeseries",
            "Daily energy",
            [
                target(daily(SPLIT, group=BY_DAY)),
                target(daily(ENERGY, group=BY_DAY), "B", alias="daily energy (Enedis)"),
            ],
            (0, 12, 24, 9),
            unit="kwatth",
            description="Bars: each day's load curve by tariff (when complete). Line: the "
            "day's energy from the meter's index, as Enedis computes it.",
            custom={"drawStyle": "bars", "fillOpacity": 80, "stacking": {"mode": "normal"}},
            overrides=[
                *TARIFF_COLOURS,
                {
                    "matcher": {"id": "byName", "options": "daily energy (Enedis)"},
                    "properties": [
                        {"id": "custom.drawStyle", "value": "line"},
                        {"id": "custom.stacking", "value": {"mode": "none"}},
                        {"id": "custom.fillOpacity", "value": 0},
                        {"id": "color", "value": {"fixedColor": "purple", "mode": "fixed"}},
                    ],
                },
            ],
        ),
        panel(
            "barchart",
            "Calendar months: HC / HP",
            [target(daily(SPLIT, group=f"GROUP BY {q(s.TAG_MONTH)}"), table=True)],
            (0, 21, 24, 9),
            unit="kwatth",
            options={"xField": s.TAG_MONTH, "stacking": "normal", "legend": {"showLegend": True}},
            overrides=TARIFF_COLOURS,
            transformations=[HIDE_TIME],
        ),
        _calendar_table(s.TAG_MONTH, "Calendar months", (0, 30, 16, 10)),
        # whole years whatever the dashboard's range: this one and the two before
        _calendar_table(s.TAG_YEAR, "Calendar years", (16, 30, 8, 10), timeFrom="now-2y/y"),
        _health_panel((0, 40, 24, 8)),
        circuits_row(48),
        tempo_row(49),
    ]
    return dashboard(
        "linkyflux-energy",
        "Linky: energy and cost",
        panels,
        time_from="now-13M/M",
        description="Energy and its cost (for production: what it sold for): yesterday, last "
        "month, last year, each beside the same period a year before; days, calendar months "
        "and years; data health.",
        direction_variable=True,
    )


def _health_panel(grid: tuple[int, int, int, int]) -> Panel:
    fields = (
        (s.FIELD_LAST_COMPLETE_S, "last complete day", " * 1000"),
        (s.FIELD_DAYS_BEHIND, "days behind", ""),
        (s.FIELD_MISSING_DAYS, "missing days", ""),
        (s.FIELD_PARTIAL_DAYS, "partial days", ""),
        (s.FIELD_UNAVAILABLE_DAYS, "unavailable days", ""),
    )
    select = ", ".join(f"last({q(f)}){scale} AS {q(name)}" for f, name, scale in fields)
    query = (
        f"SELECT {select} FROM {q(s.SYNC)} WHERE {where(direction=None)} "
        f"GROUP BY {q(s.TAG_USAGE_POINT)}, {q(s.TAG_DIRECTION)}, {q(s.TAG_SERIES)}"
    )
    return panel(
        "table",
        "Data health",
        [target(query, table=True)],
        grid,
        description="Per series, as of linkyflux's last run in the time range: the last "
        "complete day, how many days it is behind yesterday, and the days missing (not "
        "written yet), partial (gaps Enedis never filled) or unavailable (Enedis had "
        "nothing). Details: `linkyflux status`.",
        transformations=[HIDE_TIME],
        overrides=[
            {
                "matcher": {"id": "byName", "options": "last complete day"},
                "properties": [{"id": "unit", "value": "dateTimeAsIsoNoDateIfToday"}],
            },
            {
                "matcher": {"id": "byName", "options": "days behind"},
                "properties": [
                    {"id": "custom.cellOptions", "value": {"type": "color-background"}},
                    {
                        "id": "thresholds",
                        "value": {
                            "mode": "absolute",
                            "steps": [
                                {"color": "green", "value": None},
                                {"color": "orange", "value": 2},
                                {"color": "red", "value": 3},
                            ],
                        },
                    },
                ],
            },
        ],
    )
