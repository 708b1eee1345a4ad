"""The files customers download from Enedis, made from the simulated meters' intervals, byte
for byte as docs/enedis-exports.md shows them: the R63 load-curve CSV (§1) and the customer
space's old load-curve CSV (§3)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta

from linkyflux.models import Direction
from linkyflux.simulator.synthetic import Interval
from linkyflux.timeutil import PARIS

R63_HEADER = (
    "Identifiant PRM;Date de début;Date de fin;Grandeur physique;Grandeur métier;Etape métier;"
    "Unité;Horodate;Valeur;Nature;Pas;Indice de vraisemblance;Etat complémentaire"
)
GRANDEURS: dict[Direction, str] = {"consumption": "CONS", "production": "PROD"}


def r63(series: Sequence[tuple[str, Direction, Iterable[Interval]]], first: date, end: date) -> str:
    """An R63 CSV of these intervals for the period ``[first, end)``: one row per interval,
    labelled with its end (naive Europe/Paris: the October 02:00 hour comes twice, the March
    one never), its average power in W and its step; a missing interval is no row."""
    period = f"{first} 00:00:00;{end} 00:00:00"
    rows = [R63_HEADER]
    for usage_point_id, direction, intervals in series:
        for interval in intervals:
            label = interval.end.astimezone(PARIS).strftime("%Y-%m-%d %H:%M:%S")
            rows.append(
                f"{usage_point_id};{period};PA;{GRANDEURS[direction]};BRUT;W;{label};"
                f"{interval.power_w};B;PT{interval.minutes}M;0;0"
            )
    return "\n".join(rows) + "\n"


def hourly(intervals: Sequence[Interval]) -> list[Interval]:
    """The same curve at a 60-minute step (Enedis switches some meters for a while): each
    whole hour's average power, in whole watts; an hour with a missing interval is left out."""
    out = []
    for n in range(0, len(intervals) - 1, 2):
        first, second = intervals[n], intervals[n + 1]
        whole = first.minutes == second.minutes == 30 and second.start == first.end
        if whole and first.start.minute == 0:
            out.append(Interval(first.start, 60, round((first.power_w + second.power_w) / 2)))
    return out


WEB_HEADER = (
    "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;"
    "Grandeur metier;Etape metier;Unite;Pas en minutes"
)
WEB_GRANDEURS: dict[Direction, str] = {"consumption": "Consommation", "production": "Production"}


def web_curve(
    usage_point_id: str, direction: Direction, intervals: Sequence[Interval], first: date, end: date
) -> str:
    """The old ``Enedis_Conso_Heure_….csv`` of these intervals: a BOM, the metadata (its step
    left empty, as in the real files), then ``Horodate;Valeur`` rows labelled with each
    interval's end and its offset; a missing interval is a row without a value, and a blank
    line separates blocks of different steps."""
    period = f"{first:%d/%m/%Y};{end:%d/%m/%Y}"
    rows = [
        "\ufeff" + WEB_HEADER,
        f"{usage_point_id};Courbe de charge;{period};Energie active;"
        f"{WEB_GRANDEURS[direction]};Comptage Brut;W;",
        "Horodate;Valeur",
    ]
    previous: Interval | None = None
    for interval in intervals:
        if previous is not None and previous.minutes != interval.minutes:
            rows.append("")
        elif previous is not None:
            missing = previous.end + timedelta(minutes=interval.minutes)
            while missing <= interval.start:
                rows.append(f"{missing.astimezone(PARIS).isoformat()};")
                missing += timedelta(minutes=interval.minutes)
        rows.append(f"{interval.end.astimezone(PARIS).isoformat()};{interval.power_w}")
        previous = interval
    return "\n".join(rows)  # the real files end without a newline
