"""The InfluxDB schema: the contract between the writer, the dashboards and users.

Dashboards are generated from these names, so renaming one here changes both.
"""

from __future__ import annotations

LOAD_CURVE = "linky_load_curve"
DAILY = "linky_daily"
MAX_POWER = "linky_max_power"
CONTRACT = "linky_contract"
SYNC = "linky_sync"  # where each series stands, for the data-health panel

TAG_USAGE_POINT = "usage_point_id"
TAG_DIRECTION = "direction"
TAG_TARIFF = "tariff"
TAG_TARIFF_CODE = "tariff_code"
TAG_OFFPEAK_HOURS = "offpeak_hours"
TAG_MONTH = "month"  # YYYY-MM, Europe/Paris
TAG_YEAR = "year"  # YYYY, Europe/Paris
TAG_SERIES = "series"  # curve, daily or max_power

FIELD_POWER_W = "power_w"
FIELD_ENERGY_WH = "energy_wh"
FIELD_POWER_VA = "power_va"
FIELD_SUBSCRIBED_KVA = "subscribed_power_kva"
FIELD_COST_EUR = "cost_eur"
FIELD_SUBSCRIPTION_EUR = "subscription_eur"
FIELD_HC_ENERGY_WH = "hc_energy_wh"
FIELD_HP_ENERGY_WH = "hp_energy_wh"
FIELD_BASE_ENERGY_WH = "base_energy_wh"
FIELD_LAST_COMPLETE_S = "last_complete_s"
FIELD_DAYS_BEHIND = "days_behind"
FIELD_MISSING_DAYS = "missing_days"
FIELD_PARTIAL_DAYS = "partial_days"
FIELD_UNAVAILABLE_DAYS = "unavailable_days"
