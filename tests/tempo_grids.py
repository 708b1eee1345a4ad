"""The regulated Tempo prices (€/kWh TTC, the same for every subscribed power), from
tempo-and-seasons.md §A2.2, for the tests: the grid of a day, and the ``[[tariff.price]]``
entries that give them to linkyflux."""

from __future__ import annotations

from datetime import date

KEYS = ("blue_hc", "blue_hp", "white_hc", "white_hp", "red_hc", "red_hp")
GRIDS: dict[date, dict[str, float]] = {
    start: dict(zip(KEYS, prices, strict=True))
    for start, prices in {
        date(2025, 2, 1): (0.1288, 0.1552, 0.1447, 0.1792, 0.1518, 0.6586),
        date(2025, 8, 1): (0.1232, 0.1494, 0.1391, 0.1730, 0.1460, 0.6468),
        date(2026, 2, 1): (0.1325, 0.1612, 0.1499, 0.1871, 0.1575, 0.7060),
        date(2026, 8, 1): (0.1356, 0.1654, 0.1536, 0.1921, 0.1615, 0.7295),
    }.items()
}


def grid_on(day: date) -> dict[str, float]:
    """The grid in force on ``day`` (from 00:00 of its first day)."""
    return GRIDS[max(start for start in GRIDS if start <= day)]


def prices_toml(subscription: float | None = None) -> str:
    """Every grid as ``[[tariff.price]]`` entries (with a monthly ``subscription`` on the
    first)."""
    entries = []
    for n, (start, grid) in enumerate(sorted(GRIDS.items())):
        lines = ["[[tariff.price]]", f"from = {start}"]
        if n == 0 and subscription is not None:
            lines.append(f"subscription = {subscription}")
        lines += [f"{key} = {price}" for key, price in grid.items()]
        entries.append("\n".join(lines) + "\n")
    return "".join(entries)
