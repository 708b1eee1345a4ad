from __future__ import annotations

import pytest

from linkyflux.lineprotocol import line


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
