"""Land release geometry worked out one hazard part at a time.

A hazard may be a multipolygon of 100,000 parts (the marked patches of a minefield). Whole-
geometry overlays and buffers on such a shape take minutes; the same answers part by part, with
one STRtree over the hazard's parts and shapely's vectorised pairwise operations, take seconds.

Released land is held as :class:`Pieces`: at most one polygonal piece per hazard part, named by
the index of the part it lies in (its owner). Pieces of different parts never share an edge
(the parts of a valid hazard touch at most at points), so per-part answers are exact answers for
the whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from clearground.domain.areas import geodesic_areas, metres_per_degree, to_local_metres

__all__ = ["HazardParts", "Pieces", "as_multipolygon", "nowhere_wider_than", "polygon_parts"]


def polygon_parts(geometry: BaseGeometry | np.ndarray | None) -> np.ndarray:
    """The non-empty polygons of ``geometry`` (or of an array of geometries), flattened."""
    if geometry is None:
        return np.empty(0, dtype=object)
    geoms = np.atleast_1d(np.asarray(geometry, dtype=object))
    geoms = geoms[~shapely.is_missing(geoms)]
    for _ in range(3):  # collections of multipolygons: flatten a few levels
        types = shapely.get_type_id(geoms)
        if not np.isin(types, (4, 5, 6, 7)).any():
            break
        geoms = shapely.get_parts(geoms)
    geoms = geoms[shapely.get_type_id(geoms) == 3]
    return geoms[~shapely.is_empty(geoms)]


def as_multipolygon(geometry: BaseGeometry | np.ndarray | None) -> MultiPolygon:
    """The polygons of ``geometry`` (or of an array of geometries) as one MultiPolygon."""
    parts = polygon_parts(geometry)
    return shapely.multipolygons(parts) if len(parts) else MultiPolygon()


def _polygonal(geoms: np.ndarray) -> np.ndarray:
    """Each geometry's polygons as one geometry (a Polygon, a MultiPolygon, or empty)."""
    out = np.empty(len(geoms), dtype=object)
    if len(geoms) == 0:
        return out
    types = shapely.get_type_id(geoms)
    simple = np.isin(types, (3, 6))
    out[simple] = geoms[simple]
    for k in np.flatnonzero(~simple):
        parts = polygon_parts(geoms[k])
        out[k] = MultiPolygon(list(parts)) if len(parts) else MultiPolygon()
    return out


@dataclass(frozen=True)
class Pieces:
    """Land within a hazard: ``geoms[k]`` lies in hazard part ``owners[k]``; owners are unique."""

    geoms: np.ndarray
    owners: np.ndarray

    @staticmethod
    def none() -> Pieces:
        return Pieces(np.empty(0, dtype=object), np.empty(0, dtype=np.int64))

    def __len__(self) -> int:
        return len(self.owners)

    def areas(self) -> np.ndarray:
        return geodesic_areas(self.geoms)

    def area(self) -> float:
        return float(self.areas().sum())

    def geometry(self) -> MultiPolygon:
        """All pieces as one MultiPolygon (valid: pieces of different parts share no edge)."""
        return as_multipolygon(self.geoms)

    def _aligned(self, other: Pieces) -> tuple[np.ndarray, np.ndarray]:
        _, i, j = np.intersect1d(self.owners, other.owners, return_indices=True)
        return i, j

    def minus(self, other: Pieces) -> Pieces:
        """This land without ``other``, part by part."""
        i, j = self._aligned(other)
        geoms = self.geoms.copy()
        if len(i):
            geoms[i] = _polygonal(shapely.difference(self.geoms[i], other.geoms[j]))
        return _clean(geoms, self.owners)

    def plus(self, other: Pieces) -> Pieces:
        """This land and ``other``, part by part."""
        i, j = self._aligned(other)
        geoms = self.geoms.copy()
        if len(i):
            geoms[i] = _polygonal(shapely.union(self.geoms[i], other.geoms[j]))
        rest = np.setdiff1d(np.arange(len(other)), j)
        return _clean(
            np.concatenate([geoms, other.geoms[rest]]),
            np.concatenate([self.owners, other.owners[rest]]),
        )

    def times(self, other: Pieces) -> Pieces:
        """The land this and ``other`` share, part by part."""
        i, j = self._aligned(other)
        return _clean(
            _polygonal(shapely.intersection(self.geoms[i], other.geoms[j])), self.owners[i]
        )

    def covers(self, point: BaseGeometry) -> bool:
        """Whether ``point`` lies in this land (boundary included)."""
        if not len(self):
            return False
        return bool(shapely.covers(self.geoms, point).any())


def _clean(geoms: np.ndarray, owners: np.ndarray) -> Pieces:
    keep = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if keep.any():
        keep[keep] = shapely.area(geoms[keep]) > 0
    return Pieces(geoms[keep], np.asarray(owners, dtype=np.int64)[keep])


def _grouped(geoms: np.ndarray, owners: np.ndarray) -> Pieces:
    """Pieces with the geometries of each owner united (most owners have one)."""
    if len(owners) == 0:
        return Pieces.none()
    order = np.argsort(owners, kind="stable")
    g, o = geoms[order], owners[order]
    uniq, start, counts = np.unique(o, return_index=True, return_counts=True)
    out = g[start].copy()
    for k in np.flatnonzero(counts > 1):
        out[k] = shapely.union_all(g[start[k] : start[k] + counts[k]])
    return _clean(_polygonal(out), uniq)


class HazardParts:
    """A hazard's polygon parts with one STRtree, to cut any land into per-part pieces."""

    def __init__(self, geometry: BaseGeometry) -> None:
        self.parts = polygon_parts(geometry)
        shapely.prepare(self.parts)
        self.tree = shapely.STRtree(self.parts)
        self._areas: np.ndarray | None = None

    @property
    def areas(self) -> np.ndarray:
        if self._areas is None:
            self._areas = geodesic_areas(self.parts)
        return self._areas

    def clip(self, geometry: BaseGeometry | None) -> Pieces:
        """``geometry`` within the hazard, as pieces (what lies outside every part is dropped)."""
        given = polygon_parts(geometry)
        if not len(given):
            return Pieces.none()
        shapely.prepare(given)
        iw, ih = self.tree.query(given, predicate="intersects")
        if not len(iw):
            return Pieces.none()
        whole = shapely.covers(given[iw], self.parts[ih])  # a part worked whole: no overlay
        inter = np.empty(len(iw), dtype=object)
        inter[whole] = self.parts[ih[whole]]
        rest = ~whole
        if rest.any():
            inter[rest] = _polygonal(shapely.intersection(given[iw[rest]], self.parts[ih[rest]]))
        return _grouped(inter, ih)

    def whole(self) -> Pieces:
        return Pieces(self.parts.copy(), np.arange(len(self.parts), dtype=np.int64))

    def remaining(self, released: Pieces) -> Pieces:
        """The hazard's land not in ``released``; a part whose released pieces hold all but a
        billionth of its area has nothing left (no overlay for it)."""
        done = np.bincount(released.owners, weights=released.areas(), minlength=len(self.parts))
        full = done >= self.areas * (1 - 1e-9)
        keep = np.flatnonzero(~full)
        return Pieces(self.parts[keep], keep.astype(np.int64)).minus(released)

    def outside_by_more_than(self, geometry: BaseGeometry, metres: float) -> bool:
        """Whether some of ``geometry`` lies more than ``metres`` outside every hazard part.

        Only the parts of ``geometry`` whose area is not all inside the hazard are overlaid,
        and only against the hazard parts near them.
        """
        given = polygon_parts(geometry)
        if not len(given):
            return False
        iw, ih = self.tree.query(given, predicate="intersects")
        within = np.zeros(len(given), dtype=bool)  # lies in one part: the usual case, no overlay
        within[iw[shapely.covers(self.parts[ih], given[iw])]] = True
        inside = np.zeros(len(given))
        rest = ~within[iw]
        if rest.any():
            pieces = _polygonal(shapely.intersection(given[iw[rest]], self.parts[ih[rest]]))
            inside = np.bincount(iw[rest], weights=geodesic_areas(pieces), minlength=len(given))
        total = geodesic_areas(given)
        # m²: more than float noise sticks out
        suspect = np.flatnonzero(~within & (total - inside > 1e-2))
        if not len(suspect):
            return False
        lon0, lat0 = _centre(self.parts)
        margin = metres / min(metres_per_degree(lat0)) * 1.5
        for k in suspect:
            near = self.tree.query(given[k], predicate="dwithin", distance=margin)
            grown = shapely.union_all(
                shapely.buffer(to_local_metres(self.parts[near], lat0, lon0), metres, quad_segs=4)
            )
            if not to_local_metres(given[k], lat0, lon0).difference(grown).is_empty:
                return True
        return False


def _centre(geoms: np.ndarray) -> tuple[float, float]:
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    return (minx + maxx) / 2, (miny + maxy) / 2


def nowhere_wider_than(pieces: Pieces, metres: float) -> bool:
    """Whether every piece vanishes when shrunk by half of ``metres`` (in a local metric plane)."""
    if not len(pieces):
        return True
    parts = polygon_parts(pieces.geoms)
    lon0, lat0 = _centre(parts)
    shrunk = shapely.buffer(to_local_metres(parts, lat0, lon0), -metres / 2, quad_segs=4)
    return bool(shapely.is_empty(shrunk).all())
