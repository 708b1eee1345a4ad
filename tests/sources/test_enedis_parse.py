"""Conversion of Enedis v5 payloads into readings: end-of-interval local labels -> UTC starts."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from linkyflux.errors import DataError
from linkyflux.models import CurveReading, DailyReading, Direction, MaxPowerReading
from linkyflux.simulator.simulator import Simulator
from linkyflux.simulator.synthetic import METERS_BY_ID, published_curve
from linkyflux.sources.enedis import (
    Request,
    curve_readings,
    daily_readings,
    local_to_utc,
    max_power_readings,
    minutes_of,
    naive_label,
    v5_items,
)
from linkyflux.timeutil import FakeClock

PRM = "11111111111111"
REQ = Request(
    "metering_data_clc/v5/consumption_load_curve", PRM, date(2023, 4, 1), date(2023, 4, 2)
)


def parse_curve(body: dict[str, Any], req: Request, direction: Direction) -> list[CurveReading]:
    return curve_readings(v5_items(body, req), req, direction)


def parse_daily(body: dict[str, Any], req: Request, direction: Direction) -> list[DailyReading]:
    return daily_readings(v5_items(body, req), req, direction)


def parse_max_power(body: dict[str, Any], req: Request) -> list[MaxPowerReading]:
    return max_power_readings(v5_items(body, req), req)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def body(points: list[tuple[str, str, str | None]]) -> dict[str, object]:
    items = []
    for value, label, length in points:
        item = {"value": value, "date": label, "measure_type": "B"}
        if length:
            item["interval_length"] = length
        items.append(item)
    return {"meter_reading": {"usage_point_id": PRM, "interval_reading": items}}


def test_live_fixture_first_and_last_points_of_a_day() -> None:
    # bokub/linky live recording: 2023-04-01, CEST (UTC+2); first label 00:30, last 00:00 next day.
    readings = parse_curve(
        body([("752", "2023-04-01 00:30:00", "PT30M"), ("88", "2023-04-02 00:00:00", "PT30M")]),
        REQ,
        "consumption",
    )
    assert [(r.start, r.minutes, r.power_w, r.energy_wh) for r in readings] == [
        (utc(2023, 3, 31, 22, 0), 30, 752.0, 376.0),
        (utc(2023, 4, 1, 21, 30), 30, 88.0, 44.0),
    ]


def test_october_repeated_labels_resolve_to_consecutive_instants() -> None:
    labels = ["01:30", "02:00", "02:30", "02:00", "02:30", "03:00"]
    readings = parse_curve(
        body([(str(n), f"2026-10-25 {t}:00", "PT30M") for n, t in enumerate(labels)]),
        REQ,
        "consumption",
    )
    # 00:30 local CEST = 22:30 UTC the day before; each interval follows the previous one.
    assert [r.start for r in readings] == [
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
    ]


def test_march_skipped_labels() -> None:
    readings = parse_curve(
        body([("1", "2026-03-29 01:30:00", "PT30M"), ("2", "2026-03-29 03:00:00", "PT30M")]),
        REQ,
        "consumption",
    )
    # 01:00-01:30 CET, then 01:30-02:00 CET which ends at 03:00 CEST.
    assert [r.start for r in readings] == [utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 0, 30)]


@pytest.mark.parametrize(
    ("day", "count", "first", "last"),
    [
        (date(2026, 3, 29), 46, utc(2026, 3, 28, 23, 0), utc(2026, 3, 29, 21, 30)),
        (date(2026, 10, 25), 50, utc(2026, 10, 24, 22, 0), utc(2026, 10, 25, 22, 30)),
        (date(2026, 11, 21), 48, utc(2026, 11, 20, 23, 0), utc(2026, 11, 21, 22, 30)),
    ],
)
def test_whole_days_from_the_simulator(
    day: date, count: int, first: datetime, last: datetime
) -> None:
    simulator = Simulator(FakeClock(utc(2026, 11, 22, 12)))
    prm = "22516914714270"
    reply = simulator._enedis(
        "metering_data_clc/v5/consumption_load_curve",
        {
            "usage_point_id": prm,
            "start": day.isoformat(),
            "end": date.fromordinal(day.toordinal() + 1).isoformat(),
        },
    )
    req = Request("clc", prm, day, day)
    readings = parse_curve(json.loads(reply.body), req, "consumption")
    assert len(readings) == count
    assert (readings[0].start, readings[-1].start) == (first, last)
    truth = published_curve(METERS_BY_ID[prm], "consumption", day)
    assert [(r.start, r.power_w) for r in readings] == [(i.start, i.power_w) for i in truth]


def test_each_point_uses_its_own_interval_length() -> None:
    readings = parse_curve(
        body(
            [
                ("600", "2020-07-13 05:30:00", "PT10M"),
                ("1200", "2020-07-13 06:30:00", "PT60M"),
                ("900", "2020-07-13 07:00:00", "PT30M"),
            ]
        ),
        REQ,
        "consumption",
    )
    assert [(r.start, r.minutes, r.energy_wh) for r in readings] == [
        (utc(2020, 7, 13, 3, 20), 10, 100.0),
        (utc(2020, 7, 13, 3, 30), 60, 1200.0),
        (utc(2020, 7, 13, 4, 30), 30, 450.0),
    ]


def test_gaps_are_kept_as_gaps() -> None:
    readings = parse_curve(
        body([("100", "2026-11-17 10:00:00", "PT30M"), ("100", "2026-11-17 14:30:00", "PT30M")]),
        REQ,
        "consumption",
    )
    assert [r.start for r in readings] == [utc(2026, 11, 17, 8, 30), utc(2026, 11, 17, 13, 0)]


def test_interval_length_defaults_and_units() -> None:
    assert [minutes_of(x) for x in ("PT5M", "PT10M", "PT15M", "PT30M", "PT60M", "PT1H")] == [
        5,
        10,
        15,
        30,
        60,
        60,
    ]
    with pytest.raises(ValueError, match="bad interval_length 'P1D'"):
        minutes_of("P1D")


def test_local_to_utc_prefers_the_first_occurrence_without_context() -> None:
    assert local_to_utc(datetime(2026, 10, 25, 2, 30)) == utc(2026, 10, 25, 0, 30)
    assert local_to_utc(datetime(2026, 10, 25, 2, 30), after=utc(2026, 10, 25, 1, 0)) == utc(
        2026, 10, 25, 1, 30
    )


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        (
            {
                "meter_reading": {
                    "usage_point_id": PRM,
                    "interval_reading": [{"value": "x", "date": "2023-04-01 00:30:00"}],
                }
            },
            "interval_reading[0].value is not a number: 'x'",
        ),
        (
            {
                "meter_reading": {
                    "usage_point_id": PRM,
                    "interval_reading": [{"value": "1", "date": "01/04/2023"}],
                }
            },
            "interval_reading[0].date is not a local date and time like "
            "'2023-04-01 00:30:00': '01/04/2023'",
        ),
        ({"error": "x"}, "no meter_reading in the answer"),
        (
            {"meter_reading": {"usage_point_id": "22222222222222", "interval_reading": []}},
            "the answer is for usage point 22222222222222",
        ),
        (
            body([("1", "2023-04-01 02:00:00", "PT30M"), ("1", "2023-04-01 01:00:00", "PT30M")]),
            "interval_reading[1] goes back in time (2023-04-01 01:00:00)",
        ),
    ],
)
def test_bad_payloads_are_one_clear_line(payload: dict[str, object], message: str) -> None:
    with pytest.raises(DataError) as info:
        parse_curve(payload, REQ, "consumption")
    text = str(info.value)
    assert text.startswith(f"{REQ}: ")
    assert message in text
    assert "\n" not in text


def test_daily_and_max_power() -> None:
    daily = parse_daily(
        {
            "meter_reading": {
                "usage_point_id": PRM,
                "interval_reading": [{"value": "11776", "date": "2023-04-01"}],
            }
        },
        REQ,
        "production",
    )
    assert [(d.day, d.energy_wh, d.direction) for d in daily] == [
        (date(2023, 4, 1), 11776.0, "production")
    ]
    peaks = parse_max_power(
        {
            "meter_reading": {
                "usage_point_id": PRM,
                "interval_reading": [{"value": "4638", "date": "2023-04-01 12:06:20"}],
            }
        },
        REQ,
    )
    assert [(p.day, p.power_va, p.at) for p in peaks] == [
        (date(2023, 4, 1), 4638.0, utc(2023, 4, 1, 10, 6, 20))
    ]


def test_myelectricaldata_start_labels_are_not_shifted_twice() -> None:
    """MyElectricalData moves each end label back by the interval on the naive local time,
    so on the October day its labels go 01:30, 02:00, 01:30, 02:00, 02:30 (not real starts)."""
    from linkyflux.sources.enedis import curve_readings

    labels = ["01:00", "01:30", "02:00", "01:30", "02:00", "02:30"]
    items = [
        {"value": "2", "date": f"2026-10-25 {t}:00", "interval_length": "PT30M"} for t in labels
    ]
    readings = curve_readings(items, REQ, "consumption", starts=True)
    assert [r.start for r in readings] == [
        utc(2026, 10, 24, 23, 0),
        utc(2026, 10, 24, 23, 30),
        utc(2026, 10, 25, 0, 0),
        utc(2026, 10, 25, 0, 30),
        utc(2026, 10, 25, 1, 0),
        utc(2026, 10, 25, 1, 30),
    ]


@pytest.mark.parametrize(
    "label",
    [
        "2026-10-25 02:30:00",
        "2026-01-05 00:00:00",
        "2026-1-5 0:30:00",  # one-digit fields: strptime takes them
        "2026-01-05T00:30:00",  # what fromisoformat alone would also take: refused
        "2026-01-05 00:30:00+01:00",
        "2026-01-05 00:30:00Z",
        "2026-01-05 003000.5",
        "2026-W01-1 00:30:00",
        "2026-01-05 00:30",
        "2026-01-05",
        "2026-02-30 00:30:00",
        "2026-01-05 24:00:00",
        "2026-01-05 00:30:0x",
        "",
    ],
)
def test_labels_are_read_as_strptime_reads_them(label: str) -> None:
    try:
        expected: datetime | str = datetime.strptime(label, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        expected = "ValueError"
    try:
        actual: datetime | str = naive_label(label)
    except ValueError:
        actual = "ValueError"
    assert actual == expected
