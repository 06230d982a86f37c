"""The browser's core pages in a real Chromium: sign in, the map's rendered features (counted
by MapLibre, not DOM nodes), a feature's card, a drawn route's check, the as-of map, the
records pages, Ukrainian; axe-core on every page; screenshots into build/screenshots/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import axe_violations, login, shoot

N_HAZARDS = 60  # the demo_template's


def _map_ready(page) -> None:
    page.wait_for_function("window.clearground && window.clearground.ready === true")
    page.wait_for_function(
        "window.clearground.map.loaded() && window.clearground.map.areTilesLoaded()"
    )
    page.wait_for_timeout(300)


def _rendered_ids(page, layers: list[str]) -> set[str]:
    ids = page.evaluate(
        "(layers) => window.clearground.map.queryRenderedFeatures({layers})"
        ".map(f => f.properties.id)",
        layers,
    )
    return set(ids)


def _click_lonlat(page, lon: float, lat: float) -> None:
    box = page.locator("#map").bounding_box()
    pt = page.evaluate("([lon, lat]) => window.clearground.map.project([lon, lat])", [lon, lat])
    page.mouse.click(box["x"] + pt["x"], box["y"] + pt["y"])


def _no_serious(page, name: str) -> None:
    found = axe_violations(page)
    assert not found, f"{name}: axe-core serious/critical violations: {found}"


def test_anonymous_records_redirect_to_sign_in(page):
    page.goto("/records?kind=eo")
    assert page.url.endswith("/login?next=%2Frecords%3Fkind%3Deo")
    assert page.locator("h1").inner_text() == "Sign in"
    _no_serious(page, "login")
    shoot(page, "login")
    page.fill("#name", "demo-viewer")
    page.fill("#password", "not the password")
    page.click("form.form-narrow button[type=submit]")
    assert page.locator("#login-error").inner_text() == "The name or the password is wrong."


def test_map_cards_route_check_as_of_and_ukrainian(page, demo):
    _, logins = demo
    login(page, "demo-imo", logins["demo-imo"], next="/map")
    assert page.url.endswith("/map")
    assert "SYNTHETIC data" in page.locator(".banner-synthetic").inner_text()
    _map_ready(page)
    hazards = _rendered_ids(page, ["hazards-fill", "hazards-point"])
    assert len(hazards) == N_HAZARDS  # the whole demo is in the first view
    assert len(_rendered_ids(page, ["eo-points"])) == 12
    assert len(_rendered_ids(page, ["accident-points"])) == 4
    _no_serious(page, "map")
    shoot(page, "map")
    _map_ready(page)

    # a click on an EO item's dot opens its card
    eo = page.evaluate(
        "() => { const m = window.clearground.map;"
        " const f = m.queryRenderedFeatures({layers: ['eo-points']})[0];"
        " return {id: f.properties.id, c: f.geometry.coordinates}; }"
    )
    _click_lonlat(page, *eo["c"])
    card = page.locator("#card")
    card.wait_for(state="visible")
    assert eo["id"] in card.locator("h2").inner_text()
    assert card.locator("a").get_attribute("href") == f"/records/eo/{eo['id']}"

    # a hazard's card at this low zoom: the tile carries id, status and classification only;
    # the card reads the name from the JSON API by the id
    shown = page.evaluate(
        "() => { const m = window.clearground.map;"
        " const f = m.queryRenderedFeatures({layers: ['hazards-fill', 'hazards-point']})[0];"
        " return window.clearground.showCard(f).then(p => ({id: f.properties.id,"
        " light: !('name' in f.properties), name: p.name, zoom: m.getZoom()})); }"
    )
    record = page.request.get(f"/api/v1/hazards/{shown['id']}").json()
    assert shown["zoom"] < 10 and shown["light"]
    assert shown["name"] == record["name"] and record["name"] in card.inner_text()
    assert shown["id"] in card.locator("h2").inner_text()

    # draw a route through a hazard: zoom to it, click two points, then the last again
    target = page.evaluate(
        "() => { const f = window.clearground.map.queryRenderedFeatures("
        "{layers: ['hazards-fill', 'hazards-point']})[0]; return f.properties.id; }"
    )
    centre = page.request.get(f"/api/v1/hazards/{target}").json()
    assert centre["id"] == target
    geom = page.evaluate(
        "(id) => { const m = window.clearground.map;"
        " const f = m.queryRenderedFeatures({layers: ['hazards-fill', 'hazards-point']})"
        ".find(x => x.properties.id === id);"
        " const pts = JSON.stringify(f.geometry.coordinates).match(/-?\\d+\\.?\\d*/g).map(Number);"
        " let x = 0, y = 0; for (let i = 0; i < pts.length; i += 2) { x += pts[i]; y += pts[i+1]; }"
        " return [x / (pts.length / 2), y / (pts.length / 2)]; }",
        target,
    )
    page.evaluate("(c) => window.clearground.map.jumpTo({center: c, zoom: 14})", geom)
    _map_ready(page)
    page.click("#draw-route")
    lon, lat = geom
    _click_lonlat(page, lon - 0.004, lat)
    page.wait_for_timeout(200)
    _click_lonlat(page, lon + 0.004, lat)
    page.wait_for_timeout(200)
    _click_lonlat(page, lon + 0.004, lat)  # the last point again finishes the line
    page.wait_for_function("window.clearground.lastCheck !== undefined")
    answer = page.evaluate("window.clearground.lastCheck")
    assert target in [h["id"] for h in answer["hazards"]]
    assert page.locator("#check-message").inner_text() == answer["message"]
    assert "safe" not in answer["message"].lower()
    _no_serious(page, "map after a check")
    shoot(page, "map-route-check")

    # the map as it was before the demo existed: nothing was recorded then
    page.goto("/map?as_of=2000-01-01")
    _map_ready(page)
    assert page.locator(".as-of-notice").is_visible()
    assert _rendered_ids(page, ["hazards-fill", "hazards-point"]) == set()

    # the records list and one hazard's history
    page.goto("/records?kind=hazard&classification=CHA")
    rows = page.locator("tbody tr")
    assert rows.count() >= 1
    _no_serious(page, "records")
    shoot(page, "records")
    page.goto(f"/records/hazard/{target}")
    assert page.locator(".timeline .version").count() >= 1
    page.wait_for_function("window.clearground.smallMaps.every(m => m.loaded())")
    _no_serious(page, "record")
    shoot(page, "record")

    # Ukrainian, remembered in a cookie
    page.click(".lang-switch a[hreflang=uk]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "uk"
    assert page.locator("#history-h").inner_text() == "Історія"
    page.goto("/map")
    assert page.locator(".site-nav a[href='/map']").inner_text() == "Карта"
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("lang") == "uk"
    _map_ready(page)
    _no_serious(page, "map (uk)")
    shoot(page, "map-uk")


@pytest.mark.parametrize("path", ["/nowhere"])
def test_error_page_is_accessible(page, path):
    page.goto(path)
    assert page.locator("h1").inner_text().startswith("Not found")
    _no_serious(page, "404")
