"""Enedis metering answers: their errors, their readings, their date ranges.

The request and body shapes of each API dialect live in :mod:`linkyflux.sources.dialects`, the
client in :mod:`linkyflux.sources.metering`. Everything leaves as typed readings in UTC
(:mod:`linkyflux.models`) or as an error the pipeline knows how to act on:

    NoData            404 no_data_found: nothing published for the range (or no hourly collection)
    WrongDirection    ADAM-ERR0069: the meter does not measure that direction
    BeforeActivation  ADAM-ERR0123: the range starts before the meter's last activation
    BeyondHorizon     ADAM-DC-0016 / ADAM-ERR0125: the range starts before the history horizon
    BeyondToday       400 "the end date must be earlier than the current date" (Enedis' day)
    ConsentRevoked    ADAM-DC-0007/0008/0009, unauthorized_user (an AuthError, per usage point)

Load-curve timestamps are the END of their interval, in naive Europe/Paris time; a point's
start is its end minus its own ``interval_length`` (PT30M when it has none). The points of
the hour Paris lives twice (02:00 to 02:59 on the October day) are placed by the instants
around them, not by counting repeats: a label that goes back starts the second pass, and a
single pass is the one that chains with its neighbours (see :func:`_folds`).

Every field is checked as it is read: a value is a number or a numeric string, a date a date;
anything else is a DataError naming the request (path, usage point, range) and the field as
the answer names it (``interval_reading[3].value``, ``grandeur[0].points[3].v``).
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
    via: str = ""  # the gateway asked (its name), for messages

    def __str__(self) -> str:
        where = f"{self.via}: " if self.via else ""
        if self.start is None:
            return f"{where}{self.path} for {self.usage_point_id}"
        return f"{where}{self.path} for {self.usage_point_id} [{self.start}, {self.end})"


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


def field_name(items: list[dict[str, Any]], index: int, name: str = "") -> str:
    """Where item ``index``'s field ``name`` (``value``, ``date``, ``interval_length``) was in
    the answer, as the answer names it: ``interval_reading[3].value``, or what the list
    of items says (``items.field_name``: the 2026 ``grandeur[0].points[3].v``)."""
    namer = getattr(items, "field_name", None)
    if namer is not None:
        where: str = namer(index, name)
        return where
    return f"interval_reading[{index}].{name}" if name else f"interval_reading[{index}]"


def _bad(
    req: Request, items: list[dict[str, Any]], index: int, name: str, problem: str
) -> DataError:
    return DataError(f"{req}: {field_name(items, index, name)} {problem}")


def _number(
    item: dict[str, Any], req: Request, index: int, items: list[dict[str, Any]] | None = None
) -> float:
    """A value sent as a number or as a string (``752``, ``"752"``, ``"752.0"``), finite."""
    raw: Any = item.get("value")
    kind = type(raw)
    value: float | None = None
    if kind is str:
        if "_" not in raw:  # float() would take "1_000": not a number any API writes
            try:
                value = float(raw)
            except ValueError:
                value = None
    elif kind is float or kind is int:  # (not a bool, whose type is bool)
        value = float(raw)
    if value is None or value - value != 0.0:  # (inf - inf and nan - nan are nan)
        where = items if items is not None else []
        if "value" not in item:
            problem = "is missing"
        elif value is None:
            problem = f"is not a number: {raw!r}"
        else:
            problem = f"is not finite: {raw!r}"
        raise _bad(req, where, index, "value", problem)
    return value


def minutes_of(interval_length: str) -> int:
    """``PT30M`` -> 30, ``PT1H`` -> 60; any other shape is a ValueError."""
    match = _DURATION.fullmatch(interval_length)
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"bad interval_length {interval_length!r}")
    amount = int(match.group(1))
    return amount * 60 if match.group(2) == "H" else amount


_STEPS: dict[str, int] = {}  # interval_length -> minutes, as read (a handful of them)


def _minutes(item: dict[str, Any], req: Request, index: int, items: list[dict[str, Any]]) -> int:
    """A point's step in minutes (PT30M when it gives none)."""
    raw = item.get("interval_length")
    if raw is None:
        return 30
    minutes = _STEPS.get(raw) if type(raw) is str else None
    if minutes is None:
        try:
            minutes = minutes_of(raw) if type(raw) is str else None
        except ValueError:
            minutes = None
        if minutes is None:
            raise _bad(req, items, index, "interval_length", f"is not a step like 'PT30M': {raw!r}")
        _STEPS[raw] = minutes
    return minutes


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


@dataclass(frozen=True, slots=True)
class _Repeated:
    """A point whose end label names a wall-clock time Paris lives twice (the 02:00 hour of
    the October day): both instants it can be, until its neighbours say which."""

    index: int
    label: datetime
    first: int  # fold=0 (CEST), epoch seconds
    second: int  # fold=1 (CET)
    minutes: int
    value: float


def _folds(
    run: list[_Repeated], previous: int | None, following: tuple[int, int] | None
) -> list[int]:
    """The ends of a run of points in the repeated hour, decided by the instants around it
    (``previous``: the end before the run; ``following``: the start and end of the point
    after it).

    A label that does not move forward starts the second pass: what comes before it is the
    first one (CEST), the rest the second (CET). A run that never goes back is one pass,
    which one the steps say: the pass whose first start meets the previous end and whose
    last end meets the next start (each point's interval is its own ``interval_length``
    back from its end). When the run meets the point before as the first pass and the
    point after as the second (a whole pass missing: the labels alone cannot tell), the
    point after decides: the run is the pass that leads into it, the second, which is what
    a store keyed by the local label keeps when the second pass overwrites the first."""
    labels = [p.label for p in run]
    for k in range(1, len(run)):
        if labels[k] <= labels[k - 1]:
            return [p.first for p in run[:k]] + [p.second for p in run[k:]]
    best: tuple[int, int, int] | None = None  # (meets both sides, meets the next, fold)
    for fold in (0, 1):
        ends = [p.second if fold else p.first for p in run]
        start = ends[0] - run[0].minutes * 60
        if previous is not None and ends[0] <= previous:
            continue  # goes back in time
        if following is not None and ends[-1] > following[0]:
            continue  # runs over the next point
        after = following is not None and ends[-1] == following[0]
        meets = (previous is not None and start == previous) + after
        if best is None or (meets, after) > best[:2]:
            best = (meets, after, fold)
    fold = 0 if best is None else best[2]  # (neither fits: the order check will say so)
    return [p.second if fold else p.first for p in run]


# Items are ``{"value", "date", "interval_length"}`` dicts, whatever the dialect.
def curve_readings(
    items: list[dict[str, Any]], req: Request, direction: Direction, *, starts: bool = False
) -> list[CurveReading]:
    """Curve items in order; their ``date`` is the interval's end (Enedis), or, with
    ``starts``, that end moved back by the interval on the naive local label (what
    MyElectricalData does, to the points that carry their step only): the end is rebuilt
    the same naive way, never shifted twice.

    A point without ``interval_length`` is PT30M. The points of the repeated October hour
    are placed by the instants around them (see :func:`_folds`)."""
    out: list[CurveReading] = []
    usage_point_id = req.usage_point_id
    previous: int | None = None  # the previous interval's end (epoch seconds)
    repeated: list[_Repeated] = []  # points of the repeated hour, until the next point

    def place(index: int, end: int, minutes: int, value: float) -> None:
        nonlocal previous
        if previous is not None and end <= previous:
            if end == previous:
                return  # an exact repeat of the previous point: nothing new
            raw = items[index].get("date")
            raise DataError(f"{req}: {field_name(items, index)} goes back in time ({raw})")
        previous = end
        out.append(CurveReading(usage_point_id, direction, end - minutes * 60, minutes, value))

    def settle(following: tuple[int, int] | None) -> None:
        for point, end in zip(repeated, _folds(repeated, previous, following), strict=True):
            place(point.index, end, point.minutes, point.value)
        repeated.clear()

    for index, item in enumerate(items):
        value = _number(item, req, index, items)
        minutes = _minutes(item, req, index, items)
        raw: Any = item.get("date")
        try:
            label = naive_label(raw)  # (not a string: a TypeError)
        except (TypeError, ValueError):
            problem = (
                "is missing"
                if "date" not in item
                else f"is not a local date and time like '2023-04-01 00:30:00': {raw!r}"
            )
            raise _bad(req, items, index, "date", problem) from None
        if starts and item.get("interval_length") is not None:
            label += timedelta(minutes=minutes)
        end = int(label.replace(tzinfo=PARIS).timestamp())
        # Paris' clocks go back from 03:00 to 02:00 (in October; September before 1996)
        if label.hour == 2 and 9 <= label.month <= 10:
            second = int(label.replace(tzinfo=PARIS, fold=1).timestamp())
            if second != end:
                repeated.append(_Repeated(index, label, end, second, minutes, value))
                continue
        if repeated:
            settle((end - minutes * 60, end))
        place(index, end, minutes, value)
    if repeated:
        settle(None)
    return out


def _day_and_instant(raw: Any) -> tuple[date, datetime | None]:
    """A day (``2023-04-01``), or an instant on it in local time or with an offset
    (``2023-04-01 12:06:20``, ``2023-04-01T12:06:20+02:00``): the Paris day, and the
    instant in UTC (None for a bare day). Any other shape is a ValueError."""
    if type(raw) is str and len(raw) == 10 and raw[4] == raw[7] == "-":  # the usual day
        return date.fromisoformat(raw), None
    match = _DAY_OR_INSTANT.fullmatch(raw) if type(raw) is str else None
    if match is None:
        raise ValueError(raw)
    if match.group(2) is None:
        return date.fromisoformat(raw), None
    at = datetime.fromisoformat(raw)
    if at.tzinfo is None:
        return at.date(), local_to_utc(at.replace(microsecond=0))
    at = at.astimezone(UTC)
    return at.astimezone(PARIS).date(), at


_DAY_OR_INSTANT = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)(?:Z|[+-]\d{2}:\d{2})?)?"
)


def daily_readings(
    items: list[dict[str, Any]], req: Request, direction: Direction
) -> list[DailyReading]:
    out = []
    for index, item in enumerate(items):
        value = _number(item, req, index, items)
        raw = item.get("date")
        try:
            day = _day_and_instant(raw)[0]
        except ValueError:
            raise _bad(req, items, index, "date", f"is not a date: {raw!r}") from None
        out.append(DailyReading(req.usage_point_id, direction, day, value))
    return out


def max_power_readings(items: list[dict[str, Any]], req: Request) -> list[MaxPowerReading]:
    """Each day's peak and the instant it was reached: ``2023-04-01 12:06:20`` (local, as
    real answers give it) or ``2023-04-01T12:06:20+02:00`` (as documented)."""
    out = []
    for index, item in enumerate(items):
        value = _number(item, req, index, items)
        raw = item.get("date")
        try:
            day, at = _day_and_instant(raw)
        except ValueError:
            raise _bad(req, items, index, "date", f"is not a date: {raw!r}") from None
        out.append(MaxPowerReading(req.usage_point_id, day, value, at))
    return out


# --------------------------------------------------------------------------- ranges
def horizon(today: date, curve: bool) -> date:
    """The oldest ``start`` Enedis accepts today (J-24 months+15 days, or J-36 months+15 days)."""
    oldest: date = today - (CURVE_HORIZON if curve else DAILY_HORIZON)
    return oldest
