"""The files customers download from Enedis, made from the simulated meters' intervals, byte
for byte as docs/enedis-exports.md shows them: the R63 load-curve CSV (§1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

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
