"""Preview pictures of the Grafana dashboards, drawn from the dashboards' own queries.

This is NOT a Grafana screenshot: no Grafana runs here. It is a preview rendered by this
script from the real panel queries, run against demo data:

1. simulator data (tests/simenv.py: the meters and prices of
   tests/grafana/test_dashboards.py, a fake clock at 2026-11-22 09:00 Europe/Paris) is
   backfilled since 2024-01-01 through the real CLI into a fresh database of the InfluxDB
   1.x at ``$INFLUX1_URL``;
2. every panel query of every dashboard in ``linkyflux.grafana.dashboards.DASHBOARDS`` is
   rendered as Grafana would send it (tests/grafana/grafana_render.py; usage_point = all
   meters, direction = consumption) and executed;
3. each dashboard becomes one hand-written SVG, ``grafana/previews/<name>.svg``, its panels laid
   out by their gridPos (stat, timeseries, barchart, table and text panels, roughly styled as
   Grafana's dark theme; a collapsed row as its title, its panels not drawn, as Grafana
   shows it). The database is dropped at the end.

    bash -c 'source scripts/tsdb.sh && tsdb_up >/dev/null && \\
             /tmp/venv/bin/python scripts/render_previews.py'
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import sys
import tempfile
import textwrap
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from linkyflux.grafana import dashboards
from linkyflux.timeutil import PARIS

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the helpers the dashboard tests use
sys.path.insert(0, str(ROOT / "tests" / "grafana"))
from test_dashboards import METERS, PRICES  # noqa: E402

import grafana_render  # noqa: E402
from conftest import influx_query  # noqa: E402
from simenv import world  # noqa: E402

OUT = ROOT / "grafana" / "previews"
COL, ROW, GAP, TOP = 50, 30, 4, 56  # px per grid column / row, gap between panels, header
BG, PANEL, BORDER, TEXT, DIM = "#111217", "#181b1f", "#2c3235", "#ccccdc", "#8e8e99"
FONT = "Inter, Helvetica, Arial, sans-serif"
COLOURS = {
    "green": "#73BF69",
    "yellow": "#FADE2A",
    "blue": "#5794F2",
    "orange": "#FF9830",
    "red": "#F2495C",
    "purple": "#B877D9",
}
PALETTE = ["#73BF69", "#FADE2A", "#6ED0E0", "#EF843C", "#E24D42", "#1F78C1", "#BA43A9"]
Field = dict[str, Any]  # {"name": display name, "points": [(ms, value), ...]}
Panel = dict[str, Any]
Row = dict[str, Any]
Series = dict[str, Any]  # one series of an InfluxQL answer
Results = list[tuple[dict[str, Any], list[Series]]]  # (target, its series) of a panel
Box = tuple[float, float, float, float]  # x, y, w, h


# -- data ----------------------------------------------------------------------------------


def query(url: str, db: str | None, q: str) -> list[Series]:
    """Times in milliseconds, as Grafana asks for them; a long timeout for years of data."""
    return influx_query(url, q, db, epoch="ms", timeout=120)


def load(url: str, db: str, home: Path) -> datetime:
    """Backfill simulator data (the meters and prices of tests/grafana/test_dashboards.py)
    into ``db``; return "now"."""
    with world(home) as w:  # now: 2026-11-22 09:00 Europe/Paris
        w.consent = tuple(METERS)
        config = w.config(
            influxdb={"api": "v1", "url": url, "database": db, "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        config.write_text(config.read_text() + PRICES)
        for args in (["auth"], ["backfill", "--since", "2024-01-01", "-q"]):
            result = w.run(*args)
            if result.exit_code != 0:
                raise RuntimeError(f"linkyflux {' '.join(args)} failed:\n{result.output}")
        return w.clock.now()


def series_name(series: Series, column: str, alias: str) -> str:
    """The display name Grafana's InfluxQL data source gives a series' column."""
    tags = series.get("tags") or {}
    if alias:
        name = re.sub(r"\$tag_(\w+)", lambda m: str(tags.get(m[1], "")), alias)
        return name.replace("$col", column).replace("$measurement", series["name"])
    text = ", ".join(f"{k}: {v}" for k, v in tags.items())
    return f"{series['name']}.{column}" + (f" {{{text}}}" if text else "")


def fields(results: Results) -> list[Field]:
    out = []
    for target, series_list in results:
        for series in series_list:
            for i, column in enumerate(series["columns"][1:], 1):
                points = [(row[0], row[i]) for row in series["values"] if row[i] is not None]
                name = series_name(series, column, target.get("alias", ""))
                out.append({"name": name, "points": points})
    return out


def table(results: Results) -> list[Row]:
    """Rows as Grafana's table format builds them: the tags, then the columns."""
    rows = []
    for _, series_list in results:
        for series in series_list:
            for values in series["values"]:
                row = dict(series.get("tags") or {})
                row.update(zip(series["columns"], values, strict=True))
                rows.append(row)
    return rows


def properties(panel: Panel, name: str, index: int) -> dict[str, Any]:
    """The field config of one field: defaults, palette colour, then the matching overrides."""
    config = panel["fieldConfig"]
    props: dict[str, Any] = {"color": PALETTE[index % len(PALETTE)]}
    props.update({f"custom.{k}": v for k, v in config["defaults"].get("custom", {}).items()})
    props["unit"] = config["defaults"].get("unit", "")
    for override in config["overrides"]:
        matcher = override["matcher"]
        option = matcher["options"]
        if matcher["id"] == "byName":
            hit = option == name
        else:
            hit = re.search(option.strip("/"), name) is not None
        for prop in override["properties"] if hit else []:
            value = prop["value"]
            if prop["id"] == "color":
                value = COLOURS.get(value["fixedColor"], value["fixedColor"])
            props[prop["id"]] = value
    return props


# -- formatting ------------------------------------------------------------------------------

SCALED = {"kwatth": ["kWh", "MWh", "GWh"], "watt": ["W", "kW", "MW"], "voltamp": ["VA", "kVA"]}


def number(value: float) -> str:
    digits = 0 if abs(value) >= 100 or value == 0 else 1 if abs(value) >= 10 else 2
    return f"{value:,.{digits}f}".replace(",", " ")


def fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return ""
    if not isinstance(value, int | float):
        return str(value)
    if unit == "currencyEUR":
        return f"{value:,.2f} €".replace(",", " ")
    if unit.startswith("dateTime"):
        return datetime.fromtimestamp(value / 1000, PARIS).strftime("%Y-%m-%d %H:%M")
    names = SCALED.get(unit)
    if names:
        step = 0
        while abs(value) >= 1000 and step + 1 < len(names):
            value, step = value / 1000, step + 1
        return f"{number(value)} {names[step]}"
    return f"{value:.2f}".rstrip("0").rstrip(".")


def fit(text: str, width: float, size: float) -> str:
    """The text, cut with an ellipsis to about ``width`` pixels."""
    chars = int(width / (size * 0.52))
    return text if len(text) <= chars else text[: max(chars - 1, 1)] + "…"


def plain(markdown: str) -> str:
    return re.sub(r"[*_`#]", "", markdown)


# -- SVG ---------------------------------------------------------------------------------------


class Svg:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def add(self, tag: str, text: str | None = None, **attrs: Any) -> None:
        attr = " ".join(
            f'{k.rstrip("_").replace("_", "-")}="{escape(str(v))}"' for k, v in attrs.items()
        )
        body = f">{escape(text)}</{tag}>" if text is not None else "/>"
        self.parts.append(f"<{tag} {attr}{body}")

    def text(self, x: float, y: float, text: str, size: float = 12, **attrs: Any) -> None:
        attrs.setdefault("fill", TEXT)
        self.add("text", text, x=f"{x:.1f}", y=f"{y:.1f}", font_size=f"{size:.1f}", **attrs)

    def rect(self, x: float, y: float, w: float, h: float, fill: str, **attrs: Any) -> None:
        box = {"x": x, "y": y, "width": max(w, 0), "height": max(h, 0)}
        self.add("rect", **{k: f"{v:.1f}" for k, v in box.items()}, fill=fill, **attrs)

    def document(self, width: int, height: int) -> str:
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="{FONT}">'
        )
        return "\n".join([head, *self.parts, "</svg>"]) + "\n"


def no_data(svg: Svg, x: float, y: float, w: float, h: float) -> None:
    svg.text(x + w / 2, y + h / 2, "No data", 14, fill=DIM, text_anchor="middle")


def legend(svg: Svg, items: list[tuple[str, str]], x: float, y: float, w: float) -> None:
    cx = x
    for name, colour in items:
        width = 22 + len(name) * 6.2
        if cx + width > x + w and cx > x:
            cx, y = x, y + 15
        svg.rect(cx, y - 8, 12, 4, colour, rx=1)
        svg.text(cx + 16, y - 2, name, 11)
        cx += width


def draw_stat(svg: Svg, panel: Panel, data: list[Field], box: Box) -> None:
    x, y, w, h = box
    values = [(f, f["points"][-1][1]) for f in data if f["points"]]
    if not values:
        no_data(svg, *box)
        return
    cell = w / len(values)
    coloured = panel["options"].get("colorMode") == "value"
    for i, (field, value) in enumerate(values):
        props = properties(panel, field["name"], i)
        text = fmt(value, props["unit"])
        size = min(h * 0.42, cell / (len(text) * 0.62 + 0.5), 40)
        cx = x + cell * (i + 0.5)
        label = fit(field["name"], cell - 8, 11)
        svg.text(cx, y + h * 0.3, label, 11, fill=DIM, text_anchor="middle")
        colour = props["color"] if coloured else TEXT
        value_y = y + h * 0.3 + 8 + size
        svg.text(cx, value_y, text, size, fill=colour, text_anchor="middle", font_weight="600")


def draw_timeseries(
    svg: Svg, panel: Panel, data: list[Field], box: Box, span: tuple[float, float]
) -> None:
    """``span``: the panel's time range, in ms."""
    x, y, w, h = box
    data = [f for f in data if f["points"]]
    if not data:
        no_data(svg, *box)
        return
    props = [properties(panel, f["name"], i) for i, f in enumerate(data)]
    for p in props:
        p["bars"] = p.get("custom.drawStyle", "line") == "bars"  # Grafana's default: lines
    stacked = [
        p["bars"] and (p.get("custom.stacking") or {}).get("mode") == "normal" for p in props
    ]
    totals: dict[float, float] = {}  # top of each stack
    tops: list[list[tuple[float, float, float]]] = []  # per field: (t, base, top)
    for field, stack in zip(data, stacked, strict=True):
        bars = []
        for t, v in field["points"]:
            base = totals.get(t, 0.0) if stack else 0.0
            bars.append((t, base, base + v))
            if stack:
                totals[t] = base + v
        tops.append(bars)
    values = [v for bars in tops for _, base, top in bars for v in (base, top)]
    low, high = min(0.0, *values), max(*values, 0.0)
    high = high if high > low else low + 1
    unit = props[0]["unit"]
    legend_rows = 1 + sum(len(f["name"]) * 6.2 + 22 for f in data) // (w - 70)
    px, pw, py, ph = x + 62, w - 70, y + 4, h - 26 - 15 * legend_rows
    t0, t1 = span

    def sx(t: float) -> float:
        return px + (t - t0) / (t1 - t0) * pw

    def sy(v: float) -> float:
        return py + ph - (v - low) / (high - low) * ph

    svg.add("line", x1=px, y1=py + ph, x2=px + pw, y2=py + ph, stroke=BORDER)
    for value in (low, high):
        svg.text(px - 4, sy(value) + 4, fmt(value, unit), 10, fill=DIM, text_anchor="end")
    for t, anchor in ((t0, "start"), ((t0 + t1) / 2, "middle"), (t1, "end")):
        label = datetime.fromtimestamp(t / 1000, PARIS).strftime("%Y-%m-%d %H:%M")
        svg.text(sx(t), py + ph + 13, label, 10, fill=DIM, text_anchor=anchor)
    times = sorted({t for f in data for t, _ in f["points"]})
    step = min((b - a for a, b in itertools.pairwise(times)), default=t1 - t0)
    bar_w = max(0.6, step / (t1 - t0) * pw * 0.8)
    order = sorted(range(len(data)), key=lambda i: not props[i]["bars"])
    for i in order:
        p, bars = props[i], tops[i]
        opacity = p.get("custom.fillOpacity", 100) / 100
        if p["bars"]:
            for t, base, top in bars:
                if sx(t) < px or sx(t) > px + pw:
                    continue
                y_top, y_base = sorted((sy(top), sy(base)))
                bar = (sx(t) - bar_w / 2, y_top, bar_w, y_base - y_top)
                svg.rect(*bar, p["color"], fill_opacity=f"{max(opacity, 0.3):.2f}")
            continue
        line = " ".join(f"{sx(t):.1f},{sy(top):.1f}" for t, _, top in bars)
        if opacity > 0:
            area = f"{sx(bars[0][0]):.1f},{sy(0):.1f} {line} {sx(bars[-1][0]):.1f},{sy(0):.1f}"
            svg.add("polygon", points=area, fill=p["color"], fill_opacity=f"{opacity:.2f}")
        dash = (p.get("custom.lineStyle") or {}).get("fill") == "dash"
        style = {"stroke_dasharray": "6 4"} if dash else {}
        svg.add("polyline", points=line, fill="none", stroke=p["color"], stroke_width=1.5, **style)
    items = [(f["name"], p["color"]) for f, p in zip(data, props, strict=True)]
    legend(svg, items, x + 8, py + ph + 32, w - 16)


def draw_barchart(svg: Svg, panel: Panel, rows: list[Row], box: Box) -> None:
    x, y, w, h = box
    key = panel["options"]["xField"]
    rows = sorted((r for r in rows if r.get(key) is not None), key=lambda r: str(r[key]))
    columns = [c for c in (rows[0] if rows else {}) if c not in (key, "time")]
    columns = [c for c in columns if any(isinstance(r[c], int | float) for r in rows)]
    if not rows or not columns:
        no_data(svg, *box)
        return
    props = [properties(panel, c, i) for i, c in enumerate(columns)]
    high = max(sum(r[c] or 0 for c in columns) for r in rows) or 1
    px, pw, py, ph = x + 62, w - 70, y + 4, h - 44
    svg.add("line", x1=px, y1=py + ph, x2=px + pw, y2=py + ph, stroke=BORDER)
    for value in (0, high):
        label = fmt(value, props[0]["unit"])
        svg.text(px - 4, py + ph - value / high * ph + 4, label, 10, fill=DIM, text_anchor="end")
    slot = pw / len(rows)
    for n, row in enumerate(rows):
        base = 0.0
        for column, p in zip(columns, props, strict=True):
            value = row[column] or 0
            bar = (px + slot * (n + 0.1), py + ph - (base + value) / high * ph, slot * 0.8)
            svg.rect(*bar, value / high * ph, p["color"], fill_opacity="0.85")
            base += value
        label_x, size = px + slot * (n + 0.5), min(10, slot / 4)
        svg.text(label_x, py + ph + 13, str(row[key]), size, fill=DIM, text_anchor="middle")
    items = [(c, p["color"]) for c, p in zip(columns, props, strict=True)]
    legend(svg, items, x + 8, py + ph + 32, w - 16)


def draw_table(svg: Svg, panel: Panel, rows: list[Row], box: Box) -> None:
    x, y, w, h = box
    hidden = set()
    for step in panel.get("transformations", []):
        if step["id"] == "organize":
            hidden |= {k for k, v in step["options"]["excludeByName"].items() if v}
    columns = [c for c in (rows[0] if rows else {}) if c not in hidden and c != "time"]
    if not rows or not columns:
        no_data(svg, *box)
        return
    for sort in reversed(panel["options"].get("sortBy", [])):
        rows = sorted(
            rows, key=lambda r, s=sort: str(r.get(s["displayName"])), reverse=sort["desc"]
        )
    col_w = (w - 16) / len(columns)
    size = min(12.0, col_w / 9)
    for i, column in enumerate(columns):
        svg.text(x + 8 + i * col_w, y + 14, column, size, fill="#6e9fff", font_weight="600")
    svg.add("line", x1=x + 8, y1=y + 21, x2=x + w - 8, y2=y + 21, stroke=BORDER)
    for n, row in enumerate(rows[: max(0, int((h - 26) // 20))]):
        ry = y + 40 + n * 20
        for i, column in enumerate(columns):
            props = properties(panel, column, i)
            value = row.get(column)
            text = fmt(value, props["unit"]) if props["unit"] else fmt(value)
            steps = (props.get("thresholds") or {}).get("steps", [])
            background = [
                s["color"] for s in steps if s["value"] is None or (value or 0) >= s["value"]
            ]
            if background and value is not None:
                colour = COLOURS.get(background[-1], background[-1])
                svg.rect(x + 4 + i * col_w, ry - 14, col_w - 4, 19, colour, fill_opacity="0.7")
            svg.text(x + 8 + i * col_w, ry, text, size)


def draw_text(svg: Svg, panel: Panel, box: Box) -> None:
    x, y, w, h = box
    text = plain(panel["options"].get("content", ""))
    for n, line in enumerate(textwrap.wrap(text, max(8, int((w - 16) / 7)))):
        if 18 + n * 18 > h:
            break
        svg.text(x + 8, y + 16 + n * 18, line, 13)


def draw_row(svg: Svg, panel: Panel, box: Box) -> None:
    """A row's title across the dashboard; a collapsed row, as Grafana shows it, with the
    number of its panels and none of them drawn."""
    x, y, w, h = box
    title = panel["title"]
    if panel.get("collapsed"):
        count = len(panel.get("panels", []))
        title = f"▸ {title}"
        svg.text(x + 16 + len(title) * 9, y + h / 2 + 5, f"({count} panels)", 12, fill=DIM)
    svg.text(x + 4, y + h / 2 + 5, title, 14, font_weight="600")
    svg.add("line", x1=x, y1=y + h, x2=x + w, y2=y + h, stroke=BORDER)


def draw_dashboard(url: str, db: str, now: datetime, board: dict[str, Any]) -> str:
    """The SVG of one dashboard: its title, then every panel where its gridPos puts it."""
    svg = Svg()
    height = TOP + max(p["gridPos"]["y"] + p["gridPos"]["h"] for p in board["panels"]) * ROW
    svg.rect(0, 0, 24 * COL, height, BG)
    svg.text(12, 24, board["title"], 18, font_weight="600")
    note = (
        "Preview from the dashboard's own queries on simulated data, not a Grafana screenshot"
        f" · now {now.astimezone(PARIS):%Y-%m-%d %H:%M} Europe/Paris · usage_point: All "
        f"({len(METERS)} meters) · direction: consumption · time: {board['time']['from']} to now"
    )
    svg.text(12, 44, note, 11, fill=DIM)
    variables: dict[str, str | list[str]] = {"usage_point": METERS, "direction": "consumption"}
    for panel in board["panels"]:
        g = panel["gridPos"]
        x, y = g["x"] * COL + GAP / 2, TOP + g["y"] * ROW + GAP / 2
        w, h = g["w"] * COL - GAP, g["h"] * ROW - GAP
        if panel["type"] == "row":
            draw_row(svg, panel, (x, y, w, h))
            continue
        svg.rect(x, y, w, h, PANEL, stroke=BORDER, rx=3)
        size = 12 if w > 300 else 11
        svg.text(x + 8, y + 18, fit(panel["title"], w - 16, size), size, font_weight="600")
        if panel.get("timeFrom"):  # Grafana shows the panel's own time range in its header
            shift = f", shifted -{panel['timeShift']}" if panel.get("timeShift") else ""
            range_note = f"{panel['timeFrom']}{shift}"
            svg.text(x + w - 8, y + 32, range_note, 10, fill="#6e9fff", text_anchor="end")
        results: Results = []
        for target in panel["targets"]:
            q = grafana_render.render(target["query"], board, panel, now, variables)
            results.append((target, query(url, db, q)))
        box = (x + 4, y + 28, w - 8, h - 32)
        kind = panel["type"]
        if kind == "stat":
            draw_stat(svg, panel, fields(results), box)
        elif kind == "timeseries":
            span = grafana_render.panel_range(board, panel, now)
            ms = (span.start.timestamp() * 1000, span.end.timestamp() * 1000)
            draw_timeseries(svg, panel, fields(results), box, ms)
        elif kind == "barchart":
            draw_barchart(svg, panel, table(results), box)
        elif kind == "table":
            draw_table(svg, panel, table(results), box)
        elif kind == "text":
            draw_text(svg, panel, box)
        else:
            svg.text(x + 8, y + 40, f"(no preview for {kind} panels)", 12, fill=DIM)
    return svg.document(24 * COL, height)


def main() -> int:
    url = os.environ.get("INFLUX1_URL", "").rstrip("/")
    if not url:
        print(__doc__, file=sys.stderr)
        print("render_previews: INFLUX1_URL is not set", file=sys.stderr)
        return 2
    db = f"previews_{secrets.token_hex(4)}"
    query(url, None, f'CREATE DATABASE "{db}"')
    try:
        with tempfile.TemporaryDirectory(prefix="linkyflux-previews-") as home:
            now = load(url, db, Path(home))
        OUT.mkdir(parents=True, exist_ok=True)
        for name, build in dashboards.DASHBOARDS.items():
            path = OUT / f"{Path(name).stem}.svg"
            path.write_text(draw_dashboard(url, db, now, build()), encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        query(url, None, f'DROP DATABASE "{db}"')
    return 0


if __name__ == "__main__":
    sys.exit(main())
