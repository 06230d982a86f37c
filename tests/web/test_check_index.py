"""The warm check (services.check_index) gives exactly the answer of services.check.check, on
both engines, for many points and routes, and again after writes change the data."""

from __future__ import annotations

import numpy as np
import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.records import HazardArea, Location
from clearground.domain.validation import Region
from clearground.services.check import check
from clearground.services.check_index import CheckIndex, shared_index
from clearground.synthetic import hazard_polygons

REGION = Region(22.0, 44.0, 40.5, 52.5)
AREA = Region(30.0, 50.0, 30.4, 50.3)  # where the synthetic hazards are, densely


def _hazards(n: int, seed: int = 3, start: int = 1) -> list[HazardArea]:
    out = []
    for i, p in enumerate(hazard_polygons(n, seed=seed, region=AREA)):
        g = shapely.MultiPolygon([p])
        out.append(
            HazardArea(
                id=f"HA-{start + i:06d}",
                name=f"SYNTHETIC hazard {start + i}",
                geometry=g,
                area_m2=geodesic_area(g),
            )
        )
    return out


def _insert(store, kind, records):
    with store.transaction() as tx:
        tx.insert(kind, records, author="tester", reason="SYNTHETIC test data")
        tx.commit()


def _queries(seed: int = 7) -> list:
    rng = np.random.default_rng(seed)
    pts = [
        shapely.Point(x, y)
        for x, y in zip(rng.uniform(29.95, 30.45, 120), rng.uniform(49.95, 50.35, 120), strict=True)
    ]
    routes = [
        shapely.LineString([(29.9, 50.0), (30.5, 50.3)]),
        shapely.LineString([(30.1, 49.9), (30.2, 50.4), (30.35, 50.1)]),
        shapely.LineString([(21.5, 50.1), (30.2, 50.1)]),  # partly outside the region
    ]
    outside = [shapely.Point(20.0, 50.0), shapely.Point(30.2, 53.0)]
    return pts + routes + outside


def _assert_same(store, index, queries, buffers=(0.0, 200.0, 2_000.0)):
    compared = 0
    for q in queries:
        for b in buffers:
            assert index.check(q, buffer_m=b, region=REGION) == check(
                store, q, buffer_m=b, region=REGION
            ), (q.wkt, b)
            compared += 1
    return compared


def test_warm_check_equals_the_check_service_before_and_after_writes(store):
    index = CheckIndex(store)
    queries = _queries()
    _assert_same(store, index, queries[:5])  # an empty database: "no hazard records at all"
    hazards = _hazards(80)
    _insert(store, "hazard", hazards)
    assert _assert_same(store, index, queries) == 3 * len(queries)
    answers = [index.check(q, buffer_m=2_000.0, region=REGION) for q in queries]
    assert any(a["hazards"] for a in answers) and any(not a["hazards"] for a in answers)
    assert any(not a["covered"] for a in answers)
    built = index.rebuilds
    index.check(queries[0], buffer_m=200.0, region=REGION)
    assert index.rebuilds == built  # no write: the kept index answers

    # A write (a new hazard under a query point, one deleted) is seen at the next check.
    p = queries[0]
    new = _hazards(1, seed=99, start=500)[0]
    new.geometry = shapely.MultiPolygon(
        [shapely.box(p.x - 0.001, p.y - 0.001, p.x + 0.001, p.y + 0.001)]
    )
    new.area_m2 = geodesic_area(new.geometry)
    _insert(store, "hazard", [new])
    got = index.check(p, buffer_m=0.0, region=REGION)
    assert "HA-000500" in [h["id"] for h in got["hazards"]]
    with store.transaction() as tx:
        tx.delete("hazard", hazards[0].id, expected_version=1, author="t", reason="duplicate")
        tx.commit()
    _assert_same(store, index, queries)
    assert index.rebuilds > built

    # Administrative areas narrow the coverage: the answer changes the same way on both paths.
    oblast = shapely.MultiPolygon([shapely.box(30.0, 50.0, 30.25, 50.35)])
    _insert(store, "location", [Location("UA99", "SYNTHETIC oblast", 1, "", oblast)])
    _assert_same(store, index, queries, buffers=(200.0,))
    assert not index.check(shapely.Point(30.4, 50.1), buffer_m=200.0, region=REGION)["covered"]


def test_the_server_shares_one_index_per_store(store):
    assert shared_index(store) is shared_index(store)


def test_as_of_is_read_from_the_store(store):
    _insert(store, "hazard", _hazards(5))
    index = CheckIndex(store)
    q = shapely.Point(30.2, 50.15)
    as_of = "2000-01-01T00:00:00.000000Z"
    assert index.check(q, buffer_m=50_000, region=REGION, as_of=as_of) == check(
        store, q, buffer_m=50_000, region=REGION, as_of=as_of
    )
    assert index.rebuilds == 0


_WRITER = """
import sys, shapely
from clearground.domain.areas import geodesic_area
from clearground.domain.records import HazardArea
from clearground.store import open_store
url, x, y = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
g = shapely.MultiPolygon([shapely.box(x - 0.001, y - 0.001, x + 0.001, y + 0.001)])
h = HazardArea(id="HA-000900", name="SYNTHETIC hazard from another process", geometry=g,
               area_m2=geodesic_area(g))
store = open_store(url)
with store.transaction() as tx:
    tx.insert("hazard", [h], author="other process", reason="SYNTHETIC test data")
    tx.commit()
store.close()
"""


def _write_in_another_process(url: str, p) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    src = str(Path(__file__).resolve().parents[2] / "src")
    env = {**os.environ, "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", "")}
    subprocess.run(
        [sys.executable, "-c", _WRITER, url, str(p.x), str(p.y)], check=True, env=env, timeout=120
    )


def test_a_write_committed_by_another_process_is_seen_by_the_next_check(store, store_url):
    _insert(store, "hazard", _hazards(20))
    index = CheckIndex(store)
    p = shapely.Point(30.37, 50.02)
    before = index.check(p, buffer_m=0.0, region=REGION)
    assert "HA-000900" not in [h["id"] for h in before["hazards"]]
    versions = store.data_versions(("hazard", "coverage", "location"))
    assert versions == {k: store.data_version(k) for k in versions}
    built = index.rebuilds
    _write_in_another_process(store_url, p)
    after = index.check(p, buffer_m=0.0, region=REGION)
    if store.engine == "postgis":
        # the commit is pushed (LISTEN/NOTIFY, store.pg_push): seen once its notification is
        # in, which is normally at once; bounded here by the once-a-second refresh
        import time

        deadline = time.monotonic() + 5
        while "HA-000900" not in [h["id"] for h in after["hazards"]]:
            assert time.monotonic() < deadline, "another process's commit was not seen"
            time.sleep(0.01)
            after = index.check(p, buffer_m=0.0, region=REGION)
    # SQLite: no wait, no sleep: the very next check reads the pragma and rebuilds
    assert "HA-000900" in [h["id"] for h in after["hazards"]]
    assert after == check(store, p, buffer_m=0.0, region=REGION)
    assert index.rebuilds == built + 1
    assert store.data_versions(("hazard",))["hazard"] == store.data_version("hazard")
    assert store.data_versions(("hazard",))["hazard"] != versions["hazard"]


def test_data_versions_change_with_each_commit_of_the_kind_only(store):
    kinds = ("hazard", "location")
    first = store.data_versions(kinds)
    assert store.data_versions(kinds) == first  # reading changes nothing
    _insert(store, "hazard", _hazards(2))
    second = store.data_versions(kinds)
    assert second["hazard"] != first["hazard"] and second["location"] == first["location"]
    oblast = shapely.MultiPolygon([shapely.box(30.0, 50.0, 30.25, 50.35)])
    _insert(store, "location", [Location("UA98", "SYNTHETIC oblast", 1, "", oblast)])
    third = store.data_versions(kinds)
    assert third["hazard"] == second["hazard"] and third["location"] != second["location"]
    assert third == {k: store.data_version(k) for k in kinds}


def test_check_if_warm_answers_only_without_a_wait(store):
    _insert(store, "hazard", _hazards(20))
    index = CheckIndex(store)
    p = shapely.Point(30.2, 50.15)
    assert index.check_if_warm(p, buffer_m=2_000.0, region=REGION) is None  # nothing built yet
    answer = index.check(p, buffer_m=2_000.0, region=REGION)
    warm = index.check_if_warm(p, buffer_m=2_000.0, region=REGION)
    if store.engine == "sqlite":  # the pragma is local: a warm answer, the service's answer
        assert warm == answer == check(store, p, buffer_m=2_000.0, region=REGION)
        _insert(store, "hazard", _hazards(1, seed=8, start=700))
        assert index.check_if_warm(p, buffer_m=2_000.0, region=REGION) is None  # stale now
    else:  # PostGIS: warm once commits are pushed to this process (store.pg_push), never
        # a round trip on the caller's event loop
        import time

        deadline = time.monotonic() + 10
        while warm is None and time.monotonic() < deadline:
            time.sleep(0.05)
            index.check(p, buffer_m=2_000.0, region=REGION)
            warm = index.check_if_warm(p, buffer_m=2_000.0, region=REGION)
        assert warm == answer == check(store, p, buffer_m=2_000.0, region=REGION)
        _insert(store, "hazard", _hazards(1, seed=8, start=700))
        assert index.check_if_warm(p, buffer_m=2_000.0, region=REGION) is None  # stale now


def test_places_with_nothing_near_get_the_service_answer(store):
    """Most places have no hazard near: the index answers them from one STRtree query and the
    answer the service gave the first such place; it must be the service's answer at each."""
    rng = np.random.default_rng(21)
    places = [
        shapely.Point(x, y)
        for x, y in zip(
            rng.uniform(REGION.min_lon, REGION.max_lon, 60),
            rng.uniform(REGION.min_lat, REGION.max_lat, 60),
            strict=True,
        )
    ]
    edges = [shapely.Point(REGION.min_lon, REGION.min_lat), shapely.Point(REGION.max_lon, 48.0)]
    index = CheckIndex(store)
    for stage in ("empty database", "hazards"):
        for p in places + edges:
            for b in (0.0, 200, 200.0, 5_000.0):
                got = index.check(p, buffer_m=b, region=REGION)
                assert got == check(store, p, buffer_m=b, region=REGION), (stage, p.wkt, b)
                assert type(got["buffer_m"]) is type(b)
        if stage == "empty database":
            assert index.current().templates  # the place-free answers were used
            _insert(store, "hazard", _hazards(50))
    snap = index.current()
    assert snap.templates and all(not a["hazards"] for a in snap.templates.values())
    # administrative areas make the coverage depend on the place: no template then
    oblast = shapely.MultiPolygon([shapely.box(30.0, 50.0, 30.25, 50.35)])
    _insert(store, "location", [Location("UA97", "SYNTHETIC oblast", 1, "", oblast)])
    for p in places[:20]:
        assert index.check(p, buffer_m=200.0, region=REGION) == check(
            store, p, buffer_m=200.0, region=REGION
        )
    assert not index.current().templates


def test_places_with_hazards_near_get_the_service_answer(store):
    """Where hazards are found, the index gives the answer the service gave the first place with
    as many found and crossed, with this place's hazards: the service's answer at each place
    (inside a hazard, on its edge and corner, just outside, near several, near none)."""
    hazards = _hazards(80)
    _insert(store, "hazard", hazards)
    rng = np.random.default_rng(8)
    places = []
    for h in hazards[:30]:
        minx, miny, maxx, maxy = h.geometry.bounds
        p = h.geometry.representative_point()
        places += [p, shapely.Point(maxx, maxy), shapely.Point(minx - 0.001, miny)]
        places += [shapely.Point(maxx + 0.0015, p.y), shapely.Point(minx, p.y)]
        v = shapely.get_coordinates(h.geometry)[0]
        places.append(shapely.Point(v))  # a vertex: on the boundary, 0 m
    places += [
        shapely.Point(x, y)
        for x, y in zip(rng.uniform(30.0, 30.4, 60), rng.uniform(50.0, 50.3, 60), strict=True)
    ]
    index = CheckIndex(store)
    counts = set()
    for p in places:
        for b in (0.0, 200.0, 200, 1_500.0):
            got = index.check(p, buffer_m=b, region=REGION)
            want = check(store, p, buffer_m=b, region=REGION)
            assert got == want, (p.wkt, b)
            assert type(got["buffer_m"]) is type(b)
            crossed = sum(1 for h in want["hazards"] if h["distance_m"] == 0)
            counts.add((len(want["hazards"]), crossed))
    kept = [t for fast in index.current().fast.values() for t in fast[2].values()]
    assert kept and all(t["hazards"] for t in kept)  # answers with hazards were given again
    assert {(1, 0), (1, 1)} <= counts and max(n for n, _ in counts) >= 3


def test_kept_projections_give_nearest_s_hazards_and_metres_unrounded(store):
    """The index keeps hazards projected per projection centre; a check with them finds the
    hazards and the distances (full floats, not the answer's rounded ones) of ``nearest``, the
    engines' exact step, the first time and again from what it kept."""
    from clearground.analysis.proximity import degree_margin
    from clearground.store.base import nearest

    _insert(store, "hazard", _hazards(120, seed=4))
    kind = CheckIndex(store).current().hazards
    rng = np.random.default_rng(12)
    places = [shapely.Point(x, y) for x, y in rng.uniform([29.98, 49.98], [30.42, 50.32], (80, 2))]
    places += [shapely.Point(shapely.get_coordinates(v.record.geometry)[2]) for v in kind.versions]
    compared = 0
    for again in (False, True):
        for p in places[:: 2 if again else 1]:
            for metres in (0.0, 150.0, 3_000.0):
                reach = degree_margin(p.bounds, metres)
                idx = kind.indices(reach)
                want = nearest(kind.in_bbox(reach), p, metres)
                got = kind.nearest_to_point(p, idx, metres) if idx else []
                assert [(v.id, d) for v, d in got] == [(v.id, d) for v, d in want], p.wkt
                compared += len(want)
    assert compared > 200 and kind._projected  # hazards were found, and kept projected


def test_what_the_index_keeps_per_buffer_stays_bounded(store):
    """Anonymous checks may ask for any buffer: the answers kept per buffer are bounded
    (``KEYS_KEPT``), and answers stay the service's after the index lets some go."""
    from clearground.services.check_index import KEYS_KEPT

    hazards = _hazards(30)
    _insert(store, "hazard", hazards)
    index = CheckIndex(store)
    near = hazards[0].geometry.representative_point()
    for k in range(3 * KEYS_KEPT):
        b = 100.0 + k * 0.5
        for p in (near, shapely.Point(30.2, 50.15)):
            assert index.check(p, buffer_m=b, region=REGION) == check(
                store, p, buffer_m=b, region=REGION
            )
        snap = index.current()
        assert len(snap.fast) <= KEYS_KEPT and len(snap.templates) <= KEYS_KEPT
    assert snap.fast  # answers are still kept


def test_a_rebuild_keeps_the_projections_of_unchanged_hazards_only(store):
    """Each hazard is kept projected when the index is built; after an edit the rebuilt index
    takes over the unchanged hazards' projections and projects the edited one anew: answers
    stay the service's, at the old place and the new."""
    import dataclasses

    hazards = _hazards(40)
    _insert(store, "hazard", hazards)
    index = CheckIndex(store)
    before = index.current().hazards
    assert before._kept >= len(hazards)  # projected when built
    moved = hazards[3]
    old_place = moved.geometry.representative_point()
    edited = dataclasses.replace(
        moved, geometry=shapely.MultiPolygon([shapely.box(30.31, 50.21, 30.312, 50.212)])
    )
    edited = dataclasses.replace(edited, area_m2=geodesic_area(edited.geometry))
    with store.transaction() as tx:
        tx.update("hazard", edited, expected_version=1, author="tester", reason="SYNTHETIC edit")
        tx.commit()
    places = [old_place, shapely.Point(30.311, 50.211), *(h.geometry.centroid for h in hazards)]
    for p in places:
        for b in (0.0, 200.0):
            assert index.check(p, buffer_m=b, region=REGION) == check(
                store, p, buffer_m=b, region=REGION
            )
    after = index.current().hazards
    assert after is not before
    ids_before = {v.id: i for i, v in enumerate(before.versions)}
    reused = fresh = 0
    for centre, kept in after._projected.items():
        for j, g in kept.items():
            v = after.versions[j]
            old = before._projected.get(centre, {}).get(ids_before[v.id])
            if v.id == moved.id:
                assert g is not old  # the edited hazard: projected anew
                fresh += 1
            elif old is not None:
                assert g is old  # unchanged: taken over
                reused += 1
    assert fresh >= 1 and reused >= len(hazards) - 2


def test_the_grid_prefilter_never_misses_a_box_the_strtree_finds():
    """The grid says "empty" only where the STRtree (edges included) finds no box: random
    rectangles, and rectangles that only touch a box's edge or corner."""
    from clearground.services.check_index import _Grid

    rng = np.random.default_rng(5)
    lo = np.column_stack([rng.uniform(22, 40, 3000), rng.uniform(44, 52, 3000)])
    size = rng.exponential(0.01, (3000, 2))
    bounds = np.column_stack([lo, lo + size])
    grid = _Grid(bounds)
    tree = shapely.STRtree(shapely.box(*bounds.T))
    rects = [tuple(r) for r in np.column_stack([lo - 0.003, lo]) + rng.uniform(-0.01, 0.01, 1)]
    c = rng.uniform([21, 43], [41, 53], (3000, 2))
    rects += [(x, y, x + 0.005, y + 0.004) for x, y in c]
    for b in bounds[:500]:  # touching: right edge, top edge, the top-right corner
        rects += [(b[2], b[1], b[2] + 0.01, b[3]), (b[0], b[3], b[2], b[3] + 0.01)]
        rects += [(b[2], b[3], b[2] + 0.01, b[3] + 0.01), (b[0] - 0.01, b[1] - 0.01, b[0], b[1])]
    big = np.array([[30.0, 47.0, 30.2, 47.1]])  # one box over many cells: left to the STRtree
    bounds = np.vstack([bounds, big])
    grid = _Grid(bounds)
    tree = shapely.STRtree(shapely.box(*bounds.T))
    rects += [(30.1, 47.05, 30.101, 47.051), (29.99, 46.99, 30.0, 47.0)]
    empties = settled = listed_some = 0
    for r in rects:
        found = len(tree.query(shapely.box(*r))) > 0
        if grid.empty(*r):
            assert not found, r
            empties += 1
        meets = grid.meets(*r)
        if meets is not None:  # where the grid answers, it answers as the STRtree does
            assert meets == found, r
            settled += 1
        listed = grid.candidates(*r)
        if listed is not None:  # and lists the very boxes the STRtree finds, in order
            assert listed == sorted(tree.query(shapely.box(*r)).tolist()), r
            assert (meets is None) or (bool(listed) == meets)
            listed_some += bool(listed)
    assert empties > 1000  # the grid does settle most places
    assert settled > len(rects) * 0.8  # most, without the STRtree
    assert listed_some > 1000  # and many lists are not empty
    assert grid.meets(30.1, 47.05, 30.101, 47.051) is None  # inside the large box's cells
    # the rectangles a warm check asks about: a place's reach, at corners and inside boxes
    centres = np.vstack([c, lo, lo + size, [[30.1, 47.05], [29.99, 46.99]]])
    for dx, dy in ((0.003, 0.0018), (0.0, 0.0), (0.02, 0.01), (0.2, 0.2)):
        for x, y in centres.tolist():
            r = (x - dx, y - dy, x + dx, y + dy)
            got = grid.meets(*r)
            if got is not None:
                assert got == (len(tree.query(shapely.box(*r))) > 0), (x, y, dx, dy)
