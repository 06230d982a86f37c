"""OGC API - Features in process (the ``client`` fixture, each engine): the landing page,
conformance and OpenAPI 3.0 document; collections with the data's extent; items that page
through every record with the CLI's JSON keys as properties and RFC 7946 geometries; bbox,
datetime and CQL2 filters; single items; queryables; and a problem+json 400/404 for every kind
of bad input."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest
import shapely

from clearground.services.projections import PUBLIC, json_of, location_json
from clearground.web.ogc.collections import COLLECTIONS
from tests.web import ogc_fixtures
from tests.web.ogc_fixtures import N_HAZARDS, leaks

ogc_db = ogc_fixtures.ogc_db

ITEMS = "/ogc/collections/{}/items"


#: The collections the public reads the items of (the others need a signed-in role).
PUBLIC_ITEMS = ("hazard_areas", "eo_items", "accidents", "admin_areas")


@pytest.fixture
def as_viewer(client):
    """Every request of ``client`` is a viewer's (who reads every collection, with no personal
    data, as the public does)."""
    from clearground.web.deps import Principal, principal

    client.app.dependency_overrides[principal] = lambda: Principal("SYNTHETIC viewer", "viewer")
    yield
    client.app.dependency_overrides.clear()


def _path(href: str) -> str:
    u = urlsplit(href)
    return u.path + (f"?{u.query}" if u.query else "")


def _pages(client, collection: str, **params):
    """Every page of a collection's items, following next links (bounded)."""
    r = client.get(ITEMS.format(collection), params=params)
    pages = []
    for _ in range(1000):
        assert r.status_code == 200, r.text
        assert r.headers["content-type"].startswith("application/geo+json")
        pages.append(r.json())
        nxt = [link for link in r.json()["links"] if link["rel"] == "next"]
        if not nxt:
            return pages
        r = client.get(_path(nxt[0]["href"]))
    raise AssertionError("more than 1000 pages")


def _features(client, collection: str, **params) -> list[dict]:
    return [
        f for page in _pages(client, collection, limit=10_000, **params) for f in page["features"]
    ]


def _ids(client, collection: str, **params) -> list[str]:
    return [f["id"] for f in _features(client, collection, **params)]


def test_landing_page_conformance_and_openapi_3_0(ogc_db, client):
    r = client.get("/ogc")
    assert r.status_code == 200
    rels = {link["rel"]: link for link in r.json()["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= set(rels)
    assert rels["service-desc"]["type"] == "application/vnd.oai.openapi+json;version=3.0"
    classes = client.get(_path(rels["conformance"]["href"])).json()["conformsTo"]
    for part in (
        "ogcapi-features-1/1.0/conf/core",
        "ogcapi-features-1/1.0/conf/geojson",
        "ogcapi-features-1/1.0/conf/oas30",
        "ogcapi-features-3/1.0/conf/filter",
        "ogcapi-features-3/1.0/conf/features-filter",
        "ogcapi-features-3/1.0/conf/queryables",
        "cql2/1.0/conf/cql2-text",
        "cql2/1.0/conf/basic-cql2",
        "cql2/1.0/conf/basic-spatial-functions",
    ):
        assert f"http://www.opengis.net/spec/{part}" in classes
    api = client.get(_path(rels["service-desc"]["href"]))
    assert api.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    doc = api.json()
    assert doc["openapi"].startswith("3.0.")
    assert doc["servers"] == [{"url": "http://testserver/ogc"}]
    assert {
        "/",
        "/conformance",
        "/api",
        "/collections",
        "/collections/{collectionId}",
        "/collections/{collectionId}/items",
        "/collections/{collectionId}/items/{featureId}",
        "/collections/{collectionId}/queryables",
    } <= set(doc["paths"])
    for path in doc["paths"].values():  # every $ref resolves
        for p in path["get"]["parameters"]:
            assert p["$ref"].split("/")[-1] in doc["components"]["parameters"]
    # the app's own /openapi.json (the JSON API's) does not list the OGC routes
    assert not any(p.startswith("/ogc") for p in client.get("/openapi.json").json()["paths"])


def test_the_public_lists_only_the_collections_it_may_read(ogc_db, client):
    """A client that lists the collections can open each one it is shown."""
    listed = [c["id"] for c in client.get("/ogc/collections").json()["collections"]]
    assert listed == ["hazard_areas", "eo_items", "accidents", "admin_areas"]
    for c in listed:
        assert client.get(f"/ogc/collections/{c}/items", params={"limit": 1}).status_code == 200
    for c in ("land_release_activities", "eore_sessions"):  # described, not listed
        assert client.get(f"/ogc/collections/{c}").status_code == 200
        assert client.get(f"/ogc/collections/{c}/items").status_code == 401


def test_collections_with_the_extent_of_the_data(ogc_db, as_viewer, client, store):
    import numpy as np

    body = client.get("/ogc/collections").json()
    assert [c["id"] for c in body["collections"]] == [
        "hazard_areas",
        "land_release_activities",
        "eo_items",
        "accidents",
        "eore_sessions",
        "admin_areas",
    ]
    for c in body["collections"]:
        kind = COLLECTIONS[c["id"]].kind
        geoms = np.array([v.record.geometry for v in store.list(kind)], dtype=object)
        assert c["extent"]["spatial"]["bbox"] == [list(shapely.total_bounds(geoms))]
        assert c["crs"] == [
            "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
            "http://www.opengis.net/def/crs/EPSG/0/4326",
        ]
        assert c["storageCrs"] == "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
        assert {"self", "items", "http://www.opengis.net/def/rel/ogc/1.0/queryables"} <= {
            link["rel"] for link in c["links"]
        }
        assert client.get(f"/ogc/collections/{c['id']}").json() == c
    hazards = body["collections"][0]
    assert hazards["extent"]["temporal"]["interval"] == [
        ["2024-01-15T00:00:00Z", "2024-06-15T23:59:59Z"]
    ]
    assert "temporal" not in body["collections"][-1]["extent"]  # admin areas have no date


@pytest.mark.parametrize("collection", list(COLLECTIONS))
def test_paging_reads_every_record_with_the_cli_json_keys(
    ogc_db, client, store, collection, as_viewer
):
    c = COLLECTIONS[collection]
    want = store.list(c.kind)
    assert want
    show = location_json if c.kind == "location" else json_of(c.kind)
    pages = _pages(client, collection, limit=3)
    assert len(pages) == -(-len(want) // 3)
    got = [f for p in pages for f in p["features"]]
    assert [f["id"] for f in got] == [v.id for v in want]
    for f, v in zip(got, want, strict=True):
        assert f["properties"] == json.loads(json.dumps(show(v, PUBLIC)))
        assert shapely.geometry.shape(f["geometry"]).equals(v.record.geometry)
    for k, page in enumerate(pages):
        assert page["numberMatched"] == len(want)
        assert page["numberReturned"] == len(page["features"]) == min(3, len(want) - 3 * k)
        assert page["timeStamp"].endswith("Z")
        rels = [link["rel"] for link in page["links"]]
        assert "self" in rels
        assert ("prev" in rels) == (k > 0)
        assert ("next" in rels) == (k < len(pages) - 1)
    # the default page holds 10, and a limit over 10,000 is served as 10,000
    assert client.get(ITEMS.format(collection)).json()["numberReturned"] == min(10, len(want))
    assert client.get(ITEMS.format(collection), params={"limit": 99_999}).status_code == 200


def test_geojson_is_rfc_7946_lon_lat_and_counter_clockwise(ogc_db, client):
    from tests.web.ogc_fixtures import CLOCKWISE, HOLED

    features = _features(client, "hazard_areas")
    assert len(features) == N_HAZARDS
    for f in features:
        assert f["geometry"]["type"] == "MultiPolygon"
        for polygon in f["geometry"]["coordinates"]:
            exterior, *holes = (shapely.LinearRing(ring) for ring in polygon)
            assert exterior.is_ccw
            assert all(not h.is_ccw for h in holes)
            assert all(29 < x < 33 and 49 < y < 51 for x, y in polygon[0])  # lon, lat
    first, second = (shapely.geometry.shape(f["geometry"]) for f in features[:2])
    assert first.equals(HOLED) and len(first.geoms[0].interiors) == 1
    assert second.equals(CLOCKWISE)
    one = client.get(ITEMS.format("hazard_areas") + "/HA-000002")
    assert one.headers["content-type"].startswith("application/geo+json")
    assert one.json()["geometry"] == features[1]["geometry"]
    assert one.json()["properties"] == features[1]["properties"]


def test_bbox_and_datetime(ogc_db, client):
    assert _ids(client, "hazard_areas", bbox="30.201,50.001,30.202,50.002") == ["HA-000003"]
    # the hole of the first hazard is not in it
    assert _ids(client, "hazard_areas", bbox="30.009,50.009,30.011,50.011") == []
    assert _ids(client, "hazard_areas", bbox="29,49,0,33,51,100") == [
        f"HA-{i:06d}" for i in range(1, N_HAZARDS + 1)
    ]
    # a box across the antimeridian: 29E eastwards to 179W
    assert len(_ids(client, "hazard_areas", bbox="29,49,-179,51")) == N_HAZARDS
    assert _ids(client, "hazard_areas", bbox="170,49,-170,51") == []
    # date_reported of hazard i is 2024-(1 + i % 6)-15
    assert _ids(client, "hazard_areas", datetime="2024-01-01/2024-01-31") == [
        "HA-000001",
        "HA-000007",
    ]
    assert _ids(client, "hazard_areas", datetime="2024-02-15T12:00:00Z") == ["HA-000002"]
    assert _ids(client, "hazard_areas", datetime="2024-02-15") == ["HA-000002"]
    assert _ids(client, "hazard_areas", datetime="2024-02-14T23:00:00-02:00") == ["HA-000002"]
    assert _ids(client, "hazard_areas", datetime="../2024-02-14") == ["HA-000001", "HA-000007"]
    assert len(_ids(client, "hazard_areas", datetime="2024-05-01/..")) == 2
    assert _ids(client, "accidents", datetime="2025-04-02") == ["AC-8"]
    assert _ids(client, "admin_areas", datetime="2024-01-01/..") == []
    page = client.get(ITEMS.format("hazard_areas"), params={"datetime": "2024-01-01/2024-01-31"})
    assert page.json()["numberMatched"] == 2


FILTERS = [
    ("hazard_areas", "name = 'SYNTHETIC hazard 2'", ["HA-000003"]),
    ("hazard_areas", "name <> 'SYNTHETIC hazard 2' AND area_m2 > 1500000", ["HA-000001"]),
    ("hazard_areas", "status = 'in_progress'", ["HA-000003"]),
    ("hazard_areas", "name LIKE 'SYNTHETIC hazard _'", [f"HA-{i:06d}" for i in range(1, 8)]),
    (
        "hazard_areas",
        "name NOT LIKE '%hazard 1'",
        ["HA-000001", *(f"HA-{i:06d}" for i in range(3, 8))],
    ),
    (
        "hazard_areas",
        "status IN ('active', 'closed') AND NOT (name IN ('SYNTHETIC hazard 0'))",
        ["HA-000002", *(f"HA-{i:06d}" for i in range(4, 8))],
    ),
    (
        "hazard_areas",
        "date_reported BETWEEN DATE('2024-02-01') AND DATE('2024-03-31')",
        ["HA-000002", "HA-000003"],
    ),
    (
        "hazard_areas",
        "date_reported >= '2024-06-01' OR name = 'SYNTHETIC hazard 0'",
        ["HA-000001", "HA-000006"],
    ),
    ("hazard_areas", "S_INTERSECTS(geometry, POINT(30.105 50.005))", ["HA-000002"]),
    ("hazard_areas", "S_INTERSECTS(geometry, POINT(30.01 50.01))", []),  # in the hole
    (
        "hazard_areas",
        "S_INTERSECTS(geometry, POLYGON((30.09 49.9, 30.25 49.9, 30.25 50.1, "
        "30.09 50.1, 30.09 49.9)))",
        ["HA-000002", "HA-000003"],
    ),
    (
        "hazard_areas",
        "S_INTERSECTS(geometry, BBOX(29, 49, 30.15, 51)) AND area_m2 < 1000000",
        ["HA-000002"],
    ),
    (
        "hazard_areas",
        "S_INTERSECTS(geometry, LINESTRING(30.0 50.001, 30.3 50.005))",
        ["HA-000001", "HA-000002", "HA-000003", "HA-000004"],
    ),
    ("accidents", "killed = 1 AND injured >= 1", ["AC-7"]),
    ("accidents", "flag IS NULL", ["AC-7"]),
    ("accidents", "flag IS NOT NULL AND hazard_id = ''", ["AC-8"]),
    ("eo_items", "category = 'uxo' OR flag IS NOT NULL", ["EO-000002"]),
    ("eore_sessions", "total > 20 AND method = 'school'", ["RE-000001"]),
    ("admin_areas", "level = 1", ["XS01", "XS02", "XS03", "XS04"]),
    ("land_release_activities", "kind = 'clearance' AND outcome = 'cleared'", ["LR-000001"]),
]


@pytest.mark.parametrize(("collection", "text", "want"), FILTERS, ids=[f[1][:40] for f in FILTERS])
def test_cql2_text_filters(ogc_db, client, collection, text, want, as_viewer):
    assert _ids(client, collection, filter=text, **{"filter-lang": "cql2-text"}) == want


def test_a_filter_pages_and_keeps_its_parameters(ogc_db, client):
    pages = _pages(client, "hazard_areas", limit=2, filter="status = 'active'", bbox="29,49,33,51")
    assert [p["numberMatched"] for p in pages] == [6, 6, 6]
    assert sum(p["numberReturned"] for p in pages) == 6


def test_queryables_are_the_properties_of_the_features(ogc_db, client, as_viewer):
    for collection in COLLECTIONS:
        r = client.get(f"/ogc/collections/{collection}/queryables")
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/schema+json")
        schema = r.json()
        assert schema["type"] == "object"
        props = set(schema["properties"]) - {"geometry"}
        assert schema["properties"]["geometry"]["x-ogc-role"] == "primary-geometry"
        for f in _features(client, collection):
            assert set(f["properties"]) == props, collection


BAD = [
    (ITEMS.format("hazard_areas"), {"bbox": "1,2,3"}, 400, "bbox"),
    (ITEMS.format("hazard_areas"), {"bbox": "a,b,c,d"}, 400, "bbox"),
    (ITEMS.format("hazard_areas"), {"bbox": "0,60,1,50"}, 400, "bbox"),
    (ITEMS.format("hazard_areas"), {"bbox": "0,0,200,1"}, 400, "bbox"),
    (ITEMS.format("hazard_areas"), {"bbox": "0,0,1,1", "bbox-crs": "EPSG:3857"}, 400, "bbox-crs"),
    (ITEMS.format("hazard_areas"), {"limit": "ten"}, 400, "limit"),
    (ITEMS.format("hazard_areas"), {"limit": "0"}, 400, "limit"),
    (ITEMS.format("hazard_areas"), {"limit": "-5"}, 400, "limit"),
    (ITEMS.format("hazard_areas"), {"offset": "-1"}, 400, "offset"),
    (ITEMS.format("hazard_areas"), {"datetime": "yesterday"}, 400, "datetime"),
    (ITEMS.format("hazard_areas"), {"datetime": "2024-13-01"}, 400, "datetime"),
    (ITEMS.format("hazard_areas"), {"datetime": "2024-02-01/2024-01-01"}, 400, "datetime"),
    (ITEMS.format("hazard_areas"), {"datetime": "../.."}, 400, "datetime"),
    (ITEMS.format("hazard_areas"), {"filter": "name = "}, 400, "filter"),
    (ITEMS.format("hazard_areas"), {"filter": "no_such_property = 1"}, 400, "no_such_property"),
    (ITEMS.format("hazard_areas"), {"filter": "area_m2 = 'big'"}, 400, "cannot be compared"),
    (ITEMS.format("hazard_areas"), {"filter": "area_m2 + 1 > 2"}, 400, "not supported"),
    (
        ITEMS.format("hazard_areas"),
        {"filter": "S_INTERSECTS(geometry, POLYGON((0 0, 1 0)))"},
        400,
        "not a valid geometry",
    ),
    (
        ITEMS.format("hazard_areas"),
        {"filter": "name = 'x'", "filter-lang": "cql2-json"},
        400,
        "filter-lang",
    ),
    (ITEMS.format("hazard_areas"), {"nonsense": "1"}, 400, "nonsense"),
    (ITEMS.format("hazard_areas"), {"f": "html"}, 400, "f=html"),
    (ITEMS.format("no_such_collection"), {}, 404, "no_such_collection"),
    ("/ogc/collections/no_such_collection", {}, 404, "no_such_collection"),
    ("/ogc/collections/no_such_collection/queryables", {}, 404, "no_such_collection"),
    (ITEMS.format("hazard_areas") + "/HA-999999", {}, 404, "HA-999999"),
    (ITEMS.format("admin_areas") + "/HA-000001", {}, 404, "HA-000001"),
    ("/ogc/collections", {"limit": "3"}, 400, "limit"),
]


@pytest.mark.parametrize(("path", "query", "status", "named"), BAD, ids=[str(b[1]) for b in BAD])
def test_bad_input_is_a_problem_naming_it(ogc_db, client, path, query, status, named):
    r = client.get(path, params=query)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == status
    assert named in body["detail"]
    assert "Traceback" not in r.text


@pytest.mark.parametrize("role", ["public", "viewer"])
def test_no_response_holds_personal_data_or_the_word_safe(ogc_db, client, request, role):
    """Every OGC response the public or a viewer can get, scanned for the victims' known
    synthetic name, contact and notes; the public gets 401 for the items it may not read."""
    from clearground.services.projections import Reader
    from clearground.web.ogc import features

    if role == "viewer":
        request.getfixturevalue("as_viewer")

    bodies = [
        client.get(p).text for p in ("/ogc", "/ogc/conformance", "/ogc/api", "/ogc/collections")
    ]
    for collection in COLLECTIONS:
        bodies.append(client.get(f"/ogc/collections/{collection}").text)
        bodies.append(client.get(f"/ogc/collections/{collection}/queryables").text)
        page = client.get(ITEMS.format(collection), params={"limit": 10_000})
        bodies.append(page.text)
        if role == "public" and collection not in PUBLIC_ITEMS:
            assert page.status_code == 401, page.text
            r = client.get(ITEMS.format(collection) + "/LR-000001")
            assert r.status_code == 401, r.text
            continue
        assert page.status_code == 200, page.text
        for f in page.json()["features"]:
            bodies.append(client.get(ITEMS.format(collection) + f"/{f['id']}").text)
    bodies.append(client.get(ITEMS.format("accidents"), params={"filter": "notes LIKE '%'"}).text)
    for text in bodies:
        assert leaks(text) == []
        assert "safe" not in text.lower()
    # Even a reader with the victim_data permission gets no personal data from the OGC API.
    from clearground.store import open_store

    s = open_store(ogc_db)
    try:
        status, body, _ = features.items(
            s, "accidents", Reader.of(["victim_data"]), "http://x/ogc", {}
        )
    finally:
        s.close()
    assert status == 200 and leaks(body.decode()) == []
    assert all(f["properties"]["attributes"] == {} for f in json.loads(body)["features"])


def test_accept_negotiation(ogc_db, client):
    r = client.get(ITEMS.format("eo_items"), headers={"Accept": "application/json"})
    assert r.headers["content-type"].startswith("application/json")
    r = client.get(ITEMS.format("eo_items"), headers={"Accept": "text/html,*/*;q=0.8"})
    assert r.headers["content-type"].startswith("application/geo+json")
    r = client.get(ITEMS.format("eo_items"), params={"f": "json"})
    assert r.status_code == 200 and r.json()["type"] == "FeatureCollection"
