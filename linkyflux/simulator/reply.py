"""What every simulated upstream answers with: :class:`Reply` and the bodies they share.

The error shapes follow ``../shared/docs/enedis-api.md`` (§3.4, §5.1): OAuth and Enedis v5
say ``{error, error_description}``, the 2026 APIs ``{code, message}``; a path nobody serves is
the gateway's HTML 404 page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NO_CONSENT = "No consent can be found for this customer and this usage point."
NOT_FOUND_PAGE = "Erreur 404 – La page que vous recherchez n'existe pas"


@dataclass
class Reply:
    """One HTTP answer, before the server writes it (``delay``: real seconds to stall)."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def json_reply(status: int, payload: Any) -> Reply:
    return Reply(status, json.dumps(payload).encode())


def error_reply(status: int, error: str, description: str | None = None) -> Reply:
    """An OAuth or Enedis v5 error: ``{error, error_description}``."""
    body: dict[str, str] = {"error": error}
    if description is not None:
        body["error_description"] = description
    return json_reply(status, body)


def dialect_error(v2026: bool, status: int, code: str, description: str) -> Reply:
    """An Enedis error: ``{code, message}`` in the 2026 dialect, ``{error, error_description}``
    in v5."""
    if v2026:
        return json_reply(status, {"code": code, "message": description})
    return error_reply(status, code, description)


def html_reply(status: int, text: str) -> Reply:
    page = f"<!doctype html><html><body>{text}</body></html>"
    return Reply(status, page.encode(), "text/html; charset=utf-8")


def redirect(location: str) -> Reply:
    return Reply(302, b"", "text/plain", (("Location", location),))
