"""Issue #17, what the CLI prints: no password, nothing unprintable or endless, click's usage
errors on one line, junk usage points and dead tokens refused by `auth` before anything is
said or saved, `auth --token` where no token is taken, the demo's failing sink, a full device
as the output file. One row per case, run through the CLI and checked by
:func:`hostile.assert_one_line`.
"""

from __future__ import annotations

import base64
import json
import re
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner, Result

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.simulator.conso import conso_token
from linkyflux.simulator.enedis_direct import ENEDIS_CLIENT_SECRET
from linkyflux.simulator.myelectricaldata import MED_CLIENT_SECRET
from linkyflux.timeutil import FakeClock

from hostile import assert_one_line, clean_env, invoke
from simenv import CLIENT_ID, World, paris, world

HOUSE = "22516914714270"
SECRET = "s3cret"
JUNK_POINTS = ("abc", "../../x?y=1")


def closed_port() -> int:
    """A loopback port nothing listens on: a connection is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def with_password(url: str) -> str:
    """``url`` with ``linky:s3cret@`` before its host."""
    scheme, _, rest = url.partition("://")
    return f"{scheme}://linky:{SECRET}@{rest}"


def nowhere() -> str:
    return with_password(f"http://127.0.0.1:{closed_port()}")


def jwt(claims: dict[str, Any]) -> str:
    """An unsigned JWT with these claims (linkyflux reads them; the gateway checks them)."""

    def part(data: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


def run(w: World, *argv: str) -> Result:
    """`linkyflux --config <w's config> ARGV` on the world's clock, its browser accepting a
    device-flow consent; an exception that escapes is kept for assert_one_line."""
    runtime = Runtime(clock=w.clock, on_device_code=w._browser)
    args = ["--config", str(w.home / "config.toml"), *argv]
    return CliRunner().invoke(cli, args, obj=runtime, catch_exceptions=True)


@contextmanager
def consented(home: Path) -> Iterator[World]:
    """A world whose user consented for HOUSE (device flow, output to a file)."""
    with world(home) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        yield w


@dataclass(frozen=True)
class Row:
    id: str
    run: Callable[[Path], Result]
    exit_code: int
    says: str | re.Pattern[str]
    secrets: tuple[str, ...] = ()
    lines: int = 1
    check: Callable[[Result, Path], None] | None = None


# --- 1. passwords in URLs -------------------------------------------------------------------


def auth_via(kind: str, path: str = "", **consent: object) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            w.config(consent={"kind": kind, "url": nowhere() + path, **consent})
            return run(w, "auth")

    return go


def fetch_into_nowhere(**influxdb: object) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with consented(home) as w:
            w.config(influxdb={"output": "", "url": nowhere(), **influxdb})
            return run(w, "fetch")

    return go


def granted_elsewhere(home: Path) -> Result:
    """The tokens were granted by the simulator, reached with a password in its URL;
    consent.url is now another gateway (which cannot be reached), with a password too."""
    with world(home) as w:
        w.config(consent={"url": with_password(w.url)})
        assert run(w, "auth").exit_code == 0
        w.config(consent={"url": nowhere()})
        return run(w, "fetch")


def warns_without_password(result: Result, home: Path) -> None:
    warnings = [ln for ln in result.stderr.splitlines() if "were granted by" in ln]
    assert len(warnings) == 1, result.stderr
    assert re.fullmatch(
        r"linkyflux: warning: the tokens were granted by http://127\.0\.0\.1:\d+, not by "
        r"consent\.url http://127\.0\.0\.1:\d+: run `linkyflux auth` if the gateway changed",
        warnings[0],
    )


def a_new_password_is_the_same_gateway(home: Path) -> Result:
    """The tokens were granted by the simulator; consent.url is the same simulator with a
    password in its URL now: no warning."""
    with consented(home) as w:
        w.config(consent={"url": with_password(w.url)})
        return run(w, "fetch")


def no_warning(result: Result, home: Path) -> None:
    assert "warning" not in result.stderr, result.stderr


def summary_without_password(result: Result, home: Path) -> None:
    assert re.search(r"into InfluxDB (1\.x )?at http://127\.0\.0\.1:\d+", result.stdout)


PASSWORDS = [
    Row(
        "password-enedis-direct-unreachable",
        auth_via(
            "enedis",
            "/enedis",
            client_id=CLIENT_ID,
            client_secret=ENEDIS_CLIENT_SECRET,
            usage_points=[HOUSE],
        ),
        5,
        re.compile(r"^linkyflux: cannot reach Enedis at http://127\.0\.0\.1:\d+/enedis "),
        (SECRET,),
    ),
    Row(
        "password-myelectricaldata-unreachable",
        auth_via("myelectricaldata", "/med/api", client_secret=MED_CLIENT_SECRET),
        5,
        re.compile(
            r"^linkyflux: cannot reach MyElectricalData at http://127\.0\.0\.1:\d+/med/api "
        ),
        (SECRET,),
    ),
    Row(
        "password-consent-proxy-unreachable",
        auth_via("device-flow", client_id=CLIENT_ID),
        5,
        re.compile(r"^linkyflux: cannot reach the consent proxy at http://127\.0\.0\.1:\d+ for"),
        (SECRET,),
    ),
    Row(
        "password-influxdb-v1-unreachable-and-summary",
        fetch_into_nowhere(api="v1", database="linky"),
        7,
        re.compile(r"^linkyflux: cannot reach InfluxDB 1\.x at http://127\.0\.0\.1:\d+, database"),
        (SECRET,),
        check=summary_without_password,
    ),
    Row(
        "password-influxdb-v2-unreachable-and-summary",
        fetch_into_nowhere(api="v2", token="t0ken", org="home", bucket="linky"),
        7,
        re.compile(r"^linkyflux: cannot reach InfluxDB at http://127\.0\.0\.1:\d+, bucket"),
        (SECRET, "t0ken"),
        check=summary_without_password,
    ),
    Row(
        "password-tokens-granted-by-warning",
        granted_elsewhere,
        5,
        "cannot reach the gateway (ConnectError)",
        (SECRET,),
        check=warns_without_password,
    ),
    Row(
        "password-changed-alone-is-no-new-gateway",
        a_new_password_is_the_same_gateway,
        0,
        "",
        (SECRET,),
        lines=0,
        check=no_warning,
    ),
]


# --- 2. unprintable and endless values --------------------------------------------------------


def conso_auth(*argv: str, **consent: object) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            w.config(consent={"kind": "conso-api", "url": f"{w.url}/conso", **consent})
            return run(w, "auth", *argv)

    return go


def enedis_points(*usage_points: str) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            consent = {
                "kind": "enedis",
                "url": f"{w.url}/enedis",
                "client_id": CLIENT_ID,
                "client_secret": ENEDIS_CLIENT_SECRET,
            }
            config = w.config(consent=consent)
            # as JSON: its \uXXXX escapes are TOML's, for a NUL or a zero-width space
            points = f"usage_points = {json.dumps(usage_points)}"
            config.write_text(config.read_text().replace("[consent]", f"[consent]\n{points}"))
            return run(w, "auth")

    return go


LONG_TOKEN = "A" * 10_000


def nothing_saved(result: Result, home: Path) -> None:
    assert not (home / "state" / "tokens.json").exists()
    assert "Consent granted" not in result.output
    assert "Tokens saved" not in result.output


UNPRINTABLE = [
    Row(
        "unprintable-usage-point-nul-and-zero-width-in-config",
        enedis_points("\u200b2251691471427\u0000"),
        3,
        "consent.usage_points: a usage point (PRM) is 14 digits: '\\u200b2251691471427\\x00' is "
        "not",
        check=nothing_saved,
    ),
    Row(
        "endless-10000-character-token-as-an-argument",
        lambda home: invoke(["auth", LONG_TOKEN]),
        2,
        "linkyflux: Got unexpected extra argument (AAAAAAAAAA",
        (LONG_TOKEN,),
    ),
    Row(
        "endless-10000-character-sub-in-a-conso-api-token",
        conso_auth("--token", jwt({"sub": "9" * 10_000})),
        4,
        f"this Conso API token's `sub` names '{'9' * 40}…', which is not a usage point (14 "
        "digits): get a new token on the Conso API site",
        ("9" * 100,),
        check=nothing_saved,
    ),
    Row(
        "unprintable-zero-width-sub-in-a-conso-api-token",
        conso_auth("--token", jwt({"sub": [f"{HOUSE}\u200b"]})),
        4,
        f"this Conso API token's `sub` names '{HOUSE}\\u200b', which is not a usage point",
        check=nothing_saved,
    ),
]


# --- 3. click's usage errors: the reason first, one line and a hint ---------------------------


def usage(hint: str) -> Callable[[Result, Path], None]:
    """Two lines on stderr: the reason (checked by the row), then where help is."""

    def check(result: Result, home: Path) -> None:
        lines = result.stderr.splitlines()
        assert len(lines) == 2, result.stderr
        assert lines[1] == f"Try '{hint} --help'.", result.stderr

    return check


def with_config(*argv: str) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            return invoke(argv, config=w.config(), clock=w.clock)

    return go


USAGE = [
    Row(
        "usage-days-out-of-range",
        lambda home: invoke(["fetch", "--days", "0"]),
        2,
        "linkyflux: Invalid value for '-d' / '--days': 0 is not in the range 1<=x<=1110.",
        check=usage("linkyflux fetch"),
    ),
    Row(
        "usage-no-such-command",
        lambda home: invoke(["fecth"]),
        2,
        "linkyflux: No such command 'fecth'. Did you mean 'fetch'?",
        check=usage("linkyflux"),
    ),
    Row(
        "usage-no-such-option-of-the-group",
        lambda home: invoke(["--verbose", "fetch"]),
        2,
        "linkyflux: No such option '--verbose'.",
        check=usage("linkyflux"),
    ),
    Row(
        "usage-option-without-its-value",
        lambda home: invoke(["fetch", "--days"]),
        2,
        "linkyflux: Option '--days' requires an argument.",
        check=usage("linkyflux fetch"),
    ),
    Row(
        "usage-unprintable-option-value",
        lambda home: invoke(["fetch", "--days", "\u200b3\x01"]),
        2,
        "linkyflux: Invalid value for '-d' / '--days': '\\u200b3\\x01' is not a valid integer",
        check=usage("linkyflux fetch"),
    ),
    Row(
        "usage-since-and-days-together",
        lambda home: invoke(["backfill", "--since", "2026-01-01", "--days", "3"]),
        2,
        "linkyflux: give --since or --days, not both",
        check=usage("linkyflux backfill"),
    ),
    Row(
        "usage-since-not-before-today",
        with_config("backfill", "--since", "2026-11-22"),
        2,
        "linkyflux: Invalid value for --since: 2026-11-22 is not before today (2026-11-22)",
        check=usage("linkyflux backfill"),
    ),
]


# --- 4, 5. junk usage points and dead tokens: refused before anything is said or saved ------


def proxy_consents(*usage_points: str) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            w.consent = usage_points
            w.config()
            return run(w, "auth")

    return go


def med_serves(*usage_points: str) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            w.simulator.consent = usage_points
            consent = {"kind": "myelectricaldata", "url": f"{w.url}/med/api"}
            w.config(consent={**consent, "client_secret": MED_CLIENT_SECRET})
            return run(w, "auth")

    return go


def conso_token_issued(days_ago: int, days: int) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            token = conso_token((HOUSE,), w.clock.now() - timedelta(days=days_ago), days)
            w.config(consent={"kind": "conso-api", "url": f"{w.url}/conso"})
            return run(w, "auth", "--token", token)

    return go


NOT_14_DIGITS = "that is not a usage point (14 digits)"
JUNK = [
    Row(
        "junk-usage-points-from-the-consent-proxy",
        proxy_consents(*JUNK_POINTS),
        6,
        "the consent proxy's token answer names 'abc', which is not a usage point (14 digits)",
        check=nothing_saved,
    ),
    Row(
        "junk-usage-points-from-myelectricaldata",
        med_serves(*JUNK_POINTS),
        6,
        "MyElectricalData's /pdl answer names 'abc', which is not a usage point (14 digits)",
        check=nothing_saved,
    ),
    Row(
        "junk-usage-points-in-a-conso-api-token",
        conso_auth("--token", jwt({"sub": list(JUNK_POINTS)})),
        4,
        "this Conso API token's `sub` names 'abc', which is not a usage point (14 digits)",
        check=nothing_saved,
    ),
    Row(
        "junk-usage-points-conso-api-sub-an-object",
        conso_auth("--token", jwt({"sub": {"prm": HOUSE}})),
        4,
        "this Conso API token's `sub` is not a list of usage points",
        check=nothing_saved,
    ),
    Row(
        "junk-usage-points-in-consent-usage-points",
        enedis_points(*JUNK_POINTS),
        3,
        "consent.usage_points: a usage point (PRM) is 14 digits: 'abc', '../../x?y=1' are not",
        check=nothing_saved,
    ),
    Row(
        "conso-api-token-exp-1e20",
        conso_auth("--token", jwt({"sub": [HOUSE], "exp": 1e20})),
        4,
        "this Conso API token's `exp` (1e+20) is not a date",
        check=nothing_saved,
    ),
    Row(
        "conso-api-token-exp-minus-1e20",
        conso_auth("--token", jwt({"sub": [HOUSE], "exp": -1e20})),
        4,
        "this Conso API token's `exp` (-1e+20) is not a date",
        check=nothing_saved,
    ),
    Row(
        "conso-api-token-expired",
        conso_token_issued(days_ago=1200, days=1094),
        4,
        "this Conso API token expired on 2026-08-08",
        check=nothing_saved,
    ),
]


# --- 6. auth --token where no token is taken --------------------------------------------------
# Exit 2, bad command-line usage: the option does not apply to the configured gateway (the
# line names consent.kind, the config file and the kinds that take one); nothing is asked.


def token_to(kind: str, path: str = "", **consent: object) -> Callable[[Path], Result]:
    def go(home: Path) -> Result:
        with world(home) as w:
            w.config(consent={"kind": kind, "url": w.url + path, **consent})
            return run(w, "auth", "--token", "t0ken")

    return go


def takes_no_token(kind: str) -> str:
    return (
        f'linkyflux: --token is for consent.kind = "conso-api" only; consent.kind = "{kind}" '
        "takes none"
    )


TOKENS = [
    Row(
        "auth-token-to-the-consent-proxy-usage-error",
        token_to("device-flow"),
        2,
        takes_no_token("device-flow"),
        ("t0ken",),
        check=nothing_saved,
    ),
    Row(
        "auth-token-to-myelectricaldata-usage-error",
        token_to("myelectricaldata", "/med/api", client_secret=MED_CLIENT_SECRET),
        2,
        takes_no_token("myelectricaldata"),
        ("t0ken",),
        check=nothing_saved,
    ),
    Row(
        "auth-token-to-enedis-usage-error",
        token_to("enedis", "/enedis", client_secret=ENEDIS_CLIENT_SECRET, usage_points=[HOUSE]),
        2,
        takes_no_token("enedis"),
        ("t0ken",),
        check=nothing_saved,
    ),
]


# --- 7, 8. the demo's failing sink; a full device as the output file --------------------------


def demo_into_nowhere(home: Path) -> Result:
    with world(home) as w:
        config = w.config(influxdb={"output": "", "api": "v1", "url": nowhere()})
        return invoke(["demo", "--days", "1", "--to-config"], config=config, clock=w.clock)


def no_spool_promised(result: Result, home: Path) -> None:
    assert "spool" not in result.stderr.split("were not written")[0], result.stderr


def output_to_dev_full(home: Path) -> Result:
    with consented(home) as w:
        w.config(influxdb={"output": "/dev/full"})
        return run(w, "fetch")


def spool_holds_the_lines(result: Result, home: Path) -> None:
    spooled = sorted((home / "state" / "spool").glob("*.lp"))
    assert spooled, "nothing in the spool"
    lines = sum(len(p.read_text().splitlines()) for p in spooled)
    assert f"({lines} lines kept in the spool" in result.stderr, result.stderr


SINKS = [
    Row(
        "demo-failing-sink-promises-no-spool",
        demo_into_nowhere,
        7,
        re.compile(r"cannot reach InfluxDB 1\.x at http://127\.0\.0\.1:\d+.* were not written"),
        (SECRET,),
        check=no_spool_promised,
    ),
    Row(
        "output-to-a-full-device-dev-full",
        output_to_dev_full,
        7,
        "linkyflux: cannot write to /dev/full: No space left on device (",
        check=spool_holds_the_lines,
    ),
]

# --- 9. other tracebacks on these paths: a gateway's numbers out of range, a key or a token
# with a character no header takes, a device that cannot be fsync'd -----------------------

CODE = {"device_code": "d3v1c3", "user_code": "ABCD-EFGH", "expires_in": 300, "interval": 5}
GRANT = {"access_token": "4cc3ss", "refresh_token": "r3fr3sh", "usage_points_id": HOUSE}


def gateway_answers(
    kind: str, code: dict[str, object], token: dict[str, object], **consent: object
) -> Callable[[Path], Result]:
    """`linkyflux auth` against a gateway (at http://gateway.test, through httpx's
    MockTransport) answering a device code ``code`` and a token ``token``."""

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/device/code":
            return httpx.Response(200, json=code)
        if request.url.path in ("/device/token", "/oauth2/v3/token"):
            return httpx.Response(200, json=token)
        return httpx.Response(404, text="Not Found")

    def go(home: Path) -> Result:
        config = home / "config.toml"
        config.write_text(
            f'[consent]\nkind = "{kind}"\nurl = "http://gateway.test"\nclient_id = "id"\n'
            + "".join(f"{key} = {json.dumps(value)}\n" for key, value in consent.items())
            + f'[state]\ndir = "{home / "state"}"\n[influxdb]\noutput = "{home / "out.lp"}"\n'
        )
        runtime = Runtime(
            clock=FakeClock(paris(2026, 11, 22, 9)), transport=httpx.MockTransport(answer)
        )
        argv = ["--config", str(config), "auth"]
        return CliRunner().invoke(cli, argv, obj=runtime, catch_exceptions=True)

    return go


def granted(result: Result, home: Path) -> None:
    assert f"Consent granted for 1 usage point(s): {HOUSE}" in result.stdout


def conso_token_with_a_zero_width_space(home: Path) -> Result:
    with world(home) as w:
        w.config(consent={"kind": "conso-api", "url": f"{w.url}/conso"})
        return run(w, "auth", "--token", conso_token((HOUSE,), w.clock.now()) + "\u200b")


def output_to_dev_null(home: Path) -> Result:
    with consented(home) as w:
        w.config(influxdb={"output": "/dev/null"})
        return run(w, "fetch")


ENEDIS = {"client_secret": "s", "usage_points": [HOUSE]}
TRACEBACKS = [
    Row(
        "device-code-lifetime-and-interval-1e30-are-capped",
        gateway_answers(
            "device-flow",
            {**CODE, "expires_in": 10**30, "interval": 10**30},
            {**GRANT, "expires_in": 12600},
        ),
        0,
        "",
        lines=0,
        check=granted,
    ),
    Row(
        "proxy-token-expires-in-1e30",
        gateway_answers("device-flow", CODE, {**GRANT, "expires_in": 10**30}),
        6,
        "the consent proxy's token answer gives expires_in 1000000000000000000000000000000, "
        "not a number of seconds from 1 to ten years",
        check=nothing_saved,
    ),
    Row(
        "proxy-token-expires-in-negative",
        gateway_answers("device-flow", CODE, {**GRANT, "expires_in": -5}),
        6,
        "the consent proxy's token answer gives expires_in -5, not a number of seconds",
        check=nothing_saved,
    ),
    Row(
        "enedis-token-expires-in-1e30",
        gateway_answers("enedis", CODE, {"access_token": "4cc3ss", "expires_in": 10**30}, **ENEDIS),
        6,
        "Enedis' token answer gives expires_in 1000000000000000000000000000000, not a number",
        ("4cc3ss",),
        check=nothing_saved,
    ),
    Row(
        "conso-api-token-with-a-zero-width-space",
        conso_token_with_a_zero_width_space,
        4,
        "that is not a Conso API token: a JWT holds only letters, digits and '-_.='",
        check=nothing_saved,
    ),
    Row(
        "myelectricaldata-key-with-an-accent",
        auth_via("myelectricaldata", "/med/api", client_secret=f"{MED_CLIENT_SECRET}é"),
        3,
        "consent.client_secret holds a character no MyElectricalData API key has",
        (MED_CLIENT_SECRET,),
        check=nothing_saved,
    ),
    Row(
        "output-to-dev-null-cannot-be-fsynced",
        output_to_dev_null,
        0,
        "",
        lines=0,
    ),
]

ROWS = [*PASSWORDS, *UNPRINTABLE, *USAGE, *JUNK, *TOKENS, *SINKS, *TRACEBACKS]


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_one_line(row: Row, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clean_env(monkeypatch, tmp_path)
    result = row.run(tmp_path)
    assert_one_line(result, row.exit_code, row.says, secrets=row.secrets, lines=row.lines)
    if row.check is not None:
        row.check(result, tmp_path)


JWT = conso_token((HOUSE,), paris(2026, 11, 22, 9))


@pytest.mark.parametrize(
    ("line", "printed"),
    [
        (
            "a NUL\x00, a tab\t, a zero-width\u200bspace",
            "a NUL\\x00, a tab\\t, a zero-width\\u200bspace",
        ),
        (f"token '{JWT}' refused", f"token '{JWT[:39]}…' refused"),  # 40 with its quote
        ("cannot reach http://u:p@host:8086/x", "cannot reach http://host:8086/x"),
        ("in /var/lib/linkyflux/" + "d/" * 40 + "state.json", None),  # a path: kept
        (f"first: linky_daily,direction=consumption,usage_point_id={HOUSE},year=2026 x=1", None),
        ("word " * 200, "word " * 99 + "word…"),
    ],
    ids=["unprintable", "long-value", "password", "long-path", "line-protocol", "500-max"],
)
def test_printable(line: str, printed: str | None) -> None:
    """What the CLI makes of a line before printing it (the last safety net)."""
    from linkyflux.text import printable

    assert printable(line) == (line if printed is None else printed)
