"""OGC API - Features Part 2 (CRS by reference): features in CRS84 (lon/lat, the default) or
EPSG:4326 (lat/lon), a bbox in either, and any other CRS refused (400)."""

from __future__ import annotations

import json

import pytest
import shapely

from tests.web import ogc_fixtures

ogc_db = ogc_fixtures.ogc_db

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
ITEMS = "/ogc/collections/hazard_areas/items"


def test_the_crs_conformance_class_is_declared(ogc_db, client):
    classes = client.get("/ogc/conformance").json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in classes


def test_features_in_epsg_4326_are_the_same_places_latitude_first(ogc_db, client):
    plain = client.get(ITEMS, params={"limit": 100})
    swapped = client.get(ITEMS, params={"limit": 100, "crs": EPSG4326})
    assert plain.headers["content-crs"] == f"<{CRS84}>"
    assert swapped.headers["content-crs"] == f"<{EPSG4326}>"
    a, b = plain.json()["features"], swapped.json()["features"]
    assert [f["id"] for f in a] == [f["id"] for f in b] and len(a) == ogc_fixtures.N_HAZARDS
    for fa, fb in zip(a, b, strict=True):
        lonlat = shapely.from_geojson(json.dumps(fa["geometry"]))
        latlon = shapely.from_geojson(json.dumps(fb["geometry"]))
        back = shapely.transform(latlon, lambda xy: xy[:, ::-1])
        assert shapely.equals_exact(back, lonlat, tolerance=0)
        assert 49 < shapely.get_coordinates(latlon)[0][0] < 51  # a latitude comes first
    one = client.get(f"{ITEMS}/HA-000001", params={"crs": "[EPSG:4326]"})
    assert one.status_code == 200 and one.headers["content-crs"] == f"<{EPSG4326}>"
    assert one.json()["geometry"] == b[0]["geometry"]


def test_a_bbox_in_epsg_4326_is_latitude_first(ogc_db, client):
    lonlat = client.get(ITEMS, params={"bbox": "30.0,50.0,30.15,50.02"}).json()
    latlon = client.get(
        ITEMS, params={"bbox": "50.0,30.0,50.02,30.15", "bbox-crs": EPSG4326}
    ).json()
    ids = [f["id"] for f in lonlat["features"]]
    assert ids == ["HA-000001", "HA-000002"]
    assert [f["id"] for f in latlon["features"]] == ids


@pytest.mark.parametrize(
    ("name", "value"),
    [("crs", "http://www.opengis.net/def/crs/EPSG/0/3857"), ("bbox-crs", "EPSG:32636")],
)
def test_a_crs_not_served_is_a_400_naming_it(ogc_db, client, name, value):
    query = {name: value, **({"bbox": "30,50,31,51"} if name == "bbox-crs" else {})}
    r = client.get(ITEMS, params=query)
    assert r.status_code == 400
    assert r.headers["content-type"].startswith("application/problem+json")
    assert name in r.json()["detail"] and EPSG4326 in r.json()["detail"]
