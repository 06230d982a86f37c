"""Every failure the JSON API can produce is problem details (RFC 9457) from the one handler,
never a traceback; and a real client against a real server sees the same."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from tests.web.api_support import HAZARD, add_hazards, assert_problem, sign_in_fixture  # noqa: F401 (fixture)


def test_each_kind_of_failure_is_problem_details(client, tmp_path, sign_in):
    got = {}
    got[404] = client.get("/api/v1/hazards/HA-000404")
    got[400] = client.get("/api/v1/hazards", params={"bbox": "1,2,3"})
    got[401] = client.post("/api/v1/activities", json={})  # the public: sign in first
    sign_in("viewer")
    got[403] = client.post("/api/v1/activities", json={})  # a viewer may not write
    sign_in("operator")
    hazard_id = add_hazards(client, tmp_path, [HAZARD], ["SYNTHETIC field"])[0]
    url = f"/api/v1/hazards/{hazard_id}"
    got[428] = client.patch(url, params={"reason": "r"}, json={"name": "x"})
    got[409] = client.patch(
        url, params={"reason": "r"}, json={"name": "x"}, headers={"If-Match": "7"}
    )
    got[422] = client.post(
        "/api/v1/activities",
        json={
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {},
                    "geometry": {"type": "Point", "coordinates": [30, 50]},
                }
            ],
        },
    )
    settings = client.app.state.web.settings
    limit = settings.upload_limit_mb
    try:
        settings.upload_limit_mb = 0.001
        got[413] = client.post(
            "/api/v1/qc", content=b" " * 2000, headers={"content-type": "application/json"}
        )
    finally:
        settings.upload_limit_mb = limit
    for status, r in sorted(got.items()):
        body = assert_problem(r, status)
        assert set(body) >= {"type", "title", "status", "detail"}
    assert got[409].json()["current_version"] == 1
    assert got[422].json()["problems"]


def test_a_real_client_reads_and_is_refused_a_write(server):
    with urllib.request.urlopen(server + "/api/v1/hazards?limit=5", timeout=10) as r:
        assert r.status == 200
        body = json.loads(r.read())
    assert body["items"] == [] and body["number_matched"] == 0 and body["next_cursor"] is None
    request = urllib.request.Request(
        server + "/api/v1/activities",
        data=json.dumps({"type": "FeatureCollection", "features": []}).encode(),
        headers={"content-type": "application/geo+json"},
        method="POST",
    )
    try:
        urllib.request.urlopen(request, timeout=10)
    except urllib.error.HTTPError as exc:
        assert exc.code == 401
        assert exc.headers["content-type"].startswith("application/problem+json")
        problem = json.loads(exc.read())
        assert problem["status"] == 401 and "sign in first" in problem["detail"]
    else:
        raise AssertionError("the public was allowed to write")
