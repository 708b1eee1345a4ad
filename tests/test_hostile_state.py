"""The state directory on a hostile machine (issue #17): every file linkyflux keeps there of
the wrong kind, damaged, from a newer version, unreadable by its schema; the directory a
file, not writable, on a full disk. Each is one row through the CLI: exit code 11 (or what
the row says), one line naming the path (and the field) and what to do, no traceback, no
token; a full disk leaves the previous file byte for byte.

We run as root, so a directory that is not writable and a full disk are simulated by
monkeypatching the OS calls on the state directory's paths only (``os.open``, ``os.mkdir``,
``os.write``…): the rows' ids say so (``(simulated)``).
"""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from linkyflux.app.wiring import Runtime
from linkyflux.cli import cli
from linkyflux.errors import EXIT_CODES, StateError
from linkyflux.simulator.exports import r63

from hostile import assert_one_line, clean_env, invoke
from simenv import World, world

HOUSE = "22516914714270"
STATE = StateError.exit_code
Damage = Callable[[World, pytest.MonkeyPatch], None]


# ------------------------------------------------------------------ what a row does to the state


def edit(name: str, change: Callable[[dict[str, Any]], None]) -> Damage:
    """Change the JSON document ``name`` of the state directory."""

    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        path = w.state_dir / name
        document = json.loads(path.read_text())
        change(document)
        path.write_text(json.dumps(document))

    return damage


def write(name: str, data: bytes | str) -> Damage:
    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        path = w.state_dir / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode() if isinstance(data, str) else data)

    return damage


def a_directory(name: str) -> Damage:
    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        path = w.state_dir / name
        if path.exists():
            path.unlink()
        (path / "x").mkdir(parents=True)  # not empty: nothing removes it by chance

    return damage


def a_file(name: str) -> Damage:
    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        path = w.state_dir / name
        if path.is_dir():
            shutil.rmtree(path)
        path.write_text("not a directory\n")

    return damage


def a_fifo(name: str) -> Damage:
    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        path = w.state_dir / name
        path.unlink(missing_ok=True)
        os.mkfifo(path)

    return damage


def denied(path: Path) -> None:
    raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))


def not_writable(inside: Callable[[World], Path]) -> Damage:
    """Nothing can be created, renamed or removed in the directory (as for a user who cannot
    write it; root can, so the calls are refused by hand); existing files stay writable."""

    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        directory = inside(w)
        real_open, real_mkdir = os.open, os.mkdir
        real_replace, real_rename, real_unlink = os.replace, os.rename, os.unlink

        def within(path: Any) -> bool:
            return Path(os.fsdecode(path)).parent == directory

        def open_(path: Any, flags: int, mode: int = 0o777, **kw: Any) -> int:
            if within(path) and flags & os.O_CREAT and not os.path.lexists(path):
                denied(path)
            return real_open(path, flags, mode, **kw)

        def mkdir(path: Any, mode: int = 0o777, **kw: Any) -> None:
            if within(path) and not os.path.lexists(path):
                denied(path)
            real_mkdir(path, mode, **kw)

        def replace(src: Any, dst: Any, **kw: Any) -> None:
            if within(src) or within(dst):
                denied(dst)
            real_replace(src, dst, **kw)

        def rename(src: Any, dst: Any, **kw: Any) -> None:
            if within(src) or within(dst):
                denied(dst)
            real_rename(src, dst, **kw)

        def unlink(path: Any, **kw: Any) -> None:
            if within(path):
                denied(path)
            real_unlink(path, **kw)

        monkeypatch.setattr(os, "open", open_)
        monkeypatch.setattr(os, "mkdir", mkdir)
        monkeypatch.setattr(os, "replace", replace)
        monkeypatch.setattr(os, "rename", rename)
        monkeypatch.setattr(os, "unlink", unlink)

    return damage


def full_disk(pattern: str) -> Damage:
    """The disk fills up while a file whose path matches ``pattern`` is written: the first
    write to it takes half its bytes, the next fails with ENOSPC."""

    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        wanted = re.compile(pattern)
        real_write = os.write
        started: set[str] = set()

        def write(fd: int, data: Any) -> int:
            try:
                target = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:
                target = ""
            if target.startswith(str(w.state_dir)) and wanted.search(target):
                if target in started:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                started.add(target)
                return real_write(fd, bytes(data)[: max(1, len(data) // 2)])
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", write)

    return damage


def both(*damages: Damage) -> Damage:
    def damage(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
        for one in damages:
            one(w, monkeypatch)

    return damage


def expire_tokens(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    w.clock.advance(4 * 3600)  # the access token must be refreshed (and tokens.json saved)


def spooled(*files: tuple[str, bytes]) -> Damage:
    return both(*(write(f"spool/{name}", data) for name, data in files))


def series_days(runs: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["usage_points"][HOUSE]["series"]["consumption/curve"]["days"] = runs

    return change


def set_key(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document[key] = value

    return change


def set_dialect(document: dict[str, Any]) -> None:
    document["dialects"]["http://someone:Pa55word@127.0.0.1:1"] = "v9"


def infinite_cost(document: dict[str, Any]) -> None:
    totals = document["usage_points"][HOUSE]["curve_totals"]["consumption"]
    next(iter(totals.values()))["cost_eur"] = float("inf")


def chmod_644(w: World, monkeypatch: pytest.MonkeyPatch) -> None:
    (w.state_dir / "tokens.json").chmod(0o644)


# ------------------------------------------------------------------ what a row checks after


def mode_600(w: World, result: Result) -> None:
    assert stat.S_IMODE((w.state_dir / "tokens.json").stat().st_mode) == 0o600
    warnings = [ln for ln in result.stderr.splitlines() if "warning" in ln]
    assert warnings == [
        f"linkyflux: warning: {w.state_dir}/tokens.json was readable by other users "
        "(mode 0644): it is 0600 now (it holds your tokens: if others may have read them, "
        "run `linkyflux auth` again)"
    ]


def set_aside(w: World, result: Result) -> None:
    bad = w.state_dir / "spool" / "000000000001.lp.bad"
    assert bad.read_bytes() == LATIN1_LINE
    assert [p.name for p in (w.state_dir / "spool").iterdir()] == ["000000000001.lp.bad"]
    warnings = [ln for ln in result.stderr.splitlines() if "warning" in ln]
    assert warnings == [
        f"linkyflux: warning: {w.state_dir}/spool/000000000001.lp is not UTF-8 text: set aside "
        f"as {bad} (its lines are not written: look at them, then delete it)"
    ]
    assert GOOD_LINE in w.output_lines()


def nothing_new_in_the_spool(w: World, result: Result) -> None:
    """The points neither written nor spooled are not recorded as written: fetched again."""
    assert sorted(p.name for p in (w.state_dir / "spool").iterdir()) == ["000000000001.lp"]
    state = json.loads((w.state_dir / "state.json").read_text())
    series = state["usage_points"].get(HOUSE, {}).get("series", {})
    assert all(not kept["days"] for kept in series.values()), series


GOOD_LINE = "linky_test,usage_point_id=1 energy_wh=1 1790000000"
LATIN1_LINE = "linky_test,usage_point_id=2,note=été energy_wh=1 1790000000\n".encode("latin-1")


# ------------------------------------------------------------------ the table


@dataclass(frozen=True)
class Row:
    id: str
    damage: Damage
    argv: tuple[str, ...]
    says: str  # "{state}" stands for the state directory
    exit_code: int = STATE
    prepare: str = "fetch"  # "", "auth" or "fetch": what ran before the damage
    config: dict[str, dict[str, object]] = field(default_factory=dict)
    intact: tuple[str, ...] = ()  # files of the state dir left byte for byte
    lines: int = 1
    then: Callable[[World, Result], None] | None = None
    secrets: tuple[str, ...] = ()  # never printed (besides the tokens)


FETCH, STATUS, AUTH = ("fetch", "-q"), ("status",), ("auth",)
IMPORT = ("import", "-q", "{home}/r63.csv")
TEMPO = {"tariff": {"offpeak": "TEMPO"}, "tempo": {"url": "{url}/tempo/api"}}


def is_dir(name: str) -> str:
    return f"{{state}}/{name} is a directory, not a file: remove or rename it"


MOVE_AWAY = "move it away to start afresh (what it recorded is fetched again)"
AUTH_AGAIN = "run `linkyflux auth` to write it again"


def full(name: str) -> str:
    return f"no space left on device writing {{state}}/{name}: free some space; nothing was lost"


NOT_WRITABLE = "{state} is not writable: fix its permissions (chmod u+rwx {state}) or set state.dir"


def a_directory_row(name: str, argv: tuple[str, ...], **options: Any) -> Row:
    """``name`` is a directory, not a file."""
    return Row(f"{name}-is-a-directory/{argv[0]}", a_directory(name), argv, is_dir(name), **options)


ROWS = [
    # ---- of the wrong kind
    Row(
        "state-dir-is-a-file/status",
        a_file("."),
        STATUS,
        "{state} is a file, not a directory: remove or rename it, or set state.dir",
        prepare="",
    ),
    Row(
        "state-dir-is-a-file/fetch",
        a_file("."),
        FETCH,
        "{state} is a file, not a directory: remove or rename it, or set state.dir",
        prepare="auth",
    ),
    Row(
        "state-dir-parent-is-a-file/import",
        lambda w, monkeypatch: (w.home / "afile").write_text("a file\n"),
        IMPORT,
        "{home}/afile is a file, not a directory: remove or rename it, or set state.dir",
        prepare="",
        config={"state": {"dir": "{home}/afile/state"}},
    ),
    a_directory_row("state.json", STATUS),
    a_directory_row("state.json", FETCH),
    Row(
        "state.json-is-a-fifo/status",
        a_fifo("state.json"),
        STATUS,
        "{state}/state.json is not a regular file (a FIFO, a socket or a device): remove it",
    ),
    a_directory_row("tokens.json", STATUS),
    a_directory_row("tokens.json", FETCH),
    a_directory_row("requests.log", STATUS),
    a_directory_row("requests.log", FETCH),
    a_directory_row("requests.json", FETCH),
    a_directory_row("lock", FETCH),
    a_directory_row("lock", IMPORT, prepare=""),
    Row(
        "spool-is-a-file/status",
        a_file("spool"),
        STATUS,
        "{state}/spool is a file, not a directory: remove or rename it",
    ),
    Row(
        "spool-is-a-file/fetch",
        a_file("spool"),
        FETCH,
        "{state}/spool is a file, not a directory: remove or rename it",
    ),
    a_directory_row("rejected.lp", STATUS),
    Row(
        "tempo.json-is-a-directory/fetch",
        a_directory("tempo.json"),
        FETCH,
        is_dir("tempo.json"),
        config=TEMPO,
    ),
    # ---- read back: a newer version, damaged, or not what the schema says
    Row(
        "state.json-version-7/fetch",
        edit("state.json", set_key("version", 7)),
        FETCH,
        "{state}/state.json was written by a newer linkyflux (version 7): upgrade linkyflux, "
        "or move the file away",
        intact=("state.json",),
    ),
    Row(
        "state.json-unknown-dialect/fetch",
        edit("state.json", set_dialect),
        FETCH,
        "{state}/state.json: dialects.http://127.0.0.1:1 is 'v9', not a dialect linkyflux "
        f"speaks (v5, 2026): {MOVE_AWAY}",
        intact=("state.json",),
        secrets=("Pa55word",),
    ),
    Row(
        "state.json-day-9999-12-31/status",
        edit("state.json", series_days([["2026-11-20", "9999-12-31", "complete"]])),
        STATUS,
        f"{{state}}/state.json: usage_points.{HOUSE}.series.consumption/curve.days[0][1] is "
        f"'9999-12-31', out of range (1990-01-01 to 2199-12-31): {MOVE_AWAY}",
    ),
    Row(
        "state.json-day-9999-12-31/fetch",
        edit("state.json", series_days([["9999-12-31", "9999-12-31", "complete"]])),
        FETCH,
        f"{{state}}/state.json: usage_points.{HOUSE}.series.consumption/curve.days[0][0] is "
        f"'9999-12-31', out of range (1990-01-01 to 2199-12-31): {MOVE_AWAY}",
        intact=("state.json",),
    ),
    Row(
        "state.json-days-a-string/fetch",
        edit("state.json", series_days("2026-11-20")),
        FETCH,
        f"{{state}}/state.json: usage_points.{HOUSE}.series.consumption/curve.days is "
        f"'2026-11-20', not a list: {MOVE_AWAY}",
    ),
    Row(
        "state.json-cost-infinite/status",
        edit("state.json", infinite_cost),
        STATUS,
        "is Infinity, not a finite number",
    ),
    Row(
        "state.json-truncated/fetch",
        write("state.json", '{"version":2,"usage_points":{"2251'),
        FETCH,
        "{state}/state.json is not valid JSON (Unterminated string starting at line 1, "
        f"column 30): {MOVE_AWAY}",
    ),
    Row(
        "state.json-not-utf8/status",
        write("state.json", b'{"version":2,"destination":"\xe9t\xe9"}'),
        STATUS,
        f"{{state}}/state.json is not UTF-8 text: {MOVE_AWAY}",
    ),
    Row(
        "tokens.json-usage-points-a-string/fetch",
        edit("tokens.json", set_key("usage_points", HOUSE)),
        FETCH,
        f"{{state}}/tokens.json: usage_points is a string, not a list: {AUTH_AGAIN}",
    ),
    Row(
        "tokens.json-access-token-a-list/status",
        edit("tokens.json", lambda doc: doc.update(access_token=[doc["access_token"]])),
        STATUS,
        f"{{state}}/tokens.json: access_token is a list, not a string: {AUTH_AGAIN}",
    ),
    Row(
        "tokens.json-expires-at-year-1/fetch",
        edit("tokens.json", set_key("expires_at", "0001-01-01T00:00:00+00:00")),
        FETCH,
        f"{{state}}/tokens.json: expires_at is out of range (1970 to 9998): {AUTH_AGAIN}",
    ),
    Row(
        "tokens.json-version-7/status",
        edit("tokens.json", set_key("version", 7)),
        STATUS,
        "{state}/tokens.json was written by a newer linkyflux (version 7): upgrade linkyflux, "
        "or move the file away",
    ),
    Row(
        "tokens.json-truncated/fetch",
        write("tokens.json", '{"access_token": "abc'),
        FETCH,
        "{state}/tokens.json is not valid JSON",
    ),
    Row(
        "tempo.json-version-7/fetch",
        write("tempo.json", '{"version": 7, "colours": {}}'),
        FETCH,
        "{state}/tempo.json was written by a newer linkyflux (version 7): upgrade linkyflux, "
        "or move the file away",
        config=TEMPO,
    ),
    # ---- a directory that is not writable, a disk that is full
    Row(
        "state-dir-not-writable(simulated)/fetch",
        not_writable(lambda w: w.state_dir),
        FETCH,
        NOT_WRITABLE,
        intact=("state.json", "tokens.json"),
    ),
    Row(
        "state-dir-not-writable(simulated)/import",
        not_writable(lambda w: w.state_dir),
        IMPORT,
        NOT_WRITABLE,
        prepare="",
    ),
    Row(
        "state-dir-cannot-be-created(simulated)/import",
        not_writable(lambda w: w.home),
        IMPORT,
        "cannot create {state}: {home} is not writable: fix its permissions "
        "(chmod u+rwx {home}) or set state.dir",
        prepare="",
    ),
    Row(
        "full-disk(simulated)-state.json/fetch",
        full_disk(r"/\.state\.json\.[0-9]+\.tmp$"),
        FETCH,
        full("state.json") + " (the previous file is intact)",
        intact=("state.json",),
    ),
    Row(
        "full-disk(simulated)-state.json/import",
        full_disk(r"/\.state\.json\.[0-9]+\.tmp$"),
        IMPORT,
        full("state.json") + " (the previous file is intact)",
        intact=("state.json",),
    ),
    Row(
        "full-disk(simulated)-tokens.json/auth",
        full_disk(r"/\.tokens\.json\.[0-9]+\.tmp$"),
        AUTH,
        full("tokens.json") + " (the previous file is intact)",
        prepare="auth",
        intact=("tokens.json",),
    ),
    Row(
        "full-disk(simulated)-tokens.json/refresh",
        both(expire_tokens, full_disk(r"/\.tokens\.json\.[0-9]+\.tmp$")),
        FETCH,
        full("tokens.json") + " (the previous file is intact)",
        intact=("tokens.json",),
    ),
    Row(
        "full-disk(simulated)-requests.log/fetch",
        full_disk(r"/requests\.log$"),
        FETCH,
        "no space left on device writing {state}/requests.log: free some space",
    ),
    Row(
        "full-disk(simulated)-spool/fetch",
        both(
            spooled(("000000000001.lp", GOOD_LINE + "\n")),
            full_disk(r"/spool/\.000000000002\.lp\.[0-9]+\.tmp$"),
        ),
        FETCH,
        "no space left on device writing {state}/spool/000000000002.lp: free some space and "
        "run again (the points that could not be spooled are not recorded as written)",
        prepare="auth",
        config={"influxdb": {"output": "{home}"}},  # a directory: the sink fails, points spool
        intact=("spool/000000000001.lp",),
        then=nothing_new_in_the_spool,
    ),
    Row(
        "full-disk(simulated)-tempo.json/fetch",
        full_disk(r"/\.tempo\.json\.[0-9]+\.tmp$"),
        FETCH,
        "no space left on device writing {state}/tempo.json: free some space; nothing was lost",
        prepare="auth",
        config=TEMPO,
    ),
    # ---- a warning, and the run goes on
    Row(
        "spool-file-not-utf8/fetch",
        spooled(("000000000001.lp", LATIN1_LINE), ("000000000002.lp", GOOD_LINE + "\n")),
        FETCH,
        "",
        exit_code=0,
        lines=0,
        then=set_aside,
    ),
    Row(
        "spool-file-not-utf8/import",
        spooled(("000000000001.lp", LATIN1_LINE), ("000000000002.lp", GOOD_LINE + "\n")),
        IMPORT,
        "",
        exit_code=0,
        lines=0,
        prepare="",
        then=set_aside,
    ),
    Row("tokens.json-mode-0644/fetch", chmod_644, FETCH, "", exit_code=0, lines=0, then=mode_600),
    Row("tokens.json-mode-0644/status", chmod_644, STATUS, "", exit_code=0, lines=0, then=mode_600),
]


def _fill(value: Any, w: World) -> Any:
    if isinstance(value, str):
        return value.format(state=w.state_dir, home=w.home, url=w.url)
    if isinstance(value, dict):
        return {k: _fill(v, w) for k, v in value.items()}
    return value


def _run(w: World, argv: list[str]) -> Result:
    """As :func:`hostile.invoke`, with the simulated browser that `auth` needs."""
    runtime = Runtime(clock=w.clock, on_device_code=w._browser)
    args = ["--config", str(w.home / "config.toml"), *argv]
    return CliRunner().invoke(cli, args, obj=runtime, catch_exceptions=True)


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_the_state_directory_on_a_hostile_machine(
    row: Row, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_env(monkeypatch, tmp_path)
    with world(tmp_path, today=date(2026, 11, 22)) as w:
        w.consent = (HOUSE,)
        w.config(**_fill(row.config, w))
        first, end = date(2026, 11, 16), date(2026, 11, 18)
        curve = w.simulator.truth_curve(HOUSE, "consumption", first)  # type: ignore[arg-type]
        curve += w.simulator.truth_curve(HOUSE, "consumption", first + timedelta(1))  # type: ignore[arg-type]
        (w.home / "r63.csv").write_text(r63([(HOUSE, "consumption", curve)], first, end))
        if row.prepare:
            assert w.run("auth").exit_code == 0
        if row.prepare == "fetch":
            done = w.run("fetch", "-q")
            assert done.exit_code == 0, done.output
        tokens = w.state_dir / "tokens.json"
        saved = json.loads(tokens.read_text()) if tokens.exists() else {}
        secrets = [saved[k] for k in ("access_token", "refresh_token") if saved.get(k)]
        secrets += row.secrets
        row.damage(w, monkeypatch)
        before = {name: (w.state_dir / name).read_bytes() for name in row.intact}
        argv = [_fill(arg, w) for arg in row.argv]
        result = (
            _run(w, argv) if argv[0] == "auth" else invoke(argv, w.home / "config.toml", w.clock)
        )
        monkeypatch.undo()  # the OS calls are the real ones again, for the checks
        assert_one_line(result, row.exit_code, _fill(row.says, w), secrets=secrets, lines=row.lines)
        for name, data in before.items():
            assert (w.state_dir / name).read_bytes() == data, f"{name} changed"
        if row.intact:
            leftovers = [p.name for p in w.state_dir.rglob("*.tmp")]
            assert leftovers == [], leftovers
        if row.then is not None:
            row.then(w, result)


def test_files_without_a_version_load_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """tokens.json had no version before issue #17, state.json has had version 2 (or none):
    both are read as they were."""
    clean_env(monkeypatch, tmp_path)
    with world(tmp_path) as w:
        w.consent = (HOUSE,)
        w.config()
        assert w.run("auth").exit_code == 0
        assert w.run("fetch", "-q").exit_code == 0
        assert json.loads((w.state_dir / "tokens.json").read_text())["version"] == 1
        for name in ("tokens.json", "state.json"):
            edit(name, lambda document: document.pop("version"))(w, monkeypatch)
        before = invoke(["status", "--json"], w.home / "config.toml", w.clock)
        assert before.exit_code == 0, before.output
        assert json.loads(before.stdout)["consent"]["usage_points"] == [HOUSE]
        assert json.loads(before.stdout)["usage_points"][HOUSE]["series"]
        assert invoke(["fetch", "-q"], w.home / "config.toml", w.clock).exit_code == 0
        assert json.loads((w.state_dir / "state.json").read_text())["version"] == 2


def test_the_state_directory_s_exit_code_is_documented() -> None:
    assert EXIT_CODES[STATE].startswith("the state directory or a file in it is unusable")
