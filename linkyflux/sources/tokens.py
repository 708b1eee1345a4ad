"""The consent proxy's tokens, stored in the state dir as JSON, mode 0600, written atomically.

Nothing here ever puts a token in a message, a log line or a ``repr``: a value of the file
that does not fit its schema is named by its field, never quoted. A file others could read
(0644) is made 0600 again, with a warning.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from linkyflux.errors import AuthError
from linkyflux.fsutil import Field, keep_private, read_document, schema_of, write_private

TOKEN_FILE = "tokens.json"
VERSION = 1  # a file without a version is version 1
WHAT_TO_DO = "run `linkyflux auth` to write it again"
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
            "version": VERSION,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "token_type": self.token_type,
            "expires_at": self.expires_at.isoformat(),
            "usage_points": list(self.usage_points),
            "consent_url": self.consent_url,
        }

    @classmethod
    def from_json(cls, raw: Field) -> Tokens:
        token_type = raw.get("token_type")
        return cls(
            access_token=raw["access_token"].text(),
            refresh_token=raw["refresh_token"].text(),
            token_type=token_type.text() if token_type else "Bearer",
            expires_at=raw["expires_at"].instant(),
            usage_points=tuple(p.text() for p in raw["usage_points"].entries()),
            consent_url=raw["consent_url"].text(),
        )


class TokenStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / TOKEN_FILE

    def load(self) -> Tokens:
        document = read_document(self.path, VERSION, WHAT_TO_DO, quote=False)
        if document is None:
            raise AuthError(f"no consent yet ({self.path} is missing): run `linkyflux auth`")
        with schema_of(self.path, WHAT_TO_DO):
            tokens = Tokens.from_json(document)
        keep_private(self.path, "your tokens", "linkyflux auth")
        return tokens

    def save(self, tokens: Tokens) -> None:
        write_private(self.path, json.dumps(tokens.to_json(), indent=2).encode())
