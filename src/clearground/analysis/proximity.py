"""Which hazards does a route or place cross or come near, and how far are they, in metres.

Edges are straight in lon/lat (the rule of ``clearground.domain.areas``): the query and the
hazards are densified in lon/lat (``densify``: at most 0.01 degree per edge) before they are
projected, so a projected edge is never more than 0.03 m from the lon/lat line, and a point 1 m
inside a hazard of any size is inside it here too.

Distances are measured in an azimuthal equidistant projection centred on the whole degree of
longitude and latitude nearest the query (so that projections are built once and reused). Its
scale error grows with the distance from that centre: below 0.003 % within 80 km (any point
query), below 0.02 % for routes up to 300 km long, below 0.1 % within 500 km, which is far below
GPS and digitising error for a buffer of metres to kilometres.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.areas import _E2, WGS84_A, densify

__all__ = [
    "aeqd_at",
    "aeqd_centre",
    "degree_margin",
    "hazards_near",
    "near_projected",
    "project",
]


def degree_margin(bounds: tuple[float, float, float, float], metres: float) -> tuple[float, ...]:
    """``bounds`` (lon/lat) grown by at least ``metres`` on every side: a bounding-box prefilter."""
    minx, miny, maxx, maxy = bounds
    dy = metres / _M_LAT_EQUATOR * 1.01 + 1e-9
    worst_lat = min(89.9, max(abs(miny), abs(maxy)) + dy)
    dx = min(360.0, metres / _m_lon(worst_lat) * 1.01 + 1e-9)
    return (minx - dx, max(-90.0, miny - dy), maxx + dx, min(90.0, maxy + dy))


def _m_lon(lat: float) -> float:
    """Metres per degree of longitude at ``lat`` (``domain.areas.metres_per_degree`` in plain
    floats: a check calls this once, where numpy's scalar overhead would cost microseconds)."""
    phi = math.radians(lat)
    return math.pi / 180 * WGS84_A * math.cos(phi) / math.sqrt(1 - _E2 * math.sin(phi) ** 2)


#: Metres per degree of latitude are fewest at the equator.
_M_LAT_EQUATOR = math.pi / 180 * WGS84_A * (1 - _E2)


@lru_cache(maxsize=512)
def aeqd_at(lon0: float, lat0: float):
    """The transformer from lon/lat (WGS 84) to the azimuthal equidistant projection at (lon0,
    lat0), built from its PROJ pipeline: the very pipeline ``Transformer.from_crs("EPSG:4326",
    "+proj=aeqd ... +datum=WGS84", always_xy=True)`` resolves to (the same numbers, bit for
    bit: tests/unit/test_proximity.py), without the CRS database look-up that costs ~40 ms."""
    from pyproj import Transformer

    return Transformer.from_pipeline(_AEQD_PIPELINE.format(lat0=lat0, lon0=lon0))


_AEQD_PIPELINE = (
    "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
    "+step +proj=aeqd +lat_0={lat0} +lon_0={lon0} +x_0=0 +y_0=0 +ellps=WGS84"
)


def _aeqd(query: BaseGeometry):
    """The projection for ``query``: centred on the whole degree nearest its centre.

    Building a pyproj transformer costs a fraction of a millisecond (from its pipeline), more
    than the query; centres rounded to whole degrees let the few hundred a country needs be
    reused. The centre moves by at most
    about 80 km, which keeps the scale error under 0.02 % for routes up to 300 km long.
    """
    return aeqd_at(*aeqd_centre(query))


def aeqd_centre(query: BaseGeometry) -> tuple[float, float]:
    """The centre (lon, lat) of the projection distances to ``query`` are measured in."""
    if type(query) is not shapely.Point:  # a point is its own centroid
        query = query.centroid if not query.is_empty else query
    return float(round(query.x)), float(round(query.y))


def project(transformer, geometries: np.ndarray) -> np.ndarray:
    """``geometries`` densified (``densify``) and projected by ``transformer``, in one call: as
    ``hazards_near`` projects hazards (each vertex moves as it would alone), so a server may
    keep them projected per centre (``services.check_index``)."""
    out = densify(np.asarray(geometries, dtype=object))
    if len(out) == 0:
        return out
    xy = shapely.get_coordinates(out)
    px, py = transformer.transform(xy[:, 0], xy[:, 1])
    return shapely.set_coordinates(out, np.column_stack((px, py)))


def hazards_near(
    query: BaseGeometry, hazards: np.ndarray, buffer_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """Indices of ``hazards`` within ``buffer_m`` metres of ``query`` and their distances in metres.

    0 means the query crosses or touches the hazard. Sorted nearest first. A handful of
    hazards are tested one by one with GEOS's ``dwithin``, more through an STRtree queried once
    with that predicate.

    Examples
    --------
    >>> import shapely, numpy as np
    >>> hz = np.array([shapely.box(30.0, 50.0, 30.01, 50.01), shapely.box(31, 50, 31.01, 50.01)])
    >>> idx, d = hazards_near(shapely.Point(30.005, 49.999), hz, 500)
    >>> idx.tolist(), round(float(d[0]))
    ([0], 111)
    """
    hazards = np.asarray(hazards, dtype=object)
    if len(hazards) == 0:
        return np.empty(0, dtype=int), np.empty(0)
    t = _aeqd(query)
    # the query and the hazards projected by one call (PROJ's cost is per vertex; pyproj's per
    # call is more than a point's whole check): each vertex moves exactly as it would alone
    both = np.empty(len(hazards) + 1, dtype=object)
    both[0] = query if type(query) is shapely.Point else densify(query)  # a point stays as it is
    both[1:] = densify(hazards)
    xy = shapely.get_coordinates(both)
    px, py = t.transform(xy[:, 0], xy[:, 1])
    both = shapely.set_coordinates(both, np.column_stack((px, py)))
    return near_projected(both[0], both[1:], buffer_m)


def near_projected(
    q: BaseGeometry, projected: np.ndarray, buffer_m: float
) -> tuple[np.ndarray, np.ndarray]:
    """``hazards_near`` once the query and the hazards are projected: the indices within
    ``buffer_m`` and their distances, nearest first (ties by index)."""
    if len(projected) <= _NO_TREE:
        # what an STRtree query with ``dwithin`` does, without building a tree for a handful of
        # hazards: its prescreen (the hazard's box meets the query's box grown by the distance,
        # edges included, in the same float steps: a hazard at a tie of rounding is kept or
        # dropped as the tree does), then GEOS's distance-within with the query prepared (a
        # prepared point answers as the point itself, BasicPreparedGeometry: not prepared)
        d = float(buffer_m)
        qx0, qy0, qx1, qy1 = shapely.bounds(q).tolist()
        b = shapely.bounds(projected)
        screen = (b[:, 0] <= qx1 + d) & (b[:, 2] >= qx0 - d)
        screen &= (b[:, 1] <= qy1 + d) & (b[:, 3] >= qy0 - d)
        if type(q) is not shapely.Point:
            shapely.prepare(q)
        idx = np.flatnonzero(screen & shapely.dwithin(q, projected, d))
    else:
        idx = np.sort(shapely.STRtree(projected).query(q, predicate="dwithin", distance=buffer_m))
    dist = shapely.distance(q, projected[idx])
    order = np.lexsort((idx, dist))
    return idx[order], dist[order]


#: Up to this many hazards are tested one by one (a check's candidates: usually one to three);
#: more go through an STRtree. The answer is the same either way (tests/unit/test_proximity.py).
_NO_TREE = 64
