"""The review queue pages over a real database on each engine: only an IM officer or an admin;
pending submissions with their likely duplicates side by side on a small map; approve (the
record enters, the hazard changes), or reject with a reason (required, shown next to it)."""

from __future__ import annotations

import json
import re

import shapely

from tests.helpers import snapshot
from tests.web.pages.forms_support import (  # noqa: F401 (fixtures)
    WEST,
    csrf,
    people_fixture,
    record_hazard,
    sign_in,
    web_fixture,
)


def _submit_nts(web, hid, geom=WEST) -> None:
    """Olena (operator) sends a non-technical survey of ``geom`` on ``hid``."""
    sign_in(web, "olena")
    token = csrf(web, "/forms/nts")
    data = {
        "hazard_id": hid,
        "date": "2024-05-01",
        "organisation": "SYNTHETIC survey team",
        "geometry": shapely.to_geojson(geom),
        "csrf_token": token,
    }
    r = web.post("/forms/nts", data=data)
    assert r.status_code == 201, r.text


def _map_config(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="review-map-config">(.*?)</script>', html)
    assert m, "no map config"
    return json.loads(m.group(1))


def test_only_im_officers_and_admins_see_the_queue(web, store, tmp_path):
    r = web.get("/review", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Freview"
    for name in ("olena", "vik"):
        sign_in(web, name)
        assert web.get("/review").status_code == 403
    hid = record_hazard(store, tmp_path)
    _submit_nts(web, hid)  # signed in as the operator
    token = csrf(web, "/forms")
    before = snapshot(store)
    r = web.post("/review/SB-000001/approve", data={"csrf_token": token})
    assert r.status_code == 403 and "needs admin or im_officer" in r.text
    assert snapshot(store) == before
    for name in ("ivan", "ana"):
        sign_in(web, name)
        assert web.get("/review").status_code == 200


def test_pending_submissions_with_their_duplicates_side_by_side(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    _submit_nts(web, hid)
    _submit_nts(web, hid, shapely.box(30.0, 50.0, 30.0049, 50.01))  # nearly the same land
    sign_in(web, "ivan")
    r = web.get("/review")
    assert r.status_code == 200
    assert 'href="/review/SB-000001"' in r.text and 'href="/review/SB-000002"' in r.text
    assert f"nts on {hid}" in r.text and "olena" in r.text
    r = web.get("/review/SB-000002")
    assert r.status_code == 200
    html = r.text
    assert "Likely duplicate: SB-000001 (pending submission)" in html
    places = _map_config(html)["places"]["features"]
    roles = sorted((f["properties"]["role"], f["properties"]["id"]) for f in places)
    assert roles == [("duplicate", "SB-000001"), ("hazard", hid), ("submission", "SB-000002")]
    assert 'id="review-map"' in html and "/static/js/review.js" in html
    assert 'name="csrf_token"' in html and 'action="/review/SB-000002/approve"' in html
    uk = web.get("/review?lang=uk").text
    assert "Черга перевірки" in uk and "на розгляді" in uk


def test_approve_changes_the_hazard_and_reject_needs_a_reason(web, store, tmp_path):
    hid = record_hazard(store, tmp_path)
    _submit_nts(web, hid)
    _submit_nts(web, hid, shapely.box(30.005, 50.0, 30.01, 50.01))
    sign_in(web, "ivan")
    token = csrf(web, "/review/SB-000001")
    r = web.post(
        "/review/SB-000001/approve",
        data={"reason": "seen on site", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == "/review?done=SB-000001&outcome=approved"
    assert "Submission SB-000001 was approved." in web.get(r.headers["location"]).text
    h = store.get("hazard", hid).record
    assert h.status == "in_progress" and h.released.cancelled > 0
    assert store.get("submission", "SB-000001").record.status == "approved"

    before = snapshot(store)
    r = web.post("/review/SB-000002/reject", data={"reason": " ", "csrf_token": token})
    assert r.status_code == 400
    at = r.text.index('id="reject-reason"')
    near = r.text[at : r.text.index("</form>", at)]
    assert 'id="err-reject"' in near and "needs a reason" in near
    assert snapshot(store) == before
    r = web.post(
        "/review/SB-000002/reject",
        data={"reason": "SYNTHETIC: wrong hazard", "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    sub = store.get("submission", "SB-000002").record
    assert sub.status == "rejected" and sub.decision_reason == "SYNTHETIC: wrong hazard"
    assert store.get("hazard", hid).record.released.cancelled == h.released.cancelled
    r = web.post("/review/SB-000002/approve", data={"csrf_token": token})
    assert r.status_code == 400 and "a decision is final" in r.text
    assert web.get("/review/SB-000404").status_code == 404
