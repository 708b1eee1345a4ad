"""Pacing: every rate of a gateway holds, on a fake clock."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from linkyflux.sources.transport import Pacer, Rate, RequestLog, per_minute
from linkyflux.timeutil import FakeClock

from simenv import paris


def sent_at(clock: FakeClock, pacer: Pacer, n: int) -> list[float]:
    start = clock.now()
    out = []
    for _ in range(n):
        pacer.wait()
        out.append((clock.now() - start).total_seconds())
    return out


def test_per_minute_lets_a_burst_through_then_waits() -> None:
    """(A window includes both its ends: the next request goes 1 ms after it.)"""
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [per_minute(12)])
    assert sent_at(clock, pacer, 14) == [0.0] * 12 + [61.001, 61.001]


def test_several_rates_at_once() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [Rate(5, timedelta(seconds=1)), Rate(10, timedelta(hours=1))])
    assert sent_at(clock, pacer, 11) == [0.0] * 5 + [1.001] * 5 + [3600.001]


def test_history_of_an_earlier_run_counts(tmp_path: Path) -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    first = Pacer(clock, [per_minute(12)])
    sent_at(clock, first, 12)
    RequestLog(tmp_path).save(first.history, clock.now())
    clock.advance(30)
    second = Pacer(clock, [per_minute(12)], RequestLog(tmp_path).load(clock.now()))
    assert sent_at(clock, second, 1) == [31.001]  # the first run's minute is not over


def test_slow_down_blocks_for_the_longest_window() -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    pacer = Pacer(clock, [per_minute(12)])
    pacer.wait()
    pacer.saturate()
    assert sent_at(clock, pacer, 1) == [61.0]


def test_each_request_is_logged_before_it_is_sent(tmp_path: Path) -> None:
    """A run killed mid-request leaves every request it sent (nothing waits for a save)."""
    clock = FakeClock(paris(2026, 11, 22, 9))
    log = RequestLog(tmp_path)
    pacer = Pacer(clock, [per_minute(12)], record=log.record)
    sent_at(clock, pacer, 3)
    assert log.load(clock.now()) == pacer.history
    (tmp_path / "requests.log").open("a").write("1795000000.1")  # cut by a crash
    assert log.load(clock.now()) == pacer.history


def test_the_log_of_an_older_version_still_counts(tmp_path: Path) -> None:
    clock = FakeClock(paris(2026, 11, 22, 9))
    sent = clock.now().timestamp() - 10
    (tmp_path / "requests.json").write_text(f"[{sent}, {sent - 2 * 86400}]")
    log = RequestLog(tmp_path)
    assert [t.timestamp() for t in log.load(clock.now())] == [sent]
    log.save(log.load(clock.now()), clock.now())
    assert not (tmp_path / "requests.json").exists()
    assert [t.timestamp() for t in log.load(clock.now())] == [round(sent, 3)]
