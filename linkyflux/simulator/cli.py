"""``python -m linkyflux.simulator``: the simulator alone on loopback, as rude as its
switches make it (the rudeness of the real gateways: ``../shared/docs/real-answers.md``).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, date, datetime, timedelta

from linkyflux.simulator.server import SimulatorServer
from linkyflux.simulator.simulator import Simulator
from linkyflux.timeutil import PARIS, Clock, SystemClock


class OffsetClock:
    """The real clock shifted so that "today" is a chosen day (for ``--today``)."""

    def __init__(self, today: date) -> None:
        target = datetime.combine(today, datetime.min.time(), PARIS) + timedelta(hours=12)
        self._offset = target - datetime.now(UTC)

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


def from_args(argv: list[str] | None = None) -> tuple[Simulator, argparse.Namespace]:
    """The simulator the command line describes, and the parsed arguments."""
    parser = argparse.ArgumentParser(
        prog="python -m linkyflux.simulator",
        description="The linkyflux simulator: consent proxy + Enedis v5 metering, on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--client-id", default="linkyflux-simulator")
    parser.add_argument("--today", type=date.fromisoformat, help="pretend today is this Paris date")
    parser.add_argument("--requests-per-minute", type=int, default=12)
    parser.add_argument("--publication-hour", type=int, default=8)
    parser.add_argument(
        "--dialects",
        default="v5,2026",
        help="the metering APIs served, comma-separated: v5, 2026 (default: both)",
    )
    parser.add_argument(
        "--coded-404",
        action="store_true",
        help="answer the paths of a dialect not served with a 404 of the gateway's own "
        "({error: not_found}) instead of an HTML page",
    )
    parser.add_argument(
        "--rotate-refresh-tokens",
        action="store_true",
        help="each refresh grant returns a new refresh token; the old one dies at once",
    )
    parser.add_argument(
        "--old-myelectricaldata",
        action="store_true",
        help="MyElectricalData ignores X-MED-Format: 2026 and answers v5 bodies",
    )
    parser.add_argument(
        "--no-contracts", action="store_true", help="the gateway serves no contract API"
    )
    args = parser.parse_args(argv)
    clock: Clock = OffsetClock(args.today) if args.today else SystemClock()
    simulator = Simulator(
        clock,
        client_id=args.client_id,
        requests_per_minute=args.requests_per_minute,
        publication_hour=args.publication_hour,
        dialects=tuple(d for d in args.dialects.split(",") if d),
        serves_contracts=not args.no_contracts,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        unserved_dialect_404="coded" if args.coded_404 else "page",
        med_ignores_format=args.old_myelectricaldata,
    )
    return simulator, args


def main(argv: list[str] | None = None) -> None:
    simulator, args = from_args(argv)
    server = SimulatorServer(simulator, args.host, args.port)
    today = simulator.today()
    print(f"linkyflux simulator on {server.url} (client_id {args.client_id!r}, today {today})")
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
