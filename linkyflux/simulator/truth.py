"""Ground truth for tests: what the simulated meters really measured, independent of any
answer format, as :class:`GroundTruth`'s ``truth_*`` and ``GET /_sim/truth``.

Taken straight from :mod:`linkyflux.simulator.synthetic` (the meters as first described:
contract changes made since do not change the truth), with Enedis' own gaps: nothing before
activation, nothing for a revoked consent, no curve without hourly collection
(``../shared/docs/enedis-api.md`` §2.3, §5.2).
"""

from __future__ import annotations

from datetime import date

from linkyflux.models import Direction
from linkyflux.simulator.reply import Reply, json_reply
from linkyflux.simulator.synthetic import (
    METERS_BY_ID,
    Interval,
    daily_energy_wh,
    max_power,
    published_curve,
)


class GroundTruth:
    """The meters' true values, day by day."""

    def truth_curve(self, usage_point_id: str, direction: Direction, day: date) -> list[Interval]:
        """The intervals the API publishes for that day (gaps removed), true instants."""
        meter = METERS_BY_ID[usage_point_id]
        if direction not in meter.directions or not meter.hourly_collection:
            return []
        if day < meter.activation or meter.revoked:
            return []
        return published_curve(meter, direction, day)

    def truth_daily(self, usage_point_id: str, direction: Direction, day: date) -> int | None:
        meter = METERS_BY_ID[usage_point_id]
        if direction not in meter.directions or day < meter.activation or meter.revoked:
            return None
        return daily_energy_wh(meter, direction, day)

    def truth_max_power(self, usage_point_id: str, day: date) -> int | None:
        meter = METERS_BY_ID[usage_point_id]
        if "consumption" not in meter.directions or day < meter.activation or meter.revoked:
            return None
        return max_power(meter, day)[0]

    def _truth(self, query: dict[str, str]) -> Reply:
        """``GET /_sim/truth``: one day of one meter, as JSON."""
        usage_point_id = query.get("usage_point_id", "")
        if usage_point_id not in METERS_BY_ID or "day" not in query:
            return json_reply(
                400, {"error": "usage_point_id (a simulated meter) and day are required"}
            )
        day = date.fromisoformat(query["day"])
        direction: Direction = (
            "production" if query.get("direction") == "production" else "consumption"
        )
        curve = self.truth_curve(usage_point_id, direction, day)
        return json_reply(
            200,
            {
                "usage_point_id": usage_point_id,
                "direction": direction,
                "day": day.isoformat(),
                "points": len(curve),
                "curve_energy_wh": sum(i.energy_wh for i in curve),
                "first_start": curve[0].start.isoformat() if curve else None,
                "last_start": curve[-1].start.isoformat() if curve else None,
                "daily_energy_wh": self.truth_daily(usage_point_id, direction, day),
                "max_power_va": self.truth_max_power(usage_point_id, day),
            },
        )
