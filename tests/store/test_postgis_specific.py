"""Facts only the PostGIS engine has: typed geometry columns, GiST indexes, a view QGIS can open,
geodesic areas that agree with the domain's, row-lock concurrency, upgrade from an older schema.

The engine-independent behaviour is in ``test_contract.py``; these run on a real PostgreSQL +
PostGIS started by ``tests/conftest.py`` (each test in a schema of its own).
"""

from __future__ import annotations

import threading
import time

import numpy as np
import psycopg
import pytest
import shapely

from clearground.domain.areas import geodesic_areas
from clearground.domain.errors import BadInput, Conflict, StoreError
from clearground.domain.records import HazardArea
from clearground.store import open_store
from clearground.store.migrations import MIGRATIONS
from clearground.synthetic import hazard_polygons
from tests.helpers import hazard

pytestmark = pytest.mark.postgis

TABLES = ("hazard_area_versions", "land_release_activity_versions")
VIEWS = ("hazard_areas_current", "land_release_activities_current")


@pytest.fixture
def pg(postgis_url: str):
    """A migrated PostGIS store and a plain psycopg connection to its schema."""
    s = open_store(postgis_url)
    s.migrate()
    conn = psycopg.connect(postgis_url, autocommit=True)
    yield s, conn
    conn.close()
    s.close()


def _insert(store, records) -> None:
    with store.transaction() as tx:
        tx.insert("hazard", list(records), author="tester", reason="test")
        tx.commit()


def test_geometry_columns_are_typed_multipolygon_4326_with_gist_indexes(pg):
    _, conn = pg
    for name in TABLES + VIEWS:
        rows = conn.execute(
            "SELECT f_geometry_column, type, srid, coord_dimension FROM geometry_columns "
            "WHERE f_table_schema = current_schema() AND f_table_name = %s",
            (name,),
        ).fetchall()
        assert rows == [("geom", "MULTIPOLYGON", 4326, 2)], name
    for name in TABLES:
        methods = conn.execute(
            "SELECT am.amname FROM pg_index i "
            "JOIN pg_class t ON t.oid = i.indrelid JOIN pg_class ix ON ix.oid = i.indexrelid "
            "JOIN pg_am am ON am.oid = ix.relam JOIN pg_attribute a "
            "  ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
            "WHERE t.oid = to_regclass(%s) AND a.attname = 'geom'",
            (name,),
        ).fetchall()
        assert ("gist",) in methods, name


def test_current_view_has_a_unique_fid_and_one_geometry_column(pg):
    store, conn = pg
    _insert(store, [hazard("HA-1"), hazard("HA-2", lon=31), hazard("HA-3", lon=32)])
    h = store.get("hazard", "HA-1").record
    h.name = "renamed"
    with store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="a", reason="rename")
        tx.delete("hazard", "HA-3", expected_version=1, author="a", reason="gone")
        tx.commit()
    cols = dict(
        conn.execute(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = 'hazard_areas_current'"
        ).fetchall()
    )
    assert cols["fid"] == "int8"
    assert [c for c, t in cols.items() if t == "geometry"] == ["geom"]
    n, distinct, non_null = conn.execute(
        "SELECT count(*), count(DISTINCT fid), count(fid) FROM hazard_areas_current"
    ).fetchone()
    assert n == distinct == non_null == 2
    rows = conn.execute(
        "SELECT id, version, name, status FROM hazard_areas_current ORDER BY id"
    ).fetchall()
    assert rows == [("HA-1", 2, "renamed", "active"), ("HA-2", 1, "SYNTHETIC HA-2", "active")]
    # fid is the versions table's primary key, so a client can join back to it
    (pk,) = conn.execute(
        "SELECT a.attname FROM pg_index i JOIN pg_attribute a "
        "ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = to_regclass('hazard_area_versions') AND i.indisprimary"
    ).fetchone()
    assert pk == "fid"


def test_postgis_geodesic_area_agrees_with_the_stored_area(pg):
    store, conn = pg
    polys = hazard_polygons(200, seed=7)
    geoms = np.array([shapely.MultiPolygon([p]) for p in polys], dtype=object)
    # one large multipart hazard with a hole, to go beyond star-shaped hectares
    outer = shapely.box(30, 50, 30.2, 50.1)
    hole = shapely.box(30.05, 50.02, 30.1, 50.05).exterior.coords
    holed = shapely.Polygon(outer.exterior.coords, [hole])
    geoms = np.append(geoms, shapely.MultiPolygon([holed, shapely.box(30.3, 50, 30.4, 50.05)]))
    areas = geodesic_areas(geoms)
    records = [
        HazardArea(id=f"HA-{i:06d}", name=f"SYNTHETIC {i}", geometry=g, area_m2=float(a))
        for i, (g, a) in enumerate(zip(geoms, areas, strict=True))
    ]
    _insert(store, records)
    rows = conn.execute(
        "SELECT id, area_m2, ST_Area(geom::geography) FROM hazard_areas_current ORDER BY id"
    ).fetchall()
    assert len(rows) == len(records)
    stored = np.array([r[1] for r in rows])
    postgis = np.array([r[2] for r in rows])
    assert np.allclose(stored, areas)
    rel = np.abs(postgis - stored) / stored
    assert rel.max() < 1e-3, (rows[int(rel.argmax())], float(rel.max()))


def test_geometry_reads_back_bit_for_bit(pg):
    store, conn = pg
    geoms = [shapely.MultiPolygon([p]) for p in hazard_polygons(50, seed=3)]
    records = [
        HazardArea(id=f"HA-{i}", name="SYNTHETIC", geometry=g, area_m2=1.0)
        for i, g in enumerate(geoms)
    ]
    _insert(store, records)
    by_id = {v.id: v.record.geometry for v in store.list("hazard")}
    for r in records:
        assert by_id[r.id].wkb == r.geometry.wkb
    # and PostGIS sees the same coordinates, not a re-encoded approximation
    wkb = conn.execute(
        "SELECT ST_AsBinary(geom) FROM hazard_area_versions WHERE id = 'HA-0'"
    ).fetchone()[0]
    assert bytes(wkb) == records[0].geometry.wkb


def test_a_polygon_is_stored_as_a_one_part_multipolygon(pg):
    store, _ = pg
    h = hazard("HA-1")
    h.geometry = h.geometry.geoms[0]
    _insert(store, [h])
    got = store.get("hazard", "HA-1").record.geometry
    assert got.geom_type == "MultiPolygon" and got.equals(h.geometry)


def test_in_bbox_uses_the_gist_index(pg):
    store, conn = pg
    polys = hazard_polygons(2000, seed=5)
    _insert(
        store,
        [
            HazardArea(
                id=f"HA-{i}", name="SYNTHETIC", geometry=shapely.MultiPolygon([p]), area_m2=1.0
            )
            for i, p in enumerate(polys)
        ],
    )
    conn.execute("ANALYZE hazard_area_versions")
    plan = "\n".join(
        r[0]
        for r in conn.execute(
            "EXPLAIN SELECT id FROM hazard_area_versions "
            "WHERE geom && ST_MakeEnvelope(30, 50, 30.01, 50.01, 4326) "
            "AND is_current AND NOT deleted"
        )
    )
    assert "hazard_area_versions_geom" in plan, plan
    # and the store's answer matches shapely's bounding-box test on the same data
    box = (30.0, 48.0, 31.0, 49.0)
    expected = {
        f"HA-{i}"
        for i, b in enumerate(shapely.bounds(polys))
        if b[0] <= box[2] and b[2] >= box[0] and b[1] <= box[3] and b[3] >= box[1]
    }
    assert expected and {v.id for v in store.in_bbox("hazard", box)} == expected


def test_migrate_upgrades_a_database_made_by_the_first_migration(postgis_url):
    """Apply migration 1 alone, then ``migrate()``: every later migration, recorded once each.

    With only migration 1 released this checks the mechanics; it starts to test a real upgrade
    when migration 2 arrives.
    """
    s = open_store(postgis_url)
    try:
        assert s.schema_version() == 0
        assert s.migrate(target=1) == [1]
        assert s.schema_version() == 1
        _insert(s, [hazard("HA-1")])
        later = [m.number for m in MIGRATIONS if m.number > 1]
        assert s.migrate() == later
        assert s.migrate() == []
        assert s.schema_version() == MIGRATIONS[-1].number
        with psycopg.connect(postgis_url) as conn:
            rows = conn.execute(
                "SELECT version, name FROM schema_migrations ORDER BY version"
            ).fetchall()
        assert rows == [(m.number, m.name) for m in MIGRATIONS]
        assert s.get("hazard", "HA-1") is not None  # data made before the upgrade survives
    finally:
        s.close()


def test_a_writer_waiting_on_the_row_lock_gets_conflict(pg, postgis_url):
    """Deterministic form of the race: B's update waits for A's row lock, then sees version 2."""
    store, _ = pg
    _insert(store, [hazard("HA-1")])
    other = open_store(postgis_url)
    h = store.get("hazard", "HA-1").record
    outcome: list[object] = []
    started = threading.Event()

    def b() -> None:
        try:
            with other.transaction() as tx:
                started.set()
                tx.update("hazard", h, expected_version=1, author="b", reason="late")
                tx.commit()
            outcome.append("won")
        except Conflict as exc:
            outcome.append(exc)

    try:
        with store.transaction() as tx:
            tx.update("hazard", h, expected_version=1, author="a", reason="first")
            t = threading.Thread(target=b)
            t.start()
            started.wait(10)
            time.sleep(0.3)  # B is now blocked on the row lock A holds
            assert outcome == []
            tx.commit()
        t.join(30)
    finally:
        other.close()
    assert len(outcome) == 1 and isinstance(outcome[0], Conflict)
    assert "version 2, not 1" in str(outcome[0])
    assert [v.author for v in store.history("hazard", "HA-1")] == ["tester", "a"]


def test_ids_from_two_connections_never_collide(pg, postgis_url):
    store, _ = pg
    got: list[list[str]] = [[], []]

    def take(k: int) -> None:
        s = open_store(postgis_url)
        try:
            for _ in range(20):
                with s.transaction() as tx:
                    got[k] += tx.next_ids("hazard", 3)
                    tx.commit()
        finally:
            s.close()

    threads = [threading.Thread(target=take, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    ids = got[0] + got[1]
    assert len(ids) == 120 and len(set(ids)) == 120
    assert sorted(ids) == [f"HA-{i:06d}" for i in range(1, 121)]


def test_connection_errors_name_the_url_without_its_password():
    with pytest.raises(StoreError) as err:
        open_store("postgresql://someone:s3cr%21t-pw@127.0.0.1:1/nowhere?connect_timeout=3")
    text = str(err.value)
    assert "127.0.0.1:1/nowhere" in text and "cannot connect" in text
    assert "s3cr" not in text and "***" in text


def test_awkward_text_survives_the_binary_copy(pg):
    store, conn = pg
    awkward = 'tab\there, newline\nthere, back\\slash, "quotes", \\N, emoji 💣, ключ'
    h = hazard("HA-1", notes=awkward, attributes={"k\\ey": awkward, "n": 1.5e-7, "big": 2**53})
    _insert(store, [h])
    got = store.get("hazard", "HA-1").record
    assert got.notes == awkward
    assert got.attributes == h.attributes
    (notes,) = conn.execute(
        "SELECT payload ->> 'notes' FROM hazard_area_versions WHERE id = 'HA-1'"
    ).fetchone()
    assert notes == awkward


def test_a_refused_insert_names_the_ids_and_leaves_the_transaction_usable(pg):
    store, _ = pg
    _insert(store, [hazard("HA-1")])
    with store.transaction() as tx:
        with pytest.raises(BadInput, match="ids already exist: HA-1"):
            tx.insert("hazard", [hazard("HA-2"), hazard("HA-1")], author="x", reason="y")
        with pytest.raises(BadInput, match="ids given twice: HA-3"):
            tx.insert("hazard", [hazard("HA-3"), hazard("HA-3")], author="x", reason="y")
        tx.insert("hazard", [hazard("HA-4")], author="x", reason="y")
        tx.commit()
    assert [v.id for v in store.list("hazard")] == ["HA-1", "HA-4"]


def test_versions_stay_in_time_order_when_transactions_overlap(pg, postgis_url):
    """A transaction that began before another committed a version may supersede it (having
    read it); its version must not appear to be valid before the one it replaces."""
    store, _ = pg
    _insert(store, [hazard("HA-1", name="v1")])
    other = open_store(postgis_url)
    try:
        with store.transaction() as early:  # begins (takes its time) first
            time.sleep(0.01)
            h = other.get("hazard", "HA-1").record
            h.name = "v2"
            with other.transaction() as late:
                late.update("hazard", h, expected_version=1, author="b", reason="second")
                late.commit()
            h = store.get("hazard", "HA-1").record  # the early one reads v2, then changes it
            h.name = "v3"
            early.update("hazard", h, expected_version=2, author="a", reason="third")
            early.commit()
    finally:
        other.close()
    hist = store.history("hazard", "HA-1")
    assert [v.record.name for v in hist] == ["v1", "v2", "v3"]
    assert hist[1].valid_from <= hist[2].valid_from
    assert store.get("hazard", "HA-1", as_of=hist[1].valid_from).record.name in ("v2", "v3")
    assert store.get("hazard", "HA-1", as_of=hist[2].valid_from).record.name == "v3"


def test_a_geometry_of_the_wrong_type_is_refused_by_record_id(pg):
    store, _ = pg
    h = hazard("HA-1")
    h.geometry = shapely.Point(30, 50)
    with pytest.raises(BadInput, match=r"polygon or multipolygon: HA-1 \(Point\)"):
        _insert(store, [h])
    assert store.count("hazard") == 0
