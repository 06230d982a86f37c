"""``published``: a real ``clearground publish`` run into a tmp folder over a small SYNTHETIC
SQLite database, shared by the publish tests and the public page's browser tests.

The database: the SYNTHETIC demo (admin areas, hazards, land release) plus a cluster of hazards
near Kyiv (one big, one tiny enough to be a point even at zoom 14, several whose notes and free
attributes are internal) and an accident whose victims have names, contacts and notes: none of
these may appear in any published file (``NEEDLES``).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import shapely

from clearground.cli import main
from tests.helpers import write_layer

AUTHOR = "SYNTHETIC publisher"
VICTIM_NAME = "SYNTHETIC Zelda Quaggamire"
VICTIM_PHONE = "+000 SYNTHETIC 5557771"
VICTIM_NOTE = "SYNTHETIC Bogglewort lives by the mill"
HAZARD_NOTE = "SYNTHETIC internal Frumiousnote"
ATTRIBUTE = "SYNTHETIC Vorpalattribute"
#: The distinctive part of each: found even if a value is cut or re-cased.
NEEDLES = ("Quaggamire", "5557771", "Bogglewort", "Frumiousnote", "Vorpalattribute")
KYIV = (30.52, 50.45)


@dataclass
class Published:
    """A published site: its folder, the database it came from, and what it must not hold."""

    dir: Path
    db: str
    cluster_ids: list[str]
    before_cluster: str  # an --as-of time before the cluster's import
    needles: tuple[str, ...] = NEEDLES
    out: str = ""
    env: dict[str, str] = field(default_factory=dict)


def run_cli(*args: str, env: dict[str, str] | None = None) -> int:
    """Run the CLI in process with ``env`` set, as a user would type it."""
    saved = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        return main([str(a) for a in args])
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _cluster(tmp: Path) -> Path:
    x, y = KYIV
    geoms, names, notes, extra = [], [], [], []
    for i in range(12):
        dx, dy = (i % 4) * 0.01, (i // 4) * 0.008
        size = 0.0008 + 0.0004 * i
        geoms.append(shapely.box(x + dx, y + dy, x + dx + size, y + dy + size * 0.7))
        names.append(f"SYNTHETIC cluster hazard {i + 1}")
        notes.append(HAZARD_NOTE if i % 2 else "")
        extra.append(ATTRIBUTE if i % 3 == 0 else "")
    geoms.append(shapely.box(x - 0.06, y - 0.04, x - 0.02, y - 0.015))  # big
    names.append("SYNTHETIC cluster hazard big")
    geoms.append(shapely.box(x + 0.05, y, x + 0.05 + 0.00002, y + 0.00002))  # ~1.4 x 2.2 m
    names.append("SYNTHETIC cluster hazard tiny")
    notes += [HAZARD_NOTE, ""]
    extra += ["", ATTRIBUTE]
    fields = {
        "name": names,
        "classification": ["CHA" if i % 2 else "SHA" for i in range(len(names))],
        "notes": notes,
        "informant": extra,
    }
    return write_layer(tmp / "cluster.geojson", geoms, fields)


def _accident(tmp: Path) -> tuple[Path, Path]:
    acc = write_layer(
        tmp / "acc.gpkg",
        [shapely.Point(KYIV[0] + 0.001, KYIV[1] + 0.0005)],
        {"id": ["AC-1"], "date": ["2025-04-01"], "notes": [""]},
    )
    vic = write_layer(
        tmp / "victims.gpkg",
        [None, None],
        {
            "accident_id": ["AC-1", "AC-1"],
            "sex": ["f", "male"],
            "outcome": ["killed", "injured"],
            "name": [VICTIM_NAME, ""],
            "contact": [VICTIM_PHONE, ""],
            "notes": ["", VICTIM_NOTE],
        },
        geometry_type="Unknown",
    )
    return acc, vic


@pytest.fixture(scope="session")
def published(tmp_path_factory) -> Published:
    """The demo database (40 SYNTHETIC hazards) plus the Kyiv cluster, published to DIR/site."""
    tmp = tmp_path_factory.mktemp("published")
    db = f"sqlite:///{tmp / 'public.db'}"
    env = {"CLEARGROUND_AUTHOR": AUTHOR, "CLEARGROUND_PERMISSIONS": "victim_data"}
    os.environ.pop("CLEARGROUND_CONFIG", None)
    assert run_cli("--db", db, "demo", "--hazards", "40", env=env) == 0
    time.sleep(0.01)
    from clearground.store import open_store

    s = open_store(db)
    before = max(v.valid_from for v in s.list("hazard"))
    s.close()
    assert run_cli("--db", db, "import", "hazards", _cluster(tmp), env=env) == 0
    acc, vic = _accident(tmp)
    assert run_cli("--db", db, "import", "accidents", acc, "--victims", vic, env=env) == 0
    s = open_store(db)
    cluster = sorted(v.id for v in s.list("hazard") if "cluster" in v.record.name)
    assert len(cluster) == 14
    s.close()
    site = tmp / "site"
    assert run_cli("--db", db, "publish", site, env=env) == 0
    return Published(site, db, cluster, before, env=env)
