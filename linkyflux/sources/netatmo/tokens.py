"""Netatmo's tokens, in ``<state>/netatmo_tokens.json``: mode 0600, written atomically,
versioned (``"version": 1``) and validated when read back.

Netatmo rotates the refresh token on every refresh (docs/netatmo.md B1): this file is
replaced, whole and atomically, right after each refresh answer, before the new access
token is used. Nothing here ever puts a token in a message, a log line or a ``repr``: a value
of the file that does not fit its schema is named by its field, never quoted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from linkyflux.fsutil import Field, keep_private, read_document, schema_of, write_private

TOKEN_FILE = "netatmo_tokens.json"
VERSION = 1
AUTH_COMMAND = "linkyflux auth --netatmo"  # the command that writes this file again
WHAT_TO_DO = f"run `{AUTH_COMMAND}` to write it again"
# Refresh when less than this is left (docs/netatmo.md B1: the access token lives 3 h).
REFRESH_MARGIN = timedelta(minutes=5)
SCOPE = "read_magellan"  # Legrand wiring devices and electrical panels: the energy meters


@dataclass(frozen=True)
class NetatmoTokens:
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    expires_at: datetime  # aware; a pasted pair's is unknown: its paste time (refresh first)
    scope: tuple[str, ...] = ()

    def expiring(self, now: datetime) -> bool:
        return now >= self.expires_at - REFRESH_MARGIN

    def to_json(self) -> dict[str, Any]:
        return {
            "version": VERSION,
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": list(self.scope),
        }

    @classmethod
    def from_json(cls, raw: Field) -> NetatmoTokens:
        return cls(
            access_token=_token(raw["access_token"]),
            refresh_token=_token(raw["refresh_token"]),
            expires_at=raw["expires_at"].instant(),
            scope=tuple(s.text() for s in raw.entries("scope")),
        )


def _token(raw: Field) -> str:
    value = raw.text()
    if not value:
        raise raw.bad("empty")
    return value


class NetatmoTokenStore:
    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / TOKEN_FILE

    def load(self) -> NetatmoTokens | None:
        """The saved tokens (None: no consent yet); a damaged file is a StateError naming
        the field, never quoting it."""
        document = read_document(self.path, VERSION, WHAT_TO_DO, quote=False)
        if document is None:
            return None
        with schema_of(self.path, WHAT_TO_DO):
            tokens = NetatmoTokens.from_json(document)
        keep_private(self.path, "your Netatmo tokens", AUTH_COMMAND)
        return tokens

    def save(self, tokens: NetatmoTokens) -> None:
        """Replace the file atomically (0600 from its first byte): a crash leaves the old
        pair or the new one, never half of each."""
        write_private(self.path, json.dumps(tokens.to_json(), indent=2).encode())
