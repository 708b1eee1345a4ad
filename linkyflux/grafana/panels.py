"""The Grafana JSON around the queries: targets, panels, stats, colours, the template
variables and the dashboard frame (Europe/Paris, the InfluxDB data source asked for on import,
the links between the linkyflux dashboards). Built-in panels only.
"""

from __future__ import annotations

from typing import Any

from linkyflux.grafana.influxql import TIMEZONE, q
from linkyflux.sinks import schema as s

DATASOURCE = {"type": "influxdb", "uid": "${datasource}"}
HC_COLOUR, HP_COLOUR, BASE_COLOUR, PRODUCTION_COLOUR = "blue", "orange", "green", "yellow"
HIDE_TIME = {"id": "organize", "options": {"excludeByName": {"Time": True}}}  # in tables

Panel = dict[str, Any]


def target(query: str, ref: str = "A", *, table: bool = False, alias: str = "") -> dict[str, Any]:
    """A panel's raw InfluxQL query, read as a time series or a table."""
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


def colour(name: str, fixed: str) -> dict[str, Any]:
    """An override giving the series whose name ends with ``name`` a fixed colour."""
    return {
        "matcher": {"id": "byRegexp", "options": f"/{name}$/"},
        "properties": [{"id": "color", "value": {"fixedColor": fixed, "mode": "fixed"}}],
    }


TARIFF_COLOURS = [
    colour("HC", HC_COLOUR),
    colour("HP", HP_COLOUR),
    colour("BASE", BASE_COLOUR),
    colour("production", PRODUCTION_COLOUR),
]


def panel(
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
    mappings: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> Panel:
    """A panel at ``grid`` (x, y, width, height); ``extra`` keys go to the panel as they are."""
    x, y, w, h = grid
    defaults: dict[str, Any] = {"unit": unit} if unit else {}
    if custom:
        defaults["custom"] = custom
    if thresholds:
        defaults["thresholds"] = thresholds
    if mappings:
        defaults["mappings"] = mappings
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


def stat(
    title: str,
    query: str,
    grid: tuple[int, int, int, int],
    unit: str,
    *,
    time_from: str = "",
    time_shift: str = "",
    description: str = "",
) -> Panel:
    """One number, optionally over a relative time (``time_from``) shifted by ``time_shift``."""
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
    return panel(
        "stat",
        title,
        [target(query)],
        grid,
        unit=unit,
        description=description,
        options=options,
        **extra,
    )


def _variables(direction: bool) -> list[dict[str, Any]]:
    usage_points = f"SHOW TAG VALUES FROM {q(s.DAILY)} WITH KEY = {q(s.TAG_USAGE_POINT)}"
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


def dashboard(
    uid: str,
    title: str,
    panels: list[Panel],
    *,
    time_from: str,
    description: str,
    direction_variable: bool = False,
) -> dict[str, Any]:
    """The dashboard around ``panels`` (numbered in order, a row's panels after it), with
    ``$direction`` if asked."""
    every = [p for panel in panels for p in (panel, *panel.get("panels", []))]
    for n, panel in enumerate(every, 1):
        panel["id"] = n
    kinds = sorted({p["type"] for p in every} - {"row"})  # a row is no plugin
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
