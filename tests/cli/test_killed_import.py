"""An import killed with SIGKILL half-way leaves the database exactly as it was."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from clearground.store import open_store
from clearground.synthetic import write_hazards
from tests.helpers import snapshot

pytestmark = pytest.mark.slow

CLI = [sys.executable, "-c", "from clearground.cli import run; run()"]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory) -> Path:
    # Large enough that writing the transaction takes a visible while (about 90 MB of pages).
    return write_hazards(tmp_path_factory.mktemp("big") / "big.gpkg", 120_000, seed=11)


def _seeded_db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'k.db'}"
    seed = write_hazards(tmp_path / "seed.gpkg", 5, seed=3)
    for args in (["init"], ["import", "hazards", str(seed)]):
        subprocess.run([*CLI, "--db", url, *args], check=True, capture_output=True)
    return url


def _state(url: str):
    s = open_store(url)
    try:
        return snapshot(s)
    finally:
        s.close()


def _integrity(db: Path) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


@pytest.mark.parametrize("moment", ["while writing the transaction", "while reading the file"])
def test_sigkill_mid_import_changes_nothing(tmp_path, big_file, moment):
    url = _seeded_db(tmp_path)
    db = tmp_path / "k.db"
    wal = Path(f"{db}-wal")
    before = _state(url)
    proc = subprocess.Popen(
        [*CLI, "--db", url, "import", "hazards", str(big_file)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    if moment == "while reading the file":
        time.sleep(1.0)
    else:
        # The transaction's pages reach the write-ahead log only as it is written: wait for it.
        while time.monotonic() < deadline and proc.poll() is None:
            if wal.exists() and wal.stat().st_size > 4 * 1024 * 1024:
                break
            time.sleep(0.002)
    assert proc.poll() is None, "the import ended before it could be killed: use a larger file"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    assert proc.returncode == -signal.SIGKILL
    assert _integrity(db) == "ok"
    assert _state(url) == before
    # and the database still takes the same import afterwards
    done = subprocess.run(
        [*CLI, "--db", url, "import", "hazards", str(big_file)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert open_store(url).count("hazard") == 5 + 120_000
