"""Certificate checks for the HTTP clients of both ends of the pipeline (the gateways and
InfluxDB): a small shared helper, so that neither end imports the other."""

from __future__ import annotations

import functools
import ssl

import httpx


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    return httpx.create_ssl_context()


def tls_for(url: str) -> ssl.SSLContext | bool:
    """Certificate checks for https URLs; loading the CA bundle costs ~80 ms, so only then,
    and once per process."""
    return _ssl_context() if url.startswith("https:") else False
