"""Prices and costs: ``cost_eur`` on load-curve and daily points, dated price lists."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from linkyflux.tariffs.prices import Price, PriceList
from linkyflux.timeutil import PARIS

from simenv import World, world

PRM = "22516914714270"  # household, PT30M, contract HC (22H00-6H00)
NO_CURVE = "32320647321714"  # hourly collection not enabled
SOLAR = "24880057139941"  # production only


def test_the_price_in_force_is_the_last_one_started() -> None:
    prices = PriceList(
        [Price(date(2026, 2, 1), base=0.2016), Price(date(2025, 8, 1), base=0.1952, hc=0.16)]
    )
    assert prices.on(date(2025, 7, 31)) is None
    assert prices.on(date(2025, 8, 1)) == Price(date(2025, 8, 1), base=0.1952, hc=0.16)
    assert prices.on(date(2026, 1, 31)) == Price(date(2025, 8, 1), base=0.1952, hc=0.16)
    assert prices.on(date(2026, 2, 1)) == Price(date(2026, 2, 1), base=0.2016)


def test_cost_by_tariff_and_direction() -> None:
    prices = PriceList([Price(date(2026, 1, 1), base=0.2, hc=0.15, hp=0.25, production=0.1)])
    day = date(2026, 3, 1)
    assert prices.cost(day, "consumption", "HC", 500) == 0.075
    assert prices.cost(day, "consumption", "HP", 500) == 0.125
    assert prices.cost(day, "consumption", "BASE", 500) == 0.1
    assert prices.cost(day, "production", "HP", 500) == 0.05  # sold energy: any tariff
    assert prices.cost(date(2025, 12, 31), "consumption", "HC", 500) is None  # no price yet
    assert PriceList([Price(day, base=0.2)]).cost(day, "consumption", "HC", 500) is None
    assert prices.cost(day, "consumption", "HC", 333) == 0.04995  # micro-euros


@pytest.mark.parametrize("month", [date(2026, 2, 1), date(2026, 3, 1), date(2024, 2, 1)])
def test_a_calendar_month_of_subscription_shares_is_the_monthly_price(month: date) -> None:
    prices = PriceList([Price(date(2020, 1, 1), subscription=15.65)])
    days = [d for d in (month.replace(day=n) for n in range(1, 32) if _valid(month, n))]
    assert sum(prices.subscription_share(d) or 0 for d in days) == pytest.approx(15.65, abs=5e-5)


def _valid(month: date, day: int) -> bool:
    try:
        month.replace(day=day)
    except ValueError:
        return False
    return True


def _points(w: World, measurement: str) -> list[tuple[dict[str, str], dict[str, float], date]]:
    out = []
    for ln in w.output_lines():
        head, fields, stamp = ln.split(" ")
        name, *tags = head.split(",")
        if name != measurement:
            continue
        instant = datetime.fromtimestamp(int(stamp), UTC).astimezone(PARIS)
        out.append(
            (
                dict(t.split("=") for t in tags),
                {k: float(v) for k, v in (f.split("=") for f in fields.split(","))},
                instant.date(),
            )
        )
    return out


PRICES = (
    "[[tariff.price]]\nfrom = 2026-11-01\nbase = 0.2016\nhc = 0.1615\nhp = 0.2146\n"
    "production = 0.1276\nsubscription = 15.65\n"
    "[[tariff.price]]\nfrom = 2026-11-20\nbase = 0.25\nhc = 0.2\nhp = 0.3\n"
    "production = 0.13\nsubscription = 18.0\n"
)


def _priced(w: World, prices: str = PRICES, **sections: dict[str, object]) -> None:
    config = w.config(**sections)
    config.write_text(config.read_text() + prices)


def test_every_curve_point_and_daily_point_carries_its_cost(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _priced(w, tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        result = w.run("fetch", "-d", "3", "-q")  # the 19th (old prices), 20th and 21st (new)
        assert result.exit_code == 0, result.output
        curve = _points(w, "linky_load_curve")
        daily = _points(w, "linky_daily")
    price = {
        date(2026, 11, 19): {"HC": 0.1615, "HP": 0.2146},
        date(2026, 11, 20): {"HC": 0.2, "HP": 0.3},
        date(2026, 11, 21): {"HC": 0.2, "HP": 0.3},
    }
    assert len(curve) == 3 * 48
    by_day: dict[date, float] = {}
    for tags, fields, day in curve:
        expected = round(fields["energy_wh"] / 1000 * price[day][tags["tariff"]], 6)
        assert fields["cost_eur"] == expected
        by_day[day] = by_day.get(day, 0.0) + expected
    assert [(d, f["cost_eur"]) for _, f, d in daily] == [
        (d, round(by_day[d], 6)) for d in sorted(by_day)
    ]
    assert [f["subscription_eur"] for _, f, _ in daily] == [0.521667, 0.6, 0.6]  # /30 days


def test_without_a_curve_the_daily_cost_is_the_base_price_times_the_energy(
    tmp_path: Path,
) -> None:
    with world(tmp_path) as w:
        w.consent = (NO_CURVE, SOLAR)
        _priced(w)
        assert w.run("auth").exit_code == 0
        w.run("fetch", "-q")  # the 21st
        daily = {(t["usage_point_id"], t["direction"]): f for t, f, _ in _points(w, "linky_daily")}
        energy = {k: f["energy_wh"] for k, f in daily.items()}
    assert daily[(NO_CURVE, "consumption")]["cost_eur"] == round(
        energy[(NO_CURVE, "consumption")] / 1000 * 0.25, 6
    )
    assert daily[(SOLAR, "production")]["cost_eur"] == round(
        energy[(SOLAR, "production")] / 1000 * 0.13, 6
    )
    assert "subscription_eur" not in daily[(SOLAR, "production")]


CARRIED = (  # README's example: the second entry moves HC and HP only
    "[[tariff.price]]\nfrom = 2026-11-01\nbase = 0.2016\nhc = 0.1615\nhp = 0.2146\n"
    "production = 0.1276\nsubscription = 15.65\n"
    "[[tariff.price]]\nfrom = 2026-11-20\nhc = 0.2\nhp = 0.3\n"
)


def _daily_on_the_21st(w: World, prices: str) -> dict[tuple[str, str], dict[str, float]]:
    w.consent = (NO_CURVE, SOLAR)
    _priced(w, prices)
    assert w.run("auth").exit_code == 0
    result = w.run("fetch", "-q")  # the 21st
    assert result.exit_code == 0, result.output
    return {(t["usage_point_id"], t["direction"]): f for t, f, _ in _points(w, "linky_daily")}


def test_a_price_entry_keeps_every_price_it_does_not_set(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        daily = _daily_on_the_21st(w, CARRIED)
    house, solar = daily[(NO_CURVE, "consumption")], daily[(SOLAR, "production")]
    assert house["cost_eur"] == round(house["energy_wh"] / 1000 * 0.2016, 6)
    assert house["subscription_eur"] == 0.521667  # 15.65 / 30
    assert solar["cost_eur"] == round(solar["energy_wh"] / 1000 * 0.1276, 6)


def test_a_price_ends_with_none(tmp_path: Path) -> None:
    ended = '[[tariff.price]]\nfrom = 2026-11-21\nproduction = "none"\nsubscription = "none"\n'
    with world(tmp_path) as w:
        daily = _daily_on_the_21st(w, CARRIED + ended)
    house, solar = daily[(NO_CURVE, "consumption")], daily[(SOLAR, "production")]
    assert house["cost_eur"] == round(house["energy_wh"] / 1000 * 0.2016, 6)
    assert "subscription_eur" not in house
    assert "cost_eur" not in solar


def test_a_price_that_is_neither_a_number_nor_none_is_a_config_error(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        _priced(w, '[[tariff.price]]\nfrom = 2026-11-01\nhc = "free"\n')
        result = w.run("auth")
    assert result.exit_code == 3
    assert "tariff.price.0.hc" in result.output
    assert (
        'a price in euros per kWh from 0 to 100, or "none" to end the one before' in result.output
    )


def test_without_prices_no_cost_is_written(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        w.config()
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        lines = w.output_lines()
    assert lines and not [ln for ln in lines if "cost_eur" in ln or "subscription_eur" in ln]


def test_days_before_the_first_price_have_no_cost(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _priced(w, "[[tariff.price]]\nfrom = 2026-11-21\nbase = 0.2\nhc = 0.15\nhp = 0.25\n")
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-d", "2", "-q").exit_code == 0
        costed = {d: "cost_eur" in f for _, f, d in _points(w, "linky_load_curve")}
    assert costed == {date(2026, 11, 20): False, date(2026, 11, 21): True}


def test_a_daily_point_fetched_again_without_its_curve_keeps_the_curve_cost(
    tmp_path: Path,
) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _priced(w, tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0  # the 21st
        first = [f["cost_eur"] for _, f, _ in _points(w, "linky_daily")]
        w.clock.advance(86400)
        # The curve cannot be read today: the 21st's daily energy comes back alone.
        w.simulator.inject("malformed", count=100, path_contains="consumption_load_curve")
        result = w.run("fetch", "-q")
        assert result.exit_code == 6
        again = [f["cost_eur"] for _, f, d in _points(w, "linky_daily") if d == date(2026, 11, 21)]
    assert again == first * 2


def test_a_curve_completed_after_its_daily_point_corrects_the_daily_cost(
    tmp_path: Path,
) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM,)
        _priced(w, tariff={"offpeak": "22h00-6h00"})
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0  # the 21st
        w.clock.advance(86400)
        # four bad answers: the curve call and its three retries
        w.simulator.inject("malformed", count=4, path_contains="consumption_load_curve")
        assert w.run("fetch", "-q").exit_code == 6  # the 22nd: daily at the BASE price
        w.clock.advance(3 * 86400)  # the 22nd is out of the correction window by now
        calls = len(w.simulator.data_calls())
        assert w.run("fetch", "-q").exit_code == 0
        assert len(w.simulator.data_calls()) - calls == 3  # the catch-up costs no extra call
        curve = [f["cost_eur"] for _, f, d in _points(w, "linky_load_curve") if d == DAY]
        daily = [
            (f["energy_wh"], f["cost_eur"]) for _, f, d in _points(w, "linky_daily") if d == DAY
        ]
    energy = daily[0][0]
    assert daily[0] == (energy, round(energy / 1000 * 0.25, 6))  # BASE, no curve yet
    assert daily[1] == (energy, round(sum(curve), 6))
    assert len(daily) == 2 and len(curve) == 48


DAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("prices", "message"),
    [
        (
            "[[tariff.price]]\nfrom = 2026-01-01\nbase = 0.2\n"
            "[[tariff.price]]\nfrom = 2026-01-01\nbase = 0.3\n",
            "tariff.price: two prices from 2026-01-01",
        ),
        (
            "[[tariff.price]]\nfrom = 2026-01-01\nhc = -0.2\n",
            'tariff.price.0.hc: a price in euros per kWh from 0 to 100, or "none" to end the one '
            "before (got -0.2)",
        ),
        (
            "[[tariff.price]]\nfrom = 2026-01-01\nheures_creuses = 0.2\n",
            "tariff.price.0.heures_creuses: unknown key",
        ),
    ],
)
def test_bad_prices_are_named(tmp_path: Path, prices: str, message: str) -> None:
    with world(tmp_path) as w:
        _priced(w, prices)
        result = w.run("fetch")
    assert result.exit_code == 3
    assert result.output == f"linkyflux: {tmp_path / 'config.toml'}: {message}\n"


def test_the_summary_shows_each_series_cost(tmp_path: Path) -> None:
    with world(tmp_path) as w:
        w.consent = (PRM, SOLAR)
        _priced(w, "[[tariff.price]]\nfrom = 2026-01-01\nhc = 0.2\nhp = 0.3\n")
        assert w.run("auth").exit_code == 0
        result = w.run("fetch")
        curve = _points(w, "linky_load_curve")
    cost = sum(f.get("cost_eur", 0) for t, f, _ in curve if t["usage_point_id"] == PRM)
    header, house, solar = result.output.splitlines()[1:4]
    assert header.endswith("peak days   curve €")
    assert house.startswith(f"{PRM}  consumption") and house.endswith(f" {cost:>9.2f}")
    assert solar.startswith(f"{SOLAR}  production") and solar.endswith("         -")
