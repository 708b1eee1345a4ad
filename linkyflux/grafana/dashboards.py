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

from linkyflux.grafana.energy import energy_dashboard
from linkyflux.grafana.power import power_dashboard
from linkyflux.grafana.production import production_dashboard

GRAFANA_DIR = Path(__file__).resolve().parents[2] / "grafana"  # the repository's, not ours

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
