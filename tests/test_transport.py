"""Pacing: every rate of a gateway holds, on a fake clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from linkyflux.timeutil import FakeClock
from linkyflux.transport import Pacer, Rate, RequestLog, per_minute

from simenv import paris


def sent_at(clock: FakeClock, pacer: Pacer, n: int) -> list[float]:
    start = clock.now()
    out = []
    for _ in range(n):
        pacer.wait()
        out.append((clock.now() - start).total_seconds())
    return out


def test_per_minute_lets_a_burst_through_then_waits() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [per_minute(12)])
    assert sent_at(clock, pacer, 14) == [0.0] * 12 + [61.0, 61.0]


def test_several_rates_at_once() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [Rate(5, timedelta(seconds=1)), Rate(10, timedelta(hours=1))])
    assert sent_at(clock, pacer, 11) == [0.0] * 5 + [1.0] * 5 + [3600.0]


def test_history_of_an_earlier_run_counts(tmp_path: Path) -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    first = Pacer(clock, [per_minute(12)])
    sent_at(clock, first, 12)
    RequestLog(tmp_path).save(first.history, clock.now())
    clock.advance(30)
    second = Pacer(clock, [per_minute(12)], RequestLog(tmp_path).load(clock.now()))
    assert sent_at(clock, second, 1) == [31.0]  # the first run's minute is not over


def test_slow_down_blocks_for_the_longest_window() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [per_minute(12)])
    pacer.wait()
    pacer.saturate()
    assert sent_at(clock, pacer, 1) == [61.0]
