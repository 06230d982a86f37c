"""The documentation matches the program: every CLI command is in the README's Commands table,
every setting in its Settings table, and the README and docs/ stand on their own (their links
resolve inside the repository; nothing points outside it)."""

from __future__ import annotations

import re
from pathlib import Path

import typer

from clearground.cli import app
from clearground.config import Settings

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
ARCHITECTURE = ROOT / "docs" / "architecture.md"


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):
            if getattr(command, "invoke_without_command", False):
                yield " ".join(path)  # a group that also runs by itself (prioritise --config)
            yield from _commands(command, path)
        else:
            yield " ".join(path)


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` (a whole heading line) up to the next heading of its level or
    higher."""
    level = len(heading) - len(heading.lstrip("#"))
    match = re.search(rf"^{re.escape(heading)}[ \t]*$", markdown, re.M)
    assert match, f"README.md has no heading {heading!r}"
    rest = markdown[match.end() :]
    end = re.search(rf"^#{{1,{level}}} ", rest, re.M)
    return rest[: end.start()] if end else rest


def table_rows(text: str) -> list[list[str]]:
    """The cells of each body row of the first Markdown table in ``text`` (``\\|`` is a pipe)."""
    rows = []
    for line in text.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
        rows.append(cells)
    assert len(rows) > 2, "no table found"
    return rows[2:]  # past the header and the --- line


def documented_commands() -> set[str]:
    """Command paths named in the first column of the README's Commands table: the leading
    lower-case words of each `code span` (`hazard edit ID --set ...` names ``hazard edit``)."""
    names = set()
    for cells in table_rows(section(README, "### Commands")):
        for span in re.findall(r"`([^`]+)`", cells[0]):
            words = []
            for word in span.split():
                if not re.fullmatch(r"[a-z][a-z_-]*", word):
                    break
                words.append(word)
            if words:
                names.add(" ".join(words))
    return names


def test_every_command_is_in_the_commands_table():
    commands = set(_commands(typer.main.get_command(app)))
    assert {"import hazards", "check", "init"} <= commands
    documented = documented_commands()
    assert sorted(commands - documented) == [], "commands missing from README's Commands table"
    assert sorted(documented - commands) == [], "README's Commands table names no such command"


def test_every_setting_is_in_the_settings_table():
    rows = table_rows(section(README, "## Settings"))
    table = {cells[0].strip("`"): cells[1].strip("`") for cells in rows}
    expected = {name: f"CLEARGROUND_{name.upper()}" for name in Settings.model_fields}
    assert table == expected, "README's Settings table differs from clearground.config.Settings"
    for cells in rows:
        assert cells[2] and cells[3], f"setting {cells[0]} needs a default and a meaning"


def test_the_architecture_is_in_the_repository_and_linked():
    assert "](docs/architecture.md)" in README
    text = ARCHITECTURE.read_text()
    packages = sorted(
        p.name for p in (ROOT / "src" / "clearground").iterdir() if (p / "__init__.py").exists()
    )
    assert {"domain", "store", "formats", "services", "analysis"} <= set(packages)
    missing = [p for p in packages if f"`{p}/`" not in text and f"`{p}`" not in text]
    assert missing == [], f"docs/architecture.md does not describe {missing}"


def test_links_stay_inside_the_repository():
    """Relative links in README.md and docs/ resolve to files here; none leads out of the clone
    (a private note beside it is not something a user has)."""
    outside = "../" + "shared"  # spelt in two pieces so that this file does not match itself
    texts = {ROOT / "README.md": README} | {p: p.read_text() for p in ROOT.glob("docs/**/*.md")}
    for path in [*ROOT.glob("src/**/*.py"), *ROOT.glob("tests/**/*.py")]:
        assert outside not in path.read_text(), f"{path.relative_to(ROOT)} refers to {outside}"
    for path, text in texts.items():
        assert outside not in text, f"{path.relative_to(ROOT)} refers to {outside}"
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # a web address
            resolved = (path.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{path.name}: {target} leads out of the clone"
            assert resolved.exists(), f"{path.name}: link {target} resolves to nothing"
