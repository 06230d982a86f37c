"""ogctests (the PyPI suite of OGC API - Features Part 1 Core checks) against a real server on a
free loopback port, on each engine, as a GIS analyst's program reads (a viewer's Bearer token)
and as the public reads (no token: it is shown only the collections it may read). ogctests
exits 0 even when checks fail, so scripts/ogctests reads its JUnit report and this test reads
that summary."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.web import ogc_fixtures

ogc_db = ogc_fixtures.ogc_db

ROOT = Path(__file__).resolve().parents[2]
VENV_PYTHON = ROOT / ".venv-ogctests" / "bin" / "python"
#: The core checks ogctests 0.1.15 has (abstract tests 1 to 29 of its features/core).
CORE_CHECKS = 29


@pytest.fixture
def viewer_token(ogc_db) -> str:
    from clearground.services import accounts
    from clearground.store import open_store

    s = open_store(ogc_db)
    try:
        accounts.add_user(s, "gis", role="viewer", password="SYNTHETIC pass phrase", actor="t")
        return accounts.create_token(s, "ogctests", user="gis", actor="t")[1]
    finally:
        s.close()


@pytest.mark.parametrize("as_viewer", [True, False], ids=["viewer", "public"])
def test_every_ogctests_core_check_passes(ogc_db, viewer_token, server, as_viewer):
    if not VENV_PYTHON.exists():
        if os.environ.get("CI"):
            raise AssertionError("scripts/test makes .venv-ogctests (scripts/ogctests --install)")
        pytest.skip("no .venv-ogctests: run scripts/ogctests --install first")
    done = subprocess.run(
        [str(ROOT / "scripts" / "ogctests"), f"{server}/ogc"],
        capture_output=True,
        text=True,
        timeout=600,
        env={
            **{k: v for k, v in os.environ.items() if k != "OGCTESTS_TOKEN"},
            **({"OGCTESTS_TOKEN": viewer_token} if as_viewer else {}),
        },
    )
    lines = done.stdout.strip().splitlines()
    assert lines, done.stderr[-2000:]
    summary = json.loads(lines[-1])
    assert summary.get("failed") == [], summary
    assert len(summary["passed"]) == CORE_CHECKS, summary
    assert done.returncode == 0
