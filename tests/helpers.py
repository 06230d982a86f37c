"""Helpers for tests: make domain records and compare whole stores."""

from __future__ import annotations

import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.records import HazardArea


def hazard(id_: str, lon: float = 30.0, lat: float = 50.0, size: float = 0.01, **kw) -> HazardArea:
    geom = shapely.MultiPolygon([shapely.box(lon, lat, lon + size, lat + size)])
    return HazardArea(
        id=id_, name=kw.pop("name", f"SYNTHETIC {id_}"), geometry=geom,
        area_m2=geodesic_area(geom), **kw,
    )


def snapshot(store) -> dict:
    """Every version of every record and every event: equal snapshots mean nothing changed."""
    out: dict = {}
    for kind in ("hazard", "activity"):
        for v in store.list(kind):
            out[(kind, v.id)] = [
                (h.version, h.valid_from, h.author, h.reason, h.deleted,
                 None if h.record is None else (h.record.geometry.wkb, repr(h.record)))
                for h in store.history(kind, v.id)
            ]
            if kind == "hazard":
                out[("events", v.id)] = [e.__dict__ for e in store.events(v.id)]
    out["counts"] = (store.count("hazard"), store.count("activity"))
    return out
