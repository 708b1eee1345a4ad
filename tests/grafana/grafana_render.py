"""What Grafana does to a panel's InfluxQL before sending it, so tests can run the real query.

No Grafana runs here, so this reproduces, for the features the shipped dashboards use:

- date math (``now-13M/M``, ``now/d``; ``+``/``-`` steps and ``/unit`` rounding, in the
  dashboard's time zone, months and years by the calendar as moment.js does);
- a panel's relative time (``timeFrom``: from that expression to ``now``) and time shift
  (``timeShift``: ``-<shift>`` applied to both ends, rounding ``from`` down and ``to`` up);
- ``$timeFilter`` as the InfluxDB data source writes it (``time >= <ms>ms and time <= <ms>ms``,
  ``now()`` for a raw ``now``: here the fixed "now" in milliseconds);
- ``$__interval`` (the range over the panel's data points, rounded as Grafana rounds it,
  never under the panel's ``interval``);
- template variables, a multi-value one as a regex alternation ``(a|b)``;
- the transformations that combine two queries' series (``joinByField`` on ``Time``, inner
  or outer, then ``calculateField`` in binary mode), on series keyed by their display name.

Sources: Grafana's ``dateMath.ts``, ``rangeutil.ts`` (``describeTextRange``,
``calculateInterval``, ``roundInterval``), ``panel.ts`` (``applyPanelTimeOverrides``), the
InfluxDB data source's ``getTimeFilter``, and the ``joinByField`` and ``calculateField``
transformers of ``@grafana/data``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from linkyflux.timeutil import PARIS

_UNITS = {
    "s": relativedelta(seconds=1),
    "m": relativedelta(minutes=1),
    "h": relativedelta(hours=1),
    "d": relativedelta(days=1),
    "w": relativedelta(weeks=1),
    "M": relativedelta(months=1),
    "y": relativedelta(years=1),
}


def _start_of(instant: datetime, unit: str) -> datetime:
    local = instant.astimezone(PARIS)
    if unit == "y":
        local = local.replace(month=1, day=1)
    if unit in "yM":
        local = local.replace(day=1)
    if unit in "yMd":
        return datetime(local.year, local.month, local.day, tzinfo=PARIS)
    if unit == "h":
        return local.replace(minute=0, second=0, microsecond=0)
    raise ValueError(f"rounding to {unit!r} is not used by the dashboards")


def date_math(text: str, now: datetime, *, round_up: bool = False) -> datetime:
    """``now-1y-1d/d`` and friends, as Grafana's ``dateMath.parse``."""
    if not text.startswith("now"):
        raise ValueError(f"only relative times are used: {text!r}")
    return apply_math(text[3:], now, round_up=round_up)


def apply_math(math: str, instant: datetime, *, round_up: bool) -> datetime:
    for op, number, unit in re.findall(r"([-+/])(\d*)([smhdwMy])", math):
        if op == "/":
            start = _start_of(instant, unit)
            instant = start + _UNITS[unit] - timedelta(milliseconds=1) if round_up else start
        else:
            step = _UNITS[unit] * int(number or 1)
            local = instant.astimezone(PARIS)
            instant = local + step if op == "+" else local - step
    if re.sub(r"([-+/])(\d*)([smhdwMy])", "", math):
        raise ValueError(f"not date math: {math!r}")
    return instant


@dataclass(frozen=True)
class TimeRange:
    start: datetime
    end: datetime

    def filter(self) -> str:
        return f"time >= {_ms(self.start)}ms and time <= {_ms(self.end)}ms"


def _ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


def panel_range(dashboard: dict[str, Any], panel: dict[str, Any], now: datetime) -> TimeRange:
    """The panel's time range: the dashboard's, or its relative time, then its time shift."""
    raw_from = panel.get("timeFrom") or dashboard["time"]["from"]
    if not raw_from.startswith("now"):
        raw_from = "now-" + raw_from
    raw_to = "now" if panel.get("timeFrom") else dashboard["time"]["to"]
    start = date_math(raw_from, now)
    end = date_math(raw_to, now, round_up=True)
    shift = panel.get("timeShift")
    if not shift:
        return TimeRange(start, end)
    return TimeRange(
        apply_math("-" + shift, start, round_up=False),
        apply_math("-" + shift, end, round_up=True),
    )


# Grafana's roundInterval: (upper bound in ms, interval in ms)
_ROUNDED = [
    (45000, 30000),
    (90000, 60000),
    (210000, 120000),
    (450000, 300000),
    (750000, 600000),
    (1050000, 900000),
    (1500000, 1200000),
    (2700000, 1800000),
    (5400000, 3600000),
    (9000000, 7200000),
    (16200000, 10800000),
    (32400000, 21600000),
    (86400000, 43200000),
    (604800000, 86400000),
    (1814400000, 604800000),
    (3628800000, 2592000000),
]


def interval(time_range: TimeRange, panel: dict[str, Any], max_data_points: int = 1000) -> str:
    raw = (time_range.end - time_range.start).total_seconds() * 1000 / max_data_points
    rounded = next((value for bound, value in _ROUNDED if raw < bound), 31536000000)
    low = _parse_duration_ms(panel.get("interval", "1s"))
    return _format_ms(max(rounded, low))


def _parse_duration_ms(text: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([smhdw])", text).groups()  # type: ignore[union-attr]
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return int(number) * seconds * 1000


def _format_ms(ms: int) -> str:
    for unit, size in (("w", 604800000), ("d", 86400000), ("h", 3600000), ("m", 60000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms // 1000}s"


def render(
    query: str,
    dashboard: dict[str, Any],
    panel: dict[str, Any],
    now: datetime,
    variables: dict[str, str | list[str]],
) -> str:
    """The query as Grafana sends it to InfluxDB."""
    time_range = panel_range(dashboard, panel, now)
    query = query.replace("$timeFilter", time_range.filter())
    query = query.replace("$__interval", interval(time_range, panel))
    for name, value in sorted(variables.items(), key=lambda kv: -len(kv[0])):
        text = f"({'|'.join(map(re.escape, value))})" if isinstance(value, list) else value
        query = query.replace(f"${{{name}}}", text).replace(f"${name}", text)
    if re.search(r"\$(?!tag_)[\w{]", query):
        raise ValueError(f"unsubstituted variable in {query!r}")
    return query


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel of a dashboard, those of its rows (collapsed or not) too."""
    return [p for panel in dashboard["panels"] for p in (panel, *panel.get("panels", []))]


def targets(dashboard: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Every (panel, target) of a dashboard (a row has none)."""
    return [(panel, target) for panel in panels(dashboard) for target in panel.get("targets", [])]


Frame = dict[int, dict[str, float | None]]  # time (s) -> display name -> value

_BINARY: dict[str, Callable[[float, float], float]] = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
}


def transform(frames: dict[str, dict[int, float | None]], steps: list[dict[str, Any]]) -> Frame:
    """Apply a panel's transformations to its series (display name -> time -> value): the
    series joined on time, then each calculated field added to every row. A value a row has
    not (outer join) is None, and so is any arithmetic on it (NaN, drawn as nothing)."""
    rows: Frame | None = None
    for step in steps:
        options = step["options"]
        if step["id"] == "joinByField":
            if options.get("byField", "Time") != "Time":
                raise ValueError(f"only a join on Time is reproduced: {options!r}")
            times = [set(series) for series in frames.values()]
            mode = options.get("mode", "outer")
            if mode not in ("inner", "outer"):
                raise ValueError(f"join mode {mode!r} is not reproduced")
            keep = set.intersection(*times) if mode == "inner" else set.union(*times)
            rows = {t: {name: s.get(t) for name, s in frames.items()} for t in sorted(keep)}
        elif step["id"] == "calculateField":
            if rows is None or options.get("mode") != "binary":
                raise ValueError(f"only a binary calculation after a join is reproduced: {step}")
            binary = options["binary"]
            operation = _BINARY[binary["operator"]]
            default = f"{binary['left']} {binary['operator']} {binary['right']}"
            alias = options.get("alias") or default
            for row in rows.values():
                left, right = _operand(row, binary["left"]), _operand(row, binary["right"])
                value = None if left is None or right is None else operation(left, right)
                if options.get("replaceFields"):
                    row.clear()
                row[alias] = value
        else:
            raise ValueError(f"transformation {step['id']!r} is not reproduced")
    if rows is None:
        raise ValueError("no join: the series stay apart")
    return rows


def _operand(row: dict[str, float | None], name: str) -> float | None:
    """A field of the row by its display name, or a number written as the operand."""
    if name in row:
        return row[name]
    try:
        return float(name)
    except ValueError:
        raise ValueError(f"no field {name!r} among {sorted(row)}") from None
