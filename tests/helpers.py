"""Helpers for tests: make domain records and compare whole stores."""

from __future__ import annotations

import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.records import HazardArea


def hazard(id_: str, lon: float = 30.0, lat: float = 50.0, size: float = 0.01, **kw) -> HazardArea:
    geom = shapely.MultiPolygon([shapely.box(lon, lat, lon + size, lat + size)])
    return HazardArea(
        id=id_,
        name=kw.pop("name", f"SYNTHETIC {id_}"),
        geometry=geom,
        area_m2=geodesic_area(geom),
        **kw,
    )


def snapshot(store) -> dict:
    """Every version of every record and every event: equal snapshots mean nothing changed."""
    from clearground.store.mapping import KINDS

    out: dict = {}
    for kind in KINDS:
        for v in store.list(kind):
            out[(kind, v.id)] = [
                (
                    h.version,
                    h.valid_from,
                    h.author,
                    h.reason,
                    h.deleted,
                    None
                    if h.record is None
                    else (getattr(h.record.geometry, "wkb", None), repr(h.record)),
                )
                for h in store.history(kind, v.id)
            ]
            if kind == "hazard":
                out[("events", v.id)] = [e.__dict__ for e in store.events(v.id)]
    out["counts"] = tuple(store.count(kind) for kind in KINDS)
    return out


def write_layer(
    path, geoms, fields=None, *, crs="EPSG:4326", layer=None, geometry_type=None, append=False
):
    """Write a real file with GDAL (pyogrio): GeoJSON, GeoPackage or GPX by file ending."""
    from pathlib import Path

    import numpy as np
    import pyogrio

    path = Path(path)
    geoms = np.asarray(geoms, dtype=object)
    fields = fields or {}
    driver = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".gpx": "GPX"}[
        path.suffix
    ]
    if geometry_type is None:
        types = {g.geom_type for g in geoms if g is not None}
        geometry_type = types.pop() if len(types) == 1 else "Unknown"
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        [
            np.asarray(v, dtype=object if not isinstance(v[0], float | int) else None)
            for v in fields.values()
        ],
        list(fields.keys()),
        driver=driver,
        crs=crs,
        layer=layer,
        geometry_type=geometry_type,
        append=append,
    )
    return path
