"""Tempo days written before their colour was known (see :mod:`linkyflux.sync.totals`): their
load curve is fetched again once the colour is, and rewritten with its cost (the same series
and instants: the points are overwritten, never doubled); until then, the run says so."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from linkyflux.sources.tempo import TempoColours
from linkyflux.sync.report import day_list
from linkyflux.sync.state import SyncState


def recolour(state: SyncState, usage_points: Sequence[str], colours: TempoColours) -> bool:
    """Mark stale the uncoloured days whose colours are now known: the night before 06:00 is
    the day before's colour, the rest the day's own. Whether any day was marked."""
    marked = False
    for usage_point_id in usage_points:
        point = state.point(usage_point_id)
        curve = point.of("consumption/curve")
        for day in sorted(point.uncoloured):
            known = colours.colour(day - timedelta(days=1)) and colours.colour(day)
            if known and curve.status(day) in ("complete", "partial"):
                curve.mark(day, "stale")
                marked = True
    return marked


def tempo_warnings(
    state: SyncState, usage_points: Sequence[str], colours: TempoColours
) -> list[str]:
    """What the user should know: the colour source failed, days wait for their colour."""
    waiting = sorted({d for u in usage_points for d in state.point(u).uncoloured})
    messages = []
    if colours.failure is not None:
        messages.append(f"{colours.failure}: Tempo colours are asked again next run")
    if waiting:
        messages.append(
            f"Tempo: the colour of {day_list(waiting)} is not known yet: their load curve is "
            "written without a cost, and priced by the run that learns it"
        )
    return messages
