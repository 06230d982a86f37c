"""Vector tiles on both engines: each tile decodes (mapbox-vector-tile) and holds exactly the
features that meet it (checked by brute force with shapely on the tile's own lon/lat bounds),
no hazard is dropped at low zoom, ETags change with the data, TileJSON describes the layers."""

from __future__ import annotations

import math
from datetime import date

import mapbox_vector_tile
import numpy as np
import pytest
import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.records import EOCategory, EOItem, HazardArea, Location
from clearground.domain.validation import Region
from clearground.synthetic import hazard_polygons

AREA = Region(30.0, 50.0, 30.4, 50.3)
N = 80
FIELDS = {
    "hazard_areas": {"id", "name", "status", "classification"},
    "eo_items": {"id", "category", "eo_type", "date"},
    "admin_areas": {"pcode", "name", "level"},
}
#: What a low-zoom tile (z10 and less) carries: what the map draws and opens a card by.
LIGHT = {**FIELDS, "hazard_areas": {"id", "status", "classification"}}


def _fields(collection: str, z: int) -> set[str]:
    return (LIGHT if z <= 10 else FIELDS)[collection]


def _hazards() -> list[HazardArea]:
    out = []
    for i, p in enumerate(hazard_polygons(N, seed=5, region=AREA)):
        g = shapely.MultiPolygon([p])
        out.append(HazardArea(f"HA-{i + 1:06d}", f"SYNTHETIC hazard {i + 1}", g, geodesic_area(g)))
    big = shapely.MultiPolygon([shapely.box(30.05, 50.05, 30.3, 50.2)])  # crosses many z14 tiles
    out.append(HazardArea("HA-000999", "SYNTHETIC large hazard", big, geodesic_area(big)))
    return out


def _eo() -> list[EOItem]:
    rng = np.random.default_rng(11)
    return [
        EOItem(
            id=f"EO-{i + 1:06d}",
            geometry=shapely.Point(x, y),
            category=EOCategory.UXO,
            date=date(2024, 5, 1 + i % 28),
            eo_type="SYNTHETIC projectile",
        )
        for i, (x, y) in enumerate(
            zip(rng.uniform(30, 30.4, 40), rng.uniform(50, 50.3, 40), strict=True)
        )
    ]


def _admin() -> list[Location]:
    return [
        Location(
            "UA01",
            "SYNTHETIC oblast",
            1,
            "",
            shapely.MultiPolygon([shapely.box(29.5, 49.8, 30.2, 50.6)]),
        ),
        Location(
            "UA02",
            "SYNTHETIC raion",
            2,
            "UA01",
            shapely.MultiPolygon([shapely.box(30.2, 50.0, 30.9, 50.6)]),
        ),
    ]


@pytest.fixture
def records(store):
    data = {"hazard": _hazards(), "eo": _eo(), "location": _admin()}
    with store.transaction() as tx:
        for kind, recs in data.items():
            tx.insert(kind, recs, author="tester", reason="SYNTHETIC tiles test")
        tx.commit()
    return data


@pytest.fixture
def tiles_client(store_url, records):
    from fastapi.testclient import TestClient

    from clearground.config import load_settings
    from clearground.web import create_app

    settings = load_settings(None, db=store_url, author="tester")
    with TestClient(create_app(settings), raise_server_exceptions=False) as c:
        yield c


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def _lonlat_box(z: int, x: float, y: float, x1: float, y1: float):
    """The lon/lat box from tile coordinates (x, y) to (x1, y1), by the XYZ formulas."""
    n = 2**z

    def lat(t):
        return math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * t / n))))

    return shapely.box(x / n * 360 - 180, lat(y1), x1 / n * 360 - 180, lat(y))


def _expected(records, z, x, y, pad_units):
    """Ids of records meeting the tile grown by ``pad_units`` of 4096 (brute force)."""
    f = pad_units / 4096
    box = _lonlat_box(z, x - f, y - f, x + 1 + f, y + 1 + f)
    return {r.id for r in records if shapely.intersects(r.geometry, box)}


def _decode(content: bytes, layer: str) -> list[dict]:
    tile = mapbox_vector_tile.decode(content)
    return tile[layer]["features"] if layer in tile else []


def _tiles(records):
    """Tiles from z8 to z16 over the records, with their neighbours (edges cut features)."""
    out = set()
    for z in (8, 10, 12, 14, 16):
        for lon, lat in [(30.2, 50.15), (30.05, 50.05), (30.3, 50.2), (30.123, 50.087)]:
            x, y = _tile_of(lon, lat, z)
            out |= {(z, x + dx, y + dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)}
    return sorted(out)


@pytest.mark.parametrize(
    ("collection", "kind"),
    [("hazard_areas", "hazard"), ("eo_items", "eo"), ("admin_areas", "location")],
)
def test_each_tile_holds_exactly_the_features_that_meet_it(tiles_client, records, collection, kind):
    recs = records[kind]
    nonempty = 0
    for z, x, y in _tiles(recs):
        r = tiles_client.get(f"/tiles/{collection}/{z}/{x}/{y}.mvt")
        assert r.status_code == 200, r.text
        assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
        features = _decode(r.content, collection)
        key = "pcode" if kind == "location" else "id"
        got = [f["properties"][key] for f in features]
        assert len(got) == len(set(got)), (z, x, y)
        # the tile and its 64-unit buffer, give or take one unit (1/4096 tile) at that edge
        assert _expected(recs, z, x, y, 63) <= set(got) <= _expected(recs, z, x, y, 65), (z, x, y)
        for f in features:
            assert set(f["properties"]) == _fields(collection, z), (z, f)
            xy = shapely.get_coordinates(shapely.geometry.shape(f["geometry"]))
            assert ((xy >= -64 - 1) & (xy <= 4096 + 64 + 1)).all()
        nonempty += bool(features)
    assert nonempty >= 10


def test_a_hazard_is_drawn_where_it_lies(tiles_client, records):
    """At z14 the large hazard is a polygon over the tile, as the brute-force clip says."""
    z = 14
    x, y = _tile_of(30.2, 50.15, z)
    (feature,) = [
        f
        for f in _decode(
            tiles_client.get(f"/tiles/hazard_areas/{z}/{x}/{y}.mvt").content, "hazard_areas"
        )
        if f["properties"]["id"] == "HA-000999"
    ]
    drawn = shapely.geometry.shape(feature["geometry"])
    assert drawn.geom_type in ("Polygon", "MultiPolygon")
    whole = shapely.box(-64, -64, 4096 + 64, 4096 + 64)  # the tile is inside the hazard
    assert drawn.area == pytest.approx(whole.area, rel=0.01)


@pytest.mark.parametrize("z", [0, 1, 2, 3, 4])
def test_no_hazard_is_dropped_at_low_zoom(tiles_client, records, z):
    x, y = _tile_of(30.2, 50.15, z)
    features = _decode(
        tiles_client.get(f"/tiles/hazard_areas/{z}/{x}/{y}.mvt").content, "hazard_areas"
    )
    assert sorted(f["properties"]["id"] for f in features) == sorted(
        h.id for h in records["hazard"]
    )
    kinds = {f["geometry"]["type"] for f in features}
    assert "Point" in kinds  # hazards of a few hectares are far below a pixel here
    assert records["hazard"][0].area_m2 < 300_000


def test_etag_changes_with_the_data_and_if_none_match_gives_304(tiles_client, store, records):
    url = "/tiles/hazard_areas/8/149/86.mvt"
    first = tiles_client.get(url)
    tag = first.headers["etag"]
    assert tag.startswith('"') and "no-cache" in first.headers["cache-control"]
    assert tiles_client.get(url).headers["etag"] == tag
    again = tiles_client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == tag
    assert tiles_client.get(url, headers={"If-None-Match": f'"x", W/{tag}'}).status_code == 304
    assert tiles_client.get(url, headers={"If-None-Match": '"other"'}).status_code == 200
    other = tiles_client.get("/tiles/eo_items/8/149/86.mvt").headers["etag"]

    new = shapely.MultiPolygon([shapely.box(30.21, 50.11, 30.22, 50.12)])
    with store.transaction() as tx:
        tx.insert(
            "hazard",
            [HazardArea("HA-000777", "SYNTHETIC new", new, geodesic_area(new))],
            author="tester",
            reason="SYNTHETIC",
        )
        tx.commit()
    after = tiles_client.get(url, headers={"If-None-Match": tag})
    assert after.status_code == 200 and after.headers["etag"] != tag
    assert "HA-000777" in {f["properties"]["id"] for f in _decode(after.content, "hazard_areas")}
    assert tiles_client.get("/tiles/eo_items/8/149/86.mvt").headers["etag"] == other


def test_tilejson_describes_each_collection(tiles_client):
    for collection, fields in FIELDS.items():
        tj = tiles_client.get(f"/tiles/{collection}.json").json()
        assert tj["tilejson"] == "3.0.0" and tj["scheme"] == "xyz"
        assert 0 == tj["minzoom"] < tj["maxzoom"] <= 24
        (template,) = tj["tiles"]
        assert template.endswith(f"/tiles/{collection}/{{z}}/{{x}}/{{y}}.mvt")
        (layer,) = tj["vector_layers"]
        assert layer["id"] == collection and set(layer["fields"]) == fields
        assert len(tj["bounds"]) == 4 and len(tj["center"]) == 3
        assert "safe" not in str(tj).lower()
        path = template.split("testserver", 1)[1].format(z=8, x=149, y=86)
        assert tiles_client.get(path).status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/tiles/victims/0/0/0.mvt", 404),
        ("/tiles/victims.json", 404),
        ("/tiles/hazard_areas/x/0/0.mvt", 400),
        ("/tiles/hazard_areas/1.5/0/0.mvt", 400),
        ("/tiles/hazard_areas/23/0/0.mvt", 400),
        ("/tiles/hazard_areas/-1/0/0.mvt", 400),
        ("/tiles/hazard_areas/2/4/0.mvt", 404),
        ("/tiles/hazard_areas/2/0/-1.mvt", 404),
    ],
)
def test_bad_tiles_are_problem_details(tiles_client, path, status):
    r = tiles_client.get(path)
    assert r.status_code == status
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["status"] == status and r.json()["detail"]


def test_the_kept_projection_draws_what_the_store_query_draws(store, records):
    """The server's path (records kept projected per data version) and the plain path (the
    store's bounding-box query, projected per tile) give the same features on every tile."""
    from clearground.services.tiles import _data_version, tile

    for collection, kind in [("hazard_areas", "hazard"), ("admin_areas", "location")]:
        version = _data_version(store, kind)
        for z, x, y in _tiles(records[kind])[::3] + [(0, 0, 0), (4, 9, 5)]:
            plain = _decode(tile(store, collection, z, x, y), collection)
            kept = _decode(tile(store, collection, z, x, y, version=version), collection)
            assert sorted(map(repr, kept)) == sorted(map(repr, plain)), (collection, z, x, y)


def test_a_kept_tile_is_drawn_anew_after_a_write(tiles_client, store, records):
    url = "/tiles/hazard_areas/12/{}/{}.mvt".format(*_tile_of(30.2, 50.15, 12))
    first = tiles_client.get(url)
    ids = {f["properties"]["id"] for f in _decode(first.content, "hazard_areas")}
    assert tiles_client.get(url).content == first.content  # kept: the same bytes
    gone = sorted(ids - {"HA-000999"})[0]
    with store.transaction() as tx:
        tx.delete("hazard", gone, expected_version=1, author="tester", reason="SYNTHETIC")
        tx.commit()
    after = tiles_client.get(url)  # no If-None-Match: the kept copy must not be served
    assert after.headers["etag"] != first.headers["etag"]
    assert {f["properties"]["id"] for f in _decode(after.content, "hazard_areas")} == ids - {gone}


def test_kept_properties_read_a_record_committed_after_them(store, records):
    import json

    from clearground.services.tile_cache import Properties
    from clearground.services.tiles import COLLECTIONS, _properties

    kept = Properties(store, "hazard", _properties(COLLECTIONS["hazard_areas"]), "v")
    new = shapely.MultiPolygon([shapely.box(30.21, 50.11, 30.22, 50.12)])
    with store.transaction() as tx:
        tx.insert(
            "hazard",
            [HazardArea("HA-000778", "SYNTHETIC later", new, geodesic_area(new))],
            author="tester",
            reason="SYNTHETIC",
        )
        tx.commit()
    first, later = (json.loads(t) for t in kept(["HA-000001", "HA-000778"]))
    assert first["id"] == "HA-000001" and later["name"] == "SYNTHETIC later"
    assert set(later) == FIELDS["hazard_areas"]


def test_every_hazard_is_found_by_id_at_every_zoom(store, records):
    """At each zoom from 0 to 16 the tile under a point of each hazard holds that hazard (as
    the server draws it, and as a past state is drawn): no id is lost at any zoom."""
    from clearground.services.tiles import _data_version, tile

    version = _data_version(store, "hazard")
    points = shapely.get_coordinates(
        shapely.point_on_surface([h.geometry for h in records["hazard"]])
    )
    for z in range(17):
        wanted: dict[tuple[int, int], set[str]] = {}
        for h, (lon, lat) in zip(records["hazard"], points, strict=True):
            wanted.setdefault(_tile_of(lon, lat, z), set()).add(h.id)
        for (x, y), ids in wanted.items():
            got = {
                f["properties"]["id"]
                for f in _decode(
                    tile(store, "hazard_areas", z, x, y, version=version), "hazard_areas"
                )
            }
            assert ids <= got, (z, x, y, ids - got)
        if z in (4, 10):  # a past state (now) is drawn by the same steps
            (x, y), ids = next(iter(wanted.items()))
            past = tile(store, "hazard_areas", z, x, y, as_of="9999-01-01T00:00:00+00:00")
            assert ids <= {f["properties"]["id"] for f in _decode(past, "hazard_areas")}


def test_low_zoom_tiles_draw_tiny_hazards_as_points_and_large_ones_as_shapes(tiles_client, records):
    """Under a pixel (8 units) each way a hazard is a point, over it a shape, at z8; from z11
    a tile is drawn as before (the full properties, the small hazards as shapes)."""
    from clearground.analysis.tiles import _mercator

    unit = 2 * math.pi * 6378137 / 2**8 / 4096

    def features(z):
        x, y = _tile_of(30.2, 50.15, z)
        got = _decode(
            tiles_client.get(f"/tiles/hazard_areas/{z}/{x}/{y}.mvt").content, "hazard_areas"
        )
        return {f["properties"]["id"]: f for f in got}

    z8 = features(8)
    assert z8["HA-000999"]["geometry"]["type"] in ("Polygon", "MultiPolygon")
    kinds = set()
    for h in records["hazard"]:
        b = _mercator(np.array(h.geometry.bounds).reshape(2, 2))
        tiny = max(b[1] - b[0]) < 8 * unit
        kinds.add(tiny)
        assert (z8[h.id]["geometry"]["type"] == "Point") == tiny, h.id
    assert kinds == {True, False}
    z12 = features(12)
    assert any(
        f["geometry"]["type"] in ("Polygon", "MultiPolygon")
        for k, f in z12.items()
        if k != "HA-000999"
    )
    assert all("name" in f["properties"] for f in z12.values())


def test_light_band_tolerances_per_zoom():
    from clearground.analysis.tiles_light import segment_deg, tolerance_m

    assert tolerance_m(8) == pytest.approx(2 * math.pi * 6378137 / 256 / 4096 / 2)  # ~19 m
    assert segment_deg(8) == pytest.approx(0.099, abs=0.001)
    assert segment_deg(10) == pytest.approx(segment_deg(8) / 2)
    # the bound it rests on: a lon/lat edge of that latitude span at 69 degrees north bows
    # from its mercator chord by less than half a tile unit
    lat0, d = math.radians(69.0), math.radians(segment_deg(8))

    def y(lat):
        return 6378137 * math.log(math.tan(math.pi / 4 + lat / 2))

    bow = (y(lat0) + y(lat0 + d)) / 2 - y(lat0 + d / 2)
    assert 0 < bow < tolerance_m(8)


def test_large_tiles_go_gzipped_with_their_own_etag(tiles_client, records):
    plain = tiles_client.get(
        "/tiles/hazard_areas/0/0/0.mvt", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers and len(plain.content) > 1400
    zipped = tiles_client.get("/tiles/hazard_areas/0/0/0.mvt", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.content == plain.content  # the client decodes it to the same tile
    assert "accept-encoding" in zipped.headers["vary"].lower()
    tag, gz_tag = plain.headers["etag"], zipped.headers["etag"]
    assert gz_tag == tag[:-1] + '-gz"'
    for held in (tag, gz_tag):
        again = tiles_client.get(
            "/tiles/hazard_areas/0/0/0.mvt",
            headers={"If-None-Match": held, "Accept-Encoding": "gzip"},
        )
        assert again.status_code == 304 and again.headers["etag"] == held
    small = tiles_client.get("/tiles/hazard_areas/16/0/0.mvt", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers  # nothing worth compressing
