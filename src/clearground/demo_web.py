"""The browser demo on top of ``clearground demo``: a SYNTHETIC operator organisation, EO items
and accidents near the demo's hazards (through the same importers real files take), and one
account per role with a password generated for this demo, printed once.

``python -m clearground.demo_web --db URL`` is what ``scripts/demo`` runs; the browser tests
call :func:`add_web_demo`. Everything it makes is labelled SYNTHETIC; the accounts are for the
demo only (their passwords are random, never reused, shown once).
"""

from __future__ import annotations

import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["DEMO_ORGANISATION", "add_web_demo", "main"]

DEMO_ORGANISATION = "ORG-SYN1"
#: The demo's accounts: name -> (role, organisation, permissions).
ACCOUNTS = {
    "demo-admin": ("admin", "", ()),
    "demo-imo": ("im_officer", "", ("victim_data",)),
    "demo-operator": ("operator", DEMO_ORGANISATION, ()),
    "demo-viewer": ("viewer", "", ()),
}


def _write(path: Path, geoms: list, fields: dict[str, list]) -> Path:
    import numpy as np
    import pyogrio
    import shapely

    pyogrio.raw.write(
        path,
        None if geoms is None else shapely.to_wkb(np.array(geoms, dtype=object)),
        [np.array(v, dtype=object) for v in fields.values()],
        list(fields),
        layer=path.stem,
        driver="GPKG",
        geometry_type="Unknown" if geoms is None else "Point",
        crs=None if geoms is None else "EPSG:4326",
    )
    return path


def add_web_demo(store: Any, settings: Any, *, seed: int = 1) -> dict[str, str]:
    """Add the browser demo's records and accounts to a ``clearground demo`` database; return
    the accounts' names and generated passwords."""
    import numpy as np
    import shapely

    from clearground.services import accidents, accounts, evidence, operations

    author = f"{settings.author} (SYNTHETIC demo)"
    region = settings.operating_region
    rng = np.random.default_rng(seed)
    hazards = [v.record for v in store.list("hazard")]
    with tempfile.TemporaryDirectory() as tmp:
        orgs = _write(
            Path(tmp) / "synthetic_organisations.gpkg",
            None,
            {
                "id": [DEMO_ORGANISATION],
                "name": ["SYNTHETIC Demining Operator"],
                "kind": ["operator"],
            },
        )
        operations.import_records(store, "organisation", orgs, author=author, region=region)
        near = [h.geometry.representative_point() for h in hazards[: min(len(hazards), 24)]]
        eo_points = [
            shapely.Point(p.x + rng.uniform(-0.01, 0.01), p.y + rng.uniform(-0.01, 0.01))
            for p in near[::2]
        ]
        categories = ["mine_ap", "mine_at", "uxo", "cluster munition"]
        eo = _write(
            Path(tmp) / "synthetic_eo.gpkg",
            eo_points,
            {
                "category": [categories[i % 4] for i in range(len(eo_points))],
                "date": [f"2025-0{1 + i % 9}-1{i % 9}" for i in range(len(eo_points))],
            },
        )
        evidence.import_eo(store, eo, author=author, region=region)
        acc_points = [shapely.Point(p.x + 0.02, p.y - 0.015) for p in near[1::6]]
        ids = [f"AC-SYN{i + 1}" for i in range(len(acc_points))]
        acc = _write(
            Path(tmp) / "synthetic_accidents.gpkg",
            acc_points,
            {"id": ids, "date": [f"2025-0{3 + i}-0{1 + i}" for i in range(len(ids))]},
        )
        victims = _write(
            Path(tmp) / "synthetic_victims.gpkg",
            None,
            {
                "accident_id": ids,
                "sex": ["male"] * len(ids),
                "outcome": [("killed", "injured")[i % 2] for i in range(len(ids))],
                "name": [f"SYNTHETIC victim {i + 1}" for i in range(len(ids))],
            },
        )
        if ids:
            accidents.import_accidents(store, acc, victims=victims, author=author, region=region)
    logins: dict[str, str] = {}
    for name, (role, organisation, permissions) in ACCOUNTS.items():
        password = "demo-" + secrets.token_urlsafe(12)
        accounts.add_user(
            store,
            name,
            role=role,
            password=password,
            actor=author,
            organisation=organisation,
            permissions=permissions,
        )
        logins[name] = password
    return logins


def main(argv: list[str] | None = None) -> int:
    """``python -m clearground.demo_web --db URL``: add the browser demo, print its logins."""
    import argparse

    from clearground.config import load_settings
    from clearground.store import open_store

    parser = argparse.ArgumentParser(prog="python -m clearground.demo_web")
    parser.add_argument("--db", required=True, help="the database `clearground demo` built")
    args = parser.parse_args(argv)
    settings = load_settings(None, db=args.db)
    store = open_store(settings.db, require_schema=True)
    try:
        logins = add_web_demo(store, settings)
    finally:
        store.close()
    print("Demo logins (DEMO ONLY: generated for this demo database, shown once):")
    for name, password in logins.items():
        print(f"  {name:<14} {ACCOUNTS[name][0]:<11} {password}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
