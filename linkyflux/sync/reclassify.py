"""Rewriting history with the configured off-peak schedule (``backfill --reclassify``).

The ``tariff`` tag is part of a load-curve point's key: a day rewritten with other tags would
leave its old points beside the new ones. So a day keeps the schedule it was first written
with (see :class:`linkyflux.sync.engine.Fetcher`) until a reclassification, which:

1. records in the state, per usage point, the day from which its load curve must go
   (``delete_from``), and saves it;
2. deletes that range from the sink (InfluxDB 1.x ``DELETE``, the 2.x delete API);
3. marks those days missing (the load curve: an empty answer later is no reason to call
   them complete) or stale (the daily energy, whose cost follows the curve), forgets the
   schedules and costs recorded for them, clears ``delete_from``, saves;
4. fetches them again, tagged with the schedule configured now.

Every run does 2 and 3 for a ``delete_from`` left by a killed run before it writes anything,
so old and new tags never meet. A sink that cannot delete (a file, InfluxDB 3) stops the
reclassification before anything changes, with what to do instead; ``--no-delete`` then
skips step 2 for users who deleted the points themselves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from linkyflux.sinks import schema
from linkyflux.sinks.writers import CannotDelete, Sink
from linkyflux.sources.enedis import horizon
from linkyflux.sync.state import SyncState, UsagePointState
from linkyflux.tariffs.classifier import Classifier
from linkyflux.timeutil import paris_midnight

_REWRITTEN = ("curve", "daily")  # the daily points carry the curve's cost


def retag_days(point: UsagePointState, classifier: Classifier, usage_point_id: str) -> list[date]:
    """The days whose load curve was tagged with another schedule than the one configured
    for them now. A contract that changed is not a reason: its old hours were in force on
    the days tagged with them (neither record then comes from ``[tariff]``)."""
    out = []
    for day, recorded in point.day_schedules.items():
        current = classifier.schedule_on(usage_point_id, day)
        if recorded != current and (recorded.configured or current.configured):
            out.append(day)
    return sorted(out)


def rewrite_from(
    state: SyncState,
    classifier: Classifier,
    usage_points: Iterable[str],
    since: date | None,
    today: date,
) -> tuple[dict[str, date], list[str]]:
    """From which day to rewrite each usage point's history: ``since``, else its first day
    tagged otherwise than configured; never before what Enedis can send again. Returns the
    plan and notes for the user."""
    lower = horizon(today, curve=True)
    chosen: dict[str, date] = {}
    notes: list[str] = []
    for usage_point_id in usage_points:
        point = state.point(usage_point_id)
        first = since
        if first is None:
            days = retag_days(point, classifier, usage_point_id)
            if not days:
                continue
            first = days[0]
        floor = max(lower, point.activation or lower)
        if first < floor:
            notes.append(
                f"{usage_point_id}: the load curve before {floor} cannot be fetched again "
                f"(Enedis keeps 24 months), so it keeps its tags: reclassifying from {floor}"
            )
            first = floor
        if first < today:
            chosen[usage_point_id] = first
    return chosen, notes


def start(
    state: SyncState, chosen: dict[str, date], sink: Sink, today: date, *, delete: bool
) -> None:
    """Record the reclassification, and (unless the sink cannot delete) carry it out up to
    the fetch. With ``delete=False``, the days are only marked to be fetched again."""
    for usage_point_id, since in chosen.items():
        point = state.point(usage_point_id)
        if delete:
            point.delete_from = min(since, point.delete_from or since)
        else:
            forget(point, since)
    state.save()
    try:
        apply_deletes(state, sink, today)
    except CannotDelete:
        for usage_point_id in chosen:
            state.point(usage_point_id).delete_from = None
        state.save()
        raise


def apply_deletes(state: SyncState, sink: Sink, today: date) -> None:
    """Delete what a reclassification asked for (see the module doc). Raises the sink's
    error, leaving the rest for the next run."""
    for usage_point_id, point in sorted(state.usage_points.items()):
        since = point.delete_from
        if since is None:
            continue
        sink.delete(
            schema.LOAD_CURVE,
            {schema.TAG_USAGE_POINT: usage_point_id},
            paris_midnight(since),
            paris_midnight(today + timedelta(days=2)),  # nothing is stamped later
        )
        forget(point, since)
        point.delete_from = None
        state.save()


def forget(point: UsagePointState, since: date) -> None:
    """Forget the load curve written from ``since`` on (deleted: missing again, and caught up
    by the next runs until it is back), mark the daily points stale (they stay, their cost
    follows the curve), and drop the days' schedules and totals."""
    for key, series in point.series.items():
        kind = key.split("/")[1]
        if kind not in _REWRITTEN:
            continue
        for day, status in list(series.days.items()):
            if day >= since and status in ("complete", "partial", "stale"):
                series.mark(day, "missing" if kind == "curve" else "stale")
        if kind == "curve":
            series.ask(since)
    point.day_schedules = {d: s for d, s in point.day_schedules.items() if d < since}
    point.uncoloured = {d for d in point.uncoloured if d < since}
    for direction, totals in point.curve_totals.items():
        point.curve_totals[direction] = {d: t for d, t in totals.items() if d < since}
