"""The simulator's state, shared by every upstream it plays: its clock and switches, the
meters as they are now, the tokens issued, the rate-limit buckets, the faults waiting, the
Tempo colours tests force or remove, and the counters tests read.

Enedis (:mod:`~linkyflux.simulator.enedis`) and the consent proxy in front of it
(:mod:`~linkyflux.simulator.proxy`) extend :class:`State`; the other gateways act on the
Enedis behind them. None of them knows the others' routes. The switches make the simulator as
rude as a real gateway can be (``../shared/docs/real-answers.md``).
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, Literal

from linkyflux.simulator.faults import FAULT_KINDS, Fault
from linkyflux.simulator.synthetic import DEFAULT_CONSENT, METERS_BY_ID, Meter
from linkyflux.timeutil import Clock, SystemClock, paris_today


class State:
    """Clock, switches, meters, tokens, buckets, faults and counters; no answers."""

    def __init__(
        self,
        clock: Clock | None = None,
        *,
        client_id: str = "linkyflux-simulator",
        requests_per_minute: int = 12,
        publication_hour: int = 8,
        consent: tuple[str, ...] = DEFAULT_CONSENT,
        dialects: tuple[str, ...] = ("v5", "2026"),
        serves_contracts: bool = True,
        rotate_refresh_tokens: bool = False,
        unserved_dialect_404: Literal["page", "coded"] = "page",
        med_ignores_format: bool = False,
    ) -> None:
        self.clock = clock or SystemClock()
        self.client_id = client_id
        self.requests_per_minute = requests_per_minute
        self.publication_hour = publication_hour
        self.consent = consent
        # the metering API dialects this gateway serves: the other one's paths are a 404 page,
        # or ("coded") a 404 with an error code of the gateway's own
        self.dialects = dialects
        self.unserved_dialect_404 = unserved_dialect_404
        # False: a gateway without the contract APIs (their paths are a 404 page)
        self.serves_contracts = serves_contracts
        # True: each refresh grant returns a new refresh token and the old one dies at once
        # (RFC 6749 §6; Netatmo does so, the consent proxy does not today)
        self.rotate_refresh_tokens = rotate_refresh_tokens
        self.base_url = ""
        self._lock = threading.RLock()
        self._codes: dict[str, dict[str, Any]] = {}  # device_code -> entry
        self._user_codes: dict[str, str] = {}  # user code (no hyphen) -> device_code
        self._states: dict[str, str] = {}  # consent state -> device_code
        self._access: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self._refresh: dict[str, tuple[tuple[str, ...], datetime]] = {}
        self._buckets: dict[str, deque[datetime]] = {}
        self._faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.request_times: list[datetime] = []  # when each of ``requests`` arrived
        # Called with the path of every data call before it is answered (tests use it to
        # break something else at a precise point of a run).
        self.on_data_call: Callable[[str], None] | None = None
        self.faults_served = 0
        # usage point -> contract fields changed since (see change_contract)
        self.contract_changes: dict[str, dict[str, Any]] = {}
        # Conso API: banned clients (their requests are counted by rate_exceeded)
        self.conso_banned: set[str] = set()
        # Enedis direct: the application's tokens, and its hourly quota
        self.app_tokens: dict[str, datetime] = {}
        self.enedis_hourly_quota = 1000
        self.enedis_served: deque[datetime] = deque()  # the calls it answered, last hour
        # MyElectricalData: calls per UTC day
        self.med_calls: dict[date, int] = {}
        # True: an older MyElectricalData instance, which ignores X-MED-Format: 2026 and
        # answers v5 bodies whatever the request
        self.med_ignores_format = med_ignores_format
        # Tempo (api-couleur-tempo.fr and RTE): colours tests force over the calendar, days
        # neither source has at all, each Tempo request's path and query (for tests counting
        # calls), and RTE's tokens (token -> expiry)
        self.tempo_overrides: dict[date, str] = {}
        self.tempo_holes: set[date] = set()
        self.tempo_calls: list[str] = []
        self.rte_tokens: dict[str, datetime] = {}

    # ----------------------------------------------------------------- test controls
    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return paris_today(self.clock)

    def inject(
        self, kind: str, count: int = 1, path_contains: str = "", delay: float = 2.0
    ) -> None:
        """Make the next ``count`` data calls (whose path contains ``path_contains``) fail."""
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; one of {', '.join(FAULT_KINDS)}")
        with self._lock:
            self._faults.append(Fault(kind, count, path_contains, delay))

    def change_contract(self, usage_point_id: str, **fields: Any) -> None:
        """Change a meter's contract from now on (``offpeak``, ``tariff``, ``subscribed_kva``),
        as when Enedis moves its off-peak hours, or the meter itself (``directions``: solar
        panels added). Ground truth (``truth_*``) stays the original meter's."""
        with self._lock:
            self.contract_changes.setdefault(usage_point_id, {}).update(fields)

    def meter(self, usage_point_id: str) -> Meter | None:
        """The simulated meter as it is now (with its changes), None if unknown."""
        meter = METERS_BY_ID.get(usage_point_id)
        changes = self.contract_changes.get(usage_point_id)
        return dataclasses.replace(meter, **changes) if meter and changes else meter

    def expire_access_tokens(self) -> None:
        with self._lock:
            self._access.clear()

    def revoke_refresh_tokens(self) -> None:
        with self._lock:
            self._refresh.clear()

    # ----------------------------------------------------------------- rate limits
    def rate_exceeded(self, key: str, limit: int, per: timedelta) -> bool:
        """Count this request under ``key``: more than ``limit`` within ``per``?"""
        now = self.now()
        with self._lock:
            bucket = self._buckets.setdefault(key, deque())
            while bucket and now - bucket[0] >= per:
                bucket.popleft()
            bucket.append(now)
            return len(bucket) > limit
