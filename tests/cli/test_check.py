"""`clearground check`: which recorded hazards a route or place crosses or comes near."""

from __future__ import annotations

import pytest
import shapely

from tests.helpers import write_layer

A = shapely.box(30.0, 50.0, 30.01, 50.01)
B = shapely.box(30.02, 50.0, 30.03, 50.01)
FAR = shapely.box(35.0, 48.0, 35.01, 48.01)


@pytest.fixture
def ids(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson",
        [A, B, FAR],
        {"name": ["SYNTHETIC A", "SYNTHETIC B", "SYNTHETIC far"]},
    )
    assert cli("import", "hazards", src).code == 0
    return [h["id"] for h in cli("hazards", "list").json()]


def test_a_gpx_track_through_a_hazard(cli, tmp_path, ids):
    from clearground.synthetic import write_route

    gpx = write_route(tmp_path / "route.gpx", [(29.99, 50.005), (30.015, 50.005)])
    r = cli("check", gpx, "--buffer", "800", "--format", "json")
    assert r.code == 0, r.err
    got = r.json()
    assert [h["id"] for h in got["hazards"]] == ids[:2]
    assert got["hazards"][0]["distance_m"] == 0
    # the track ends 0.005 degrees of longitude (about 358 m at 50 N) short of B
    assert got["hazards"][1]["distance_m"] == pytest.approx(358.4, abs=1.0)
    assert set(got["hazards"][0]) >= {"id", "name", "status", "distance_m"}
    assert "Unrecorded hazards may exist" in got["message"]
    assert "safe" not in r.out.lower()


def test_a_point_with_nothing_near_says_what_is_recorded(cli, ids):
    r = cli("check", "--point", "33.0,49.0", "--buffer", "200", "--format", "json")
    assert r.code == 0
    got = r.json()
    assert got["hazards"] == []
    assert got["message"] == "No recorded hazard within 200 m. Unrecorded hazards may exist."
    t = cli("check", "--point", "33.0,49.0")
    assert "No recorded hazard within 200 m. Unrecorded hazards may exist." in t.out
    assert "safe" not in (r.out + t.out).lower()


def test_distance_from_a_point_is_geodesic(cli, ids):
    from pyproj import Geod

    r = cli("check", "--point", "30.005,49.998", "--buffer", "500", "--format", "json").json()
    expected = Geod(ellps="WGS84").inv(30.005, 49.998, 30.005, 50.0)[2]
    assert r["hazards"][0]["id"] == ids[0]
    assert r["hazards"][0]["distance_m"] == pytest.approx(expected, abs=0.1)


def test_closed_hazards_are_listed_with_their_status(cli, tmp_path, ids):
    acts = write_layer(
        tmp_path / "a.geojson",
        [A],
        {
            "hazard_id": [ids[0]],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    got = cli("check", "--point", "30.005,50.005", "--format", "json").json()
    assert got["hazards"][0] == {
        **got["hazards"][0],
        "id": ids[0],
        "status": "closed",
        "distance_m": 0,
    }


def test_line_from_geojson_and_bad_inputs(cli, tmp_path, ids):
    line = write_layer(
        tmp_path / "line.geojson",
        [shapely.LineString([(30.025, 49.99), (30.025, 50.02)])],
        {"n": ["r"]},
    )
    got = cli("check", line, "--format", "json").json()
    assert [h["id"] for h in got["hazards"]] == [ids[1]]
    poly = write_layer(tmp_path / "poly.geojson", [A], {"n": ["x"]})
    r = cli("check", poly)
    assert r.code == 2 and "poly.geojson:feature 1: geometry is a Polygon, not a line" in r.err
    for bad in ("30.0", "abc,def", "200,50", "30,95"):
        r = cli("check", "--point", bad)
        assert r.code == 2, bad
    assert cli("check").code == 2
    assert cli("check", "--point", "30,50", "--buffer", "-5").code == 2
    r = cli("check", tmp_path / "nothing.gpx")
    assert r.code == 2 and "file not found" in r.err
