"""The consent proxy's tokens, stored in the state dir as JSON, mode 0600, written atomically.

Nothing here ever puts a token in a message, a log line or a ``repr``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from linkyflux.errors import AuthError
from linkyflux.fsutil import write_private

TOKEN_FILE = "tokens.json"
# Refresh this long before the proxy's expiry, so a request never races the deadline.
REFRESH_MARGIN = timedelta(minutes=10)


@dataclass(frozen=True)
class Tokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime
    usage_points: tuple[str, ...]
    consent_url: str
    token_type: str = "Bearer"

    def expiring(self, now: datetime) -> bool:
        return now >= self.expires_at - REFRESH_MARGIN

    def with_access(
        self, access_token: str, expires_at: datetime, refresh_token: str | None = None
    ) -> Tokens:
        """The tokens after a refresh; with ``refresh_token``, the one that replaced ours
        (RFC 6749 §6: it rotated, ours may be dead already)."""
        return replace(
            self,
            access_token=access_token,
            expires_at=expires_at,
            refresh_token=refresh_token or self.refresh_token,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at.isoformat(),
            "usage_points": list(self.usage_points),
            "consent_url": self.consent_url,
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Tokens:
        expires_at = datetime.fromisoformat(raw["expires_at"])
        if expires_at.tzinfo is None:
            raise ValueError("expires_at has no time zone")
        return cls(
            access_token=str(raw["access_token"]),
            refresh_token=str(raw["refresh_token"]),
            token_type=str(raw.get("token_type", "Bearer")),
            expires_at=expires_at,
            usage_points=tuple(str(p) for p in raw["usage_points"]),
            consent_url=str(raw["consent_url"]),
        )


class TokenStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / TOKEN_FILE

    def load(self) -> Tokens:
        try:
            raw = json.loads(self.path.read_text())
            return Tokens.from_json(raw)
        except FileNotFoundError:
            raise AuthError(
                f"no consent yet ({self.path} is missing): run `linkyflux auth`"
            ) from None
        except (ValueError, KeyError, TypeError) as exc:
            raise AuthError(
                f"{self.path} is unreadable ({type(exc).__name__}): run `linkyflux auth`"
            ) from None

    def save(self, tokens: Tokens) -> None:
        write_private(self.path, json.dumps(tokens.to_json(), indent=2).encode())
