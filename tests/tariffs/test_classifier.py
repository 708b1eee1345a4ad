"""Which schedule applies: dated schedules, then the contract's off-peak hours, else BASE."""

from __future__ import annotations

import itertools
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from linkyflux.models import CurveReading, Direction
from linkyflux.sources.contracts import Contract
from linkyflux.tariffs.classifier import (
    BASE_DAY,
    Classifier,
    DatedSchedule,
    DaySchedule,
    contract_schedule,
)
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.timeutil import PARIS

from simenv import world

PRM = "22516914714270"


@pytest.mark.parametrize(
    ("hours", "described"),
    [
        ("HC (22H00-6H00)", "every day 22:00-06:00"),
        ("HC (1H30-8H00;12H30-14H00)", "every day 01:30-08:00, 12:30-14:00"),
        ("HC (23h00-7h30)", "every day 23:00-07:30"),
        ("HC (22H00-6H00), (13H00-15H00)", "every day 13:00-15:00, 22:00-06:00"),
    ],
)
def test_contract_hours(hours: str, described: str) -> None:
    assert f"consumption: {described}" in contract_schedule(hours).describe()


def contract(code: str, hours: str | None) -> Contract:
    return Contract(PRM, 9, code, hours, "SERVC", None)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=PARIS)


def test_dated_schedules_then_the_contract() -> None:
    classifier = Classifier(
        [
            DatedSchedule(None, parse_offpeak("")),
            DatedSchedule(date(2026, 11, 10), parse_offpeak("2h00-7h00")),
            DatedSchedule(date(2026, 11, 20), parse_offpeak("")),
        ],
        {PRM: contract("BTINFMUDT", "HC (22H00-6H00)")},
    )
    # before the first dated schedule: the contract's hours
    assert [classifier.classify(PRM, "consumption", at(9, h)) for h in (1, 6, 22)] == [
        "HC",
        "HP",
        "HC",
    ]
    # 2h00-7h00 from the 10th: the classification follows the day of the interval's start
    assert [classifier.classify(PRM, "consumption", at(10, h)) for h in (1, 6, 22)] == [
        "HP",
        "HC",
        "HP",
    ]
    assert classifier.classify(PRM, "consumption", at(19, 23, 30)) == "HP"
    assert classifier.classify(PRM, "consumption", at(20, 0, 0)) == "HC"  # the contract again


@pytest.mark.parametrize(
    "known",
    [{PRM: contract("BTINFCUST", None)}, {PRM: contract("BTINFCUST", "HC (22H00-6H00)")}, {}],
)
def test_base_without_off_peak_hours(known: dict[str, Contract]) -> None:
    classifier = Classifier([DatedSchedule(None, parse_offpeak(""))], known)
    assert classifier.classify(PRM, "consumption", at(9, 23)) == "BASE"


def changing_classifier() -> Classifier:
    """Schedules changing at midnight on the days the clocks change, then the contract."""
    return Classifier(
        [
            DatedSchedule(None, parse_offpeak("")),
            DatedSchedule(date(2026, 3, 29), parse_offpeak("1h00-2h30 22h-6h")),
            DatedSchedule(date(2026, 3, 30), parse_offpeak("23h30-0h30 sa 0h-24h")),
            DatedSchedule(date(2026, 10, 25), parse_offpeak("")),
            DatedSchedule(date(2026, 10, 26), parse_offpeak("0h-1h fe 0h-24h")),
        ],
        {PRM: contract("BTINFMUDT", "HC (1H00-7H00)")},
    )


def test_without_a_record_as_with_the_day_s_record() -> None:
    """Without a record, an instant is classified by what its Paris day's says, across
    schedule changes at midnight on the days the clocks change, whatever its time zone."""
    classifier = changing_classifier()
    for first in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)):
        for step in range(5 * 24 * 4):
            instant = first + timedelta(minutes=15 * step)
            day = instant.astimezone(PARIS).date()
            for direction in ("consumption", "production"):
                recorded = classifier.schedule_on(PRM, day)
                expected = classifier.classify(PRM, direction, instant, recorded)
                assert classifier.classify(PRM, direction, instant) == expected, instant
                assert classifier.classify(PRM, direction, instant.astimezone(PARIS)) == expected


def curve(first: datetime, count: int, minutes: int, direction: Direction) -> list[CurveReading]:
    return [
        CurveReading.at(PRM, direction, first + timedelta(minutes=minutes * n), minutes, 1.0)
        for n in range(count)
    ]


@pytest.mark.parametrize("direction", ["consumption", "production"])
@pytest.mark.parametrize("minutes", [10, 30, 60])
@pytest.mark.parametrize("order", ["in time", "shuffled"])
def test_runs_say_what_classify_says(direction: Direction, minutes: int, order: str) -> None:
    """Every reading of a run has the run's tariff, day and length, across schedule
    changes and DST days, in any order; in time order, runs are as long as they can be."""
    classifier = changing_classifier()
    for first in (datetime(2026, 3, 27, tzinfo=UTC), datetime(2026, 10, 23, tzinfo=UTC)):
        readings = curve(first, 5 * 24 * 60 // minutes, minutes, direction)
        if order == "shuffled":
            random.Random(minutes).shuffle(readings)
        runs = list(classifier.runs(PRM, direction, readings))
        assert [r for run in runs for r in run.readings] == readings
        for run in runs:
            assert (run.usage_point_id, run.direction, run.minutes) == (PRM, direction, minutes)
            for reading in run.readings:
                assert reading.start.astimezone(PARIS).date() == run.day
                assert classifier.classify(PRM, direction, reading.start) == run.tariff
        if order == "in time":
            for before, after in itertools.pairwise(runs):
                assert (before.day, before.tariff) != (after.day, after.tariff)


def test_runs_of_a_day() -> None:
    """22:00-06:00 on 2026-11-09 (CET): a 30-minute curve from midnight makes three runs,
    and a change of interval length a fourth."""
    classifier = Classifier([DatedSchedule(None, parse_offpeak("22h-6h"))], {})
    readings = curve(at(9, 0), 47, 30, "consumption")
    readings.append(CurveReading.at(PRM, "consumption", at(9, 23, 30), 10, 1.0))
    runs = [
        (run.day.isoformat(), run.tariff, run.minutes, run.readings[0].start, len(run.readings))
        for run in classifier.runs(PRM, "consumption", readings)
    ]
    assert runs == [
        ("2026-11-09", "HC", 30, datetime(2026, 11, 8, 23, 0, tzinfo=UTC), 12),
        ("2026-11-09", "HP", 30, datetime(2026, 11, 9, 5, 0, tzinfo=UTC), 32),
        ("2026-11-09", "HC", 30, datetime(2026, 11, 9, 21, 0, tzinfo=UTC), 3),
        ("2026-11-09", "HC", 10, datetime(2026, 11, 9, 22, 30, tzinfo=UTC), 1),
    ]


def test_runs_follow_the_schedule_given_for_each_day() -> None:
    """The sync engine passes the schedule a day was first written with."""
    classifier = Classifier([DatedSchedule(None, parse_offpeak("22h-6h"))], {})
    recorded = {date(2026, 11, 9): BASE_DAY}
    readings = curve(at(9, 0), 96, 30, "consumption")
    schedule_for = lambda day: recorded.get(day) or classifier.schedule_on(PRM, day)  # noqa: E731
    runs = [
        (str(run.day), run.tariff, len(run.readings))
        for run in classifier.runs(PRM, "consumption", readings, schedule_for)
    ]
    assert runs == [
        ("2026-11-09", "BASE", 48),
        ("2026-11-10", "HC", 12),
        ("2026-11-10", "HP", 32),
        ("2026-11-10", "HC", 4),
    ]


def test_runs_are_of_one_usage_point_and_direction() -> None:
    classifier = Classifier([DatedSchedule(None, parse_offpeak("22h-6h"))], {})
    readings = [*curve(at(9, 0), 2, 30, "consumption"), *curve(at(9, 1), 1, 30, "production")]
    with pytest.raises(ValueError) as caught:
        list(classifier.runs(PRM, "consumption", readings))
    assert str(caught.value) == (f"a run is of {PRM} consumption, not of {PRM} production")


def test_the_classifier_keeps_its_own_contracts() -> None:
    """What classifies a day is worked out once: the contracts given must not change it."""
    contracts: dict[str, Contract | None] = {PRM: contract("BTINFMUDT", "HC (22H00-6H00)")}
    classifier = Classifier([DatedSchedule(None, parse_offpeak(""))], contracts)
    assert classifier.classify(PRM, "consumption", at(9, 23)) == "HC"
    contracts[PRM] = None
    hours = DaySchedule("contract", "HC (22H00-6H00)")
    assert classifier.schedule_on(PRM, date(2026, 11, 9)) == hours
    assert classifier.schedule_on(PRM, date(2026, 11, 10)) == hours


@pytest.mark.parametrize(
    ("recorded", "text"),
    [
        (DaySchedule("schedule", "22:00-06:00"), "schedule:22:00-06:00"),
        (
            DaySchedule("schedule", "1:30-8:00; sa 0-24h", "FR-BL"),
            "schedule:1:30-8:00; sa 0-24h|FR-BL",
        ),
        (DaySchedule("contract", "HC (22H00-6H00)", "FR-67"), "contract:HC (22H00-6H00)|FR-67"),
        (BASE_DAY, "base"),
    ],
)
def test_a_day_s_schedule_is_kept_as_state_json_always_wrote_it(
    recorded: DaySchedule, text: str
) -> None:
    assert recorded.to_text() == text
    assert DaySchedule.from_text(text) == recorded


def test_an_unreadable_record_classifies_as_base() -> None:
    classifier = Classifier([DatedSchedule(None, parse_offpeak("22h-6h"))], {})
    for text in ("", "tempo:blue", "contract:no hours here"):
        recorded = DaySchedule.from_text(text)
        assert classifier.classify(PRM, "consumption", at(9, 23), recorded) == "BASE", text


def test_naive_datetimes_are_refused() -> None:
    classifier = Classifier([DatedSchedule(None, parse_offpeak(""))], {})
    with pytest.raises(ValueError, match="timezone-aware"):
        classifier.classify(PRM, "consumption", datetime(2026, 11, 9, 23))


def test_fetch_classifies_with_each_meter_contract(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM, "50000000000010", "50000000000060")
        w.config()  # no off-peak schedule configured
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        tags: dict[str, Counter[str]] = {}
        for line in w.output_lines():
            if line.startswith("linky_load_curve,"):
                fields = dict(t.split("=") for t in line.split(" ")[0].split(",")[1:])
                tags.setdefault(fields["usage_point_id"], Counter())[fields["tariff"]] += 1
    assert tags == {
        PRM: {"HC": 16, "HP": 32},  # HC (22H00-6H00)
        "50000000000010": {"BASE": 144},  # BTINFCUST: single rate
        # HC (1H30-8H00;12H30-14H00), hourly: 02:00-07:00 and 13:00 start in HC
        "50000000000060": {"HC": 7, "HP": 17},
    }


def test_offpeak_base_tags_every_interval_base_whatever_the_contract(tmp_path: Path) -> None:
    """``BASE``: a single-rate tariff, not "the contract's hours" (an empty schedule); a
    dated ``BASE`` applies from its day on."""
    with world(tmp_path) as w:
        w.consent = (PRM,)  # contract HC (22H00-6H00)
        config = w.config(tariff={"offpeak": "22h00-6h00"})
        dated = '[[tariff.schedule]]\nfrom = 2026-11-21\noffpeak = "BASE"\n'
        config.write_text(config.read_text() + dated)
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "2", "-q")
        assert result.exit_code == 0, result.output
        tags: dict[str, Counter[str]] = {}
        for line in w.output_lines():
            if line.startswith("linky_load_curve,"):
                tag = dict(t.split("=") for t in line.split(" ")[0].split(",")[1:])["tariff"]
                day = datetime.fromtimestamp(int(line.split(" ")[2]), PARIS).date()
                tags.setdefault(day.isoformat(), Counter())[tag] += 1
    assert tags == {"2026-11-20": {"HC": 16, "HP": 32}, "2026-11-21": {"BASE": 48}}


def test_a_schedule_change_applies_from_its_day(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        config = w.config()
        dated = '[[tariff.schedule]]\nfrom = 2026-11-19\noffpeak = "2h00-7h00"\n'
        config.write_text(config.read_text() + dated)
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "4", "-q").exit_code == 0
        hc: Counter[str] = Counter()
        for line in w.output_lines():
            if line.startswith("linky_load_curve,") and "tariff=HC" in line:
                stamp = datetime.fromtimestamp(int(line.rsplit(" ", 1)[1]), UTC)
                hc[stamp.astimezone(PARIS).date().isoformat()] += 1
    # the contract's 22H00-6H00 (16 half-hours) on the 18th, then 2h00-7h00 (10)
    assert hc == {"2026-11-18": 16, "2026-11-19": 10, "2026-11-20": 10, "2026-11-21": 10}


def test_a_bad_dated_schedule_is_named(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        config = w.config()
        config.write_text(
            config.read_text() + '[[tariff.schedule]]\nfrom = 2026-11-19\noffpeak = "2h-"\n'
        )
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output.startswith(
        f"linkyflux: {config}: tariff.schedule #1 (from 2026-11-19): offpeak: "
        'offpeak schedule: "2h-"'
    )


def test_a_changed_schedule_never_writes_a_second_point(tmp_path: Path) -> None:
    """The tariff tag is part of the series key: a day rewritten after a schedule change keeps
    the tags it was first written with, or InfluxDB would hold two points per interval."""
    with world(tmp_path) as w:
        w.consent = (PRM,)
        w.config(tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0  # the 21st, 22h00-6h00
        w.config(tariff={"offpeak": "2h00-7h00"})
        w.clock.advance(86400)
        result = w.run("fetch", "-q")  # the 22nd, and the 21st again (correction window)
        assert result.exit_code == 0
        assert result.output == (
            f"linkyflux: warning: {PRM}: 2026-11-21 keep the off-peak schedule they were first "
            "written with, not the one configured now; to delete and rewrite them: "
            f"linkyflux --config {tmp_path / 'config.toml'} backfill --reclassify "
            "--since 2026-11-21\n"
        )
        tags: dict[int, set[str]] = {}
        hc: Counter[str] = Counter()
        for line in w.output_lines():
            if line.startswith("linky_load_curve,"):
                stamp = int(line.rsplit(" ", 1)[1])
                tariff = line.split("tariff=")[1].split(",")[0]
                tags.setdefault(stamp, set()).add(tariff)
                day = datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date().isoformat()
                hc[day] += tariff == "HC"
    assert max(len(t) for t in tags.values()) == 1
    assert len(tags) == 96
    assert hc == {"2026-11-21": 16 * 2, "2026-11-22": 10}  # the 21st written twice, same tags
