"""The published page in a real browser: Debian's Chromium driven by Playwright, the site served
by a static file server that honours Range requests (tests/publish/static_server.py) on a free
loopback port, nothing else reachable (every other request is aborted).

The map draws the hazards (every hazard in view, as a polygon or a dot), a card opens (by
click and by keyboard), the page switches language without a reload, and for 50 seeded random
points and 10 routes the page's check (hazards.fgb by range requests, computed in the browser)
gives the answer ``clearground check --format json`` gives on the same database: the same ids in
the same order, distances within metadata.json's ``distance_tolerance_m``, the same message,
``covered``, ``coverage`` and ``uncovered``.
"""

from __future__ import annotations

import contextlib
import json
import random
from collections.abc import Iterator

import numpy as np
import pytest
import shapely

from clearground.services import publish_tiles
from tests.browser.conftest import DESKTOP, FLAGS, PHONE, VENDOR, chromium_path  # noqa: F401
from tests.publish.static_server import serve

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


@pytest.fixture(scope="module")
def site(published) -> Iterator:
    with serve(published.dir) as server:
        yield server


@pytest.fixture(scope="module")
def browser(chromium_path) -> Iterator:  # noqa: F811
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


def open_page(browser, site, viewport=DESKTOP):
    """A page on the site with every request outside the site's origin aborted; the page
    records the URLs it asked for (``page.asked``) and its script errors."""
    context = browser.new_context(viewport=viewport)
    asked: list[str] = []
    outside: list[str] = []

    def route(r):
        url = r.request.url
        asked.append(url)
        if url.startswith(site.base) or url.startswith("data:") or url.startswith("blob:"):
            r.continue_()
        else:
            outside.append(url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(site.base + "index.html")
    page.wait_for_function("window.clearground && window.clearground.ready === true", timeout=60000)
    page.wait_for_function("window.clearground.map.areTilesLoaded()", timeout=60000)
    page.asked, page.outside, page.errors = asked, outside, errors
    return page


@pytest.fixture(scope="module")
def page(browser, site):
    p = open_page(browser, site)
    yield p
    assert not p.errors, p.errors
    p.context.close()


def _hazards(db: str):
    from clearground.store import open_store

    store = open_store(db, require_schema=True)
    try:
        return {v.id: v.record.geometry for v in store.list("hazard")}
    finally:
        store.close()


def _cli_check(db: str, geometry, buffer: float) -> dict:
    """What ``clearground check --format json`` answers, run in process through the service."""
    from clearground.config import load_settings
    from clearground.services.check import check
    from clearground.store import open_store

    settings = load_settings(None, db=db, author="tester")
    store = open_store(db, require_schema=True)
    try:
        return check(store, geometry, buffer_m=buffer, region=settings.operating_region)
    finally:
        store.close()


def test_map_draws_every_hazard_in_view(page, published):
    hazards = _hazards(published.db)
    bounds = page.evaluate("window.clearground.map.getBounds().toArray()")
    view = shapely.box(bounds[0][0], bounds[0][1], bounds[1][0], bounds[1][1])
    in_view = {i for i, g in hazards.items() if view.contains(g)}
    assert in_view, "the map opens on the hazards"
    # the tiles come in one by one: wait (bounded) until all are drawn; the assertion below
    # names what is missing if they never are
    with contextlib.suppress(Exception):
        page.wait_for_function(
            f"window.clearground.renderedHazards().length >= {len(in_view)}", timeout=30000
        )
    drawn = page.evaluate("window.clearground.renderedHazards().map(p => p.id)")
    assert set(drawn) <= set(hazards)
    assert in_view <= set(drawn), f"not drawn: {sorted(in_view - set(drawn))}"
    assert page.get_attribute("html", "lang") == "uk"


def test_card_opens_by_click_and_by_keyboard(page, published):
    hazards = _hazards(published.db)
    big = max(hazards, key=lambda i: hazards[i].area)
    c = hazards[big].representative_point()
    page.evaluate(f"window.clearground.map.jumpTo({{center: [{c.x}, {c.y}], zoom: 13}})")
    page.wait_for_function("window.clearground.map.areTilesLoaded()")
    page.wait_for_timeout(300)
    xy = page.evaluate(
        f"(() => {{ const p = window.clearground.map.project([{c.x}, {c.y}]); "
        "const r = document.getElementById('map').getBoundingClientRect(); "
        "return [r.left + p.x, r.top + p.y]; })()"
    )
    page.mouse.click(*xy)
    page.wait_for_selector("#card:not([hidden])")
    assert page.get_attribute("#card", "data-id") == big
    assert big in page.inner_text("#card h2")
    # the tiles carry id, status and classification; the rest of the card is from hazards.fgb
    page.wait_for_selector("#card[data-full=true]")
    assert _card_props(page) == _public(published.db)[big]
    page.click("#card .card-head button")
    assert page.is_hidden("#card")
    # the keyboard: list what is drawn, then Enter on one
    page.focus("#list-in-view")
    page.keyboard.press("Enter")
    page.wait_for_selector("#in-view button")
    page.focus("#in-view button")
    page.keyboard.press("Enter")
    page.wait_for_selector("#card:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "card"
    page.wait_for_selector("#card[data-full=true]")
    shown = page.get_attribute("#card", "data-id")
    assert _card_props(page) == _public(published.db)[shown]


def test_card_of_a_dot_at_a_low_zoom(page, published):
    """A hazard too small to draw at zoom 6 is a dot there: clicking the dot opens its card,
    name and all (the dot's point, to the tile's precision, finds it in hazards.fgb)."""
    hazards = _hazards(published.db)
    first = publish_tiles.polygon_min_zooms(np.array(list(hazards.values()), dtype=object))
    small = [i for i, z in zip(hazards, first, strict=True) if z > 6]
    assert small
    c = publish_tiles.representative_points([hazards[small[0]]])[0]
    page.evaluate(f"window.clearground.map.jumpTo({{center: [{c.x}, {c.y}], zoom: 6}})")
    page.wait_for_function("window.clearground.map.areTilesLoaded()")
    page.wait_for_timeout(300)
    xy = page.evaluate(
        f"(() => {{ const p = window.clearground.map.project([{c.x}, {c.y}]); "
        "const r = document.getElementById('map').getBoundingClientRect(); "
        "return [r.left + p.x, r.top + p.y]; })()"
    )
    page.mouse.click(*xy)
    page.wait_for_selector("#card[data-full=true]")
    shown = page.get_attribute("#card", "data-id")
    assert _card_props(page) == _public(published.db)[shown]


def _card_props(page) -> dict:
    from clearground.services.publish import CHECK_FIELDS

    props = json.loads(page.get_attribute("#card", "data-props"))
    return {k: props.get(k) for k in CHECK_FIELDS}


def _public(db: str) -> dict:
    """Each hazard's card as the public JSON words it."""
    from clearground.services.projections import PUBLIC, published_hazard_json
    from clearground.services.publish import CHECK_FIELDS
    from clearground.store import open_store

    store = open_store(db, require_schema=True)
    try:
        return {
            v.id: {k: published_hazard_json(v, PUBLIC)[k] for k in CHECK_FIELDS}
            for v in store.list("hazard")
        }
    finally:
        store.close()


def test_language_switches_without_reload(page):
    page.evaluate("window.__still_here = 1")
    page.click("button.lang[data-lang=en]")
    assert page.inner_text("#check-h") == "Check a route or place"
    assert page.get_attribute("html", "lang") == "en"
    page.click("button.lang[data-lang=uk]")
    assert page.inner_text("#check-h") != "Check a route or place"
    assert page.evaluate("window.__still_here") == 1


def _queries(published, n_points=50, n_routes=10):
    """Seeded: points near hazards (some inside), a few outside the coverage; routes across
    hazards, one of about 300 km, one leaving the operating region."""
    rng = random.Random(13)
    hazards = list(_hazards(published.db).values())
    out = []
    for i in range(n_points):
        if i % 10 == 9:
            x, y = rng.uniform(18, 21.5), rng.uniform(44, 52)  # outside the region
        else:
            c = rng.choice(hazards).representative_point()
            x, y = c.x + rng.gauss(0, 0.004), c.y + rng.gauss(0, 0.004)
        out.append((shapely.Point(x, y), rng.choice([0, 50, 200, 1000])))
    for i in range(n_routes):
        if i == 0:
            line = shapely.LineString([(30.0, 50.5), (31.5, 49.9), (33.9, 49.6)])  # ~300 km
        elif i == 1:
            line = shapely.LineString([(21.2, 48.4), (22.6, 48.6), (23.4, 48.2)])  # leaves
        else:
            a, b = (rng.choice(hazards).representative_point() for _ in range(2))
            mid = ((a.x + b.x) / 2 + rng.uniform(-0.05, 0.05), (a.y + b.y) / 2)
            line = shapely.LineString([(a.x, a.y), mid, (b.x, b.y)])
        out.append((line, rng.choice([200, 500, 2000])))
    return out


def test_check_in_the_browser_equals_the_cli(page, published):
    from clearground.web.pages.check_messages import message_in, with_language

    tolerance = page.evaluate("window.clearground.metadata.distance_tolerance_m")
    queries = _queries(published)
    answers = page.evaluate(
        "async (qs) => { const out = []; for (const [g, b] of qs) "
        "out.push(await window.clearground.check(g, b)); return out; }",
        [[shapely.geometry.mapping(g), b] for g, b in queries],
    )
    found = 0
    for (geometry, buffer), js in zip(queries, answers, strict=True):
        cli = _cli_check(published.db, geometry, buffer)
        where = f"{geometry.wkt[:80]} buffer {buffer}"
        assert "error" not in js, (where, js)
        assert [h["id"] for h in js["hazards"]] == [h["id"] for h in cli["hazards"]], where
        for a, b in zip(js["hazards"], cli["hazards"], strict=True):
            # both are rounded to 0.1 m: compare them as the decimals they are
            assert abs(a["distance_m"] - b["distance_m"]) <= tolerance + 1e-9, (where, a, b)
            assert (a["name"], a["status"], a["classification"]) == (
                b["name"],
                b["status"],
                b["classification"],
            )
        for key in ("message", "covered", "coverage", "uncovered", "buffer_m"):
            assert js[key] == cli[key], (where, key, js[key], cli[key])
        assert "safe" not in js["message"].lower()
        # the same message in Ukrainian (metadata.json messages_uk), as the server words it
        assert js["message_uk"] == message_in(cli, "uk"), (where, js["message_uk"])
        # and what the data covers, as the server's ?lang=uk answer has it (coverage_uk)
        assert js["coverage_uk"] == with_language(cli, "uk")["coverage_uk"], where
        found += len(cli["hazards"])
    assert found >= 20, "the queries find hazards"
    assert any(not a["covered"] for a in answers) and any(a["covered"] for a in answers)
    assert answers[-9]["uncovered"], "the route that leaves the region is partly uncovered"


def test_a_likely_swapped_lat_lon_is_refused_as_the_cli_refuses_it(page, published):
    """metadata.json's ``region``: the page refuses a point or route given as lat, lon with the
    check's own words, and answers nothing about hazards there."""
    from clearground.domain.errors import BadInput
    from clearground.web.pages.messages_uk import translate

    assert page.evaluate("window.clearground.metadata.region") == [22.0, 44.0, 40.5, 52.5]
    for geometry in (
        shapely.Point(50.45, 30.52),  # Kyiv as lat, lon
        shapely.LineString([(50.4, 30.4), (50.5, 30.7)]),
    ):
        js = page.evaluate(
            "(g) => window.clearground.check(g, 200)", shapely.geometry.mapping(geometry)
        )
        with pytest.raises(BadInput) as said:
            _cli_check(published.db, geometry, 200)
        assert js["error"] == str(said.value)
        assert "likely swapped lat/lon" in js["error"]
        # on a Ukrainian page the refusal in Ukrainian too (metadata.json refusals_uk)
        lang = page.evaluate("document.documentElement.lang")
        if lang == "uk":
            assert js == {"error": str(said.value), "error_uk": translate(js["error"], "uk")}
            assert "ймовірно, переплутано широту й довготу" in js["error_uk"]
            assert page.inner_text("#check-summary").endswith(js["error_uk"])
        else:
            assert js == {"error": str(said.value)}


def test_works_with_only_the_site_reachable(browser, site, published):
    p = open_page(browser, site)
    try:
        answer = p.evaluate(
            "window.clearground.check("
            "{type: 'LineString', coordinates: [[30.4, 50.4], [30.7, 50.5]]}, 500)"
        )
        assert "message" in answer, answer
        assert p.outside == [], p.outside
        assert p.asked and all(u.startswith(site.base) for u in p.asked)
        ranged = [r for path, r in site.requests if path.startswith("/hazards.fgb") and r]
        assert ranged, "hazards.fgb is read by range requests"
        assert not p.errors, p.errors
    finally:
        p.context.close()


def test_gpx_file_checked(page, published, tmp_path):
    coords = [(30.50, 50.44), (30.56, 50.46), (30.60, 50.47)]
    pts = "".join(f'<trkpt lat="{y}" lon="{x}"/>' for x, y in coords)
    gpx = tmp_path / "walk.gpx"
    gpx.write_text(
        '<?xml version="1.0"?><gpx version="1.1" creator="SYNTHETIC test" '
        f'xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>{pts}</trkseg></trk></gpx>'
    )
    page.fill("#buffer", "300")
    page.evaluate("window.clearground.lastCheck = null")
    page.set_input_files("#route-file", str(gpx))
    page.wait_for_function("window.clearground.lastCheck !== null")
    js = page.evaluate("window.clearground.lastCheck")
    cli = _cli_check(published.db, shapely.LineString(coords), 300)
    assert [h["id"] for h in js["hazards"]] == [h["id"] for h in cli["hazards"]]
    assert js["message"] == cli["message"]
    assert page.inner_text("#check-summary")
    # the page is in Ukrainian: the message too (metadata.json messages_uk), marked so
    from clearground.web.pages.check_messages import message_in

    assert page.inner_text("#check-message") == js["message_uk"] == message_in(cli, "uk")
    assert page.get_attribute("#check-message", "lang") == "uk"


def test_phone_width_and_accessibility(browser, site):
    p = open_page(browser, site, viewport=PHONE)
    try:
        assert p.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert p.is_visible("#map") and p.is_visible("#check-h")
        p.add_script_tag(content=(VENDOR / "axe-core" / "axe.min.js").read_text())
        result = p.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
        bad = [
            (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]])
            for v in result["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert bad == [], json.dumps(bad, indent=1)
    finally:
        p.context.close()
