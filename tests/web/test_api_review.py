"""The review queue over /api/v1: list by status, show with duplicates side by side, approve
and reject (with a reason) by im_officer or admin only."""

from __future__ import annotations

import shapely

from tests.helpers import snapshot, write_layer
from tests.web.api_support import HAZARD, add_hazards, assert_problem, sign_in_fixture  # noqa: F401 (fixture)


def _submit(client, tmp_path, geoms, names):
    src = write_layer(tmp_path / "field.geojson", geoms, {"name": names})
    r = client.post(
        "/api/v1/imports/hazards",
        params={"as_submission": "true"},
        files={"file": ("field.geojson", src.read_bytes())},
    )
    assert r.status_code == 201, r.text
    return r.json()


def test_submissions_wait_are_shown_side_by_side_and_decided(client, store, tmp_path, sign_in):
    sign_in("im_officer", "SYNTHETIC officer")
    add_hazards(client, tmp_path, [HAZARD], ["SYNTHETIC recorded"])
    sign_in("operator", "SYNTHETIC field team")
    mostly_same = shapely.box(30.001, 50.0, 30.011, 50.01)
    elsewhere = shapely.box(31, 50, 31.01, 50.01)
    _submit(client, tmp_path, [mostly_same, elsewhere], ["SYNTHETIC again", "SYNTHETIC new"])
    assert client.get("/api/v1/hazards").json()["number_matched"] == 1  # nothing entered yet
    pending = client.get("/api/v1/submissions", params={"status": "pending"}).json()["items"]
    assert [(p["id"], p["status"], p["submitted_by"]) for p in pending] == [
        ("SB-000001", "pending", "SYNTHETIC field team"),
        ("SB-000002", "pending", "SYNTHETIC field team"),
    ]
    shown = client.get("/api/v1/submissions/SB-000001").json()
    assert shown["duplicates"] == ["HA-000001"]
    assert shown["side_by_side"][0]["id"] == "HA-000001"
    assert shown["side_by_side"][0]["name"] == "SYNTHETIC recorded"
    assert shown["record"]["name"] == "SYNTHETIC again"

    # the operator who submitted may not decide
    assert_problem(client.post("/api/v1/submissions/SB-000002/approve"), 403)
    sign_in("im_officer", "SYNTHETIC officer")
    before = snapshot(store)
    assert_problem(client.post("/api/v1/submissions/SB-000001/reject"), 422)  # reason required
    r = client.post("/api/v1/submissions/SB-000001/reject", params={"reason": " "})
    assert_problem(r, 400, "needs a reason")
    assert snapshot(store) == before
    r = client.post("/api/v1/submissions/SB-000001/reject", params={"reason": "same as HA-000001"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected" and r.json()["decided_by"] == "SYNTHETIC officer"
    r = client.post("/api/v1/submissions/SB-000002/approve", params={"reason": "seen on site"})
    assert r.status_code == 200, r.text
    assert r.json()["record_id"] == "HA-000002"
    hist = client.get("/api/v1/hazards/HA-000002/history").json()
    assert hist[0]["author"] == "SYNTHETIC officer"
    assert hist[0]["reason"].startswith("approved submission SB-000002 from field.geojson")
    assert_problem(client.post("/api/v1/submissions/SB-000002/approve"), 400, "decision is final")
    assert_problem(client.post("/api/v1/submissions/SB-000099/approve"), 404, "SB-000099")
    statuses = {
        s: [
            p["id"] for p in client.get("/api/v1/submissions", params={"status": s}).json()["items"]
        ]
        for s in ("pending", "approved", "rejected")
    }
    assert statuses == {"pending": [], "approved": ["SB-000002"], "rejected": ["SB-000001"]}
    assert client.get("/api/v1/submissions").json()["number_matched"] == 2
    r = client.get("/api/v1/submissions", params={"status": "maybe"})
    assert_problem(r, 400, "pending, approved, rejected")


def test_an_admin_may_approve(client, tmp_path, sign_in):
    sign_in("admin", "SYNTHETIC admin")
    _submit(client, tmp_path, [HAZARD], ["SYNTHETIC one"])
    r = client.post("/api/v1/submissions/SB-000001/approve")
    assert r.status_code == 200 and r.json()["status"] == "approved"
