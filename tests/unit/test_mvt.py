"""The numpy MVT encoder (analysis.mvt): what mapbox-vector-tile decodes is what was drawn, the
many-at-once polygon path writes the same bytes as the one-by-one path, and rings wind as the
spec says (exterior clockwise on screen, holes the other way)."""

from __future__ import annotations

import mapbox_vector_tile
import shapely

from clearground.analysis import mvt
from clearground.analysis.mvt import encode_layer

GEOMS = [
    shapely.Point(10, 20),
    shapely.MultiPoint([(1, 1), (2, 3)]),
    shapely.box(100, 100, 300, 400),
    shapely.Polygon(
        [(0, 0), (1000, 0), (1000, 1000), (0, 1000)], [[(100, 100), (100, 200), (200, 200)]]
    ),
    shapely.MultiPolygon([shapely.box(1, 1, 5, 5), shapely.box(10, 10, 20, 22)]),
    shapely.LineString([(0, 0), (5, 5), (5, 5), (9, 1)]),
    None,
]
PROPS = [{"id": f"HA-{i}", "level": i, "share": i / 4, "none": None} for i in range(len(GEOMS))]


def _decoded(data: bytes) -> list[dict]:
    return mapbox_vector_tile.decode(data, default_options={"y_coord_down": False})["L"]["features"]


def test_decodes_to_what_was_drawn_with_its_properties():
    features = _decoded(encode_layer("L", GEOMS, PROPS))
    assert len(features) == len(GEOMS) - 1  # None is not written
    for f, g, p in zip(features, GEOMS, PROPS, strict=False):
        got = shapely.geometry.shape(f["geometry"])
        assert got.normalize().equals(shapely.remove_repeated_points(g).normalize()), g.wkt
        assert f["properties"] == {k: v for k, v in p.items() if v is not None}


def test_polygons_at_once_write_the_bytes_of_one_by_one(monkeypatch):
    fast = encode_layer("L", GEOMS, PROPS)
    monkeypatch.setattr(mvt, "_polygon_ints", lambda *a: None)
    assert encode_layer("L", GEOMS, PROPS) == fast


def test_rings_wind_as_the_spec_says():
    # In tile coordinates (y down) an exterior ring has a positive surveyor's area (clockwise
    # on screen), a hole a negative one; decoded with y up, the exterior is clockwise there.
    f = _decoded(encode_layer("L", [GEOMS[3]], [{}]))[0]
    exterior, hole = f["geometry"]["coordinates"]
    assert not shapely.LinearRing(exterior).is_ccw
    assert shapely.LinearRing(hole).is_ccw
    ref = mapbox_vector_tile.encode(
        {"name": "L", "features": [{"geometry": GEOMS[3], "properties": {}}]},
        default_options={"y_coord_down": False},
    )
    ref_exterior, ref_hole = _decoded(ref)[0]["geometry"]["coordinates"]
    assert shapely.LinearRing(ref_exterior).is_ccw == shapely.LinearRing(exterior).is_ccw
    assert shapely.LinearRing(ref_hole).is_ccw == shapely.LinearRing(hole).is_ccw
