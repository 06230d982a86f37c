"""The SQLite database is a GeoPackage: GDAL (pyogrio, as QGIS would) opens ``clearground.db``
directly and reads each current-state view as a layer with the store's current records.

GDAL's own copy of SQLite must not open the file while this process's ``sqlite3`` has it open
(two SQLite libraries in one process defeat each other's POSIX locks, and GDAL then deletes the
WAL under the open store), so each test closes the store before GDAL reads. QGIS, another
process, has no such problem.
"""

from __future__ import annotations

import sqlite3
from datetime import date

import numpy as np
import pyogrio
import pytest
import shapely

from clearground.domain.records import (
    Accident,
    AgeGroup,
    EOCategory,
    EOItem,
    Sex,
    Victim,
    VictimOutcome,
    VictimPersonalData,
    VictimType,
)
from clearground.store import open_store
from clearground.store.mapping import KINDS, PERSONAL_KINDS
from tests.helpers import hazard

# GDAL warns that the file is not named .gpkg: it is clearground.db, and opens all the same
pytestmark = pytest.mark.filterwarnings("ignore:.*non conformant file extension:RuntimeWarning")

_GDAL_TYPE = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "GEOMETRY": "Unknown"}
_SECRET = "SYNTHETIC Olena Secretname"


def _accident(id_: str, lon: float, lat: float) -> Accident:
    return Accident(
        id=id_,
        geometry=shapely.Point(lon, lat),
        date=date(2024, 5, 1),
        eo_category=EOCategory.UXO,
        victims=(Victim(Sex.FEMALE, AgeGroup.ADULT, VictimType.CIVILIAN, VictimOutcome.INJURED),),
    )


def _fill(store) -> None:
    """Hazards (one edited, one deleted), EO items, an accident and its victim's personal data."""
    with store.transaction() as tx:
        tx.insert(
            "hazard",
            [hazard(f"HA-{i}", lon=30 + i * 0.1, lat=50 - i * 0.05) for i in range(1, 6)],
            author="SYNTHETIC tester",
            reason="test",
        )
        tx.insert(
            "eo",
            [
                EOItem(
                    id=f"EO-{i}",
                    geometry=shapely.Point(31 + i * 0.01, 49.5),
                    category=EOCategory.UXO,
                    date=date(2024, 4, i),
                )
                for i in range(1, 4)
            ],
            author="SYNTHETIC tester",
            reason="test",
        )
        tx.insert("accident", [_accident("AC-1", 32.0, 48.5)], author="t", reason="test")
        tx.insert(
            "victim_personal",
            [VictimPersonalData(id="AC-1/1", accident_id="AC-1", victim_no=1, name=_SECRET)],
            author="t",
            reason="test",
        )
        tx.commit()
    with store.transaction() as tx:
        moved = hazard("HA-2", lon=35.0, lat=47.0, size=0.02)
        tx.update("hazard", moved, expected_version=1, author="t", reason="moved")
        tx.delete("hazard", "HA-3", expected_version=1, author="t", reason="duplicate")
        tx.commit()


def _path(store) -> str:
    return str(store.path)


def _filled(store) -> str:
    """Fill the store, close it (see the module's note) and return the file's path."""
    _fill(store)
    store.close()
    return _path(store)


def _layers(path: str) -> dict[str, str | None]:
    return {str(name): gtype for name, gtype in pyogrio.list_layers(path)}


def _check_layers_match_store(path: str) -> None:
    """Every layer GDAL reads holds the store's current records (read after GDAL is done)."""
    layers = _layers(path)
    read = {}
    for kind, m in KINDS.items():
        if kind in PERSONAL_KINDS:
            assert m.view not in layers
            continue
        assert layers.get(m.view) == _GDAL_TYPE[m.geometry_type], kind
        info = pyogrio.read_info(path, layer=m.view)
        assert info["driver"] == "GPKG"
        assert info["crs"] == "EPSG:4326"
        assert info["geometry_name"] == "geom"
        meta, fids, wkb, fields = pyogrio.raw.read(path, layer=m.view, return_fids=True)
        ids = [str(i) for i in fields[list(meta["fields"]).index("id")]]
        if ids:  # GDAL takes a view's first column as its FID when it sees a row of integer
            assert info["fid_column"] == "fid", kind
            assert sorted(fids.tolist()) == sorted(set(fids.tolist())), kind
        read[kind] = dict(zip(ids, shapely.from_wkb(wkb), strict=True))
    store = open_store(f"sqlite:///{path}")
    try:
        for kind, geoms in read.items():
            current = store.list(kind)
            assert sorted(geoms) == [v.id for v in current], kind
            for v in current:
                assert geoms[v.id].equals_exact(v.record.geometry, 0), (kind, v.id)
    finally:
        store.close()


def test_every_current_state_view_is_a_layer_with_the_stores_records(sqlite_store):
    path = _filled(sqlite_store)
    _check_layers_match_store(path)
    meta, _, wkb, fields = pyogrio.raw.read(path, layer="hazard_areas_current")
    ids = list(fields[list(meta["fields"]).index("id")])
    assert sorted(ids) == ["HA-1", "HA-2", "HA-4", "HA-5"]  # HA-3 deleted: no tombstone shown
    moved = shapely.from_wkb(wkb[ids.index("HA-2")])
    assert moved.equals_exact(hazard("HA-2", lon=35.0, lat=47.0, size=0.02).geometry, 0)
    version = fields[list(meta["fields"]).index("version")]
    assert int(version[ids.index("HA-2")]) == 2  # the current version only


def test_the_file_is_a_valid_geopackage(sqlite_store):
    with sqlite3.connect(_filled(sqlite_store)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10300
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        srs = {r[0] for r in conn.execute("SELECT srs_id FROM gpkg_spatial_ref_sys")}
        assert {-1, 0, 4326} <= srs
        contents = dict(conn.execute("SELECT table_name, data_type FROM gpkg_contents"))
        columns = {
            r[0]: r[1:]
            for r in conn.execute(
                "SELECT table_name, column_name, geometry_type_name, srs_id "
                "FROM gpkg_geometry_columns"
            )
        }
        # the stored geometry is a GeoPackage blob: "GP", version 0, then the flags
        blobs = [r[0] for r in conn.execute("SELECT geom FROM hazard_area_versions")]
    expected = {m.view for k, m in KINDS.items() if k not in PERSONAL_KINDS}
    assert contents.pop("hazard_events") == "attributes"
    assert set(contents) == expected and set(contents.values()) == {"features"}
    assert set(columns) == expected
    for k, m in KINDS.items():
        if k not in PERSONAL_KINDS:
            assert columns[m.view] == ("geom", m.geometry_type, 4326)
    live = [b for b in blobs if b is not None]
    assert live and all(b[:3] == b"GP\x00" for b in live)
    assert len(live) == len(blobs) - 1  # the tombstone has no geometry


def test_victims_personal_data_is_no_layer(sqlite_store):
    path = _filled(sqlite_store)
    layers = _layers(path)
    # GDAL lists only the registered layers (one "attributes" table is registered), so neither
    # the personal data's view nor any versions table (whose payloads hold it) is offered
    assert "victim_personal_current" not in layers
    assert not [name for name in layers if name.endswith(("_versions", "_cells"))]
    assert layers["hazard_events"] is None  # the attributes layer
    for name in layers:
        _, _, _, fields = pyogrio.raw.read(path, layer=name)
        for column in fields:
            assert _SECRET not in {str(x) for x in column}, name


def test_a_database_migrated_from_version_9_becomes_a_geopackage(tmp_path):
    """Rows written as plain WKB before migration 10 are rewritten as GeoPackage blobs."""
    path = tmp_path / "old.db"
    store = open_store(f"sqlite:///{path}")
    store.migrate(target=9)
    _fill(store)
    store.close()
    with sqlite3.connect(path) as conn:  # as the code before migration 10 stored them: WKB
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
        for m in KINDS.values():
            if f"{m.table}_versions" not in tables:  # a kind of a later migration
                continue
            rows = conn.execute(f"SELECT fid, geom FROM {m.table}_versions").fetchall()
            for fid, blob in rows:
                if blob is not None:
                    wkb = shapely.to_wkb(_from_blob(blob))
                    conn.execute(
                        f"UPDATE {m.table}_versions SET geom = ? WHERE fid = ?", (wkb, fid)
                    )
        gpkg = conn.execute("SELECT count(*) FROM sqlite_master WHERE name = 'gpkg_contents'")
        assert gpkg.fetchone()[0] == 0
        heads = {r[0] for r in conn.execute("SELECT substr(geom, 1, 2) FROM eo_item_versions")}
        assert heads and b"GP" not in heads
    before = open_store(f"sqlite:///{path}")
    older = [k for k, m in KINDS.items() if f"{m.table}_versions" in tables]
    expected = _geometries(before, older)
    from clearground.store.migrations import MIGRATIONS

    assert before.migrate() == [m.number for m in MIGRATIONS if m.number >= 10]
    assert _geometries(before, older) == expected
    before.close()
    _check_layers_match_store(str(path))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        for m in KINDS.values():
            heads = [
                r[0] for r in conn.execute(f"SELECT substr(geom, 1, 2) FROM {m.table}_versions")
            ]
            assert all(h in (None, b"GP") for h in heads), m.table


def _geometries(store, kinds=KINDS) -> dict:
    def wkb(g):
        return None if g is None else g.wkb

    return {k: [(v.id, wkb(v.record.geometry)) for v in store.list(k)] for k in kinds}


def _from_blob(blob: bytes):
    from clearground.store.gpkg import decode_one

    return decode_one(blob)


def test_geometry_blobs_round_trip_every_shape():
    """Points, polygons, collections, empties and missing geometries survive encode/decode."""
    from clearground.store.gpkg import blobs_to_wkb, decode, encode

    geoms = np.array(
        [
            shapely.Point(30, 50),
            shapely.box(30, 50, 31, 51),
            shapely.MultiPolygon([shapely.box(30, 50, 31, 51), shapely.box(32, 50, 33, 51)]),
            shapely.GeometryCollection([shapely.Point(1, 2), shapely.box(0, 0, 1, 1)]),
            shapely.Polygon(),
            shapely.Point(),
            None,
        ],
        dtype=object,
    )
    blobs, bounds = encode(geoms)
    assert blobs[-1] is None and np.isnan(bounds[-1]).all()
    assert blobs[1][3] == 0x03  # little-endian, [minx, maxx, miny, maxy] envelope
    assert np.frombuffer(blobs[1][8:40], "<f8").tolist() == [30, 31, 50, 51]
    assert blobs[0][3] == 0x01 and blobs[4][3] & 0x10 and blobs[5][3] & 0x10
    back = decode(blobs)
    for a, b in zip(geoms[:-1], back[:-1], strict=True):
        assert shapely.equals_exact(a, b, 0) or (a.is_empty and b.is_empty)
    assert back[-1] is None
    assert blobs_to_wkb([shapely.to_wkb(geoms[0])]) == [shapely.to_wkb(geoms[0])]  # plain WKB


@pytest.mark.parametrize("kind", sorted(set(KINDS) - PERSONAL_KINDS))
def test_each_kind_has_a_view_with_an_integer_fid_first(sqlite_store, kind):
    with sqlite3.connect(_path(sqlite_store)) as conn:
        cols = conn.execute(f"PRAGMA table_info({KINDS[kind].view})").fetchall()
    assert (cols[0][1], cols[0][2]) == ("fid", "INTEGER")
    assert cols[-1][1] == "geom"
