"""Every CLI command is in the README (settings are checked in tests/unit/test_config.py)."""

from __future__ import annotations

from pathlib import Path

import typer

from clearground.cli import app

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def _commands(group, prefix=()):
    for name, command in sorted(group.commands.items()):
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield from _commands(command, path)
        else:
            yield " ".join(path)


def test_every_command_is_documented():
    commands = list(_commands(typer.main.get_command(app)))
    assert "import hazards" in commands and "check" in commands
    missing = [c for c in commands if f"`{c}" not in README and f"{c} " not in README]
    assert missing == [], f"commands missing from README.md: {missing}"
