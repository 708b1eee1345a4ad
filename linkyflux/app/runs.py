"""``linkyflux fetch`` and ``backfill``: one run of the sync engine, with its spool, its
reclassification and what a backfill is told to forget first."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import httpx

from linkyflux.app.consent import refresh_contracts
from linkyflux.app.wiring import (
    Echo,
    Runtime,
    command_of,
    destination_of,
    gateway_client,
    make_classifier,
    make_prices,
    metering_api,
    spooling_sink,
    tempo_colours,
)
from linkyflux.errors import LinkyfluxError, SinkError
from linkyflux.settings import Settings
from linkyflux.sinks.spool import SpoolingSink
from linkyflux.sources.gateways import gateway_for
from linkyflux.sources.tokens import TokenStore
from linkyflux.sources.transport import BudgetExhausted, Pacer, RequestLog
from linkyflux.sync import reclassify as reclassifying
from linkyflux.sync.engine import Fetcher
from linkyflux.sync.lock import run_lock
from linkyflux.sync.report import FetchReport, day_list
from linkyflux.sync.state import SyncState
from linkyflux.sync.totals import Pricing
from linkyflux.timeutil import paris_midnight, paris_today
from linkyflux.urls import public_url


@dataclass(frozen=True)
class Reclassify:
    """``backfill --reclassify``: rewrite from ``since`` (None: the first day tagged with
    another schedule than the configured one); ``delete``: the old points first."""

    since: date | None = None
    delete: bool = True


@dataclass(frozen=True)
class Forget:
    """What a backfill is told to forget first: the days Enedis had nothing for
    (``unavailable``), what the destination holds (``sent``: it was emptied), the directions
    Enedis said a meter does not measure (``directions``)."""

    unavailable: bool = False
    sent: bool = False
    directions: bool = False

    def apply(self, state: SyncState, usage_points: Sequence[str]) -> None:
        if not (self.unavailable or self.sent or self.directions):
            return
        for usage_point_id in usage_points:
            point = state.point(usage_point_id)
            if self.unavailable:
                point.retry_unavailable()
            if self.sent:
                point.unsend()
            if self.directions:
                point.recheck_directions()
        state.save()


def run_sync(
    settings: Settings,
    runtime: Runtime,
    start: date,
    end: date,
    warn: Echo,
    *,
    catch_up: bool,
    progress: Callable[[int], Callable[[], None]] | None = None,
    reclassify: Reclassify | None = None,
    forget: Forget | None = None,
    spool_survives: bool = True,
) -> tuple[FetchReport, SpoolingSink]:
    """Fetch ``[start, end)`` (and, with ``catch_up``, earlier missing days) into the sink;
    with ``reclassify``, rewrite the history from its day instead (``start`` is ignored).

    Holds the state directory's lock; writes the spool of an earlier failed run first, then
    any deletion a reclassification left undone (see :mod:`linkyflux.sync.reclassify`); keeps in
    the spool whatever the sink cannot take now (``spool_survives`` False: a spool deleted
    after the run, the demo's, which a message must not promise to write later).
    """
    gateway = gateway_for(settings)
    gateway.require()
    state_dir = settings.state_dir()
    with run_lock(state_dir):
        store = TokenStore(state_dir)
        tokens = store.load()
        granted_by, url = public_url(tokens.consent_url), public_url(settings.consent.url)
        if granted_by != url:  # a new password alone is the same gateway
            warn(
                f"the tokens were granted by {granted_by}, not by consent.url {url}: run "
                "`linkyflux auth` if the gateway changed"
            )
        state = SyncState(state_dir)
        check_destination(settings, state, warn)
        if forget is not None:
            forget.apply(state, tokens.usage_points)

        def auth(pacer: Pacer) -> httpx.Auth:
            return gateway.auth(store, tokens, runtime.clock, pacer)

        sink = spooling_sink(settings, runtime)
        client, pacer = gateway_client(gateway, runtime, auth)
        try:
            drained = sink.drain_spool()
            today = paris_today(runtime.clock)
            with client:
                api = metering_api(gateway, runtime, client, pacer, state)
                refresh_contracts(api, state, tokens.usage_points, today, warn, settings)
                classifier = make_classifier(settings, state)
                notes: list[str] = []
                chosen: dict[str, date] = {}
                if reclassify is not None:
                    chosen, notes = reclassifying.rewrite_from(
                        state, classifier, tokens.usage_points, reclassify.since, today
                    )
                    if chosen:
                        reclassifying.start(state, chosen, sink, today, delete=reclassify.delete)
                        start = min(chosen.values())
                elif sink.failure is None:
                    reclassifying.apply_deletes(state, sink, today)
                if reclassify is not None and not chosen:
                    report = FetchReport(today, today, notes=[*notes, NOTHING_TO_RECLASSIFY])
                else:
                    with tempo_colours(settings, runtime) as colours:
                        fetcher = Fetcher(
                            api,
                            sink,
                            classifier,
                            state,
                            runtime.clock,
                            warn,
                            prices=make_prices(settings),
                            colours=colours,
                        )
                        report = _fetch(
                            fetcher,
                            tokens.usage_points,
                            start,
                            end,
                            catch_up=catch_up,
                            progress=progress,
                        )
                        if settings.netatmo.enabled:  # (its modules only when it is)
                            from linkyflux.app.circuits import run_circuits

                            pricing = Pricing(classifier, make_prices(settings), colours)
                            since = None if catch_up else paris_midnight(start)
                            circuits, rows = run_circuits(
                                settings, runtime, sink, pricing, state, tokens.usage_points, since
                            )
                            report.sources += rows
                            report.lines_written += sum(
                                c.points for c in circuits.circuits.values()
                            )
                            report.errors += circuits.errors
                    report.notes[:0] = notes
        finally:
            sink.close()
            RequestLog(state_dir).save(pacer.history, runtime.clock.now())
        report.lines_written += drained
        for usage_point_id in tokens.usage_points:
            days = reclassifying.retag_days(state.point(usage_point_id), classifier, usage_point_id)
            if days:
                warn(
                    f"{usage_point_id}: {day_list(days)} keep the off-peak schedule they were "
                    "first written with, not the one configured now; to delete and rewrite them: "
                    f"{command_of(settings)} backfill --reclassify --since {days[0]}"
                )
        report.errors += sink_errors(sink, spool_survives)
        return report, sink


def sink_errors(sink: SpoolingSink, spool_survives: bool = True) -> list[LinkyfluxError]:
    """What the sink could not do in the run: the lines it kept in the spool (written first
    next run; or, with a spool that does not survive the run, not written at all), then the
    lines InfluxDB refused for good (reported once)."""
    errors: list[LinkyfluxError] = []
    if sink.failure is not None:
        if spool_survives:
            fate = f"{sink.spooled} lines kept in the spool, written first on the next run"
        else:
            fate = f"{sink.spooled} lines were not written and are not kept: run again once fixed"
        errors.append(SinkError(f"{sink.failure} ({fate})"))
    return errors + sink.rejected


def check_destination(settings: Settings, state: SyncState, warn: Echo) -> None:
    """A new destination has none of the days sent to the old one: they are sent again
    (missing again from the first one on, see SyncState.moved_to)."""
    destination = destination_of(settings)
    if state.destination is None:  # the first run, or a state from before it was kept
        state.destination = destination
    elif state.destination != destination:
        old = state.destination
        first = state.moved_to(destination)
        state.save()
        if first is not None:
            warn(
                f"the destination changed from {old} to {destination}: the days sent to the "
                f"old one are sent again to the new one (from {first})"
            )


def _plan_budget(report: FetchReport, remaining: int) -> None:
    """When a gateway's budget ran out, say how many more runs the work needs."""
    for n, error in enumerate(report.errors):
        if isinstance(error, BudgetExhausted):
            runs = max(1, -(-remaining // error.rate.limit))
            hours = error.rate.per.total_seconds() / 3600
            report.errors[n] = BudgetExhausted(
                error.rate,
                error.available_at,
                f"backfill will take {runs} more run(s), {hours:g} hours apart",
            )


def _fetch(
    fetcher: Fetcher,
    usage_points: Sequence[str],
    start: date,
    end: date,
    *,
    catch_up: bool,
    progress: Callable[[int], Callable[[], None]] | None,
) -> FetchReport:
    """Run the fetcher, ticking the progress bar; with a budget exhausted, say how many runs
    are left."""
    if progress is not None:  # planning the whole run is only for the bar
        fetcher.on_window = progress(
            fetcher.planned_windows(usage_points, start, end, catch_up=catch_up)
        )
    report = fetcher.run(usage_points, start, end, catch_up=catch_up)
    if any(isinstance(e, BudgetExhausted) for e in report.errors):
        left = fetcher.planned_windows(usage_points, start, end, catch_up=catch_up)
        _plan_budget(report, left)
    return report


def run_fetch(
    settings: Settings, runtime: Runtime, days: int, warn: Echo, *, spool_survives: bool = True
) -> tuple[FetchReport, SpoolingSink]:
    """The last ``days`` days (ending yesterday, Europe/Paris) and every day missed since."""
    today = paris_today(runtime.clock)
    start = today - timedelta(days=days)
    return run_sync(
        settings, runtime, start, today, warn, catch_up=True, spool_survives=spool_survives
    )


NOTHING_TO_RECLASSIFY = (
    "Nothing to reclassify: every day written has the tags of the schedule configured for it."
)
