"""Issue #12: a simulated year of cron runs with random faults *and random kills*.

Every morning at 09:17 (Paris) a `linkyflux fetch -q`, on a fake clock shared with child
processes (``tests/sharedclock.py``), against the simulator and a real InfluxDB:

- through the consent proxy (device flow), 365 mornings for three meters (30-minute, gappy,
  hourly) into a private InfluxDB 1.x. Most runs are in-process (fast); on one morning in ten
  the run is a child process that the simulator kills (SIGKILL, or one time in four SIGTERM:
  cron's `timeout`, the OOM killer, a reboot) when a chosen data call (1 to 9) arrives,
  before answering it. Half the killed mornings get a second run, at once or a few minutes
  later (a wrapper script, a user; a quarter of those is killed again); the others are left to
  the next morning. The usual faults come on one morning in ten (500 streaks, 503, truncated
  JSON, 429 quotas, timeouts), and InfluxDB is down for 1 to 3 days now and then, or stops
  in the middle of a run;
- through Conso API, a backfill of almost two years (more than its budget of 95 calls in 12
  hours) killed three times in a row, run to its end, then 60 mornings with the same faults
  and a kill on one morning in five, into the shared InfluxDB 1.x.

What must hold at the end, counting the calls of the killed runs:

- the database equals the simulator's ground truth, day by day, for every day from the first
  one fetched to the last: load-curve count and sum per Paris day, daily energy, daily max
  power; no gap, no duplicate; a clean last run exits 0; `status --json` shows no missing or
  unavailable day, an empty spool, and as partial exactly the days Enedis has gaps in;
- the consent proxy never received more than 12 calls (data, contracts, token refreshes) in a
  calendar minute (UTC);
- Conso API never received more than 95 calls in 12 hours, and never banned us.

Every random choice comes from a seeded :class:`random.Random` (the product's retry jitter
included), and the fake clock is set to 09:17 each morning: nothing depends on the machine's
date, time zone or speed. On failure, the message lists every run (when, how, exit code, last
line, the morning's faults).
"""

from __future__ import annotations

import contextlib
import json
import math
import multiprocessing
import os
import random
import shutil
import signal
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from test_year import stop_on_call

import linkyflux
from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.conso import conso_token
from linkyflux.timeutil import PARIS, paris_day_bounds, paris_today

from conftest import Influx1, influx_query
from private_influx import PrivateInflux, running
from sharedclock import SharedClock
from simenv import World, paris, world

HOUSE = "22516914714270"  # PT30M, consumption
GAPS = "42900589957123"  # gaps every Tuesday and Wednesday, 10:00-14:00 (partial days)
HOURLY = "50000000000060"  # PT60M
KILLED = (-signal.SIGKILL, -signal.SIGTERM)  # cron's `timeout -s KILL`, and its default


@pytest.fixture
def scratch(tmp_path: Path) -> Iterator[Path]:
    """A directory in memory when the machine has one (/dev/shm): the state directory and
    InfluxDB fsync every write, which on a busy disk takes longer than the whole test."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)):
        yield tmp_path
        return
    path = Path(tempfile.mkdtemp(prefix="linkyflux-year-kills-", dir=shm))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def influx(scratch: Path) -> Iterator[PrivateInflux]:
    """A private InfluxDB 1.x that the test may stop and restart."""
    with running(scratch) as server:
        yield server


# ----------------------------------------------------------------------------- running
# Child runs are forked from a server process that imported linkyflux once: the same CLI as
# `World.spawn` (see sharedclock.main), in a fresh process, for 0.02 s instead of 0.5 s of
# imports each (some fifty killed runs here).
_FORKS = multiprocessing.get_context("forkserver")


def _child_main(
    clock_file: str, config: str, args: tuple[str, ...], out: str, seed: int, product: str
) -> None:
    """A child run: `linkyflux --config CONFIG ARGS...` on the shared clock, output to OUT."""
    assert linkyflux.__file__ == product, f"the child runs {linkyflux.__file__}, not {product}"
    with open(out, "w") as sink, contextlib.redirect_stdout(sink), contextlib.redirect_stderr(sink):
        runtime = Runtime(clock=SharedClock(Path(clock_file)), rng=random.Random(seed))
        try:
            cli.main(["--config", config, *args], prog_name="linkyflux", obj=runtime)
        except Exception:
            traceback.print_exc()  # into OUT, for the test's report
            raise


class Child:
    """A `linkyflux` child process, killable the way ``World.kill_on_data_call`` does."""

    def __init__(self, w: World, args: tuple[str, ...], seed: int) -> None:
        assert isinstance(w.clock, SharedClock)
        self.out = w.home / "child.out"
        config = str(w.home / "config.toml")
        params = (str(w.clock.path), config, args, str(self.out), seed, linkyflux.__file__)
        _FORKS.set_forkserver_preload([__name__])  # (read when the server starts: once)
        self.process = _FORKS.Process(target=_child_main, args=params, daemon=True)
        self.process.start()

    def send_signal(self, sig: int) -> None:
        assert self.process.pid is not None
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def wait(self) -> None:
        """Until the process is gone (the kill is delivered before the simulator answers);
        called from the simulator's thread, so it leaves reaping to ``communicate``."""
        stat = Path(f"/proc/{self.process.pid}/stat")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                state = stat.read_text().rsplit(")", 1)[1].split()[0]
            except (OSError, IndexError):
                return
            if state in "ZX":
                return
            time.sleep(0.001)

    def communicate(self, timeout: float) -> tuple[int, str]:
        self.process.join(timeout)
        if self.process.exitcode is None:
            self.process.kill()
            self.process.join()
            pytest.fail(f"a child run did not end in {timeout} s: {self.out.read_text()}")
        output = self.out.read_text() if self.out.exists() else ""
        self.out.unlink(missing_ok=True)
        return self.process.exitcode, output


class Cron:
    """Runs `linkyflux` the ways this test needs, and keeps what each run ended with."""

    def __init__(self, w: World, rng: random.Random) -> None:
        self.w = w
        self.rng = rng
        self.codes: Counter[int] = Counter()
        self.kills = 0
        self.log: list[str] = []  # one line per run: when, how, exit code

    def run(self, *args: str) -> Result:
        """In-process, with the product's randomness (retry jitter) seeded too."""
        runtime = Runtime(clock=self.w.clock, rng=random.Random(self.rng.getrandbits(32)))
        argv = ["--config", str(self.w.home / "config.toml"), *args]
        start = self.w.clock.now()
        result = CliRunner().invoke(cli, argv, obj=runtime, catch_exceptions=False)
        self._note(start, "in-process", args, result.exit_code, result.output)
        return result

    def killed(self, on_call: int, *args: str) -> int:
        """In a child process that the simulator kills when its ``on_call``-th data call
        arrives (a run that makes fewer calls ends as it would), with SIGKILL or (one time
        in four) SIGTERM. Returns its exit code."""
        runs: list[Child] = []
        start = self.w.clock.now()
        sig = signal.SIGTERM if self.rng.random() < 0.25 else signal.SIGKILL
        self.w.kill_on_data_call(on_call, lambda: runs[0], sig)  # type: ignore[arg-type, return-value]
        kill = self.w.simulator.on_data_call
        seen = 0

        def hook(path: str) -> None:
            nonlocal seen
            assert kill is not None
            kill(path)
            seen += 1
            if seen == on_call:
                # The run is dead: the simulator drops its call there. Going on would take
                # the next fault in the queue, maybe one meant for a later morning (a race
                # with the test's thread, which goes on once the process is gone).
                raise ConnectionAbortedError("the client was killed")

        self.w.simulator.on_data_call = hook
        try:
            runs.append(Child(self.w, args, self.rng.getrandbits(32)))
            code, out = runs[0].communicate(timeout=120)
        finally:
            self.w.simulator.on_data_call = None
        self.kills += code in KILLED
        self._note(start, f"child, {sig.name} at data call {on_call}", args, code, out)
        return code

    def summary(self) -> str:
        pairs = zip(self.log, self.log[1:], strict=False)
        retried = sum(1 for a, b in pairs if "child" in a and a[:10] == b[:10])
        return f"exit codes {dict(self.codes)}, {self.kills} kills, {retried} retried mornings"

    def _note(
        self, start: datetime, how: str, args: tuple[str, ...], code: int, output: str
    ) -> None:
        self.codes[code] += 1
        last = output.strip().splitlines()[-1:] or [""]
        when = f"{start.astimezone(PARIS):%Y-%m-%d %H:%M:%S}"
        self.log.append(f"{when} {' '.join(args[:3])} ({how}) -> {code} {last[0]}")


def morning(w: World, day: date) -> None:
    """Cron's 09:17 on ``day`` (never back in time, should a run have slept past it)."""
    at = paris(day.year, day.month, day.day, 9, 17)
    if w.clock.now() < at:
        w.clock.set(at)  # type: ignore[union-attr]


def inject_a_fault(w: World, rng: random.Random) -> str | None:
    """One of the gateway's usual faults on about one day in ten (None: a good day)."""
    roll = rng.random()
    if roll < 0.04:
        count = rng.randint(1, 12)
        w.simulator.inject("technical_error", count=count)
        return f"technical_error x{count}"
    if roll < 0.06:
        count = rng.randint(1, 4)
        w.simulator.inject("unavailable", count=count)
        return f"unavailable x{count}"
    if roll < 0.08:
        count = rng.randint(1, 5)
        w.simulator.inject("malformed", count=count)
        return f"malformed x{count}"
    if roll < 0.10:
        w.simulator.inject("quota")
        return "quota"
    if roll < 0.11:
        w.simulator.inject("timeout", delay=0.5)  # consent.timeout is 0.3 s
        return "timeout"
    return None


def calls_and_times(w: World, prefixes: tuple[str, ...]) -> list[tuple[str, datetime]]:
    return [
        (path, at)
        for (_, path, _), at in zip(w.simulator.requests, w.simulator.request_times, strict=True)
        if path.startswith(prefixes)
    ]


def proxy_minutes(w: World, since: int) -> dict[datetime, list[str]]:
    """The requests the consent proxy counts against the client (data, contracts, token
    refreshes) from request number ``since`` on, per calendar minute (UTC)."""
    minutes: dict[datetime, list[str]] = defaultdict(list)
    pairs = list(zip(w.simulator.requests, w.simulator.request_times, strict=True))[since:]
    for (_, path, query), at in pairs:
        if path.startswith("/data/proxy/") or path == "/device/token":
            minute = at.astimezone(UTC).replace(second=0, microsecond=0)
            what = path.rsplit("/", 1)[-1]
            minutes[minute].append(f"{at:%H:%M:%S} {what} {query.get('dateDebut', '')}")
    return minutes


def busiest_12_hours(times: list[datetime]) -> tuple[int, datetime | None]:
    """The most requests in any 12 hours (windows starting at a request: the worst ones)."""
    times = sorted(times)
    best, start, j = 0, None, 0
    for i, t in enumerate(times):
        while j < len(times) and times[j] < t + timedelta(hours=12):
            j += 1
        if j - i > best:
            best, start = j - i, t
    return best, start


# ----------------------------------------------------------------------------- checking
def _paris_date(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).astimezone(PARIS).date()


def _diff(what: str, got: dict[date, Any], expected: dict[date, Any]) -> list[str]:
    bad = sorted(d for d in got.keys() | expected.keys() if got.get(d) != expected.get(d))
    return [
        f"{what} {d} ({d:%a}): database {got.get(d)!r}, Enedis {expected.get(d)!r}" for d in bad
    ]


def _close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-6)


def truth_mismatches(
    w: World, query: Any, usage_points: tuple[str, ...], first: date, last: date
) -> list[str]:
    """Every difference between the database and Enedis' ground truth for ``[first, last]``
    (a gap, an extra or duplicate point, a wrong value), one line per series and day."""
    lo = int(paris_day_bounds(first)[0].timestamp())
    hi = int(paris_day_bounds(last + timedelta(days=1))[0].timestamp())
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    problems: list[str] = []
    for prm in usage_points:
        where = f"WHERE usage_point_id='{prm}' AND time >= {lo}s AND time < {hi}s"
        # the load curve: count and sum per Paris day (a duplicate with other tags counts)
        series = query(
            f"SELECT COUNT(energy_wh), SUM(energy_wh) FROM linky_load_curve {where} "
            "GROUP BY time(1d) tz('Europe/Paris')"
        )
        got_curve = {
            _paris_date(ts): (count, total)
            for ts, count, total in (series[0]["values"] if series else [])
            if count
        }
        want_curve = {}
        for day in days:
            curve = w.simulator.truth_curve(prm, "consumption", day)
            if curve:
                want_curve[day] = (len(curve), sum(i.energy_wh for i in curve))
        for day in list(got_curve):
            want_day = want_curve.get(day)
            if (
                want_day
                and got_curve[day][0] == want_day[0]
                and _close(got_curve[day][1], want_day[1])
            ):
                got_curve[day] = want_day
        problems += _diff(f"{prm} load curve (count, Wh)", got_curve, want_curve)
        # daily energy and max power: every point of the day (two would be a duplicate)
        daily = {d: w.simulator.truth_daily(prm, "consumption", d) for d in days}
        peaks = {d: w.simulator.truth_max_power(prm, d) for d in days}
        for measurement, field, truth in (
            ("linky_daily", "energy_wh", daily),
            ("linky_max_power", "power_va", peaks),
        ):
            rows = query(f"SELECT {field} FROM {measurement} {where}")
            got: dict[date, list[Any]] = defaultdict(list)
            for ts, value in rows[0]["values"] if rows else []:
                got[_paris_date(ts)].append(value)
            want = {d: [v] for d, v in truth.items() if v is not None}
            problems += _diff(f"{prm} {measurement}", dict(got), want)
    return problems


def assert_status_complete(cron: Cron, usage_points: tuple[str, ...]) -> None:
    """`status --json`: no missing day in any series, nothing left in the spool, and the
    partial days are exactly those Enedis publishes with gaps."""
    result = cron.run("status", "--json")
    assert result.exit_code == 0, result.output
    status = json.loads(result.output)
    assert status["spool"] == {"files": 0, "lines": 0}, status["spool"]
    for prm in usage_points:
        series = status["usage_points"][prm]["series"]
        assert set(series) == {
            "consumption/curve",
            "consumption/daily",
            "consumption/max_power",
        }, (prm, series)
        for key, s in series.items():
            assert s["missing"] == [] and s["unavailable"] == [], (prm, key, s)
        first = date.fromisoformat(series["consumption/curve"]["first_day"])
        yesterday = paris_today(cron.w.clock) - timedelta(days=1)
        gappy = [
            d
            for d in (first + timedelta(days=n) for n in range((yesterday - first).days + 1))
            if sum(i.minutes for i in cron.w.simulator.truth_curve(prm, "consumption", d))
            < _minutes(d)
        ]
        assert _expand(series["consumption/curve"]["partial"]) == gappy, prm


def _minutes(day: date) -> int:
    begin, end = paris_day_bounds(day)
    return int((end - begin).total_seconds() // 60)


def _expand(ranges: list[str]) -> list[date]:
    out = []
    for r in ranges:
        a, _, b = r.partition("..")
        first, last = date.fromisoformat(a), date.fromisoformat(b or a)
        out += [first + timedelta(days=n) for n in range((last - first).days + 1)]
    return out


def report(cron: Cron, problems: list[str], limit: int = 40) -> str:
    """The problems (the first ``limit``), then every run of the test: when (Paris), how,
    its exit code and last line of output, [the faults of that morning]."""
    return "\n".join([*problems[:limit], f"({len(problems)} in all) runs:", *cron.log])


# ----------------------------------------------------------------------------- the year
FIRST = date(2025, 11, 22)
DAYS = 365
KILL_RATE = 0.10  # of the mornings
RETRY_RATE = 0.5  # of the killed mornings: a second run the same morning
CALLS_PER_DAY = 9  # data calls of an ordinary morning: 3 meters x (curve, daily, max power)


def a_year_with_kills(influx: PrivateInflux, home: Path, seed: int) -> None:
    rng = random.Random(seed)
    # three meters: an ordinary morning makes 9 data calls, so a killed run and a retry in
    # the same minute are more than 12 calls unless the retry counts the killed run's ones
    usage_points = (HOUSE, GAPS, HOURLY)
    with world(home, today=FIRST, hour=9, shared=True) as w:
        w.consent = usage_points
        w.config(
            consent={"timeout": 0.3},
            influxdb={"api": "v1", "url": influx.url, "database": "linky", "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        cron = Cron(w, rng)
        assert w.run("auth").exit_code == 0
        since = len(w.simulator.requests)  # (the device flow's polling is not counted)
        influx_down = 0  # more days InfluxDB stays down
        for n in range(DAYS):
            morning(w, FIRST + timedelta(days=n))
            if n == 0:  # a clean first run: where the history starts
                cron.run("fetch", "-q")
                continue
            notes = [inject_a_fault(w, rng)]
            if not influx_down and rng.random() < 0.03:
                influx.stop()
                influx_down = rng.randint(1, 3)
                notes.append(f"InfluxDB down for {influx_down} day(s)")
            if rng.random() < KILL_RATE:
                cron.killed(rng.randint(1, CALLS_PER_DAY), "fetch", "-q")
                if rng.random() < RETRY_RATE:
                    # at once (a wrapper script) or a few minutes later (a user)
                    w.clock.advance(rng.choice([rng.randint(0, 50), rng.randint(60, 900)]))
                    if rng.random() < 0.25:  # killed again
                        cron.killed(rng.randint(1, CALLS_PER_DAY), "fetch", "-q")
                    else:
                        cron.run("fetch", "-q")
            else:
                if not influx_down and rng.random() < 0.02:
                    w.simulator.on_data_call = stop_on_call(rng.randint(1, 6), influx)
                    influx_down = 1
                    notes.append("InfluxDB stops mid-run")
                cron.run("fetch", "-q")
                w.simulator.on_data_call = None
            cron.log[-1] += "".join(f" [{note}]" for note in notes if note)
            w.simulator._faults.clear()
            if influx_down:
                influx_down -= 1
                if not influx_down:
                    if influx.process is not None:  # (the hook's call never came)
                        influx.stop()
                    influx.start()
        if influx.process is None:
            influx.start()
        morning(w, FIRST + timedelta(days=DAYS))
        last = cron.run("fetch", "-q")
        assert last.exit_code == 0, report(cron, ["the last run failed:", last.output])
        # kills and faults did happen, and every other run said what stopped it
        assert cron.kills >= 20 and cron.codes[0] > 250, cron.summary()
        assert set(cron.codes) <= {0, 5, 6, 7, *KILLED}, report(cron, [cron.summary()])
        problems = truth_mismatches(
            w, influx.query, usage_points, FIRST - timedelta(days=1), FIRST + timedelta(DAYS - 1)
        )
        assert not problems, report(cron, ["the database differs from Enedis:", *problems])
        assert_status_complete(cron, usage_points)
        minutes = proxy_minutes(w, since)
        busiest = max(len(calls) for calls in minutes.values())
        print(f"{cron.summary()}; at most {busiest} calls to the consent proxy in a minute")
        over = [
            f"{len(calls)} calls to the consent proxy in the minute {minute:%Y-%m-%d %H:%M} UTC: "
            + ", ".join(calls)
            for minute, calls in sorted(minutes.items())
            if len(calls) > 12
        ]
        assert not over, report(cron, over)


def test_a_year_of_cron_runs_with_faults_and_kills(influx: PrivateInflux, scratch: Path) -> None:
    a_year_with_kills(influx, scratch, seed=1212)


# ----------------------------------------------------------------------------- Conso API
CONSO_TODAY = date(2026, 11, 22)
CONSO_SINCE = date(2025, 1, 1)  # about 100 windows of load curve: more than one budget
CONSO_DAYS = 60


def conso_api_with_kills(influx1: Influx1, home: Path, seed: int) -> None:
    rng = random.Random(seed)
    with world(home, today=CONSO_TODAY, hour=9, shared=True) as w:
        w.config(
            consent={"kind": "conso-api", "url": f"{w.url}/conso", "timeout": 0.3},
            influxdb={"api": "v1", "url": influx1.url, "database": influx1.db, "output": ""},
            tariff={"offpeak": "22h00-6h00"},
        )
        cron = Cron(w, rng)
        token = conso_token((HOUSE,), w.clock.now())
        assert cron.run("auth", "--token", token).exit_code == 0
        w.clock.advance(17 * 60)
        # The backfill, killed three times in a row, a minute or two apart...
        backfill = ("backfill", "--since", CONSO_SINCE.isoformat(), "-q")
        for on_call in (rng.randint(20, 40), rng.randint(10, 40), rng.randint(1, 20)):
            assert cron.killed(on_call, *backfill) in KILLED, report(cron, ["not killed"])
            w.clock.advance(rng.randint(30, 150))
        # ... then run to its end, 12 hours apart, each run stopping short of the ban
        for _ in range(4):
            result = cron.run(*backfill)
            if result.exit_code != 5:
                break
            w.clock.advance(12 * 3600)
        assert w.simulator.conso_banned == set(), report(cron, ["banned by Conso API"])
        assert result.exit_code == 0, report(cron, ["the backfill did not end well"])
        # Two months of cron mornings, with faults and kills.
        for n in range(1, CONSO_DAYS + 1):
            morning(w, CONSO_TODAY + timedelta(days=n))
            fault = inject_a_fault(w, rng)
            if rng.random() < KILL_RATE * 2:
                cron.killed(rng.randint(1, 3), "fetch", "-q")
                if rng.random() < RETRY_RATE:
                    w.clock.advance(rng.choice([rng.randint(0, 50), rng.randint(60, 900)]))
                    cron.run("fetch", "-q")
            else:
                cron.run("fetch", "-q")
            if fault:
                cron.log[-1] += f" [{fault}]"
            w.simulator._faults.clear()
        morning(w, CONSO_TODAY + timedelta(days=CONSO_DAYS + 1))
        last = cron.run("fetch", "-q")
        assert last.exit_code == 0, report(cron, ["the last run failed:", last.output])
        assert cron.kills >= 6, cron.summary()
        assert set(cron.codes) <= {0, 5, 6, *KILLED}, report(cron, [cron.summary()])
        assert w.simulator.conso_banned == set(), report(cron, ["banned by Conso API"])
        times = [at for _, at in calls_and_times(w, ("/conso/",))]
        calls, start = busiest_12_hours(times)
        print(f"{cron.summary()}; at most {calls} calls to Conso API in 12 hours (from {start})")
        assert calls <= 95, report(cron, [f"{calls} calls to Conso API in 12 hours from {start}"])

        def query(q: str) -> list[dict[str, Any]]:
            return influx_query(influx1.url, q, db=influx1.db, timeout=60)

        end = CONSO_TODAY + timedelta(days=CONSO_DAYS)
        problems = truth_mismatches(w, query, (HOUSE,), CONSO_SINCE, end)
        assert not problems, report(cron, ["the database differs from Enedis:", *problems])
        assert_status_complete(cron, (HOUSE,))


def test_conso_api_backfill_killed_again_and_again_then_cron(
    influx1: Influx1, scratch: Path
) -> None:
    conso_api_with_kills(influx1, scratch, seed=95)
