"""Vector tiles (Mapbox Vector Tile 2.1) of lon/lat geometries, in the web mercator XYZ scheme.

Plain functions, no I/O: the tile grid (:func:`tile_bounds`, :func:`lonlat_bounds`) and the
encoding of one tile (:func:`encode_tile`, by ``analysis.mvt``) as the SQLite engine's path
does it; the PostGIS engine does the same steps in SQL (``store.pg_tiles``: ``ST_AsMVTGeom``
over ``ST_TileEnvelope``).

The steps, each for the geometry rule of ``clearground.domain.areas`` (an edge is straight in
lon/lat): densify in lon/lat (``densify``, 0.01 degree) so that the projected edge follows the
lon/lat line; project with the spherical mercator formula (EPSG:3857); scale to tile units
(``EXTENT`` = 4096 a side, y up); clip to the tile grown by ``BUFFER`` units; simplify by half a
tile unit (so the tolerance in metres halves with each zoom level); snap to the integer grid.

A hazard map never drops a feature at low zoom: a polygon too small to draw at a zoom (it
collapses when snapped to the grid) is kept as a point inside it, so at z0 every hazard of the
world is still in the tile, as a point.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.areas import densify

__all__ = [
    "BUFFER",
    "EXTENT",
    "MAX_ZOOM",
    "draw_mercator",
    "encode_drawn",
    "encode_tile",
    "lonlat_bounds",
    "tile_bounds",
    "tile_geometries",
    "to_mercator",
]

EXTENT = 4096
BUFFER = 64
#: The deepest zoom served (z22: a tile is about 10 m a side; finer needs no vector tile).
MAX_ZOOM = 22
#: Half the side of the web mercator square, in metres (EPSG:3857).
HALF = math.pi * 6378137.0
#: The latitude where web mercator's square ends.
MAX_LAT = math.degrees(2 * math.atan(math.exp(math.pi)) - math.pi / 2)


def tile_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """The tile's square in EPSG:3857 metres (minx, miny, maxx, maxy), grown by ``buffer``
    tile units on each side. ``y`` counts down from the north (XYZ)."""
    size = 2 * HALF / 2**z
    pad = size * buffer / EXTENT
    minx = -HALF + x * size
    maxy = HALF - y * size
    return (minx - pad, maxy - size - pad, minx + size + pad, maxy + pad)


def _lat(my: float) -> float:
    return math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2)


def lonlat_bounds(z: int, x: int, y: int, buffer: float = 0.0) -> tuple[float, float, float, float]:
    """The same square in lon/lat (web mercator keeps it a box), clamped to the globe."""
    minx, miny, maxx, maxy = tile_bounds(z, x, y, buffer)
    r = 6378137.0
    return (
        max(-180.0, math.degrees(minx / r)),
        max(-90.0, _lat(miny)),
        min(180.0, math.degrees(maxx / r)),
        min(90.0, _lat(maxy)),
    )


def _mercator(xy: np.ndarray) -> np.ndarray:
    lon = xy[:, 0]
    lat = np.clip(xy[:, 1], -MAX_LAT, MAX_LAT)
    return np.column_stack(
        (np.radians(lon) * 6378137.0, np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0)
    )


def to_mercator(geometries: Sequence[BaseGeometry]) -> np.ndarray:
    """Lon/lat geometries densified (edges straight in lon/lat) and projected to EPSG:3857
    metres: the part of drawing a tile that does not depend on the tile (a server keeps it)."""
    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) == 0:
        return geoms
    return shapely.transform(densify(geoms), _mercator)


def tile_geometries(geometries: Sequence[BaseGeometry], z: int, x: int, y: int) -> np.ndarray:
    """Each lon/lat geometry as drawn in tile (z, x, y): integer tile units (y up), clipped to
    the tile and its buffer, simplified; a polygon or line too small to draw becomes a point
    inside it; None where the geometry does not meet the tile and its buffer."""
    return draw_mercator(to_mercator(geometries), z, x, y)


def draw_mercator(merc: np.ndarray, z: int, x: int, y: int, *, simplify: float = 0.5) -> np.ndarray:
    """:func:`tile_geometries` of geometries already in EPSG:3857 (:func:`to_mercator`);
    ``simplify`` (tile units) 0 for geometries simplified already (``analysis.tiles_light``)."""
    if len(merc) == 0:
        return merc
    minx, miny, maxx, maxy = tile_bounds(z, x, y)
    scale = EXTENT / (maxx - minx)

    def to_tile(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(((xy[:, 0] - minx) * scale, (xy[:, 1] - miny) * scale))

    local = shapely.transform(merc, to_tile)
    box = shapely.box(-BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    meets = shapely.intersects(local, box)
    out = np.full(len(merc), None, dtype=object)
    if not meets.any():
        return out
    clipped = shapely.clip_by_rect(local[meets], -BUFFER, -BUFFER, EXTENT + BUFFER, EXTENT + BUFFER)
    simple = shapely.simplify(clipped, simplify, preserve_topology=True) if simplify else clipped
    drawn = _snap(simple)
    # A shape that meets the tile but collapses on the grid is kept, as a point: a clipped shape
    # that is empty (it only touches the buffer's edge) takes a point of the shape in the box.
    tiny = shapely.is_empty(drawn) | (
        shapely.get_dimensions(drawn) < shapely.get_dimensions(clipped)
    )
    if tiny.any():
        inside = np.where(shapely.is_empty(clipped[tiny]), local[meets][tiny], clipped[tiny])
        where = shapely.point_on_surface(shapely.intersection(inside, box))
        where = np.where(shapely.is_empty(where), shapely.point_on_surface(inside), where)
        drawn[tiny] = shapely.points(np.round(shapely.get_coordinates(where)))
    out[meets] = drawn
    return out


def _snap(geoms: np.ndarray) -> np.ndarray:
    """Snap to the integer grid keeping each shape valid: rounding each vertex (cheap) where
    that leaves a valid shape of the same dimension, GEOS's valid-output snapping (which
    nodes and may collapse a shape) for the others."""
    fast = shapely.set_precision(geoms, 1.0, mode="pointwise")  # repeated points: analysis.mvt
    bad = ~shapely.is_valid(fast) | (shapely.get_dimensions(fast) < shapely.get_dimensions(geoms))
    if bad.any():
        fast[bad] = shapely.set_precision(geoms[bad], 1.0)
    return fast


def encode_tile(
    layer: str,
    geometries: Sequence[BaseGeometry],
    properties: Sequence[dict[str, Any]],
    z: int,
    x: int,
    y: int,
) -> bytes:
    """One MVT layer of the features that meet tile (z, x, y), encoded (mapbox-vector-tile)."""
    return encode_drawn(layer, tile_geometries(geometries, z, x, y), properties)


def encode_drawn(layer: str, drawn: Sequence[Any], properties: Sequence[dict[str, Any]]) -> bytes:
    """One MVT layer of geometries already drawn in tile units (``analysis.mvt``)."""
    from clearground.analysis.mvt import encode_layer

    return encode_layer(layer, drawn, properties, extent=EXTENT)
