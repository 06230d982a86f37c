"""Low-zoom vector tiles (z0 to ``LIGHT_MAX_ZOOM``): drawn from a per-zoom band made once.

At a low zoom a tile covers a country and most hazards are far below a pixel: drawing each one
through the full steps of ``analysis.tiles`` (densify to 0.01 degree for a 1 m error budget,
clip, simplify, snap, then find a point for the ones that collapse) is wasted work and makes
tiles of megabytes. A :class:`Band` of one zoom holds, per geometry:

- whether it is *tiny*: its web mercator bounding box is under ``TINY_UNITS`` tile units (one
  screen pixel of a 512-pixel tile) each way. A tiny feature is drawn as a point (a point on
  its surface, made once): never dropped, one small feature in the tile;
- for the others, the geometry densified in lon/lat only as much as the zoom needs
  (:func:`segment_deg`: the lon/lat edge then stays within half a tile unit of its projected
  chord up to 69 degrees of latitude), projected and simplified by half a tile unit
  (:func:`tolerance_m`); a tile then only clips and snaps it (``draw_mercator``).

A band depends on the geometry and the zoom only, so a server keeps it per data version and
the store's plain bounding-box query draws the same tile from a band of its candidates.
Past ``LIGHT_MAX_ZOOM`` tiles are drawn as before: nothing changes there.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

from clearground.analysis.tiles import BUFFER, EXTENT, HALF, _mercator, draw_mercator, tile_bounds

__all__ = ["LIGHT_MAX_ZOOM", "TINY_UNITS", "Band", "segment_deg", "tolerance_m"]

#: The deepest zoom drawn from a band (z10: a tile unit is ~10 m, a pixel ~75 m).
LIGHT_MAX_ZOOM = 10
#: Under this many tile units each way (one pixel of a 512-pixel tile) a feature is a point.
TINY_UNITS = 8.0


def unit_m(z: int) -> float:
    """One tile unit at zoom ``z``, in web mercator metres."""
    return 2 * HALF / 2**z / EXTENT


def tolerance_m(z: int) -> float:
    """The simplification tolerance at zoom ``z``: half a tile unit, in web mercator metres."""
    return unit_m(z) / 2


def segment_deg(z: int) -> float:
    """The longest lon/lat segment at zoom ``z``: a lon/lat edge of latitude span d (radians)
    bows from its mercator chord by at most R sec(lat) tan(lat) d^2 / 8, under R d^2 up to
    69 degrees; d = sqrt(tolerance / R) keeps that under half a tile unit (z8: 0.099 degree)."""
    return math.degrees(math.sqrt(tolerance_m(z) / 6378137.0))


def _merc_bounds(lonlat_bounds: np.ndarray) -> np.ndarray:
    """Web mercator bounding boxes from lon/lat ones (mercator keeps lon and lat monotonic)."""
    lo = _mercator(lonlat_bounds[:, :2])
    hi = _mercator(lonlat_bounds[:, 2:])
    return np.column_stack((lo, hi))


class Band:
    """The geometries of one zoom, ready to draw (see the module)."""

    def __init__(
        self,
        lonlat: np.ndarray,
        z: int,
        *,
        merc_bounds: np.ndarray | None = None,
        points: np.ndarray | None = None,
    ) -> None:
        self.z = z
        self.lonlat = lonlat
        n = len(lonlat)
        self.bounds = _merc_bounds(shapely.bounds(lonlat)) if merc_bounds is None else merc_bounds
        size = np.maximum(
            self.bounds[:, 2] - self.bounds[:, 0], self.bounds[:, 3] - self.bounds[:, 1]
        )
        self.tiny = size < TINY_UNITS * unit_m(z) if n else np.zeros(0, dtype=bool)
        self.points = surface_points(lonlat) if points is None else points
        self.geoms = np.full(n, None, dtype=object)
        big = np.flatnonzero(~self.tiny)
        if len(big):
            dense = shapely.segmentize(lonlat[big], segment_deg(z))
            merc = shapely.transform(dense, _mercator)
            self.geoms[big] = shapely.simplify(merc, tolerance_m(z), preserve_topology=True)

    def draw(self, idx: np.ndarray, x: int, y: int) -> np.ndarray:
        """Geometries ``idx`` as drawn in tile (z, x, y) (tile units, y up), None where one does
        not meet the tile and its buffer (as ``analysis.tiles.tile_geometries`` answers)."""
        z = self.z
        out = np.full(len(idx), None, dtype=object)
        if not len(idx):
            return out
        minx, miny, maxx, maxy = tile_bounds(z, x, y)
        scale = EXTENT / (maxx - minx)
        lo, hi = -BUFFER, EXTENT + BUFFER
        tiny = self.tiny[idx]
        big = np.flatnonzero(~tiny)
        if len(big):
            out[big] = draw_mercator(self.geoms[idx[big]], z, x, y, simplify=0.0)
        small = np.flatnonzero(tiny)
        if len(small):
            ii = idx[small]
            b = self.bounds[ii]
            bx0, bx1 = (b[:, 0] - minx) * scale, (b[:, 2] - minx) * scale
            by0, by1 = (b[:, 1] - miny) * scale, (b[:, 3] - miny) * scale
            touch = (bx1 >= lo) & (bx0 <= hi) & (by1 >= lo) & (by0 <= hi)
            inside = (bx0 >= lo) & (bx1 <= hi) & (by0 >= lo) & (by1 <= hi)
            edge = np.flatnonzero(touch & ~inside)
            if len(edge):  # across the buffer's edge: does the shape itself meet the box?
                from clearground.analysis.tiles import lonlat_bounds

                box = shapely.box(*lonlat_bounds(z, x, y, BUFFER))
                touch[edge] = shapely.intersects(self.lonlat[ii[edge]], box)
            keep = np.flatnonzero(touch)
            xy = self.points[ii[keep]]
            xy = np.column_stack(((xy[:, 0] - minx) * scale, (xy[:, 1] - miny) * scale))
            out[small[keep]] = shapely.points(np.clip(np.round(xy), lo, hi))
        return out


def surface_points(lonlat: np.ndarray) -> np.ndarray:
    """A point on each geometry's surface, in web mercator metres (n x 2)."""
    if not len(lonlat):
        return np.zeros((0, 2))
    return _mercator(shapely.get_coordinates(shapely.point_on_surface(lonlat)))


def draw(geometries: Sequence[Any], z: int, x: int, y: int) -> np.ndarray:
    """Lon/lat geometries as drawn in low-zoom tile (z, x, y), by a band of just these."""
    geoms = np.asarray(geometries, dtype=object)
    return Band(geoms, z).draw(np.arange(len(geoms)), x, y)
