"""Enedis metering answers: their errors, their readings, their date ranges.

The request and body shapes of each API dialect live in :mod:`linkyflux.dialects`, the
client in :mod:`linkyflux.metering`. Everything leaves as typed readings in UTC
(:mod:`linkyflux.models`) or as an error the pipeline knows how to act on:

    NoData            404 no_data_found: nothing published for the range (or no hourly collection)
    WrongDirection    ADAM-ERR0069: the meter does not measure that direction
    BeforeActivation  ADAM-ERR0123: the range starts before the meter's last activation
    BeyondHorizon     ADAM-DC-0016 / ADAM-ERR0125: the range starts before the history horizon
    BeyondToday       400 "the end date must be earlier than the current date" (Enedis' day)
    ConsentRevoked    ADAM-DC-0007/0008/0009, unauthorized_user (an AuthError, per usage point)

Load-curve timestamps are the END of their interval, in naive Europe/Paris time; a point's
start is its end minus its own ``interval_length``. Points are walked in order: when a local
label does not move forward (the repeated 02:00 and 02:30 of October), it is the second
occurrence, ``fold=1``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from dateutil.relativedelta import relativedelta

from linkyflux.errors import AuthError, DataError, LinkyfluxError
from linkyflux.models import CurveReading, DailyReading, Direction, MaxPowerReading
from linkyflux.timeutil import PARIS

CURVE_WINDOW_DAYS = 7
DAILY_WINDOW_DAYS = 365
CURVE_HORIZON = relativedelta(months=24, days=15)
DAILY_HORIZON = relativedelta(months=36, days=15)

_DURATION = re.compile(r"PT(\d+)([MH])")
_LABEL = "%Y-%m-%d %H:%M:%S"
_THRESHOLD = re.compile(r"(-?\d+):(-?\d+):(-?\d+)")
CONSENT_CODES = (
    "ADAM-DC-0007",
    "ADAM-DC-0008",
    "ADAM_DC_0008",
    "ADAM-DC-0009",
    "unauthorized_user",
)


class NoData(LinkyfluxError):
    exit_code = 0


class WrongDirection(LinkyfluxError):
    exit_code = 0


class BeforeActivation(LinkyfluxError):
    exit_code = 0


class BeyondHorizon(LinkyfluxError):
    exit_code = 0


class BeyondToday(LinkyfluxError):
    exit_code = 0


class ConsentRevoked(AuthError):
    pass


@dataclass(frozen=True)
class Request:
    path: str
    usage_point_id: str
    start: date | None = None
    end: date | None = None

    def __str__(self) -> str:
        if self.start is None:
            return f"{self.path} for {self.usage_point_id}"
        return f"{self.path} for {self.usage_point_id} [{self.start}, {self.end})"


def error_of(response: httpx.Response) -> tuple[str, str]:
    """(code, description) of an error answer, whatever shape the gateway used."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        if isinstance(body.get("fault"), dict):  # WSO2 gateway throttling
            fault = body["fault"]
            return str(fault.get("code", "")), str(fault.get("description") or fault.get("message"))
        if "error" in body:
            return str(body["error"]), str(body.get("error_description") or "")
        if "code" in body:  # the 2026 APIs
            return str(body["code"]), str(body.get("message") or "")
    match = re.search(r'error="([^"]+)"', response.headers.get("WWW-Authenticate", ""))
    if match:
        return match.group(1), ""
    text = re.sub(r"<[^>]*>", " ", response.text)  # an HTML error page: its words only
    return "", " ".join(text.split())[:120]


def retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait from ``Retry-After`` or Enedis' ``Call threshold allowed on H:MM:SS``."""
    header = response.headers.get("Retry-After", "")
    if header.isdigit():
        return float(header)
    match = _THRESHOLD.search(error_of(response)[1])
    if match:
        h, m, s = (abs(int(g)) for g in match.groups())
        return float(h * 3600 + m * 60 + s)
    return None


# --------------------------------------------------------------------------- parsing
def v5_items(body: dict[str, Any], req: Request) -> list[dict[str, Any]]:
    """The readings of a v5 answer: ``meter_reading.interval_reading``."""
    reading = body.get("meter_reading")
    if not isinstance(reading, dict):
        raise DataError(f"{req}: no meter_reading in the answer")
    echoed = reading.get("usage_point_id")
    if echoed is not None and str(echoed) != req.usage_point_id:
        raise DataError(f"{req}: the answer is for usage point {echoed}")
    items = reading.get("interval_reading", [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise DataError(f"{req}: interval_reading is not a list of objects")
    return items


def _number(item: dict[str, Any], req: Request, index: int) -> float:
    try:
        value = float(item["value"])
    except (KeyError, TypeError, ValueError):
        raise DataError(
            f"{req}: interval_reading[{index}].value is not a number: {item.get('value')!r}"
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise DataError(f"{req}: interval_reading[{index}].value is not finite")
    return value


def minutes_of(interval_length: str) -> int:
    """``PT30M`` -> 30, ``PT1H`` -> 60; any other shape is a ValueError."""
    match = _DURATION.fullmatch(interval_length)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"bad interval_length {interval_length!r}")
    amount = int(match.group(1))
    return amount * 60 if match.group(2) == "H" else amount


def naive_label(text: str) -> datetime:
    """A ``YYYY-MM-DD HH:MM:SS`` label as a naive datetime; any other text is a ValueError.

    What ``strptime`` with that format accepts (one-digit fields too), with
    ``fromisoformat``, some 40 times faster, for the zero-padded labels the APIs send: a
    load-curve week has hundreds of them. The shape test keeps ``fromisoformat``'s other
    forms (``T``, offsets, fractions, week dates) out.
    """
    if len(text) == 19 and text[4] + text[7] + text[10] + text[13] + text[16] == "-- ::":
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass  # strptime decides, and says why
    return datetime.strptime(text, _LABEL)


def local_to_utc(naive: datetime, after: datetime | None = None) -> datetime:
    """A naive Europe/Paris wall-clock time as a UTC instant, later than ``after`` if it can
    be (see :func:`local_to_epoch`)."""
    epoch = local_to_epoch(naive, None if after is None else int(after.timestamp()))
    return datetime.fromtimestamp(epoch, UTC)


def local_to_epoch(naive: datetime, after: int | None = None) -> int:
    """A naive Europe/Paris wall-clock time (whole seconds) as seconds since the Unix epoch,
    later than ``after`` if it can be.

    The first occurrence of an ambiguous October time is ``fold=0`` (CEST); when that would
    not move forward from the previous point, the second one (``fold=1``, CET) is meant.
    """
    first = int(naive.replace(tzinfo=PARIS, fold=0).timestamp())
    if after is not None and first <= after:
        second = int(naive.replace(tzinfo=PARIS, fold=1).timestamp())
        if second > after:
            return second
    return first


# Items are ``{"value", "date", "interval_length"}`` dicts, whatever the dialect.
def curve_readings(
    items: list[dict[str, Any]], req: Request, direction: Direction, *, starts: bool = False
) -> list[CurveReading]:
    """Curve items in order; their ``date`` is the interval's end (Enedis), or, with
    ``starts``, that end moved back by the interval on the naive local label (what
    MyElectricalData does): the end is rebuilt the same naive way, never shifted twice."""
    out: list[CurveReading] = []
    previous: int | None = None  # the previous interval's end (epoch seconds)
    for index, item in enumerate(items):
        value = _number(item, req, index)
        try:
            label = naive_label(str(item["date"]))
            minutes = minutes_of(str(item.get("interval_length") or "PT30M"))
        except (KeyError, ValueError) as exc:
            raise DataError(
                f"{req}: interval_reading[{index}]: bad date or length ({exc})"
            ) from None
        if starts:
            label += timedelta(minutes=minutes)
        end = local_to_epoch(label, previous)
        if previous is not None and end <= previous:
            if end == previous:
                continue  # an exact repeat of the previous point: nothing new
            raise DataError(f"{req}: interval_reading[{index}] goes back in time ({item['date']})")
        previous = end
        out.append(CurveReading(req.usage_point_id, direction, end - minutes * 60, minutes, value))
    return out


def daily_readings(
    items: list[dict[str, Any]], req: Request, direction: Direction
) -> list[DailyReading]:
    out = []
    for index, item in enumerate(items):
        value = _number(item, req, index)
        try:
            day = date.fromisoformat(str(item["date"])[:10])
        except (KeyError, ValueError):
            raise DataError(
                f"{req}: interval_reading[{index}].date is not a date: {item.get('date')!r}"
            ) from None
        out.append(DailyReading(req.usage_point_id, direction, day, value))
    return out


def max_power_readings(items: list[dict[str, Any]], req: Request) -> list[MaxPowerReading]:
    out = []
    for index, item in enumerate(items):
        value = _number(item, req, index)
        raw = str(item.get("date", ""))
        try:
            day = date.fromisoformat(raw[:10])
            at = local_to_utc(naive_label(raw)) if len(raw) > 10 else None
        except ValueError:
            raise DataError(
                f"{req}: interval_reading[{index}].date is not a date: {raw!r}"
            ) from None
        out.append(MaxPowerReading(req.usage_point_id, day, value, at))
    return out


# --------------------------------------------------------------------------- ranges
def horizon(today: date, curve: bool) -> date:
    """The oldest ``start`` Enedis accepts today (J-24 months+15 days, or J-36 months+15 days)."""
    oldest: date = today - (CURVE_HORIZON if curve else DAILY_HORIZON)
    return oldest
