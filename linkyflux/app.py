"""The composition root: settings + runtime -> gateway client, sink, schedule, and the runs.

Each function here is one command's work, called by :mod:`linkyflux.cli` (and the demo);
none of them prints except through the ``echo`` it is given.
"""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import httpx

from linkyflux.errors import LinkyfluxError, SinkError
from linkyflux.settings import Settings, default_config_path
from linkyflux.sinks.spool import Spool, SpoolingSink
from linkyflux.sinks.writers import FileSink, InfluxV1Sink, InfluxV2Sink, Sink
from linkyflux.sources import contracts
from linkyflux.sources.auth import DeviceCode
from linkyflux.sources.dialects import DIALECTS, Dialect
from linkyflux.sources.gateways import Asking, Gateway, gateway_for
from linkyflux.sources.metering import ContractNotServed, MeteringApi
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import BudgetExhausted, Pacer, RequestLog, paced_client
from linkyflux.sync import reclassify as reclassifying
from linkyflux.sync.engine import Fetcher, FetchReport, day_list
from linkyflux.sync.lock import run_lock
from linkyflux.sync.state import SyncState
from linkyflux.tariffs.classifier import Classifier, DatedSchedule
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.prices import Price, PriceList
from linkyflux.timeutil import Clock, SystemClock, paris_today

Echo = Callable[[str], None]


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
        for prm in usage_points:
            point = state.point(prm)
            if self.unavailable:
                point.retry_unavailable()
            if self.sent:
                point.unsend()
            if self.directions:
                point.recheck_directions()
        state.save()


@dataclass
class Runtime:
    """What the outside world is made of: swapped by tests and the demo, never by users."""

    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    transport: httpx.BaseTransport | None = None
    # Called once the user has been shown the consent link (the demo acts as the browser).
    on_device_code: Callable[[DeviceCode], None] | None = None


def make_sink(settings: Settings) -> Sink:
    influx = settings.influxdb
    if influx.output:
        return FileSink(influx.output)
    if influx.api == "v1":
        return InfluxV1Sink(
            influx.url,
            influx.database,
            username=influx.username,
            password=influx.password.get_secret_value(),
            retention_policy=influx.retention_policy,
            timeout=influx.timeout,
            batch_size=influx.batch_size,
        )
    return InfluxV2Sink(
        influx.url,
        token=influx.token.get_secret_value(),
        org=influx.org,
        bucket=influx.bucket,
        timeout=influx.timeout,
        batch_size=influx.batch_size,
    )


def destination_of(settings: Settings) -> str:
    """Where the points go, as the state remembers it (never with a password or a token)."""
    influx = settings.influxdb
    if influx.output:
        return "stdout" if influx.output == "-" else str(Path(influx.output).expanduser())
    url = without_userinfo(influx.url.rstrip("/"))
    if influx.api == "v1":
        policy = f", retention policy {influx.retention_policy!r}" * bool(influx.retention_policy)
        return f"InfluxDB 1.x at {url}, database {influx.database!r}{policy}"
    return f"InfluxDB at {url}, org {influx.org!r}, bucket {influx.bucket!r}"


def without_userinfo(url: str) -> str:
    """``url`` without its ``user:password@``: what may be printed or remembered."""
    scheme, sep, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.rpartition('@')[2]}{slash}{path}"


def _check_destination(settings: Settings, state: SyncState, warn: Echo) -> None:
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


def make_classifier(settings: Settings, state: SyncState) -> Classifier:
    """The configured schedules by date, with each usage point's contract as the fallback."""
    subdivision = settings.tariff.holiday_subdivision or None
    dated = [
        DatedSchedule(None, parse_offpeak(settings.tariff.offpeak, holiday_subdivision=subdivision))
    ]
    dated += [
        DatedSchedule(s.from_, parse_offpeak(s.offpeak, holiday_subdivision=subdivision))
        for s in settings.tariff.schedule
    ]
    contracts = {prm: point.contract for prm, point in state.usage_points.items()}
    return Classifier(dated, contracts, subdivision)


def make_prices(settings: Settings) -> PriceList:
    return PriceList(
        [
            Price(p.from_, p.base, p.hc, p.hp, p.production, p.subscription)
            for p in settings.tariff.price
        ]
    )


def dialect_order(settings: Settings, state: SyncState) -> list[Dialect]:
    """The dialects to try, in order: the configured one, or (auto) what worked last here."""
    if settings.enedis.api != "auto":
        return [DIALECTS[settings.enedis.api]]
    first = state.dialects.get(settings.consent.url, "2026")
    return [DIALECTS[first], *(d for name, d in DIALECTS.items() if name != first)]


def _client(
    gateway: Gateway,
    runtime: Runtime,
    auth: Callable[[Pacer], httpx.Auth] | None = None,
    pacer: Pacer | None = None,
) -> tuple[httpx.Client, Pacer]:
    """A paced client of the gateway; with ``pacer``, paced by that one (the same run)
    rather than by one made from the request log."""
    settings = gateway.settings
    if pacer is None:
        log = RequestLog(settings.state_dir())
        pacer = Pacer(runtime.clock, gateway.rates(), log.load(runtime.clock.now()), log.record)
    client = paced_client(
        gateway.url + "/",
        pacer,
        timeout=settings.consent.timeout,
        auth=auth(pacer) if auth else None,
        transport=runtime.transport,
    )
    return client, pacer


def run_auth(
    settings: Settings,
    runtime: Runtime,
    echo: Echo,
    *,
    token: str | None = None,
    warn: Echo | None = None,
) -> Tokens:
    """Obtain the consent the gateway's way (device flow, pasted token, app credentials),
    then read each usage point's contract."""
    gateway = gateway_for(settings)
    gateway.require()
    state_dir = settings.state_dir()
    store = TokenStore(state_dir)
    with run_lock(state_dir):
        client, pacer = _client(gateway, runtime)
        with client:
            try:
                ask = Asking(client, runtime.clock, echo, token, runtime.on_device_code)
                tokens = gateway.authorize(ask)
            finally:
                RequestLog(state_dir).save(pacer.history, runtime.clock.now())
        store.save(tokens)
        points = ", ".join(tokens.usage_points)
        echo(f"Consent granted for {len(tokens.usage_points)} usage point(s): {points}")
        echo(f"Tokens saved in {store.path}")
        read_contracts(gateway, runtime, pacer, store, tokens, echo, warn or echo)
    return tokens


CONTRACT_REFRESH = timedelta(days=30)


def refresh_contracts(
    api: MeteringApi, state: SyncState, usage_points: Sequence[str], today: date, warn: Echo
) -> None:
    """Read again each contract read a month ago or more (Enedis moves off-peak hours, users
    change their subscribed power); say what changed. A failure is a warning: the contract
    read last stays in use, and the next run tries again."""
    for prm in usage_points:
        point = state.point(prm)
        if point.contract_read is not None and today - point.contract_read < CONTRACT_REFRESH:
            continue
        try:
            contract = api.contract(prm)
        except LinkyfluxError as exc:
            warn(f"{prm}: the contract could not be read again ({exc})")
            if isinstance(exc, ContractNotServed):  # asked again in a month, not every run
                point.contract_read = today
                state.save()
            continue
        if point.contract_read is not None and contract != point.contract:
            old, new = contracts.describe(point.contract), contracts.describe(contract)
            warn(f"{prm}: the contract changed: was {old}; now {new}")
        point.contract, point.contract_read = contract, today
        state.save()


def read_contracts(
    gateway: Gateway,
    runtime: Runtime,
    pacer: Pacer,
    store: TokenStore,
    tokens: Tokens,
    echo: Echo,
    warn: Echo,
) -> None:
    """Each usage point's contract, into the state (a failure is a warning, not an error),
    paced by the consent's ``pacer``."""
    state = SyncState(store.path.parent)

    def auth(pacer: Pacer) -> httpx.Auth:
        return gateway.auth(store, tokens, runtime.clock, pacer)

    client, pacer = _client(gateway, runtime, auth, pacer)
    try:
        with client:
            api = _metering_api(gateway, runtime, client, pacer, state)
            echo("Reading the contracts (at the gateway's pace)…")
            for prm in tokens.usage_points:
                point = state.point(prm)
                try:
                    point.contract = api.contract(prm)
                except LinkyfluxError as exc:
                    warn(f"{prm}: the contract could not be read ({exc})")
                    if isinstance(exc, ContractNotServed):  # asked again in a month
                        point.contract_read = paris_today(runtime.clock)
                    continue
                point.contract_read = paris_today(runtime.clock)
                echo(f"{prm}: {contracts.describe(point.contract)}")
    finally:
        state.save()
        RequestLog(store.path.parent).save(pacer.history, runtime.clock.now())


def _metering_api(
    gateway: Gateway, runtime: Runtime, client: httpx.Client, pacer: Pacer, state: SyncState
) -> MeteringApi:
    url = gateway.settings.consent.url
    return MeteringApi(
        client,
        pacer,
        runtime.clock,
        runtime.rng,
        gateway=gateway,
        dialects=dialect_order(gateway.settings, state),
        on_dialect=lambda name: state.dialects.__setitem__(url, name),
    )


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
) -> tuple[FetchReport, SpoolingSink]:
    """Fetch ``[start, end)`` (and, with ``catch_up``, earlier missing days) into the sink;
    with ``reclassify``, rewrite the history from its day instead (``start`` is ignored).

    Holds the state directory's lock; writes the spool of an earlier failed run first, then
    any deletion a reclassification left undone (see :mod:`linkyflux.sync.reclassify`); keeps in
    the spool whatever the sink cannot take now.
    """
    gateway = gateway_for(settings)
    gateway.require()
    state_dir = settings.state_dir()
    with run_lock(state_dir):
        store = TokenStore(state_dir)
        tokens = store.load()
        if tokens.consent_url != settings.consent.url:
            warn(
                f"the tokens were granted by {tokens.consent_url}, not by consent.url "
                f"{settings.consent.url}: run `linkyflux auth` if the gateway changed"
            )
        state = SyncState(state_dir)
        _check_destination(settings, state, warn)
        if forget is not None:
            forget.apply(state, tokens.usage_points)

        def auth(pacer: Pacer) -> httpx.Auth:
            return gateway.auth(store, tokens, runtime.clock, pacer)

        sink = SpoolingSink(make_sink(settings), Spool(state_dir), runtime.clock)
        client, pacer = _client(gateway, runtime, auth)
        try:
            drained = sink.drain_spool()
            today = paris_today(runtime.clock)
            with client:
                api = _metering_api(gateway, runtime, client, pacer, state)
                refresh_contracts(api, state, tokens.usage_points, today, warn)
                schedule = make_classifier(settings, state)
                notes: list[str] = []
                chosen: dict[str, date] = {}
                if reclassify is not None:
                    chosen, notes = reclassifying.plan(
                        state, schedule, tokens.usage_points, reclassify.since, today
                    )
                    if chosen:
                        reclassifying.start(state, chosen, sink, today, delete=reclassify.delete)
                        start = min(chosen.values())
                elif sink.failure is None:
                    reclassifying.apply_deletes(state, sink, today)
                if reclassify is not None and not chosen:
                    report = FetchReport(today, today, notes=[*notes, NOTHING_TO_RECLASSIFY])
                else:
                    fetcher = Fetcher(
                        api,
                        sink,
                        schedule,
                        state,
                        runtime.clock,
                        warn,
                        prices=make_prices(settings),
                    )
                    report = _fetch(
                        fetcher,
                        tokens.usage_points,
                        start,
                        end,
                        catch_up=catch_up,
                        progress=progress,
                    )
                    report.notes[:0] = notes
        finally:
            sink.close()
            RequestLog(state_dir).save(pacer.history, runtime.clock.now())
        report.lines_written += drained
        for prm in tokens.usage_points:
            days = reclassifying.retag_days(state.point(prm), schedule, prm)
            if days:
                warn(
                    f"{prm}: {day_list(days)} keep the off-peak schedule they were first "
                    "written with, not the one configured now; to delete and rewrite them: "
                    f"{command_of(settings)} backfill --reclassify --since {days[0]}"
                )
        if sink.failure is not None:
            report.errors.append(
                SinkError(
                    f"{sink.failure} ({sink.spooled} lines kept in the spool, "
                    "written first on the next run)"
                )
            )
        report.errors += sink.rejected  # lines InfluxDB refused for good, reported once
        return report, sink


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
    settings: Settings, runtime: Runtime, days: int, warn: Echo
) -> tuple[FetchReport, SpoolingSink]:
    """The last ``days`` days (ending yesterday, Europe/Paris) and every day missed since."""
    today = paris_today(runtime.clock)
    return run_sync(settings, runtime, today - timedelta(days=days), today, warn, catch_up=True)


NOTHING_TO_RECLASSIFY = (
    "Nothing to reclassify: every day written has the tags of the schedule configured for it."
)


def command_of(settings: Settings) -> str:
    """How the user runs linkyflux with these settings, for messages."""
    source = settings.source
    if source == "the environment" or Path(source) == default_config_path():
        return "linkyflux"
    return f"linkyflux --config {shlex.quote(source)}"


def format_report(report: FetchReport, sink: Sink) -> str:
    if report.start == report.end:  # nothing was to be fetched
        return "\n".join(report.notes)
    last = report.end - timedelta(days=1)
    priced = any(s.cost_by_tariff for s in report.series.values())
    rows = [
        *report.notes,
        f"Fetched {report.start} … {last} into {sink.description}: "
        f"{report.lines_written} lines, {report.calls} API calls.",
        f"{'usage point':<15} {'direction':<12} {'curve pts':>9} {'HC kWh':>9} {'HP kWh':>9} "
        f"{'BASE kWh':>9} {'daily kWh':>10} {'peak days':>9}" + (f" {'curve €':>9}" * priced),
    ]
    for (prm, direction), s in sorted(report.series.items()):
        kwh = {t: f"{s.energy_by_tariff.get(t, 0.0) / 1000:9.3f}" for t in ("HC", "HP", "BASE")}
        cost = ""
        if priced:
            cost = f" {sum(s.cost_by_tariff.values()):>9.2f}" if s.cost_by_tariff else f" {'-':>9}"
        rows.append(
            f"{prm:<15} {direction:<12} {s.curve_points:>9} {kwh['HC']} {kwh['HP']} "
            f"{kwh['BASE']} {s.daily_energy_wh / 1000:>10.3f} {s.max_power_values:>9}{cost}"
        )
    for (prm, label), days in sorted(report.pending.items()):
        listed = ", ".join(d.isoformat() for d in sorted(days))
        rows.append(f"Not published yet, fetched on the next run: {prm} {label}: {listed}")
    return "\n".join(rows)
