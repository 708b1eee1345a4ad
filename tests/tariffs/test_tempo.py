"""Tempo: the day colour an interval is priced with (docs/tempo-and-seasons.md §A2.3)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from linkyflux.simulator.tempo import RTE_CLIENT_ID, RTE_CLIENT_SECRET
from linkyflux.simulator.tempo import colour as simulated_colour
from linkyflux.tariffs.grammar import parse_offpeak
from linkyflux.tariffs.tempo import tempo_day
from linkyflux.timeutil import PARIS

from simenv import World, world
from tempo_grids import grid_on, prices_toml


@pytest.mark.parametrize(
    ("start", "day", "period"),
    [
        ("2026-01-14T05:30:00+01:00", "2026-01-13", "HC"),
        ("2026-01-14T06:00:00+01:00", "2026-01-14", "HP"),
        ("2026-01-14T21:30:00+01:00", "2026-01-14", "HP"),
        ("2026-01-14T22:00:00+01:00", "2026-01-14", "HC"),
        ("2026-01-15T00:00:00+01:00", "2026-01-14", "HC"),
        ("2026-03-29T01:30:00+01:00", "2026-03-28", "HC"),
        ("2026-03-29T03:00:00+02:00", "2026-03-28", "HC"),
        ("2026-03-29T06:00:00+02:00", "2026-03-29", "HP"),
        ("2026-10-25T02:00:00+02:00", "2026-10-24", "HC"),
        ("2026-10-25T02:00:00+01:00", "2026-10-24", "HC"),
        ("2026-10-25T05:30:00+01:00", "2026-10-24", "HC"),
        ("2026-10-25T06:00:00+01:00", "2026-10-25", "HP"),
    ],
)
def test_the_tempo_day_runs_from_six_to_six(start: str, day: str, period: str) -> None:
    instant = datetime.fromisoformat(start)
    tempo = parse_offpeak("TEMPO")
    for zone in (UTC, PARIS, instant.tzinfo):
        assert tempo_day(instant.astimezone(zone)) == date.fromisoformat(day)
        assert tempo.classify("12345678901234", "consumption", instant.astimezone(zone)) == period


def test_tempo_is_named_not_spelt() -> None:
    tempo = parse_offpeak(" tempo ")
    assert tempo.tempo and tempo.to_text() == "TEMPO"
    assert tempo == parse_offpeak("TEMPO")
    assert tempo != parse_offpeak("22h00-6h00")  # the same hours, but priced by colour
    with pytest.raises(ValueError, match="timezone-aware"):
        tempo_day(datetime(2026, 1, 14, 5, 30))


# ---------------------------------------------------------------------------- through the CLI
HOUSE = "22516914714270"  # PT30M consumption, contract HC (22H00-6H00): Tempo ignores it
PRICES = prices_toml(subscription=15.59)


def parse(line: str) -> tuple[str, dict[str, str], dict[str, str], int]:
    head, fields, stamp = line.rsplit(" ", 2)
    name, *tags = head.split(",")
    return (
        name,
        dict(t.split("=") for t in tags),
        dict(f.split("=") for f in fields.split(",")),
        int(stamp),
    )


def latest(w: World, measurement: str) -> dict[tuple[str, ...], tuple[dict[str, str], int]]:
    """The last point written per series and instant: what InfluxDB keeps."""
    out: dict[tuple[str, ...], tuple[dict[str, str], int]] = {}
    for ln in w.output_lines():
        name, tags, fields, stamp = parse(ln)
        if name == measurement:
            out[(*sorted(tags.items()), str(stamp))] = ({**tags, **fields}, stamp)  # type: ignore[arg-type]
    return out


def truth(w: World, day: date) -> str:
    return w.simulator.tempo_overrides.get(day) or simulated_colour(day)


def test_a_tempo_month_is_priced_at_each_day_s_colour_and_a_late_colour_prices_it_later(
    tmp_path: Path,
) -> None:
    """Colours changing on consecutive days; a colour the source lacks for two runs: its
    intervals are written without a cost, then overwritten with it, one point per interval."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.simulator.tempo_overrides.update(
            {
                date(2026, 11, 18): "WHITE",
                date(2026, 11, 19): "RED",
                date(2026, 11, 20): "WHITE",
                date(2026, 11, 21): "BLUE",
            }
        )
        w.simulator.tempo_holes.add(date(2026, 11, 20))
        config = w.config(tariff={"offpeak": "TEMPO"}, tempo={"url": f"{w.url}/tempo/api"})
        config.write_text(config.read_text() + PRICES)
        assert w.run("auth").exit_code == 0
        first = w.run("fetch", "-d", "3")  # the 19th, 20th and 21st
        assert first.exit_code == 0, first.output
        assert (
            "Tempo: the colour of 2026-11-20, 2026-11-21 is not known yet: their load curve is "
            "written without a cost, and priced by the run that learns it"
        ) in first.output
        uncosted = [ln for ln in w.output_lines() if ln.startswith("linky_load_curve,")]
        uncosted = [ln for ln in uncosted if "cost_eur" not in ln]
        # the 20th from 06:00, and the night of the 21st (still the 20th's Tempo day)
        assert len(uncosted) == 36 + 12 and not [ln for ln in uncosted if "tempo=" in ln]
        status = w.run("status")
        assert (
            "  Tempo: waiting for the colour of 2026-11-20..2026-11-21 (their load curve has no "
            "cost yet; priced by the run that learns it)"
        ) in status.output.splitlines()
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0  # the 20th still lacks its colour
        w.simulator.tempo_holes.clear()
        w.clock.advance(86400)
        third = w.run("fetch")
        assert third.exit_code == 0, third.output
        assert "Tempo" not in third.output
        assert "Tempo" not in w.run("status").output
        calls = len(w.simulator.tempo_calls)
        w.clock.advance(86400)
        assert w.run("fetch", "-q").exit_code == 0
        assert len(w.simulator.tempo_calls) == calls == 3  # one per run that lacked a colour
        curve = latest(w, "linky_load_curve")
        daily = latest(w, "linky_daily")
        tempo = latest(w, "linky_tempo")
    per_day: dict[date, float] = {}
    for fields, stamp in curve.values():
        start = datetime.fromtimestamp(stamp, PARIS)
        colour = truth(w, tempo_day(start))
        period = "HP" if 6 <= start.hour < 22 else "HC"
        assert fields["tariff"] == period and fields["tempo"] == f'"{colour}"', start
        price = grid_on(start.date())[f"{colour.lower()}_{period.lower()}"]
        assert float(fields["cost_eur"]) == round(float(fields["energy_wh"]) / 1000 * price, 6)
        per_day[start.date()] = per_day.get(start.date(), 0.0) + float(fields["cost_eur"])
    assert sorted(per_day) == [date(2026, 11, d) for d in range(19, 25)]
    assert len(curve) == 6 * 48  # one point per interval, whatever was rewritten
    for fields, stamp in daily.values():
        day = datetime.fromtimestamp(stamp, PARIS).date()
        assert float(fields["cost_eur"]) == round(per_day[day], 6), day
        by_colour = [
            float(v) for k, v in fields.items() if k.endswith(("_hc_cost_eur", "_hp_cost_eur"))
        ]
        assert sum(by_colour) == pytest.approx(float(fields["cost_eur"]), abs=1e-5)
        energy = [
            float(fields[f"{c}_{p}_energy_wh"])
            for c in ("blue", "white", "red")
            for p in ("hc", "hp")
        ]
        assert sum(energy) == pytest.approx(
            float(fields["hc_energy_wh"]) + float(fields["hp_energy_wh"])
        )
    assert {datetime.fromtimestamp(s, PARIS): f["colour"] for f, s in tempo.values()} == {
        datetime(2026, 11, d, 6, tzinfo=PARIS): truth(w, date(2026, 11, d)) for d in range(18, 25)
    }


def test_the_colours_can_come_from_rte_s_official_api(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.simulator.tempo_overrides.update({date(2026, 11, 20): "RED", date(2026, 11, 21): "WHITE"})
        tempo = {"source": "rte", "url": f"{w.url}/rte", "client_id": RTE_CLIENT_ID}
        config = w.config(
            tariff={"offpeak": "TEMPO"}, tempo={**tempo, "client_secret": "not-the-secret"}
        )
        config.write_text(config.read_text() + PRICES)
        assert w.run("auth").exit_code == 0
        refused = w.run("fetch", "-d", "2")
        assert refused.exit_code == 0, refused.output
        assert (
            f"warning: the Tempo colour source {w.url}/rte refused the application's credentials "
            "(HTTP 401): Tempo colours are asked again next run"
        ) in refused.output
        assert "not-the-secret" not in refused.output
        config = w.config(
            tariff={"offpeak": "TEMPO"}, tempo={**tempo, "client_secret": RTE_CLIENT_SECRET}
        )
        config.write_text(config.read_text() + PRICES)
        w.clock.advance(86400)
        result = w.run("fetch", "-q")
        assert result.exit_code == 0, result.output
        calls = w.simulator.tempo_calls[1:]  # after the refused token
        curve = latest(w, "linky_load_curve")
    assert [c.split("?")[0] for c in calls] == [
        "/rte/token/oauth/",
        "/rte/open_api/tempo_like_supply_contract/v1/tempo_like_calendars",
    ]
    assert "start_date=2026-09-01T00%3A00%3A00%2B02%3A00" in calls[1]
    assert "end_date=2026-11-25T00%3A00%3A00%2B01%3A00" in calls[1]  # J+2, exclusive
    colours = {
        datetime.fromtimestamp(stamp, PARIS).date(): fields["tempo"]
        for fields, stamp in curve.values()
        if datetime.fromtimestamp(stamp, PARIS).hour >= 6
    }
    assert colours == {
        date(2026, 11, 20): '"RED"',
        date(2026, 11, 21): '"WHITE"',
        date(2026, 11, 22): f'"{simulated_colour(date(2026, 11, 22))}"',
    }


def test_rte_without_an_application_is_a_config_error(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.config(tariff={"offpeak": "TEMPO"}, tempo={"source": "rte", "client_id": "x"})
        result = w.run("auth")
    assert result.exit_code == 3
    assert result.output.endswith(
        'tempo: source = "rte" needs client_id and client_secret (a data.rte-france.com '
        "application's)\n"
    ), result.output
