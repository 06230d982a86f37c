"""POST /api/v1/check: a route as a GeoJSON geometry or a GPX upload gets the CLI's answer."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.services.check import check, read_route
from tests.helpers import hazard
from tests.web.api_support import assert_problem


@pytest.fixture
def recorded(store):
    with store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-000001")], author="SYNTHETIC seed", reason="test data")
        tx.commit()


def test_a_geojson_route_gets_the_clis_answer(client, store, recorded):
    line = {"type": "LineString", "coordinates": [[29.99, 50.005], [30.015, 50.005]]}
    r = client.post("/api/v1/check", json=line, params={"buffer_m": 500})
    assert r.status_code == 200, r.text
    expected = check(store, shapely.from_geojson(json.dumps(line)), buffer_m=500)
    assert r.json() == json.loads(json.dumps(expected))
    assert [h["id"] for h in r.json()["hazards"]] == ["HA-000001"]
    assert "safe" not in r.text.lower()
    # a Feature of a line is the same route
    feature = {"type": "Feature", "properties": {}, "geometry": line}
    assert client.post("/api/v1/check", json=feature, params={"buffer_m": 500}).json() == r.json()


def test_a_gpx_upload_gets_the_clis_answer(client, store, recorded, tmp_path):
    from clearground.synthetic import write_route

    gpx = write_route(tmp_path / "route.gpx", [(29.9, 50.05), (29.95, 50.06)])
    r = client.post("/api/v1/check", files={"file": ("my route.gpx", gpx.read_bytes())})
    assert r.status_code == 200, r.text
    expected = check(store, read_route(gpx))
    assert r.json() == json.loads(json.dumps(expected))
    assert r.json()["hazards"] == []
    assert "Unrecorded hazards may exist" in r.json()["message"]


def test_a_check_on_an_empty_database_never_says_no_recorded_hazard(client):
    line = {"type": "LineString", "coordinates": [[30.0, 50.0], [30.1, 50.1]]}
    body = client.post("/api/v1/check", json=line).json()
    assert body["covered"] is False and "No recorded hazard" not in body["message"]


@pytest.mark.parametrize(
    "content, status, words",
    [
        (b"not json", 400, "not JSON"),
        (b"[30, 50]", 400, "a GeoJSON geometry"),
        (b'{"type": "LineString", "coordinates": "x"}', 400, "not a GeoJSON geometry"),
        (b'{"type": "Circle", "coordinates": [30, 50]}', 400, "not a GeoJSON geometry"),
        (
            b'{"type": "Polygon", "coordinates": [[[30, 50], [31, 50], [31, 51], [30, 50]]]}',
            422,
            "geometry is a Polygon, not a line",
        ),
        (b'{"type": "LineString", "coordinates": [[30, 50], [300, 50]]}', 422, "lon/lat range"),
        (b'{"type": "Point", "coordinates": [50.4, 30.5]}', 400, "swapped"),
    ],
)
def test_bad_routes_are_problems(client, recorded, content, status, words):
    r = client.post("/api/v1/check", content=content, headers={"content-type": "application/json"})
    body = assert_problem(r, status, words)
    assert "clearground-check" not in json.dumps(body)


def test_a_gpx_without_a_route_is_refused_naming_the_upload(client, tmp_path):
    r = client.post("/api/v1/check", files={"file": ("empty.gpx", b"<gpx></gpx>")})
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code, "empty.gpx")
    assert "clearground-check" not in r.text


@pytest.mark.parametrize(
    "lon, lat",
    [(30.0, 50.0), (30.3, 50.2), (21.0, 50.0), (35.0, 52.9)],  # near, nothing near, outside x2
)
def test_a_point_check_gets_the_clis_answer_wherever_it_is(client, store, recorded, lon, lat):
    r = client.get("/api/v1/check", params={"lon": lon, "lat": lat, "buffer_m": 300})
    assert r.status_code == 200, r.text
    expected = check(store, shapely.Point(lon, lat), buffer_m=300.0)
    assert r.json() == json.loads(json.dumps(expected))
    assert "safe" not in r.text.lower()


def test_a_route_partly_outside_lists_its_parts_outside(client, store, recorded):
    line = {"type": "LineString", "coordinates": [[21.0, 50.0], [30.0, 50.005]]}
    r = client.post("/api/v1/check", json=line, params={"buffer_m": 200})
    assert r.status_code == 200, r.text
    expected = check(store, shapely.from_geojson(json.dumps(line)), buffer_m=200)
    assert r.json() == json.loads(json.dumps(expected)) and r.json()["uncovered"]
