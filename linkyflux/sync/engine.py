"""The sync engine: which days to ask for, asking, and recording what came back. No click here.

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
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import repeat
from typing import Literal, TypeVar

from linkyflux.errors import (
    AuthError,
    DataError,
    LinkyfluxError,
    MissingData,
    SinkError,
    UpstreamError,
)
from linkyflux.models import CurveReading, DailyReading, Direction, MaxPowerReading
from linkyflux.sinks.points import (
    SeriesHealth,
    contract_line,
    curve_lines,
    daily_line,
    max_power_lines,
    sync_line,
)
from linkyflux.sinks.writers import Sink
from linkyflux.sources.enedis import (
    CURVE_WINDOW_DAYS,
    DAILY_WINDOW_DAYS,
    BeforeActivation,
    BeyondHorizon,
    BeyondToday,
    ConsentRevoked,
    NoData,
    WrongDirection,
    horizon,
)
from linkyflux.sources.metering import MeteringApi
from linkyflux.sync.state import CurveTotals, SeriesState, SyncState, UsagePointState
from linkyflux.tariffs.classifier import Classifier
from linkyflux.tariffs.prices import DIGITS, PriceList, energy_cost
from linkyflux.tariffs.schedule import BASE
from linkyflux.timeutil import Clock, paris_day, paris_day_bounds, paris_today

T = TypeVar("T")
Reading = CurveReading | DailyReading | MaxPowerReading

CORRECTION_DAYS = 2  # the last two days are fetched again even when complete
RECHECK = timedelta(days=30)  # a direction the meter does not measure is asked again
LATE = timedelta(hours=48)  # a day still missing this long after it ended is reported
GIVE_UP = timedelta(hours=72)  # still empty this long after it ended: unavailable


@dataclass(frozen=True)
class Series:
    direction: Direction
    kind: Literal["curve", "daily", "max_power"]

    @property
    def key(self) -> str:
        return f"{self.direction}/{self.kind}"

    @property
    def window(self) -> timedelta:
        return timedelta(days=CURVE_WINDOW_DAYS if self.kind == "curve" else DAILY_WINDOW_DAYS)

    @property
    def label(self) -> str:
        name = {"curve": "load curve", "daily": "daily energy", "max_power": "daily max power"}
        return f"{self.direction} {name[self.kind]}"


SERIES = (
    Series("consumption", "curve"),
    Series("consumption", "daily"),
    Series("consumption", "max_power"),
    Series("production", "curve"),
    Series("production", "daily"),
)


@dataclass
class SeriesSummary:
    curve_points: int = 0
    energy_by_tariff: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    cost_by_tariff: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    daily_energy_wh: float = 0.0
    max_power_values: int = 0


@dataclass
class FetchReport:
    start: date
    end: date
    series: dict[tuple[str, Direction], SeriesSummary] = field(default_factory=dict)
    lines_written: int = 0
    calls: int = 0
    warnings: list[str] = field(default_factory=list)
    errors: list[LinkyfluxError] = field(default_factory=list)
    # (usage point, series label) -> days still missing 48 h after they ended
    late: dict[tuple[str, str], list[date]] = field(default_factory=lambda: defaultdict(list))
    # (usage point, series label) -> days not published yet (not an error)
    pending: dict[tuple[str, str], list[date]] = field(default_factory=lambda: defaultdict(list))
    notes: list[str] = field(default_factory=list)
    # (usage point, series) -> days without data, for a series that never had any
    never: dict[tuple[str, Series], list[date]] = field(default_factory=lambda: defaultdict(list))

    def summary(self, usage_point_id: str, direction: Direction) -> SeriesSummary:
        return self.series.setdefault((usage_point_id, direction), SeriesSummary())

    def all_errors(self) -> list[LinkyfluxError]:
        """The errors of the run, then one MissingData line per series with late days."""
        errors = list(self.errors)
        for (prm, label), days in sorted(self.late.items()):
            errors.append(
                MissingData(
                    f"{prm} {label}: {day_list(days)} still missing 48 hours after the end "
                    "of the day (see `linkyflux status`)"
                )
            )
        return errors


def day_list(days: Sequence[date]) -> str:
    days = sorted(days)
    if len(days) > 3:
        return f"{len(days)} days from {days[0]} to {days[-1]}"
    return ", ".join(d.isoformat() for d in days)


class _Stop(Exception):
    """Stops a run once its error is recorded."""


def plan(
    state: SeriesState,
    start: date,
    end: date,
    *,
    today: date,
    lower: date,
    catch_up: bool,
) -> list[date]:
    """The days to fetch, never before ``lower``:

    - the missing (or stale) days of ``[start, end)``;
    - with ``catch_up``, the missing (or stale) days since the series' first recorded day;
    - the days already fetched among the last two (late corrections cheaply ride along).
    """
    correction = today - timedelta(days=CORRECTION_DAYS)
    recorded = state.first_day()
    since = recorded if catch_up and recorded is not None else start
    first = max(min(start, since, correction), lower)
    wanted_from = {
        "missing": min(start, since),
        "stale": min(start, since),
        "complete": correction,
        "partial": correction,
    }
    needed = []
    for n in range((end - first).days):
        day = first + timedelta(days=n)
        status = state.status(day)
        if status in wanted_from and day >= wanted_from[status]:
            needed.append(day)
    return needed


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
    ) -> None:
        self.api = api
        self.sink = sink
        self.classifier = classifier
        self.prices = prices if prices is not None else PriceList()
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
        for prm in usage_points:
            point = self.state.point(prm)
            probed: set[str] = set()
            for series in SERIES:
                measured = point.directions.get(series.direction)
                if self._refused(point, series.direction):
                    continue
                if not measured and True in point.directions.values():
                    total += series.direction not in probed
                    probed.add(series.direction)
                    continue
                days = self._plan(point, series, start, end, catch_up)
                total += len(_cover(days, series.window))
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
        try:
            for prm in usage_points:
                try:
                    for series in only:
                        self._series(prm, series, report, catch_up)
                except ConsentRevoked as exc:
                    report.errors.append(exc)
                self._curve_never_collected(prm, report)
                self._contract_point(prm, report)
                self._sync_points(prm, report)
        except _Stop:
            pass
        finally:
            self.state.save()
        for (prm, series), days in list(report.never.items()):
            if self.state.point(prm).of(series.key).seen:  # it had data later in the run
                report.late[(prm, series.label)].extend(days)
                del report.never[(prm, series)]
        for (prm, series), days in sorted(report.never.items(), key=lambda kv: kv[0][0]):
            message = f"{prm}: Enedis has no {series.label} for {day_list(days)}"
            if series.kind == "curve":
                message += " (is hourly collection enabled in your Enedis account?)"
            report.warnings.append(message)
            self.warn(message)
        return report

    def _remember_asked(self, usage_points: Sequence[str], start: date, end: date) -> None:
        """Record the days this run will ask for before asking any: a run killed, or cut
        short by a gateway down, leaves them to the next run's catch-up."""
        for prm in usage_points:
            point = self.state.point(prm)
            for series in SERIES:
                if not self._refused(point, series.direction):
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
        return plan(
            point.of(series.key), start, end, today=self.today, lower=lower, catch_up=catch_up
        )

    def _contract_point(self, prm: str, report: FetchReport) -> None:
        """Today's contract point (the same key all day: rewriting it is harmless)."""
        contract = self.state.point(prm).contract
        text = contract_line(contract, paris_today(self.clock)) if contract else None
        if text is not None:
            self.sink.write([text])
            report.lines_written += 1

    def _sync_points(self, prm: str, report: FetchReport) -> None:
        """Where each series of the usage point stands, for the data-health panel."""
        point = self.state.point(prm)
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
            written.append(sync_line(prm, series.direction, series.kind, health, today))
        self.sink.write(written)
        report.lines_written += len(written)

    def _curve_never_collected(self, prm: str, report: FetchReport) -> None:
        """A day whose daily energy is published is published: if a curve that never had
        data still lacks it, that is not publication lag (hourly collection is off)."""
        point = self.state.point(prm)
        for direction in ("consumption", "production"):
            curve = Series(direction, "curve")
            days = report.pending.get((prm, curve.label), [])
            if not days or point.of(curve.key).seen:
                continue
            daily = point.of(f"{direction}/daily")
            published = [d for d in days if daily.status(d) == "complete"]
            if published:
                report.never[(prm, curve)].extend(published)
                report.pending[(prm, curve.label)] = [d for d in days if d not in published]
                if not report.pending[(prm, curve.label)]:
                    del report.pending[(prm, curve.label)]

    # ------------------------------------------------------------------ one series
    def _refused(self, point: UsagePointState, direction: str) -> bool:
        """The meter does not measure ``direction``, as Enedis said less than a month ago
        (a home may add solar panels: a refusal is asked again, as the contract is)."""
        if point.directions.get(direction) is not False:
            return False
        checked = point.direction_checked.get(direction)
        return checked is not None and self.today - checked < RECHECK

    def _series(self, prm: str, series: Series, report: FetchReport, catch_up: bool) -> None:
        point = self.state.point(prm)
        if self._refused(point, series.direction):
            return
        days = self._plan(point, series, report.start, report.end, catch_up)
        try:
            self._fetch(prm, series, point, days, report)
        except WrongDirection:
            point.directions[series.direction] = False
            point.direction_checked[series.direction] = self.today
            for key, kept in point.series.items():
                if key.startswith(f"{series.direction}/"):
                    kept.asked_from = None  # nothing to catch up in a direction not measured
            report.series.pop((prm, series.direction), None)
        except ConsentRevoked:
            raise
        except (UpstreamError, SinkError, AuthError) as exc:
            report.errors.append(exc)
            raise _Stop from exc
        except DataError as exc:  # what to do: nothing now, and tell us if it lasts
            report.errors.append(
                DataError(f"{exc} (asked again by the next run; if it lasts, report this line)")
            )

    def _call(self, prm: str, series: Series, start: date, end: date) -> list[Reading]:
        if series.kind == "curve":
            readings: list[Reading] = list(self.api.curve(prm, series.direction, start, end))
        elif series.kind == "daily":
            readings = list(self.api.daily(prm, series.direction, start, end))
        else:
            readings = list(self.api.max_power(prm, start, end))
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
        prm: str,
        series: Series,
        point: UsagePointState,
        days: list[date],
        report: FetchReport,
    ) -> None:
        pending = sorted(days)

        def call(start: date, end: date) -> list[Reading]:
            report.calls += 1
            readings = self._call(prm, series, start, end)
            point.directions[series.direction] = True
            point.direction_checked.pop(series.direction, None)
            return readings

        while pending:
            lower, upper = self._bounds(point, series)
            pending = [d for d in pending if lower <= d < upper]
            if not pending:
                break
            start, end = _next_window(pending, series.window)
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
            totals = self._write(prm, series, readings, report) if readings else {}
            days_state = point.of(series.key)
            before = {d: days_state.status(d) for d in totals}
            self._settle(prm, series, days_state, start, end, readings, report)
            if series.kind == "curve":
                self._keep_totals(point, series.direction, before, totals)
            self.state.save(changed=prm)
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
        self, prm: str, series: Series, readings: list[Reading], report: FetchReport
    ) -> dict[date, CurveTotals]:
        """Write the readings; for a load curve, return each day's totals."""
        summary = report.summary(prm, series.direction)
        totals: dict[date, CurveTotals] = {}
        specs: dict[date, str] = {}
        if series.kind == "curve":
            curve = [r for r in readings if isinstance(r, CurveReading)]
            lines, totals, specs = self._curve_lines(prm, series.direction, curve, summary)
        elif series.kind == "daily":
            daily = [r for r in readings if isinstance(r, DailyReading)]
            lines = self._daily_lines(self.state.point(prm), daily, summary)
        else:
            peaks = [r for r in readings if isinstance(r, MaxPowerReading)]
            summary.max_power_values += len(peaks)
            lines = max_power_lines(peaks)
        self.sink.write(lines)
        report.lines_written += len(lines)
        # recorded once written: a day keeps the tags it was first written with
        self.state.point(prm).tariff_specs.update(specs)
        return totals

    def _curve_lines(
        self, prm: str, direction: Direction, readings: list[CurveReading], summary: SeriesSummary
    ) -> tuple[list[str], dict[date, CurveTotals], dict[date, str]]:
        """Each interval tagged and priced; each day's totals; the schedules of new days."""
        lines = []
        totals: dict[date, CurveTotals] = defaultdict(CurveTotals)
        written = self.state.point(prm).tariff_specs
        new_specs: dict[date, str] = {}

        def spec_for(day: date) -> str:
            # a day keeps the tags it was first written with: no second point (see
            # linkyflux.sync.reclassify)
            return written.get(day) or new_specs.setdefault(day, self.classifier.spec_on(prm, day))

        for run in self.classifier.runs(prm, direction, readings, spec_for):
            tariff = run.tariff
            per_kwh = self.prices.per_kwh(run.day, direction, tariff)
            energies = [r.energy_wh for r in run.readings]
            costs = None if per_kwh is None else [energy_cost(e, per_kwh) for e in energies]
            lines += curve_lines(run, costs)
            day_totals = totals[run.day]
            for energy, cost in zip(energies, costs or repeat(None), strict=False):
                day_totals.add(tariff, energy, cost)
                summary.energy_by_tariff[tariff] += energy
                if cost is not None:
                    summary.cost_by_tariff[tariff] += cost
            summary.curve_points += len(energies)
        return lines, totals, new_specs

    def _daily_lines(
        self, point: UsagePointState, readings: list[DailyReading], summary: SeriesSummary
    ) -> list[str]:
        """Each day's energy with its complete curve's split and cost (else the BASE or
        production price times the energy), and its share of the subscription."""
        lines = []
        for r in readings:
            summary.daily_energy_wh += r.energy_wh
            curve = self._curve_totals(point, r)
            cost = curve.cost_eur if curve is not None else None
            if cost is None:
                cost = self.prices.cost(r.day, r.direction, BASE, r.energy_wh)
            share = self.prices.subscription_share(r.day) if r.direction == "consumption" else None
            split = curve.energy_wh if curve is not None else None
            lines.append(daily_line(r, cost, share, split))
        return lines

    @staticmethod
    def _curve_totals(point: UsagePointState, reading: DailyReading) -> CurveTotals | None:
        """The totals of the day's load curve, when it is complete."""
        if point.of(f"{reading.direction}/curve").status(reading.day) != "complete":
            return None
        return point.curve_totals.get(reading.direction, {}).get(reading.day)

    def _keep_totals(
        self,
        point: UsagePointState,
        direction: str,
        before: Mapping[date, str],
        totals: Mapping[date, CurveTotals],
    ) -> None:
        """Remember the totals of each day whose curve is now complete; a daily point already
        written without them is stale: fetched again, later in this run (daily comes after
        curve) or the next (in the same call as the next days: no extra call)."""
        kept = point.curve_totals.setdefault(direction, {})
        curve, daily = point.of(f"{direction}/curve"), point.of(f"{direction}/daily")
        for day, day_totals in totals.items():
            if curve.status(day) != "complete":
                continue
            if day_totals.cost_eur is not None:
                day_totals.cost_eur = round(day_totals.cost_eur, DIGITS)
            kept[day] = day_totals
            if before[day] != "complete" and daily.status(day) == "complete":
                daily.mark(day, "stale")

    def _settle(
        self,
        prm: str,
        series: Series,
        state: SeriesState,
        start: date,
        end: date,
        readings: list[Reading],
        report: FetchReport,
    ) -> None:
        """Record what ``[start, end)`` gave, day by day. A day without data is given up
        (unavailable) 3 days after it ended, when the same answer had data for other days
        (a hole Enedis will not fill), or when Enedis said "no data" for it on an earlier
        day too: one "no data" for a whole window may be a hiccup."""
        covered: dict[date, int] = defaultdict(int)  # day -> minutes (curve) or values
        for r in readings:
            if isinstance(r, CurveReading):
                covered[paris_day(r.start)] += r.minutes
            else:
                covered[r.day] += 1
        now = self.clock.now()
        today = paris_day(now)
        for n in range((end - start).days):
            day = start + timedelta(days=n)
            begin, finish = paris_day_bounds(day)
            full = int((finish - begin).total_seconds() // 60) if series.kind == "curve" else 1
            got = covered.get(day, 0)
            if got >= full:
                state.mark(day, "complete")
            elif got > 0:
                state.mark(day, "partial")
            elif state.status(day) in ("complete", "partial"):
                pass  # an earlier answer had it: keep what is already in the sink
            elif state.status(day) == "stale":
                state.mark(day, "complete")  # as above; asking again changed nothing
            elif now - finish >= GIVE_UP and (readings or state.said_empty(day, today)):
                state.mark(day, "unavailable")
                self._missing(prm, series, state, day, finish, now, report)
            else:
                self._missing(prm, series, state, day, finish, now, report)

    def _missing(
        self,
        prm: str,
        series: Series,
        state: SeriesState,
        day: date,
        finish: datetime,
        now: datetime,
        report: FetchReport,
    ) -> None:
        if now - finish < LATE:
            report.pending[(prm, series.label)].append(day)
        elif not state.seen:
            report.never[(prm, series)].append(day)
        else:
            report.late[(prm, series.label)].append(day)


def _next_window(pending: Sequence[date], size: timedelta) -> tuple[date, date]:
    """The window starting at the first pending day and ending after the last it can hold."""
    start = pending[0]
    return start, max(d for d in pending if d < start + size) + timedelta(days=1)


def _cover(days: Sequence[date], size: timedelta) -> list[tuple[date, date]]:
    """The fewest windows of at most ``size`` covering ``days`` (sorted), greedily."""
    windows = []
    pending = list(days)
    while pending:
        windows.append(_next_window(pending, size))
        pending = [d for d in pending if d >= windows[-1][1]]
    return windows


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
