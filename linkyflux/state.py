"""What linkyflux remembers between runs about each usage point (``state.json``).

Today: which directions a meter measures (a wrong-direction answer, ADAM-ERR0069, is never
asked again) and the meter's activation date once Enedis revealed it (ADAM-ERR0123), so
later runs do not ask for data before it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from linkyflux.errors import ConfigError
from linkyflux.fsutil import write_private

STATE_FILE = "state.json"
VERSION = 1


@dataclass
class UsagePointState:
    # direction -> does the meter measure it (absent: not known yet)
    directions: dict[str, bool] = field(default_factory=dict)
    activation: date | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "directions": dict(sorted(self.directions.items())),
            "activation": self.activation.isoformat() if self.activation else None,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> UsagePointState:
        activation = raw.get("activation")
        return cls(
            directions={str(k): bool(v) for k, v in (raw.get("directions") or {}).items()},
            activation=date.fromisoformat(activation) if activation else None,
        )


class SyncState:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / STATE_FILE
        self.usage_points: dict[str, UsagePointState] = {}
        if self.path.exists():
            try:
                raw = json.loads(self.path.read_text())
                self.usage_points = {
                    prm: UsagePointState.from_json(v) for prm, v in raw["usage_points"].items()
                }
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise ConfigError(
                    f"{self.path} is corrupt ({type(exc).__name__}): move it away to start afresh"
                ) from None

    def point(self, usage_point_id: str) -> UsagePointState:
        return self.usage_points.setdefault(usage_point_id, UsagePointState())

    def save(self) -> None:
        raw = {
            "version": VERSION,
            "usage_points": {k: v.to_json() for k, v in sorted(self.usage_points.items())},
        }
        write_private(self.path, json.dumps(raw, indent=2).encode())
