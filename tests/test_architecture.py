"""The package is laid out as its pipeline, and its stages keep to their rules.

Read from the imports of every module (those inside functions too): the next change that
breaks a rule fails here, naming the module and the import.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "linkyflux"
STAGES = ("sources", "tariffs", "sync", "sinks", "simulator", "grafana", "app")
MAX_LINES = 450


def modules() -> dict[str, Path]:
    """``linkyflux.sync.engine`` -> its file."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def imports(path: Path) -> set[str]:
    """Every module a file imports (``from x import y`` counts ``x`` and ``x.y``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def stage(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "linkyflux" and parts[1] in STAGES else None


def test_the_folders_are_the_pipeline() -> None:
    assert {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()} == set(STAGES)
    for name in STAGES:
        doc = ast.get_docstring(ast.parse((PACKAGE / name / "__init__.py").read_text()))
        assert doc and "ever" in doc, f"{name}/__init__.py must say what it owns and never does"


def test_the_tests_mirror_the_stages() -> None:
    tests = Path(__file__).resolve().parent
    for name in STAGES:
        assert sorted((tests / name).glob("test_*.py")), f"tests/{name}/ has no test"
    names = [p.name for p in tests.rglob("test_*.py")]
    assert len(names) == len(set(names)), "two test files share a name (pytest imports both)"


def test_tariffs_are_pure() -> None:
    allowed = (
        "linkyflux.tariffs",
        "linkyflux.models",
        "linkyflux.timeutil",
        "linkyflux.errors",
        "linkyflux.text",  # how a message quotes a value: pure string work
    )
    banned = ("httpx", "influxdb_client", "pydantic", "pydantic_settings", "linkyflux.settings")
    for name, path in modules().items():
        if stage(name) != "tariffs":
            continue
        for imported in imports(path):
            assert not imported.startswith(banned), f"{name} imports {imported}"
            if imported.startswith("linkyflux."):
                assert imported.startswith(allowed), f"{name} imports {imported}"


def test_sources_and_sinks_never_meet() -> None:
    for name, path in modules().items():
        for imported in imports(path):
            pair = (stage(name), stage(imported))
            assert pair not in (("sources", "sinks"), ("sinks", "sources")), f"{name}: {imported}"


def test_nothing_imports_the_cli_and_only_the_demo_the_simulator() -> None:
    for name, path in modules().items():
        for imported in imports(path):
            if imported.startswith("linkyflux.cli"):
                assert name == "linkyflux.__main__", f"{name} imports {imported}"
            if stage(imported) == "simulator":
                assert name == "linkyflux.app.demo" or stage(name) == "simulator", name


def test_only_the_cli_runs_the_commands() -> None:
    """The app wires the stages; the stages are wired, they never reach back (only the
    gateways read their own section of the settings)."""
    for name, path in modules().items():
        for imported in imports(path):
            if stage(imported) == "app":
                assert name == "linkyflux.cli" or stage(name) == "app", f"{name}: {imported}"
            if imported.startswith("linkyflux.settings"):
                assert stage(name) not in ("tariffs", "sync", "sinks", "grafana"), name


def test_no_cycle_between_stages() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    for name, path in modules().items():
        for imported in imports(path):
            a, b = stage(name), stage(imported)
            if a and b and a != b:
                edges[a].add(b)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges[start]
        )

    cycles = sorted(a for a in STAGES if reaches(a, a, {a}))
    assert cycles == [], f"stages in a cycle: {cycles} ({dict(edges)})"


def test_no_module_imports_itself_back() -> None:
    """One direction between modules too, inside a stage (the simulator's dispatcher imports
    the upstreams, they import their shared state, never back) and across stages; imports
    inside functions count."""
    found = modules()
    edges = {name: imports(path) & found.keys() - {name} for name, path in found.items()}

    def reachable(start: str) -> set[str]:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(edges[name])
        return seen

    cycles = sorted(name for name in edges if name in reachable(name))
    assert cycles == [], f"modules in a cycle: {cycles}"


def test_modules_stay_small() -> None:
    for path in modules().values():
        lines = len(path.read_text().splitlines())
        assert lines <= MAX_LINES, (
            f"{path.relative_to(PACKAGE)}: {lines} lines (at most {MAX_LINES})"
        )
