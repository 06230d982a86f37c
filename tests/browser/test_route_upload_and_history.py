"""In a real Chromium: a route uploaded as GPX (written by GDAL) and as GeoJSON (written by
GDAL) is checked and drawn on the map, with the answer the JSON API gives for the same line;
and a hazard's record page draws its area before and after a land release version (an NTS made
here through the activity import, as a real file would be)."""

from __future__ import annotations

import json
import urllib.request

import numpy as np
import pytest
import shapely

from tests.browser.conftest import axe_violations, login, shoot
from tests.helpers import write_layer


@pytest.fixture(scope="module")
def released(demo, tmp_path_factory) -> dict:
    """An active hazard of this module's demo with nothing released, then an NTS that cancels
    its western half: its version 1 and version 2 (through ``import_activities``)."""
    from clearground.config import load_settings
    from clearground.services.activities import import_activities
    from clearground.store import open_store

    url, _ = demo
    settings = load_settings(None, db=url, author="tester")
    store = open_store(url, require_schema=True)
    try:
        untouched = {a.record.hazard_id for a in store.list("activity")}
        h = next(
            v
            for v in store.list("hazard")
            if v.id not in untouched and str(v.record.status) == "active"
        ).record
        minx, miny, maxx, maxy = h.geometry.bounds
        west = h.geometry.intersection(shapely.box(minx - 1, miny - 1, (minx + maxx) / 2, maxy + 1))
        path = tmp_path_factory.mktemp("nts") / "synthetic_nts.gpkg"
        write_layer(
            path,
            [shapely.MultiPolygon(shapely.get_parts(west))],
            {
                "hazard_id": [h.id],
                "kind": ["nts"],
                "date": ["2025-03-04"],
                "organisation": ["SYNTHETIC Survey Team"],
            },
            geometry_type="MultiPolygon",
        )
        import_activities(
            store, path, author="tester (SYNTHETIC)", region=settings.operating_region
        )
        after = store.get("hazard", h.id)
        assert after.version == 2 and after.record.released.cancelled > 0
        return {
            "id": h.id,
            "before": h.geometry,
            "after": after.record.geometry.difference(after.record.released_geometry),
        }
    finally:
        store.close()


def _map_ready(page) -> None:
    page.wait_for_function("window.clearground && window.clearground.ready === true")
    page.wait_for_function(
        "window.clearground.map.loaded() && window.clearground.map.areTilesLoaded()"
    )


def _api_check(base: str, geometry: dict) -> dict:
    """The JSON API's answer for a line, asked by an anonymous client."""
    req = urllib.request.Request(
        base + "/api/v1/check?buffer_m=200",
        data=json.dumps(geometry).encode(),
        headers={"Content-Type": "application/geo+json"},
        method="POST",
    )
    with urllib.request.urlopen(req, timeout=60) as r:
        return json.loads(r.read())


def _route_through(geometry) -> list[tuple[float, float]]:
    p = geometry.representative_point()
    return [(p.x - 0.004, p.y), (p.x, p.y + 0.0005), (p.x + 0.004, p.y)]


def _upload(page, path) -> dict:
    page.evaluate("() => { delete window.clearground.lastCheck; }")
    page.set_input_files("#route-file", str(path))
    page.wait_for_function("window.clearground.lastCheck !== undefined", timeout=60_000)
    return page.evaluate("window.clearground.lastCheck")


def _route_drawn(page) -> list:
    """The route the map holds in its ``route`` source, as MapLibre has rendered it."""
    page.wait_for_function(
        "window.clearground.map.queryRenderedFeatures({layers: ['route-line']}).length > 0"
    )
    return page.evaluate(
        "() => window.clearground.map.getSource('route').serialize().data.geometry.coordinates"
    )


def test_gpx_and_geojson_routes_uploaded_are_checked_and_drawn(page, demo, live_server, tmp_path):
    from clearground import synthetic
    from clearground.store import open_store

    url, logins = demo
    store = open_store(url, require_schema=True)
    try:
        hazard = store.list("hazard")[0]
    finally:
        store.close()
    login(page, "demo-viewer", logins["demo-viewer"], next="/map")
    _map_ready(page)
    route = _route_through(hazard.record.geometry)
    line = {"type": "LineString", "coordinates": [list(c) for c in route]}
    expected = _api_check(live_server, line)
    assert hazard.id in [h["id"] for h in expected["hazards"]]

    # GPX, a track written by GDAL (the GPX driver): the server reads the file itself
    gpx = synthetic.write_route(tmp_path / "synthetic_route.gpx", route)
    assert gpx.read_text().lstrip().startswith("<?xml") and "<trkpt" in gpx.read_text()
    answer = _upload(page, gpx)
    assert answer["hazards"] == expected["hazards"]
    assert answer["message"] == expected["message"]
    assert page.locator("#check-message").inner_text() == answer["message"]
    assert page.locator("#check-hazards li").count() == len(expected["hazards"])
    assert "safe" not in answer["message"].lower()
    drawn = _route_drawn(page)
    assert np.allclose(drawn, route, atol=1e-6)
    assert hazard.id in page.evaluate("() => window.clearground.map.getFilter('hazards-hit')[2][1]")
    shoot(page, "map-route-gpx")

    # GeoJSON written by GDAL, 30 km north: no recorded hazard near it, and the page says so
    # in the API's words (never that the land is safe)
    far = [(x, y + 0.27) for x, y in route]
    far_line = {"type": "LineString", "coordinates": [list(c) for c in far]}
    expected_far = _api_check(live_server, far_line)
    geojson = write_layer(tmp_path / "synthetic_route.geojson", [shapely.LineString(far)])
    assert json.loads(geojson.read_text())["type"] == "FeatureCollection"
    answer = _upload(page, geojson)
    assert answer["hazards"] == expected_far["hazards"]
    assert answer["message"] == expected_far["message"]
    assert page.locator("#check-message").inner_text() == expected_far["message"]
    assert "safe" not in answer["message"].lower()
    assert np.allclose(_route_drawn(page), far, atol=1e-6)
    found = axe_violations(page)
    assert not found, found

    # in Ukrainian the page shows the same answer worded in Ukrainian (message_uk); the
    # API's message stays English
    page.goto(live_server + "/map?lang=uk")
    _map_ready(page)
    answer = _upload(page, gpx)
    assert answer["message"] == expected["message"]
    assert answer["message_uk"].startswith("У межах 200 м зареєстровано ")
    assert page.locator("#check-message").inner_text() == answer["message_uk"]
    assert page.locator("#check-message").get_attribute("lang") == "uk"
    # and what the database covers, in Ukrainian (coverage_uk), the English kept
    assert answer["coverage"] == expected["coverage"]
    coverage = page.locator("#check-coverage")
    assert coverage.inner_text() == "Ця база даних охоплює: " + answer["coverage_uk"]
    assert coverage.get_attribute("lang") == "uk" and answer["coverage_uk"] != answer["coverage"]
    # a refused route says why in Ukrainian (problem+json detail_uk)
    page.evaluate(
        "window.clearground.checkGeometry({type: 'LineString', "
        "coordinates: [[-179.5, 50.0], [179.5, 50.01]]})"
    )
    page.wait_for_function(
        "document.getElementById('check-message').textContent.includes('антимеридіан')"
    )
    assert "crosses the antimeridian" not in page.locator("#check-message").inner_text()


def test_record_page_draws_the_area_before_and_after_a_release(page, demo, released):
    _, logins = demo
    login(page, "demo-imo", logins["demo-imo"], next=f"/records/hazard/{released['id']}")
    assert page.locator(".timeline .version").count() == 2
    v2 = page.locator("#v2")
    assert "survey" in v2.locator(".reason").inner_text().lower() or v2.locator(".changes").count()
    shown = v2.locator(".before-after")
    assert shown.count() == 1 and page.locator("#v1 .before-after").count() == 0
    before = shapely.from_geojson(shown.get_attribute("data-before"))
    after = shapely.from_geojson(shown.get_attribute("data-after"))
    assert before.equals_exact(released["before"], 1e-9)
    assert after.symmetric_difference(released["after"]).area < 1e-12
    assert 0 < after.area < before.area
    page.wait_for_function(
        "window.clearground.smallMaps.length === 2 && "
        "window.clearground.smallMaps.every(m => m.loaded() && m.areTilesLoaded())"
    )
    # the before (dashed, g0) and after (solid, g1) outlines are both rendered on its map
    drawn = page.evaluate(
        "() => { const m = window.clearground.smallMaps[1];"
        " return ['g0', 'g1'].map(id => m.queryRenderedFeatures({layers: [id]}).length); }"
    )
    assert drawn[0] > 0 and drawn[1] > 0, drawn
    dash = page.evaluate(
        "() => window.clearground.smallMaps[1].getPaintProperty('g0', 'line-dasharray')"
    )
    assert dash == [3, 2]
    found = axe_violations(page)
    assert not found, found
    shoot(page, "record-before-after")
