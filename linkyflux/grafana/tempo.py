"""The energy dashboard's collapsed row "Tempo": the colour calendar, each day's energy and
cost per colour, calendar months per colour, and the days of each colour this Tempo season.

Tempo is a consumption tariff: these panels read consumption whatever ``$direction`` says.
The calendar and the season's days read ``linky_tempo``, which has no usage point (the same
calendar for everyone); the other panels read the Tempo fields of the daily points of the
usage points picked.

A daily point is a Paris calendar day (00:00 to 24:00) and a Tempo day runs 06:00 to 06:00,
so a day's night until 06:00 is off-peak (HC) at the day before's colour: one calendar day
can hold two colours. A Tempo daily point has all six ``*_energy_wh`` fields but only the
``*_cost_eur`` of the colours and tariffs it had, and InfluxQL's ``sum(a) + sum(b)`` is null
when either sum is: a colour's HC and HP are summed from a union of subqueries, one per
field, under one name, and ``sum`` skips what is missing.
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.influxql import TIMEZONE, by_day, q, where
from linkyflux.grafana.panels import HIDE_TIME, Panel, panel, target
from linkyflux.sinks import schema as s

TITLE = "Tempo"
COLOURS = ("BLUE", "WHITE", "RED")
# each colour as Grafana draws it, a lighter shade for its HC and a darker one for its HP
SHADES = {
    "BLUE": {"": "blue", "HC": "light-blue", "HP": "dark-blue"},
    "WHITE": {"": "#E6E6E6", "HC": "#F4F4F4", "HP": "#BDBDBD"},
    "RED": {"": "red", "HC": "light-red", "HP": "dark-red"},
}
# The start of the Tempo season, 1 September, as date math applied left to right (as
# Grafana's dateMath does): 8 months back lands in the calendar year the season started in
# (September to December: this year; January to August: the year before), rounded to its
# 1 January, then 8 months on.
SEASON_START = "now-8M/y+8M"
CONSUMPTION = "consumption"
# the daily points' Tempo fields of a kind, per colour and tariff: their unit and scale
KINDS = {
    "energy_wh": (s.FIELD_TEMPO_ENERGY_WH, "kWh", " / 1000"),
    "cost_eur": (s.FIELD_TEMPO_COST_EUR, "€", ""),
}
BY_MONTH = f"GROUP BY {q(s.TAG_MONTH)}"
BARS = {"drawStyle": "bars", "fillOpacity": 85, "stacking": {"mode": "normal"}}


def _colour_and_tariff(field: str) -> tuple[str, str]:
    """``blue_hc_energy_wh`` -> (``BLUE``, ``HC``)."""
    colour, tariff = field.split("_")[:2]
    return colour.upper(), tariff.upper()


def series_name(colour: str, what: str) -> str:
    """``blue HC``, ``red kWh``, ``white €``: the names the panels show."""
    return f"{colour.lower()} {what}"


def by_colour(kinds: tuple[str, ...], group: str) -> str:
    """For each kind (``energy_wh``, ``cost_eur``), each colour's HC plus HP from the daily
    points: one subquery per field, a colour's two fields under one name."""
    sources, select = [], []
    for kind in kinds:
        fields, unit, scale = KINDS[kind]
        for field in fields:
            colour, _ = _colour_and_tariff(field)
            sources.append(
                f"(SELECT {q(field)} AS {q(f'{colour.lower()}_{kind}')} FROM {q(s.DAILY)} "
                f"WHERE {where(direction=CONSUMPTION)})"
            )
        select += [
            f"sum({q(f'{c.lower()}_{kind}')}){scale} AS {q(series_name(c, unit))}" for c in COLOURS
        ]
    return f"SELECT {', '.join(select)} FROM {', '.join(sources)} WHERE $timeFilter {group}"


def calendar_query() -> str:
    """The colour code of each Paris day's Tempo day (stamped at its 06:00); a day without
    one is null, never the day before's colour drawn over it."""
    return (
        f"SELECT last({q(s.FIELD_TEMPO_CODE)}) AS {q('Tempo day')} FROM {q(s.TEMPO)} "
        f"WHERE $timeFilter GROUP BY time(1d) tz('{TIMEZONE}')"
    )


def energy_query() -> str:
    """Each day's energy per colour and tariff, in kWh (six series)."""
    select = ", ".join(
        f"sum({q(field)}) / 1000 AS {q(series_name(*_colour_and_tariff(field)))}"
        for field in s.FIELD_TEMPO_ENERGY_WH
    )
    return f"SELECT {select} FROM {q(s.DAILY)} WHERE {where(direction=CONSUMPTION)} {by_day()}"


def season_query() -> str:
    """How many Tempo days of each colour the time range holds."""
    return (
        f"SELECT count({q(s.FIELD_TEMPO_CODE)}) AS {q('days')} FROM {q(s.TEMPO)} "
        f"WHERE $timeFilter GROUP BY {q(s.TAG_COLOUR)}"
    )


def _mappings() -> list[dict[str, Any]]:
    """The codes as the colours' names, drawn in their colour."""
    options = {
        str(s.TEMPO_CODES[c]): {"text": c, "color": SHADES[c][""], "index": n}
        for n, c in enumerate(COLOURS)
    }
    unknown = {"match": "null", "result": {"text": "no colour written", "color": "transparent"}}
    return [{"type": "value", "options": options}, {"type": "special", "options": unknown}]


def _overrides(names: dict[str, str]) -> list[dict[str, Any]]:
    return [
        {
            "matcher": {"id": "byName", "options": name},
            "properties": [{"id": "color", "value": {"fixedColor": colour, "mode": "fixed"}}],
        }
        for name, colour in names.items()
    ]


DAYS_NOTE = (
    " Days are Paris calendar days: a day's night until 06:00 belongs to the day before's "
    "Tempo colour (off-peak), so one day can hold two colours."
)


def tempo_row(top: int) -> Panel:
    """The collapsed row "Tempo" at grid row ``top``, its panels below it."""
    y = top + 1
    panels = [
        panel(
            "state-timeline",
            "Tempo calendar",
            [target(calendar_query(), alias="Tempo day")],
            (0, y, 18, 5),
            description="The colour of each Tempo day of the time range, drawn over its "
            "calendar day: a Tempo day starts at 06:00 and runs until 06:00 the next day. "
            "From `linky_tempo` (the same calendar for every usage point), written for the "
            "days whose load curve linkyflux priced; an empty day has none written.",
            options={
                "mergeValues": False,
                "showValue": "auto",
                "alignValue": "center",
                "rowHeight": 0.9,
                "legend": {"showLegend": True, "displayMode": "list", "placement": "bottom"},
                "tooltip": {"mode": "single", "sort": "none"},
            },
            custom={"fillOpacity": 90, "lineWidth": 1},
            mappings=_mappings(),
        ),
        panel(
            "stat",
            "Tempo season so far (since 1 September): days per colour",
            [target(season_query(), alias="$tag_colour")],
            (18, y, 6, 5),
            description="The Tempo days of each colour from 1 September (the season runs "
            "1 September to 31 August: 22 red and 43 white days) to now, as linkyflux wrote "
            "them in `linky_tempo`: the days its load curve covers, so fewer when linkyflux "
            "started during the season.",
            options={
                "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
                "colorMode": "background",
                "graphMode": "none",
                "textMode": "value_and_name",
            },
            overrides=_overrides({c: SHADES[c][""] for c in COLOURS}),
            timeFrom=SEASON_START,
            # Grafana would title the range "Last 8 months" (it reads the first step only):
            # the title says what it is instead.
            hideTimeOverride=True,
        ),
        panel(
            "timeseries",
            "Tempo: daily energy per colour",
            [target(energy_query(), alias="$col")],
            (0, y + 5, 24, 9),
            unit="kwatth",
            description="Each day's complete load curve by Tempo colour and tariff (HC "
            "22:00-06:00, HP 06:00-22:00), stacked." + DAYS_NOTE,
            custom=BARS,
            overrides=_overrides(
                {
                    series_name(c, tariff): SHADES[c][tariff]
                    for c in COLOURS
                    for tariff in ("HC", "HP")
                }
            ),
        ),
        panel(
            "timeseries",
            "Tempo: daily cost per colour",
            [target(by_colour(("cost_eur",), by_day()), alias="$col")],
            (0, y + 14, 24, 8),
            unit="currencyEUR",
            description="Each day's energy cost by Tempo colour (HC and HP together), at the "
            "configured prices of each colour (subscription apart)." + DAYS_NOTE,
            custom=BARS,
            overrides=_overrides({series_name(c, "€"): SHADES[c][""] for c in COLOURS}),
        ),
        panel(
            "table",
            "Tempo: calendar months per colour",
            [target(by_colour(("energy_wh", "cost_eur"), BY_MONTH), table=True)],
            (0, y + 22, 24, 10),
            description="Energy and cost per Tempo colour (HC and HP together) of each "
            f"calendar month, from the daily points' `{s.TAG_MONTH}` tag (Europe/Paris). A "
            "month's first night until 06:00 is at the colour of the month before's last day.",
            transformations=[HIDE_TIME],
            options={"showHeader": True, "sortBy": [{"displayName": s.TAG_MONTH, "desc": True}]},
        ),
    ]
    return {
        "type": "row",
        "title": TITLE,
        "collapsed": True,
        "gridPos": {"x": 0, "y": top, "w": 24, "h": 1},
        "panels": panels,
    }
