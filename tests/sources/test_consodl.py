"""The Conso Downloader CSV reader (docs/enedis-exports.md §4.1): the simulator writes the
extension's file from its meters' intervals, the reader gives them back at their true instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.errors import BadFile
from linkyflux.models import Direction
from linkyflux.simulator.exports import INDEX_HEADER, R63_HEADER, WEB_HEADER, consodl, consodl_name
from linkyflux.simulator.synthetic import Interval
from linkyflux.sources.exports.consodl import is_consodl, read_consodl
from linkyflux.sources.exports.webcsv import is_web_curve
from linkyflux.sources.exports.webindex import is_web_index

from simenv import world

HOUSE = "22516914714270"  # PT30M consumption
HOURLY = "50000000000060"  # PT60M consumption
SOLAR = "24880057139941"  # PT30M production
SPRING, AUTUMN = date(2026, 3, 29), date(2026, 10, 25)
PRM = "00000000000001"
NAME = f"historique_conso_{PRM}_2026-11-22.csv"


def utc(text: str) -> int:
    return int(datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp())


def truth(tmp_path: Path, uid: str, direction: Direction, *day: date) -> list[Interval]:
    with world(tmp_path) as w:
        return [i for d in day for i in w.simulator.truth_curve(uid, direction, d)]


def as_read(intervals: list[Interval]) -> list[tuple[int, int, float]]:
    return [(int(i.start.timestamp()), i.minutes, float(i.power_w)) for i in intervals]


def read(path: Path) -> list[tuple[int, int, float]]:
    return [(r.timestamp, r.minutes, r.power_w) for r in read_consodl(path)]


def export(tmp_path: Path, uid: str, direction: Direction, intervals: list[Interval]) -> Path:
    path = tmp_path / consodl_name(uid, direction, date(2026, 11, 22))
    path.write_bytes(consodl(intervals).encode())
    return path


def test_the_spring_and_autumn_days_come_back_at_their_true_instants(tmp_path: Path) -> None:
    curve = truth(tmp_path, HOUSE, "consumption", SPRING, AUTUMN)
    assert len(curve) == 46 + 50
    path = export(tmp_path, HOUSE, "consumption", curve)
    lines = path.read_text().split("\n")
    # the naive wall clock: 01:30 then 03:00 in March, 02:00 and 02:30 twice in October
    assert [ln[:33] for ln in lines[4:6]] == [
        "2026-03-29T01:30;2026-03-29T03:00",
        "2026-03-29T03:00;2026-03-29T03:30",
    ]
    assert [ln[:33] for ln in lines[50:55]] == [
        "2026-10-25T01:30;2026-10-25T02:00",
        "2026-10-25T02:00;2026-10-25T02:30",
        "2026-10-25T02:30;2026-10-25T02:00",
        "2026-10-25T02:00;2026-10-25T02:30",
        "2026-10-25T02:30;2026-10-25T03:00",
    ]
    got = list(read_consodl(path))
    assert {(r.usage_point_id, r.direction) for r in got} == {(HOUSE, "consumption")}
    assert [(r.timestamp, r.minutes, r.power_w) for r in got] == as_read(curve)
    starts = [r.timestamp for r in got]
    assert starts[3:5] == [utc("2026-03-29T00:30"), utc("2026-03-29T01:00")]
    assert starts[46 + 3 : 46 + 8] == [
        utc("2026-10-24T23:30"),
        utc("2026-10-25T00:00"),  # 02:00 CEST
        utc("2026-10-25T00:30"),
        utc("2026-10-25T01:00"),  # 02:00 CET
        utc("2026-10-25T01:30"),
    ]


def test_an_hourly_meter_on_the_autumn_day(tmp_path: Path) -> None:
    curve = truth(tmp_path, HOURLY, "consumption", AUTUMN)
    assert len(curve) == 25
    got = read(export(tmp_path, HOURLY, "consumption", curve))
    assert got == as_read(curve)
    assert [start for start, _, _ in got[2:5]] == [
        utc("2026-10-25T00:00"),  # 02:00 → 02:00: the first 02:00 is CEST, the end CET
        utc("2026-10-25T01:00"),
        utc("2026-10-25T02:00"),
    ]
    assert {minutes for _, minutes, _ in got} == {60}


def test_production_with_a_hole(tmp_path: Path) -> None:
    """Missing intervals are no rows: nothing is yielded for them."""
    curve = truth(tmp_path, SOLAR, "production", date(2026, 6, 20))
    assert len(curve) == 48 and sum(i.power_w for i in curve) > 0
    kept = curve[:20] + curve[26:]
    path = export(tmp_path, SOLAR, "production", kept)
    assert path.name == f"historique_prod_{SOLAR}_2026-11-22.csv"
    got = list(read_consodl(path))
    assert {(r.usage_point_id, r.direction) for r in got} == {(SOLAR, "production")}
    assert [(r.timestamp, r.minutes, r.power_w) for r in got] == as_read(kept)


def test_kw_are_written_as_javascript_prints_them() -> None:
    start = datetime(2023, 12, 11, 23, 0, tzinfo=UTC)
    intervals = [
        Interval(start + timedelta(minutes=30 * n), 30, w)
        for n, w in enumerate((696, 1000, 1500, 10, 0, 12340))
    ]
    assert consodl(intervals) == (
        "debut;fin;kW\n"
        '2023-12-12T00:00;2023-12-12T00:30;"0,696"\n'
        '2023-12-12T00:30;2023-12-12T01:00;"1"\n'
        '2023-12-12T01:00;2023-12-12T01:30;"1,5"\n'
        '2023-12-12T01:30;2023-12-12T02:00;"0,01"\n'
        '2023-12-12T02:00;2023-12-12T02:30;"0"\n'
        '2023-12-12T02:30;2023-12-12T03:00;"12,34"\n'
    )
    assert consodl_name(PRM, "consumption", date(2026, 1, 2)) == (
        f"historique_conso_{PRM}_2026-01-02.csv"
    )


def write(tmp_path: Path, *rows: str, header: str = "debut;fin;kW", name: str = NAME) -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_variants_the_reader_tolerates(tmp_path: Path) -> None:
    """The kWh header, seconds, offsets, CRLF, decimal points, missing values, blank lines."""
    path = write(
        tmp_path,
        '2023-12-12T00:00;2023-12-12T00:30;"0,696"',
        '2023-12-12T00:30:00;2023-12-12T01:00:00;"1"',
        "2023-12-12T01:00;2023-12-12T01:30;NA",
        '2023-12-12T01:30;2023-12-12T02:00;"-"',
        '2023-12-12T02:00;2023-12-12T02:30;""',
        "",
        '2023-12-12T02:30+01:00;2023-12-12T03:00+01:00;"2.5"',
        '2023-12-12T04:00+02:00;2023-12-12T04:15+02:00;"0,25"',
        header="debut;fin;kWh",
        name=f"Copy of historique_prod_{PRM}_2023-12-13 (1).CSV",
    )
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert is_consodl(path.read_text().split("\n")[0])
    got = list(read_consodl(path))
    assert {(r.usage_point_id, r.direction) for r in got} == {(PRM, "production")}
    assert [(r.timestamp, r.minutes, r.power_w) for r in got] == [
        (utc("2023-12-11T23:00"), 30, 696.0),
        (utc("2023-12-11T23:30"), 30, 1000.0),
        (utc("2023-12-12T01:30"), 30, 2500.0),
        (utc("2023-12-12T02:00"), 15, 250.0),  # as its offset says
    ]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (('2023-12-12T00:00;2023-12-12T00:30;"abc"',), "line 2: value 'abc' is not a number of kW"),
        (
            ('2023-12-12T00:00;2023-12-12T00:30;"-0,5"',),
            "line 2: value '-0,5' is not a power in kW",
        ),
        (
            ('2023-12-12 00:00;2023-12-12T00:30;"1"',),
            "line 2: debut '2023-12-12 00:00' is not a time such as 2023-12-12T00:30",
        ),
        (
            ('2023-12-32T00:00;2023-12-12T00:30;"1"',),
            "line 2: debut '2023-12-32T00:00' is not a date and time",
        ),
        (
            ('2023-12-12T00:30;2023-12-12T01:00;"1"', '2023-12-12T00:00;2023-12-12T00:30;"1"'),
            "line 3: debut '2023-12-12T00:00' is not after the line before",
        ),
        (
            ('2023-12-12T00:00;2023-12-12T00:30;"1"', '2023-12-12T00:00;2023-12-12T00:30;"1"'),
            "line 3: debut '2023-12-12T00:00' is not after the line before",
        ),
        (
            ('2026-03-29T02:00;2026-03-29T03:00;"1"',),
            "line 2: debut '2026-03-29T02:00' does not exist in Europe/Paris (the clocks jump it)",
        ),
        (
            ('2023-12-12T00:00;2023-12-12T01:30;"1"',),
            "line 2: '2023-12-12T00:00' to '2023-12-12T01:30' is 90 minutes: not a step that "
            "divides an hour",
        ),
        (
            ('2023-12-12T00:00;2023-12-12T00:07;"1"',),
            "line 2: '2023-12-12T00:00' to '2023-12-12T00:07' is 7 minutes: not a step that "
            "divides an hour",
        ),
        (("2023-12-12T00:00;2023-12-12T00:30",), "line 2: 2 columns, not 3"),
    ],
)
def test_a_bad_line_names_the_file_the_line_and_what_is_wrong(
    tmp_path: Path, rows: tuple[str, ...], message: str
) -> None:
    with pytest.raises(BadFile) as caught:
        read(write(tmp_path, *rows))
    assert str(caught.value) == f"{tmp_path / NAME}: {message}"


@pytest.mark.parametrize(
    "name",
    ["consodl.csv", f"historique_conso_{PRM[:-1]}_2026-11-22.csv", f"historique_gaz_{PRM}.csv"],
)
def test_the_meter_is_named_by_the_file_name_only(tmp_path: Path, name: str) -> None:
    path = write(tmp_path, '2023-12-12T00:00;2023-12-12T00:30;"1"', name=name)
    with pytest.raises(BadFile) as caught:
        read(path)
    assert str(caught.value) == (
        f"{path}: a Conso Downloader file names its meter only in its file name: keep the name "
        "historique_conso_<PRM>_<date>.csv (or historique_prod_…)"
    )


def test_a_bad_header(tmp_path: Path) -> None:
    with pytest.raises(BadFile) as caught:
        read(write(tmp_path, header="debut;fin;W"))
    assert str(caught.value) == f"{tmp_path / NAME}: line 1: expected the header debut;fin;kW"


def test_the_header_is_told_from_the_other_exports() -> None:
    assert is_consodl("debut;fin;kW\n") and is_consodl("debut;fin;kWh\r\n")
    assert is_consodl("\ufeffdebut;fin;kW")
    assert not is_consodl("debut;fin;W\n") and not is_consodl("debut;fin;kW;x\n")
    for other in (INDEX_HEADER, WEB_HEADER, R63_HEADER):
        assert not is_consodl("\ufeff" + other + "\n")
    assert not is_web_index("debut;fin;kW\n") and not is_web_curve("debut;fin;kW\n")
