"""What a message may quote of a value, and what becomes of any line the CLI prints.

A bad value is quoted as an excerpt (its first characters, invisible and control characters
escaped: ``\\x00``, ``\\u200b``), never whole: it may be a token. Every error or warning line
then goes through :func:`printable`: no URL's user and password, nothing unprintable, a long
value shortened with "…", at most :data:`LONGEST_LINE` characters.
"""

from __future__ import annotations

import re
from typing import Final

from linkyflux.urls import scrub_urls

EXCERPT: Final = 40  # characters of a bad value a message quotes
LONGEST_LINE: Final = 500
# A run of this many characters without a space is a value, not words: shortened (a path, a
# URL or a line of line protocol only past _LONG_PATH).
_LONG_RUN, _LONG_PATH, _KEPT_RUN, _KEPT_PATH = 60, 240, 40, 200
_RUN = re.compile(rf"\S{{{_LONG_RUN + 1},}}")
_CLOSING = re.compile(r"[\"')\],;:.]*$")  # kept after a shortened run: its closing quote


def escaped(text: str) -> str:
    """``text`` with every invisible or control character escaped, never printed raw."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def excerpt(text: str, limit: int = EXCERPT) -> str:
    """``text`` as a message quotes it: its first ``limit`` characters, then "…", escaped."""
    return escaped(text[:limit]) + ("…" if len(text) > limit else "")


def quoted(value: object) -> str:
    """Any value as a message quotes it: a string's excerpt in quotes, else its repr's."""
    if isinstance(value, str):
        return repr(value[:EXCERPT] + ("…" if len(value) > EXCERPT else ""))
    return excerpt(repr(value))


def printable(line: str) -> str:
    """One line as the CLI may print it, whatever the values it quotes (see the module)."""
    line = _RUN.sub(_shorten, escaped(scrub_urls(line)))
    return line if len(line) <= LONGEST_LINE else line[: LONGEST_LINE - 1] + "…"


def _shorten(match: re.Match[str]) -> str:
    run = match.group()
    structured = "/" in run or "=" in run
    if len(run) <= (_LONG_PATH if structured else _LONG_RUN):
        return run
    closing = _CLOSING.search(run[-4:])
    tail = closing.group() if closing else ""
    return run[: _KEPT_PATH if structured else _KEPT_RUN] + "…" + tail
