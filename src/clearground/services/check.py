"""Route and place checks: which recorded hazards a route or place crosses or comes near.

The answer says what is recorded, never that land is safe: an empty answer reads "No recorded
hazard within N m. Unrecorded hazards may exist."
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats import read_file
from clearground.services.common import refuse
from clearground.store.base import Store

__all__ = ["check", "read_route", "parse_point", "no_hazard_message"]

DEFAULT_BUFFER_M = 200.0


def no_hazard_message(buffer_m: float) -> str:
    return f"No recorded hazard within {buffer_m:g} m. Unrecorded hazards may exist."


def parse_point(text: str) -> BaseGeometry:
    """``LON,LAT`` as a point, checked for range."""
    try:
        lon_s, lat_s = text.split(",")
        lon, lat = float(lon_s), float(lat_s)
    except ValueError:
        raise BadInput(
            f"--point {text!r}: write it as LON,LAT in degrees, e.g. 30.52,50.45"
        ) from None
    if not (np.isfinite(lon) and np.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise BadInput(f"--point {text!r}: longitude must be within ±180 and latitude within ±90")
    return shapely.Point(lon, lat)


def read_route(path: str | Path, *, layer: str | None = None, format_name: str | None = None):
    """The line (or lines) of a GPX track/route or a GeoJSON/GeoPackage layer, as one geometry."""
    path = Path(path)
    table = read_file(path, format_name, layer=layer)
    geoms = np.asarray(table.geometries, dtype=object)
    problems = dict(table.problems)
    keep = []
    for i, g in enumerate(geoms):
        if i in problems:
            continue
        if g is None or g.is_empty:
            problems[i] = "no geometry"
        elif g.geom_type not in ("LineString", "MultiLineString", "Point", "MultiPoint"):
            problems[i] = f"geometry is a {g.geom_type}, not a line (route or track)"
        elif not np.isfinite(shapely.get_coordinates(g)).all():
            problems[i] = "a coordinate is not a finite number"
        else:
            keep.append(shapely.force_2d(g))
    if problems:
        refuse(table, problems)
    if not keep:
        raise ImportRejected([f"{path}: no route, track or line in the file"])
    route = shapely.union_all(keep) if len(keep) > 1 else keep[0]
    xy = shapely.get_coordinates(route)
    if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise ImportRejected([f"{path}: coordinates outside lon/lat range"])
    return route


def check(
    store: Store,
    query: BaseGeometry,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    as_of: str | None = None,
) -> dict[str, Any]:
    """Hazards crossed by or within ``buffer_m`` of ``query``, nearest first, with a message."""
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise BadInput(f"--buffer {buffer_m}: must be a distance in metres, 0 or more")
    found = store.within_distance("hazard", query, buffer_m, as_of=as_of)
    hazards = []
    for v, d in found:
        h = v.record
        hazards.append(
            {
                "id": h.id,
                "name": h.name,
                "status": str(h.status),
                "classification": str(h.classification),
                "distance_m": round(float(d), 1),
            }
        )
    if hazards:
        crossed = sum(1 for _, d in found if d == 0)
        message = (
            f"{len(hazards)} recorded hazard{'s' if len(hazards) != 1 else ''} within "
            f"{buffer_m:g} m ({crossed} crossed). Unrecorded hazards may exist as well."
        )
    else:
        message = no_hazard_message(buffer_m)
    return {
        "buffer_m": buffer_m,
        "hazards": hazards,
        "message": message,
        "as_of": as_of,
        "distance_method": "azimuthal equidistant projection centred on the whole degree "
        "nearest the query; error below 0.003 % for a point, below 0.1 % within 500 km",
    }
