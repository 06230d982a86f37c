"""Land release activities through the review queue (an operator's survey waits; its land is
released on approval, on the hazard as it stands then) and the completion rule (an activity
said to close a hazard that leaves land says how much and where, and nothing is written)."""

from __future__ import annotations

import pytest
import shapely

from clearground.domain.errors import ImportRejected
from tests.helpers import snapshot, write_layer
from tests.web.api_support import HAZARD, WEST, add_hazards, assert_problem, sign_in_fixture  # noqa: F401


def _activity(tmp_path, hazard_id, kind, geom, name="a.geojson"):
    return write_layer(
        tmp_path / name,
        [geom],
        {
            "hazard_id": [hazard_id],
            "kind": [kind],
            "date": ["2024-05-01"],
            "organisation": ["SYNTHETIC survey team"],
        },
    )


def _post(client, src, **params):
    return client.post(
        "/api/v1/imports/activities",
        params=params,
        files={"file": (src.name, src.read_bytes())},
    )


def test_an_operators_survey_waits_and_releases_land_on_approval(client, tmp_path, sign_in):
    sign_in("im_officer", "SYNTHETIC officer")
    [hid] = add_hazards(client, tmp_path, [HAZARD], ["SYNTHETIC field"])
    sign_in("operator", "SYNTHETIC field team")
    r = _post(client, _activity(tmp_path, hid, "nts", WEST), as_submission="true")
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "submission" and r.json()["ids"] == ["SB-000001"]
    h = client.get(f"/api/v1/hazards/{hid}").json()
    assert h["status"] == "active" and h["released_m2"]["cancelled"] == 0  # nothing yet
    assert client.get("/api/v1/activities").json()["number_matched"] == 0
    shown = client.get("/api/v1/submissions/SB-000001").json()
    assert shown["kind"] == "activity" and shown["record"]["hazard_id"] == hid
    assert_problem(client.post("/api/v1/submissions/SB-000001/approve"), 403)

    sign_in("im_officer", "SYNTHETIC officer")
    r = client.post("/api/v1/submissions/SB-000001/approve", params={"reason": "checked"})
    assert r.status_code == 200, r.text
    assert r.json()["record_id"] == "LR-000001"
    h = client.get(f"/api/v1/hazards/{hid}").json()
    assert h["status"] == "in_progress"
    assert h["released_m2"]["cancelled"] == pytest.approx(h["area_m2"] / 2, rel=1e-3)
    hist = client.get(f"/api/v1/hazards/{hid}/history").json()
    assert "approved submission SB-000001" in hist[-1]["reason"]


def test_approval_applies_the_rules_to_the_hazard_as_it_stands_then(
    client, store, tmp_path, sign_in
):
    sign_in("im_officer", "SYNTHETIC officer")
    [hid] = add_hazards(client, tmp_path, [HAZARD], ["SYNTHETIC field"])
    sign_in("operator", "SYNTHETIC field team")
    src = _activity(tmp_path, hid, "ts", WEST, "ts.geojson")
    assert _post(client, src, as_submission="true").status_code == 201
    sign_in("im_officer", "SYNTHETIC officer")
    r = _post(client, _activity(tmp_path, hid, "clearance", HAZARD, "all.geojson"))
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/hazards/{hid}").json()["status"] == "closed"
    before = snapshot(store)
    r = client.post("/api/v1/submissions/SB-000001/approve")
    assert_problem(r, 422, "SB-000001", "cannot be approved", "closed")
    assert snapshot(store) == before


def test_an_activity_said_to_close_a_hazard_says_what_land_is_left_and_where(store, tmp_path):
    from clearground.services.activities import import_activities
    from clearground.services.hazards import import_hazards

    hz = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    hid = import_hazards(store, hz, author="SYNTHETIC officer").ids[0]
    before = snapshot(store)
    src = _activity(tmp_path, hid, "clearance", WEST)
    with pytest.raises(ImportRejected) as caught:
        import_activities(store, src, author="SYNTHETIC officer", completes=True)
    (problem,) = caught.value.problems
    assert f"does not close hazard {hid}" in problem
    assert "is not released yet (the hazard stays in_progress)" in problem
    # where: the land left is the eastern half of the hazard
    left = shapely.box(30.005, 50.0, 30.01, 50.01)
    assert f"lon {left.representative_point().x:.5f}" in problem
    assert "within lon 30.00500..30.01000, lat 50.00000..50.01000" in problem
    assert snapshot(store) == before
    done = import_activities(
        store,
        _activity(tmp_path, hid, "clearance", HAZARD, "b.geojson"),
        author="x",
        completes=True,
    )
    assert done.count == 1
    assert store.get("hazard", hid).record.status == "closed"
