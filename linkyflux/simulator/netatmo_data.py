"""The simulated Netatmo account's homes and what their energy modules measured: the
topology ``homesdata`` describes and the half-hour truth ``getmeasure`` serves
(:mod:`~linkyflux.simulator.netatmo`).

Two homes (``../shared/docs/netatmo.md`` B2.1):

- ``Maison``: a Legrand Ecocompteur (NLE) ``70:ee:50:00:00:01``, its own bridge, with nine
  channels ``#0``…``#8``. The electric circuits #0–#4 are fixed fractions (0.30, 0.15, 0.12,
  0.08, 0.05: 0.70 in all) of the true half-hours of the simulated Linky meter
  ``22516914714270``, each rounded to whole Wh, so that their sum stays below the Linky
  curve; #5 "Ligne 6" is wired to nothing (no data at all); #6 gas, #7 hot water and #8 cold
  water give small deterministic values whose unit is unverified (Netatmo does not say:
  litres for water, maybe Wh or litres for gas). Beside it a thermostat (NAPlug relay and its
  NATherm1) that an energy client must ignore.
- ``Atelier``: a Legrand gateway (NLG) ``70:ee:50:00:00:10`` bridging an NLPC "Compteur
  atelier" = 0.40 of meter ``12655648759651``'s consumption (rounded), which misses every
  Saturday 03:00–05:00 Paris (those buckets never exist), and a Legrand plug (NLP) with no
  energy history, to be ignored too.

Every value is a pure function of (module, bucket start), like the Linky meters'
(:mod:`~linkyflux.simulator.synthetic`); DST days have 46 or 50 buckets.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from linkyflux.simulator.synthetic import METERS_BY_ID, full_curve
from linkyflux.timeutil import PARIS, paris_day_bounds

HOUSE_ID = "5f0000000000000000000001"
WORKSHOP_ID = "5f0000000000000000000002"
NLE = "70:ee:50:00:00:01"
NLG = "70:ee:50:00:00:10"
NLPC = "70:ee:50:00:00:11"
NLP = "70:ee:50:00:00:12"
RELAY = "70:ee:50:00:00:20"
THERMOSTAT = "04:00:00:00:00:21"
HOUSE_METER = "22516914714270"
WORKSHOP_METER = "12655648759651"
STEP = timedelta(minutes=30)

# NLE channel index -> (name in the app, share of the Linky curve; None: not electric)
NLE_CHANNELS: tuple[tuple[str, float | None], ...] = (
    ("Chauffage", 0.30),
    ("Chauffe-eau", 0.15),
    ("Prises", 0.12),
    ("Cuisine", 0.08),
    ("Éclairage", 0.05),
    ("Ligne 6", None),
    ("Gaz", None),
    ("Eau chaude", None),
    ("Eau froide", None),
)
UNUSED_CHANNELS = frozenset({5})
# gas, hot water, cold water: the largest value a half-hour can have (unit unverified)
FLUID_MAX = {6: 30, 7: 15, 8: 40}
NLPC_SHARE = 0.40
NLPC_GAP_HOURS = (3, 5)  # every Saturday, Paris: [03:00, 05:00) has no bucket


@dataclass(frozen=True, slots=True)
class Module:
    """One module of ``homesdata``: what a client reads to find the bridge of each channel."""

    id: str
    type: str
    name: str
    home_id: str
    room_id: str
    bridge: str | None = None  # None: a bridge itself (modules_bridged lists its children)

    @property
    def device_id(self) -> str:
        """What ``getmeasure``'s ``device_id`` must be: the bridge, or itself for a bridge."""
        return self.bridge or self.id


def _modules() -> tuple[Module, ...]:
    house = [Module(NLE, "NLE", "Écocompteur", HOUSE_ID, "1001")]
    house += [
        Module(f"{NLE}#{i}", "NLE", name, HOUSE_ID, "1001", NLE)
        for i, (name, _) in enumerate(NLE_CHANNELS)
    ]
    house += [
        Module(RELAY, "NAPlug", "Relais", HOUSE_ID, "1002"),
        Module(THERMOSTAT, "NATherm1", "Thermostat", HOUSE_ID, "1002", RELAY),
    ]
    workshop = [
        Module(NLG, "NLG", "Passerelle", WORKSHOP_ID, "2001"),
        Module(NLPC, "NLPC", "Compteur atelier", WORKSHOP_ID, "2001", NLG),
        Module(NLP, "NLP", "Prise compresseur", WORKSHOP_ID, "2001", NLG),
    ]
    return (*house, *workshop)


MODULES = _modules()
MODULES_BY_ID = {m.id: m for m in MODULES}
HOMES = (
    (HOUSE_ID, "Maison", (("1001", "Garage", "garage"), ("1002", "Salon", "livingroom"))),
    (WORKSHOP_ID, "Atelier", (("2001", "Atelier", "custom"),)),
)
SETUP_DATE = 1644496884  # 2022-02-10, as in pyatmo's fixture


def measured_type(module_id: str) -> str | None:
    """The ``type`` that gives this module's values (the other names give nulls): pyatmo asks
    ``sum_energy_elec`` of an NLE and ``sum_energy_buy_from_grid`` of the others."""
    module = MODULES_BY_ID[module_id]
    if module.type == "NLE" and module.bridge:
        return "sum_energy_elec"
    if module.type == "NLPC":
        return "sum_energy_buy_from_grid"
    return None


def _fluid_wh(channel: int, start: datetime) -> int:
    # crc32 of the instant: the same small value on every run and machine
    seed = zlib.crc32(f"{NLE}#{channel}|{start.isoformat()}".encode())
    local_hour = start.astimezone(PARIS).hour
    if local_hour < 6:  # the house sleeps: little water, the boiler idles
        return seed % 3
    return seed % (FLUID_MAX[channel] + 1)


@lru_cache(maxsize=4096)
def _day(module_id: str, day: date) -> tuple[tuple[datetime, int], ...]:
    module = MODULES_BY_ID.get(module_id)
    if module is None:
        raise ValueError(f"unknown Netatmo module {module_id!r}")
    if module.type == "NLPC":
        curve = full_curve(METERS_BY_ID[WORKSHOP_METER], "consumption", day)
        low, high = NLPC_GAP_HOURS
        saturday = day.weekday() == 5
        return tuple(
            (i.start, round(NLPC_SHARE * i.energy_wh))
            for i in curve
            if not (saturday and low <= i.start.astimezone(PARIS).hour < high)
        )
    if module.type != "NLE" or not module.bridge:
        return ()
    channel = int(module_id.rsplit("#", 1)[1])
    share = NLE_CHANNELS[channel][1]
    if share is not None:
        curve = full_curve(METERS_BY_ID[HOUSE_METER], "consumption", day)
        return tuple((i.start, round(share * i.energy_wh)) for i in curve)
    if channel in UNUSED_CHANNELS:
        return ()
    begin, end = paris_day_bounds(day)
    starts = [begin + STEP * n for n in range(int((end - begin) / STEP))]
    return tuple((t, _fluid_wh(channel, t)) for t in starts)


def module_truth(module_id: str, day: date) -> list[tuple[datetime, int]]:
    """Every half-hour (bucket start, UTC-aware; value) the module measured on a Paris day,
    uploaded or not; ``[]`` for a module without energy history; ValueError if unknown."""
    return list(_day(module_id, day))


def homes_body(home_id: str | None = None) -> list[dict[str, Any]]:
    """``homesdata``'s ``body.homes`` (one home if ``home_id`` names one)."""
    homes = []
    for hid, name, rooms in HOMES:
        if home_id and hid != home_id:
            continue
        modules = [m for m in MODULES if m.home_id == hid]
        homes.append(
            {
                "id": hid,
                "name": name,
                "altitude": 35,
                "coordinates": [2.35, 48.85],
                "country": "FR",
                "timezone": "Europe/Paris",
                "rooms": [
                    {
                        "id": rid,
                        "name": rname,
                        "type": rtype,
                        "module_ids": [m.id for m in modules if m.room_id == rid],
                    }
                    for rid, rname, rtype in rooms
                ],
                "modules": [_module_json(m, modules) for m in modules],
            }
        )
    return homes


def _module_json(module: Module, siblings: list[Module]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": module.id,
        "type": module.type,
        "name": module.name,
        "setup_date": SETUP_DATE,
        "room_id": module.room_id,
    }
    if module.bridge:
        out["bridge"] = module.bridge
    else:
        out["modules_bridged"] = [m.id for m in siblings if m.bridge == module.id]
    return out
