"""Netatmo circuits, the second source: its consent (``linkyflux auth --netatmo``) and its
part of every ``fetch`` and ``backfill`` (see :mod:`linkyflux.sync.circuits`).

The consent is Netatmo's authorization-code grant: linkyflux prints the authorize link, the
user accepts and pastes back the address the browser landed on (or only its code), or
pastes a refresh token made with the "Generate Token" button of their dev.netatmo.com app.
Each refresh rotates the pair: it is saved before the new access token is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import click

from linkyflux.app.wiring import Echo, Runtime
from linkyflux.errors import ConfigError
from linkyflux.models import Circuit
from linkyflux.settings import Settings
from linkyflux.sinks.writers import Sink
from linkyflux.sources.netatmo.api import NetatmoClient, paced_http
from linkyflux.sources.netatmo.oauth import (
    authorize_url,
    code_from,
    exchange_code,
    from_pair,
    new_state,
    refresh,
)
from linkyflux.sources.netatmo.tokens import NetatmoTokenStore
from linkyflux.sync.circuits import CircuitsReport, sync_circuits
from linkyflux.sync.state import SyncState
from linkyflux.sync.totals import Pricing
from linkyflux.text import excerpt


@contextmanager
def netatmo_client(settings: Settings, runtime: Runtime) -> Iterator[NetatmoClient]:
    """A paced client of Netatmo with the saved consent; the requests it sent are logged
    when it closes (so the next run counts them against the hourly limit)."""
    netatmo, state_dir = settings.netatmo, settings.state_dir()
    http, pacer, log = paced_http(
        netatmo.api_url(),
        state_dir,
        runtime.clock,
        timeout=netatmo.timeout,
        transport=runtime.transport,
    )
    store = NetatmoTokenStore(state_dir)
    secret = netatmo.client_secret.get_secret_value()
    try:
        with http:
            yield NetatmoClient(http, store, runtime.clock, netatmo.client_id, secret)
    finally:
        log.save(pacer.history, runtime.clock.now())


def run_netatmo_auth(
    settings: Settings, runtime: Runtime, echo: Echo, pair: tuple[str, str] | None = None
) -> None:
    """Netatmo's consent, saved in the state directory; its circuits said. With ``pair``, the
    access and refresh tokens the app's "Generate Token" button gave, checked and rotated at
    once (the page that showed them no longer holds a live pair)."""
    netatmo = settings.netatmo
    if not netatmo.enabled:
        raise ConfigError(
            f"{settings.source}: netatmo.client_id is empty: put your dev.netatmo.com app's "
            "client id and secret in [netatmo] first"
        )
    state_dir = settings.state_dir()
    store = NetatmoTokenStore(state_dir)
    secret = netatmo.client_secret.get_secret_value()
    http, pacer, log = paced_http(
        netatmo.api_url(),
        state_dir,
        runtime.clock,
        timeout=netatmo.timeout,
        transport=runtime.transport,
    )
    try:
        with http:
            if pair is not None:  # checked (and rotated) before anything is saved
                given = from_pair(*pair, runtime.clock.now())
                store.save(
                    refresh(http, netatmo.client_id, secret, given.refresh_token, runtime.clock)
                )
            else:
                state = new_state()
                link = authorize_url(
                    netatmo.api_url(), netatmo.client_id, netatmo.redirect_uri, state
                )
                echo(
                    f"Open this link, accept, then paste the address your browser lands on:\n{link}"
                )
                pasted = (runtime.on_netatmo_link or _ask)(link)
                code = code_from(pasted, state)
                store.save(
                    exchange_code(
                        http, netatmo.client_id, secret, code, netatmo.redirect_uri, runtime.clock
                    )
                )
            echo(f"Netatmo consent saved in {store.path}")
            client = NetatmoClient(http, store, runtime.clock, netatmo.client_id, secret)
            for circuit in client.circuits():
                echo(
                    f"  {circuit.home_name} ({circuit.home_id}): {circuit.name} "
                    f"({circuit.kind}, {circuit.module_id})"
                )
    finally:
        log.save(pacer.history, runtime.clock.now())


def _ask(link: str) -> str:
    return str(click.prompt("Address (or code)", err=True))


def run_circuits(
    settings: Settings,
    runtime: Runtime,
    sink: Sink,
    pricing: Pricing,
    state: SyncState,
    usage_points: tuple[str, ...],
    since: datetime | None,
) -> tuple[CircuitsReport, list[str]]:
    """The Netatmo part of a run, into the same sink; the report's lines about it."""
    homes = settings.netatmo.homes
    usage_point = settings.netatmo.usage_point or (
        _only(usage_points, settings) if not homes else ""
    )

    def usage_point_of(circuit: Circuit) -> str:
        meter = homes.get(circuit.home_id) or usage_point
        if not meter:
            raise ConfigError(
                f"{settings.source}: netatmo.homes has no {circuit.home_id!r} "
                f"({excerpt(circuit.home_name)}), and netatmo.usage_point is empty: say which "
                "Linky meter that home hangs off"
            )
        return meter

    with netatmo_client(settings, runtime) as client:
        report = sync_circuits(
            client,
            sink,
            pricing,
            settings.state_dir(),
            state.point,
            usage_point_of,
            runtime.clock.now(),
            timedelta(hours=settings.netatmo.window_hours),
            since,
        )
    return report, format_circuits(report)


def _only(usage_points: tuple[str, ...], settings: Settings) -> str:
    if len(usage_points) == 1:
        return usage_points[0]
    raise ConfigError(
        f"{settings.source}: netatmo.usage_point: set it to the Linky meter the Netatmo homes "
        f"hang off (the consent has {len(usage_points)}: {', '.join(usage_points[:4])})"
    )


def format_circuits(report: CircuitsReport) -> list[str]:
    rows = []
    for module_id, c in report.circuits.items():
        if not c.points:
            continue
        until = c.last.strftime("%Y-%m-%d %H:%M UTC") if c.last else "-"
        rows.append(
            f"Netatmo {c.circuit.home_name}: {c.circuit.name} ({c.circuit.kind}, {module_id}): "
            f"{c.points} buckets, {c.energy_wh / 1000:.3f} kWh, up to {until}"
        )
    return rows
