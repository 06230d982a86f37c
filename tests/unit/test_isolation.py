"""The domain core imports no web framework, database driver or GDAL."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("fastapi", "starlette", "psycopg", "pyogrio", "sqlite3", "typer", "rich", "pydantic")


def test_importing_the_domain_loads_no_io_modules():
    code = (
        "import sys, json, clearground.domain as d; d.HazardArea; d.apply_activity;"
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    bad = sorted(m for m in loaded if m.split(".")[0] in FORBIDDEN)
    assert bad == [], f"clearground.domain pulled in {bad}"
    assert "clearground.domain.landrelease" in loaded


def test_cli_help_is_fast_because_it_loads_nothing_heavy():
    code = "import sys, json\nfrom clearground import cli\nprint(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout))
    heavy = sorted(
        m for m in loaded if m.split(".")[0] in ("pyogrio", "pyproj", "psycopg", "shapely")
    )
    assert heavy == []
