"""The Tempo colour client: one call per season, a cache that is never asked again, calm
failures (docs/tempo-and-seasons.md §A1.1)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from linkyflux.sources.tempo import CACHE_FILE, TempoColours, api_couleur_tempo, season_of
from linkyflux.timeutil import FakeClock

from simenv import paris

CLOCK = paris(2026, 11, 22, 9)  # the colours up to the 22nd are final, the 23rd's is not


def row(day: str, code: int) -> dict[str, Any]:
    names = {0: "Inconnu", 1: "Bleu", 2: "Blanc", 3: "Rouge"}
    return {
        "dateJour": day,
        "codeJour": code,
        "periode": season_of(date.fromisoformat(day)),
        "libCouleur": names[code],
    }


SEASON = [
    row("2026-11-20", 3),
    row("2026-11-21", 2),
    row("2026-11-22", 1),
    row("2026-11-23", 3),
    row("2026-11-24", 0),
]


def colours(tmp_path: Path, answer: httpx.Response | Exception, asked: list[str]) -> TempoColours:
    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url))
        if isinstance(answer, Exception):
            raise answer
        return answer

    client = httpx.Client(base_url="http://tempo.test/api/", transport=httpx.MockTransport(handler))
    return TempoColours(
        api_couleur_tempo(client), "http://tempo.test/api", tmp_path, FakeClock(CLOCK)
    )


def test_one_call_per_season_and_a_known_colour_is_never_asked_again(tmp_path: Path) -> None:
    asked: list[str] = []
    first = colours(tmp_path, httpx.Response(200, json=SEASON), asked)
    assert first.colour(date(2026, 11, 20)) == "RED"
    assert first.colour(date(2026, 11, 21)) == "WHITE"
    assert first.colour(date(2026, 11, 24)) is None  # unknown: not asked twice in a run
    assert asked == ["http://tempo.test/api/joursTempo?periode%5B%5D=2026-2027"]
    cached = json.loads((tmp_path / CACHE_FILE).read_text())
    # tomorrow's colour may change until noon, an unknown one is no colour: neither is kept
    assert cached == {
        "version": 1,
        "colours": {"2026-11-20": "RED", "2026-11-21": "WHITE", "2026-11-22": "BLUE"},
    }
    assert (tmp_path / CACHE_FILE).stat().st_mode & 0o777 == 0o600
    again = colours(tmp_path, httpx.Response(500), asked)
    assert again.colour(date(2026, 11, 22)) == "BLUE"
    assert len(asked) == 1 and again.failure is None


def test_a_failure_stops_asking_for_the_run(tmp_path: Path) -> None:
    for answer, failure in [
        (httpx.Response(503), "answered HTTP 503 for season 2026-2027"),
        (httpx.ConnectError("refused"), "cannot be reached (ConnectError)"),
        (
            httpx.Response(200, json={"hydra:member": []}),
            "unexpected answer for season 2026-2027: not a list of days",
        ),
        (
            httpx.Response(200, json=[{"dateJour": "2026-11-20", "codeJour": 7}]),
            "codeJour 7 on 2026-11-20",
        ),
    ]:
        asked: list[str] = []
        source = colours(tmp_path, answer, asked)
        assert source.colour(date(2026, 11, 20)) is None
        assert source.colour(date(2025, 11, 20)) is None  # another season: not asked either
        assert len(asked) == 1
        assert source.failure is not None and source.failure.endswith(failure), source.failure
        assert source.failure.startswith("the Tempo colour source http://tempo.test/api ")


def test_a_damaged_cache_is_no_cache(tmp_path: Path) -> None:
    (tmp_path / CACHE_FILE).write_text('{"colours": {"2026-11-20": "PINK"}}')
    asked: list[str] = []
    assert (
        colours(tmp_path, httpx.Response(200, json=SEASON), asked).colour(date(2026, 11, 20))
        == "RED"
    )
    assert len(asked) == 1


def test_seasons_start_on_the_first_of_september() -> None:
    assert season_of(date(2026, 8, 31)) == "2025-2026"
    assert season_of(date(2026, 9, 1)) == "2026-2027"
