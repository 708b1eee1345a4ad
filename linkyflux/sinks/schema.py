"""The InfluxDB schema: the contract between the writer, the dashboards and users.

Dashboards are generated from these names, so renaming one here changes both.
"""

from __future__ import annotations

LOAD_CURVE = "linky_load_curve"
DAILY = "linky_daily"
MAX_POWER = "linky_max_power"
CONTRACT = "linky_contract"
SYNC = "linky_sync"  # where each series stands, for the data-health panel
TEMPO = "linky_tempo"  # one point per Tempo day, at its 06:00 start: its colour
NETATMO = "netatmo_energy"  # a Netatmo circuit's energy per 30-minute bucket, at its start

TAG_USAGE_POINT = "usage_point_id"
TAG_DIRECTION = "direction"
TAG_TARIFF = "tariff"
TAG_TARIFF_CODE = "tariff_code"
TAG_OFFPEAK_HOURS = "offpeak_hours"
TAG_MONTH = "month"  # YYYY-MM, Europe/Paris
TAG_YEAR = "year"  # YYYY, Europe/Paris
TAG_SERIES = "series"  # curve, daily or max_power
TAG_COLOUR = "colour"  # Tempo: BLUE, WHITE or RED
# netatmo_energy: the Netatmo home, the module channel, its name and kind (electric, gas,
# hot_water, cold_water); usage_point_id is the Linky meter it hangs off, tariff its HC/HP
TAG_HOME = "home_id"
TAG_MODULE = "module_id"
TAG_CIRCUIT = "circuit"
TAG_KIND = "kind"

FIELD_POWER_W = "power_w"
FIELD_ENERGY_WH = "energy_wh"
FIELD_POWER_VA = "power_va"
FIELD_SUBSCRIBED_KVA = "subscribed_power_kva"
FIELD_COST_EUR = "cost_eur"
FIELD_SUBSCRIPTION_EUR = "subscription_eur"
FIELD_HC_ENERGY_WH = "hc_energy_wh"
FIELD_HP_ENERGY_WH = "hp_energy_wh"
FIELD_BASE_ENERGY_WH = "base_energy_wh"
FIELD_TEMPO = "tempo"  # on Tempo load-curve points: the colour (a string field, not a tag)
FIELD_TEMPO_CODE = "code"  # on linky_tempo: 1 blue, 2 white, 3 red
TEMPO_CODES = {"BLUE": 1, "WHITE": 2, "RED": 3}  # the values of linky_tempo's code
# on Tempo daily points: the complete curve's energy per colour and period
_TEMPO_KEYS = tuple(f"{c}_{p}" for c in ("blue", "white", "red") for p in ("hc", "hp"))
FIELD_TEMPO_ENERGY_WH = tuple(f"{key}_energy_wh" for key in _TEMPO_KEYS)
FIELD_TEMPO_COST_EUR = tuple(f"{key}_cost_eur" for key in _TEMPO_KEYS)
FIELD_LAST_COMPLETE_S = "last_complete_s"
FIELD_DAYS_BEHIND = "days_behind"
FIELD_MISSING_DAYS = "missing_days"
FIELD_PARTIAL_DAYS = "partial_days"
FIELD_UNAVAILABLE_DAYS = "unavailable_days"
