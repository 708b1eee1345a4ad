"""Serialisation throughput: load-curve readings -> classified (HC/HP) -> line protocol.

linkyflux: :meth:`Classifier.runs` cuts a meter's readings where the day or the tariff
changes, then :func:`linkyflux.sinks.points.curve_lines` writes each run, as the pipeline does.
Baseline: the same classification, then each line built with influxdb-client's ``Point``
(``.tag``/``.field``/``.time(…, WritePrecision.S)`` and ``.to_line_protocol()``). Both sides
serialise the same readings, chunk by chunk, in turns; each chunk's bytes must be
identical.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from influxdb_client.client.write.point import Point
from influxdb_client.domain.write_precision import WritePrecision

from benchmarks.common import Figure, secs
from linkyflux.models import CurveReading, Direction
from linkyflux.sinks import schema
from linkyflux.sinks.points import curve_lines
from linkyflux.tariffs.classifier import Classifier, DatedSchedule
from linkyflux.tariffs.grammar import parse_offpeak

TARGET = 10.0
CHUNK = 10_000
METERS = 20  # 1,000,000 readings: 20 meters, 50,000 half-hours (about 2 years 10 months) each
# (a chunk is of one meter: a call to the gateway brings one meter's readings)
FIRST = datetime(2024, 1, 1, tzinfo=UTC) - timedelta(hours=1)  # Paris midnight

# Point writes a whole float without its ".0" (100.0 -> "100"), linkyflux always as a float
# ("100.0"). The one way to make Point print "100.0" is an int value with ".0" as its type
# suffix: the suffix Point appends to ints, "i" unless its field types (which only
# Point.from_dict sets, to "i", "u" or "") say otherwise.
_FLOAT_SUFFIXES = {schema.FIELD_ENERGY_WH: ".0", schema.FIELD_POWER_W: ".0"}


def classifier() -> Classifier:
    """A schedule changed on 2025-11-01, with weekends and holidays off-peak afterwards."""
    return Classifier(
        [
            DatedSchedule(None, parse_offpeak("22h00-6h00")),
            DatedSchedule(
                date(2025, 11, 1), parse_offpeak("23h00-7h00 samedi dimanche 0h-24h fe 0h-24h")
            ),
        ],
        contracts={},
    )


def readings(count: int) -> Iterator[list[CurveReading]]:
    """``count`` half-hour readings, in chunks of one meter: consecutive intervals of METERS
    meters (every fifth one producing), integer watts as Enedis sends them."""
    rng = random.Random(7)
    per_meter = -(-count // METERS)
    chunk: list[CurveReading] = []
    for n in range(count):
        meter, slot = divmod(n, per_meter)
        direction: Direction = "production" if meter % 5 == 4 else "consumption"
        start = FIRST + timedelta(minutes=30 * slot)
        power = float(
            rng.randrange(0, 4000) if direction == "production" else rng.randrange(150, 9000)
        )
        chunk.append(CurveReading.at(f"{30000000000000 + meter:014d}", direction, start, 30, power))
        if len(chunk) == CHUNK or (chunk and slot == per_meter - 1):
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def point_line(reading: CurveReading, tariff: str) -> str:
    point = (
        Point(schema.LOAD_CURVE)  # type: ignore[no-untyped-call]
        .tag(schema.TAG_DIRECTION, reading.direction)
        .tag(schema.TAG_TARIFF, tariff)
        .tag(schema.TAG_USAGE_POINT, reading.usage_point_id)
    )
    point._field_types = _FLOAT_SUFFIXES
    for name, value in (
        (schema.FIELD_ENERGY_WH, reading.energy_wh),
        (schema.FIELD_POWER_W, reading.power_w),
    ):
        # (exact for our values: below 1e16 a whole float's repr is its digits and ".0")
        point.field(name, int(value) if value.is_integer() else value)
    line: str = point.time(reading.timestamp, WritePrecision.S).to_line_protocol()
    return line


def run(quick: bool) -> Figure:
    count = 20_000 if quick else 1_000_000
    runs = classifier().runs

    def with_linkyflux(chunk: list[CurveReading]) -> list[str]:
        lines = []
        for run in runs(chunk[0].usage_point_id, chunk[0].direction, chunk):
            lines += curve_lines(run)
        return lines

    def with_point(chunk: list[CurveReading]) -> list[str]:
        return [
            point_line(reading, run.tariff)
            for run in runs(chunk[0].usage_point_id, chunk[0].direction, chunk)
            for reading in run.readings
        ]

    def classification_only(chunk: list[CurveReading]) -> list[str]:
        return [run.tariff for run in runs(chunk[0].usage_point_id, chunk[0].direction, chunk)]

    works = (with_linkyflux, with_point, classification_only)
    spent = [0.0] * len(works)
    for chunk in readings(count):
        outputs = []
        for n, work in enumerate(works):  # in turns, on the same chunk
            began = time.perf_counter()
            outputs.append(work(chunk))
            spent[n] += time.perf_counter() - began
        mine, points = outputs[0], outputs[1]
        if "\n".join(mine).encode() != "\n".join(points).encode():
            first = next(n for n, (a, b) in enumerate(zip(mine, points, strict=True)) if a != b)
            return Figure(
                "serialisation",
                f"{count:,} readings",
                broken=f"bytes differ: linkyflux {mine[first]!r}, Point {points[first]!r}",
            )
    ours, theirs, alone = spent
    per = 1e6 / count
    ratio = theirs / ours
    return Figure(
        "serialisation",
        f"{count:,} readings  linkyflux {secs(ours)}  Point {secs(theirs)}  ratio {ratio:.1f}x  "
        f"(per reading: classification {alone * per:.1f} µs, linkyflux's line "
        f"{(ours - alone) * per:.1f} µs, Point's {(theirs - alone) * per:.1f} µs; "
        "identical bytes)",
        ok=ratio >= TARGET,
        target=f"target >= {TARGET:g}x",
    )
