"""What enters the settings, and how its problems are told: the config file, read as UTF-8
TOML (a BOM allowed); the ``LINKYFLUX_*`` variables, checked before pydantic-settings reads
them; one line per problem naming the file or the variable that gave the bad value, the key,
and at most an excerpt of the value (never a secret, nor a URL's user and password).
"""

from __future__ import annotations

import codecs
import difflib
import json
import os
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from linkyflux.errors import ConfigError
from linkyflux.text import excerpt
from linkyflux.urls import public_url

ENV_PREFIX = "LINKYFLUX_"
SECRET_KEYS = ("token", "password", "secret")
# LINKYFLUX_* variables that linkyflux (or its tests) reads and that are no settings.
NOT_SETTINGS = frozenset({"CONFIG", "REQUIRE_SERVERS"})


def read_toml(path: Path) -> dict[str, Any]:
    try:
        raw = path.read_bytes().removeprefix(codecs.BOM_UTF8)  # as Notepad saves UTF-8
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(
            f"{path}: line {line}: byte 0x{raw[exc.start]:02x} is not UTF-8: save the file as UTF-8"
        ) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except ValueError:  # int() refuses more than 4300 digits
        raise ConfigError(f"{path}: not valid TOML: a number of more than 4300 digits") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None


# The variables pydantic-settings reads as JSON (and every section's), what their value is like.
JSON_VALUES = {
    "CONSENT__USAGE_POINTS": '["12345678901234"]',
    "TARIFF__SCHEDULE": '[{"from": "2026-11-01", "offpeak": "23h-7h"}]',
    "TARIFF__PRICE": '[{"from": "2026-02-01", "base": 0.194}]',
}


def check_environment(names: list[str], warn: Callable[[str], None]) -> None:
    """Before pydantic-settings reads the ``LINKYFLUX_*`` variables: JSON that does not parse
    is an error naming its variable (pydantic-settings' own names neither), and a variable
    that is no setting a warning naming it (never its value). ``names``: every setting's
    variable without the prefix (``CONSENT``, ``CONSENT__URL``…)."""
    for name, value in sorted(os.environ.items()):
        rest = name.upper().removeprefix(ENV_PREFIX)
        if rest == name.upper() or rest in NOT_SETTINGS:
            continue
        if rest.split("__")[0] not in names:
            squashed = [n for n in names if n.replace("_", "") == rest.replace("_", "")]
            near = squashed or difflib.get_close_matches(rest, names, 1, 0.8)
            warn(
                f"{excerpt(name, 80)} is not a setting: did you mean {ENV_PREFIX}{near[0]}?"
                if near
                else f"{excerpt(name, 80)} is not a setting (settings are "
                f"{ENV_PREFIX}<SECTION>__<KEY>, see config.example.toml): ignored"
            )
        elif rest in JSON_VALUES or "__" not in rest:
            try:
                json.loads(value)
            except ValueError as exc:
                what = "a JSON list" if rest in JSON_VALUES else "a JSON object of its keys"
                example = JSON_VALUES.get(rest, '{"timeout": 60}')
                raise ConfigError(
                    f"{name.upper()}: {rest.lower().replace('__', '.')}: not valid JSON "
                    f"({getattr(exc, 'msg', exc)}, column {getattr(exc, 'colno', '?')}): "
                    f"write {what}, such as {example}"
                ) from None


def problems(exc: ValidationError, path: Path) -> list[str]:
    """One line per problem: where the value came from, the key, what is wrong with it."""
    lines = []
    for error in exc.errors():
        loc, value = error["loc"], error["input"]
        key = ".".join(excerpt(str(part)) for part in loc)
        where_from = where(str(path), *(loc[:-1] if error["type"] == "missing" else loc))
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif (
            len(loc) > 1
            and not any(s in key for s in SECRET_KEYS)
            and not isinstance(value, list | dict)
        ):
            if key.endswith("url") and isinstance(value, str):
                value = public_url(value)
            shown = (
                f"'{excerpt(value)}'"
                if isinstance(value, str)
                else json.dumps(value)  # true, as TOML and JSON write it
                if isinstance(value, bool)
                else excerpt(str(value))
            )
            message = f"{message} (got {shown})"
        lines.append(f"{where_from}: {key}: {message}")
    return lines


def where(source: str, *loc: str | int) -> str:
    """Where a key's value came from: the variable that set it, else ``source``: its own
    (``LINKYFLUX_TARIFF__OFFPEAK``), one below it, or one above whose JSON holds it."""
    env = {n.upper(): v for n, v in os.environ.items() if n.upper().startswith(ENV_PREFIX)}
    exact = ENV_PREFIX + "__".join(map(str, loc)).upper()
    below = sorted(n for n in env if n == exact or n.startswith(exact + "__"))
    if below:
        return below[0]
    for depth in range(len(loc) - 1, 0, -1):
        name = ENV_PREFIX + "__".join(map(str, loc[:depth])).upper()
        if name in env and _holds(env[name], loc[depth:]):
            return name
    return source


def _holds(text: str, loc: tuple[str | int, ...]) -> bool:
    """Whether the JSON ``text`` has a value at ``loc`` (text that is no JSON: maybe)."""
    try:
        value = json.loads(text)
    except ValueError:
        return True
    for part in loc:
        in_list = isinstance(value, list) and isinstance(part, int) and part < len(value)
        if not (in_list or (isinstance(value, dict) and part in value)):
            return False
        value = value[part]
    return True
