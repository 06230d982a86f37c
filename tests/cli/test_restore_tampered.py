"""`restore` of a tampered dump: each edit (made with sqlite3 on a real dump's GeoPackage) is
refused with exit 2, naming the record, and the target database stays empty."""

from __future__ import annotations

import json
import shutil
import sqlite3
import struct

import pytest
import shapely

from clearground.cli import main
from clearground.store import open_store
from clearground.store.mapping import KINDS
from tests.helpers import write_layer

H1 = shapely.box(30, 50, 30.01, 50.01)  # in progress: the west half cleared
H2 = shapely.box(31, 50, 31.01, 50.01)  # active
H3 = shapely.box(32, 50, 32.01, 50.01)  # closed by clearance, then a passed QC sample


@pytest.fixture(scope="module")
def dump(tmp_path_factory):
    """A real dump: imports, a partial release, a closing clearance, a QC sample, an EO item."""
    tmp = tmp_path_factory.mktemp("tampered")
    url = f"sqlite:///{tmp / 'source.db'}"

    def run(*args):
        assert main(["--db", url, *map(str, args)]) == 0, args

    mp = pytest.MonkeyPatch()
    mp.setenv("CLEARGROUND_AUTHOR", "tester")
    mp.setenv("CLEARGROUND_PERMISSIONS", "victim_data")  # a whole dump holds personal data
    run("init")
    names = ["SYNTHETIC one", "SYNTHETIC two", "SYNTHETIC three"]
    run("import", "hazards", write_layer(tmp / "h.geojson", [H1, H2, H3], {"name": names}))
    acts = write_layer(
        tmp / "a.geojson",
        [shapely.box(30, 50, 30.005, 50.01), H3],
        {
            "hazard_id": ["HA-000001", "HA-000003"],
            "kind": ["clearance", "clearance"],
            "date": ["2024-01-01", "2024-01-02"],
            "organisation": ["SYNTHETIC op"] * 2,
        },
    )
    run("import", "activities", acts)
    qc = write_layer(
        tmp / "qc.geojson",
        [shapely.box(32.001, 50.001, 32.002, 50.002)],
        {
            "activity_id": ["LR-000002"],
            "date": ["2024-02-01"],
            "organisation": ["SYNTHETIC QA"],
            "result": ["passed"],
        },
    )
    run("import", "qc", qc)
    eo = write_layer(
        tmp / "eo.geojson",
        [shapely.Point(30.002, 50.005)],  # in HA-000001's cleared half: the land comes back
        {"category": ["uxo"], "date": ["2025-01-01"]},
    )
    run("import", "eo", eo)
    run("dump", tmp / "dump.gpkg")
    mp.undo()
    return tmp / "dump.gpkg"


def gpkg_blob(geom) -> bytes:
    """A GeoPackage geometry blob (no envelope) of ``geom`` in EPSG:4326."""
    return b"GP\x00\x01" + struct.pack("<i", 4326) + shapely.to_wkb(geom)


def tamper(dump, tmp_path, *statements, params=()):
    out = tmp_path / "tampered.gpkg"
    shutil.copy(dump, out)
    con = sqlite3.connect(out)
    for (name,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'"):
        con.execute(f'DROP TRIGGER "{name}"')  # GeoPackage triggers call functions GDAL adds
    for k, sql in enumerate(statements):
        con.execute(sql, params[k] if k < len(params) else ())
    con.commit()
    con.close()
    return out


def payload_of(dump, table, id_, version):
    con = sqlite3.connect(dump)
    (text,) = con.execute(
        f"SELECT payload FROM {table} WHERE id = ? AND version = ?", (id_, version)
    ).fetchone()
    con.close()
    return json.loads(text)


def set_payload(table, id_, version, payload):
    return (
        f"UPDATE {table} SET payload = ? WHERE id = '{id_}' AND version = {version}",
        (json.dumps(payload),),
    )


def restore_into_new(tmp_path, path, capsys):
    target = f"sqlite:///{tmp_path / 'target.db'}"
    capsys.readouterr()
    code = main(["--db", target, "restore", str(path)])
    err = capsys.readouterr().err
    s = open_store(target)
    try:
        held = {k: len(s.raw_versions(k)) for k in KINDS if s.raw_versions(k)}
        events = s.all_events()
    finally:
        s.close()
    return code, err, held, events


def test_the_untampered_dump_restores(dump, tmp_path, capsys):
    code, err, held, events = restore_into_new(tmp_path, dump, capsys)
    assert code == 0, err
    assert held["hazard"] == 6
    assert [e.kind for e in events].count("ReleaseDiscredited") == 1


def _closed_without_activity(dump):
    p = payload_of(dump, "hazard_area_versions", "HA-000002", 1)
    area = p["area_m2"]
    p.update(status="closed", released={"cancelled": 0.0, "reduced": 0.0, "cleared": area})
    return [set_payload("hazard_area_versions", "HA-000002", 1, p)]


def _closed_later_without_activity(dump):
    p = payload_of(dump, "hazard_area_versions", "HA-000001", 2)
    p.update(status="closed", released={"cancelled": 0.0, "reduced": 0.0, "cleared": p["area_m2"]})
    p.pop("released_by")
    p["released_geometry"] = shapely.to_wkb(shapely.MultiPolygon([H1]), hex=True)
    return [set_payload("hazard_area_versions", "HA-000001", 2, p)]


def _status(value):
    def edit(dump):
        p = payload_of(dump, "hazard_area_versions", "HA-000001", 2)
        p["status"] = value
        return [set_payload("hazard_area_versions", "HA-000001", 2, p)]

    return edit


def _released_not_matching(dump):
    p = payload_of(dump, "hazard_area_versions", "HA-000001", 2)
    p["released"]["cleared"] *= 1.5
    return [set_payload("hazard_area_versions", "HA-000001", 2, p)]


def _released_moved_to_another_outcome(dump):
    p = payload_of(dump, "hazard_area_versions", "HA-000001", 2)
    p["released"]["cancelled"], p["released"]["cleared"] = p["released"]["cleared"], 0.0
    return [set_payload("hazard_area_versions", "HA-000001", 2, p)]


def _activity_of_a_missing_hazard(dump):
    p = payload_of(dump, "land_release_activity_versions", "LR-000001", 1)
    p["hazard_id"] = "HA-999999"
    return [set_payload("land_release_activity_versions", "LR-000001", 1, p)]


def _eo_category(dump):
    p = payload_of(dump, "eo_item_versions", "EO-000001", 1)
    p["category"] = "safe"
    return [set_payload("eo_item_versions", "EO-000001", 1, p)]


def _qc_of_a_missing_activity(dump):
    p = payload_of(dump, "qc_sample_versions", "QC-000001", 1)
    p["activity_id"] = "LR-404"
    return [set_payload("qc_sample_versions", "QC-000001", 1, p)]


CASES = {
    "a release with no event at all": (
        lambda d: [
            "DELETE FROM hazard_events WHERE hazard_id = 'HA-000001' AND evidence = 'LR-000001'"
        ],
        "hazard HA-000001 version 2: status or released area changed with no activity or event",
    ),
    "a hazard closed with no activity": (
        _closed_without_activity,
        "hazard HA-000002 version 1: a hazard enters the database active",
    ),
    "a hazard closed later with no activity": (
        _closed_later_without_activity,
        "hazard HA-000001 version 2: status closed, but its activities, QC samples and events "
        "give in_progress",
    ),
    "the status safe": (_status("safe"), "hazard HA-000001 version 2: payload does not hold"),
    "an unknown status": (_status("cleared"), "hazard HA-000001 version 2: payload does not hold"),
    "active with land released": (_status("active"), "status active with released area"),
    "a non-JSON payload": (
        lambda d: [
            "UPDATE hazard_area_versions SET payload = '{not json' "
            "WHERE id = 'HA-000003' AND version = 1"
        ],
        "hazard HA-000003 version 1: payload is not JSON",
    ),
    "a payload that is not an object": (
        lambda d: [
            "UPDATE land_release_activity_versions SET payload = '[1, 2]' WHERE id = 'LR-000002'"
        ],
        "activity LR-000002 version 1: payload is not a JSON object",
    ),
    "an undecodable geometry": (
        lambda d: [
            "UPDATE hazard_area_versions SET geom = X'47500001E61000000102030405' "
            "WHERE id = 'HA-000001' AND version = 2"
        ],
        "HA-000001 version 2",
    ),
    "an invalid geometry": (
        lambda d: [
            (
                "UPDATE hazard_area_versions SET geom = ? WHERE id = 'HA-000002'",
                (
                    gpkg_blob(
                        shapely.from_wkt(
                            "POLYGON ((31 50, 31.01 50.01, 31.01 50, 31 50.01, 31 50))"
                        )
                    ),
                ),
            )
        ],
        "hazard HA-000002 version 1: geometry is not valid",
    ),
    "released areas that do not match the activities": (
        _released_not_matching,
        "hazard HA-000001 version 2: cleared",
    ),
    "released land moved to another outcome": (
        _released_moved_to_another_outcome,
        "hazard HA-000001 version 2: cancelled",
    ),
    "an activity of a missing hazard": (
        _activity_of_a_missing_hazard,
        "activity LR-000001 version 1: hazard_id 'HA-999999': no such hazard",
    ),
    "a QC sample of a missing activity": (
        _qc_of_a_missing_activity,
        "qc QC-000001 version 1: activity_id 'LR-404': no such activity",
    ),
    "an unknown EO category": (_eo_category, "eo EO-000001 version 1: payload does not hold"),
    "a missing activity an event names": (
        lambda d: ["DELETE FROM land_release_activity_versions WHERE id = 'LR-000001'"],
        "its evidence 'LR-000001' is not a activity",
    ),
    "a missing event of a release": (
        lambda d: [
            "DELETE FROM hazard_events WHERE hazard_id = 'HA-000001' AND kind = 'AreaReleased'"
        ],
        "hazard HA-000001 version 2: HazardReleaseStarted LR-000001 does not replay",
    ),
    "a missing hazard version an event produced": (
        lambda d: ["DELETE FROM hazard_area_versions WHERE id = 'HA-000003' AND version = 2"],
        "hazard HA-000003",
    ),
    "an event of a missing hazard": (
        lambda d: ["UPDATE hazard_events SET hazard_id = 'HA-777777' WHERE evidence = 'LR-000002'"],
        "(AreaReleased on HA-777777): no such hazard",
    ),
    "an unknown event kind": (
        lambda d: [
            "UPDATE hazard_events SET kind = 'HazardDeclaredSafe' "
            "WHERE evidence = 'LR-000002' AND kind = 'HazardClosed'"
        ],
        "HazardDeclaredSafe on HA-000003): unknown event kind",
    ),
    "versions out of number": (
        lambda d: [
            "UPDATE hazard_area_versions SET version = 5 WHERE id = 'HA-000001' AND version = 2"
        ],
        "hazard HA-000001 version 5: versions of a record are numbered",
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_tampered_dump_is_refused_and_nothing_is_written(dump, tmp_path, capsys, case):
    edit, fragment = CASES[case]
    statements = edit(dump)
    sql = [s if isinstance(s, str) else s[0] for s in statements]
    params = [() if isinstance(s, str) else s[1] for s in statements]
    path = tamper(dump, tmp_path, *sql, params=params)
    code, err, held, events = restore_into_new(tmp_path, path, capsys)
    assert code == 2, err
    assert fragment in err, err
    assert "Traceback" not in err
    assert held == {} and events == []
