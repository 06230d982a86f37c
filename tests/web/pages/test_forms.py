"""The forms pages over a real database on each engine: rendering (in English and
Ukrainian), the server's messages next to the field they concern, role denials, an
operator's form waiting in the review queue, the land release rules as clear messages,
victims' personal data only for victim_data, polygons drawn or uploaded."""

from __future__ import annotations

import shapely

from tests.helpers import snapshot, write_layer
from tests.web.pages.forms_support import (  # noqa: F401 (fixtures)
    HAZARD,
    WEST,
    csrf,
    field_html,
    people_fixture,
    record_hazard,
    sign_in,
    web_fixture,
)


def _nts(hid, **over):
    return {
        "hazard_id": hid,
        "date": "2024-05-01",
        "organisation": "SYNTHETIC survey team",
        "geometry": shapely.to_geojson(WEST),
        **over,
    }


def test_forms_render_for_writers_with_their_fields_and_a_map(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "olena")
    r = web.get("/forms")
    assert r.status_code == 200
    for name in ("nts", "ts", "clearance", "eo", "accident", "eore"):
        assert f'href="/forms/{name}"' in r.text
    assert "waits in the review queue" in r.text
    r = web.get(f"/forms/nts?hazard_id={hid}")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Non-technical survey</h1>" in html
    assert 'id="f-hazard_id" name="hazard_id" required aria-required="true"' in html
    assert f'value="{hid}"' in field_html(html, "hazard_id")
    assert 'value="ORG-SYN1"' in field_html(html, "organisation")  # the operator's own
    assert 'id="form-map"' in html and 'data-geometry-type="polygon"' in html
    assert "/static/vendor/terra-draw/terra-draw.umd.js" in html
    assert 'name="csrf_token"' in html
    assert '"type": "MultiPolygon"}}</script>' in html  # the map opens on the hazard
    eo = web.get("/forms/eo").text
    assert 'value="mine_ap">Anti-personnel mine' in eo  # choices of the shipped XLSForm
    assert 'id="f-lon"' in eo and 'data-geometry-type="point"' in eo
    assert "safe" not in (html + eo).lower()
    uk = web.get("/forms/nts?lang=uk").text
    assert "Нетехнічне обстеження" in uk and "Дата діяльності" in uk


def test_who_may_not_use_the_forms(web, store, tmp_path):
    r = web.get("/forms/nts", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fforms%2Fnts"
    sign_in(web, "vik")
    r = web.get("/forms")
    assert r.status_code == 403 and "viewer role may not" in r.text
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    before = snapshot(store)
    r = web.post("/forms/nts", data=_nts(hid))  # no CSRF token: refused
    assert r.status_code == 403
    assert snapshot(store) == before


def test_the_servers_message_is_next_to_the_field_and_nothing_is_written(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    token = csrf(web, "/forms/nts")
    before = snapshot(store)
    r = web.post("/forms/nts", data={**_nts(hid, date="2999-01-01"), "csrf_token": token})
    assert r.status_code == 400
    date = field_html(r.text, "date")
    assert 'aria-invalid="true"' in date and 'id="err-date"' in date and "future" in date
    assert "nothing was recorded" in r.text
    assert 'value="SYNTHETIC survey team"' in r.text  # what was typed is kept
    r = web.post("/forms/nts", data={**_nts("HA-999999"), "csrf_token": token})
    assert r.status_code == 400 and "HA-999999" in field_html(r.text, "hazard_id")
    r = web.post("/forms/nts", data={**_nts(hid, geometry=""), "csrf_token": token})
    assert r.status_code == 400
    assert 'id="err-geometry"' in r.text and "draw the polygon on the map" in r.text
    uk = web.post("/forms/nts?lang=uk", data={**_nts(hid, geometry=""), "csrf_token": token})
    assert "накресліть полігон на карті" in uk.text  # the form's own message, in Ukrainian
    outside = shapely.box(30.02, 50.02, 30.03, 50.03)
    r = web.post(
        "/forms/nts?lang=en",  # the lang cookie says uk now: the rules' messages are in Ukrainian
        data={**_nts(hid, geometry=shapely.to_geojson(outside)), "csrf_token": token},
    )
    assert r.status_code == 400 and "lies outside hazard" in r.text
    assert snapshot(store) == before


def test_closing_a_hazard_without_releasing_its_area_says_what_is_missing_and_where(
    web, store, tmp_path
):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    token = csrf(web, "/forms/clearance")
    before = snapshot(store)
    r = web.post("/forms/clearance", data={**_nts(hid), "csrf_token": token})
    assert r.status_code == 400
    assert f"does not close hazard {hid}" in r.text
    assert "is not released yet" in r.text and "around lon 30.007" in r.text
    assert 'id="err-geometry"' in r.text
    assert snapshot(store) == before
    whole = {**_nts(hid, geometry=shapely.to_geojson(HAZARD)), "csrf_token": token}
    r = web.post("/forms/clearance", data=whole)
    assert r.status_code == 201, r.text
    assert "Recorded." in r.text
    assert store.get("hazard", hid).record.status == "closed"


def test_an_operators_form_waits_in_the_review_queue(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "olena")
    token = csrf(web, "/forms/nts")
    r = web.post("/forms/nts", data={**_nts(hid, methods=["manual"]), "csrf_token": token})
    assert r.status_code == 201, r.text
    assert "waits in the review queue" in r.text and "SB-000001" in r.text
    sub = store.get("submission", "SB-000001").record
    assert sub.status == "pending" and sub.kind == "activity" and sub.submitted_by == "olena"
    assert sub.record.kind == "nts" and sub.record.hazard_id == hid
    assert store.get("hazard", hid).record.status == "active"  # until approved
    assert store.list("activity") == []


def test_an_uploaded_polygon_is_read_by_the_format_readers(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    token = csrf(web, "/forms/ts")
    ring = shapely.LineString(list(WEST.exterior.coords))
    gpx = write_layer(tmp_path / "walk.gpx", [ring], layer="tracks", geometry_type="LineString")
    data = {**_nts(hid, geometry=""), "csrf_token": token}
    files = {"geometry_file": ("walk.gpx", gpx.read_bytes(), "application/gpx+xml")}
    r = web.post("/forms/ts", data=data, files=files)
    assert r.status_code == 201, r.text
    h = store.get("hazard", hid).record
    assert h.status == "in_progress" and h.released.reduced > 0
    r = web.post("/forms/ts", data=data, files={"geometry_file": ("x.csv", b"a\n1\n")})
    assert r.status_code == 400 and "upload a GeoJSON, GPX or KML file" in r.text
    big = b" " * int(1.1 * 1024 * 1024)
    web.app.state.web.settings.upload_limit_mb = 1
    r = web.post("/forms/ts", data=data, files={"geometry_file": ("big.geojson", big)})
    assert r.status_code == 413 and "upload_limit_mb" in r.text


def _accident(**over):
    return {
        "date": "2024-05-04",
        "eo_category": "mine_ap",
        "lon": "30.004",
        "lat": "50.004",
        "victims": "1",
        "victim-1-sex": "female",
        "victim-1-age_group": "adult",
        "victim-1-victim_type": "civilian",
        "victim-1-outcome": "injured",
        **over,
    }


def test_victims_personal_data_only_for_victim_data(web, store, tmp_path):
    sign_in(web, "olena")
    page = web.get("/forms/accident").text
    assert 'name="victim-1-sex"' in page
    assert 'name="victim-1-name"' not in page and 'name="victim-1-contact"' not in page
    token = csrf(web, "/forms/accident")
    before = snapshot(store)
    r = web.post(
        "/forms/accident",
        data={**_accident(**{"victim-1-name": "SYNTHETIC Person"}), "csrf_token": token},
    )
    assert r.status_code == 400 and "victim_data permission" in r.text
    assert "SYNTHETIC Person" not in r.text  # not shown back to who may not see it
    assert snapshot(store) == before
    r = web.post("/forms/accident", data={**_accident(), "csrf_token": token})
    assert r.status_code == 201 and "SB-000001" in r.text
    r = web.post("/forms/accident", data={**_accident(), "add_victim": "1", "csrf_token": token})
    assert r.status_code == 200 and 'name="victim-2-sex"' in r.text  # one more, nothing sent

    sign_in(web, "medic")
    page = web.get("/forms/accident").text
    assert 'name="victim-1-name"' in page and "Personal data" in page
    token = csrf(web, "/forms/accident")
    data = {
        **_accident(**{"victim-1-name": "SYNTHETIC Person", "victim-1-outcome": ""}),
        "csrf_token": token,
    }
    r = web.post("/forms/accident", data=data)
    assert r.status_code == 400
    assert "outcome is empty" in field_html(r.text, "victim-1-outcome")
    data["victim-1-outcome"] = "injured"
    r = web.post("/forms/accident", data=data)
    assert r.status_code == 201, r.text
    held = store.get("victim_personal", "SB-000002/1").record
    assert held.name == "SYNTHETIC Person"


def test_eo_and_eore_forms(web, store, tmp_path):
    record_hazard(store, tmp_path)
    sign_in(web, "olena")
    token = csrf(web, "/forms/eo")
    eo = {"category": "uxo", "quantity": "1", "date": "2024-05-02", "lon": "30.002"}
    r = web.post("/forms/eo", data={**eo, "lat": "", "csrf_token": token})
    assert r.status_code == 400 and 'id="err-geometry"' in r.text
    r = web.post(
        "/forms/eo", data={"quantity": "", "lon": "30.002", "lat": "50.002", "csrf_token": token}
    )
    assert r.status_code == 400  # every empty required field at once, each next to its input
    for name in ("category", "quantity", "date"):
        assert "is empty (the form requires it)" in field_html(r.text, name), name
    r = web.post("/forms/eo", data={**eo, "lat": "50.002", "csrf_token": token})
    assert r.status_code == 201 and "SB-000001" in r.text
    r = web.post(
        "/forms/eore",
        data={
            "date": "2024-05-03",
            "organisation_id": "ORG-SYN1",
            "girls": "1",
            "boys": "2",
            "women": "x",
            "men": "0",
            "lon": "30.3",
            "lat": "50.3",
            "csrf_token": token,
        },
    )
    assert r.status_code == 400 and "women" in field_html(r.text, "women")
