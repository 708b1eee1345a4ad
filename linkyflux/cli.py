"""The `linkyflux` command: each subcommand loads settings and calls one function of app/.

Errors become one line each on stderr and the exit code of their kind (see errors.py).
Everything heavier than click is imported inside the commands, so `--help` starts fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from linkyflux import __version__
from linkyflux.commandline import Group
from linkyflux.errors import LinkyfluxError

if TYPE_CHECKING:
    from linkyflux.settings import Settings
    from linkyflux.sinks.writers import Sink
    from linkyflux.sync.report import FetchReport


def _lines(text: str) -> list[str]:
    """``text``'s lines, each printable (a line separator in a value is escaped)."""
    from linkyflux.text import printable

    return [printable(line) for line in text.split("\n")]


def _fail(error: LinkyfluxError) -> NoReturn:
    for line in _lines(str(error)):
        click.echo(f"linkyflux: {line}", err=True)
    sys.exit(error.exit_code)


def _fail_on(errors: list[LinkyfluxError]) -> None:
    """Report every error of a run, in order; exit with the code of the first."""
    if errors:
        for error in errors:
            for line in _lines(str(error)):
                click.echo(f"linkyflux: {line}", err=True)
        sys.exit(errors[0].exit_code)


def _finish(report: FetchReport, sink: Sink, quiet: bool) -> None:
    """A run's summary (unless quiet), then its errors and exit code."""
    from linkyflux.app.report import format_report

    if not quiet:
        # With `output = "-"` stdout carries line protocol: the summary goes to stderr.
        click.echo(format_report(report, sink), err=sink.description == "stdout")
    _fail_on(report.all_errors())


def _warn(message: str) -> None:
    click.echo("linkyflux: warning: " + "\n".join(_lines(message)), err=True)


def _load_settings(ctx: click.Context) -> Settings:
    """The settings of the --config file and the environment; their warnings printed."""
    from linkyflux.settings import load_settings

    return load_settings(ctx.meta["config_file"], warn=_warn)


def _say(message: str) -> None:
    """What `auth` and `demo` tell as they go (a link, the usage points, the contracts)."""
    click.echo("\n".join(_lines(message)))


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Config file (default: $LINKYFLUX_CONFIG, else ~/.config/linkyflux/config.toml).",
)
@click.version_option(__version__, prog_name="linkyflux")
@click.pass_context
def cli(ctx: click.Context, config_file: str | None) -> None:
    """Linky (Enedis) load curves, daily energy and max power into InfluxDB, tagged HC/HP."""
    from linkyflux.app.wiring import Runtime

    if not isinstance(ctx.obj, Runtime):
        ctx.obj = Runtime()
    ctx.meta["config_file"] = config_file


@cli.command(short_help="Give linkyflux access to your meters (once).")
@click.option(
    "--token",
    metavar="TOKEN",
    help="conso-api: the token from the Conso API site (else consent.token, else asked).",
)
@click.option(
    "--netatmo",
    is_flag=True,
    help="Netatmo's consent instead, for the circuits of [netatmo]: open the link shown, "
    "accept, paste back the address your browser lands on.",
)
@click.option(
    "--pair",
    is_flag=True,
    help="With --netatmo: paste the access and refresh tokens your dev.netatmo.com app's "
    '"Generate Token" button gave (scope read_magellan) instead.',
)
@click.pass_context
def auth(ctx: click.Context, token: str | None, netatmo: bool, pair: bool) -> None:
    """Give linkyflux access to your meters. With a consent proxy (device-flow): open the
    link shown, confirm the code, accept on the Enedis page. With Conso API: paste the
    token from its site. With your own Enedis application: checks its credentials."""
    from linkyflux.app.consent import run_auth

    try:
        settings = _load_settings(ctx)
        if netatmo or pair:
            from linkyflux.app.circuits import run_netatmo_auth

            tokens = None
            if pair:
                access = click.prompt("Access token", hide_input=True, err=True)
                tokens = (access, click.prompt("Refresh token", hide_input=True, err=True))
            run_netatmo_auth(settings, ctx.obj, _say, tokens)
            return
        consent = settings.consent
        missing = not (token or consent.token.get_secret_value())
        if token is not None:
            _check_token_taken(consent.kind, settings.source)
        if consent.kind == "conso-api" and missing and sys.stdin.isatty():
            token = click.prompt("Conso API token", hide_input=True)
        run_auth(settings, ctx.obj, _say, token=token, warn=_warn)
    except LinkyfluxError as exc:
        _fail(exc)


def _check_token_taken(kind: str, source: str) -> None:
    """`auth --token` to a gateway that takes none is a usage error, not a token ignored."""
    from linkyflux.sources.gateways import token_kinds

    kinds = token_kinds()
    if kind not in kinds:
        takers = " or ".join(f'"{k}"' for k in kinds)
        raise click.UsageError(
            f'--token is for consent.kind = {takers} only; consent.kind = "{kind}" takes none '
            f"({source}): run `linkyflux auth` without it"
        )


@cli.command(short_help="Fetch the last days of every consented meter.")
@click.option(
    "-d",
    "--days",
    type=click.IntRange(1, 1110),
    default=1,
    show_default=True,
    help="How many days to fetch, ending yesterday (Europe/Paris).",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success (for cron).")
@click.option(
    "--jitter",
    type=click.IntRange(0, 3600),
    default=0,
    metavar="SECONDS",
    help="Wait a random time up to SECONDS first, to spread cron runs.",
)
@click.pass_context
def fetch(ctx: click.Context, days: int, quiet: bool, jitter: int) -> None:
    """Fetch the last days of load curve, daily energy and max power of every consented
    meter, and every day missed since the last run (a failed cron run heals itself)."""
    from linkyflux.app.runs import run_fetch

    try:
        settings = _load_settings(ctx)
        if jitter:
            ctx.obj.clock.sleep(ctx.obj.rng.uniform(0, jitter))
        report, sink = run_fetch(settings, ctx.obj, days, _warn)
    except LinkyfluxError as exc:
        _fail(exc)
    _finish(report, sink, quiet)


@cli.command("import", short_help="Import the files downloaded from Enedis.")
@click.argument("paths", nargs=-1, required=True, metavar="FILE...")
@click.option(
    "--dry-run", is_flag=True, help="Read the files and print what they hold; write nothing."
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.pass_context
def import_(ctx: click.Context, paths: tuple[str, ...], dry_run: bool, quiet: bool) -> None:
    """Import files downloaded from Enedis, or folders of them, into the configured
    destination, as `fetch` would have written them: load curves (the R63 CSV of a "demande
    de données", the customer space's weekly XLSX and old Enedis_Conso_Heure CSV, Conso
    Downloader's CSV) and daily energies (the daily XLSX, the old Enedis_Conso_Jour CSV).
    A day a file covers whole is not asked from the API again. A bad file is reported and
    the others are still imported."""
    from linkyflux.app.imports import format_import, run_import

    bar = _file_progress if not quiet and _on_terminal() else None
    try:
        settings = _load_settings(ctx)
        report = run_import(settings, ctx.obj, paths, _warn, dry_run=dry_run, progress=bar)
    except LinkyfluxError as exc:
        _fail(exc)
    if not quiet or dry_run:
        # With `output = "-"` stdout carries line protocol: the summary goes to stderr.
        click.echo(format_import(report), err=report.destination == "stdout")
    _fail_on(report.errors)


def _on_terminal() -> bool:
    return sys.stderr.isatty()


@contextmanager
def _file_progress(path: Path, lines: int) -> Iterator[Callable[[int], None]]:
    """A file's progress, on stderr, in lines read."""
    with click.progressbar(length=lines, label=path.name, file=sys.stderr) as bar:
        yield bar.update


@cli.command(short_help="Fetch the history, up to what Enedis keeps.")
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="First day to fetch (YYYY-MM-DD). Default: as far back as Enedis allows.",
)
@click.option(
    "-d", "--days", type=click.IntRange(1, 1200), help="Or: how many days back from yesterday."
)
@click.option(
    "--reclassify",
    is_flag=True,
    help="Delete the load curve from --since (default: the first day tagged with another "
    "schedule than the configured one) and fetch it again with the configured schedule.",
)
@click.option(
    "--no-delete",
    is_flag=True,
    help="With --reclassify: do not delete first (you deleted those points yourself).",
)
@click.option(
    "--retry-unavailable",
    is_flag=True,
    help="Ask Enedis again for the days it had nothing for (given up as unavailable).",
)
@click.option(
    "--resend",
    is_flag=True,
    help="Send again the days already sent (the database was emptied or recreated; a new "
    "destination is noticed by itself).",
)
@click.option(
    "--recheck-directions",
    is_flag=True,
    help="Ask now for the directions Enedis said a meter does not measure (solar panels "
    "added); otherwise asked again a month after the refusal.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
@click.pass_context
def backfill(
    ctx: click.Context,
    since: datetime | None,
    days: int | None,
    reclassify: bool,
    no_delete: bool,
    retry_unavailable: bool,
    resend: bool,
    recheck_directions: bool,
    quiet: bool,
) -> None:
    """Fetch the history: the load curve up to 24 months and 15 days back, daily energy and
    max power up to 36 months and 15 days, never before the meter's activation. Days already
    complete are skipped, so an interrupted backfill resumes where it stopped.

    With --reclassify, rewrite the history with the off-peak schedule configured now: the
    tariff tag is part of a point's key, so the old points are deleted first (InfluxDB 1.x
    DELETE, the 2.x delete API)."""
    from linkyflux.app.runs import Forget, Reclassify, run_sync
    from linkyflux.sources.enedis import horizon
    from linkyflux.timeutil import paris_today

    if since is not None and days is not None:
        raise click.UsageError("give --since or --days, not both")
    if no_delete and not reclassify:
        raise click.UsageError("--no-delete goes with --reclassify")
    try:
        settings = _load_settings(ctx)
        today = paris_today(ctx.obj.clock)
        if since is not None:
            start = since.date()
        elif days is not None:
            start = today - timedelta(days=days)
        else:
            start = horizon(today, curve=False)
        if start >= today:
            raise click.BadParameter(f"{start} is not before today ({today})", param_hint="--since")
        given = None if since is None and days is None else start
        report, sink = run_sync(
            settings,
            ctx.obj,
            start,
            today,
            _warn,
            catch_up=False,
            progress=_progress_bar,
            reclassify=Reclassify(given, delete=not no_delete) if reclassify else None,
            forget=Forget(retry_unavailable, resend, recheck_directions),
        )
    except LinkyfluxError as exc:
        _fail(exc)
    _finish(report, sink, quiet)


def _progress_bar(total: int) -> Callable[[], None]:
    """One tick per API window, on a terminal only (cron mail stays clean)."""
    if not _on_terminal():
        return lambda: None
    bar = click.progressbar(length=total, label="Fetching", file=sys.stderr)
    done = 0

    def tick() -> None:
        nonlocal done
        done += 1
        bar.update(1)
        if done >= total:
            bar.render_finish()

    return tick


@cli.command(short_help="Show consent, sync state, spool and requests.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON, for scripts and monitoring.")
@click.pass_context
def status(ctx: click.Context, as_json: bool) -> None:
    """Show the consent, what is synced per usage point and series (last complete day,
    missing, partial and unavailable days), the spool, and recent requests to the gateway."""
    import json

    from linkyflux.app.status import collect, format_status

    try:
        settings = _load_settings(ctx)
        report = collect(settings, ctx.obj.clock)
    except LinkyfluxError as exc:
        _fail(exc)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _say(format_status(report))  # what state files say, printable


@cli.command(short_help="Try it all against the built-in simulator.")
@click.option(
    "-d",
    "--days",
    type=click.IntRange(1, 1095),
    default=7,
    show_default=True,
    help="How many days of simulated data to fetch (800 fill every dashboard panel, "
    "year-on-year comparisons included).",
)
@click.option(
    "--to-config",
    is_flag=True,
    help="Write to the InfluxDB (or output file) of the config file, to try the dashboards.",
)
@click.option(
    "--import",
    "with_import",
    is_flag=True,
    help="First import an R63 CSV of the days before (./linkyflux-demo-R63.csv), as a user "
    "without a gateway would.",
)
@click.pass_context
def demo(ctx: click.Context, days: int, to_config: bool, with_import: bool) -> None:
    """Run auth + fetch against the built-in simulator: no account, no server needed.

    Writes to ./linkyflux-demo.lp; with --to-config, to the InfluxDB or output file of the
    config file instead (the simulated meters then sit beside your own data: use a
    database or bucket of their own).
    """
    from linkyflux.app.demo import run_demo
    from linkyflux.app.report import format_report
    from linkyflux.errors import ConfigError
    from linkyflux.settings import config_path
    from linkyflux.timeutil import SystemClock

    try:
        path, _ = config_path(ctx.meta["config_file"])
        if to_config and not path.exists():
            raise ConfigError(f"--to-config: there is no config file at {path}")
        settings = _load_settings(ctx) if path.exists() else None
        # The real clock is replaced by a simulated one; a test's clock is kept.
        clock = None if isinstance(ctx.obj.clock, SystemClock) else ctx.obj.clock
        report, sink = run_demo(
            settings, days, _say, _warn, clock, to_config=to_config, with_import=with_import
        )
    except LinkyfluxError as exc:
        _fail(exc)
    click.echo(format_report(report, sink))
    _fail_on(report.errors)


def main() -> None:
    cli(prog_name="linkyflux")
