"""The metering paths Enedis serves, in both dialects, and the query names of each.

v5 (``metering_data_*/v5/…``, ``usage_point_id``/``start``/``end``) and Data Connect 2026
(``mesure_synchrone_auto/v2/…``, ``pointId``/``dateDebut``/``dateFin``), as
``../shared/docs/enedis-api.md`` lists them (§2.1, §9). Each path names the series it serves:
the simulator answers both from the same meters.
"""

from __future__ import annotations

from linkyflux.models import Direction

# path -> (kind, direction)
ENDPOINTS: dict[str, tuple[str, Direction]] = {
    "metering_data_clc/v5/consumption_load_curve": ("curve", "consumption"),
    "metering_data_plc/v5/production_load_curve": ("curve", "production"),
    "metering_data_dc/v5/daily_consumption": ("daily", "consumption"),
    "metering_data_dp/v5/daily_production": ("daily", "production"),
    "metering_data_dcmp/v5/daily_consumption_max_power": ("max_power", "consumption"),
}

ENDPOINTS_2026: dict[str, tuple[str, Direction]] = {
    "mesure_synchrone_auto/v2/courbe_de_charge_consommation": ("curve", "consumption"),
    "mesure_synchrone_auto/v2/courbe_de_charge_production": ("curve", "production"),
    "mesure_synchrone_auto/v2/consommation_quotidienne": ("daily", "consumption"),
    "mesure_synchrone_auto/v2/production_quotidienne": ("daily", "production"),
    "mesure_synchrone_auto/v2/puissance_conso_max_quotidienne": ("max_power", "consumption"),
}
# each 2026 path -> the v5 path of the same series
V5_TWIN = {
    path: v5
    for v5, series in ENDPOINTS.items()
    for path, twin in ENDPOINTS_2026.items()
    if twin == series
}
# the query parameters of each dialect
PARAMS = {
    "v5": {"usage_point": "usage_point_id", "start": "start", "end": "end"},
    "2026": {"usage_point": "pointId", "start": "dateDebut", "end": "dateFin"},
}
