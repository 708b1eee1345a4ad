"""``linkyflux auth``: the consent, the gateway's way, then each usage point's contract; and
the contracts read again a month later by ``fetch``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import httpx

from linkyflux.app.wiring import (
    Echo,
    Runtime,
    gateway_client,
    metering_api,
)
from linkyflux.errors import LinkyfluxError
from linkyflux.models import Contract
from linkyflux.settings import Settings
from linkyflux.sources import contracts
from linkyflux.sources.gateways import gateway_for
from linkyflux.sources.gateways.base import Asking, Gateway
from linkyflux.sources.metering import ContractNotServed, MeteringApi
from linkyflux.sources.tokens import Tokens, TokenStore
from linkyflux.sources.transport import Pacer, RequestLog
from linkyflux.sync.lock import run_lock
from linkyflux.sync.state import SyncState, UsagePointState
from linkyflux.tariffs.classifier import contract_ranges
from linkyflux.timeutil import paris_today


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
        client, pacer = gateway_client(gateway, runtime)
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
    api: MeteringApi,
    state: SyncState,
    usage_points: Sequence[str],
    today: date,
    warn: Echo,
    settings: Settings | None = None,
) -> None:
    """Read again each contract read a month ago or more (Enedis moves off-peak hours, users
    change their subscribed power); say what changed. A failure is a warning: the contract
    read last stays in use, and the next run tries again."""
    for usage_point_id in usage_points:
        point = state.point(usage_point_id)
        if point.contract_read is not None and today - point.contract_read < CONTRACT_REFRESH:
            continue
        try:
            contract = api.contract(usage_point_id)
        except LinkyfluxError as exc:
            warn(f"{usage_point_id}: the contract could not be read again ({exc})")
            if isinstance(exc, ContractNotServed):  # asked again in a month, not every run
                point.contract_read = today
                state.save()
            continue
        if point.contract_read is not None and contract != point.contract:
            old, new = contracts.describe(point.contract), contracts.describe(contract)
            pin = keep_old_hours(settings, point, contract) if settings else ""
            warn(f"{usage_point_id}: the contract changed: was {old}; now {new}{pin}")
        point.contract, point.contract_read = contract, today
        state.save()


def keep_old_hours(settings: Settings, point: UsagePointState, new: Contract | None) -> str:
    """When the contract's off-peak hours changed and tagged days with the old ones: the
    configuration that keeps the old hours for those days, so that a backfill or a
    reclassification does not tag them with the new ones (a run tags a day once; the days
    after the last one tagged with the old hours get the new)."""
    old = point.contract
    if old is None or new is None or old.offpeak_hours == new.offpeak_hours:
        return ""
    tagged = [
        day
        for day, recorded in point.day_schedules.items()
        if recorded.source == "contract" and recorded.offpeak == old.offpeak_hours
    ]
    if not tagged:
        return ""
    since = max(tagged) + timedelta(days=1)
    dated = [s for s in settings.tariff.schedule if s.from_ < since]
    before = max(dated, key=lambda s: s.from_) if dated else None
    hours = " ".join(contract_ranges(old.offpeak_hours or "")) or "BASE"
    where = f"[[tariff.schedule]] from {before.from_}" if before else "[tariff]"
    return (
        f"; to keep the old hours for the days up to {max(tagged)} (in a backfill or a "
        f'reclassification), set in {where} offpeak = "{hours}" and add:\n'
        f'[[tariff.schedule]]\nfrom = {since}\noffpeak = ""  # the contract\'s hours from then on'
    )


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

    client, pacer = gateway_client(gateway, runtime, auth, pacer)
    try:
        with client:
            api = metering_api(gateway, runtime, client, pacer, state)
            echo("Reading the contracts (at the gateway's pace)…")
            for usage_point_id in tokens.usage_points:
                point = state.point(usage_point_id)
                try:
                    point.contract = api.contract(usage_point_id)
                except LinkyfluxError as exc:
                    warn(f"{usage_point_id}: the contract could not be read ({exc})")
                    if isinstance(exc, ContractNotServed):  # asked again in a month
                        point.contract_read = paris_today(runtime.clock)
                    continue
                point.contract_read = paris_today(runtime.clock)
                echo(f"{usage_point_id}: {contracts.describe(point.contract)}")
    finally:
        state.save()
        RequestLog(store.path.parent).save(pacer.history, runtime.clock.now())
