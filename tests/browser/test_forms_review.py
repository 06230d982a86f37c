"""The issue's scenario end to end in a real Chromium: an operator signs in and sees the demo's
hazards rendered on the map (counted by MapLibre), draws a non-technical survey's polygon on
the form's map (Terra Draw on MapLibre) and sends it; it waits in the review queue; an IM
officer sees it with its hazard on the review map and approves it; the hazard's status has
changed (in the JSON API and in the map's rendered tiles); its history shows both versions, the
map as of before the approval shows it as it was, a drawn route's check names it, and the page
switches to Ukrainian. axe-core on each page; screenshots into build/screenshots/."""

from __future__ import annotations

import shapely

from tests.browser.conftest import axe_violations, login, shoot
from tests.browser.test_core_pages import N_HAZARDS, _click_lonlat, _map_ready, _rendered_ids


def _active_hazard(url: str):
    """An active demo hazard with nothing released, and a box well inside it."""
    from clearground.store import open_store

    store = open_store(url, require_schema=True)
    try:
        for v in store.list("hazard"):
            h = v.record
            if str(h.status) != "active" or h.released.total > 0:
                continue
            p = h.geometry.representative_point()
            s = 0.002
            while s > 1e-5:
                box = shapely.box(p.x - s, p.y - s, p.x + s, p.y + s)
                if h.geometry.buffer(-s / 10).contains(box):
                    return h.id, box
                s /= 2
    finally:
        store.close()
    raise AssertionError("the demo has no active hazard to survey")


def _no_serious(page, name: str) -> None:
    found = axe_violations(page)
    assert not found, f"{name}: axe-core serious/critical violations: {found}"


def _draw(page, polygon) -> None:
    """Click the polygon's corners on the form's map, then the first corner again to close it."""
    page.wait_for_function("document.getElementById('form-map').dataset.ready === 'yes'")
    x0, y0, x1, y1 = polygon.bounds
    page.evaluate(
        "(b) => window.clearground.formMap.fitBounds(b, {padding: 60, animate: false})",
        [[x0, y0], [x1, y1]],
    )
    page.wait_for_timeout(300)
    frame = page.locator("#form-map").bounding_box()
    corners = list(polygon.exterior.coords)[:-1]
    for lon, lat in [*corners, corners[0]]:
        pt = page.evaluate(
            "([lon, lat]) => window.clearground.formMap.project([lon, lat])", [lon, lat]
        )
        page.mouse.move(frame["x"] + pt["x"], frame["y"] + pt["y"])
        page.mouse.click(frame["x"] + pt["x"], frame["y"] + pt["y"])
        page.wait_for_timeout(150)
    page.wait_for_function("document.getElementById('f-geometry').value !== ''")


def test_an_operators_drawn_survey_is_approved_and_changes_the_hazard(page, demo):
    url, logins = demo
    hid, box = _active_hazard(url)

    login(page, "demo-operator", logins["demo-operator"], next="/map")
    _map_ready(page)
    assert len(_rendered_ids(page, ["hazards-fill", "hazards-point"])) == N_HAZARDS
    page.goto("/forms")
    assert page.locator("h1").inner_text() == "Forms"
    _no_serious(page, "forms")
    shoot(page, "forms")
    page.goto(f"/forms/nts?hazard_id={hid}")
    assert page.locator("#f-hazard_id").input_value() == hid
    page.fill("#f-date", "2024-05-01")
    _draw(page, box)
    drawn = shapely.from_geojson(page.locator("#f-geometry").input_value())
    assert drawn.geom_type == "Polygon" and drawn.buffer(1e-6).contains(box.buffer(-1e-6))
    _no_serious(page, "forms-nts")
    shoot(page, "forms-nts")
    with page.expect_navigation():
        page.click("#send")
    outcome = page.locator("#outcome").inner_text()
    assert "waits in the review queue" in outcome
    sub_id = page.locator("#outcome strong").first.inner_text()
    assert sub_id.startswith("SB-")
    status = page.request.get(f"/api/v1/hazards/{hid}").json()["status"]
    assert status == "active"  # nothing released until it is approved

    page.context.clear_cookies()
    login(page, "demo-imo", logins["demo-imo"], next="/review")
    assert page.locator(f'a[href="/review/{sub_id}"]').count() == 1
    _no_serious(page, "review")
    shoot(page, "review")
    page.click(f'a[href="/review/{sub_id}"]')
    page.wait_for_function("document.getElementById('review-map').dataset.ready === 'yes'")
    page.wait_for_function(
        "window.clearground.reviewMap.loaded() && window.clearground.reviewMap.areTilesLoaded()"
    )
    shown = page.evaluate(
        "() => window.clearground.reviewMap.queryRenderedFeatures("
        "{layers: ['places-fill', 'places-line', 'places-point']}).map(f => f.properties.role)"
    )
    assert "submission" in shown and "hazard" in shown
    _no_serious(page, "review-item")
    shoot(page, "review-item")
    page.fill("#approve-reason", "SYNTHETIC: checked on site")
    with page.expect_navigation():
        page.click("#approve")
    assert f"Submission {sub_id} was approved." in page.locator("#outcome").inner_text()

    hazard = page.request.get(f"/api/v1/hazards/{hid}").json()
    assert hazard["status"] == "in_progress" and hazard["released_m2"]["cancelled"] > 0
    page.goto("/map")
    page.wait_for_function("window.clearground && window.clearground.ready === true")
    x0, y0, x1, y1 = box.bounds
    page.evaluate(
        "(b) => window.clearground.map.fitBounds(b, {padding: 40, animate: false})",
        [[x0, y0], [x1, y1]],
    )
    page.wait_for_function(
        "window.clearground.map.loaded() && window.clearground.map.areTilesLoaded()"
    )
    statuses = page.evaluate(
        "(id) => window.clearground.map.queryRenderedFeatures({layers: ['hazards-fill']})"
        ".filter(f => f.properties.id === id).map(f => f.properties.status)",
        hid,
    )
    assert statuses and set(statuses) == {"in_progress"}

    # its history: the version the import made and the one the approved survey made
    history = page.request.get(f"/api/v1/hazards/{hid}/history").json()
    assert len(history) >= 2
    page.goto(f"/records/hazard/{hid}")
    assert page.locator(".timeline .version").count() == len(history)
    page.wait_for_function("window.clearground.smallMaps.every(m => m.loaded())")

    # the whole map as of the first version: the hazard as it was, active
    first = min(history, key=lambda v: v["version"])
    page.goto(f"/map?as_of={first['valid_from']}")
    _map_ready(page)
    page.evaluate(
        "(b) => window.clearground.map.fitBounds(b, {padding: 40, animate: false})",
        [[x0, y0], [x1, y1]],
    )
    _map_ready(page)
    before = page.evaluate(
        "(id) => window.clearground.map.queryRenderedFeatures({layers: ['hazards-fill']})"
        ".filter(f => f.properties.id === id).map(f => f.properties.status)",
        hid,
    )
    assert before and set(before) == {"active"}

    # a route drawn across the hazard: the check names it, in the server's own words
    page.goto("/map")
    _map_ready(page)
    lon, lat = box.centroid.x, box.centroid.y
    page.evaluate("(c) => window.clearground.map.jumpTo({center: c, zoom: 15})", [lon, lat])
    _map_ready(page)
    page.click("#draw-route")
    half = (x1 - x0) * 2
    _click_lonlat(page, lon - half, lat)
    page.wait_for_timeout(200)
    _click_lonlat(page, lon + half, lat)
    page.wait_for_timeout(200)
    _click_lonlat(page, lon + half, lat)  # the last point again finishes the line
    page.wait_for_function("window.clearground.lastCheck !== undefined")
    answer = page.evaluate("window.clearground.lastCheck")
    assert hid in [h["id"] for h in answer["hazards"]]
    assert page.locator("#check-message").inner_text() == answer["message"]

    # Ukrainian
    page.click(".lang-switch a[hreflang=uk]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator(".site-nav a[href='/map']").inner_text() == "Карта"


def test_every_form_passes_axe_and_a_point_is_placed_by_a_click(page, demo):
    _, logins = demo
    login(page, "demo-imo", logins["demo-imo"], next="/forms")
    for name in ("ts", "clearance", "eo", "accident", "eore"):
        page.goto(f"/forms/{name}")
        page.wait_for_function("document.getElementById('form-map').dataset.ready === 'yes'")
        _no_serious(page, f"forms-{name}")
        shoot(page, f"forms-{name}")
    # the IM officer has victim_data: the accident form shows the personal section
    page.goto("/forms/accident")
    assert page.locator("#f-victim-1-name").count() == 1
    # a point form: a click on the map places the point and fills lon/lat
    page.goto("/forms/eo")
    page.wait_for_function("document.getElementById('form-map').dataset.ready === 'yes'")
    frame = page.locator("#form-map").bounding_box()
    page.mouse.click(frame["x"] + frame["width"] / 2, frame["y"] + frame["height"] / 2)
    page.wait_for_function("document.getElementById('f-geometry').value !== ''")
    point = shapely.from_geojson(page.locator("#f-geometry").input_value())
    assert point.geom_type == "Point"
    assert abs(float(page.locator("#f-lon").input_value()) - point.x) < 1e-5
    # sent without its required fields: the messages are next to the fields, nothing recorded
    with page.expect_navigation():
        page.click("#send")
    assert "nothing was recorded" in page.locator("#error-summary").inner_text()
    assert page.locator("#err-category, #err-date").count() >= 1
    _no_serious(page, "forms-eo-refused")
    shoot(page, "forms-eo-refused")
    page.goto("/forms/eo?lang=uk")
    assert page.locator("h1").inner_text() == "Повідомлення про вибухонебезпечний предмет"
    _no_serious(page, "forms-eo-uk")
