"""The docs cannot drift from the code: README.md, config.example.toml, .ci/run.

README's generated blocks (``--help`` of every command, the exit codes, the simulator's
meters) sit between ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` markers. After changing
the code, regenerate them with::

    python tests/test_docs.py --update
"""

from __future__ import annotations

import json
import os
import re
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path

# `python tests/test_docs.py --update` works from a checkout without installing linkyflux.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pytest
from click.testing import CliRunner
from pydantic import BaseModel, SecretStr

from linkyflux.cli import cli
from linkyflux.errors import EXIT_CODES
from linkyflux.settings import Settings, load_settings
from linkyflux.simulator.synthetic import METERS
from linkyflux.sinks import schema

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE = ROOT / "config.example.toml"
CI_RUN = ROOT / ".ci" / "run"

# A fixed width, so that the help text does not depend on the terminal running the tests.
HELP_WIDTH = 100
QUICK_START = (
    "python3 -m venv .venv && .venv/bin/pip install . && .venv/bin/linkyflux demo",
    "./scripts/test.sh",
)


def _cell(text: str) -> str:
    return text.replace("|", r"\|")


def help_block() -> str:
    """`linkyflux --help`, then each command's, in the order they are defined."""
    parts = []
    for args in ([], *([name] for name in cli.commands)):
        result = CliRunner().invoke(
            cli, [*args, "--help"], prog_name="linkyflux", terminal_width=HELP_WIDTH
        )
        assert result.exit_code == 0, result.output
        title = " ".join(["linkyflux", *args, "--help"])
        parts.append(f"### `{title}`\n\n```text\n{result.output.rstrip()}\n```")
    return "\n\n".join(parts)


def exit_codes_block() -> str:
    rows = [f"| {code} | {_cell(meaning)} |" for code, meaning in EXIT_CODES.items()]
    return "\n".join(["| code | meaning |", "|---:|---|", *rows])


def meters_block() -> str:
    rows = [
        f"| `{m.usage_point_id}` | {_cell(m.label)} | {', '.join(m.directions)} "
        f"| {m.step_minutes} min |"
        for m in METERS
    ]
    return "\n".join(
        ["| usage point | what it simulates | directions | interval |", "|---|---|---|---|", *rows]
    )


BLOCKS: dict[str, Callable[[], str]] = {
    "help": help_block,
    "exit-codes": exit_codes_block,
    "meters": meters_block,
}


def _block_pattern(name: str) -> re.Pattern[str]:
    """The markers on their own lines, and what is between them (possibly nothing)."""
    return re.compile(rf"<!-- {name}:start -->\n(?:(.*?)\n)?<!-- {name}:end -->", re.DOTALL)


def readme_block(text: str, name: str) -> str:
    matches = list(_block_pattern(name).finditer(text))
    assert len(matches) == 1, f"README.md needs one <!-- {name}:start/end --> pair"
    return matches[0].group(1) or ""


def update_readme() -> list[str]:
    """Rewrite README's generated blocks; return the names of those that changed."""
    text = README.read_text(encoding="utf-8")
    changed = []
    for name, generate in BLOCKS.items():
        fresh = generate()
        if readme_block(text, name) != fresh:  # also checks there is exactly one block
            changed.append(name)
            match = _block_pattern(name).search(text)
            assert match is not None
            block = f"<!-- {name}:start -->\n{fresh}\n<!-- {name}:end -->"
            text = text[: match.start()] + block + text[match.end() :]
    if changed:
        README.write_text(text, encoding="utf-8")
    return changed


def settings_keys() -> set[str]:
    """Every ``section.key`` of the settings models."""
    keys = set()
    for section, field in Settings.model_fields.items():
        model = field.annotation
        assert isinstance(model, type) and issubclass(model, BaseModel), section
        keys.update(f"{section}.{key}" for key in model.model_fields)
    return keys


def settings_defaults() -> dict[str, str]:
    """``section.key`` -> its default written as a TOML value."""
    out = {}
    for section, field in Settings.model_fields.items():
        for key, value in field.get_default().model_dump().items():
            if isinstance(value, SecretStr):
                value = value.get_secret_value()
            out[f"{section}.{key}"] = json.dumps(value)
    return out


@pytest.fixture
def readme() -> str:
    return README.read_text(encoding="utf-8")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("LINKYFLUX_"):
            monkeypatch.delenv(name)


@pytest.mark.parametrize("name", list(BLOCKS))
def test_generated_block_is_up_to_date(readme: str, name: str) -> None:
    assert readme_block(readme, name) == BLOCKS[name](), (
        f"README.md's {name} block is stale: run `python tests/test_docs.py --update`"
    )


@pytest.mark.usefixtures("clean_env")
def test_config_example_loads() -> None:
    settings = load_settings(str(EXAMPLE))
    assert settings.source == str(EXAMPLE)
    assert settings.consent.url == "https://consent-proxy.example.org"
    assert settings.consent.client_id == "your-client-id"


def test_config_example_has_every_key_and_only_those() -> None:
    data = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    keys = {f"{section}.{key}" for section, values in data.items() for key in values}
    assert keys == settings_keys()


def test_readme_names_every_setting(readme: str) -> None:
    missing = sorted(key for key in settings_keys() if f"`{key}`" not in readme)
    assert not missing


def test_readme_settings_table_shows_the_defaults(readme: str) -> None:
    defaults = settings_defaults()
    assert set(defaults) == settings_keys()
    wrong = sorted(
        f"{key} = {default}"
        for key, default in defaults.items()
        if f"| `{key}` | `{default}` |" not in readme
    )
    assert not wrong, "README's configuration table disagrees with settings.py"


def test_readme_quick_start_commands(readme: str) -> None:
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    for command in QUICK_START:
        assert f"\n```sh\n{command}\n```\n" in section


def test_ci_runs_the_test_command() -> None:
    lines = CI_RUN.read_text(encoding="utf-8").splitlines()
    code = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]
    assert any("./scripts/test.sh" in ln for ln in code)


def test_readme_names_every_schema_name(readme: str) -> None:
    names = [v for k, v in vars(schema).items() if k.isupper() and isinstance(v, str)]
    assert len(names) >= 9
    missing = [name for name in names if f"`{name}`" not in readme]
    assert not missing


def test_readme_names_every_command(readme: str) -> None:
    for name in cli.commands:
        assert f"`linkyflux {name}" in readme


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit(f"usage: python {sys.argv[0]} --update   (rewrites README.md's generated blocks)")
    changed = update_readme()
    print(f"README.md: updated {', '.join(changed)}" if changed else "README.md: up to date")


@pytest.mark.usefixtures("clean_env")
def test_readme_toml_examples_are_valid_settings(tmp_path: Path) -> None:
    """Every TOML example of the README loads (a block of alternative lines, such as the
    schedule examples, line by line), so an example cannot show a key or a value the code
    refuses."""
    from linkyflux.settings import load_settings

    blocks = re.findall(r"```toml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 4
    for n, block in enumerate(blocks):
        try:
            tomllib.loads(block)
            documents = [block]
        except tomllib.TOMLDecodeError:  # alternatives: each line is an example of its own
            documents = [ln for ln in block.splitlines() if ln.strip() and not ln.startswith("#")]
            documents = [f"[tariff]\n{ln}" if ln.startswith("offpeak") else ln for ln in documents]
        for document in documents:
            config = tmp_path / f"readme-{n}.toml"
            config.write_text(document, encoding="utf-8")
            load_settings(str(config))  # raises ConfigError on what the code refuses


@pytest.mark.usefixtures("clean_env")
def test_config_example_commented_examples_are_valid_settings(tmp_path: Path) -> None:
    """The examples commented out in config.example.toml (indented ``#   `` lines) load too."""
    from linkyflux.settings import load_settings

    blocks: list[list[str]] = [[]]
    for line in EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.startswith("#   "):
            blocks[-1].append(line[4:])
        elif blocks[-1]:
            blocks.append([])
    # the indented blocks that open a table are examples; the others are lists in prose
    examples = ["\n".join(block) for block in blocks if block and block[0].startswith("[")]
    assert len(examples) >= 3
    for n, example in enumerate(examples):
        config = tmp_path / f"example-{n}.toml"
        config.write_text(example + "\n", encoding="utf-8")
        load_settings(str(config))
