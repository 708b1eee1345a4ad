"""The fetch pipeline: metering API -> readings -> classified lines -> sink. No click here.

For each consented usage point and each direction it measures: the load curve in 7-day
windows, the daily energy in windows of up to a year and (consumption only) the daily max
power, oldest first. Each window is written as soon as it is read, so a failure later in
the run loses nothing already fetched.

What happens on each kind of answer:
- wrong direction (ADAM-ERR0069): remembered in the state, never asked again;
- before activation (ADAM-ERR0123): the activation day is found by bisection, remembered;
- nothing published (no_data_found): a warning, the run goes on;
- bad payload (DataError) or a revoked consent for one usage point: recorded, the run
  goes on with the next series, and the exit code says so;
- gateway down or rate-limited (UpstreamError), InfluxDB unreachable (SinkError), consent
  lost (AuthError): the run stops there, state saved, with that error's exit code.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TypeVar

from linkyflux.enedis import (
    CURVE_WINDOW_DAYS,
    DAILY_WINDOW_DAYS,
    BeforeActivation,
    BeyondHorizon,
    ConsentRevoked,
    MeteringApi,
    NoData,
    WrongDirection,
    horizon,
)
from linkyflux.errors import AuthError, DataError, LinkyfluxError, SinkError, UpstreamError
from linkyflux.models import DIRECTIONS, CurveReading, DailyReading, Direction, MaxPowerReading
from linkyflux.points import curve_line, daily_lines, max_power_lines
from linkyflux.sinks import Sink
from linkyflux.state import SyncState, UsagePointState
from linkyflux.tariffs import Schedule

T = TypeVar("T")


@dataclass
class SeriesSummary:
    curve_points: int = 0
    energy_by_tariff: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    daily_values: int = 0
    daily_energy_wh: float = 0.0
    max_power_values: int = 0


@dataclass
class FetchReport:
    start: date
    end: date
    series: dict[tuple[str, Direction], SeriesSummary] = field(default_factory=dict)
    lines_written: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[LinkyfluxError] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return self.errors[0].exit_code if self.errors else 0

    def summary(self, usage_point_id: str, direction: Direction) -> SeriesSummary:
        return self.series.setdefault((usage_point_id, direction), SeriesSummary())


class _Stop(Exception):
    """Stops a run once its error is recorded."""


class Fetcher:
    def __init__(
        self,
        api: MeteringApi,
        sink: Sink,
        schedule: Schedule,
        state: SyncState,
        today: date,
        warn: Callable[[str], None] = lambda message: None,
    ) -> None:
        self.api = api
        self.sink = sink
        self.schedule = schedule
        self.state = state
        self.today = today
        self.warn = warn

    def run(self, usage_points: Sequence[str], start: date, end: date) -> FetchReport:
        report = FetchReport(start, end)
        try:
            for usage_point_id in usage_points:
                try:
                    for direction in DIRECTIONS:
                        self._series(usage_point_id, direction, report)
                except ConsentRevoked as exc:
                    report.errors.append(exc)
        except _Stop:
            pass
        finally:
            self.state.save()
        return report

    def _series(self, prm: str, direction: Direction, report: FetchReport) -> None:
        point = self.state.point(prm)
        if point.directions.get(direction) is False:
            return
        try:
            self._curve(prm, direction, point, report)
            self._daily(prm, direction, point, report)
            if direction == "consumption":
                self._max_power(prm, point, report)
        except WrongDirection:
            point.directions[direction] = False
            report.series.pop((prm, direction), None)
        except ConsentRevoked:
            raise
        except (UpstreamError, SinkError, AuthError) as exc:
            report.errors.append(exc)
            raise _Stop from exc
        except DataError as exc:
            report.errors.append(exc)

    def _windows(
        self,
        prm: str,
        point: UsagePointState,
        report: FetchReport,
        what: str,
        call: Callable[[date, date], list[T]],
        *,
        curve: bool,
    ) -> list[list[T]]:
        """Call ``[start, end)`` window by window, within the horizon and after activation."""
        size = timedelta(days=CURVE_WINDOW_DAYS if curve else DAILY_WINDOW_DAYS)
        cursor = max(report.start, horizon(self.today, curve), point.activation or report.start)
        results = []
        while cursor < report.end:
            end = min(cursor + size, report.end)
            try:
                try:
                    readings = call(cursor, end)
                except BeforeActivation:
                    cursor, readings = find_activation(call, cursor, report.end, size)
                    point.activation = cursor
                    end = min(cursor + size, report.end)
            except NoData:
                message = f"{prm}: no {what} published for [{cursor}, {end})"
                if curve:
                    message += " (is hourly collection enabled in your Enedis account?)"
                report.warnings.append(message)
                self.warn(message)
            except BeyondHorizon:
                pass
            else:
                results.append(readings)
            cursor = end
        return results

    def _write(self, lines: list[str], report: FetchReport) -> None:
        self.sink.write(lines)
        report.lines_written += len(lines)

    def _curve(
        self, prm: str, direction: Direction, point: UsagePointState, report: FetchReport
    ) -> None:
        summary = report.summary(prm, direction)

        def call(start: date, end: date) -> list[CurveReading]:
            readings = self.api.curve(prm, direction, start, end)
            point.directions[direction] = True
            return readings

        for readings in self._windows(prm, point, report, "load curve", call, curve=True):
            lines = []
            for reading in readings:
                tariff = self.schedule.classify(prm, direction, reading.start)
                lines.append(curve_line(reading, tariff))
                summary.curve_points += 1
                summary.energy_by_tariff[tariff] += reading.energy_wh
            self._write(lines, report)

    def _daily(
        self, prm: str, direction: Direction, point: UsagePointState, report: FetchReport
    ) -> None:
        summary = report.summary(prm, direction)

        def call(start: date, end: date) -> list[DailyReading]:
            readings = self.api.daily(prm, direction, start, end)
            point.directions[direction] = True
            return readings

        for readings in self._windows(prm, point, report, "daily energy", call, curve=False):
            summary.daily_values += len(readings)
            summary.daily_energy_wh += sum(r.energy_wh for r in readings)
            self._write(daily_lines(readings), report)

    def _max_power(self, prm: str, point: UsagePointState, report: FetchReport) -> None:
        summary = report.summary(prm, "consumption")

        def call(start: date, end: date) -> list[MaxPowerReading]:
            return self.api.max_power(prm, start, end)

        for readings in self._windows(prm, point, report, "daily max power", call, curve=False):
            summary.max_power_values += len(readings)
            self._write(max_power_lines(readings), report)


def find_activation(
    call: Callable[[date, date], list[T]], start: date, end: date, size: timedelta
) -> tuple[date, list[T]]:
    """The meter's activation day, knowing ``start`` predates it (ADAM-ERR0123), by bisection.

    A window starting on day ``s`` is refused exactly when ``s`` is before the activation, so
    a few calls over the whole range find it (about log2 of its length). Returns the day
    (``end`` when the whole range predates it) and the answer for the window starting there.
    """
    lo, hi = start + timedelta(days=1), end
    found: list[T] = []  # always the answer for the window starting at ``hi``
    while lo < hi:
        mid = lo + (hi - lo) // 2
        try:
            found = call(mid, min(mid + size, end))
        except BeforeActivation:
            lo = mid + timedelta(days=1)
            continue
        except NoData:
            found = []
        hi = mid
    return lo, found
