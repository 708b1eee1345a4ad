from __future__ import annotations

from datetime import UTC, datetime

import pytest

from linkyflux import schema
from linkyflux.lineprotocol import head, line
from linkyflux.models import CurveReading
from linkyflux.points import curve_line


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


def reference_curve_line(reading: CurveReading, tariff: str, cost_eur: float | None) -> str:
    """What curve_line writes, the long way."""
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


@pytest.mark.parametrize(
    ("reading", "tariff", "cost_eur"),
    [
        (CurveReading("22516914714270", "consumption", START, 30, 1234.0), "HC", None),
        (CurveReading("22516914714270", "production", START, 10, 3.0), "BASE", None),
        (CurveReading("22516914714270", "consumption", START, 60, 1234), "HP", None),  # an int
        (CurveReading("22516914714270", "consumption", START, 30, 0.1), "HP", 0.0123),
        (CurveReading("a b,c=d", "consumption", START, 30, 5.0), "HC", None),  # escaped
        (CurveReading("22516914714270", "consumption", START, 30, 5.0), "", None),  # no tariff
        (CurveReading("", "consumption", START, 30, 5.0), "HC", None),
        (CurveReading("22516914714270", "consumption", START, 30, 1e300), "HC", None),
    ],
)
def test_curve_line_writes_what_line_writes(
    reading: CurveReading, tariff: str, cost_eur: float | None
) -> None:
    assert curve_line(reading, tariff, cost_eur) == reference_curve_line(reading, tariff, cost_eur)


def test_curve_line_bytes() -> None:
    reading = CurveReading("22516914714270", "consumption", START, 30, 1234.0)
    assert curve_line(reading, "HC") == (
        "linky_load_curve,direction=consumption,tariff=HC,usage_point_id=22516914714270 "
        "energy_wh=617.0,power_w=1234.0 1774744200"
    )
    assert curve_line(reading, "HP", 0.25) == (
        "linky_load_curve,direction=consumption,tariff=HP,usage_point_id=22516914714270 "
        "cost_eur=0.25,energy_wh=617.0,power_w=1234.0 1774744200"
    )


@pytest.mark.parametrize("power", [float("nan"), float("inf"), float("-inf")])
@pytest.mark.parametrize("cost_eur", [None, 1.0])
def test_curve_line_refuses_non_finite_values(power: float, cost_eur: float | None) -> None:
    reading = CurveReading("22516914714270", "consumption", START, 30, power)
    with pytest.raises(ValueError, match="line protocol cannot carry"):
        curve_line(reading, "HC", cost_eur)
    with pytest.raises(ValueError, match="line protocol cannot carry"):
        curve_line(CurveReading("22516914714270", "consumption", START, 30, 1.0), "HC", power)
