"""How the command line speaks: the group of commands, with the exit codes in its help, and
every usage error on one line, its reason first (``linkyflux: <reason>``), then where help is
(``Try 'linkyflux fetch --help'.``)."""

from __future__ import annotations

from typing import IO, Any

import click

from linkyflux.errors import EXIT_CODES
from linkyflux.text import printable

EXIT_CODES_HELP = "\n".join(f"  {code}  {meaning}" for code, meaning in EXIT_CODES.items())


class UsageLine(click.UsageError):
    """A usage error as linkyflux says it: ``linkyflux: <reason>``, then where help is."""

    def __init__(self, message: str, ctx: click.Context | None, command: str) -> None:
        super().__init__(message, ctx)
        self.command = command

    def show(self, file: IO[Any] | None = None) -> None:
        reason = printable(self.format_message().replace("\n", " "))
        click.echo(f"linkyflux: {reason}", err=True)
        click.echo(f"Try '{self.command} --help'.", err=True)


def _command_path(ctx: click.Context | None, name: str | None = None) -> str:
    """``linkyflux fetch``, whatever the program's name (``name``: a command of ``ctx``'s)."""
    names = [name] if name else []
    while ctx is not None and ctx.parent is not None:
        names.insert(0, ctx.info_name or "")
        ctx = ctx.parent
    return " ".join(["linkyflux", *names])


def _one_line(exc: click.UsageError, command: str) -> click.UsageError:
    """``exc`` on one line; ``command``: where it happened, when ``exc`` does not say."""
    if isinstance(exc, UsageLine | click.exceptions.NoArgsIsHelpError):
        return exc  # the bare `linkyflux` shows the help, as click does
    where = _command_path(exc.ctx) if exc.ctx is not None else command
    return UsageLine(exc.format_message(), exc.ctx, where)


class _Command(click.Command):
    """A command (the group too) whose usage errors are said on one line."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except click.UsageError as exc:
            command = _command_path(parent, info_name if parent else None)
            raise _one_line(exc, command) from None


class Group(_Command, click.Group):
    """The commands, the exit codes in its help, every usage error on one line."""

    command_class = _Command

    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        formatter.write_text("Exit codes:")
        formatter.write(EXIT_CODES_HELP + "\n")

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            raise _one_line(exc, _command_path(ctx)) from None
