"""The old customer-space load-curve CSV reader (docs/enedis-exports.md §3.3-3.4)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkyflux.errors import BadFile
from linkyflux.simulator.exports import WEB_HEADER
from linkyflux.sources.exports.webcsv import is_web_curve, read_web_curve

META = (
    "00000000000001;Courbe de charge;18/01/2022;08/01/2024;Energie active;Consommation;"
    "Comptage Brut;W;"
)


def read(tmp_path: Path, *rows: str, step: str = "") -> list[tuple[str, int, float]]:
    path = tmp_path / "Enedis_Conso_Heure.csv"
    path.write_text("\n".join(["\ufeff" + WEB_HEADER, META + step, "Horodate;Valeur", *rows]))
    return [
        (datetime.fromtimestamp(r.timestamp, UTC).strftime("%m-%d %H:%MZ"), r.minutes, r.power_w)
        for r in read_web_curve(path)
    ]


def test_the_offsets_say_which_october_hour(tmp_path: Path) -> None:
    got = read(
        tmp_path,
        "2022-10-30T01:30:00+02:00;252",
        "2022-10-30T02:00:00+02:00;256",
        "2022-10-30T02:30:00+02:00;188",
        "2022-10-30T02:00:00+01:00;318",
        "2022-10-30T02:30:00+01:00;216",
        "2022-10-30T03:00:00+01:00;240",
    )
    assert [start for start, _, _ in got] == [
        "10-29 23:00Z",
        "10-29 23:30Z",
        "10-30 00:00Z",
        "10-30 00:30Z",
        "10-30 01:00Z",
        "10-30 01:30Z",
    ]


def test_blocks_of_other_steps_and_missing_values(tmp_path: Path) -> None:
    """hekmon/edfbleu #15: 30-minute rows, a blank line, then 15-minute rows."""
    got = read(
        tmp_path,
        "2023-12-30T07:00:00+01:00;360",
        "2023-12-30T07:30:00+01:00;366",
        "",
        "2023-12-30T07:45:00+01:00;",
        "2023-12-30T08:00:00+01:00;156",
        "2023-12-30T08:15:00+01:00;150",
    )
    assert got == [
        ("12-30 05:30Z", 30, 360.0),
        ("12-30 06:00Z", 30, 366.0),
        ("12-30 06:45Z", 15, 156.0),  # the 07:30-07:45 interval has no value: no reading
        ("12-30 07:00Z", 15, 150.0),
    ]
    assert read(tmp_path, "2023-12-30T07:00:00+01:00;360", step="60") == [
        ("12-30 05:00Z", 60, 360.0)
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (
            ("2023-12-30 07:00:00;360",),
            "line 4: Horodate '2023-12-30 07:00:00' is not an ISO time with its offset",
        ),
        (
            ("2023-12-30T07:00:00+01:00;x", "2023-12-30T07:30:00+01:00;1"),
            "line 4: Valeur 'x' is not a number",
        ),
        (("2023-12-30T07:00:00+01:00;1",), "line 4: a block of one row, and no Pas en minutes"),
    ],
)
def test_bad_lines(tmp_path: Path, rows: tuple[str, ...], message: str) -> None:
    with pytest.raises(BadFile) as caught:
        read(tmp_path, *rows)
    assert str(caught.value) == f"{tmp_path / 'Enedis_Conso_Heure.csv'}: {message}"


def test_the_header_is_recognised() -> None:
    assert is_web_curve("\ufeff" + WEB_HEADER + "\n")
    assert not is_web_curve("Identifiant PRM;Type de donnees;Date de debut;Date de fin;Unite\n")
