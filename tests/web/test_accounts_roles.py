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


def _roles(public: int, viewer: int, others: int) -> dict[str, int]:
    """admin, im_officer and operator get ``others``."""
    return {"admin": others, "im_officer": others, "operator": others, "viewer": viewer,
            "public": public}  # fmt: skip


#: Reads: the public reads these JSON API collections (never any history), the viewer every
#: one but submissions, the other roles all. Stated here, not taken from web/deps.py.
PUBLIC_COLLECTIONS = ("hazards", "eo", "accidents", "locations", "coverage")
#: The one record each collection's one-record and history rows ask for: a recorded one
#: (200) where the fixture has it, else an id of none (404: let through, nothing found).
RECORD = {"hazards": "HA-000001", "accidents": "AC-000001", "organisations": ORG}
JSON_COLLECTIONS = (
    "hazards", "activities", "eo", "accidents", "minefields", "qc", "organisations", "tasks",
    "eore", "qa", "locations", "coverage", "submissions", "priority_runs",
)  # fmt: skip
#: OGC collections the public reads items of (the others: 401); everyone reads the landing
#: page, conformance, the API document, the collections' list and descriptions and queryables.
OGC_PUBLIC = ("hazard_areas", "eo_items", "accidents", "admin_areas")
OGC_SIGNED_IN = ("land_release_activities", "eore_sessions")

WRITE = _roles(401, 403, 0)  # 0: the status a writer gets, set per row
DECIDE = {**_roles(401, 403, 0), "operator": 403}


def _json_rows() -> dict[tuple[str, str], dict[str, int]]:
    out = {}
    for name in JSON_COLLECTIONS:
        public = 200 if name in PUBLIC_COLLECTIONS else 401
        viewer = 403 if name == "submissions" else 200
        found = 200 if name in RECORD else 404
        out[(f"/api/v1/{name}", "GET")] = _roles(public, viewer, 200)
        out[(f"/api/v1/{name}/{{record_id}}", "GET")] = _roles(
            public if public == 401 else found, viewer if viewer == 403 else found, found
        )
        out[(f"/api/v1/{name}/{{record_id}}/history", "GET")] = _roles(
            401, viewer if viewer == 403 else found, found
        )
    return out


def _writes(statuses: dict[str, int], allowed: int) -> dict[str, int]:
    return {role: allowed if s == 0 else s for role, s in statuses.items()}


#: (path, method) -> the status each role gets.
MATRIX: dict[tuple[str, str], dict[str, int]] = {
    ("/healthz", "GET"): ALL_200,
    ("/api/v1/check", "GET"): ALL_200,
    ("/api/v1/check", "POST"): ALL_200,
    ("/api/v1/login", "POST"): {**ALL_200, "public": 401},  # public: no account to sign in to
    ("/api/v1/logout", "POST"): dict.fromkeys(ROLES, 204),
    ("/api/v1/me", "GET"): ALL_200,
    ("/openapi.json", "GET"): ALL_200,
    ("/docs", "GET"): ALL_200,
    ("/docs/oauth2-redirect", "GET"): ALL_200,
    ("/redoc", "GET"): ALL_200,
    **_json_rows(),
    # writes: a body refused after the role check (400: no GeoJSON; 409: a stale If-Match;
    # 404: no such submission), so each proves the role was let through and changes nothing
    ("/api/v1/hazards/{record_id}", "PATCH"): _writes(WRITE, 409),
    ("/api/v1/activities", "POST"): _writes(WRITE, 400),
    ("/api/v1/qc", "POST"): _writes(WRITE, 400),
    ("/api/v1/imports/{kind}", "POST"): _writes(WRITE, 400),
    ("/api/v1/submissions/{record_id}/approve", "POST"): _writes(DECIDE, 404),
    ("/api/v1/submissions/{record_id}/reject", "POST"): _writes(DECIDE, 404),
    # OGC API - Features (the items rows ask for a collection the public may not read; the
    # public ones are in MORE below)
    ("/ogc", "GET"): ALL_200,
    ("/ogc/", "GET"): ALL_200,
    ("/ogc/api", "GET"): ALL_200,
    ("/ogc/conformance", "GET"): ALL_200,
    ("/ogc/collections", "GET"): ALL_200,
    ("/ogc/collections/{collection_id}", "GET"): ALL_200,
    ("/ogc/collections/{collection_id}/queryables", "GET"): ALL_200,
    ("/ogc/collections/{collection_id}/items", "GET"): _roles(401, 200, 200),
    ("/ogc/collections/{collection_id}/items/{feature_id}", "GET"): _roles(401, 404, 404),
    # vector tiles: hazard areas, EO items and admin areas, for everyone
    ("/tiles/{collection}.json", "GET"): ALL_200,
    ("/tiles/{collection}/{z}/{x}/{y}.mvt", "GET"): ALL_200,
    # pages (web/pages): the public is sent to sign in (303); Users is for admins only; its
    # form posts are refused after the role check (400: empty fields; 404: no such user/token)
    # the sign-in, map and records pages: the map for everyone (its layers are the public
    # ones for the public), the records and their history signed in
    ("/", "GET"): dict.fromkeys(ROLES, 303),  # to /map
    ("/static", "GET"): ALL_200,
    ("/login", "GET"): ALL_200,
    ("/login", "POST"): dict.fromkeys(ROLES, 400),  # no name or password given
    ("/logout", "POST"): dict.fromkeys(ROLES, 303),  # to /login
    ("/map", "GET"): ALL_200,
    ("/records", "GET"): _roles(303, 200, 200),
    ("/records/{kind}/{record_id}", "GET"): _roles(303, 200, 200),
    ("/dashboard", "GET"): _roles(303, 200, 200),
    ("/dashboard/{figure}.csv", "GET"): _roles(303, 200, 200),
    ("/report", "GET"): _roles(303, 200, 200),
    ("/users", "GET"): {**_roles(303, 403, 403), "admin": 200},
    ("/users", "POST"): {**_roles(303, 403, 403), "admin": 400},
    ("/users/{name}/disable", "POST"): {**_roles(303, 403, 403), "admin": 404},
    ("/users/tokens", "POST"): {**_roles(303, 403, 403), "admin": 400},
    ("/users/tokens/{token_id}/revoke", "POST"): {**_roles(303, 403, 403), "admin": 404},
}

_POINT = {"type": "Point", "coordinates": [30.005, 50.005]}
_STALE = {"If-Match": '"999"'}

#: What to send, where a bare call to the path would not do (``url`` for paths with {params}).
REQUESTS: dict[tuple[str, str], dict[str, Any]] = {
    ("/api/v1/check", "GET"): {"params": {"lon": 30.005, "lat": 50.005, "buffer_m": 500}},
    ("/api/v1/check", "POST"): {"json": _POINT, "params": {"buffer_m": 500}},
    **{
        (f"/api/v1/{name}/{{record_id}}{end}", "GET"): {
            "url": f"/api/v1/{name}/{RECORD.get(name, 'XX-999999')}{end}"
        }
        for name in JSON_COLLECTIONS
        for end in ("", "/history")
    },
    ("/api/v1/hazards/{record_id}", "PATCH"): {
        "url": "/api/v1/hazards/HA-000001",
        "params": {"reason": "SYNTHETIC matrix"},
        "json": {"name": "SYNTHETIC never written"},
        "headers": _STALE,
    },
    ("/api/v1/activities", "POST"): {"json": {}},
    ("/api/v1/qc", "POST"): {"json": {}},
    ("/api/v1/imports/{kind}", "POST"): {"url": "/api/v1/imports/hazards", "json": {}},
    ("/api/v1/submissions/{record_id}/approve", "POST"): {
        "url": "/api/v1/submissions/SB-999999/approve"
    },
    ("/api/v1/submissions/{record_id}/reject", "POST"): {
        "url": "/api/v1/submissions/SB-999999/reject",
        "params": {"reason": "SYNTHETIC matrix"},
    },
    ("/ogc/collections/{collection_id}", "GET"): {"url": "/ogc/collections/accidents"},
    ("/ogc/collections/{collection_id}/queryables", "GET"): {
        "url": "/ogc/collections/accidents/queryables"
    },
    ("/ogc/collections/{collection_id}/items", "GET"): {
        "url": "/ogc/collections/land_release_activities/items"
    },
    ("/ogc/collections/{collection_id}/items/{feature_id}", "GET"): {
        "url": "/ogc/collections/eore_sessions/items/ER-999999"
    },
    ("/login", "POST"): {"data": {"name": "", "password": ""}, "follow_redirects": False},
    ("/tiles/{collection}.json", "GET"): {"url": "/tiles/hazard_areas.json"},
    ("/tiles/{collection}/{z}/{x}/{y}.mvt", "GET"): {"url": "/tiles/hazard_areas/0/0/0.mvt"},
    **{
        (path, method): {"url": url, "follow_redirects": False}
        for path, method, url in (
            ("/", "GET", "/"),
            ("/static", "GET", "/static/css/base.css"),
            ("/login", "GET", "/login"),
            ("/logout", "POST", "/logout"),
            ("/map", "GET", "/map"),
            ("/records", "GET", "/records"),
            ("/records/{kind}/{record_id}", "GET", "/records/hazard/HA-000001"),
            ("/dashboard", "GET", "/dashboard"),
            ("/dashboard/{figure}.csv", "GET", "/dashboard/eo.csv"),
            ("/report", "GET", "/report"),
            ("/users", "GET", "/users"),
            ("/users", "POST", "/users"),
            ("/users/{name}/disable", "POST", "/users/nobody/disable"),
            ("/users/tokens", "POST", "/users/tokens"),
            ("/users/tokens/{token_id}/revoke", "POST", "/users/tokens/999999/revoke"),
        )
    },
}

#: More requests of routes above, with other arguments: every OGC collection's items and
#: description, one recorded feature of each public kind, the other tiled collections.
MORE: list[tuple[tuple[str, str], dict[str, Any], dict[str, int]]] = [
    *(
        (
            ("/ogc/collections/{collection_id}/items", "GET"),
            {"url": f"/ogc/collections/{c}/items"},
            ALL_200 if c in OGC_PUBLIC else _roles(401, 200, 200),
        )
        for c in OGC_PUBLIC + OGC_SIGNED_IN
    ),
    *(
        (("/ogc/collections/{collection_id}", "GET"), {"url": f"/ogc/collections/{c}"}, ALL_200)
        for c in OGC_PUBLIC + OGC_SIGNED_IN
    ),
    (
        ("/ogc/collections/{collection_id}/items/{feature_id}", "GET"),
        {"url": "/ogc/collections/accidents/items/AC-000001"},
        ALL_200,
    ),
    (
        ("/ogc/collections/{collection_id}/items/{feature_id}", "GET"),
        {"url": "/ogc/collections/hazard_areas/items/HA-000001"},
        ALL_200,
    ),
    (
        ("/ogc/collections/{collection_id}/items/{feature_id}", "GET"),
        {"url": "/ogc/collections/land_release_activities/items/LR-999999"},
        _roles(401, 404, 404),
    ),
    *(
        (("/tiles/{collection}.json", "GET"), {"url": f"/tiles/{c}.json"}, ALL_200)
        for c in ("eo_items", "admin_areas")
    ),
    *(
        (("/tiles/{collection}/{z}/{x}/{y}.mvt", "GET"), {"url": f"/tiles/{c}/0/0/0.mvt"}, ALL_200)
        for c in ("eo_items", "admin_areas")
    ),
]

#: The forms and review queue pages: the public is sent to sign in (303), a role that may not
#: gets the 403 page; a form without a place (400) and a submission of none (404) let the role
#: through and change nothing.
_PAGE_WRITE = _roles(303, 403, 0)
_PAGE_DECIDE = {**_roles(303, 403, 0), "operator": 403}
MATRIX.update(
    {
        ("/forms", "GET"): _writes(_PAGE_WRITE, 200),
        ("/forms/{name}", "GET"): _writes(_PAGE_WRITE, 200),
        ("/forms/{name}", "POST"): _writes(_PAGE_WRITE, 400),
        ("/review", "GET"): _writes(_PAGE_DECIDE, 200),
        ("/review/{sub_id}", "GET"): _writes(_PAGE_DECIDE, 404),
        ("/review/{sub_id}/approve", "POST"): _writes(_PAGE_DECIDE, 404),
        ("/review/{sub_id}/reject", "POST"): _writes(_PAGE_DECIDE, 404),
    }
)
_NO_REDIRECT = {"follow_redirects": False}
REQUESTS.update(
    {
        ("/forms", "GET"): _NO_REDIRECT,
        ("/forms/{name}", "GET"): {"url": "/forms/nts", **_NO_REDIRECT},
        ("/forms/{name}", "POST"): {"url": "/forms/nts", "data": {"x": "1"}, **_NO_REDIRECT},
        ("/review", "GET"): _NO_REDIRECT,
        ("/review/{sub_id}", "GET"): {"url": "/review/SB-999999", **_NO_REDIRECT},
        ("/review/{sub_id}/approve", "POST"): {
            "url": "/review/SB-999999/approve",
            "data": {"reason": ""},
            **_NO_REDIRECT,
        },
        ("/review/{sub_id}/reject", "POST"): {
            "url": "/review/SB-999999/reject",
            "data": {"reason": "SYNTHETIC matrix"},
            **_NO_REDIRECT,
        },
    }
)

#: (path, method, request, role, status): MATRIX with REQUESTS, then MORE. The write rows
#: change nothing, so the order of the rows does not matter.
ROWS = [
    (path, method, REQUESTS.get((path, method), {}), role, status)
    for (path, method), statuses in MATRIX.items()
    for role, status in statuses.items()
] + [
    (path, method, kw, role, status)
    for (path, method), kw, statuses in MORE
    for role, status in statuses.items()
]
IDS = [f"{m} {kw.get('url', p)} {r}" for p, m, kw, r, _ in ROWS]


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


def call(world: World, path: str, method: str, role: str, request: dict[str, Any] | None = None):
    """``method path`` as ``role``: its Bearer token, or nothing for the public; ``request``
    (else ``REQUESTS``'s entry) says what to send."""
    kw = dict(REQUESTS.get((path, method), {}) if request is None else request)
    url = kw.pop("url", path)
    headers = dict(kw.pop("headers", {}))
    if role != "public":
        headers["Authorization"] = f"Bearer {world.tokens[role]}"
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


@pytest.mark.parametrize(("path", "method", "request_", "role", "expected"), ROWS, ids=IDS)
def test_role_matrix(world, path, method, request_, role, expected):
    r = call(world, path, method, role, request_)
    assert r.status_code == expected, r.text[:500]
    if path == "/api/v1/me":
        assert r.json()["role"] == role
        assert r.json()["name"] == USERS.get(role, "public")


@pytest.mark.parametrize(
    ("path", "method", "request_", "role"),
    [(p, m, kw, r) for p, m, kw, r, _ in ROWS if r in ("public", "viewer")],
    ids=[i for i, row in zip(IDS, ROWS, strict=True) if row[3] in ("public", "viewer")],
)
def test_public_and_viewer_never_get_victims_personal_data(world, path, method, request_, role):
    r = call(world, path, method, role, request_)
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
