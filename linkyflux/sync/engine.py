"""The sync engine: one run over every series of every usage point. No click here.

For each consented usage point and each of its series (load curve, daily energy, daily max
power; per direction), a run:

1. plans the days it needs: the requested range, plus (for ``fetch``) every day still
   missing since the series' first recorded (or asked-for) day, so failed cron runs heal
   themselves; days already complete are skipped, except the last two (late corrections
   are cheap); ``fetch`` records what it will ask for before asking, so a killed run's days
   are the next run's;
2. covers those days with as few calls as the API allows (7-day curve windows, 365-day
   daily windows, never past the history horizons, taken per request from Enedis' day, or
   before the meter's activation);
3. writes each window as soon as it is read, then records each day of it as complete,
   partial or (3 days after it ended, and on Enedis' word given twice) unavailable, saving
   the state each time, so a run killed at any instant loses nothing and repeats nothing
   but that window.

What happens on each kind of answer:
- wrong direction (ADAM-ERR0069): remembered in the state, asked again a month later;
- before activation (ADAM-ERR0123): the activation day is found by bisection, remembered;
- nothing published (no_data_found): the days stay missing (not yet published) or, for days
  that ended more than 48 h ago, are reported with the MissingData exit code;
- bad payload (DataError) or a revoked consent for one usage point: recorded, the run goes
  on with the next series, and the exit code says so;
- history horizon or today refused (ADAM-DC-0016, "end date … current date"): Enedis' clock
  is not ours (or the run crossed midnight): the range moves to its day, asked again;
- gateway down (GatewayDown: a call failed all its retries) or rate-limited (UpstreamError),
  consent lost (AuthError): the run stops there, state saved, with that error's exit code.

The engine drives the run; the rest of ``sync`` does one step each: ``planning`` (which days,
which windows), ``totals`` (readings to tagged, priced lines), ``settlement`` (what an answer
says of each day), ``report`` (what the run did), ``state`` (what is remembered).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import TypeVar

from linkyflux.errors import AuthError, DataError, LinkyfluxError, SinkError, UpstreamError
from linkyflux.models import CurveReading, DailyReading, MaxPowerReading
from linkyflux.sinks.points import SeriesHealth, contract_line, max_power_lines, sync_line
from linkyflux.sinks.writers import Sink
from linkyflux.sources.enedis import (
    BeforeActivation,
    BeyondHorizon,
    BeyondToday,
    ConsentRevoked,
    NoData,
    WrongDirection,
    horizon,
)
from linkyflux.sources.metering import MeteringApi
from linkyflux.sources.tempo import TempoColours
from linkyflux.sync.planning import SERIES, Series, cover, days_to_fetch, next_window, refused
from linkyflux.sync.report import FetchReport, day_list
from linkyflux.sync.settlement import Reading, settle
from linkyflux.sync.state import CurveTotals, SyncState, UsagePointState
from linkyflux.sync.tempo import recolour, tempo_warnings
from linkyflux.sync.totals import CurveLines, Pricing, keep_totals
from linkyflux.tariffs.classifier import Classifier
from linkyflux.tariffs.prices import PriceList
from linkyflux.timeutil import Clock, paris_day, paris_day_bounds, paris_today

T = TypeVar("T")


class _Stop(Exception):
    """Stops a run once its error is recorded."""


class Fetcher:
    def __init__(
        self,
        api: MeteringApi,
        sink: Sink,
        classifier: Classifier,
        state: SyncState,
        clock: Clock,
        warn: Callable[[str], None] = lambda message: None,
        on_window: Callable[[], None] = lambda: None,
        prices: PriceList | None = None,
        colours: TempoColours | None = None,
    ) -> None:
        self.api = api
        self.sink = sink
        self.pricing = Pricing(classifier, prices if prices is not None else PriceList(), colours)
        self.state = state
        self.clock = clock
        self.today = paris_today(clock)
        self.warn = warn
        self.on_window = on_window
        # how far Enedis' clock is at least ahead of ours, or behind, once it refused a range
        # as too old or too new for its day
        self._enedis_ahead = timedelta(0)
        self._enedis_behind = timedelta(0)
        self._refusals = 0

    def planned_windows(
        self, usage_points: Sequence[str], start: date, end: date, *, catch_up: bool
    ) -> int:
        """How many calls the plan needs (for a progress bar, or a budget's plan).

        A direction not known yet, on a meter known to measure the other one, counts as the
        single call that will find out (most meters measure one direction only).
        """
        total = 0
        for usage_point_id in usage_points:
            point = self.state.point(usage_point_id)
            probed: set[str] = set()
            for series in SERIES:
                measured = point.directions.get(series.direction)
                if refused(point, series.direction, self.today):
                    continue
                if not measured and True in point.directions.values():
                    total += series.direction not in probed
                    probed.add(series.direction)
                    continue
                days = self._plan(point, series, start, end, catch_up)
                total += len(cover(days, series.window))
        return total

    def run(
        self,
        usage_points: Sequence[str],
        start: date,
        end: date,
        *,
        catch_up: bool = True,
        only: Sequence[Series] = SERIES,
    ) -> FetchReport:
        """Fetch ``[start, end)`` (with ``catch_up``, and every day missed since) of the
        series ``only`` (all of them by default) of each usage point, into the sink."""
        report = FetchReport(start, end)
        if catch_up:
            self._remember_asked(usage_points, start, end)
        self._recolour(usage_points)
        try:
            for usage_point_id in usage_points:
                try:
                    for series in only:
                        self._series(usage_point_id, series, report, catch_up)
                except ConsentRevoked as exc:
                    report.errors.append(exc)
                self._curve_never_collected(usage_point_id, report)
                self._contract_point(usage_point_id, report)
                self._sync_points(usage_point_id, report)
        except _Stop:
            pass
        finally:
            self.state.save()
        for (usage_point_id, series), days in list(report.never.items()):
            if self.state.point(usage_point_id).of(series.key).seen:  # it had data later in the run
                report.late[(usage_point_id, series.label)].extend(days)
                del report.never[(usage_point_id, series)]
        for (usage_point_id, series), days in sorted(report.never.items(), key=lambda kv: kv[0][0]):
            message = f"{usage_point_id}: Enedis has no {series.label} for {day_list(days)}"
            if series.kind == "curve":
                message += " (is hourly collection enabled in your Enedis account?)"
            report.warnings.append(message)
            self.warn(message)
        self._tempo_warnings(usage_points, report)
        return report

    def _recolour(self, usage_points: Sequence[str]) -> None:
        colours = self.pricing.colours
        if colours is not None and recolour(self.state, usage_points, colours):
            self.state.save()

    def _tempo_warnings(self, usage_points: Sequence[str], report: FetchReport) -> None:
        if self.pricing.colours is None:
            return
        for message in tempo_warnings(self.state, usage_points, self.pricing.colours):
            report.warnings.append(message)
            self.warn(message)

    def _remember_asked(self, usage_points: Sequence[str], start: date, end: date) -> None:
        """Record the days this run will ask for before asking any: a run killed, or cut
        short by a gateway down, leaves them to the next run's catch-up."""
        for usage_point_id in usage_points:
            point = self.state.point(usage_point_id)
            for series in SERIES:
                if not refused(point, series.direction, self.today):
                    days = self._plan(point, series, start, end, catch_up=True)
                    if days:
                        point.of(series.key).ask(days[0])
        self.state.save()

    def _plan(
        self, point: UsagePointState, series: Series, start: date, end: date, catch_up: bool
    ) -> list[date]:
        lower = horizon(self.today, series.kind == "curve")
        if point.activation is not None:
            lower = max(lower, point.activation)
        return days_to_fetch(
            point.of(series.key), start, end, today=self.today, lower=lower, catch_up=catch_up
        )

    def _contract_point(self, usage_point_id: str, report: FetchReport) -> None:
        """Today's contract point (the same key all day: rewriting it is harmless)."""
        contract = self.state.point(usage_point_id).contract
        text = contract_line(contract, paris_today(self.clock)) if contract else None
        if text is not None:
            self.sink.write([text])
            report.lines_written += 1

    def _sync_points(self, usage_point_id: str, report: FetchReport) -> None:
        """Where each series of the usage point stands, for the data-health panel."""
        point = self.state.point(usage_point_id)
        today = paris_today(self.clock)
        written = []
        for series in SERIES:
            days = point.of(series.key)
            first = days.first_day()
            if not point.directions.get(series.direction) or first is None:
                continue  # nothing to say before any data
            counts = Counter(days.days.values())
            health = SeriesHealth(
                last_complete=days.last_complete(),
                missing=len(days.missing_between(first, today)),
                partial=counts["partial"],
                unavailable=counts["unavailable"],
            )
            written.append(sync_line(usage_point_id, series.direction, series.kind, health, today))
        self.sink.write(written)
        report.lines_written += len(written)

    def _curve_never_collected(self, usage_point_id: str, report: FetchReport) -> None:
        """A day whose daily energy is published is published: if a curve that never had
        data still lacks it, that is not publication lag (hourly collection is off)."""
        point = self.state.point(usage_point_id)
        for direction in ("consumption", "production"):
            curve = Series(direction, "curve")
            days = report.pending.get((usage_point_id, curve.label), [])
            if not days or point.of(curve.key).seen:
                continue
            daily = point.of(f"{direction}/daily")
            published = [d for d in days if daily.status(d) == "complete"]
            if published:
                report.never[(usage_point_id, curve)].extend(published)
                report.pending[(usage_point_id, curve.label)] = [
                    d for d in days if d not in published
                ]
                if not report.pending[(usage_point_id, curve.label)]:
                    del report.pending[(usage_point_id, curve.label)]

    # ------------------------------------------------------------------ one series
    def _series(
        self, usage_point_id: str, series: Series, report: FetchReport, catch_up: bool
    ) -> None:
        point = self.state.point(usage_point_id)
        if refused(point, series.direction, self.today):
            return
        days = self._plan(point, series, report.start, report.end, catch_up)
        try:
            self._fetch(usage_point_id, series, point, days, report)
        except WrongDirection:
            point.directions[series.direction] = False
            point.direction_checked[series.direction] = self.today
            for key, kept in point.series.items():
                if key.startswith(f"{series.direction}/"):
                    kept.asked_from = None  # nothing to catch up in a direction not measured
            report.series.pop((usage_point_id, series.direction), None)
        except ConsentRevoked:
            raise
        except (UpstreamError, SinkError, AuthError) as exc:
            report.errors.append(exc)
            raise _Stop from exc
        except DataError as exc:  # what to do: nothing now, and tell us if it lasts
            report.errors.append(
                DataError(f"{exc} (asked again by the next run; if it lasts, report this line)")
            )

    def _call(self, usage_point_id: str, series: Series, start: date, end: date) -> list[Reading]:
        if series.kind == "curve":
            readings: list[Reading] = list(
                self.api.curve(usage_point_id, series.direction, start, end)
            )
        elif series.kind == "daily":
            readings = list(self.api.daily(usage_point_id, series.direction, start, end))
        else:
            readings = list(self.api.max_power(usage_point_id, start, end))
        return readings

    def _bounds(self, point: UsagePointState, series: Series) -> tuple[date, date]:
        """The oldest day Enedis serves now and the first day it does not serve yet: by its
        Paris day at this instant (a run may cross midnight), which is ours unless it
        refused a range as too old or too new (its clock is not ours)."""
        now = self.clock.now()
        lower = horizon(paris_day(now + self._enedis_ahead), series.kind == "curve")
        if point.activation is not None:
            lower = max(lower, point.activation)
        return lower, paris_day(now - self._enedis_behind)

    def _fetch(
        self,
        usage_point_id: str,
        series: Series,
        point: UsagePointState,
        days: list[date],
        report: FetchReport,
    ) -> None:
        pending = sorted(days)

        def call(start: date, end: date) -> list[Reading]:
            report.calls += 1
            readings = self._call(usage_point_id, series, start, end)
            point.directions[series.direction] = True
            point.direction_checked.pop(series.direction, None)
            return readings

        while pending:
            lower, upper = self._bounds(point, series)
            pending = [d for d in pending if lower <= d < upper]
            if not pending:
                break
            start, end = next_window(pending, series.window)
            try:
                try:
                    readings = call(start, end)
                except BeforeActivation:
                    last = pending[-1] + timedelta(days=1)
                    start, readings = find_activation(call, start, last, series.window)
                    point.activation = start
                    end = min(start + series.window, last)
            except NoData:
                readings = []
            except BeyondHorizon as exc:
                # Enedis' day is ahead of ours: what it refuses is gone, start later
                self._shift(exc, ahead=True)
                continue
            except BeyondToday as exc:
                # Enedis' day is behind ours: its yesterday ends the range
                self._shift(exc, ahead=False)
                continue
            self.on_window()
            totals = self._write(usage_point_id, series, readings, report) if readings else {}
            days_state = point.of(series.key)
            before = {d: days_state.status(d) for d in totals}
            settle(
                usage_point_id, series, days_state, (start, end), readings, self.clock.now(), report
            )
            if series.kind == "curve":
                keep_totals(point, series.direction, before, totals)
            self.state.save(changed=usage_point_id)
            pending = [d for d in pending if d >= end]

    def _shift(self, refusal: LinkyfluxError, *, ahead: bool) -> None:
        """Enedis' day is not ours at this instant: its clock is at least that far ahead
        (its day has begun) or behind (its day has not ended). Refused again after three
        such corrections, it is not a clock: an error (the days stay missing)."""
        self._refusals += 1
        if self._refusals > 3:
            raise DataError(f"{refusal} (even counting with Enedis' day, not ours)")
        now = self.clock.now()
        begin, finish = paris_day_bounds(paris_day(now))
        if ahead:
            self._enedis_ahead = max(self._enedis_ahead, finish - now)
        else:
            self._enedis_behind = max(self._enedis_behind, now - begin + timedelta(seconds=1))

    def _write(
        self, usage_point_id: str, series: Series, readings: list[Reading], report: FetchReport
    ) -> dict[date, CurveTotals]:
        """Write the readings; for a load curve, return each day's totals."""
        summary = report.summary(usage_point_id, series.direction)
        point = self.state.point(usage_point_id)
        written = CurveLines()
        if series.kind == "curve":
            curve = [r for r in readings if isinstance(r, CurveReading)]
            written = self.pricing.curve_lines(
                point, usage_point_id, series.direction, curve, summary
            )
            lines = written.lines
        elif series.kind == "daily":
            daily = [r for r in readings if isinstance(r, DailyReading)]
            lines = self.pricing.daily_lines(self.state.point(usage_point_id), daily, summary)
        else:
            peaks = [r for r in readings if isinstance(r, MaxPowerReading)]
            summary.max_power_values += len(peaks)
            lines = max_power_lines(peaks)
        self.sink.write(lines)
        report.lines_written += len(lines)
        written.record(point, series.direction)  # a day keeps the tags it was first written with
        return written.totals


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
