"""The anonymous point check answered by web/fast_check.py gives, byte for byte, what the
FastAPI route gives (status, content type, body), and anything it does not handle still gets
the route's answer or refusal."""

from __future__ import annotations

import logging

import pytest

from clearground.web.fast_check import FastCheck, parse_query
from tests.helpers import hazard

QUERIES = [
    "lon=30.0&lat=50.0",  # on the synthetic hazard
    "lon=30.004&lat=50.003&buffer_m=200",
    "lon=30.01&lat=50.01&buffer_m=2000.5",
    "lon=33.2&lat=47.1",  # nothing near
    "lon=33.2&lat=47.1&buffer_m=0",
    "lon=33.2&lat=47.1&buffer_m=200&lang=uk",
    "lon=30.0&lat=50.0&lang=uk",
    "lon=10.0&lat=50.0",  # outside the region: never "No recorded hazard"
    "lon=50.4&lat=30.5",  # swapped: a 400 from the route
    "lon=-0&lat=50.0",
    "lon=181&lat=50",  # out of bounds: 422 from the route
    "lon=30&lat=abc",
    "lon=30&lat=50&lat=51",
    "lon=30&lat=50&buffer_m=-1",
    "lon=3e1&lat=5e1",
    "lon=30.0&lat=50.0&other=1",
    "lat=50",
    "",
]


def _client(settings, fast: bool):
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    app = create_app(settings)
    if not fast:
        app.user_middleware = [m for m in app.user_middleware if m.cls is not FastCheck]
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture
def recorded(store):
    with store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-000001")], author="SYNTHETIC seed", reason="test data")
        tx.commit()


def test_the_fast_answer_is_the_routes_answer(settings, store, recorded):
    with _client(settings, fast=False) as slow, _client(settings, fast=True) as fast:
        for q in QUERIES * 2:  # the second round: warm indexes
            a, b = slow.get(f"/api/v1/check?{q}"), fast.get(f"/api/v1/check?{q}")
            assert (a.status_code, a.headers["content-type"]) == (
                b.status_code,
                b.headers["content-type"],
            ), q
            if a.status_code == 200:
                assert a.content == b.content, q
                assert "safe" not in b.text.lower()
            else:
                assert a.json()["detail"] == b.json()["detail"], q
        # a signed-in caller (a token, even a bad one) goes to the route: a bad token is 401
        r = fast.get("/api/v1/check?lon=30&lat=50", headers={"Authorization": "Bearer nope"})
        assert r.status_code == 401


def test_the_fast_path_answers_a_warm_anonymous_check_itself(settings, store, recorded):
    with _client(settings, fast=True) as c:
        assert c.get("/api/v1/check?lon=33.2&lat=47.1").status_code == 200  # warms the index
        app = c.app
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/api/v1/check",
            "query_string": b"lon=33.2&lat=47.1",
            "headers": [(b"host", b"testserver")],
            "app": app,
        }
        body = FastCheck(app=None)._answer(scope)
        if store.engine == "sqlite":  # a warm answer without a wait
            assert body == c.get("/api/v1/check?lon=33.2&lat=47.1").content
        else:  # PostGIS's data version is a round trip unless pushed: the route answers
            assert body is None or body == c.get("/api/v1/check?lon=33.2&lat=47.1").content
        scope["headers"] = [(b"cookie", b"a=b")]
        assert FastCheck(app=None)._answer(scope) is None  # maybe signed in: the route


def test_each_fast_answer_has_its_log_line(settings, store, recorded, caplog):
    with _client(settings, fast=True) as c, caplog.at_level(logging.INFO, "clearground"):
        for _ in range(3):
            r = c.get("/api/v1/check?lon=33.2&lat=47.1", headers={"X-Request-ID": "fast-1"})
            assert r.status_code == 200 and r.headers["x-request-id"] == "fast-1"
    lines = [x.fields for x in caplog.records if x.name == "clearground.web.access"]
    assert len(lines) == 3
    for line in lines:
        assert line["request_id"] == "fast-1" and line["status"] == 200
        assert (line["user"], line["role"]) == ("public", "public")
        assert line["query"] == ["lat", "lon"]  # names only, never the place


def test_parse_query_takes_only_plain_values():
    assert parse_query(b"lon=30.5&lat=50") == (30.5, 50.0, 200.0, None)
    assert parse_query(b"lat=50&lon=-30.5&buffer_m=10&lang=uk") == (-30.5, 50.0, 10.0, "uk")
    for q in (b"", b"lon=30", b"lon=30&lat=50&lon=31", b"lon=30&lat=%35", b"lon=+3&lat=5"):
        assert parse_query(q) is None, q
    assert parse_query(b"lon=30&lat=50&buffer_m=100001") is None


def test_serve_builds_the_check_index_at_start_up(settings, recorded):
    """``clearground serve`` (``warm_check``) builds the check index in a background thread
    when the app starts, so the first anonymous check is answered warm, by the fast path."""
    import time

    from fastapi.testclient import TestClient

    from clearground.services.check_index import shared_index
    from clearground.web import create_app

    app = create_app(settings, warm_check=True)
    with TestClient(app) as client:
        index = shared_index(app.state.web.store)
        deadline = time.monotonic() + 30
        while index._snapshot is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert index._snapshot is not None and index.rebuilds == 1  # built before any check
        answer = client.get("/api/v1/check?lon=30.0&lat=50.0")
        assert answer.status_code == 200 and "hazards" in answer.json()
        assert index.rebuilds == 1  # the check used it
