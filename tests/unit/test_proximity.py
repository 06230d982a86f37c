"""Distances of route and place checks against pyproj.Geod, away from the projection centre."""

from __future__ import annotations

import numpy as np
import pytest
import shapely
from pyproj import Geod

from clearground.analysis.proximity import degree_margin, hazards_near

GEOD = Geod(ellps="WGS84")


@pytest.mark.parametrize(("lon", "lat"), [(30.49, 49.51), (22.5, 44.5), (40.49, 52.49)])
def test_point_distance_matches_geodesic_far_from_the_centre(lon, lat):
    # a hazard whose nearest point to the query is its south-west corner
    corner = (lon + 0.003, lat + 0.002)
    hz = np.array([shapely.box(*corner, corner[0] + 0.01, corner[1] + 0.01)])
    idx, dist = hazards_near(shapely.Point(lon, lat), hz, 1000)
    expected = GEOD.inv(lon, lat, *corner)[2]
    assert idx.tolist() == [0]
    assert dist[0] == pytest.approx(expected, rel=3e-5)


def test_route_distances_match_geodesic_within_0_02_percent():
    route = shapely.LineString([(30.1, 50.1), (33.9, 50.9)])  # about 280 km
    far_end = shapely.box(33.9, 50.905, 33.91, 50.91)
    idx, dist = hazards_near(route, np.array([far_end]), 1000)
    expected = GEOD.inv(33.9, 50.9, 33.9, 50.905)[2]
    assert dist[0] == pytest.approx(expected, rel=2e-4)


def test_bbox_margin_covers_the_buffer_everywhere():
    for lat in (0.0, 45.0, 70.0):
        minx, miny, maxx, maxy = degree_margin((30, lat, 30, lat), 1000)
        assert GEOD.inv(30, lat, maxx, lat)[2] >= 1000
        assert GEOD.inv(30, lat, 30, maxy)[2] >= 1000


def test_the_aeqd_pipeline_is_the_one_from_crs_resolves_to():
    """``_aeqd_at`` builds the transformer from its PROJ pipeline (fast); it must give the very
    numbers of ``Transformer.from_crs`` for the same projection, bit for bit."""
    import numpy as np
    from pyproj import Transformer

    from clearground.analysis.proximity import _aeqd_at

    rng = np.random.default_rng(4)
    for lon0, lat0 in [(30.0, 50.0), (-3.0, 0.0), (178.0, -41.0), (22.0, 44.0), (0.0, 89.0)]:
        slow = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m",
            always_xy=True,
        )
        x = lon0 + rng.uniform(-3, 3, 500)
        y = np.clip(lat0 + rng.uniform(-3, 3, 500), -89.9, 89.9)
        fast = _aeqd_at(lon0, lat0).transform(x, y)
        expected = slow.transform(x, y)
        assert np.array_equal(fast[0], expected[0]) and np.array_equal(fast[1], expected[1])
