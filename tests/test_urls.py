"""What may be printed of a URL."""

from __future__ import annotations

import pytest

from linkyflux.urls import public_url, scrub_urls


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:s3cret@influx.lan:8086/api", "http://influx.lan:8086/api"),
        ("https://token@gw.example/", "https://gw.example/"),
        ("ftp://u:p@host", "ftp://host"),
        ("http://influx.lan:8086", "http://influx.lan:8086"),
        ("http://[::1]:8086", "http://[::1]:8086"),
        ("not a url", "not a url"),
        ("http://u:p@[bad", "http://[bad"),
    ],
)
def test_a_url_is_shown_without_its_userinfo(url: str, shown: str) -> None:
    assert public_url(url) == shown


def test_every_url_of_a_message_is_scrubbed() -> None:
    message = "cannot reach InfluxDB at http://a:b@h:1 and https://c@d/e (ConnectError)"
    assert (
        scrub_urls(message) == "cannot reach InfluxDB at http://h:1 and https://d/e (ConnectError)"
    )
