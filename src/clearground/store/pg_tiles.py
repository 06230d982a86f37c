"""Vector tiles on PostGIS: ``ST_AsMVTGeom`` over ``ST_TileEnvelope`` (EPSG:3857), encoded by
``ST_AsMVT``, with the steps of ``analysis.tiles`` done in SQL.

Edges are straight in lon/lat (``domain.areas``): geometries are densified in degrees
(``ST_Segmentize``, 0.01 degree) before ``ST_Transform`` to web mercator. ``ST_AsMVTGeom`` clips
to the tile grown by ``BUFFER`` units, simplifies and snaps to the 4096-unit grid; where that
leaves nothing of a feature that meets the tile (a polygon too small to draw at this zoom), a
point on the feature inside the tile is drawn instead: a hazard map never drops a feature.

The feature properties are made by the caller (the projections, in ``services.tiles``), never
by SQL from the payload: the rows of the tile are read first, then ``ST_AsMVT`` encodes their
drawn geometries with the properties passed back as jsonb.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from clearground.analysis.tiles import BUFFER, EXTENT, lonlat_bounds
from clearground.domain.areas import MAX_SEGMENT_DEG
from clearground.store.base import Version
from clearground.store.mapping import mapping_for

__all__ = ["mvt"]

_ROWS = """
WITH t AS (SELECT ST_TileEnvelope(%(z)s, %(x)s, %(y)s) AS e,
                  ST_TileEnvelope(%(z)s, %(x)s, %(y)s, margin => %(margin)s) AS eb),
v AS MATERIALIZED (SELECT v.*, ST_Transform(ST_Segmentize(v.geom, %(seg)s), 3857) AS g
      FROM {table}_versions v, t
      WHERE v.geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326)
        AND v.is_current AND NOT v.deleted)
SELECT * FROM (
  SELECT v.id, v.version, v.valid_from, v.author, v.reason, v.deleted, v.payload,
         ST_AsBinary(v.geom),
         ST_AsBinary(COALESCE(
           ST_AsMVTGeom(v.g, t.e, %(extent)s, %(buffer)s, true),
           CASE WHEN v.g @ t.eb THEN ST_AsMVTGeom(  -- wholly in the tile: no intersection
             ST_PointOnSurface(v.g), t.e, %(extent)s, %(buffer)s, true)
           WHEN ST_Intersects(v.g, t.eb) THEN ST_AsMVTGeom(
             ST_PointOnSurface(ST_Intersection(v.g, t.eb)), t.e, %(extent)s, %(buffer)s, true)
           END)) AS drawn
  FROM v, t
) s WHERE drawn IS NOT NULL ORDER BY id
"""

#: The same tile's rows without their records: ids and drawn geometries only (the properties
#: come from the caller's ``by_id``, which keeps them per data version).
_DRAWN = _ROWS.replace(
    "SELECT v.id, v.version, v.valid_from, v.author, v.reason, v.deleted, v.payload,\n"
    "         ST_AsBinary(v.geom),\n",
    "SELECT v.id,\n",
).replace("SELECT v.*, ST_Transform", "SELECT v.id, ST_Transform")
# (MATERIALIZED: each geometry is densified and projected once, not once per use of ``v.g``)

_ENCODE = """
SELECT ST_AsMVT(f, %s, %s, 'geom') FROM (
  SELECT ST_GeomFromWKB(g) AS geom, p AS properties
  FROM unnest(%s::bytea[], %s::jsonb[]) AS u(g, p)
) f
"""


def mvt(
    store: Any,
    kind: str,
    z: int,
    x: int,
    y: int,
    *,
    layer: str,
    properties: Callable[[Version], dict[str, Any]],
    by_id: Callable[[list[str]], list[str]] | None = None,
) -> bytes:
    """The MVT of one layer: the current records of ``kind`` that meet tile (z, x, y). With
    ``by_id`` (ids -> their properties as JSON text) no record is read or decoded here."""
    from clearground.store.postgis import _versions

    table = mapping_for(kind).table
    # the box in lon/lat from Python: ST_Transform of a buffered envelope past 180 degrees
    # wraps round to -180 and would select the wrong side of the globe
    x0, y0, x1, y1 = lonlat_bounds(z, x, y, BUFFER)
    args = {
        "z": z,
        "x": x,
        "y": y,
        "margin": BUFFER / EXTENT,
        "seg": MAX_SEGMENT_DEG,
        "extent": EXTENT,
        "buffer": BUFFER,
        "x0": x0,
        "y0": y0,
        "x1": x1,
        "y1": y1,
    }
    if by_id is not None:
        rows = store._fetch(_DRAWN.format(table=table), args)
        props = by_id([r[0] for r in rows])
        drawn = [r[1] for r in rows]
    else:
        rows = store._fetch(_ROWS.format(table=table), args)
        versions = _versions(kind, [r[:8] for r in rows])
        props = [
            json.dumps({k: v for k, v in properties(v).items() if v is not None}) for v in versions
        ]
        drawn = [r[8] for r in rows]
    (tile,) = store._fetch(_ENCODE, (layer, EXTENT, drawn, props))[0]
    return bytes(tile or b"")
