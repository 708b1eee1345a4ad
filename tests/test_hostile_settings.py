"""Bad settings, through the CLI (issue #17): whatever enters through the config file, the
``LINKYFLUX_*`` environment or the off-peak and price syntax is one line naming the key (or
the variable) and what to do, exit code 3, never a traceback, a secret or a raw invisible
character. Unknown variables are one warning each, and the run goes on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hostile import assert_one_line, clean_env, invoke

TEN_THOUSAND_DIGITS = "1" * 10_000
BOM = b"\xef\xbb\xbf"
URL = "[consent]\nurl = 'https://consent.example.org'\n"


@dataclass(frozen=True)
class Row:
    id: str
    config: str | bytes | None  # the config file's content (None: no config file)
    says: str | re.Pattern[str] = ""  # the first error line says this
    exit_code: int = 3
    env: dict[str, str] = field(default_factory=dict)
    argv: tuple[str, ...] = ("status",)
    secrets: tuple[str, ...] = ()
    lines: int = 1
    warns: tuple[str, ...] = ()  # warnings that must be printed, exactly


def price(line: str) -> str:
    return f"[[tariff.price]]\nfrom = 2026-02-01\n{line}\n"


SECONDS = "must be a number of seconds, more than 0 and at most 3600"
PER_KWH = 'a price in euros per kWh from 0 to 100, or "none" to end the one before'
NOT_JSON = re.compile(r"not valid JSON \(.*\): write (a JSON object|a JSON list)")

ROWS = [
    # 1. the file's encoding
    Row(
        "latin-1-comment",
        b"# tarif heures creuses d\xe9cembre\n" + URL.encode(),
        re.compile(r"c\.toml: line 1: byte 0xe9 is not UTF-8: save the file as UTF-8$"),
    ),
    Row(
        "stray-byte-in-a-value",
        URL.encode() + b"client_id = 'ab\xffcd'\n",
        re.compile(r"c\.toml: line 3: byte 0xff is not UTF-8"),
    ),
    Row("utf8-bom-is-accepted", BOM + URL.encode(), exit_code=0, lines=0),
    Row(
        "an-integer-of-5000-digits",
        "[consent]\nrequests_per_minute = 1" + "0" * 5000 + "\n",
        "c.toml: not valid TOML: a number of more than 4300 digits",
    ),
    Row(
        "arrays-nested-100000-deep",
        "x = " + "[" * 100_000 + "]" * 100_000 + "\n",
        "c.toml: not valid TOML: nested too deeply",
    ),
    # 2. numbers: finite, in range, not booleans
    Row(
        "consent-timeout-inf", "[consent]\ntimeout = inf\n", f"consent.timeout: {SECONDS} (got inf)"
    ),
    Row(
        "consent-timeout-nan", "[consent]\ntimeout = nan\n", f"consent.timeout: {SECONDS} (got nan)"
    ),
    Row("consent-timeout-1e12", "[consent]\ntimeout = 1e12\n", f"consent.timeout: {SECONDS}"),
    Row("consent-timeout-true", "[consent]\ntimeout = true\n", f"consent.timeout: {SECONDS}"),
    Row(
        "consent-timeout-inf-from-the-environment",
        None,
        f"LINKYFLUX_CONSENT__TIMEOUT: consent.timeout: {SECONDS} (got 'inf')",
        env={"LINKYFLUX_CONSENT__TIMEOUT": "inf"},
    ),
    Row(
        "influxdb-v2-timeout-inf",
        "[influxdb]\napi = 'v2'\ntimeout = inf\n",
        f"influxdb.timeout: {SECONDS} (got inf)",
    ),
    Row(
        "influxdb-timeout-1e30-fetch",
        "[influxdb]\ntimeout = 1e30\n",
        f"influxdb.timeout: {SECONDS} (got 1e+30)",
        argv=("fetch",),
    ),
    Row("tempo-timeout-inf", "[tempo]\ntimeout = inf\n", f"tempo.timeout: {SECONDS}"),
    Row(
        "requests-per-minute-true",
        "[consent]\nrequests_per_minute = true\n",
        "consent.requests_per_minute: must be a whole number, not true or false",
    ),
    Row(
        "batch-size-a-trillion",
        "[influxdb]\nbatch_size = 1_000_000_000_000\n",
        "influxdb.batch_size: Input should be less than or equal to 1000000",
    ),
    Row("price-inf", price("hc = inf"), f"tariff.price.0.hc: {PER_KWH} (got inf)"),
    Row("price-1e308", price("hp = 1e308"), f"tariff.price.0.hp: {PER_KWH} (got 1e+308)"),
    Row("price-negative", price("base = -0.1"), f"tariff.price.0.base: {PER_KWH} (got -0.1)"),
    Row("price-true-is-no-price", price("hc = true"), f"tariff.price.0.hc: {PER_KWH} (got true)"),
    Row(
        "subscription-1e5",
        price("subscription = 1e5"),
        "tariff.price.0.subscription: a price in euros per month from 0 to 10000, or",
    ),
    # 3. the off-peak syntax
    Row(
        "offpeak-hour-of-10000-digits",
        f"[tariff]\noffpeak = '1h-2h {TEN_THOUSAND_DIGITS}h-3h'\n",
        re.compile(r'tariff\.offpeak: offpeak schedule: "1{40}…" at position 7: hour 1{10}… is'),
    ),
    Row(
        "offpeak-number-of-10000-digits",
        f"[tariff]\noffpeak = '{TEN_THOUSAND_DIGITS}'\n",
        re.compile(r'tariff\.offpeak: .*"1{40}…" at position 1: a usage point number has 14 dig'),
    ),
    Row(
        "offpeak-usage-point-of-13-digits",
        "[tariff]\noffpeak = '2h-7h 1234567890123 1h-6h'\n",
        'tariff.offpeak: offpeak schedule: "1234567890123" at position 7: a usage point number '
        "has 14 digits",
    ),
    Row(
        "schedule-offpeak-10000-digits-from-the-environment",
        None,
        re.compile(r"LINKYFLUX_TARIFF__SCHEDULE: tariff\.schedule #1 \(from 2026-11-01\): offpe"),
        env={
            "LINKYFLUX_TARIFF__SCHEDULE": f'[{{"from": "2026-11-01", "offpeak": '
            f'"1h-{TEN_THOUSAND_DIGITS}h"}}]'
        },
    ),
    # 4. the state directory
    Row(
        "state-dir-of-an-unknown-user",
        "[state]\ndir = '~nosuchuser/x'\n",
        "state.dir: ~nosuchuser is not a user of this machine: write the whole path "
        "(got '~nosuchuser/x')",
    ),
    # 5. garbage in the environment
    Row(
        "consent-section-not-json",
        URL,
        NOT_JSON,
        env={"LINKYFLUX_CONSENT": "garbage{"},
    ),
    Row("consent-section-empty", None, NOT_JSON, env={"LINKYFLUX_CONSENT": ""}),
    Row(
        "consent-section-with-a-token-cut-short",
        None,
        "LINKYFLUX_CONSENT: consent: not valid JSON",
        env={"LINKYFLUX_CONSENT": '{"token": "s3cret-token", "url": '},
        secrets=("s3cret-token",),
    ),
    Row(
        "tariff-schedule-not-json",
        None,
        "LINKYFLUX_TARIFF__SCHEDULE: tariff.schedule: not valid JSON",
        env={"LINKYFLUX_TARIFF__SCHEDULE": "garbage"},
    ),
    Row(
        "usage-points-not-json",
        None,
        "LINKYFLUX_CONSENT__USAGE_POINTS: consent.usage_points: not valid JSON (Expecting value, "
        'column 1): write a JSON list, such as ["12345678901234"]',
        env={"LINKYFLUX_CONSENT__USAGE_POINTS": "garbage"},
    ),
    Row(
        "bad-price-variable-is-named-not-the-file",
        URL,
        "LINKYFLUX_TARIFF__PRICE: tariff.price.0.from: Input should be a valid date",
        env={"LINKYFLUX_TARIFF__PRICE": '[{"from": "x", "hc": 0.2}]'},
    ),
    Row(
        "a-variable-below-a-string-is-named",
        URL,
        "LINKYFLUX_INFLUXDB__TOKEN__X: influxdb.token: Input should be a valid string",
        env={"LINKYFLUX_INFLUXDB__TOKEN__X": "s3cret-token"},
        secrets=("s3cret-token",),
    ),
    # 6. URLs
    Row("consent-url-without-host", "[consent]\nurl = 'http://'\n", "consent.url: has no host"),
    Row(
        "consent-url-with-a-space",
        "[consent]\nurl = 'https://consent proxy.example.org'\n",
        "consent.url: must not contain spaces",
    ),
    Row("consent-url-path-only", "[consent]\nurl = 'https:///x'\n", "consent.url: has no host"),
    Row(
        "consent-url-bad-port",
        "[consent]\nurl = 'https://h.example.org:99999'\n",
        "consent.url: is not a valid URL",
    ),
    Row(
        "ftp-url-with-a-password",
        "[consent]\nurl = 'ftp://user:s3cret@host.example.org'\n",
        "consent.url: must start with http:// or https:// (got 'ftp://host.example.org')",
        secrets=("s3cret",),
    ),
    Row(
        "http-url-with-a-password-and-a-space",
        "[influxdb]\nurl = 'http://user:s3cret@influx db:8086'\n",
        "influxdb.url: must not contain spaces",
        secrets=("s3cret",),
    ),
    Row("influxdb-url-without-host", "[influxdb]\nurl = 'http://'\n", "influxdb.url: has no host"),
    Row("tempo-url-without-host", "[tempo]\nurl = 'https://'\n", "tempo.url: has no host"),
    # 7. usage points
    Row(
        "junk-usage-points",
        "[consent]\nusage_points = ['abc', '../../x?y=1', '12345678901234']\n",
        "consent.usage_points: a usage point (PRM) is 14 digits: 'abc', '../../x?y=1' are not",
    ),
    # 8. dated lists
    Row(
        "two-schedules-from-one-day",
        "[[tariff.schedule]]\nfrom = 2026-01-01\noffpeak = '1h-7h'\n" * 2,
        "tariff.schedule: two schedules from 2026-01-01",
    ),
    Row(
        "schedule-from-9999-12-31",
        "[[tariff.schedule]]\nfrom = 9999-12-31\noffpeak = '1h-7h'\n",
        "tariff.schedule.0.from: must be a day from 2000-01-01 to 2099-12-31 (got 9999-12-31)",
    ),
    Row(
        "price-from-year-1",
        "[[tariff.price]]\nfrom = 0001-01-01\nhc = 0.2\n",
        "tariff.price.0.from: must be a day from 2000-01-01 to 2099-12-31",
    ),
    # 9. unknown variables: a warning each, never the value; the run goes on
    Row(
        "unknown-variables-are-warned-about",
        None,
        exit_code=0,
        lines=0,
        env={
            "LINKYFLUX_FOO": "bar-value",
            "LINKYFLUX_INFLUXDB_TOKEN": "s3cret-token",
            "LINKYFLUX_REQUIRE_SERVERS": "1",
        },
        secrets=("s3cret-token", "bar-value"),
        warns=(
            "LINKYFLUX_FOO is not a setting (settings are LINKYFLUX_<SECTION>__<KEY>, see "
            "config.example.toml): ignored",
            "LINKYFLUX_INFLUXDB_TOKEN is not a setting: did you mean LINKYFLUX_INFLUXDB__TOKEN?",
        ),
    ),
    Row(
        "linkyflux-config-is-no-unknown-variable",
        None,
        exit_code=0,
        lines=0,
        env={"LINKYFLUX_CONFIG": "{home}/c.toml", "LINKYFLUX_CONSENT_URL": "https://x.example"},
        warns=("LINKYFLUX_CONSENT_URL is not a setting: did you mean LINKYFLUX_CONSENT__URL?",),
    ),
    Row(
        "a-bad-setting-after-the-warning",
        "[consent]\ntimeout = inf\n",
        f"consent.timeout: {SECONDS}",
        env={"LINKYFLUX_TARIF__OFFPEAK": "22h-6h"},
        warns=(
            "LINKYFLUX_TARIF__OFFPEAK is not a setting: did you mean LINKYFLUX_TARIFF__OFFPEAK?",
        ),
    ),
    # 10. more shapes and characters
    Row(
        "a-table-where-a-string-is-expected",
        "[consent]\nurl = {a = 1}\n",
        "consent.url: Input should be a valid string",
    ),
    Row(
        "client-id-of-10000-characters",
        "[consent]\nclient_id = '" + "x" * 10_000 + "'\n",
        f"consent.client_id: at most 1000 characters (got '{'x' * 40}…')",
    ),
    Row(
        "client-id-with-a-nul",
        '[consent]\nclient_id = "abc\\u0000def"\n',
        r"consent.client_id: must not contain invisible or control characters (got 'abc\x00def')",
    ),
    Row(
        "client-id-with-a-zero-width-space",
        '[consent]\nclient_id = "\\u200babc"\n',
        r"(got '\u200babc')",
    ),
    Row(
        "token-with-a-newline-is-not-printed",
        '[influxdb]\ntoken = "s3cret-token\\n"\n',
        "influxdb.token: must not contain invisible or control characters",
        secrets=("s3cret-token",),
    ),
    Row(
        "offpeak-with-a-zero-width-space",
        '[tariff]\noffpeak = "22h-6h sa\\u200b"\n',
        r'tariff.offpeak: offpeak schedule: "sa\u200b" at position 8',
    ),
    Row(
        "holiday-subdivision-with-a-zero-width-space",
        '[tariff]\noffpeak = "22h-6h"\nholiday_subdivision = "57\\u200b"\n',
        r"tariff.holiday_subdivision: must not contain invisible or control characters "
        r"(got '57\u200b')",
    ),
    Row(
        "holiday-subdivision-of-100-characters",
        f'[tariff]\noffpeak = "22h-6h"\nholiday_subdivision = "{"9" * 100}"\n',
        f"tariff.holiday_subdivision: offpeak schedule: unknown public holiday subdivision "
        f'"{"9" * 40}…" for France',
    ),
    Row(
        "unknown-key-with-a-zero-width-space",
        '[influxdb]\n"tok\\u200ben" = "x"\n',
        r"influxdb.tok\u200ben: unknown key",
    ),
    Row(
        "season-day-of-10000-characters",
        "[tariff]\nwinter_from = '" + "1" * 10_000 + "'\n",
        f'tariff.winter_from: must be a day of the year as MM-DD, such as "11-01" for 1 '
        f"November (got '{'1' * 40}…')",
    ),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_bad_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, row: Row) -> None:
    env = {name: value.replace("{home}", str(tmp_path)) for name, value in row.env.items()}
    clean_env(monkeypatch, tmp_path, {"XDG_STATE_HOME": str(tmp_path / "state"), **env})
    config = None
    if row.config is not None:
        config = tmp_path / "c.toml"
        if isinstance(row.config, bytes):
            config.write_bytes(row.config)
        else:
            config.write_text(row.config, encoding="utf-8")
    elif "LINKYFLUX_CONFIG" in env:
        (tmp_path / "c.toml").write_text(URL, encoding="utf-8")
    result = invoke(row.argv, config)
    assert_one_line(result, row.exit_code, row.says, secrets=row.secrets, lines=row.lines)
    warnings = [
        line.removeprefix("linkyflux: warning: ")
        for line in result.stderr.splitlines()
        if line.startswith("linkyflux: warning: ")
    ]
    assert warnings == list(row.warns)


def test_every_list_setting_has_its_json_example() -> None:
    """A list read from a variable is JSON: its error message shows what one looks like."""
    from typing import get_origin

    from linkyflux.settings import Settings
    from linkyflux.settings_input import JSON_VALUES

    lists = {
        f"{section}__{key}".upper()
        for section, info in Settings.model_fields.items()
        for key, field in info.annotation.model_fields.items()  # type: ignore[union-attr]
        if get_origin(field.annotation) is list
    }
    assert lists == set(JSON_VALUES)
