"""What linkyflux remembers between runs (``<state>/state.json``, written atomically).

Per usage point: which directions the meter measures (a wrong-direction answer, ADAM-ERR0069,
is never asked again), its activation date once Enedis revealed it (ADAM-ERR0123), and per
series (``consumption/curve``, ``consumption/daily``, ``consumption/max_power``,
``production/curve``, ``production/daily``) the status of every day it has seen:

    complete      every interval (or the daily value) is in the sink
    partial       some intervals are missing, and Enedis had not filled them in after 2 days
    unavailable   Enedis still had nothing 3 days after the day ended: given up
    stale         in the sink, but to be fetched again (a daily point written before its
                  day's load curve was complete, so without the curve's cost)
    missing       (no entry) not fetched yet, or not published yet: fetched again

A day is given up (unavailable) only on Enedis' word given twice: an answer with data for
other days but none for it, or "no data" for the whole window on two different days. The
first such "no data" is kept (``empty_on``: the day it was said) and the day stays missing.
``asked_from`` is the first day a `fetch` ever asked for: days since then that are not in the
sink are caught up, even when the run that asked was killed before recording anything.

Days are stored as runs ``[first, last, status]`` so years of history stay small. The file
is read back through its schema (:mod:`linkyflux.fsutil`): a value of the wrong type, out of
range or unknown is one line naming the field; a file of a newer version is refused.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from linkyflux.fsutil import BadField, Field, read_document, schema_of, write_private
from linkyflux.models import Contract
from linkyflux.sources.dialects import DIALECTS
from linkyflux.tariffs.classifier import DaySchedule

STATE_FILE = "state.json"
VERSION = 2  # 1 (or none) and 2 are read
WHAT_TO_DO = "move it away to start afresh (what it recorded is fetched again)"

Status = Literal["complete", "partial", "unavailable", "stale", "missing"]
STORED: tuple[Status, ...] = ("complete", "partial", "unavailable", "stale")
SERIES_KEYS = (
    "consumption/curve",
    "consumption/daily",
    "consumption/max_power",
    "production/curve",
    "production/daily",
)


@dataclass
class SeriesState:
    days: dict[date, Status] = field(default_factory=dict)
    # Enedis has sent data for this series at least once (so a gap is news, not a habit).
    seen: bool = False
    # missing day -> the (Paris) day Enedis first said it had nothing for it
    empty_on: dict[date, date] = field(default_factory=dict)
    asked_from: date | None = None

    def status(self, day: date) -> Status:
        return self.days.get(day, "missing")

    def mark(self, day: date, status: Status) -> None:
        self.empty_on.pop(day, None)
        if status == "missing":
            self.days.pop(day, None)
        else:
            self.days[day] = status
            if status in ("complete", "partial"):
                self.seen = True

    def said_empty(self, day: date, today: date) -> bool:
        """Enedis says it has nothing for ``day`` (a missing day): True when it said so on
        an earlier day already (then give up), else remember it and False."""
        first = self.empty_on.setdefault(day, today)
        return first < today

    def ask(self, first: date) -> None:
        """A fetch is about to ask for the days from ``first``."""
        if self.asked_from is None or first < self.asked_from:
            self.asked_from = first

    def first_day(self) -> date | None:
        known = [d for d in (min(self.days, default=None), self.asked_from) if d is not None]
        if self.empty_on:
            known.append(min(self.empty_on))
        return min(known) if known else None

    def last_complete(self) -> date | None:
        done = [d for d, s in self.days.items() if s == "complete"]
        return max(done) if done else None

    def missing_between(self, start: date, end: date) -> list[date]:
        return [d for d in _days(start, end) if d not in self.days]

    def to_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {"seen": self.seen, "days": _runs(self.days)}
        if self.empty_on:
            raw["empty_on"] = _runs({d: on.isoformat() for d, on in self.empty_on.items()})
        if self.asked_from is not None:
            raw["asked_from"] = self.asked_from.isoformat()
        return raw

    @classmethod
    def from_json(cls, raw: Field) -> SeriesState:
        days: dict[date, Status] = {}
        for day, status in _unrun(raw.entries("days")).items():
            if status.value not in STORED:
                raise status.bad(f"not a day status ({', '.join(STORED)})")
            days[day] = status.value
        asked = raw.get("asked_from")
        seen = raw.get("seen")
        return cls(
            days=days,
            seen=seen.flag() if seen else False,
            empty_on={d: on.day() for d, on in _unrun(raw.entries("empty_on")).items()},
            asked_from=asked.day() if asked else None,
        )


@dataclass(slots=True)
class CurveTotals:
    """A day's complete load curve summed up: energy per tariff (Wh), and its cost (None
    when some interval had no price)."""

    energy_wh: dict[str, float] = field(default_factory=dict)
    cost_eur: float | None = 0.0
    # Tempo: the cost per colour and tariff ("blue_hc"…), of the intervals that had a price
    colour_cost_eur: dict[str, float] = field(default_factory=dict)

    def add(
        self, tariff: str, energy_wh: float, cost_eur: float | None, colour: str | None = None
    ) -> None:
        """Add an interval; on Tempo, its energy counts for its colour too (``blue_hc``…)."""
        self.energy_wh[tariff] = self.energy_wh.get(tariff, 0.0) + energy_wh
        if colour is not None:
            key = f"{colour.lower()}_{tariff.lower()}"
            self.energy_wh[key] = self.energy_wh.get(key, 0.0) + energy_wh
            if cost_eur is not None:
                self.colour_cost_eur[key] = self.colour_cost_eur.get(key, 0.0) + cost_eur
        self.cost_eur = (
            None if cost_eur is None or self.cost_eur is None else self.cost_eur + cost_eur
        )

    def to_json(self) -> dict[str, Any]:
        raw: dict[str, Any] = {
            "energy_wh": dict(sorted(self.energy_wh.items())),
            "cost_eur": self.cost_eur,
        }
        if self.colour_cost_eur:
            raw["colour_cost_eur"] = dict(sorted(self.colour_cost_eur.items()))
        return raw

    @classmethod
    def from_json(cls, raw: Field) -> CurveTotals:
        cost = raw.get("cost_eur")
        raw["energy_wh"].mapping()
        energy = {k: v.number() for k, v in raw.items("energy_wh")}
        colours = {k: v.number() for k, v in raw.items("colour_cost_eur")}
        return cls(energy, None if cost is None else cost.number(), colours)


@dataclass
class UsagePointState:
    # direction -> does the meter measure it (absent: not known yet)
    directions: dict[str, bool] = field(default_factory=dict)
    # direction -> the day Enedis last said the meter does not measure it
    direction_checked: dict[str, date] = field(default_factory=dict)
    activation: date | None = None
    series: dict[str, SeriesState] = field(default_factory=dict)
    # the usage point's contract, and the day it was read (None: the gateway has none)
    contract: Contract | None = None
    contract_read: date | None = None
    # per day, the schedule its load curve was tagged with (see Classifier.schedule_on): a
    # day written once keeps its tags, so a changed schedule never writes a second point
    day_schedules: dict[date, DaySchedule] = field(default_factory=dict)
    # direction -> day -> the totals of its complete load curve (what its daily point
    # carries, even when a later run re-reads the daily energy without the curve)
    curve_totals: dict[str, dict[date, CurveTotals]] = field(default_factory=dict)
    # Tempo: the days whose load curve was written without its colour (not known yet), to be
    # fetched again once it is (see linkyflux.sync.totals)
    uncoloured: set[date] = field(default_factory=set)
    # `backfill --reclassify`: the load curve from this day on is to be deleted from the sink
    # (then those days are fetched again); kept until the sink has done it
    delete_from: date | None = None

    def of(self, key: str) -> SeriesState:
        return self.series.setdefault(key, SeriesState())

    def unsend(self) -> date | None:
        """Forget what the sink holds (it is a new one, or was emptied): the written days are
        missing again, to be fetched from the first one (returned), with the schedule
        configured now (nothing in the sink keeps the old tags)."""
        firsts = []
        for series in self.series.values():
            sent = [d for d, status in series.days.items() if status != "unavailable"]
            for day in sent:
                series.mark(day, "missing")
            if sent:
                series.ask(min(sent))
                firsts.append(min(sent))
        self.day_schedules.clear()
        self.curve_totals.clear()
        self.uncoloured.clear()
        self.delete_from = None
        return min(firsts, default=None)

    def recheck_directions(self) -> None:
        """Ask again, on the next call, for the directions Enedis said the meter does not
        measure."""
        for direction in [d for d, measured in self.directions.items() if not measured]:
            del self.directions[direction]
        self.direction_checked.clear()

    def retry_unavailable(self) -> None:
        """Ask Enedis again for the days it had nothing for (they are missing again)."""
        for series in self.series.values():
            for day in [d for d, status in series.days.items() if status == "unavailable"]:
                series.mark(day, "missing")
                series.ask(day)

    def to_json(self) -> dict[str, Any]:
        return {
            "directions": dict(sorted(self.directions.items())),
            "direction_checked": {
                k: v.isoformat() for k, v in sorted(self.direction_checked.items())
            },
            "activation": self.activation.isoformat() if self.activation else None,
            "series": {k: v.to_json() for k, v in sorted(self.series.items())},
            "contract": self.contract.to_json() if self.contract else None,
            "contract_read": self.contract_read.isoformat() if self.contract_read else None,
            "tariff_specs": _runs({d: s.to_text() for d, s in self.day_schedules.items()}),
            "curve_totals": {
                direction: {_iso(day.toordinal()): t.to_json() for day, t in sorted(totals.items())}
                for direction, totals in sorted(self.curve_totals.items())
                if totals
            },
            "delete_from": self.delete_from.isoformat() if self.delete_from else None,
        } | (
            {"uncoloured": [d.isoformat() for d in sorted(self.uncoloured)]}
            if self.uncoloured
            else {}
        )

    @classmethod
    def from_json(cls, raw: Field) -> UsagePointState:
        def day(key: str) -> date | None:
            found = raw.get(key)
            return found.day() if found else None

        contract = raw.get("contract")
        return cls(
            directions={k: v.flag() for k, v in raw.items("directions")},
            direction_checked={k: v.day() for k, v in raw.items("direction_checked")},
            activation=day("activation"),
            series={k: SeriesState.from_json(v) for k, v in raw.items("series")},
            contract=_contract(contract) if contract else None,
            day_schedules={
                d: DaySchedule.from_text(text.text())
                for d, text in _unrun(raw.entries("tariff_specs")).items()
            },
            curve_totals={
                direction: {_day(d, t): CurveTotals.from_json(t) for d, t in totals.items()}
                for direction, totals in raw.items("curve_totals")
            },
            contract_read=day("contract_read"),
            delete_from=day("delete_from"),
            uncoloured={d.day() for d in raw.entries("uncoloured")},
        )


def _contract(raw: Field) -> Contract:
    """A contract as :meth:`Contract.to_json` wrote it."""

    def text(key: str) -> str | None:
        found = raw.get(key)
        return found.text() if found else None

    power, activation = raw.get("subscribed_power_kva"), raw.get("activation")
    if power is not None:
        power.number()  # a finite number, kept as written (9 stays 9, not 9.0)
    return Contract(
        usage_point_id=raw["usage_point_id"].text(),
        subscribed_power_kva=None if power is None else power.value,
        tariff_code=text("tariff_code"),
        offpeak_hours=text("offpeak_hours"),
        status=text("status"),
        activation=activation.day() if activation else None,
    )


def _day(key: str, value: Field) -> date:
    """The key of ``value`` in its object, a day (``curve_totals``)."""
    return Field(key, value.name, value.quote).day()


class SyncState:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATE_FILE
        self.usage_points: dict[str, UsagePointState] = {}
        # gateway URL -> the metering API dialect that worked there last ("v5" or "2026")
        self.dialects: dict[str, str] = {}
        # where the days recorded complete were written (see moved_to); None: not known yet
        self.destination: str | None = None
        self._serialized: dict[str, str] = {}  # usage point -> its last JSON text
        document = read_document(self.path, VERSION, WHAT_TO_DO)
        if document is not None:
            with schema_of(self.path, WHAT_TO_DO):
                self._read(document)

    def _read(self, raw: Field) -> None:
        raw["usage_points"].mapping()
        self.usage_points = {
            usage_point_id: UsagePointState.from_json(point)
            for usage_point_id, point in raw.items("usage_points")
        }
        for url, name in raw.items("dialects"):
            if name.value not in DIALECTS:
                raise name.bad(f"not a dialect linkyflux speaks ({', '.join(DIALECTS)})")
            self.dialects[url] = name.value
        destination = raw.get("destination")
        self.destination = None if destination is None else destination.text()

    def moved_to(self, destination: str) -> date | None:
        """The sink is another one (a new bucket, database, server or file): nothing is in it
        yet. Every day recorded as written becomes missing again, from the first one on
        (returned), so the next runs send them again; what Enedis said (unavailable days,
        directions, activation, contract) stays true."""
        self.destination = destination
        firsts = [point.unsend() for point in self.usage_points.values()]
        return min((day for day in firsts if day is not None), default=None)

    def point(self, usage_point_id: str) -> UsagePointState:
        return self.usage_points.setdefault(usage_point_id, UsagePointState())

    def save(self, changed: str | None = None) -> None:
        """Write the state atomically. ``changed``: only that usage point changed since the
        last save, so the others are not serialized again (the sync engine saves after every
        API window: this keeps a long backfill of many meters linear)."""
        for usage_point_id, point in self.usage_points.items():
            if (
                changed is None
                or usage_point_id == changed
                or usage_point_id not in self._serialized
            ):
                self._serialized[usage_point_id] = _compact(point.to_json())
        # the document json.dumps would write, from each usage point's text kept as text
        # (a few times smaller than the objects it was written from)
        points = ",".join(f"{_compact(k)}:{self._serialized[k]}" for k in sorted(self.usage_points))
        dialects = _compact(dict(sorted(self.dialects.items())))
        destination = _compact(self.destination)
        text = (
            f'{{"version":{VERSION},"destination":{destination},"dialects":{dialects},'
            f'"usage_points":{{{points}}}}}'
        )
        write_private(self.path, text.encode())


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _runs(days: Mapping[date, str]) -> list[list[str]]:
    """``{day: value}`` as runs of consecutive days of one value: ``[first, last, value]``.

    Called for every series at every save (after each API window), so it works on day
    ordinals and formats only the ends of each run."""
    runs: list[tuple[int, int, str]] = []
    for ordinal, value in sorted((day.toordinal(), value) for day, value in days.items()):
        if runs and runs[-1][1] == ordinal - 1 and runs[-1][2] == value:
            runs[-1] = (runs[-1][0], ordinal, value)
        else:
            runs.append((ordinal, ordinal, value))
    return [[_iso(first), _iso(last), value] for first, last, value in runs]


@lru_cache(maxsize=8192)
def _iso(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def _unrun(runs: Iterable[Field]) -> dict[date, Field]:
    """The runs ``[first, last, value]`` back to ``{day: value}``."""
    out: dict[date, Field] = {}
    for run in runs:
        parts = run.entries()
        if len(parts) != 3:
            raise BadField(f"{run.name} is not [first day, last day, value]")
        first, last = parts[0].day(), parts[1].day()
        if last < first:
            raise BadField(f"{run.name} ends before it starts")
        for day in _days(first, last + timedelta(1)):
            out[day] = parts[2]
    return out


def _days(start: date, end: date) -> Iterable[date]:
    return (start + timedelta(days=n) for n in range((end - start).days))
