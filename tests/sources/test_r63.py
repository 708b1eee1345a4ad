"""The R63 CSV reader (docs/enedis-exports.md §1): labels to UTC starts, steps, bad lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from linkyflux.errors import BadFile
from linkyflux.simulator.exports import R63_HEADER
from linkyflux.sources.exports.r63 import is_r63, read_r63

PRM = "00000000000001"


def rows(tmp_path: Path, *rows: str) -> list[tuple[str, int, float]]:
    """(UTC start, minutes, W) of each reading of a file of these rows (``Horodate`` on)."""
    path = tmp_path / "r63.csv"
    lines = [f"{PRM};2023-10-29 00:00:00;2023-10-30 00:00:00;PA;CONS;BRUT;W;{r}" for r in rows]
    path.write_text("\n".join([R63_HEADER, *lines]) + "\n")
    return [
        (datetime.fromtimestamp(r.timestamp, UTC).strftime("%H:%MZ"), r.minutes, r.power_w)
        for r in read_r63(path)
    ]


def test_the_october_hour_comes_twice_cest_then_cet(tmp_path: Path) -> None:
    """§1.5: 02:00, 02:30, 02:00, 02:30, 03:00 end at 00:00Z … 02:00Z."""
    got = rows(
        tmp_path,
        "2023-10-29 01:30:00;624;B;PT30M;0;0",
        "2023-10-29 02:00:00;640;B;PT30M;0;0",
        "2023-10-29 02:30:00;1144;B;PT30M;0;0",
        "2023-10-29 02:00:00;1134;B;PT30M;0;0",
        "2023-10-29 02:30:00;630;B;PT30M;0;0",
        "2023-10-29 03:00:00;622;B;PT30M;0;0",
    )
    assert got == [
        ("23:00Z", 30, 624.0),
        ("23:30Z", 30, 640.0),
        ("00:00Z", 30, 1144.0),
        ("00:30Z", 30, 1134.0),
        ("01:00Z", 30, 630.0),
        ("01:30Z", 30, 622.0),
    ]


def test_a_march_label_the_clocks_skip_is_a_bad_line(tmp_path: Path) -> None:
    assert rows(
        tmp_path, "2023-03-26 01:30:00;3580;B;PT30M;0;0", "2023-03-26 03:00:00;3258;B;PT30M;0;0"
    ) == [
        ("00:00Z", 30, 3580.0),
        ("00:30Z", 30, 3258.0),  # 03:00 CEST ends the half hour after 01:30 CET
    ]
    with pytest.raises(
        BadFile,
        match=r"r63.csv: line 2: Horodate '2023-03-26 02:00:00' does not exist in Europe/Paris",
    ):
        rows(tmp_path, "2023-03-26 02:00:00;1;B;PT30M;0;0", "2023-03-26 02:30:00;1;B;PT30M;0;0")


def test_the_step_is_read_per_row_and_a_hole_stays_a_hole(tmp_path: Path) -> None:
    """§1.7: PT30M, then a 23-hour hole, then PT60M, then PT30M again."""
    got = rows(
        tmp_path,
        "2024-07-18 00:00:00;1800;B;PT30M;0;0",
        "2024-07-19 00:00:00;1713;B;PT60M;0;0",
        "2024-07-31 19:00:00;1686;B;PT60M;0;0",
        "2024-07-31 19:30:00;1616;B;PT30M;0;0",
    )
    assert got == [
        ("21:30Z", 30, 1800.0),
        ("21:00Z", 60, 1713.0),
        ("16:00Z", 60, 1686.0),
        ("17:00Z", 30, 1616.0),
    ]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2023-10-29 01:30:00;-3;B;PT30M;0;0", "line 2: Valeur '-3' is not a power in W"),
        ("2023-10-29 01:30:00;12,5;B;PT30M;0;0", "line 2: Valeur '12,5' is not a number"),
        (
            "2023-10-29T01:30:00;1;B;PT30M;0;0",
            "line 2: Horodate '2023-10-29T01:30:00' is not YYYY-MM-DD HH:MM:SS",
        ),
        ("2023-10-29 01:30:00;1;B;P1D;0;0", "line 2: Pas 'P1D' is not a step such as PT30M"),
        ("2023-10-29 01:30:00;1;B", "line 2: 10 columns, not 13"),
    ],
)
def test_a_bad_line_names_the_file_the_line_and_what_is_wrong(
    tmp_path: Path, row: str, message: str
) -> None:
    with pytest.raises(BadFile) as caught:
        rows(tmp_path, row)
    assert str(caught.value) == f"{tmp_path / 'r63.csv'}: {message}"


def test_a_label_not_after_the_one_before_is_a_bad_line(tmp_path: Path) -> None:
    with pytest.raises(
        BadFile, match=r"line 3: Horodate '2023-10-28 01:00:00' is not after the line before"
    ):
        rows(tmp_path, "2023-10-28 01:30:00;1;B;PT30M;0;0", "2023-10-28 01:00:00;1;B;PT30M;0;0")


def test_an_r63_header_is_recognised_with_or_without_a_bom() -> None:
    assert is_r63(R63_HEADER + "\n") and is_r63("\ufeff" + R63_HEADER + "\r\n")
    assert not is_r63("Horodate;Valeur\n") and not is_r63("")
