"""The one-line promise for bad input (issue #17), checked the same way by every table of
bad inputs: the exact exit code, one line per problem naming what is wrong, no traceback, no
secret, nothing unprintable, nothing endless.

A table is a list of rows run through the CLI with :func:`invoke`, each checked with
:func:`assert_one_line`; :func:`clean_env` keeps the machine's own ``LINKYFLUX_*`` variables
and config file out of the way.
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.errors import EXIT_CODES
from linkyflux.timeutil import PARIS, FakeClock

LONGEST_LINE = 500  # characters: a message quotes what is wrong, never a whole token
UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060\ufeff]")


def clean_env(monkeypatch: pytest.MonkeyPatch, home: Path, env: Mapping[str, str] = {}) -> None:
    """No ``LINKYFLUX_*`` variable but ``env``'s, no config file but the one a test names."""
    import os

    for name in list(os.environ):
        if name.startswith("LINKYFLUX_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "xdg"))
    monkeypatch.setenv("HOME", str(home))
    for name, value in env.items():
        monkeypatch.setenv(name, value)


def invoke(
    argv: Iterable[str], config: Path | None = None, clock: FakeClock | None = None
) -> Result:
    """``linkyflux [--config CONFIG] ARGV`` on a fake clock (its sleeps take no time); an
    exception that escapes the CLI is kept in the result, for :func:`assert_one_line`."""
    args = ["--config", str(config), *argv] if config is not None else list(argv)
    runtime = Runtime(clock=clock or FakeClock(datetime(2026, 11, 22, 9, tzinfo=PARIS)))
    return CliRunner().invoke(cli, args, obj=runtime, catch_exceptions=True)


def assert_one_line(
    result: Result,
    exit_code: int,
    says: str | re.Pattern[str],
    *,
    secrets: Iterable[str] = (),
    lines: int = 1,
) -> str:
    """The run ended with ``exit_code`` and ``lines`` error lines (``linkyflux: …``, warnings
    apart), the first saying ``says`` (a substring, or a pattern searched for); no
    traceback, no secret, nothing unprintable, no line longer than :data:`LONGEST_LINE`.
    Returns the first error line."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        trace = "".join(traceback.format_exception(result.exception))
        pytest.fail(f"a traceback where one line was due:\n{result.output}\n{trace}")
    output = result.output
    assert exit_code in EXIT_CODES, f"exit code {exit_code} is not in README's table"
    assert "Traceback" not in output, output
    assert result.exit_code == exit_code, f"exit {result.exit_code}, not {exit_code}:\n{output}"
    errors = [
        line
        for line in result.stderr.splitlines()
        if line.startswith("linkyflux: ") and not line.startswith("linkyflux: warning: ")
    ]
    assert len(errors) == lines, f"{len(errors)} error lines, not {lines}:\n{result.stderr}"
    first = errors[0] if errors else ""
    found = says.search(first) if isinstance(says, re.Pattern) else says in first
    assert found, f"{says!r} not in {first!r}"
    for secret in secrets:
        assert secret not in output, f"the secret {secret[:12]}… is printed:\n{output}"
    for line in output.splitlines():
        assert len(line) <= LONGEST_LINE, f"a line of {len(line)} characters: {line[:80]}…"
        assert not UNPRINTABLE.search(line), f"an unprintable character in {line!r}"
    return first
