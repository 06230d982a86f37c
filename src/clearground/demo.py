"""The demo: a database of synthetic hazard areas with some land release, built through the same
import paths that real files take. Everything it makes is labelled SYNTHETIC."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from clearground import synthetic
from clearground.config import Settings
from clearground.services import activities, hazards, locations, projections
from clearground.store.base import Store

__all__ = ["build_demo"]


def build_demo(store: Store, settings: Settings, *, n: int = 200, seed: int = 1) -> dict[str, Any]:
    """Import ``n`` synthetic hazards and synthetic land release; return a summary."""
    if store.count("hazard"):
        from clearground.domain.errors import BadInput
        from clearground.store import strip_password

        raise BadInput(
            f"{strip_password(store.url)} already holds hazards: the demo needs an empty database"
        )
    author = f"{settings.author} ({synthetic.LABEL} demo)"
    with tempfile.TemporaryDirectory() as tmp:
        admin = synthetic.write_admin_areas(
            Path(tmp) / "synthetic_cod_ab.gpkg", region=settings.operating_region
        )
        for level in ("adm1", "adm2"):
            locations.import_locations(
                store, admin, layer=level, author=author, region=settings.operating_region
            )
        src = synthetic.write_hazards(
            Path(tmp) / "synthetic_hazards.gpkg", n, seed=seed, region=settings.operating_region
        )
        hazards.import_hazards(store, src, author=author, region=settings.operating_region)
        current = [(v.id, v.record.geometry) for v in store.list("hazard")]
        acts = synthetic.write_activities(
            Path(tmp) / "synthetic_activities.gpkg", current, seed=seed
        )
        activities.import_activities(store, acts, author=author, region=settings.operating_region)
    rows = [projections.hazard_json(v, projections.PUBLIC) for v in store.list("hazard")]
    by_status: dict[str, int] = {}
    for r in rows:
        by_status[r["status"]] = by_status.get(r["status"], 0) + 1
    return {
        "label": f"{synthetic.LABEL} data: invented for demonstration, not real hazards",
        "hazards": len(rows),
        "by_status": dict(sorted(by_status.items())),
        "area_m2": round(sum(r["area_m2"] for r in rows), 0),
        "released_m2": {
            k: round(sum(r["released_m2"][k] for r in rows), 0)
            for k in ("cancelled", "reduced", "cleared")
        },
        "remaining_m2": round(sum(r["remaining_m2"] for r in rows), 0),
        "activities": store.count("activity"),
        "admin_areas": store.count("location"),
    }
