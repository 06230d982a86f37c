"""One geometry rule: an edge is a straight line in lon/lat, in areas, checks and on both engines.

The engines' checks are compared with a brute-force answer computed with no projection at all:
point in polygon in lon/lat (shapely), and geodesic distances (pyproj.Geod) to the edges sampled
every 1e-5 degree (about a metre).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Geod, Transformer

from clearground.domain.areas import (
    MAX_SEGMENT_DEG,
    WGS84_A,
    WGS84_F,
    densify,
    geodesic_area,
)
from clearground.domain.validation import check_geometries
from clearground.services.check import check
from clearground.services.hazards import import_hazards
from clearground.store import open_store
from tests.helpers import write_layer

GEOD = Geod(ellps="WGS84")

BIG = shapely.box(30.0, 46.0, 34.0, 50.0)  # a 4 degree box
STRIP = shapely.box(35.0, 49.0, 36.0, 49.5)  # 1 x 0.5 degree at 49 N
SMALL = shapely.box(25.0, 48.0, 25.01, 48.01)
DIAGONAL = shapely.Polygon([(26.0, 45.0), (29.0, 46.5), (27.0, 47.5)])  # slanted edges
HAZARDS = [BIG, STRIP, SMALL, DIAGONAL]


# --- the bound of densification -----------------------------------------------------------------


def _segments():
    """Edges of MAX_SEGMENT_DEG in 12 directions at latitudes up to the polar limit."""
    for lat in (0.0, 30.0, 49.0, 60.0, 75.0, 84.99):
        for ang in np.linspace(0, np.pi, 12, endpoint=False):
            dl, dp = MAX_SEGMENT_DEG * np.cos(ang), MAX_SEGMENT_DEG * np.sin(ang)
            yield 30.0, min(lat, 85.0 - abs(dp)), dl, dp


def test_a_densified_edge_projected_stays_within_3_cm_of_the_lon_lat_line():
    worst = 0.0
    t = np.linspace(0, 1, 101)
    for lon, lat, dl, dp in _segments():
        for off in (0.0, 0.5, 4.5):  # projection centres up to about 500 km away
            proj = Transformer.from_crs(
                "EPSG:4326",
                f"+proj=aeqd +lat_0={lat - off} +lon_0={lon - off} +datum=WGS84 +units=m",
                always_xy=True,
            )
            x, y = proj.transform(lon + dl * t, lat + dp * t)
            chord = shapely.LineString([(x[0], y[0]), (x[-1], y[-1])])
            d = shapely.distance(chord, shapely.points(np.column_stack([x, y])))
            worst = max(worst, float(d.max()))
    assert worst < 0.03, worst


def test_a_densified_edge_read_as_a_great_circle_stays_within_3_cm():
    worst = 0.0
    t = np.linspace(0, 1, 4001)
    for lon, lat, dl, dp in _segments():
        gc = GEOD.npts(lon, lat, lon + dl, lat + dp, 9)
        line_lon, line_lat = lon + dl * t, lat + dp * t
        for glon, glat in gc:
            n = len(t)
            d = GEOD.inv(np.full(n, glon), np.full(n, glat), line_lon, line_lat)[2]
            worst = max(worst, float(d.min()))
    assert worst < 0.03, worst


def test_densify_keeps_vertices_and_shape_in_lon_lat():
    d = densify(BIG)
    assert shapely.equals(d, BIG)  # the same set of points in lon/lat: only vertices added
    assert len(shapely.get_coordinates(d)) > 4 * 4 / MAX_SEGMENT_DEG
    assert densify(shapely.Point(30, 50)).equals(shapely.Point(30, 50))


# --- areas --------------------------------------------------------------------------------------


def _zone_area(lat1: float, lat2: float, dlon: float) -> float:
    e2 = WGS84_F * (2 - WGS84_F)
    e = math.sqrt(e2)
    b2 = (WGS84_A * (1 - WGS84_F)) ** 2

    def f(lat: float) -> float:
        s = math.sin(math.radians(lat))
        return s / (1 - e2 * s * s) + math.log((1 + e * s) / (1 - e * s)) / (2 * e)

    return b2 / 2 * math.radians(dlon) * (f(lat2) - f(lat1))


def test_a_4_degree_box_has_the_area_of_its_quadrangle_not_of_geodesic_edges():
    exact = _zone_area(46.0, 50.0, 4.0)
    assert geodesic_area(BIG) == pytest.approx(exact, rel=1e-9)
    # pyproj.Geod joins the corners with geodesics, which bow off the parallels: 35 km² less
    geodesic_edges = abs(GEOD.geometry_area_perimeter(BIG)[0])
    assert abs(geodesic_edges - exact) > 30e6
    # densified in lon/lat, Geod's geodesics follow the parallels and agree
    dense = abs(GEOD.geometry_area_perimeter(shapely.segmentize(BIG, 0.001))[0])
    assert dense == pytest.approx(exact, rel=1e-6)


def test_slanted_edges_are_straight_in_lon_lat_for_the_area_too():
    ref = abs(GEOD.geometry_area_perimeter(shapely.segmentize(DIAGONAL, 0.0005))[0])
    assert geodesic_area(DIAGONAL) == pytest.approx(ref, rel=1e-6)
    assert abs(abs(GEOD.geometry_area_perimeter(DIAGONAL)[0]) - ref) / ref > 1e-4


# --- refused shapes -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "geom, reason",
    [
        (shapely.Polygon([(179, 50), (-179, 50), (-179, 51), (179, 51)]), "antimeridian"),
        (shapely.box(179.5, 50, 180.5, 51), "beyond ±180"),
        (shapely.box(30, 84, 31, 86), "beyond ±85"),
        (shapely.Polygon([(0, 80), (120, 80), (240 - 360, 80), (0, 90)]), "antimeridian"),
        (shapely.Point(10, 89), "beyond ±85"),
    ],
)
def test_antimeridian_and_polar_shapes_are_refused(geom, reason):
    got = check_geometries(
        np.array([geom, shapely.box(30, 50, 30.01, 50.01)]), allowed_types=(0, 3)
    )
    assert reason in got.problems[0]
    assert 1 not in got.problems


# --- both engines against brute force -----------------------------------------------------------


def _brute(poly: shapely.Polygon, lon: float, lat: float) -> float:
    """Distance in metres from (lon, lat) to ``poly`` with its edges straight in lon/lat: 0
    inside; else the geodesic distance to the nearest of its edge points sampled every 1e-5
    degree near the point."""
    p = shapely.Point(lon, lat)
    if shapely.covers(poly, p):
        return 0.0
    near = shapely.intersection(poly.boundary, p.buffer(0.05))
    if near.is_empty:
        return math.inf
    xy = shapely.get_coordinates(shapely.segmentize(near, 1e-5))
    n = len(xy)
    return float(GEOD.inv(np.full(n, lon), np.full(n, lat), xy[:, 0], xy[:, 1])[2].min())


def _offset(lon: float, lat: float, az: float, metres: float) -> tuple[float, float]:
    x, y, _ = GEOD.fwd(lon, lat, az, metres)
    return float(x), float(y)


def _queries():
    """Points near the middle of edges (where projected and lon/lat edges part most), inside
    and outside by 1 m to 1 km, and the two points of the issue."""
    pts = [(35.5, 49.0009), (32.0, 50.0 - 1000 / 111_200), (32.0, 46.0 + 0.009)]
    for poly in HAZARDS:
        ring = shapely.get_coordinates(poly.exterior)
        for a, b in zip(ring[:-1], ring[1:], strict=True):
            mid = (a + b) / 2
            az = GEOD.inv(a[0], a[1], b[0], b[1])[0]
            for side in (-90.0, 90.0):
                for m in (1.0, 30.0, 100.0, 150.0, 1000.0):
                    pts.append(_offset(mid[0], mid[1], az + side, m))
    return pts


def test_both_engines_give_the_brute_force_answer(store_url, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson", HAZARDS, {"name": [f"SYNTHETIC {i}" for i in range(4)]}
    )
    store = open_store(store_url)
    try:
        import_hazards(store, src, author="tester")
        ids = [v.id for v in sorted(store.list("hazard"), key=lambda v: v.id)]
        checked = 0
        for buffer_m in (0.0, 120.0):
            for lon, lat in _queries():
                expected = {}
                for hid, poly in zip(ids, HAZARDS, strict=True):
                    d = _brute(poly, lon, lat)
                    if abs(d - buffer_m) < 0.5 and d > 0:
                        break  # too close to the buffer's edge to tell: skip this point
                    if d <= buffer_m:
                        expected[hid] = d
                else:
                    got = check(store, shapely.Point(lon, lat), buffer_m=buffer_m)
                    assert got["covered"] is True
                    found = {h["id"]: h["distance_m"] for h in got["hazards"]}
                    assert set(found) == set(expected), (lon, lat, buffer_m, found, expected)
                    for hid, d in expected.items():
                        assert found[hid] == pytest.approx(d, abs=0.2), (lon, lat, hid)
                    if not expected:
                        assert got["message"].startswith("No recorded hazard")
                    checked += 1
        assert checked > 150
        # the two points of the issue
        inside = check(store, shapely.Point(35.5, 49.0009), buffer_m=0)
        assert [h["id"] for h in inside["hazards"]] == [ids[1]]
        one_km = check(store, shapely.Point(32.0, 50.0 - 1000 / 111_200), buffer_m=0)
        assert [h["id"] for h in one_km["hazards"]] == [ids[0]]
    finally:
        store.close()
