from __future__ import annotations

import json
import shutil
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from linkyflux.errors import DataError
from linkyflux.sources.contracts import Contract, describe, from_2026, from_v5
from linkyflux.timeutil import PARIS

from simenv import World, world

PRM = "01234567890123"
HOUSE = "22516914714270"
V5 = {  # cyr-ius/myelectricaldatapy tests/fixtures/contract.json, as enedis-api.md §4.1 quotes it
    "customer": {
        "customer_id": "-1137954749",
        "usage_points": [
            {
                "usage_point": {
                    "usage_point_id": PRM,
                    "usage_point_status": "com",
                    "meter_type": "AMM",
                },
                "contracts": {
                    "segment": "C5",
                    "subscribed_power": "9 kVA",
                    "last_activation_date": "2006-05-24+02:00",
                    "distribution_tariff": "BTINFMUDT",
                    "offpeak_hours": "HC (1H30-8H00;12H30-14H00)",
                    "contract_status": "SERVC",
                    "last_distribution_tariff_change_date": "2019-09-13+02:00",
                },
            }
        ],
    }
}
EXPECTED = Contract(PRM, 9.0, "BTINFMUDT", "HC (1H30-8H00;12H30-14H00)", "SERVC", date(2006, 5, 24))


def test_v5() -> None:
    assert from_v5(V5, PRM) == EXPECTED


def test_2026_as_aggregated() -> None:
    situation = [{"distribution_tariff": "BTINFMUDT", "contract_status": "SERVC",
                  "subscribed_power": {"value": "9", "unit": "kVA"}}]  # fmt: skip
    synthese = {"consumption_last_activation_date": "2006-05-24"}
    comptage = {"relais": {"plageHeuresCreuses": "HC (1H30-8H00;12H30-14H00)"}}
    assert from_2026(situation, synthese, comptage, PRM) == EXPECTED
    assert from_2026(situation, synthese, None, PRM).offpeak_hours is None  # comptage refused


def test_bad_v5_body() -> None:
    with pytest.raises(DataError) as info:
        from_v5({"customer": {"usage_points": []}}, PRM)
    assert str(info.value) == (
        f"customers_upc/v5/usage_points/contracts for {PRM}: no customer.usage_points[0].contracts"
    )


@pytest.mark.parametrize(
    ("code", "single"),
    [("BTINFCUST", True), ("BTINFMUST", True), ("BTINFMUDT", False), ("BTINFCU4", False)],
)
def test_single_rate_codes(code: str, single: bool) -> None:
    assert Contract(PRM, 6, code, None, None, None).single_rate is single


def test_describe() -> None:
    assert describe(EXPECTED) == (
        "9 kVA, BTINFMUDT (HP/HC), off-peak HC (1H30-8H00;12H30-14H00), SERVC, "
        "active since 2006-05-24"
    )
    assert Contract.from_json(EXPECTED.to_json()) == EXPECTED


def test_fetch_reads_the_contract_again_after_a_month(tmp_path: Path) -> None:
    """Enedis moves off-peak hours: a month after `auth`, `fetch` reads the contract again
    and says what changed; new days get the new hours, days written keep theirs."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()  # no schedule: the contract's off-peak hours
        assert w.run("auth").exit_code == 0
        at_auth = _contract_calls(w)  # (three calls in the 2026 dialect)
        assert w.run("fetch", "-q").exit_code == 0
        w.simulator.change_contract(HOUSE, offpeak="HC (1H00-7H00)")
        w.clock.advance(29 * 86400)
        assert w.run("fetch", "-q").output == ""  # 29 days on: not read again
        assert _contract_calls(w) == at_auth
        w.clock.advance(86400)
        result = w.run("fetch", "-q")
        assert _contract_calls(w) == 2 * at_auth
        w.clock.advance(86400)
        assert w.run("fetch", "-q").output == ""  # read again a month later only
        assert _contract_calls(w) == 2 * at_auth
        state = json.loads((w.state_dir / "state.json").read_text())["usage_points"][HOUSE]
        hc = Counter(
            _day(ln)
            for ln in w.output_lines()
            if ln.startswith("linky_load_curve,") and "=HC," in ln
        )
    assert result.exit_code == 0
    assert result.output == (
        f"linkyflux: warning: {HOUSE}: the contract changed: was 9 kVA, BTINFMUDT (HP/HC), "
        "off-peak HC (22H00-6H00), SERVC, active since 2015-03-02; now 9 kVA, BTINFMUDT "
        "(HP/HC), off-peak HC (1H00-7H00), SERVC, active since 2015-03-02; to keep the old "
        "hours for the days up to 2026-12-20 (in a backfill or a reclassification), set in "
        '[tariff] offpeak = "22:00-06:00" and add:\n'
        '[[tariff.schedule]]\nfrom = 2026-12-21\noffpeak = ""'
        "  # the contract's hours from then on\n"
    )
    assert state["contract"]["offpeak_hours"] == "HC (1H00-7H00)"
    assert state["contract_read"] == "2026-12-22"
    # 22h00-6h00 (16 half-hours) up to the 20th, also when fetched again; then 1h00-7h00 (12)
    assert {d: hc[d] for d in ("2026-11-21", "2026-12-20", "2026-12-21", "2026-12-22")} == {
        "2026-11-21": 16,
        "2026-12-20": 16 * 2,
        "2026-12-21": 12 * 2,
        "2026-12-22": 12,
    }


def test_the_advice_on_changed_hours_keeps_them_for_history(tmp_path: Path) -> None:
    """Following the advice printed when the contract's hours change, a backfill from
    scratch (a new machine, a lost state) tags the days before the change with the old
    hours and the days after with the new ones."""
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        w.simulator.change_contract(HOUSE, offpeak="HC (1H00-7H00)")
        w.clock.advance(29 * 86400)
        assert w.run("fetch", "-q").exit_code == 0  # up to 2026-12-20, with the old hours
        w.clock.advance(86400)
        advice = w.run("fetch", "-q").output.split("add:\n", 1)[1]
        fresh = tmp_path / "fresh"
        fresh.mkdir()
        shutil.copy(w.state_dir / "tokens.json", fresh / "tokens.json")
        config = w.config(
            tariff={"offpeak": "22:00-06:00"},
            state={"dir": str(fresh)},
            influxdb={"output": str(tmp_path / "fresh.lp")},
        )
        config.write_text(config.read_text() + advice)
        assert w.run("auth").exit_code == 0  # reads the (new) contract into the fresh state
        result = w.run("backfill", "--since", "2026-12-19", "-q")
        assert result.exit_code == 0, result.output
        hc = Counter(
            _day(ln)
            for ln in (tmp_path / "fresh.lp").read_text().splitlines()
            if ln.startswith("linky_load_curve,") and "=HC," in ln
        )
    assert dict(hc) == {"2026-12-19": 16, "2026-12-20": 16, "2026-12-21": 12}


def _contract_calls(w: World) -> int:
    return sum("contrat" in path or "customers" in path for _, path, _ in w.simulator.requests)


def _day(line: str) -> str:
    stamp = int(line.rsplit(" ", 1)[1])
    return datetime.fromtimestamp(stamp, UTC).astimezone(PARIS).date().isoformat()
