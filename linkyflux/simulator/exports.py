"""The files customers download from Enedis, made from the simulated meters' intervals, byte
for byte as docs/enedis-exports.md shows them: the R63 load-curve CSV (§1), the customer
space's old load-curve CSV (§3.3) and its old daily index CSV (§3.6), and the Conso Downloader
extension's CSV (§4.1)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal

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


INDEX_HEADER = (
    "Identifiant PRM;Type de donnees;Date de debut;Date de fin;Grandeur physique;"
    "Grandeur metier;Etape metier;Unite"
)
INDEX_COLUMNS = (
    "Horodate;Type de releve;"
    + ";".join(f"EAS F{n}" for n in range(1, 11))
    + ";EAS D1;EAS D2;EAS D3;EAS D4;EAS T"
)
# What follows the readings in a real consumption file: which register is which tariff class,
# its double-encoded UTF-8 included (the real production file has no trailer).
INDEX_TRAILER = (
    "Periode;Identifiant calendrier fournisseur;Libelle calendrier fournisseur;"
    + ";".join(
        f"Identifiant classe temporelle {n};Libelle classe temporelle {n};"
        f"Cadran classe temporelle {n}"
        for n in range(1, 11)
    )
    + ";Identifiant calendrier distributeur;Libelle calendrier distributeur;"
    + ";".join(
        f"Identifiant classe temporelle distributeur {n};"
        f"Libelle classe temporelle distributeur {n};Cadran classe temporelle distributeur {n}"
        for n in range(1, 5)
    ),
    "Du {since} au;FC000040;Heures Pleines/Creuses;HC;Heures Creuses;EAS F1;HP;Heures Pleines;"
    "EAS F2;;;EAS F3;;;EAS F4;;;EAS F5;;;EAS F6;;;EAS F7;;;EAS F8;;;EAS F9;;;EAS F10;DI000003;"
    "Avec diff\u00c3\u00a9renciation temporelle et saisonni\u00c3\u00a4re;"
    "HCB;Heures Creuses Saison Basse;EAS D1;HPB;Heures Pleines Saison Basse;EAS D2;"
    "HCH;Heures Creuses Hiver / Saison Haute;EAS D3;HPH;Heures Pleines Hiver / Saison Haute;EAS D4",
)


def web_index(
    usage_point_id: str,
    direction: Direction,
    daily: Sequence[tuple[date, int | None]],
    first: date,
    end: date,
    *,
    start_index: int = 10_000_000,
) -> str:
    """The old ``Enedis_Conso_Jour_….csv`` (``Enedis_Prod_Jour_…`` for production) of the days
    ``[first, end)`` whose energies (Wh) ``daily`` gives: a BOM, the metadata (its period
    starting the day before the first reading, as in the real files), then one ``Arrêté
    quotidien`` row per Paris midnight from ``first`` to ``end`` included, each with its
    offset and the cumulative index, ``start_index`` at the first.

    Consumption fills ``EAS T`` and splits it: ``EAS F1`` (HC) takes 40 % of each day, ``EAS
    F2`` (HP) the rest, and ``EAS D1``/``D2`` (low season, April to October) or ``D3``/``D4``
    (high season) take the same parts; the consumption trailer follows. Production fills only
    ``EAI T``. A day whose energy is None (or absent from ``daily``) leaves the next midnight's
    reading out, a missing reading; it adds nothing to the index."""
    energies = dict(daily)
    production = direction == "production"
    columns = INDEX_COLUMNS + (";EAI T" if production else "")
    rows = [
        "\ufeff" + INDEX_HEADER,
        f"{usage_point_id};Index;{first - timedelta(days=1):%d/%m/%Y};{end:%d/%m/%Y};"
        f"Energie active;{WEB_GRANDEURS[direction]};Comptage Brut;Wh",
        columns,
    ]
    hc = start_index * 4 // 10
    registers = [hc, start_index - hc, hc // 2, (start_index - hc) // 2]  # F1, F2, D1, D2
    registers += [registers[0] - registers[2], registers[1] - registers[3]]  # D3, D4
    day, missing = first, False
    while day <= end:
        midnight = datetime.combine(day, time(), PARIS).isoformat()
        total = sum(registers[:2])
        if production and not missing:
            rows.append(f"{midnight};Arrêté quotidien" + ";" * 16 + str(total))
        elif not missing:
            f1, f2, d1, d2, d3, d4 = registers
            rows.append(
                f"{midnight};Arrêté quotidien;{f1};{f2}" + ";" * 8 + f";{d1};{d2};{d3};{d4};{total}"
            )
        energy = energies.get(day)
        missing = energy is None
        if energy is not None:
            hc = round(energy * 0.4)
            high = day.month in (11, 12, 1, 2, 3)
            registers[0] += hc
            registers[1] += energy - hc
            registers[4 if high else 2] += hc
            registers[5 if high else 3] += energy - hc
        day += timedelta(days=1)
    if not production:
        since = datetime.combine(first, time(), PARIS).isoformat()
        rows += [INDEX_TRAILER[0], INDEX_TRAILER[1].format(since=since)]
    return "\n".join(rows) + "\n"


def consodl(intervals: Sequence[Interval]) -> str:
    """The Conso Downloader CSV of these intervals: ``debut;fin;kW``, then each interval's
    start and end in Paris wall clock to the minute (no offset: the October 02:00 hour comes
    twice) and its average power in kW as JavaScript prints it, quoted, with a decimal comma
    (696 W is ``"0,696"``, 1000 W is ``"1"``); a missing interval is no row."""
    rows = ["debut;fin;kW"]
    for interval in intervals:
        start = interval.start.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
        end = interval.end.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")
        kw = str(Decimal(interval.power_w) / 1000).replace(".", ",")
        rows.append(f'{start};{end};"{kw}"')
    return "\n".join(rows) + "\n"


def consodl_name(usage_point_id: str, direction: Direction, day: date) -> str:
    """The name the extension gives its file, downloaded on ``day``: the only place that
    names the meter and the direction."""
    kind = "conso" if direction == "consumption" else "prod"
    return f"historique_{kind}_{usage_point_id}_{day:%Y-%m-%d}.csv"
