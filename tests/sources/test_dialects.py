"""The v5 and 2026 metering dialects give the same points; `auto` finds the one served."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from linkyflux.errors import DataError
from linkyflux.sources.dialects import V2026
from linkyflux.sources.enedis import Request

from simenv import World, world

HOUSE = "22516914714270"


def fetch_week(home: Path, api: str, dialects: tuple[str, ...] = ("v5", "2026")) -> World:
    home.mkdir()
    with world(home, today=date(2026, 10, 27), dialects=dialects) as w:
        w.config(enedis={"api": api}, tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "7", "-q")
        assert result.exit_code == 0, result.output
        return w


def dialects_used(w: World) -> set[str]:
    """The dialects of the metering calls made (contract calls aside)."""
    used = set()
    for _, path, _ in w.simulator.requests:
        if "mesure_synchrone_auto" in path or "contrat_auto" in path:
            used.add("2026")
        elif "metering_data" in path or "customers_upc" in path:
            used.add("v5")
    return used


def test_both_dialects_write_byte_identical_line_protocol(tmp_path: Path) -> None:
    """A week across the October DST change, every simulated meter (gaps, PT10M, PT60M,
    production, both directions, wrong direction, before activation, no hourly collection)."""
    v5 = fetch_week(tmp_path / "v5", "v5")
    v2026 = fetch_week(tmp_path / "2026", "2026")
    assert dialects_used(v5) == {"v5"} and dialects_used(v2026) == {"2026"}
    assert v5.output_lines() == v2026.output_lines()
    assert len(v5.output_lines()) > 2000
    assert (
        json.loads((v5.state_dir / "state.json").read_text())["usage_points"]
        == json.loads((v2026.state_dir / "state.json").read_text())["usage_points"]
    )


def test_auto_falls_back_to_v5_and_remembers(tmp_path: Path) -> None:
    w = fetch_week(tmp_path / "old", "auto", dialects=("v5",))
    reference = fetch_week(tmp_path / "ref", "v5")
    assert w.output_lines() == reference.output_lines()
    state = json.loads((w.state_dir / "state.json").read_text())
    assert state["dialects"] == {w.url: "v5"}
    # one 2026 attempt only, then v5 for everything
    attempts = [p for _, p, _ in w.simulator.requests if "mesure_synchrone_auto" in p]
    assert len(attempts) == 1


def test_auto_uses_2026_when_v5_is_gone(tmp_path: Path) -> None:
    w = fetch_week(tmp_path / "new", "auto", dialects=("2026",))
    assert dialects_used(w) == {"2026"}


def test_forced_v5_on_a_gateway_without_it(tmp_path: Path) -> None:
    with world(tmp_path, dialects=("2026",)) as w:
        w.consent = (HOUSE,)
        w.config(enedis={"api": "v5"})
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-q")
    assert result.exit_code == 5
    assert result.output.splitlines()[-1] == (
        f"linkyflux: the gateway does not serve the v5 metering API for {HOUSE} (v5: 404 "
        "Erreur 404 – La page que vous recherchez n'existe pas): check consent.url, or set "
        'enedis.api = "auto"'
    )


REQ = Request(
    "mesure_synchrone_auto/v2/courbe_de_charge_consommation",
    HOUSE,
    date(2026, 9, 29),
    date(2026, 9, 30),
)


def test_2026_points_of_the_other_direction_are_ignored() -> None:
    body = {
        "idPrm": HOUSE,
        "grandeur": [
            {
                "grandeurMetier": "PROD",
                "points": [{"v": "1", "d": "2026-09-29 00:30:00", "p": "PT30M"}],
            },
            {
                "grandeurMetier": "CONS",
                "points": [{"v": "4078", "d": "2026-09-29 00:30:00", "p": "PT30M", "n": "B"}],
            },
        ],
    }
    assert V2026().items(body, REQ, "consumption") == [
        {"value": "4078", "date": "2026-09-29 00:30:00", "interval_length": "PT30M"}
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"idPrm": "11111111111111", "grandeur": []},
            "the answer is for usage point 11111111111111",
        ),
        ({"idPrm": HOUSE}, "no grandeur in the answer"),
        (
            {"grandeur": [{"grandeurMetier": "CONS"}]},
            "grandeur is not a list of objects with points",
        ),
        ({"grandeur": [{"points": ["x"]}]}, "a point is not an object"),
    ],
)
def test_bad_2026_bodies(body: dict[str, object], message: str) -> None:
    with pytest.raises(DataError, match=message):
        V2026().items(body, REQ, "consumption")
