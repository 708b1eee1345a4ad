"""The golden corpus: real answer shapes in, exact line protocol (or error lines) out.

Each folder of ``tests/cases/`` is one answer as a gateway sends it, and what linkyflux must
make of it:

    case.toml     the gateway (``consent.kind``), the dialect asked for (``api``: v5, 2026 or
                  auto), the series (``consumption/curve``…), the usage point, ``[start, end)``,
                  the off-peak schedule, the answer's ``status`` (200 by default) and
                  ``[headers]``; ``note``: what the case is about
    answer.json   the body, byte for byte as sent (``answer.txt`` when it is not JSON)
    expected.lp   the points written (the per-run contract and sync points left out)
    expected.txt  ``exit N``, then the run's error lines

The answer goes through the real client: the gateway's URL and headers, its ``normalize``,
the dialect, the parsers, the classifier, the line protocol, the sync engine's day rules
(a ``httpx.MockTransport`` answers every metering call of the case with the same body; the
clock is noon, Paris, on ``end``). A new shape is a new folder, not new code.

``python tests/test_cases.py --update`` writes the expected files from what the code does
now: read every changed file before committing it.
"""

from __future__ import annotations

import random
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from linkyflux.app.wiring import dialect_order, make_classifier
from linkyflux.settings import load_settings
from linkyflux.sinks.writers import FileSink
from linkyflux.sources.gateways import gateway_for
from linkyflux.sources.metering import MeteringApi
from linkyflux.sources.transport import Pacer
from linkyflux.sync.engine import Fetcher
from linkyflux.sync.planning import SERIES
from linkyflux.sync.state import SyncState
from linkyflux.timeutil import PARIS, FakeClock

CASES = Path(__file__).parent / "cases"
URLS = {
    "device-flow": "http://gateway.test",
    "conso-api": "http://gateway.test",
    "myelectricaldata": "http://gateway.test/api",
    "enedis": "http://gateway.test",
}


@dataclass(frozen=True)
class Outcome:
    lines: list[str]
    exit_code: int
    errors: list[str]

    def text(self) -> str:
        return "".join(f"{line}\n" for line in [f"exit {self.exit_code}", *self.errors])


def _config(spec: dict[str, Any], home: Path) -> Path:
    kind = spec["gateway"]
    consent = [f'kind = "{kind}"', f'url = "{URLS[kind]}"', 'client_id = "golden"']
    if kind in ("myelectricaldata", "enedis"):
        consent.append('client_secret = "golden-secret"')
    if kind == "enedis":
        consent.append(f'usage_points = ["{spec["usage_point"]}"]')
    path = home / "config.toml"
    path.write_text(
        "[consent]\n" + "\n".join(consent) + "\n"
        f'[enedis]\napi = "{spec.get("api", "auto")}"\n'
        f'[influxdb]\noutput = "{home / "out.lp"}"\n'
        f'[tariff]\noffpeak = "{spec.get("offpeak", "")}"\n'
        f'[state]\ndir = "{home / "state"}"\n'
    )
    return path


def _answer(folder: Path, spec: dict[str, Any]) -> httpx.Response:
    headers = dict(spec.get("headers", {}))
    json_body = folder / "answer.json"
    if json_body.exists():
        body = json_body.read_bytes()
        headers.setdefault("Content-Type", "application/json")
    else:
        body = (folder / "answer.txt").read_bytes()
    return httpx.Response(spec.get("status", 200), headers=headers, content=body)


def run_case(folder: Path, home: Path) -> Outcome:
    spec = tomllib.loads((folder / "case.toml").read_text())
    settings = load_settings(str(_config(spec, home)))
    gateway = gateway_for(settings)
    answer = _answer(folder, spec)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    end: date = spec["end"]
    clock = FakeClock(datetime(end.year, end.month, end.day, 12, tzinfo=PARIS))
    state = SyncState(home / "state")
    pacer = Pacer(clock, gateway.rates())
    client = httpx.Client(base_url=gateway.url + "/", transport=httpx.MockTransport(handler))
    dialects = dialect_order(settings, state)
    api = MeteringApi(client, pacer, clock, random.Random(0), gateway=gateway, dialects=dialects)
    sink = FileSink(str(home / "out.lp"))
    series = [s for s in SERIES if s.key == spec["series"]]
    fetcher = Fetcher(api, sink, make_classifier(settings, state), state, clock)
    report = fetcher.run([spec["usage_point"]], spec["start"], end, catch_up=False, only=series)
    sink.close()
    out = home / "out.lp"
    written = out.read_text().splitlines() if out.exists() else []
    errors = report.all_errors()
    return Outcome(
        [ln for ln in written if not ln.startswith(("linky_sync,", "linky_contract,"))],
        errors[0].exit_code if errors else 0,
        [line for error in errors for line in str(error).splitlines()],
    )


FOLDERS = sorted(p for p in CASES.iterdir() if (p / "case.toml").exists())


@pytest.mark.parametrize("folder", FOLDERS, ids=[p.name for p in FOLDERS])
def test_case(folder: Path, tmp_path: Path) -> None:
    outcome = run_case(folder, tmp_path)
    expected_lines = (folder / "expected.lp").read_text().splitlines()
    assert outcome.text() == (folder / "expected.txt").read_text()
    assert outcome.lines == expected_lines
    assert outcome.exit_code != 1, "a bug, not an answer"


def update() -> None:
    for folder in FOLDERS:
        with tempfile.TemporaryDirectory() as home:
            outcome = run_case(folder, Path(home))
        (folder / "expected.lp").write_text("".join(f"{ln}\n" for ln in outcome.lines))
        (folder / "expected.txt").write_text(outcome.text())
        print(f"{folder.name}: exit {outcome.exit_code}, {len(outcome.lines)} lines")


if __name__ == "__main__" and sys.argv[1:] == ["--update"]:
    update()
