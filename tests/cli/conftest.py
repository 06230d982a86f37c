"""Run the CLI in process, as a user would type it, against a real database in tmp_path."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest

from clearground.cli import main


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(store_url, capsys, monkeypatch):
    """cli("import", "hazards", path) -> Result, on each engine's database; ``db=URL`` runs it
    on another database (a fresh one for round trips)."""
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)

    def run(*args: str, db: str | None = None) -> Result:
        capsys.readouterr()
        code = main(["--db", db or store_url, *map(str, args)])
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    run.url = store_url
    return run
