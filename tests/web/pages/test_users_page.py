"""The Users page (admin only), on each engine: accounts, roles, organisations and tokens listed;
adding and disabling accounts, creating and revoking tokens through the page's forms, each
with the session's CSRF token; every other role refused."""

from __future__ import annotations

import re

import pytest

from clearground.store import open_store
from tests.conftest import ENGINES
from tests.web.pages.dashboard_support import PASSWORD, USERS, world_for


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    yield from world_for(request, tmp_path_factory)


def _users(world) -> dict:
    store = open_store(world.url)
    try:
        return {u.name: u for u in store.users()}
    finally:
        store.close()


def test_admin_sees_accounts_tokens_organisations_and_roles(world):
    r = world.get("/users", "admin")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    for name in USERS.values():
        assert f'<th scope="row">{name}</th>' in html
    assert "SYNTHETIC Operator One" in html and "ORG-1" in html
    assert html.count('action="/users/tokens/') >= 4  # a revoke form for each live token
    assert 'name="csrf_token"' in html
    for heading in ("Accounts", "API tokens", "Organisations", "Roles"):
        assert f">{heading}</h2>" in html
    assert "password_hash" not in html and "$argon2" not in html


@pytest.mark.parametrize("role", ["viewer", "operator", "im_officer"])
def test_other_roles_may_not_see_or_use_it(world, role):
    r = world.get("/users", role)
    assert r.status_code == 403 and "Not allowed" in r.text
    csrf = world.sign_in(role)
    before = _users(world)
    r = world.client.post(
        "/users",
        data={"csrf_token": csrf, "name": f"x-{role}", "role": "admin", "password": PASSWORD + "x"},
    )
    assert r.status_code == 403
    r = world.client.post("/users/ana/disable", data={"csrf_token": csrf})
    assert r.status_code == 403
    assert _users(world) == before


def test_the_public_is_sent_to_sign_in(world):
    r = world.get("/users")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Fusers"


def test_admin_adds_an_account_with_the_csrf_token_only(world):
    csrf = world.sign_in("admin")
    form = {"name": "nadia", "role": "operator", "organisation": "ORG-2", "password": PASSWORD}
    refused = world.client.post("/users", data=form)  # no CSRF token: refused, nothing added
    assert refused.status_code == 403
    assert "nadia" not in _users(world)
    r = world.client.post("/users", data={**form, "csrf_token": csrf})
    assert r.status_code == 200, r.text[:500]
    assert "User nadia added." in r.text
    added = _users(world)["nadia"]
    assert (added.role, added.organisation, added.created_by) == ("operator", "ORG-2", "ana")


def test_a_refused_account_says_why_beside_the_form_and_adds_nothing(world):
    csrf = world.sign_in("admin")
    cases = [
        ({"name": "weak1", "role": "viewer", "password": "short"}, "password refused"),
        ({"name": "op1", "role": "operator", "password": PASSWORD}, "give --organisation"),
        ({"name": "vik", "role": "viewer", "password": PASSWORD}, "exists already"),
        (
            {"name": "v2", "role": "viewer", "password": PASSWORD, "victim_data": "1"},
            "no victim_data",
        ),
    ]
    for form, message in cases:
        before = _users(world)
        r = world.client.post("/users", data={**form, "csrf_token": csrf})
        assert r.status_code == 400
        assert re.search(r'id="add-error">[^<]*' + re.escape(message), r.text), message
        assert f'value="{form["name"]}"' in r.text  # the form keeps what was typed
        assert _users(world) == before


def test_a_token_is_shown_once_works_and_stops_when_revoked(world):
    csrf = world.sign_in("admin")
    r = world.client.post(
        "/users/tokens", data={"csrf_token": csrf, "token_name": "SYNTHETIC QGIS", "user": "vik"}
    )
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    secret = re.search(r'id="new-token-secret"[^>]*value="(cg_[^"]+)"', r.text).group(1)
    token_id = re.search(r"Token (\d+) for vik", r.text).group(1)
    assert secret not in world.get("/users", "admin").text  # never shown again
    world.client.cookies.clear()
    me = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200 and me.json()["name"] == "vik"
    world.sign_in("admin")
    csrf = world.client.get("/api/v1/me").json()["csrf_token"]
    r = world.client.post(f"/users/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert r.status_code == 200 and f"Token {token_id} revoked." in r.text
    again = world.client.post(f"/users/tokens/{token_id}/revoke", data={"csrf_token": csrf})
    assert f"Token {token_id} was revoked already." in again.text
    world.client.cookies.clear()
    me = world.client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 401
    world.sign_in("admin")
    csrf = world.client.get("/api/v1/me").json()["csrf_token"]
    r = world.client.post("/users/tokens/999999/revoke", data={"csrf_token": csrf})
    assert r.status_code == 404


def test_disabling_an_account_ends_its_sign_in(world):
    csrf = world.sign_in("admin")
    form = {"name": "dora", "role": "viewer", "password": PASSWORD, "csrf_token": csrf}
    assert world.client.post("/users", data=form).status_code == 200
    r = world.client.post("/users/dora/disable", data={"csrf_token": csrf})
    assert r.status_code == 200 and "User dora disabled" in r.text
    assert _users(world)["dora"].disabled_by == "ana"
    r = world.client.post("/users/ana/disable", data={"csrf_token": csrf})
    assert r.status_code == 400 and "cannot disable your own account" in r.text
    assert not _users(world)["ana"].disabled
    world.client.cookies.clear()
    r = world.client.post("/login", data={"name": "dora", "password": PASSWORD, "next": "/map"})
    assert r.status_code == 401


def test_the_page_in_ukrainian(world):
    html = world.get("/users?lang=uk", "admin").text
    assert "<h1>Користувачі</h1>" in html
    assert "Токени API" in html and "Додати обліковий запис" in html
