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
    """``aeqd_at`` builds the transformer from its PROJ pipeline (fast); it must give the very
    numbers of ``Transformer.from_crs`` for the same projection, bit for bit."""
    import numpy as np
    from pyproj import Transformer

    from clearground.analysis.proximity import aeqd_at

    rng = np.random.default_rng(4)
    for lon0, lat0 in [(30.0, 50.0), (-3.0, 0.0), (178.0, -41.0), (22.0, 44.0), (0.0, 89.0)]:
        slow = Transformer.from_crs(
            "EPSG:4326",
            f"+proj=aeqd +lat_0={lat0} +lon_0={lon0} +datum=WGS84 +units=m",
            always_xy=True,
        )
        x = lon0 + rng.uniform(-3, 3, 500)
        y = np.clip(lat0 + rng.uniform(-3, 3, 500), -89.9, 89.9)
        fast = aeqd_at(lon0, lat0).transform(x, y)
        expected = slow.transform(x, y)
        assert np.array_equal(fast[0], expected[0]) and np.array_equal(fast[1], expected[1])


def _tree_reference(query, hazards, buffer_m):
    """hazards_near as it was written before its small-set path: two projections, one STRtree."""
    from clearground.analysis.proximity import _aeqd
    from clearground.domain.areas import densify

    t = _aeqd(query)

    def project(g):
        return shapely.transform(g, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))

    q = project(densify(query))
    projected = project(densify(np.asarray(hazards, dtype=object)))
    idx = np.sort(shapely.STRtree(projected).query(q, predicate="dwithin", distance=buffer_m))
    dist = shapely.distance(q, projected[idx])
    order = np.lexsort((idx, dist))
    return idx[order], dist[order]


@pytest.mark.parametrize("n", [1, 3, 64, 65, 300])
def test_small_and_large_candidate_sets_give_the_tree_s_answer_bit_for_bit(n):
    # up to _NO_TREE candidates are tested one by one, more through an STRtree: the same
    # indices and the same distances either way, for points (inside, on an edge, near) and routes
    rng = np.random.default_rng(n)
    x, y = 30 + rng.random(n) * 0.05, 48 + rng.random(n) * 0.05
    w, h = 1e-4 + rng.random(n) * 0.004, 1e-4 + rng.random(n) * 0.004
    hazards = shapely.box(x, y, x + w, y + h)
    queries = [shapely.Point(30 + a * 0.05, 48 + b * 0.05) for a, b in rng.random((40, 2))]
    queries += [shapely.Point(x[0] + w[0], y[0] + h[0] / 2), shapely.Point(x[0], y[0])]
    queries += [shapely.LineString([(29.99, 47.99), (30.06, 48.06), (30.0, 48.06)])]
    for q in queries:
        for buffer_m in (0.0, 50.0, 200.0, 1000.0):
            got, want = hazards_near(q, hazards, buffer_m), _tree_reference(q, hazards, buffer_m)
            assert got[0].tolist() == want[0].tolist()
            assert got[1].tolist() == want[1].tolist()
    assert any(len(hazards_near(q, hazards, 200.0)[0]) for q in queries)  # not all empty


def test_a_hazard_at_a_rounding_tie_is_kept_or_dropped_as_the_tree_does():
    """The tree prescreens by the query's box grown by the distance (rounded), then tests the
    distance: an edge just past ``x + d`` in floats may be within ``d`` by GEOS's distance yet
    outside the grown box. The small-set path must keep or drop it exactly as the tree path."""
    from clearground.analysis.proximity import _NO_TREE, near_projected

    far = [shapely.box(1e6 + i, 1e6, 1e6 + i + 1, 1e6 + 1) for i in range(_NO_TREE + 6)]
    # (x, y, d) where plain distance-within keeps an edge the tree's prescreen drops
    cases = [
        (-2138.137248635525, -10697.468693365867, 1234.5),
        (-907.7677491179202, -27274.0, 1234.5),
    ]
    rng = np.random.default_rng(3)
    cases += [
        (x, y, d)
        for x, y, d in zip(
            rng.uniform(-5e5, 5e5, 300),
            rng.uniform(-5e5, 5e5, 300),
            rng.choice([200.0, 37.3, 1234.5], 300),
            strict=True,
        )
    ]
    ties = 0
    for px, py, d in cases:
        q = shapely.Point(px, py)
        edge = px + d
        for e in (np.nextafter(edge, -np.inf), edge, np.nextafter(edge, np.inf)):
            hz = shapely.box(e, py - 10.0, e + 5.0, py + 10.0)
            small = near_projected(q, np.array([hz], dtype=object), d)
            tree = near_projected(q, np.array([hz, *far], dtype=object), d)  # > _NO_TREE
            assert small[0].tolist() == tree[0].tolist(), (px, py, d, e)
            assert small[1].tolist() == tree[1].tolist()
            ties += bool(shapely.dwithin(q, hz, d)) and not len(tree[0])
    assert ties >= 2  # the cases above are ties: without the prescreen they would differ
