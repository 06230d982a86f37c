"""The role matrix: every route, called as every role, answers as the table below says, and
every answer ``public`` and ``viewer`` get is searched for victims' personal data.

The table is data: one row per (path, method) with the status each role gets. A route added to
the app without a row fails ``test_every_route_has_a_row`` (it walks ``app.routes``): add its
row to ``MATRIX`` (and, if it needs a concrete URL, query or body, to ``REQUESTS``). Each role
calls with a Bearer token of its own user; ``public`` sends no credentials.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Annotated, Any

import pytest
import shapely
from fastapi import Depends

from clearground.domain.errors import Forbidden, Unauthorized
from clearground.services import accounts
from clearground.store import open_store
from clearground.web.deps import Principal, principal, require_role
from tests.conftest import ENGINES, feature_assert_or_skip
from tests.helpers import hazard

ROLES = ("admin", "im_officer", "operator", "viewer", "public")
PASSWORD = "SYNTHETIC correct horse"
USERS = {"admin": "ana", "im_officer": "ivan", "operator": "oleh", "viewer": "vik"}
ORG = "ORG-000001"
#: Victims' synthetic personal data in the fixture, and the parts searched for.
VICTIM = {"name": "SYNTHETIC Zelda Qwertyuiop", "contact": "+000 SYNTHETIC 5551234"}
NOTE = "SYNTHETIC Xyzzyplugh lives by the well"
NEEDLES = ("Qwertyuiop", "5551234", "Xyzzyplugh")

ALL_200 = dict.fromkeys(ROLES, 200)

#: (path, method) -> the status each role gets.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("/healthz", "GET"): ALL_200,
    ("/api/v1/check", "GET"): ALL_200,
    ("/api/v1/login", "POST"): {**ALL_200, "public": 401},  # public: no account to sign in to
    ("/api/v1/logout", "POST"): dict.fromkeys(ROLES, 204),
    ("/api/v1/me", "GET"): ALL_200,
    ("/openapi.json", "GET"): ALL_200,
    ("/docs", "GET"): ALL_200,
    ("/docs/oauth2-redirect", "GET"): ALL_200,
    ("/redoc", "GET"): ALL_200,
}

#: What to send, where a bare call to the path would not do (``url`` for paths with {params}).
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/check", "GET"): {"params": {"lon": 30.005, "lat": 50.005, "buffer_m": 500}},
}

ROWS = [
    (path, method, role, status)
    for (path, method), statuses in MATRIX.items()
    for role, status in statuses.items()
]


@dataclass
class World:
    client: Any
    app: Any
    tokens: dict[str, str] = field(default_factory=dict)


def _populate(store) -> dict[str, str]:
    """An organisation, a user of each role with a token, a hazard, an accident whose victim
    has personal data; return each role's token."""
    from clearground.domain.records import (
        Accident,
        AgeGroup,
        Organisation,
        Sex,
        Victim,
        VictimOutcome,
        VictimPersonalData,
        VictimType,
    )

    victim = Victim(Sex.MALE, AgeGroup.ADULT, VictimType.CIVILIAN, VictimOutcome.INJURED)
    with store.transaction() as tx:
        tx.insert(
            "organisation",
            [Organisation(id=ORG, name="SYNTHETIC Demining")],
            author="t",
            reason="t",
        )
        tx.insert("hazard", [hazard("HA-000001", lon=30.0, lat=50.0)], author="t", reason="t")
        accident = Accident(
            id="AC-000001",
            geometry=shapely.Point(30.005, 50.005),
            date=datetime.date(2025, 5, 1),
            victims=(victim,),
            hazard_id="HA-000001",
        )
        tx.insert("accident", [accident], author="t", reason="t")
        personal = VictimPersonalData(
            id="AC-000001/1", accident_id="AC-000001", victim_no=1, notes=NOTE, **VICTIM
        )
        tx.insert("victim_personal", [personal], author="t", reason="t")
        tx.commit()
    tokens = {}
    for role, name in USERS.items():
        perms = ("victim_data",) if role in ("admin", "im_officer") else ()
        org = ORG if role == "operator" else ""
        accounts.add_user(
            store,
            name,
            role=role,
            password=PASSWORD,
            actor="t",
            organisation=org,
            permissions=perms,
        )
        tokens[role] = accounts.create_token(store, "matrix", user=name, actor="t")[1]
    return tokens


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    """One database and app per engine for the whole matrix (users cost an argon2 hash)."""
    from fastapi.testclient import TestClient

    from clearground.config import load_settings
    from clearground.web import create_app

    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('roles') / 'clearground.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        if isinstance(cluster, str):
            feature_assert_or_skip(False, cluster)
        from tests.pgcluster import schema_name

        schema = schema_name(request.node.nodeid + "::role_matrix")
        cluster.reset_schema(schema)
        url = cluster.url(schema=schema, application_name=schema)
    store = open_store(url)
    store.migrate()
    tokens = _populate(store)
    store.close()
    settings = load_settings(
        None, db=url, author="tester", login_rate_limit=1000, check_rate_limit=1000
    )
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield World(c, app, tokens)
    if schema is not None:
        cluster.reset_schema(schema, create=False)


def call(world: World, path: str, method: str, role: str):
    """``method path`` as ``role``: its Bearer token, or nothing for the public."""
    kw = dict(REQUESTS.get((path, method), {}))
    url = kw.pop("url", path)
    headers = {} if role == "public" else {"Authorization": f"Bearer {world.tokens[role]}"}
    if (path, method) == ("/api/v1/login", "POST"):
        name = USERS.get(role, "nobody")
        kw["json"] = {"name": name, "password": PASSWORD}
        headers = {}
    world.client.cookies.clear()
    return world.client.request(method, url, headers=headers, **kw)


def _flat(routes) -> list[Any]:
    """Every route with a path, also those of included routers (FastAPI >= 0.16x keeps them
    behind one entry, older ones flat) and mounts (as their path, GET)."""
    out = []
    for route in routes:
        if hasattr(route, "effective_route_contexts"):
            out += _flat(route.effective_route_contexts())
        elif getattr(route, "methods", None):
            out.append((route.path, route.methods))
        elif hasattr(route, "path"):  # a Mount: static files, a sub-application
            out.append((route.path, {"GET"}))
    return out


def _routes(app) -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, methods in _flat(app.routes)
        for method in methods
        if method not in ("HEAD", "OPTIONS")
    }


def test_every_route_has_a_row(world):
    missing = sorted(_routes(world.app) - set(MATRIX))
    assert missing == [], f"routes without a row in the role matrix: {missing}"
    gone = sorted(set(MATRIX) - _routes(world.app))
    assert gone == [], f"rows of the role matrix for no route: {gone}"
    for key, statuses in MATRIX.items():
        assert set(statuses) == set(ROLES), f"{key}: a status for every role"


@pytest.mark.parametrize(("path", "method", "role", "expected"), ROWS)
def test_role_matrix(world, path, method, role, expected):
    r = call(world, path, method, role)
    assert r.status_code == expected, r.text[:500]
    if path == "/api/v1/me":
        assert r.json()["role"] == role
        assert r.json()["name"] == USERS.get(role, "public")


@pytest.mark.parametrize(
    ("path", "method", "role"),
    [(p, m, r) for p, m, r, _ in ROWS if r in ("public", "viewer")],
)
def test_public_and_viewer_never_get_victims_personal_data(world, path, method, role):
    r = call(world, path, method, role)
    text = (r.text + " " + " ".join(f"{k}: {v}" for k, v in r.headers.items())).lower()
    assert [n for n in NEEDLES if n.lower() in text] == []


def test_the_fixture_does_hold_the_personal_data_searched_for(world):
    """The scan above looks for data that is there: the store has it."""
    store = open_store(world.app.state.web.settings.db)
    try:
        (personal,) = store.list("victim_personal")
    finally:
        store.close()
    assert personal.record.name == VICTIM["name"] and NEEDLES[0] in personal.record.name


def test_the_check_row_finds_the_recorded_hazard(world):
    body = call(world, "/api/v1/check", "GET", "public").json()
    assert [h["id"] for h in body["hazards"]] == ["HA-000001"]


# -- require_role and require_own_organisation, as routes call them ----------------------------

APPROVE = ("im_officer", "admin")
SUBMIT = ("operator", "im_officer", "admin")


@pytest.mark.parametrize(
    ("role", "allowed", "expected"),
    [
        ("admin", APPROVE, None),
        ("im_officer", APPROVE, None),
        ("operator", APPROVE, Forbidden),
        ("viewer", APPROVE, Forbidden),
        ("public", APPROVE, Unauthorized),
        ("admin", SUBMIT, None),
        ("im_officer", SUBMIT, None),
        ("operator", SUBMIT, None),
        ("viewer", SUBMIT, Forbidden),
        ("public", SUBMIT, Unauthorized),
    ],
)
def test_require_role(role, allowed, expected):
    who = Principal(name=f"SYNTHETIC {role}", role=role)
    if expected is None:
        assert require_role(who, *allowed) is who
        return
    with pytest.raises(expected) as err:
        require_role(who, *allowed)
    assert type(err.value) is expected
    assert err.value.http_status == (401 if expected is Unauthorized else 403)


@dataclass
class _Task:
    organisation_id: str


@dataclass
class _Activity:
    organisation: str


@dataclass
class _Hazard:
    name: str


OWN, OTHER = _Task(ORG), _Task("ORG-000002")


@pytest.mark.parametrize(
    ("role", "record", "expected"),
    [
        ("admin", OTHER, None),
        ("im_officer", OTHER, None),
        ("im_officer", _Hazard("x"), None),
        ("operator", OWN, None),
        ("operator", _Activity(ORG), None),
        ("operator", OTHER, Forbidden),
        ("operator", _Activity("ORG-000002"), Forbidden),
        ("operator", _Hazard("x"), Forbidden),
        ("viewer", OWN, Forbidden),
        ("public", OWN, Unauthorized),
    ],
)
def test_require_own_organisation(role, record, expected):
    from clearground.web.deps import Principal, require_own_organisation

    who = Principal(name="SYNTHETIC x", role=role, organisation=ORG if role == "operator" else "")
    if expected is None:
        assert require_own_organisation(who, record) is who
        return
    with pytest.raises(expected) as err:
        require_own_organisation(who, record)
    assert type(err.value) is expected


def test_an_operator_without_organisation_owns_nothing():
    from clearground.web.deps import Principal, require_own_organisation

    with pytest.raises(Forbidden):
        require_own_organisation(Principal("x", "operator"), _Task(""), organisation="")


def test_a_route_that_requires_a_role_answers_401_to_the_public_and_403_to_a_viewer(
    settings, store
):
    """The answers a write route gets from require_role, over HTTP, with the author's name."""
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    app = create_app(settings)

    @app.post("/test-only/write")
    def write(who: Annotated[Principal, Depends(principal)]) -> dict[str, str]:
        require_role(who, *SUBMIT)
        return {"author": who.name}

    accounts.add_user(store, "vik", role="viewer", password=PASSWORD, actor="t")
    accounts.add_user(store, "ivan", role="im_officer", password=PASSWORD, actor="t")
    viewer = accounts.create_token(store, "t", user="vik", actor="t")[1]
    officer = accounts.create_token(store, "t", user="ivan", actor="t")[1]
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        r = c.post("/test-only/write")
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
        assert r.headers["content-type"].startswith("application/problem+json")
        r = c.post("/test-only/write", headers={"Authorization": f"Bearer {viewer}"})
        assert r.status_code == 403
        r = c.post("/test-only/write", headers={"Authorization": f"Bearer {officer}"})
        assert r.status_code == 200 and r.json() == {"author": "ivan"}
        # a browser session's write needs the CSRF token
        login = c.post("/api/v1/login", json={"name": "ivan", "password": PASSWORD}).json()
        assert c.post("/test-only/write").status_code == 403
        r = c.post("/test-only/write", headers={"X-CSRF-Token": login["csrf_token"]})
        assert r.status_code == 200 and r.json() == {"author": "ivan"}
