"""The app's frame: health, the public point check (same answer as the CLI), problem details."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from clearground.cli.serve import is_loopback


def test_healthz_names_the_schema_version(client, store):
    r = client.get("/healthz")
    assert r.status_code == 200
    assert r.json()["schema_version"] == store.schema_version()


def test_point_check_on_an_empty_database_says_nothing_is_known(client):
    r = client.get("/api/v1/check", params={"lon": 30.5, "lat": 50.4})
    assert r.status_code == 200
    body = r.json()
    assert body["covered"] is False
    assert "No recorded hazard" not in body["message"]
    assert "safe" not in json.dumps(body).lower()


def test_point_check_answers_as_the_cli_does(client, store):
    from clearground.services.check import check
    from tests.helpers import hazard

    with store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-000001", lon=30.5, lat=50.4)], author="t", reason="t")
        tx.commit()
    r = client.get("/api/v1/check", params={"lon": 30.505, "lat": 50.405, "buffer_m": 0})
    assert r.status_code == 200
    import shapely

    expected = check(store, shapely.Point(30.505, 50.405), buffer_m=0)
    assert r.json() == json.loads(json.dumps(expected))
    assert [h["id"] for h in r.json()["hazards"]] == ["HA-000001"]


def test_bad_parameters_are_problem_details_not_a_traceback(client):
    r = client.get("/api/v1/check", params={"lon": "east", "lat": 95})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 422 and {p["where"] for p in body["problems"]} >= {
        "query.lon",
        "query.lat",
    }
    assert "Traceback" not in r.text


def test_an_unknown_route_is_a_problem_404(client):
    r = client.get("/api/v1/nowhere")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_real_server_on_loopback_answers_a_real_client(server):
    with urllib.request.urlopen(server + "/healthz", timeout=5) as r:
        assert json.loads(r.read())["status"] == "ok"
    try:
        urllib.request.urlopen(server + "/api/v1/check?lon=30&lat=abc", timeout=5)
    except urllib.error.HTTPError as exc:
        assert exc.code == 422
        assert exc.headers["content-type"].startswith("application/problem+json")
    else:
        raise AssertionError("a bad latitude was accepted")


def test_serve_refuses_a_public_address_without_a_secret(store_url, capsys, monkeypatch):
    from clearground.cli import main
    from clearground.domain.errors import BadInput

    monkeypatch.delenv("CLEARGROUND_SECRET_KEY", raising=False)
    code = main(["--db", store_url, "serve", "--host", "0.0.0.0", "--port", "1"])
    assert code == BadInput.exit_code
    assert "secret_key" in capsys.readouterr().err


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")
