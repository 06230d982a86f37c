"""The factors and the score of a prioritisation: arrays of geometries in, arrays of numbers out.

Everything is vectorised (shapely, numpy, pyproj over whole arrays); Python loops run over
longitude bands (a handful per country), never over features. All geometries are lon/lat
(EPSG:4326) with edges straight in lon/lat (the rule of ``clearground.domain.areas``).

Distances in metres are measured in a transverse Mercator projection centred on the whole-degree
band of longitude of each hazard (central meridian at the band's middle, scale 1 there), built
once per band. Inside the band a length is off by at most 0.004 % (scale 1 + x²/2R², x <= 56 km),
that is 4 cm on a 1 km buffer and 19 cm on 5 km. Geometries are densified in lon/lat before they
are projected and buffers are densified in the projection before they come back, so that every
edge stays straight in lon/lat on both sides. Buffer arcs have 32 segments per quarter circle
(the polygon lies inside the true circle by at most 1 - cos(pi/128) of the radius: 0.3 m at
1 km, 1.5 m at 5 km). The distance to the nearest line is the geodesic (WGS 84) distance between
the nearest points found in that projection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache

import numpy as np
import shapely
from pyproj import Geod

from clearground.domain.areas import densify, metres_per_degree
from clearground.domain.priority import FACTORS

__all__ = [
    "QUAD_SEGS",
    "around_sums",
    "buffers",
    "count_in",
    "geodesic_lengths",
    "length_inside_m",
    "may_be_within",
    "nearest_m",
    "normalise",
    "rank",
    "score",
]

_GEOD = Geod(ellps="WGS84")
QUAD_SEGS = 32
#: Longest buffer edge (m) in the projection before it is taken back to lon/lat.
_SEGMENT_M = 500.0
#: Factors for which less is worse for people: the nearer a road, the higher the priority.
NEARER_IS_WORSE = ("road_nearest_m",)


@lru_cache(maxsize=512)
def _band_tm(band: int):
    from pyproj import Transformer

    return Transformer.from_crs(
        "EPSG:4326",
        f"+proj=tmerc +lat_0=0 +lon_0={band + 0.5} +k=1 +x_0=0 +y_0=0 +datum=WGS84 +units=m",
        always_xy=True,
    )


def _bands(geoms: np.ndarray) -> np.ndarray:
    """The whole-degree longitude band of each geometry (of its bounding-box centre)."""
    b = shapely.bounds(geoms)
    return np.floor((b[:, 0] + b[:, 2]) / 2).astype(np.int64)


def _forward(band: int):
    tr = _band_tm(band)

    def fn(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(tr.transform(xy[:, 0], xy[:, 1]))

    return fn


def _inverse(band: int):
    from pyproj.enums import TransformDirection

    tr = _band_tm(band)

    def fn(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1], direction=TransformDirection.INVERSE)
        return np.column_stack((x, y))

    return fn


def buffers(hazards: np.ndarray, distances: Sequence[float]) -> dict[float, np.ndarray]:
    """Each hazard grown by each distance in metres (the hazard itself included), lon/lat."""
    hazards = np.asarray(hazards, dtype=object)
    out = {d: np.empty(len(hazards), dtype=object) for d in distances}
    if len(hazards) == 0:
        return out
    dense = densify(hazards)
    bands = _bands(hazards)
    for band in np.unique(bands):
        sel = bands == band
        local = shapely.transform(dense[sel], _forward(int(band)))
        back = _inverse(int(band))
        for d in distances:
            grown = shapely.segmentize(shapely.buffer(local, d, quad_segs=QUAD_SEGS), _SEGMENT_M)
            grown = shapely.transform(grown, back)
            bad = ~shapely.is_valid(grown)
            if bad.any():  # a projection seldom folds a ring; mend only those
                grown[bad] = shapely.make_valid(grown[bad])
            out[d][sel] = grown
    return out


def around_sums(
    info, hazards: np.ndarray, inside: np.ndarray, max_cells: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One batch's population work, as a worker process does it: the hazards (lon/lat) grown
    by 1 km and 5 km, the population in the hazards (``inside``, already in the raster's CRS)
    and in both buffers, and which hazards' buffers reach beyond the raster. Returns the sums
    (inside, then 1 km, then 5 km), the 1 km buffers (lon/lat, for the points near) and the
    indices of those hazards."""
    from clearground.analysis import zonal

    grown = buffers(hazards, (1000.0, 5000.0))
    around = [zonal.to_raster_crs(grown[d], info) for d in (1000.0, 5000.0)]
    partial = np.unique(np.concatenate([zonal.uncovered(z, info) for z in around]))
    sums = zonal.coverage_sum(info, np.concatenate([inside, *around]), max_cells=max_cells)
    return sums, grown[1000.0], partial


def count_in(
    zones: np.ndarray, points: np.ndarray, tree: shapely.STRtree | None = None
) -> np.ndarray:
    """How many of ``points`` lie in (or on the edge of) each zone (``tree``: an STRtree of
    ``points`` already built, for zones given in batches)."""
    zones = np.asarray(zones, dtype=object)
    if len(points) == 0 or len(zones) == 0:
        return np.zeros(len(zones), dtype=np.int64)
    if tree is None:
        tree = shapely.STRtree(np.asarray(points, dtype=object))
    zone_idx, _ = tree.query(zones, predicate="intersects")
    return np.bincount(zone_idx, minlength=len(zones)).astype(np.int64)


def may_be_within(
    hazards: np.ndarray, trees: Sequence[shapely.STRtree], distance_m: float
) -> np.ndarray:
    """Whether any geometry of ``trees`` lies within a bound in degrees that is surely more than
    ``distance_m`` (and than the buffer of that many metres) from each hazard: the hazards whose
    buffer must be built; for the others, every count within that distance is 0."""
    hazards = np.asarray(hazards, dtype=object)
    out = np.zeros(len(hazards), dtype=bool)
    if len(hazards) == 0:
        return out
    b = shapely.bounds(hazards)
    margin = distance_m / metres_per_degree(0.0)[1]  # degrees of latitude, at most
    lat = np.minimum(89.0, np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])) + 2 * margin)
    m_lon = np.pi / 180 * 6378137.0 * np.cos(np.radians(lat))  # below metres_per_degree's
    fewest = np.minimum(m_lon, metres_per_degree(0.0)[1])
    bound = 1.01 * distance_m / fewest + 1e-9
    for tree in trees:
        if len(tree.geometries):
            h, _ = tree.query(hazards, predicate="dwithin", distance=bound)
            out[h] = True
    return out


def geodesic_lengths(geoms: np.ndarray) -> np.ndarray:
    """Length in metres of each (multi)line or collection of lines, summed edge by edge on the
    WGS 84 ellipsoid (densify first: an edge is read as the geodesic between its ends)."""
    geoms = np.asarray(geoms, dtype=object)
    out = np.zeros(len(geoms))
    if len(geoms) == 0:
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    lines = np.isin(shapely.get_type_id(parts), (1, 2))
    parts, owner = parts[lines], owner[lines]
    if len(parts) == 0:
        return out
    xy, part = shapely.get_coordinates(parts, return_index=True)
    same = part[1:] == part[:-1]
    a, b = xy[:-1][same], xy[1:][same]
    _, _, d = _GEOD.inv(a[:, 0], a[:, 1], b[:, 0], b[:, 1])
    per_part = np.bincount(part[:-1][same], weights=d, minlength=len(parts))
    return np.bincount(owner, weights=per_part, minlength=len(geoms))


def length_inside_m(hazards: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Geodesic length in metres of ``lines`` (densified) inside each hazard."""
    hazards = np.asarray(hazards, dtype=object)
    if len(lines) == 0 or len(hazards) == 0:
        return np.zeros(len(hazards))
    tree = shapely.STRtree(lines)
    h, k = tree.query(hazards, predicate="intersects")
    pieces = shapely.intersection(lines[k], hazards[h])
    return np.bincount(h, weights=geodesic_lengths(pieces), minlength=len(hazards))


def nearest_m(hazards: np.ndarray, lines: np.ndarray) -> np.ndarray:
    """Distance in metres from each hazard to the nearest of ``lines`` (0 when one crosses it;
    NaN when there is no line at all).

    The lon/lat-nearest line bounds the search: a line nearer in metres lies within its lon/lat
    distance times (most metres per degree) / (fewest metres per degree near the hazard), so
    only those candidates are measured in the band's projection.
    """
    hazards = np.asarray(hazards, dtype=object)
    n = len(hazards)
    if len(lines) == 0 or n == 0:
        return np.full(n, np.nan)
    tree = shapely.STRtree(lines)
    (h0, _), d0 = tree.query_nearest(hazards, return_distance=True)
    near = np.full(n, np.inf)
    np.minimum.at(near, h0, d0)
    b = shapely.bounds(hazards)
    lat = np.minimum(89.0, np.maximum(np.abs(b[:, 1]), np.abs(b[:, 3])) + 2 * near)
    m_lon = np.pi / 180 * 6378137.0 * np.cos(np.radians(lat))  # below metres_per_degree's
    fewest = np.minimum(m_lon, metres_per_degree(0.0)[1])
    most = metres_per_degree(90.0)[1]
    bound = near * (most / fewest) * 1.001 + 1e-9
    h, k = tree.query(hazards, predicate="dwithin", distance=bound)
    dense_h = densify(hazards)
    bands = _bands(hazards)[h]
    dist = np.empty(len(h))
    local_h = np.empty(len(h), dtype=object)
    local_l = np.empty(len(h), dtype=object)
    for band in np.unique(bands):
        sel = np.flatnonzero(bands == band)
        hu, hi = np.unique(h[sel], return_inverse=True)
        lu, li = np.unique(k[sel], return_inverse=True)
        fwd = _forward(int(band))
        local_h[sel] = shapely.transform(dense_h[hu], fwd)[hi]
        local_l[sel] = shapely.transform(lines[lu], fwd)[li]
        dist[sel] = shapely.distance(local_h[sel], local_l[sel])
    order = np.lexsort((dist, h))
    first = order[np.r_[True, h[order][1:] != h[order][:-1]]]
    out = np.full(n, np.nan)
    joins = shapely.shortest_line(local_h[first], local_l[first])
    for band in np.unique(bands[first]):
        sel = bands[first] == band
        ends = shapely.get_coordinates(shapely.transform(joins[sel], _inverse(int(band))))
        _, _, d = _GEOD.inv(ends[0::2, 0], ends[0::2, 1], ends[1::2, 0], ends[1::2, 1])
        out[h[first][sel]] = np.abs(d)
    inside = shapely.intersects(lines[k[first]], hazards[h[first]])
    out[h[first][inside]] = 0.0
    return out


def normalise(factors: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each factor on 0..1 over the hazards ranked: divided by its largest value (0 when every
    hazard has 0); for the distance to the nearest road, 1 - distance / largest distance (the
    nearest road gives 1; no road at all gives 0)."""
    out = {}
    for name, values in factors.items():
        v = np.asarray(values, dtype=float)
        finite = np.isfinite(v)
        top = float(v[finite].max()) if finite.any() else 0.0
        if name in NEARER_IS_WORSE:
            scaled = 1.0 - v / top if top > 0 else np.ones_like(v)
        else:
            scaled = v / top if top > 0 else np.zeros_like(v)
        out[name] = np.where(finite, scaled, 0.0)
    return out


def score(
    normalised: Mapping[str, np.ndarray], weights: Mapping[str, float], n: int
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The weighted sum of normalised factors, and each factor's contribution to it (weight x
    normalised value; they add up to the score). Rounded to 1e-9 so that float noise never
    decides a rank."""
    contributions = {
        name: np.round(float(weights.get(name, 0.0)) * normalised[name], 9)
        if name in normalised
        else np.zeros(n)
        for name in FACTORS
    }
    total = np.zeros(n)
    for name in FACTORS:
        total = total + contributions[name]
    return np.round(total, 9), contributions


def rank(scores: np.ndarray, hazard_ids: Sequence[str]) -> np.ndarray:
    """Indices in rank order: highest score first, ties broken by hazard id (ascending)."""
    ids = np.asarray(hazard_ids, dtype=str)
    return np.lexsort((ids, -np.asarray(scores, dtype=float)))
