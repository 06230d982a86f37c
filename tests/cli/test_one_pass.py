"""An import reports every problem it finds in one pass: a file with several different problems
in different features (in the file, in a feature, against the database) is refused once, naming
each of them, and the database is as it was."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
PART = shapely.box(30.0, 50.0, 30.005, 50.01)
ELSEWHERE = shapely.box(31.0, 50.0, 31.01, 50.01)
SWAPPED = shapely.box(50.0, 30.0, 50.01, 30.01)  # lat/lon swapped: refused by the region
BOWTIE = shapely.Polygon([(30.1, 50.1), (30.11, 50.11), (30.11, 50.1), (30.1, 50.11)])
POINT = shapely.Point(30.005, 50.005)


def _table(tmp_path, name, fields, geoms=None):
    n = len(next(iter(fields.values())))
    return write_layer(
        tmp_path / name, geoms or [None] * n, fields, geometry_type=None if geoms else "Unknown"
    )


@pytest.fixture
def db(cli, tmp_path):
    """A database with a hazard (HA-000001), an activity on it (LR-000001), an organisation
    (ORG-SYN1) and an administrative area (UA01)."""
    hz = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC hazard"]})
    assert cli("import", "hazards", hz).code == 0
    act = write_layer(
        tmp_path / "a0.geojson",
        [PART],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["ts"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC Demining"],
        },
    )
    r = cli("import", "activities", act)
    assert r.code == 0, r.err
    orgs = _table(
        tmp_path, "o0.gpkg", {"id": ["ORG-SYN1"], "name": ["SYNTHETIC Demining"], "kind": ["ngo"]}
    )
    assert cli("import", "organisations", orgs).code == 0
    area = write_layer(
        tmp_path / "l0.geojson",
        [shapely.box(29.0, 49.0, 32.0, 51.0)],
        {"pcode": ["UA01"], "name": ["SYNTHETIC oblast"], "level": [1]},
    )
    r = cli("import", "locations", area)
    assert r.code == 0, r.err
    return cli


def _refused_once(cli, args, fragments):
    """The import exits 2 naming every fragment, and changes nothing."""
    store = open_store(cli.url)
    before = snapshot(store)
    r = cli("import", *map(str, args))
    try:
        assert r.code == 2, (r.code, r.err)
        missing = [f for f in fragments if f not in r.err]
        assert not missing, f"not reported: {missing}\n{r.err}"
        assert "Traceback" not in r.err
        assert snapshot(store) == before
    finally:
        store.close()
    return r.err


def test_hazards(db, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson",
        [ELSEWHERE, SWAPPED, ELSEWHERE, ELSEWHERE],
        {
            "id": ["", "", "HA-000001", ""],
            "name": ["SYNTHETIC a", "SYNTHETIC b", "SYNTHETIC c", "SYNTHETIC d"],
            "classification": ["bogus", "SHA", "SHA", "SHA"],
        },
    )
    _refused_once(
        db,
        ["hazards", src],
        [
            "feature 1: classification",
            "feature 2:",
            "feature 3: id 'HA-000001' already exists",
        ],
    )


def test_activities(db, tmp_path):
    src = write_layer(
        tmp_path / "a.geojson",
        [HAZARD, HAZARD, SWAPPED, HAZARD],
        {
            "hazard_id": ["HA-404", "HA-000001", "HA-000001", "HA-000001"],
            "kind": ["nts", "bogus", "nts", "nts"],
            "date": ["2024-02-01", "2024-02-01", "2024-02-01", "2024-02-01"],
            "organisation": ["SYNTHETIC Demining"] * 4,
            "id": ["", "", "", "LR-000001"],
        },
    )
    _refused_once(
        db,
        ["activities", src],
        [
            "feature 1: hazard 'HA-404' not found",
            "feature 2:",
            "feature 3:",
            "feature 4: activity id 'LR-000001' already exists",
        ],
    )


def test_eo(db, tmp_path):
    src = write_layer(
        tmp_path / "eo.geojson",
        [POINT, POINT, shapely.Point(50.005, 30.005), POINT],
        {
            "category": ["bogus", "uxo", "uxo", "uxo"],
            "date": ["2024-03-01", "2024-03-01", "2024-03-01", "2024-03-01"],
            "quantity": ["1", "0", "1", "1"],
            "hazard_id": ["", "", "", "HA-404"],
        },
    )
    _refused_once(
        db,
        ["eo", src],
        ["feature 1:", "feature 2: quantity", "feature 3:", "feature 4: hazard 'HA-404' not found"],
    )


def test_accidents_with_a_victims_file(db, tmp_path):
    src = write_layer(
        tmp_path / "acc.geojson",
        [POINT, POINT, POINT],
        {
            "id": ["ACC-1", "ACC-2", "ACC-3"],
            "date": ["not a date", "2024-03-01", "2024-03-01"],
            "hazard_id": ["", "HA-404", ""],
        },
    )
    victims = _table(
        tmp_path,
        "victims.gpkg",
        {
            "accident_id": ["ACC-3", "ACC-9"],
            "sex": ["SYNTHETIC Olena", "female"],
            "outcome": ["injured", "killed"],
            "name": ["SYNTHETIC Olena", "SYNTHETIC Petro"],
        },
    )
    err = _refused_once(
        db,
        ["accidents", src, "--victims", victims],
        [
            "acc.geojson:feature 1: date",
            "acc.geojson:feature 2: hazard_id names no recorded hazard",
            "victims.gpkg:feature 1: sex",
            "victims.gpkg:feature 2: accident_id names no accident of acc.geojson",
        ],
    )
    assert "SYNTHETIC" not in err  # no cell of an accident or victim file is echoed


def test_minefields(db, tmp_path):
    src = write_layer(
        tmp_path / "mf.geojson",
        [ELSEWHERE, HAZARD, ELSEWHERE, SWAPPED],
        {
            "id": ["MF-1", "MF-2", "MF-3", "MF-4"],
            "devices": ["PMN-2: 4", "PMN-2: 4", "PMN-2: 4", "PMN-2: 4"],
            "emplaced_from": ["2022-03-01", "2022-03-01", "2022-03-01", "2022-03-01"],
            "emplaced_to": ["2022-01-01", "", "", ""],
            "hazard_id": ["", "HA-000001", "", ""],
        },
    )
    _refused_once(
        db,
        ["minefields", src],
        [
            "feature 1: emplaced_to is before emplaced_from",
            "feature 2: hazard_id 'HA-000001' is no minefield record's CHA",
            "feature 4:",
        ],
    )


def test_qc(db, tmp_path):
    src = write_layer(
        tmp_path / "qc.geojson",
        [PART, PART, PART, SWAPPED],
        {
            "activity_id": ["LR-404", "LR-000001", "LR-000001", "LR-000001"],
            "date": ["2024-03-01", "2024-03-01", "garbage", "2024-03-01"],
            "organisation": ["SYNTHETIC QM"] * 4,
            "result": ["passed", "maybe", "passed", "passed"],
        },
    )
    _refused_once(
        db,
        ["qc", src],
        [
            "feature 1: land release activity 'LR-404' not found",
            "feature 2: result 'maybe'",
            "feature 3: date",
            "feature 4:",
        ],
    )


def test_locations(db, tmp_path):
    src = write_layer(
        tmp_path / "l.geojson",
        [ELSEWHERE, ELSEWHERE, ELSEWHERE, SWAPPED],
        {
            "pcode": ["", "UA01", "UA0101", "UA0102"],
            "name": ["SYNTHETIC a", "SYNTHETIC b", "SYNTHETIC c", "SYNTHETIC d"],
            "level": ["2", "1", "x", "2"],
        },
    )
    _refused_once(
        db,
        ["locations", src],
        [
            "feature 1: P-code is empty",
            "feature 2: P-code 'UA01' already exists",
            "feature 3: level must be a whole number",
            "feature 4:",
        ],
    )


def test_odk(db, tmp_path):
    good = {
        "meta/instanceID": "uuid:s1",
        "location": "50.005 30.005 80 3",
        "date": "2025-04-30",
        "organisation_id": "ORG-SYN1",
        "girls": 1,
        "boys": 1,
        "women": 1,
        "men": 1,
        "method": "school",
    }
    subs = [
        {**good, "meta/instanceID": "uuid:s1", "organisation_id": "ORG-404"},
        {**good, "meta/instanceID": "uuid:s2", "date": "yesterday"},
        {**good, "meta/instanceID": "uuid:s3", "location": ""},
        {**good, "meta/instanceID": "uuid:s4"},
    ]
    src = tmp_path / "eore.json"
    src.write_text(json.dumps(subs), encoding="utf-8")
    _refused_once(
        db,
        ["odk", src, "--form", "eore_session"],
        [
            "submission 1: organisation_id: organisation 'ORG-404' not found",
            "submission 2: date",
            "submission 3: location is empty",
        ],
    )


def test_organisations(db, tmp_path):
    src = _table(
        tmp_path,
        "o.gpkg",
        {
            "id": ["ORG-SYN1", "", ""],
            "name": ["SYNTHETIC a", "", "SYNTHETIC c"],
            "kind": ["ngo", "ngo", "ngo"],
            "accreditation_from": ["", "", "garbage"],
        },
    )
    _refused_once(
        db,
        ["organisations", src],
        [
            "feature 1: id 'ORG-SYN1' already exists",
            "feature 2: name is empty",
            "feature 3: accreditation_from",
        ],
    )


def test_tasks(db, tmp_path):
    src = _table(
        tmp_path,
        "t.gpkg",
        {
            "hazard_id": ["HA-404", "HA-000001", "HA-000001"],
            "organisation_id": ["ORG-SYN1", "ORG-404", "ORG-SYN1"],
            "kind": ["clearance", "clearance", "bogus"],
            "issued": ["2024-01-01", "2024-01-01", "2024-01-01"],
        },
    )
    _refused_once(
        db,
        ["tasks", src],
        [
            "feature 1: hazard_id: hazard 'HA-404' not found",
            "feature 2: organisation_id: organisation 'ORG-404' not found",
            "feature 3:",
        ],
    )


def test_eore(db, tmp_path):
    src = write_layer(
        tmp_path / "e.geojson",
        [POINT, POINT, shapely.Point(50.005, 30.005)],
        {
            "date": ["2024-01-01", "2024-01-01", "2024-01-01"],
            "organisation_id": ["ORG-404", "ORG-SYN1", "ORG-SYN1"],
            "girls": ["1", "-3", "1"],
        },
    )
    _refused_once(
        db,
        ["eore", src],
        [
            "feature 1: organisation_id: organisation 'ORG-404' not found",
            "feature 2: girls",
            "feature 3:",
        ],
    )


def test_qa(db, tmp_path):
    src = _table(
        tmp_path,
        "q.gpkg",
        {
            "activity_id": ["LR-404", "LR-000001", "LR-000001"],
            "date": ["2024-01-01", "2024-01-01", "garbage"],
            "inspecting_organisation": ["SYNTHETIC QA"] * 3,
            "nonconformities": ["", "bad", ""],
        },
    )
    _refused_once(
        db,
        ["qa", src],
        [
            "feature 1: activity_id: activity 'LR-404' not found",
            "feature 2: nonconformities",
            "feature 3: date",
        ],
    )


def test_coverage(db, tmp_path):
    src = write_layer(
        tmp_path / "c.geojson",
        [SWAPPED, BOWTIE, ELSEWHERE],
        {"name": ["SYNTHETIC a", "SYNTHETIC b", "SYNTHETIC c"]},
    )
    _refused_once(db, ["coverage", src], ["feature 1:", "feature 2:"])
