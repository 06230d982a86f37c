"""Every benchmark runs at small size in CI, so none of them rots unnoticed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize(
    ("script", "args"),
    [
        ("import_hazards.py", ["--n", "500", "--repeat", "1"]),
        ("formats.py", ["--n", "300", "--repeat", "1"]),
        ("national_load.py", ["--scale", "0.005"]),
        ("activity_many_parts.py", ["--parts", "500"]),
        (
            "serve_load.py",
            [
                "--hazards",
                "200",
                "--seconds",
                "0.3",
                "--queries",
                "60",
                "--clients",
                "4",
                "--no-postgis",
            ],
        ),
        ("prioritise.py", ["--small"]),
        ("dashboard.py", ["--scale", "0.005", "--repeat", "1"]),
    ],
)
def test_benchmark_runs_small_and_prints_a_ratio(script, args):
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr
    assert "ratio" in done.stdout
    ratio = float(done.stdout.split("ratio")[1].split()[0])
    assert ratio > 0
