"""The wiring: settings and the runtime to the stages' objects (the sink, the classifier, the
prices, the gateway's paced client, the metering API), shared by every command."""

from __future__ import annotations

import random
import shlex
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from linkyflux.settings import Settings, default_config_path
from linkyflux.sinks.spool import Spool, SpoolingSink
from linkyflux.sinks.writers import FileSink, InfluxV1Sink, InfluxV2Sink, Sink
from linkyflux.sources.auth import DeviceCode
from linkyflux.sources.dialects import DIALECTS, Dialect
from linkyflux.sources.gateways.base import Gateway
from linkyflux.sources.metering import MeteringApi
from linkyflux.sources.tempo import TempoColours, api_couleur_tempo, rte
from linkyflux.sources.transport import USER_AGENT, Pacer, RequestLog, paced_client
from linkyflux.sync.state import SyncState
from linkyflux.tariffs.classifier import Classifier, DatedSchedule
from linkyflux.tariffs.grammar import named_option, parse_offpeak
from linkyflux.tariffs.prices import PriceList, carried_over
from linkyflux.timeutil import Clock, SystemClock
from linkyflux.urls import public_url

Echo = Callable[[str], None]


@dataclass
class Runtime:
    """What the outside world is made of: swapped by tests and the demo, never by users."""

    clock: Clock = field(default_factory=SystemClock)
    rng: random.Random = field(default_factory=random.Random)
    transport: httpx.BaseTransport | None = None
    # Called once the user has been shown the consent link (the demo acts as the browser).
    on_device_code: Callable[[DeviceCode], None] | None = None
    # Netatmo's consent: given the authorize link, what the user pastes back (the address
    # the browser landed on, or the code); None: asked on the terminal.
    on_netatmo_link: Callable[[str], str] | None = None


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


def spooling_sink(settings: Settings, runtime: Runtime) -> SpoolingSink:
    """The configured sink, keeping in the state directory's spool what it cannot take."""
    return SpoolingSink(make_sink(settings), Spool(settings.state_dir()), runtime.clock)


def destination_of(settings: Settings) -> str:
    """Where the points go, as the state remembers it (never with a password or a token)."""
    influx = settings.influxdb
    if influx.output:
        return "stdout" if influx.output == "-" else str(Path(influx.output).expanduser())
    url = public_url(influx.url.rstrip("/"))
    if influx.api == "v1":
        policy = f", retention policy {influx.retention_policy!r}" * bool(influx.retention_policy)
        return f"InfluxDB 1.x at {url}, database {influx.database!r}{policy}"
    return f"InfluxDB at {url}, org {influx.org!r}, bucket {influx.bucket!r}"


def make_classifier(settings: Settings, state: SyncState) -> Classifier:
    """The configured schedules by date, with each usage point's contract as the fallback."""
    subdivision = settings.tariff.holiday_subdivision or None
    seasons = settings.tariff.seasons()
    offpeaks = [
        (None, settings.tariff.offpeak),
        *((s.from_, s.offpeak) for s in settings.tariff.schedule),
    ]
    dated = [
        DatedSchedule(start, parse_offpeak(text, holiday_subdivision=subdivision, seasons=seasons))
        for start, text in offpeaks
    ]
    contracts = {
        usage_point_id: point.contract for usage_point_id, point in state.usage_points.items()
    }
    return Classifier(dated, contracts, subdivision)


def make_prices(settings: Settings) -> PriceList:
    """The dated prices, each entry with the prices it does not set carried over."""
    return PriceList(carried_over([(p.from_, p.changes()) for p in settings.tariff.price]))


def dialect_order(settings: Settings, state: SyncState) -> list[Dialect]:
    """The dialects to try, in order: the configured one, or (auto) what worked last here."""
    if settings.enedis.api != "auto":
        return [DIALECTS[settings.enedis.api]]
    first = state.dialects.get(settings.consent.url, "2026")
    return [DIALECTS[first], *(d for name, d in DIALECTS.items() if name != first)]


def gateway_client(
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


def metering_api(
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


@contextmanager
def tempo_colours(settings: Settings, runtime: Runtime) -> Iterator[TempoColours | None]:
    """The Tempo colour source, when a configured schedule is Tempo (else None)."""
    offpeaks = [settings.tariff.offpeak, *(s.offpeak for s in settings.tariff.schedule)]
    if "TEMPO" not in map(named_option, offpeaks):
        yield None
        return
    tempo = settings.tempo
    url = tempo.source_url()
    with httpx.Client(
        base_url=url + "/",
        timeout=tempo.timeout,
        transport=runtime.transport,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
    ) as client:
        if tempo.source == "rte":
            secret = tempo.client_secret.get_secret_value()
            fetch = rte(client, tempo.client_id, secret, runtime.clock)
        else:
            fetch = api_couleur_tempo(client)
        yield TempoColours(fetch, public_url(url), settings.state_dir(), runtime.clock)


def command_of(settings: Settings) -> str:
    """How the user runs linkyflux with these settings, for messages."""
    source = settings.source
    if source == "the environment" or Path(source) == default_config_path():
        return "linkyflux"
    return f"linkyflux --config {shlex.quote(source)}"
