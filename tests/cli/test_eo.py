"""`clearground import eo`: EO items as evidence against recorded hazards."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.store import open_store
from tests.formats.conftest import fresh_url  # noqa: F401  (a second, empty database)
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


@pytest.fixture
def closed_hazard(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson",
        [HAZARD, shapely.box(31, 50, 31.01, 50.01)],
        {"name": ["SYNTHETIC closed", "SYNTHETIC open"]},
    )
    assert cli("import", "hazards", src).code == 0
    acts = write_layer(
        tmp_path / "a.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"
    return "HA-000001"


def eo_file(tmp_path, points, **fields):
    n = len(points)
    cols = {"category": ["mine_ap"] * n, "date": ["2025-05-01"] * n, **fields}
    return write_layer(tmp_path / "eo.geojson", points, cols)


def test_item_in_a_closed_hazard_reopens_it_and_one_outside_is_flagged(
    cli, tmp_path, closed_hazard
):
    src = eo_file(
        tmp_path,
        [shapely.Point(30.005, 50.005), shapely.Point(33, 49), shapely.Point(31.005, 50.005)],
        category=["AP mine", "UXO", "cluster munition"],
        self_destruct=["claimed 30 days", None, None],
    )
    r = cli("import", "eo", src)
    assert r.code == 0, r.err
    assert "HA-000001 reopened by EO-000001" in r.out
    assert "1 item(s): evidence outside recorded hazards" in r.out
    h = cli("hazard", "show", closed_hazard).json()
    assert h["status"] == "reopened"
    hist = cli("history", closed_hazard).json()
    assert hist[-1]["reason"].startswith("reopened: mine_ap EO-000001")
    items = cli("eo", "list").json()
    assert [(e["id"], e["hazard_id"], e["evidence_status"]) for e in items] == [
        ("EO-000001", "HA-000001", "inside_hazard"),
        ("EO-000002", "", "outside_recorded_hazards"),
        ("EO-000003", "HA-000002", "inside_hazard"),
    ]
    assert items[0]["attributes"] == {"self_destruct": "claimed 30 days"}
    assert [e["id"] for e in cli("eo", "list", "--outside").json()] == ["EO-000002"]
    assert cli("hazard", "show", "HA-000002").json()["status"] == "active"
    s = open_store(cli.url)
    assert [e.kind for e in s.events(closed_hazard)][-1] == "HazardReopened"
    s.close()
    # a reopened hazard takes land release again
    acts = write_layer(
        tmp_path / "b.geojson",
        [HAZARD],
        {
            "hazard_id": [closed_hazard],
            "kind": ["clearance"],
            "date": ["2025-06-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    assert cli("hazard", "show", closed_hazard).json()["status"] == "closed"


def test_a_claimed_self_destruct_item_is_evidence_like_any_other(cli, tmp_path, closed_hazard):
    src = eo_file(
        tmp_path,
        [shapely.Point(30.005, 50.005)],
        self_destruct=["yes"],
        self_deactivation=["120 days"],
        battery_life=["expired"],
    )
    assert cli("import", "eo", src).code == 0
    assert cli("hazard", "show", closed_hazard).json()["status"] == "reopened"


@pytest.mark.parametrize(
    ("fields", "point", "fragment"),
    [
        ({"category": ["spaceship"]}, None, "category 'spaceship' is not an EO category"),
        ({"date": ["2999-01-01"]}, None, "is in the future"),
        ({"date": ["01/02/2024"]}, None, "is not an ISO 8601 date"),
        ({"quantity": ["-2"]}, None, "must be a whole number of 1 or more"),
        ({"disposal_date": ["2025-01-01"]}, None, "is before the date found"),
        ({"hazard_id": ["HA-999"]}, None, "hazard 'HA-999' not found"),
        ({}, shapely.box(30, 50, 30.001, 50.001), "geometry is a Polygon, not a point"),
        ({}, shapely.Point(50.005, 30.005), "likely swapped lat/lon"),
    ],
)
def test_bad_items_change_nothing(cli, tmp_path, closed_hazard, fields, point, fragment):
    pts = [shapely.Point(30.005, 50.005), point or shapely.Point(30.006, 50.006)]
    cols = {
        k: ["mine_ap" if k == "category" else "2025-05-01" if k.endswith("date") else "", *v]
        for k, v in fields.items()
    }
    if "hazard_id" in cols:
        cols["hazard_id"][0] = ""
    if "quantity" in cols:
        cols["quantity"][0] = "1"
    src = eo_file(tmp_path, pts, **cols)
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "eo", src)
    assert r.code == 2, r.out
    assert "eo.geojson:feature 2: " in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    assert s.count("eo") == 0
    s.close()


def test_missing_columns_and_show(cli, tmp_path, closed_hazard):
    src = write_layer(tmp_path / "x.geojson", [shapely.Point(30, 50)], {"what": ["mine"]})
    r = cli("import", "eo", src)
    assert r.code == 2 and "missing columns category, date" in r.err
    assert cli("eo", "show", "EO-404").code == 4


def test_gpx_waypoints_are_eo_points(cli, tmp_path):
    import numpy as np
    import pyogrio

    pts = np.array([shapely.Point(30.5, 50.5), shapely.Point(31, 50.2)], dtype=object)
    gpx = tmp_path / "unit.gpx"
    pyogrio.raw.write(
        gpx,
        shapely.to_wkb(pts),
        [
            np.array(["SYNTHETIC wp1", "SYNTHETIC wp2"], dtype=object),
            np.array(["uxo", "mine_ap"], dtype=object),
            np.array(["2025-03-01T10:00:00", "2025-03-02T11:00:00"], dtype=object),
        ],
        ["name", "type", "time"],
        layer="waypoints",
        driver="GPX",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    r = cli("import", "eo", gpx, "--map", "category=type", "--map", "date=time")
    assert r.code == 0, r.err
    assert [(e["category"], e["date"]) for e in cli("eo", "list").json()] == [
        ("uxo", "2025-03-01"),
        ("mine_ap", "2025-03-02"),
    ]


@pytest.mark.parametrize("ext", ["geojson", "csv", "shp.zip"])
def test_an_export_imports_as_the_same_items_and_reopens_the_same_hazard(
    cli, tmp_path, closed_hazard, request, ext
):
    fresh = request.getfixturevalue("fresh_url")
    src = eo_file(
        tmp_path,
        [shapely.Point(30.005, 50.005), shapely.Point(33, 49)],
        found_during=["SYNTHETIC survey", ""],
        self_destruct=["claimed 30 days", None],
    )
    assert cli("import", "eo", src).code == 0
    out = tmp_path / f"eo.{ext}"
    assert cli("export", "--kind", "eo", out).code == 0
    # the fresh database gets the same hazard, closed by the same clearance, before the items
    for kind, name in (("hazards", "h.geojson"), ("activities", "a.geojson")):
        assert cli("import", kind, tmp_path / name, db=fresh).code == 0
    r = cli("import", "eo", out, db=fresh)
    code, said, err = r.code, r.out, r.err
    assert code == 0, err
    assert "HA-000001 reopened by EO-000001" in said
    bookkeeping = ("version", "valid_from", "author")
    listed = [
        {k: v for k, v in row.items() if k not in bookkeeping}
        for row in json.loads(cli("eo", "list", db=fresh).out)
    ]
    assert listed == [
        {k: v for k, v in row.items() if k not in bookkeeping} for row in cli("eo", "list").json()
    ]
    assert listed[0]["attributes"] == {"self_destruct": "claimed 30 days"}  # nothing computed
    assert json.loads(cli("hazard", "show", closed_hazard, db=fresh).out)["status"] == "reopened"
