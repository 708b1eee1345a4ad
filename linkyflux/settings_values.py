"""What a setting's value may be: finite numbers in range, printable text of a bounded
length, secrets, http(s) URLs with a host; each check's words are the message's."""

from __future__ import annotations

import math
from datetime import date
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BeforeValidator, SecretStr

MAX_SECONDS = 3600.0  # a timeout: more than 0, at most an hour
MAX_PER_KWH = 100.0  # euros per kWh: a price, from 0
MAX_PER_MONTH = 10_000.0  # euros per month: the subscription, from 0
MAX_TEXT = 1000  # characters of a URL, a name, an id, a path
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)  # of a dated schedule or price


def finite(value: object) -> float | None:
    """A number from the file or the environment (None: not one, or not finite)."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _seconds(value: object) -> float:
    number = finite(value)
    if number is None or not 0 < number <= MAX_SECONDS:
        raise ValueError(f"must be a number of seconds, more than 0 and at most {MAX_SECONDS:g}")
    return number


def _whole(value: object) -> object:
    if isinstance(value, bool):  # pydantic takes true for 1
        raise ValueError("must be a whole number, not true or false")
    return value


def _text(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must not contain invisible or control characters")
    if len(value) > MAX_TEXT:
        raise ValueError(f"at most {MAX_TEXT} characters")
    return value


def _secret(value: SecretStr) -> SecretStr:
    if not value.get_secret_value().isprintable():
        raise ValueError("must not contain invisible or control characters")
    return value


def _http_url(value: str) -> str:
    if not value:
        return value
    if any(char.isspace() for char in value):
        raise ValueError("must not contain spaces")
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        raise ValueError("is not a valid URL (expected e.g. https://host.example.org)") from None
    if parts.scheme not in ("http", "https"):
        raise ValueError("must start with http:// or https://")
    if not parts.hostname:
        raise ValueError("has no host (expected e.g. https://host.example.org)")
    return value.rstrip("/")


Seconds = Annotated[float, BeforeValidator(_seconds)]
Whole = Annotated[int, BeforeValidator(_whole)]
Text = Annotated[str, AfterValidator(_text)]
Secret = Annotated[SecretStr, AfterValidator(_secret)]
HttpUrl = Annotated[str, AfterValidator(_text), AfterValidator(_http_url)]
