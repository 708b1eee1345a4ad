"""The old customer-space daily index CSV reader (docs/enedis-exports.md §3.6): the simulator
writes the file from its meters' daily energies, the reader gives them back, day by day."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from linkyflux.errors import BadFile
from linkyflux.models import Direction
from linkyflux.simulator.exports import INDEX_HEADER, R63_HEADER, WEB_HEADER, web_index
from linkyflux.sources.exports.consodl import is_consodl
from linkyflux.sources.exports.webcsv import is_web_curve
from linkyflux.sources.exports.webindex import is_web_index, read_web_index

from simenv import world

HOUSE = "22516914714270"  # consumption
SOLAR = "24880057139941"  # production
PRM = "00000000000001"
META = f"{PRM};Index;23/01/2021;08/01/2024;Energie active;Consommation;Comptage Brut;Wh"
COLUMNS = (
    "Horodate;Type de releve;EAS F1;EAS F2;EAS F3;EAS F4;EAS F5;EAS F6;EAS F7;EAS F8;EAS F9;"
    "EAS F10;EAS D1;EAS D2;EAS D3;EAS D4;EAS T"
)


def days(first: date, end: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((end - first).days)]


def read(path: Path) -> list[tuple[str, str, date, float]]:
    return [(r.usage_point_id, r.direction, r.day, r.energy_wh) for r in read_web_index(path)]


def reading(day: str, total: str) -> str:
    return f"{day};Arrêté quotidien;{total};;;;;;;;;;{total};;;;{total}"


def write(tmp_path: Path, *rows: str, meta: str = META, columns: str = COLUMNS) -> Path:
    path = tmp_path / "Enedis_Conso_Jour.csv"
    path.write_text("\n".join(["\ufeff" + INDEX_HEADER, meta, columns, *rows]) + "\n")
    return path


@pytest.mark.parametrize(
    ("uid", "direction", "first", "end", "hole"),
    [
        # the spring day (23 h) and the day after a missing reading
        (HOUSE, "consumption", date(2026, 3, 26), date(2026, 4, 3), date(2026, 3, 31)),
        # the autumn day (25 h), production
        (SOLAR, "production", date(2026, 10, 22), date(2026, 10, 29), date(2026, 10, 23)),
    ],
)
def test_each_day_is_the_difference_of_its_two_midnights(
    tmp_path: Path, uid: str, direction: Direction, first: date, end: date, hole: date
) -> None:
    """Day D is total(D+1) - total(D), filed under D; the hole's energy is None: the reading
    after it is missing, and neither that day nor the next has a figure."""
    with world(tmp_path) as w:
        truth = {d: w.simulator.truth_daily(uid, direction, d) for d in days(first, end)}
    assert all(truth.values())
    daily = [(d, None if d == hole else energy) for d, energy in truth.items()]
    path = tmp_path / f"Enedis_{'Conso' if direction == 'consumption' else 'Prod'}_Jour.csv"
    path.write_bytes(web_index(uid, direction, daily, first, end).encode())
    got = read(path)
    skipped = {hole, hole + timedelta(days=1)}
    assert got == [
        (uid, direction, d, float(energy))  # type: ignore[arg-type]
        for d, energy in truth.items()
        if d not in skipped
    ]
    assert len(got) == len(truth) - 2


def test_the_simulated_file_is_shaped_as_the_real_one() -> None:
    text = web_index(
        PRM, "consumption", [(date(2026, 3, 29), 9000)], date(2026, 3, 29), date(2026, 3, 30)
    )
    lines = text.split("\n")
    assert text.startswith("\ufeff" + INDEX_HEADER + "\n") and text.endswith("\n")
    assert (
        lines[1]
        == f"{PRM};Index;28/03/2026;30/03/2026;Energie active;Consommation;Comptage Brut;Wh"
    )
    assert lines[3:5] == [
        "2026-03-29T00:00:00+01:00;Arrêté quotidien;4000000;6000000;;;;;;;;;"
        "2000000;3000000;2000000;3000000;10000000",
        "2026-03-30T00:00:00+02:00;Arrêté quotidien;4003600;6005400;;;;;;;;;"
        "2000000;3000000;2003600;3005400;10009000",
    ]
    assert lines[5].startswith("Periode;") and len(lines[5].split(";")) == 47
    assert "saisonniÃ¤re" in lines[6] and lines[7] == ""
    solar = web_index(
        PRM, "production", [(date(2026, 7, 1), 20)], date(2026, 7, 1), date(2026, 7, 2)
    )
    assert solar.split("\n")[2].endswith(";EAS T;EAI T")
    assert solar.split("\n")[3:] == [
        "2026-07-01T00:00:00+02:00;Arrêté quotidien;;;;;;;;;;;;;;;;10000000",
        "2026-07-02T00:00:00+02:00;Arrêté quotidien;;;;;;;;;;;;;;;;10000020",
        "",
    ]


def test_a_reading_belongs_to_the_day_whose_paris_midnight_is_nearest(tmp_path: Path) -> None:
    """The 2021 files read at 01:00+02:00 in summer (midnight CET): still that day."""
    path = write(
        tmp_path,
        reading("2021-03-27T00:00:00+01:00", "16011346"),
        reading("2021-03-28T00:00:00+01:00", "16020455"),
        reading("2021-03-29T01:00:00+02:00", "16030267"),
        reading("2021-03-30T01:00:00+02:00", "16037132"),
        reading("2021-10-31T01:00:00+02:00", "17400000"),  # summer time: midnight CET
        reading("2021-11-01T00:00:00+01:00", "17406000"),
        reading("2021-12-01T23:30:00+01:00", "17500000"),  # half an hour before the 2nd
        reading("2021-12-03T00:00:00+01:00", "17510000"),
    )
    assert read(path) == [
        (PRM, "consumption", date(2021, 3, 27), 9109.0),
        (PRM, "consumption", date(2021, 3, 28), 9812.0),
        (PRM, "consumption", date(2021, 3, 29), 6865.0),
        (PRM, "consumption", date(2021, 10, 31), 6000.0),
        (PRM, "consumption", date(2021, 12, 2), 10000.0),
    ]


def test_empty_totals_a_falling_index_blank_lines_and_the_trailer(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        reading("2024-05-01T00:00:00+02:00", "1000"),
        reading("2024-05-02T00:00:00+02:00", "1500"),
        "",
        reading("2024-05-03T00:00:00+02:00", ""),  # no reading: the 2nd and the 3rd are out
        reading("2024-05-04T00:00:00+02:00", "2500"),
        reading("2024-05-05T00:00:00+02:00", "2800"),
        reading("2024-05-06T00:00:00+02:00", "100"),  # a new meter: no negative day
        reading("2024-05-07T00:00:00+02:00", "400"),
        "Periode;Identifiant calendrier fournisseur;Libelle calendrier fournisseur",
        "Du 2024-05-01T00:00:00+02:00 au;FC000040;Avec diffÃ©renciation temporelle et saisonniÃ¤re",
        "2024-05-08T00:00:00+02:00;never;read",
    )
    with path.open("ab") as handle:
        handle.write(b"Latin-1 in the trailer: saisonni\xe8re\n")
    assert read(path) == [
        (PRM, "consumption", date(2024, 5, 1), 500.0),
        (PRM, "consumption", date(2024, 5, 4), 300.0),
        (PRM, "consumption", date(2024, 5, 6), 300.0),
    ]


@pytest.mark.parametrize(
    ("meta", "rows", "message"),
    [
        (
            META.replace("Index", "Courbe de charge"),
            (),
            "line 2: Type de donnees 'Courbe de charge': only Index is read",
        ),
        (
            META.replace("Index", "Puissance maximale quotidienne"),
            (),
            "line 2: Type de donnees 'Puissance maximale quotidienne': the daily maximum power "
            "is not read, only Index",
        ),
        (
            META.replace(";Wh", ";kWh"),
            (),
            "line 2: Unite 'kWh': only Wh (a cumulative index) is known",
        ),
        (
            META.replace("Consommation", "Injection"),
            (),
            "line 2: Grandeur metier 'Injection': neither Consommation nor Production",
        ),
        (META.replace(PRM, "123"), (), "line 2: Identifiant PRM '123' is not 14 digits"),
        (
            META,
            (reading("2024-05-01 00:00:00", "1"),),
            "line 4: Horodate '2024-05-01 00:00:00' is not an ISO time with its offset",
        ),
        (
            META,
            (
                reading("2024-05-01T00:00:00+02:00", "1"),
                reading("2024-05-02T00:00:00+02:00", "1,5"),
            ),
            "line 5: EAS T '1,5' is not a whole number of Wh",
        ),
        (
            META,
            (reading("2024-05-02T00:00:00+02:00", "1"), reading("2024-05-01T00:00:00+02:00", "2")),
            "line 5: Horodate '2024-05-01T00:00:00+02:00' is not a day after the line before "
            "(2024-05-02)",
        ),
        (
            META,
            (reading("2024-05-01T00:00:00+02:00", "1"), reading("2024-05-01T01:00:00+02:00", "2")),
            "line 5: Horodate '2024-05-01T01:00:00+02:00' is not a day after the line before "
            "(2024-05-01)",
        ),
        (
            META,
            (reading("2024-05-01T12:00:00+02:00", "1"),),
            "line 4: Horodate '2024-05-01T12:00:00+02:00' is not a daily reading (more than two "
            "hours from a Paris midnight)",
        ),
        (META, ("2024-05-01T00:00:00+02:00;Arrêté quotidien;1",), "line 4: 3 columns, not 17"),
    ],
)
def test_a_bad_file_names_the_line_and_what_is_wrong(
    tmp_path: Path, meta: str, rows: tuple[str, ...], message: str
) -> None:
    with pytest.raises(BadFile) as caught:
        read(write(tmp_path, *rows, meta=meta))
    assert str(caught.value) == f"{tmp_path / 'Enedis_Conso_Jour.csv'}: {message}"


def test_the_total_column_is_found_by_name(tmp_path: Path) -> None:
    production = META.replace("Consommation", "Production")
    with pytest.raises(BadFile) as caught:
        read(write(tmp_path, meta=production))
    assert str(caught.value) == f"{tmp_path / 'Enedis_Conso_Jour.csv'}: line 3: no EAI T column"
    shuffled = write(
        tmp_path,
        "2024-05-01T00:00:00+02:00;7;Arrêté quotidien",
        "2024-05-02T00:00:00+02:00;19;Arrêté quotidien",
        meta=production,
        columns="Horodate;EAI T;Type de releve",
    )
    assert read(shuffled) == [(PRM, "production", date(2024, 5, 1), 12.0)]


def test_the_index_header_is_told_from_the_other_exports() -> None:
    assert is_web_index("\ufeff" + INDEX_HEADER + "\n") and is_web_index(INDEX_HEADER + "\r\n")
    assert not is_web_index("\ufeff" + WEB_HEADER + "\n")  # the load curve has a step column
    assert not is_web_index(R63_HEADER + "\n") and not is_web_index("debut;fin;kW\n")
    assert not is_web_index("")
    assert not is_web_curve("\ufeff" + INDEX_HEADER + "\n")
    assert not is_consodl("\ufeff" + INDEX_HEADER + "\n")
