"""What the review queue page shows: submissions as ``review list|show`` shows them (through
the projections: never victims' personal data), with the places of a submission and of the
records it may duplicate, so they can be drawn side by side on one map."""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson
import shapely

from clearground.services.projections import Reader, submission_json
from clearground.services.read import record
from clearground.services.review import submissions
from clearground.store.base import Store

__all__ = ["queue", "review_item"]


def queue(store: Store, reader: Reader, status: str | None = "pending") -> list[dict[str, Any]]:
    """The submissions of ``status`` (None: all), oldest first, each as its JSON."""
    return [submission_json(store, v, reader) for v in submissions(store, status)]


def _feature(geometry, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": orjson.loads(shapely.to_geojson(geometry)),
    }


def review_item(store: Store, sub_id: str, reader: Reader) -> dict[str, Any]:
    """A submission with its likely duplicates side by side (``side_by_side``) and ``places``:
    a GeoJSON FeatureCollection of the submission (``role`` "submission"), each duplicate
    ("duplicate") and, for a land release activity, its hazard ("hazard")."""
    v = record(store, "submission", sub_id)
    sub = v.record
    out = submission_json(store, v, reader, side_by_side=True)
    shapes = [("submission", sub.id, sub.record.geometry)]
    for other in sub.duplicates:
        found = store.get(sub.kind, other) or store.get("submission", other)
        if found is not None and not found.deleted:
            shapes.append(("duplicate", other, found.record.geometry))
    if sub.kind == "activity":
        h = store.get("hazard", sub.record.hazard_id)
        if h is not None and not h.deleted:
            shapes.append(("hazard", h.id, h.record.geometry))
            out["hazard_status"] = str(h.record.status)
    shapes = [s for s in shapes if s[2] is not None and not s[2].is_empty]
    out["places"] = {
        "type": "FeatureCollection",
        "features": [_feature(g, role=role, id=i) for role, i, g in shapes],
    }
    bounds = shapely.total_bounds(np.array([g for *_, g in shapes], dtype=object))
    out["bounds"] = [float(x) for x in bounds]
    return out
