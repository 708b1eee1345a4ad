"""The Grafana dashboards in ``grafana/``, generated from :mod:`linkyflux.sinks.schema`.

    python -m linkyflux.grafana.dashboards          # rewrite grafana/dashboards/*.json
    python -m linkyflux.grafana.dashboards --check  # exit 1 if they are not up to date

Every query names measurements, tags and fields through the schema constants the writer
uses, so renaming one changes the dashboards too (and a test checks the committed JSON is
what this module generates). Choices that keep the numbers right:

- InfluxQL only (InfluxDB 1.x; 2.x through a DBRP mapping; 3.x), built-in panels only, the
  dashboard time zone is Europe/Paris.
- Energy is summed from ``energy_wh`` fields, never from power.
- Calendar months and years come from the ``month`` and ``year`` tags of the daily points
  (``GROUP BY "month"``): InfluxQL's ``GROUP BY time()`` cannot cut calendar months.
- Days are cut with ``GROUP BY time(1d) tz('Europe/Paris')``; daily points are stamped at
  the local midnight that starts their day.
- Stats of a past period use Grafana's relative time and time shift with rounding
  (``now/d`` shifted by ``1d/d`` is exactly yesterday; by ``1y-1d/d``, the same day a year
  before), so a comparison covers exactly the same calendar period.
- Costs come from the ``cost_eur`` written with each point (prices dated in the config),
  never from dashboard constants.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from linkyflux.sinks import schema as s

TIMEZONE = "Europe/Paris"
DATASOURCE = {"type": "influxdb", "uid": "${datasource}"}
GRAFANA_DIR = Path(__file__).resolve().parents[2] / "grafana"  # the repository's, not ours
HC_COLOUR, HP_COLOUR, BASE_COLOUR, PRODUCTION_COLOUR = "blue", "orange", "green", "yellow"

Panel = dict[str, Any]


def _q(name: str) -> str:
    """A quoted InfluxQL identifier."""
    return f'"{name}"'


def _where(direction: str | None = "consumption") -> str:
    """The usage points picked in the dashboard, a direction, the time."""
    parts = [f"{_q(s.TAG_USAGE_POINT)} =~ /^$usage_point$/"]
    if direction is not None:
        parts.append(f"{_q(s.TAG_DIRECTION)} = '{direction}'")
    return " AND ".join([*parts, "$timeFilter"])


def _kwh(field: str, alias: str) -> str:
    return f"sum({_q(field)}) / 1000 AS {_q(alias)}"


def _daily(select: str, *, direction: str | None = "$direction", group: str = "") -> str:
    query = f"SELECT {select} FROM {_q(s.DAILY)} WHERE {_where(direction=direction)}"
    return f"{query} {group}".strip()


HIDE_TIME = {"id": "organize", "options": {"excludeByName": {"Time": True}}}  # in tables


def _by_day(*tags: str) -> str:
    """Per Paris day (and per tag)."""
    return f"GROUP BY {', '.join(['time(1d)', *map(_q, tags)])} fill(none) tz('{TIMEZONE}')"


BY_DAY = _by_day()
ENERGY = _kwh(s.FIELD_ENERGY_WH, "kWh")
COST = f"sum({_q(s.FIELD_COST_EUR)}) AS {_q('€')}"
SPLIT = ", ".join(
    _kwh(field, tariff)
    for field, tariff in (
        (s.FIELD_HC_ENERGY_WH, "HC"),
        (s.FIELD_HP_ENERGY_WH, "HP"),
        (s.FIELD_BASE_ENERGY_WH, "BASE"),
    )
)


def _target(query: str, ref: str = "A", *, table: bool = False, alias: str = "") -> dict[str, Any]:
    target: dict[str, Any] = {
        "datasource": DATASOURCE,
        "query": query,
        "rawQuery": True,
        "refId": ref,
        "resultFormat": "table" if table else "time_series",
    }
    if alias:
        target["alias"] = alias
    return target


def _colour(name: str, colour: str) -> dict[str, Any]:
    return {
        "matcher": {"id": "byRegexp", "options": f"/{name}$/"},
        "properties": [{"id": "color", "value": {"fixedColor": colour, "mode": "fixed"}}],
    }


TARIFF_COLOURS = [
    _colour("HC", HC_COLOUR),
    _colour("HP", HP_COLOUR),
    _colour("BASE", BASE_COLOUR),
    _colour("production", PRODUCTION_COLOUR),
]


def _panel(
    kind: str,
    title: str,
    targets: list[dict[str, Any]],
    grid: tuple[int, int, int, int],
    *,
    unit: str = "",
    description: str = "",
    options: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
    overrides: list[dict[str, Any]] | None = None,
    thresholds: dict[str, Any] | None = None,
    **extra: Any,
) -> Panel:
    x, y, w, h = grid
    defaults: dict[str, Any] = {"unit": unit} if unit else {}
    if custom:
        defaults["custom"] = custom
    if thresholds:
        defaults["thresholds"] = thresholds
    panel: Panel = {
        "type": kind,
        "title": title,
        "description": description,
        "datasource": DATASOURCE,
        "gridPos": {"x": x, "y": y, "w": w, "h": h},
        "targets": targets,
        "fieldConfig": {"defaults": defaults, "overrides": overrides or []},
        "options": options or {},
    }
    panel.update(extra)
    return panel


def _stat(
    title: str,
    query: str,
    grid: tuple[int, int, int, int],
    unit: str,
    *,
    time_from: str = "",
    time_shift: str = "",
    description: str = "",
) -> Panel:
    extra: dict[str, Any] = {}
    if time_from:
        extra["timeFrom"] = time_from
    if time_shift:
        extra["timeShift"] = time_shift
    options = {
        "reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False},
        "colorMode": "none",
        "graphMode": "none",
        "textMode": "value",
    }
    return _panel(
        "stat",
        title,
        [_target(query)],
        grid,
        unit=unit,
        description=description,
        options=options,
        **extra,
    )


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
            f"sum({_q(s.FIELD_SUBSCRIPTION_EUR)}) AS {_q('subscription €')}",
        ]
    )
    query = _daily(select, group=f"GROUP BY {_q(group)}")
    return _panel(
        "table",
        title,
        [_target(query, table=True)],
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
        ("energy", _daily(ENERGY), "kwatth", ""),
        ("cost", _daily(COST), "currencyEUR", cost_note),
    )
    panels: list[Panel] = [
        _stat(
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
        _stat(
            "This month so far: energy", _daily(ENERGY), (0, 8, 4, 4), "kwatth", time_from="now/M"
        ),
        _stat(
            "This month so far: cost", _daily(COST), (4, 8, 4, 4), "currencyEUR", time_from="now/M"
        ),
        _stat(
            "This year so far: energy", _daily(ENERGY), (8, 8, 4, 4), "kwatth", time_from="now/y"
        ),
        _stat(
            "This year so far: cost", _daily(COST), (12, 8, 4, 4), "currencyEUR", time_from="now/y"
        ),
        _panel(
            "stat",
            "Last month: HC / HP",
            [_target(_daily(SPLIT), alias="$col")],
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
        _panel(
            "timeseries",
            "Daily energy",
            [
                _target(_daily(SPLIT, group=BY_DAY)),
                _target(_daily(ENERGY, group=BY_DAY), "B", alias="daily energy (Enedis)"),
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
        _panel(
            "barchart",
            "Calendar months: HC / HP",
            [_target(_daily(SPLIT, group=f"GROUP BY {_q(s.TAG_MONTH)}"), table=True)],
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
    ]
    return _dashboard(
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
    select = ", ".join(f"last({_q(f)}){scale} AS {_q(name)}" for f, name, scale in fields)
    query = (
        f"SELECT {select} FROM {_q(s.SYNC)} WHERE {_where(direction=None)} "
        f"GROUP BY {_q(s.TAG_USAGE_POINT)}, {_q(s.TAG_DIRECTION)}, {_q(s.TAG_SERIES)}"
    )
    return _panel(
        "table",
        "Data health",
        [_target(query, table=True)],
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


def _curve_power(direction: str) -> str:
    inner = (
        f"SELECT mean({_q(s.FIELD_POWER_W)}) AS {_q('p')} FROM {_q(s.LOAD_CURVE)} "
        f"WHERE {_where(direction=direction)} "
        f"GROUP BY time($__interval), {_q(s.TAG_USAGE_POINT)}, {_q(s.TAG_TARIFF)}"
    )
    return (
        f"SELECT sum({_q('p')}) FROM ({inner}) WHERE $timeFilter "
        f"GROUP BY time($__interval), {_q(s.TAG_TARIFF)} fill(none)"
    )


def _subscribed_power() -> str:
    """The latest subscribed power (VA) of the usage points picked, summed: one value, whatever
    the time range (the contract is read now, it has no history)."""
    latest = (
        f"SELECT last({_q(s.FIELD_SUBSCRIBED_KVA)}) AS {_q('kva')} FROM {_q(s.CONTRACT)} "
        f"WHERE {_q(s.TAG_USAGE_POINT)} =~ /^$usage_point$/ GROUP BY {_q(s.TAG_USAGE_POINT)}"
    )
    return f"SELECT sum({_q('kva')}) * 1000 AS {_q('subscribed')} FROM ({latest})"


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
        f"SELECT max({_q(s.FIELD_POWER_VA)}) FROM {_q(s.MAX_POWER)} WHERE {_where()} "
        f"{_by_day(s.TAG_USAGE_POINT)}"
    )
    subscribed = (
        " The dashed line is the subscribed power (kVA read as kW; with several usage "
        "points, their total)."
    )
    panels = [
        _panel(
            "timeseries",
            "Load curve: average power, by tariff",
            [
                _target(_curve_power("$direction"), alias="$tag_tariff"),
                _target(_subscribed_power(), "B", table=True),
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
        _panel(
            "timeseries",
            "Daily max power and subscribed power",
            [
                _target(max_power, alias="$tag_usage_point_id"),
                _target(_subscribed_power(), "B", table=True),
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
    return _dashboard(
        "linkyflux-power",
        "Linky: power",
        panels,
        time_from="now-7d",
        description="The half-hour load curve by tariff, daily max power, subscribed power.",
        direction_variable=True,
    )


def production_dashboard() -> dict[str, Any]:
    both = _by_day(s.TAG_DIRECTION)
    last_month = {"time_from": "now/M", "time_shift": "1M/M"}
    exported, imported = (
        _daily(ENERGY, direction="production"),
        _daily(ENERGY, direction="consumption"),
    )
    sold = _daily(COST, direction="production")
    panels = [
        _stat("Last month: exported", exported, (0, 0, 6, 4), "kwatth", **last_month),
        _stat(
            "Last month: sold for",
            sold,
            (6, 0, 6, 4),
            "currencyEUR",
            description="Exported energy at the configured production price.",
            **last_month,
        ),
        _stat("Last month: imported", imported, (12, 0, 6, 4), "kwatth", **last_month),
        _stat("This year so far: exported", exported, (18, 0, 6, 4), "kwatth", time_from="now/y"),
        _panel(
            "timeseries",
            "Daily import and export",
            [_target(_daily(ENERGY, direction=None, group=both), alias="$tag_direction")],
            (0, 4, 24, 9),
            unit="kwatth",
            custom={"drawStyle": "bars", "fillOpacity": 70},
            overrides=[_colour("consumption", HP_COLOUR), _colour("production", PRODUCTION_COLOUR)],
        ),
        _panel(
            "timeseries",
            "Load curve: exported power",
            [_target(_curve_power("production"), alias="exported $tag_tariff")],
            (0, 13, 24, 9),
            unit="watt",
            custom={"drawStyle": "line", "fillOpacity": 30},
            interval="30m",
        ),
        _panel(
            "table",
            "Calendar months: import and export",
            [
                _target(
                    _daily(
                        f"{ENERGY}, {COST}",
                        direction=None,
                        group=f"GROUP BY {_q(s.TAG_MONTH)}, {_q(s.TAG_DIRECTION)}",
                    ),
                    table=True,
                )
            ],
            (0, 22, 14, 10),
            transformations=[HIDE_TIME],
            options={"showHeader": True, "sortBy": [{"displayName": s.TAG_MONTH, "desc": True}]},
        ),
        _panel(
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
    return _dashboard(
        "linkyflux-production",
        "Linky: production",
        panels,
        time_from="now-13M/M",
        description="Exported (sold) and imported energy of producing usage points.",
    )


def _variables(direction: bool) -> list[dict[str, Any]]:
    usage_points = f"SHOW TAG VALUES FROM {_q(s.DAILY)} WITH KEY = {_q(s.TAG_USAGE_POINT)}"
    variables: list[dict[str, Any]] = [
        {
            "name": "datasource",
            "label": "Data source",
            "type": "datasource",
            "query": "influxdb",
            "current": {},
            "hide": 0,
            "refresh": 1,
            "regex": "",
            "options": [],
        },
        {
            "name": "usage_point",
            "label": "Usage point",
            "type": "query",
            "datasource": DATASOURCE,
            "query": usage_points,
            "definition": usage_points,
            "multi": True,
            "includeAll": True,
            "current": {},
            "hide": 0,
            "refresh": 1,
            "sort": 1,
            "regex": "",
            "options": [],
        },
    ]
    if direction:
        variables.append(
            {
                "name": "direction",
                "label": "Direction",
                "type": "custom",
                "query": "consumption,production",
                "current": {"text": "consumption", "value": "consumption"},
                "options": [
                    {"text": d, "value": d, "selected": d == "consumption"}
                    for d in ("consumption", "production")
                ],
                "hide": 0,
                "multi": False,
                "includeAll": False,
            }
        )
    return variables


def _dashboard(
    uid: str,
    title: str,
    panels: list[Panel],
    *,
    time_from: str,
    description: str,
    direction_variable: bool = False,
) -> dict[str, Any]:
    for n, panel in enumerate(panels, 1):
        panel["id"] = n
    kinds = sorted({p["type"] for p in panels})
    return {
        "__inputs": [
            {
                "name": "DS_INFLUXDB",
                "label": "InfluxDB (InfluxQL)",
                "description": "The InfluxDB data source linkyflux writes to",
                "type": "datasource",
                "pluginId": "influxdb",
                "pluginName": "InfluxDB",
            }
        ],
        "__requires": [
            {"type": "grafana", "id": "grafana", "name": "Grafana", "version": "10.0.0"},
            {"type": "datasource", "id": "influxdb", "name": "InfluxDB", "version": "1.0.0"},
            *({"type": "panel", "id": kind, "name": kind, "version": ""} for kind in kinds),
        ],
        "uid": uid,
        "title": title,
        "description": description,
        "tags": ["linky", "linkyflux"],
        "timezone": TIMEZONE,
        "weekStart": "monday",
        "time": {"from": time_from, "to": "now"},
        "timepicker": {},
        "refresh": "",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": 39,
        "version": 1,
        "links": [
            {
                "title": "Linky dashboards",
                "type": "dashboards",
                "tags": ["linkyflux"],
                "asDropdown": True,
                "includeVars": True,
                "keepTime": True,
            }
        ],
        "annotations": {"list": []},
        "templating": {"list": _variables(direction_variable)},
        "panels": panels,
    }


DASHBOARDS = {
    "linkyflux-energy.json": energy_dashboard,
    "linkyflux-power.json": power_dashboard,
    "linkyflux-production.json": production_dashboard,
}


def render() -> dict[str, str]:
    """File name -> JSON text of every dashboard."""
    return {
        name: json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
        for name, build in DASHBOARDS.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m linkyflux.grafana.dashboards", description=__doc__
    )
    parser.add_argument("--check", action="store_true", help="only check they are up to date")
    parser.add_argument("--dir", type=Path, default=GRAFANA_DIR / "dashboards")
    args = parser.parse_args(argv)
    stale = []
    for name, text in render().items():
        path = args.dir / name
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path)
        if not args.check:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    for path in stale:
        print(f"{path}: {'out of date' if args.check else 'written'}")
    return 1 if args.check and stale else 0


if __name__ == "__main__":
    sys.exit(main())
