"""What may be printed of a URL: never its user and password (``http://user:pass@host``).

Used wherever a URL reaches a message, a summary or a log line: the settings' errors, the
sinks' descriptions, the gateways' "cannot reach" lines.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")


def public_url(url: str) -> str:
    """``url`` without its userinfo: ``http://u:p@host:8086/x`` -> ``http://host:8086/x``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return scrub_urls(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=host))


def scrub_urls(text: str) -> str:
    """Every URL in ``text`` without its userinfo (a message's last safety net)."""
    return _USERINFO.sub(r"\1", text)
