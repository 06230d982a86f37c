"""Signing in over HTTP on each engine: sessions and their cookie's flags, CSRF on cookie
writes, Bearer tokens (revoked, unknown, disabled: 401), one answer for a wrong password and an
unknown user, rate limits (429 with Retry-After), and the per-process key without secret_key."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest

from clearground.services import accounts

PASSWORD = "SYNTHETIC correct horse"
HTTPS = "https://testserver"


@pytest.fixture
def users(store):
    """An admin (ana) and a viewer (vik), and a token of each: {name: token}."""
    tokens = {}
    for name, role in (("ana", "admin"), ("vik", "viewer")):
        accounts.add_user(store, name, role=role, password=PASSWORD, actor="t")
        tokens[name] = accounts.create_token(store, "sync", user=name, actor="t")[1]
    return tokens


def _client(settings, base_url: str = HTTPS, **overrides) -> Iterator:
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    app = create_app(settings.model_copy(update=overrides))
    return TestClient(app, base_url=base_url, raise_server_exceptions=False)


@pytest.fixture
def browser(settings, users) -> Iterator:
    """A client over https (so that a Secure cookie is sent back), users in the database."""
    with _client(settings) as c:
        yield c


def _login(c, name="ana", password=PASSWORD, **kw):
    return c.post("/api/v1/login", json={"name": name, "password": password}, **kw)


def test_login_sets_an_httponly_lax_secure_cookie_and_me_knows_the_user(browser):
    r = _login(browser)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["role"], body["signed_in"], body["via"]) == (
        "ana",
        "admin",
        True,
        "session",
    )
    assert body["csrf_token"]
    cookie = r.headers["set-cookie"]
    flags = {f.strip().split("=")[0].lower() for f in cookie.split(";")[1:]}
    assert {"httponly", "secure", "samesite", "max-age", "path"} <= flags
    assert "samesite=lax" in cookie.lower()
    assert PASSWORD not in cookie and PASSWORD not in r.text
    me = browser.get("/api/v1/me").json()
    assert (me["name"], me["role"], me["csrf_token"]) == ("ana", "admin", body["csrf_token"])


def test_a_form_login_works_as_json_does(browser):
    r = browser.post("/api/v1/login", data={"name": "vik", "password": PASSWORD})
    assert r.status_code == 200 and r.json()["role"] == "viewer"


def test_a_wrong_password_and_an_unknown_user_get_the_same_answer(browser):
    wrong = _login(browser, password=PASSWORD + "x")
    unknown = _login(browser, name="nobody")
    bad_name = _login(browser, name="-- drop")
    for r in (wrong, unknown, bad_name):
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        assert "set-cookie" not in r.headers
    same = [{k: v for k, v in r.json().items() if k != "request_id"} for r in (wrong, unknown)]
    assert (
        same[0]
        == same[1]
        == {
            k: v
            for k, v in bad_name.json().items()
            if k != "request_id"  # each request's own id
        }
    )
    assert browser.get("/api/v1/me").json()["role"] == "public"


def test_an_unknown_user_costs_a_password_verification(store, monkeypatch):
    """The same time: an unknown name is verified against a dummy argon2 hash."""
    from clearground.domain.errors import Unauthorized

    seen = []
    real = accounts._verify
    monkeypatch.setattr(accounts, "_verify", lambda h, p: seen.append(h) or real(h, p))
    accounts.add_user(store, "ana", role="viewer", password=PASSWORD, actor="t")
    for name in ("ana", "nobody", "-- bad"):
        with pytest.raises(Unauthorized):
            accounts.authenticate_password(store, name, "wrong password 123")
    assert len(seen) == 3 and all(h.startswith("$argon2id$") for h in seen)


def test_a_disabled_user_cannot_sign_in_and_loses_sessions_and_tokens(browser, store, users):
    assert _login(browser).status_code == 200
    accounts.disable_user(store, "ana", actor="t")
    assert browser.get("/api/v1/me").json()["role"] == "public"
    r = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {users['ana']}"})
    assert r.status_code == 401
    assert _login(browser).status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"[1]",
        b'{"name": "ana"}',
        b'{"name": 1, "password": 2}',
        b'{"name": "", "password": ""}',
        b"\xff\xfe",
    ],
)
def test_a_malformed_login_is_400_not_500(browser, body):
    r = browser.post("/api/v1/login", content=body, headers={"content-type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_login_of_another_media_type_or_too_long_is_refused(browser):
    r = browser.post("/api/v1/login", content=b"name=ana", headers={"content-type": "text/plain"})
    assert r.status_code == 400
    big = json.dumps({"name": "ana", "password": "x" * 70_000})
    r = browser.post("/api/v1/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "too long" in r.json()["detail"]


def test_a_cookie_write_without_the_csrf_header_is_refused(browser):
    token = _login(browser).json()["csrf_token"]
    refused = browser.post("/api/v1/logout")
    assert refused.status_code == 403 and "X-CSRF-Token" in refused.json()["detail"]
    other = token[:-1] + ("B" if token.endswith("A") else "A")
    wrong = browser.post("/api/v1/logout", headers={"X-CSRF-Token": other})
    assert wrong.status_code == 403
    assert browser.get("/api/v1/me").json()["name"] == "ana"  # still signed in
    r = browser.post("/api/v1/logout", headers={"X-CSRF-Token": token})
    assert r.status_code == 204
    assert "max-age=0" in r.headers["set-cookie"].lower()
    assert browser.get("/api/v1/me").json()["role"] == "public"


def test_a_session_ended_by_logout_stays_ended_with_its_old_cookie(browser):
    r = _login(browser)
    cookie = browser.cookies.get("clearground_session")
    browser.post("/api/v1/logout", headers={"X-CSRF-Token": r.json()["csrf_token"]})
    browser.cookies.set("clearground_session", cookie, domain="testserver.local")
    assert browser.get("/api/v1/me").json()["role"] == "public"


def test_a_forged_or_tampered_cookie_is_the_public(browser):
    _login(browser)
    good = browser.cookies.get("clearground_session")
    secret, expires, mac = good.split(".")
    for forged in (f"{secret}.{int(expires) + 1}.{mac}", f"x{secret}.{expires}.{mac}", "junk"):
        browser.cookies.clear()
        browser.cookies.set("clearground_session", forged, domain="testserver.local")
        assert browser.get("/api/v1/me").json()["role"] == "public"


def test_bearer_tokens_work_without_csrf_and_bad_ones_are_401(browser, store, users):
    r = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {users['vik']}"})
    assert r.status_code == 200
    assert (r.json()["name"], r.json()["via"], "csrf_token" in r.json()) == ("vik", "token", False)
    r = browser.post("/api/v1/logout", headers={"Authorization": f"Bearer {users['vik']}"})
    assert r.status_code == 204  # a Bearer write needs no CSRF token
    for header in (
        "Bearer cg_unknown",
        "Bearer not-even-ours",
        "Bearer ",
        "Basic YW5hOnB3",
        users["vik"],
    ):
        r = browser.get("/api/v1/me", headers={"Authorization": header})
        assert r.status_code == 401, header
        assert r.headers["www-authenticate"].startswith("Bearer")
    token = next(t for t in store.tokens() if t.user == "vik")
    accounts.revoke_token(store, token.id, actor="t")
    r = browser.get("/api/v1/me", headers={"Authorization": f"Bearer {users['vik']}"})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]


def test_a_token_use_is_recorded(browser, store, users):
    browser.get("/api/v1/me", headers={"Authorization": f"Bearer {users['ana']}"})
    (token,) = [t for t in store.tokens() if t.user == "ana"]
    assert token.last_used_at is not None


def test_logins_past_the_limit_get_429_with_retry_after(settings, users):
    with _client(settings, login_rate_limit=3) as c:
        codes = [_login(c, password="wrong password 12").status_code for _ in range(5)]
        assert codes == [401, 401, 401, 429, 429]
        r = _login(c)  # the right password too: the limit is on attempts
        assert r.status_code == 429
        assert r.headers["content-type"].startswith("application/problem+json")
        assert 1 <= int(r.headers["retry-after"]) <= 61


def test_failed_tokens_past_the_limit_get_429_but_good_tokens_still_work(settings, users):
    with _client(settings, login_rate_limit=2) as c:
        bad = {"Authorization": "Bearer cg_wrong"}
        codes = [c.get("/api/v1/me", headers=bad).status_code for _ in range(4)]
        assert codes == [401, 401, 429, 429]
        good = {"Authorization": f"Bearer {users['ana']}"}
        assert c.get("/api/v1/me", headers=good).status_code == 200


def test_anonymous_checks_past_the_limit_get_429_and_signed_in_ones_do_not(settings, users):
    where = {"lon": 30.5, "lat": 50.4}
    with _client(settings, check_rate_limit=5) as c:
        codes = [c.get("/api/v1/check", params=where).status_code for _ in range(7)]
        assert codes == [200] * 5 + [429] * 2
        r = c.get("/api/v1/check", params=where)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert int(r.headers["retry-after"]) >= 1
        forged = {"Cookie": "clearground_session=a.99999999999.b"}
        assert c.get("/api/v1/check", params=where, headers=forged).status_code == 429
        token = {"Authorization": f"Bearer {users['vik']}"}
        codes = [c.get("/api/v1/check", params=where, headers=token).status_code for _ in range(7)]
        assert codes == [200] * 7
        _login(c, "vik")
        assert c.get("/api/v1/check", params=where).status_code == 200


def test_the_rate_limiter_slides(settings):
    from clearground.web.auth import RateLimiter

    limiter = RateLimiter(2, window=60)
    assert [limiter.hit("a", now=t) for t in (0, 10)] == [0, 0]
    assert limiter.hit("a", now=30) == 30  # the first hit leaves the window at 60
    assert limiter.hit("b", now=30) == 0  # per address
    assert limiter.hit("a", now=60.5) == 0
    assert limiter.hit("a", now=61) == pytest.approx(9)
    small = RateLimiter(1, window=60, max_keys=2)
    for key in "xyz":
        small.hit(key, now=0)
    assert small.hit("x", now=1) == 0  # forgotten (least recently used) past max_keys


def test_sessions_signed_with_the_secret_key_outlive_the_app(settings, users):
    keyed = {"secret_key": "SYNTHETIC-0123456789abcdef"}
    with _client(settings, **keyed) as first:
        _login(first)
        cookie = first.cookies.get("clearground_session")
    with _client(settings, **keyed) as second:
        second.cookies.set("clearground_session", cookie, domain="testserver.local")
        assert second.get("/api/v1/me").json()["name"] == "ana"
    with _client(settings, secret_key="SYNTHETIC-another-key-000") as third:
        third.cookies.set("clearground_session", cookie, domain="testserver.local")
        assert third.get("/api/v1/me").json()["role"] == "public"


def test_a_real_server_on_loopback_sends_a_cookie_without_secure(server, store):
    accounts.add_user(store, "ana", role="admin", password=PASSWORD, actor="t")
    data = json.dumps({"name": "ana", "password": PASSWORD}).encode()
    req = urllib.request.Request(
        server + "/api/v1/login", data=data, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=10) as r:
        cookie = r.headers["set-cookie"]
        csrf = json.loads(r.read())["csrf_token"]
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()
    session = cookie.split(";")[0]
    me = urllib.request.Request(server + "/api/v1/me", headers={"Cookie": session})
    with urllib.request.urlopen(me, timeout=10) as r:
        assert json.loads(r.read())["name"] == "ana"
    out = urllib.request.Request(
        server + "/api/v1/logout", method="POST", headers={"Cookie": session}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(out, timeout=10)
    assert refused.value.code == 403
    out.add_header("X-CSRF-Token", csrf)
    with urllib.request.urlopen(out, timeout=10) as r:
        assert r.status == 204
    # behind a proxy (forwarded headers) the cookie is Secure even on loopback
    req.add_header("X-Forwarded-Proto", "https")
    with urllib.request.urlopen(req, timeout=10) as r:
        assert "secure" in r.headers["set-cookie"].lower()
