from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta

import pytest

from linkyflux.models import CurveReading
from linkyflux.sinks import points, schema
from linkyflux.sinks.lineprotocol import head, line
from linkyflux.sinks.points import curve_lines
from linkyflux.tariffs.classifier import TariffRun

PRM = "22516914714270"


def test_floats_and_order() -> None:
    assert line("m", [("a", "1"), ("b", "x")], [("f", 3), ("g", 0.5)], 1700000000) == (
        "m,a=1,b=x f=3.0,g=0.5 1700000000"
    )


def test_escaping() -> None:
    assert line("my m,x", [("t k", "a=b,c d")], [("f=1", 1.0)], 1) == (
        r"my\ m\,x,t\ k=a\=b\,c\ d f\=1=1.0 1"
    )


def test_empty_tags_are_left_out() -> None:
    assert line("m", [("a", "")], [("f", 1.0)], 1) == "m f=1.0 1"


@pytest.mark.parametrize("value", [float("nan"), float("inf")])
def test_non_finite_values_are_refused(value: float) -> None:
    with pytest.raises(ValueError, match="line protocol cannot carry"):
        line("m", [], [("f", value)], 1)


def test_a_line_needs_a_field() -> None:
    with pytest.raises(ValueError, match="at least one field"):
        line("m", [("a", "1")], [], 1)


def test_any_iterables_and_the_cached_head() -> None:
    tags = [("t k", "a=b"), ("empty", ""), ("u", "v")]
    first = line("my m", tags, iter([("f", 2)]), 7)
    assert first == r"my\ m,t\ k=a\=b,u=v f=2.0 7"
    assert line("my m", iter(tags), (("f", 2.5),), 8) == r"my\ m,t\ k=a\=b,u=v f=2.5 8"
    assert head("my m", tuple(tags)) == r"my\ m,t\ k=a\=b,u=v"


def reference_line(reading: CurveReading, tariff: str, cost_eur: float | None) -> str:
    """What curve_lines writes, the long way."""
    fields = [(schema.FIELD_ENERGY_WH, reading.energy_wh), (schema.FIELD_POWER_W, reading.power_w)]
    if cost_eur is not None:
        fields.insert(0, (schema.FIELD_COST_EUR, cost_eur))
    tags = [
        (schema.TAG_DIRECTION, reading.direction),
        (schema.TAG_TARIFF, tariff),
        (schema.TAG_USAGE_POINT, reading.usage_point_id),
    ]
    return line(schema.LOAD_CURVE, tags, fields, int(reading.start.timestamp()))


START = datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def run_of(
    powers: list[float], tariff: str = "HC", minutes: int = 30, usage_point_id: str = PRM
) -> TariffRun:
    readings = [
        CurveReading.at(
            usage_point_id, "consumption", START + n * timedelta(minutes=minutes), minutes, power
        )
        for n, power in enumerate(powers)
    ]
    return TariffRun(usage_point_id, "consumption", date(2026, 3, 29), tariff, minutes, readings)


@pytest.mark.parametrize(
    ("run", "costs"),
    [
        (run_of([1234.0, 0.0, 617.5, 1234.0]), None),
        (run_of([3.0, 7.0, 3.0], "BASE", 10), None),  # 10-minute energies: sixths
        (run_of([1234, 5, 1234.0]), None),  # ints
        (run_of([0.1, 1234.0]), [0.0123, 1.0]),
        (run_of([5.0], usage_point_id="a b,c=d"), None),  # escaped
        (run_of([5.0], ""), None),  # no tariff
        (run_of([5.0], usage_point_id=""), None),
        (run_of([1e300, -0.0, 0.0, -0.0]), None),
        (run_of([4.0, 6.0], "HP", 60), [-0.0, 0.5]),
    ],
)
def test_curve_lines_write_what_line_writes(run: TariffRun, costs: list[float] | None) -> None:
    """Twice: once writing each power's fields, once with them kept."""
    expected = [
        reference_line(r, run.tariff, None if costs is None else costs[n])
        for n, r in enumerate(run.readings)
    ]
    assert curve_lines(run, costs) == expected
    assert curve_lines(run, costs) == expected


def test_curve_lines_bytes() -> None:
    run = run_of([1234.0, 1235.0])
    assert curve_lines(run) == [
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        "energy_wh=617.0,power_w=1234.0 1774744200",
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        "energy_wh=617.5,power_w=1235.0 1774746000",
    ]
    assert curve_lines(run, [0.25, -0.0]) == [
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        "cost_eur=0.25,energy_wh=617.0,power_w=1234.0 1774744200",
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        "cost_eur=0.0,energy_wh=617.5,power_w=1235.0 1774746000",
    ]


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_curve_lines_refuse_non_finite_values(value: float) -> None:
    with pytest.raises(ValueError, match=f"^line protocol cannot carry {value}$"):
        curve_lines(run_of([1.0, value]))
    with pytest.raises(ValueError, match=f"^line protocol cannot carry {value}$"):
        curve_lines(run_of([1.0, 2.0]), [1.0, value])


def test_curve_lines_need_a_cost_per_reading() -> None:
    with pytest.raises(ValueError, match="zip"):
        curve_lines(run_of([1.0, 2.0]), [1.0])


def test_the_fields_kept_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """At most KEPT_FIELDS per interval length; the lines stay the same when they are
    forgotten."""
    monkeypatch.setattr(points, "KEPT_FIELDS", 3)
    monkeypatch.setattr(points, "_FIELDS", defaultdict(dict))
    run = run_of([float(n % 5) for n in range(12)], minutes=15)
    expected = [reference_line(r, "HC", None) for r in run.readings]
    assert curve_lines(run) == expected
    assert curve_lines(run) == expected
    assert 1 <= len(points._FIELDS[15]) <= 3
    assert set(points._FIELDS) == {15}
