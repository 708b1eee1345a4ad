"""Readings -> classified line-protocol lines, in the schema of :mod:`linkyflux.sinks.schema`.

A load-curve point is stamped at its interval start and tagged HC, HP or BASE by the
schedule, classified at that start in Europe/Paris. Daily energy and max power are
stamped at the local midnight that starts their day. With prices configured, load-curve and
daily points carry ``cost_eur`` and consumption daily points the day's share of the monthly
subscription, ``subscription_eur`` (see :mod:`linkyflux.tariffs.prices`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from linkyflux.models import Circuit, Contract, DailyReading, MaxPowerReading
from linkyflux.sinks import schema
from linkyflux.sinks.lineprotocol import field_key, float_value, head, line
from linkyflux.tariffs.classifier import TariffRun, contract_ranges
from linkyflux.tariffs.schedule import BASE, HC, HP
from linkyflux.timeutil import PARIS, paris_midnight


def curve_lines(
    run: TariffRun, costs: Sequence[float] | None = None, colour: str | None = None
) -> list[str]:
    """The load-curve points of a run of readings (see :meth:`Classifier.runs`), with each
    reading's cost when ``costs`` are given (one per reading), and on Tempo the colour of
    its day as a field (a tag would make the point written before its colour was known
    another series: two points for one interval).

    Every interval of a backfill is one of these lines, so they are written the short way,
    with the bytes :func:`line` writes (a test checks): the series head is escaped once per
    run, and the fields of a power are written once and kept (see :func:`_curve_fields`)."""
    tags = (
        (schema.TAG_DIRECTION, run.direction),
        (schema.TAG_TARIFF, run.tariff),
        (schema.TAG_USAGE_POINT, run.usage_point_id),
    )
    series = head(schema.LOAD_CURVE, tags)
    minutes, readings = run.minutes, run.readings
    known = _FIELDS[minutes]
    if colour is not None:  # Tempo: the colour after the other fields
        tempo = f',{field_key(schema.FIELD_TEMPO)}="{colour}"'
        prices = [f"{_COST}={float_value(cost)}," for cost in costs] if costs else None
        return [
            f"{series} {prices[n] if prices else ''}"
            f"{known.get(r.power_w) or _curve_fields(r.power_w, minutes, known)}{tempo} "
            f"{r.timestamp}"
            for n, r in enumerate(readings)
        ]
    if costs is None:
        return [
            f"{series} {known.get(r.power_w) or _curve_fields(r.power_w, minutes, known)} "
            f"{r.timestamp}"
            for r in readings
        ]
    return [
        f"{series} {_COST}={float_value(cost)},"
        f"{known.get(r.power_w) or _curve_fields(r.power_w, minutes, known)} {r.timestamp}"
        for r, cost in zip(readings, costs, strict=True)
    ]


def _curve_fields(power: float, minutes: int, known: dict[float, str]) -> str:
    """``energy_wh=…,power_w=…`` for a power over ``minutes``, kept in ``known`` (those of
    one interval length). A meter reports whole watts up to its subscribed power, so the
    same few thousand values come back all along a history, and writing two floats was
    most of a line's work; at most :data:`KEPT_FIELDS` are kept per length."""
    power = float(power) + 0.0  # -0.0 as 0.0, as line() writes it
    energy = power * minutes / 60  # as CurveReading.energy_wh
    text = f"{_ENERGY}={float_value(energy)},{_POWER}={float_value(power)}"
    if len(known) >= KEPT_FIELDS:
        known.clear()
    known[power] = text
    return text


KEPT_FIELDS = 16_384  # about 2 MB per interval length
_FIELDS: defaultdict[int, dict[float, str]] = defaultdict(dict)
_COST = field_key(schema.FIELD_COST_EUR)
_ENERGY, _POWER = field_key(schema.FIELD_ENERGY_WH), field_key(schema.FIELD_POWER_W)


def daily_line(
    reading: DailyReading,
    cost_eur: float | None = None,
    subscription_eur: float | None = None,
    energy_by_tariff: Mapping[str, float] | None = None,
    cost_by_colour: Mapping[str, float] | None = None,
    *,
    energy: bool = True,
) -> str:
    """A day's energy, tagged with its calendar month and year (Europe/Paris) so dashboards
    can sum calendar months and years with ``GROUP BY "month"``; with its load curve's
    energy per tariff when that curve is complete. Without its ``energy``, the line adds
    the other fields to the day's point and leaves the energy written before as it is."""
    fields = {schema.FIELD_ENERGY_WH: reading.energy_wh} if energy else {}
    if energy_by_tariff is not None:
        fields[schema.FIELD_BASE_ENERGY_WH] = energy_by_tariff.get(BASE, 0.0)
        fields[schema.FIELD_HC_ENERGY_WH] = energy_by_tariff.get(HC, 0.0)
        fields[schema.FIELD_HP_ENERGY_WH] = energy_by_tariff.get(HP, 0.0)
        if any(key.islower() for key in energy_by_tariff):  # a Tempo day: per colour too
            for name in schema.FIELD_TEMPO_ENERGY_WH:
                fields[name] = energy_by_tariff.get(name.removesuffix("_energy_wh"), 0.0)
    for key, cost in (cost_by_colour or {}).items():
        fields[f"{key}_cost_eur"] = cost
    if cost_eur is not None:
        fields[schema.FIELD_COST_EUR] = cost_eur
    if subscription_eur is not None:
        fields[schema.FIELD_SUBSCRIPTION_EUR] = subscription_eur
    return line(
        schema.DAILY,
        (
            (schema.TAG_DIRECTION, reading.direction),
            (schema.TAG_MONTH, f"{reading.day.year}-{reading.day.month:02d}"),
            (schema.TAG_USAGE_POINT, reading.usage_point_id),
            (schema.TAG_YEAR, str(reading.day.year)),
        ),
        sorted(fields.items()),
        int(paris_midnight(reading.day).timestamp()),
    )


def tempo_lines(colours: Mapping[date, str]) -> list[str]:
    """One point per Tempo day, at the 06:00 (Europe/Paris) that starts it: its colour as a
    tag (a day is written only once its colour is known, and that never changes)."""
    return [
        line(
            schema.TEMPO,
            ((schema.TAG_COLOUR, colour),),
            ((schema.FIELD_TEMPO_CODE, schema.TEMPO_CODES[colour]),),
            int(datetime.combine(day, time(6), PARIS).timestamp()),  # wall clock: DST days too
        )
        for day, colour in sorted(colours.items())
    ]


def max_power_lines(readings: Iterable[MaxPowerReading]) -> list[str]:
    return [
        line(
            schema.MAX_POWER,
            ((schema.TAG_DIRECTION, "consumption"), (schema.TAG_USAGE_POINT, r.usage_point_id)),
            ((schema.FIELD_POWER_VA, r.power_va),),
            int(paris_midnight(r.day).timestamp()),
        )
        for r in readings
    ]


def contract_line(contract: Contract, day: date) -> str | None:
    """The contract as it stood on ``day`` (stamped at its local midnight), for dashboards'
    subscribed-power line; None when the contract gives no subscribed power."""
    if contract.subscribed_power_kva is None:
        return None
    return line(
        schema.CONTRACT,
        (
            (schema.TAG_OFFPEAK_HOURS, ";".join(contract_ranges(contract.offpeak_hours or ""))),
            (schema.TAG_TARIFF_CODE, contract.tariff_code or ""),
            (schema.TAG_USAGE_POINT, contract.usage_point_id),
        ),
        ((schema.FIELD_SUBSCRIBED_KVA, contract.subscribed_power_kva),),
        int(paris_midnight(day).timestamp()),
    )


@dataclass(frozen=True)
class SeriesHealth:
    """Where a series stands (see :func:`sync_line`): its last complete day, and how many days
    since its first are missing, partial or unavailable."""

    last_complete: date | None
    missing: int
    partial: int
    unavailable: int


def sync_line(
    usage_point_id: str, direction: str, series: str, health: SeriesHealth, today: date
) -> str:
    """Where a series stands today (stamped at today's local midnight, so the day's last run
    has the last word)."""
    yesterday = today - timedelta(days=1)
    fields: dict[str, int] = {
        schema.FIELD_MISSING_DAYS: health.missing,
        schema.FIELD_PARTIAL_DAYS: health.partial,
        schema.FIELD_UNAVAILABLE_DAYS: health.unavailable,
    }
    if health.last_complete is not None:
        fields[schema.FIELD_LAST_COMPLETE_S] = int(paris_midnight(health.last_complete).timestamp())
        fields[schema.FIELD_DAYS_BEHIND] = (yesterday - health.last_complete).days
    return line(
        schema.SYNC,
        (
            (schema.TAG_DIRECTION, direction),
            (schema.TAG_SERIES, series),
            (schema.TAG_USAGE_POINT, usage_point_id),
        ),
        sorted(fields.items()),
        int(paris_midnight(today).timestamp()),
    )


def circuit_lines(
    circuit: Circuit,
    run: TariffRun,
    energies: Sequence[float],
    costs: Sequence[float] | None = None,
) -> list[str]:
    """A Netatmo circuit's buckets (a run of the meter it hangs off: ``run.usage_point_id``,
    ``run.tariff``), each at its start with its energy (one per reading, as measured: not
    the meter's power), and its cost when ``costs`` are given."""
    tags = (
        (schema.TAG_CIRCUIT, circuit.name),
        (schema.TAG_HOME, circuit.home_id),
        (schema.TAG_KIND, circuit.kind),
        (schema.TAG_MODULE, circuit.module_id),
        (schema.TAG_TARIFF, run.tariff),
        (schema.TAG_USAGE_POINT, run.usage_point_id),
    )
    out = []
    for n, reading in enumerate(run.readings):
        fields = [(schema.FIELD_ENERGY_WH, energies[n])]
        if costs is not None:
            fields.insert(0, (schema.FIELD_COST_EUR, costs[n]))
        out.append(line(schema.NETATMO, tags, fields, reading.timestamp))
    return out
