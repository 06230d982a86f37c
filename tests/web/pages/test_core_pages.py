"""The core pages over TestClient on each engine: sign-in and its redirects, CSRF on HTML
forms, the language cookie, the SYNTHETIC banner, role denials, the records pages, as_of
tiles."""

from __future__ import annotations

import re

import pytest

HTTPS = "https://testserver"  # the session cookie is Secure off loopback


@pytest.fixture
def site(store_url, monkeypatch):
    from fastapi.testclient import TestClient

    from clearground.cli import main
    from clearground.config import load_settings
    from clearground.demo_web import add_web_demo
    from clearground.store import open_store
    from clearground.web import create_app

    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    assert main(["--db", store_url, "demo", "--hazards", "12"]) == 0
    settings = load_settings(None, db=store_url, author="tester")
    store = open_store(store_url, require_schema=True)
    try:
        logins = add_web_demo(store, settings)
    finally:
        store.close()
    with TestClient(create_app(settings), base_url=HTTPS) as c:
        yield c, logins


def _sign_in(c, logins, name, next="/map"):
    r = c.post(
        "/login",
        data={"name": name, "password": logins[name], "next": next},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return r


def test_sign_in_redirects_to_next_and_only_on_this_site(site):
    c, logins = site
    r = c.get("/records", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Frecords"
    bad = c.post("/login", data={"name": "demo-imo", "password": "wrong", "next": "/records"})
    assert bad.status_code == 401 and "The name or the password is wrong." in bad.text
    assert _sign_in(c, logins, "demo-imo", "//elsewhere.example").headers["location"] == "/map"
    assert _sign_in(c, logins, "demo-imo", "/records").headers["location"] == "/records"
    page = c.get("/records")
    assert page.status_code == 200 and "records match" in page.text
    assert "SYNTHETIC data" in page.text


def test_logout_form_needs_its_csrf_token(site):
    c, logins = site
    _sign_in(c, logins, "demo-viewer")
    page = c.get("/map").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    refused = c.post("/logout", data={"csrf_token": "forged"}, follow_redirects=False)
    assert refused.status_code == 403 and "text/html" in refused.headers["content-type"]
    assert c.get("/api/v1/me").json()["signed_in"] is True
    done = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert c.get("/api/v1/me").json()["signed_in"] is False


def test_language_is_chosen_and_remembered(site):
    c, _ = site
    r = c.get("/login?lang=uk")
    assert r.headers["content-language"] == "uk" and r.cookies.get("lang") == "uk"
    assert '<html lang="uk">' in r.text and "Увійти" in r.text
    again = c.get("/map")
    assert again.headers["content-language"] == "uk" and "Шари" in again.text
    assert "Layers" in c.get("/map?lang=en").text


def test_records_list_filters_and_history(site):
    c, logins = site
    _sign_in(c, logins, "demo-imo")
    cha = c.get("/records?kind=hazard&classification=CHA").text
    sha = c.get("/records?kind=hazard&classification=SHA").text
    ids = set(re.findall(r"/records/hazard/(HA-\d+)", cha))
    assert ids and ids.isdisjoint(re.findall(r"/records/hazard/(HA-\d+)", sha))
    assert "0 records match" in c.get("/records?as_of=2000-01-01").text
    bad = c.get("/records?date_from=yesterday")
    assert bad.status_code == 400 and "date_from" in bad.text
    hid = sorted(ids)[0]
    detail = c.get(f"/records/hazard/{hid}")
    assert (
        detail.status_code == 200
        and "Version 1" in detail.text
        and "First recorded." in detail.text
    )
    assert c.get("/records/hazard/HA-999999").status_code == 404
    assert c.get("/records/victim/X").status_code == 404


def test_as_of_tiles_need_a_signed_in_reader(site):
    c, logins = site
    assert c.get("/tiles/hazard_areas/0/0/0.mvt?as_of=2000-01-01").status_code == 401
    assert c.get("/map?as_of=2000-01-01", follow_redirects=False).status_code == 303
    _sign_in(c, logins, "demo-viewer")
    then = c.get("/tiles/hazard_areas/0/0/0.mvt?as_of=2000-01-01")
    now = c.get("/tiles/hazard_areas/0/0/0.mvt")
    assert then.status_code == 200 and now.status_code == 200
    assert len(then.content) < len(now.content)
    assert then.headers["etag"] != now.headers["etag"]
    assert c.get("/tiles/hazard_areas/0/0/0.mvt?as_of=soon").status_code == 400
    assert c.get("/tiles/accidents/0/0/0.mvt").status_code == 200
