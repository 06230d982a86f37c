"""Writes over /api/v1 through the CLI's services: PATCH with If-Match, land release and QC by
POST, file imports (all or nothing, the import ledger, the upload limit), roles."""

from __future__ import annotations

import json

import pytest
import shapely

from tests.helpers import snapshot, write_layer
from tests.web.api_support import (  # noqa: F401 (fixture)
    HAZARD,
    WEST,
    add_hazards,
    assert_problem,
    collection,
    feature,
    sign_in_fixture,
)


@pytest.fixture
def one_hazard(client, tmp_path, sign_in):
    sign_in("im_officer", "SYNTHETIC officer")
    return add_hazards(client, tmp_path, [HAZARD], ["SYNTHETIC field"])[0]


def _patch(client, hazard_id, body, version="1", reason="checked on site"):
    headers = {"If-Match": f'"{version}"'} if version is not None else {}
    return client.patch(
        f"/api/v1/hazards/{hazard_id}", params={"reason": reason}, json=body, headers=headers
    )


# --- who may write -----------------------------------------------------------------------


@pytest.mark.parametrize("role", ["public", "viewer"])
def test_roles_that_only_read_are_refused_every_write_and_nothing_changes(
    client, store, tmp_path, one_hazard, sign_in, role
):
    sign_in(role)
    before = snapshot(store)
    src = write_layer(tmp_path / "more.geojson", [WEST], {"name": ["SYNTHETIC more"]})
    attempts = [
        _patch(client, one_hazard, {"name": "SYNTHETIC x"}),
        client.post("/api/v1/activities", json=collection()),
        client.post("/api/v1/qc", json=collection()),
        client.post("/api/v1/imports/hazards", files={"file": ("m.geojson", src.read_bytes())}),
        client.post("/api/v1/submissions/SB-000001/approve"),
        client.post("/api/v1/submissions/SB-000001/reject", params={"reason": "no"}),
    ]
    for r in attempts:
        if role == "public":  # signing in may help
            assert_problem(r, 401, "sign in first")
        else:
            assert_problem(r, 403, f"the {role} role may not do this")
    assert snapshot(store) == before


def test_an_operator_may_write_but_not_decide_on_submissions(client, one_hazard, sign_in):
    sign_in("operator", "SYNTHETIC operator")
    assert _patch(client, one_hazard, {"land_use": "SYNTHETIC pasture"}).status_code == 200
    r = client.post("/api/v1/submissions/SB-000001/approve")
    assert_problem(r, 403, "needs admin or im_officer")


# --- PATCH -------------------------------------------------------------------------------


def test_patch_edits_as_hazard_edit_with_the_principal_as_author(client, one_hazard, sign_in):
    sign_in("operator", "SYNTHETIC Oksana")
    r = _patch(
        client,
        one_hazard,
        {"name": "SYNTHETIC north field", "eo_types": ["PMN-2", "OZM-72"], "attributes.x": 3},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["name"] == "SYNTHETIC north field" and body["version"] == 2
    assert body["eo_types"] == ["PMN-2", "OZM-72"] and body["attributes"] == {"x": "3"}
    assert body["author"] == "SYNTHETIC Oksana" and body["reason"] == "checked on site"
    assert r.headers["etag"] == '"2"'
    assert client.get(f"/api/v1/hazards/{one_hazard}").headers["etag"] == '"2"'


def test_patch_without_if_match_is_428_and_a_stale_one_409_with_the_current_version(
    client, store, one_hazard, sign_in
):
    sign_in("operator")
    before = snapshot(store)
    body = assert_problem(_patch(client, one_hazard, {"name": "x"}, version=None), 428, "If-Match")
    assert body["title"] == "Precondition required"
    assert_problem(_patch(client, one_hazard, {"name": "x"}, version="abc"), 400, "If-Match")
    assert snapshot(store) == before
    assert _patch(client, one_hazard, {"name": "SYNTHETIC first"}).status_code == 200
    stale = assert_problem(_patch(client, one_hazard, {"name": "SYNTHETIC second"}), 409)
    assert stale["current_version"] == 2
    assert stale["current"]["name"] == "SYNTHETIC first" and stale["current"]["version"] == 2
    assert client.get(f"/api/v1/hazards/{one_hazard}").json()["name"] == "SYNTHETIC first"


def test_patch_refuses_what_hazard_edit_refuses(client, store, one_hazard, sign_in):
    sign_in("operator")
    before = snapshot(store)
    # status and areas change only through land release: 422, never an edit
    assert_problem(_patch(client, one_hazard, {"status": "closed"}), 422)
    assert_problem(_patch(client, one_hazard, {"cleared_m2": 5}), 422, "land release")
    assert_problem(_patch(client, one_hazard, {"colour": "red"}), 400, "no field 'colour'")
    assert_problem(_patch(client, one_hazard, {}), 400, "nothing to change")
    assert_problem(_patch(client, one_hazard, {"name": {"a": 1}}), 400, "a string, a number")
    assert_problem(_patch(client, one_hazard, ["name"]), 400, "a JSON object")
    assert_problem(_patch(client, one_hazard, {"name": "x"}, reason=" "), 400, "--reason")
    assert_problem(_patch(client, "HA-000099", {"name": "x"}), 404, "HA-000099")
    r = client.patch(
        f"/api/v1/hazards/{one_hazard}",
        params={"reason": "r"},
        content=b"{name: nope",
        headers={"If-Match": '"1"', "content-type": "application/json"},
    )
    assert_problem(r, 400, "not JSON")
    r = client.patch(f"/api/v1/hazards/{one_hazard}", json={"name": "x"}, headers={"If-Match": "1"})
    assert_problem(r, 422)  # reason missing
    assert snapshot(store) == before


# --- POST activities and qc ----------------------------------------------------------------


def _activity(hazard_id, kind="nts", geom=WEST, **kw):
    props = {
        "hazard_id": hazard_id,
        "kind": kind,
        "date": "2024-04-01",
        "organisation": "SYNTHETIC survey",
    }
    return feature(geom, **{**props, **kw})


def test_post_activities_releases_land_once_and_a_repeat_needs_again(
    client, store, one_hazard, sign_in
):
    sign_in("operator", "SYNTHETIC surveyor")
    body = collection(_activity(one_hazard))
    r = client.post("/api/v1/activities", json=body)
    assert r.status_code == 201, r.text
    assert r.json()["ids"] == ["LR-000001"] and r.json()["source"] == "request body"
    h = client.get(f"/api/v1/hazards/{one_hazard}").json()
    assert h["status"] == "in_progress" and h["released_m2"]["cancelled"] > 0
    hist = client.get("/api/v1/activities/LR-000001/history").json()
    assert hist[0]["author"] == "SYNTHETIC surveyor"
    before = snapshot(store)
    again = assert_problem(client.post("/api/v1/activities", json=body), 422, "already imported")
    assert "?again=true" in again["detail"] and "--again" not in again["detail"]
    assert snapshot(store) == before
    # a single Feature is taken too; with again=true the ledger lets it through to the rules
    r = client.post("/api/v1/activities", json=_activity(one_hazard, "clearance", HAZARD))
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/hazards/{one_hazard}").json()["status"] == "closed"


def test_post_activities_is_all_or_nothing_and_lists_every_problem(
    client, store, one_hazard, sign_in
):
    sign_in("operator")
    before = snapshot(store)
    body = collection(
        _activity(one_hazard),
        _activity(one_hazard, geom=shapely.Point(30.001, 50.001)),  # wrong geometry type
        _activity("HA-000099"),
        _activity(one_hazard, kind="wishful thinking"),
    )
    r = client.post("/api/v1/activities", json=body)
    problems = assert_problem(r, 422, "nothing was imported")["problems"]
    assert len(problems) == 3, problems
    assert problems[0].startswith("request body:feature 2: ")
    assert any("feature 3" in p and "HA-000099" in p for p in problems)
    assert any("feature 4" in p for p in problems)
    assert "/tmp" not in r.text and "clearground-post" not in r.text
    assert snapshot(store) == before


@pytest.mark.parametrize(
    "content, words",
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "a GeoJSON Feature or FeatureCollection"),
        (b'{"type": "Point", "coordinates": [30, 50]}', "a GeoJSON Feature or FeatureCollection"),
    ],
)
@pytest.mark.parametrize("url", ["/api/v1/activities", "/api/v1/qc"])
def test_post_features_refuses_a_body_that_is_no_feature(
    client, store, one_hazard, sign_in, url, content, words
):
    sign_in("operator")
    before = snapshot(store)
    r = client.post(url, content=content, headers={"content-type": "application/geo+json"})
    assert_problem(r, 400, words)
    assert snapshot(store) == before


def test_post_qc_a_failed_sample_returns_land(client, one_hazard, sign_in):
    sign_in("operator")
    clear = collection(_activity(one_hazard, "clearance", HAZARD))
    assert client.post("/api/v1/activities", json=clear).status_code == 201
    assert client.get(f"/api/v1/hazards/{one_hazard}").json()["status"] == "closed"
    sample = feature(
        shapely.box(30.002, 50.002, 30.004, 50.004),
        activity_id="LR-000001",
        date="2024-06-01",
        organisation="SYNTHETIC QC team",
        result="fail",
    )
    r = client.post("/api/v1/qc", json=collection(sample))
    assert r.status_code == 201, r.text
    h = client.get(f"/api/v1/hazards/{one_hazard}").json()
    assert h["status"] != "closed" and h["remaining_m2"] > 0
    assert client.get("/api/v1/qc").json()["items"][0]["result"] == "failed"


# --- POST imports/{kind} ------------------------------------------------------------------


def test_import_upload_is_all_or_nothing_naming_the_file_and_features(
    client, store, tmp_path, sign_in
):
    sign_in("operator")
    before = snapshot(store)
    src = write_layer(
        tmp_path / "field.geojson",
        [HAZARD, shapely.box(200, 50, 201, 51), HAZARD],
        {"name": ["SYNTHETIC a", "SYNTHETIC b", ""], "classification": ["CHA", "SHA", "XXX"]},
    )
    r = client.post(
        "/api/v1/imports/hazards", files={"file": ("C:\\survey\\field.geojson", src.read_bytes())}
    )
    problems = assert_problem(r, 422)["problems"]
    assert len(problems) == 2, problems
    assert problems[0].startswith("field.geojson:feature 2: ")
    assert problems[1].startswith("field.geojson:feature 3: ")
    assert "clearground-upload" not in r.text
    assert snapshot(store) == before


def test_import_upload_options_the_ledger_and_dry_run(client, store, tmp_path, sign_in):
    sign_in("im_officer", "SYNTHETIC officer")
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"NAME_EN": ["SYNTHETIC mapped"]})
    data = src.read_bytes()
    url = "/api/v1/imports/hazards"
    r = client.post(
        url, params={"map": "name=NAME_EN", "dry_run": "true"}, files={"file": ("h.geojson", data)}
    )
    assert r.status_code == 200 and r.json()["would_import"] == 1, r.text
    assert client.get("/api/v1/hazards").json()["items"] == []
    r = client.post(url, params={"map": "name=NAME_EN"}, files={"file": ("h.geojson", data)})
    assert r.status_code == 201 and r.json()["imported"] == 1
    assert client.get("/api/v1/hazards").json()["items"][0]["name"] == "SYNTHETIC mapped"
    assert client.get("/api/v1/hazards").json()["items"][0]["author"] == "SYNTHETIC officer"
    refused = client.post(url, params={"map": "name=NAME_EN"}, files={"file": ("h2.geojson", data)})
    assert_problem(refused, 422, "already imported", "?again=true")
    r = client.post(
        url, params={"map": "name=NAME_EN", "again": "true"}, files={"file": ("h.geojson", data)}
    )
    assert r.status_code == 201
    assert client.get("/api/v1/hazards").json()["number_matched"] == 2
    entries = [e for e in store.imports() if e.kind == "hazards"]
    assert [(e.again, e.author, e.source) for e in entries] == [
        (False, "SYNTHETIC officer", "h.geojson"),
        (True, "SYNTHETIC officer", "h.geojson"),
    ]


def test_import_upload_refusals(client, tmp_path, sign_in):
    sign_in("operator")
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC a"]})
    files = {"file": ("h.geojson", src.read_bytes())}
    assert_problem(client.post("/api/v1/imports/weapons", files=files), 404, "no import")
    assert_problem(client.post("/api/v1/imports/victim_personal", files=files), 404)
    r = client.post("/api/v1/imports/eo", params={"crs": "EPSG:32636"}, files=files)
    assert_problem(r, 400, "takes no crs")
    assert_problem(client.post("/api/v1/imports/odk", files=files), 400, "needs form")
    r = client.post("/api/v1/imports/hazards", content=b"x", headers={"content-type": "text/plain"})
    assert_problem(r, 400, "multipart/form-data")
    r = client.post("/api/v1/imports/hazards", files={"other": ("h.geojson", b"{}")})
    assert_problem(r, 400, "no file in a field named 'file'")
    r = client.post(
        "/api/v1/imports/hazards",
        content=b"--b\r\nbroken",
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert r.status_code == 400 and r.headers["content-type"].startswith("application/problem")
    r = client.post("/api/v1/imports/hazards", files={"file": ("h.docx", src.read_bytes())})
    assert_problem(r, 400, "h.docx")


@pytest.fixture
def small_client(store_url, monkeypatch):
    """A client of a server that takes uploads of at most 0.05 MiB."""
    from fastapi.testclient import TestClient

    from clearground.config import load_settings
    from clearground.web import create_app
    from clearground.web.deps import Principal, principal

    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    app = create_app(load_settings(None, db=store_url, upload_limit_mb=0.05))
    app.dependency_overrides[principal] = lambda: Principal("SYNTHETIC op", "operator")
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_an_upload_over_the_limit_is_413_and_nothing_is_written(small_client, store):
    before = snapshot(store)
    big = b'{"type": "FeatureCollection", "features": []}' + b" " * 60_000
    r = small_client.post("/api/v1/imports/hazards", files={"file": ("big.geojson", big)})
    assert_problem(r, 413, "upload_limit_mb")
    r = small_client.post(
        "/api/v1/activities", content=big, headers={"content-type": "application/json"}
    )
    assert_problem(r, 413)

    def chunks():  # no Content-Length: the server must count as it reads, and stop
        yield b"--b\r\nContent-Disposition: form-data; name=file; filename=a.geojson\r\n\r\n"
        for _ in range(100):
            yield b" " * 10_000

    r = small_client.post(
        "/api/v1/imports/hazards",
        content=chunks(),
        headers={"content-type": "multipart/form-data; boundary=b"},
    )
    assert_problem(r, 413)
    small = json.dumps(collection()).encode()
    r = small_client.post("/api/v1/imports/hazards", files={"file": ("s.geojson", small)})
    assert r.status_code != 413
    assert snapshot(store) == before
