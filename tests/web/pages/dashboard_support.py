"""One database and app per engine for the dashboard, report and users page tests: the
synthetic data of tests/dashboard_data.py, a user of each role (with a token) and a TestClient
over a real app (https, so the session cookie is sent)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from clearground.services import accounts
from clearground.store import open_store
from tests import dashboard_data
from tests.conftest import feature_assert_or_skip

PASSWORD = "SYNTHETIC correct horse"
USERS = {"admin": "ana", "im_officer": "ivan", "operator": "oleh", "viewer": "vik"}
#: Victims' personal data in the fixture: no page may show any of it.
NEEDLES = (dashboard_data.VICTIM_NAME, "Ivanenko", "+380 00 000 0000", "SYNTHETIC Deminer Name")


@dataclass
class PagesWorld:
    client: Any
    app: Any
    url: str
    tokens: dict[str, str]

    def get(self, path: str, role: str = "public", **kw):
        """GET as ``role`` (its Bearer token; the public sends none), not following redirects."""
        headers = dict(kw.pop("headers", {}))
        if role != "public":
            headers["Authorization"] = f"Bearer {self.tokens[role]}"
        self.client.cookies.clear()
        return self.client.get(path, headers=headers, follow_redirects=False, **kw)

    def sign_in(self, role: str) -> str:
        """Sign in through the login form (a session cookie); return the page's CSRF token."""
        self.client.cookies.clear()
        r = self.client.post(
            "/login", data={"name": USERS[role], "password": PASSWORD, "next": "/map"}
        )
        assert r.status_code == 200, r.text[:300]
        me = self.client.get("/api/v1/me").json()
        assert me["role"] == role
        return me["csrf_token"]


def world_for(request: pytest.FixtureRequest, tmp_path_factory) -> Any:
    """A generator fixture body: build the database on ``request.param``'s engine, yield the
    world, drop a PostGIS schema afterwards."""
    from fastapi.testclient import TestClient

    from clearground.config import load_settings
    from clearground.web import create_app

    schema = cluster = None
    tmp = tmp_path_factory.mktemp("pages")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'clearground.db'}"
    else:
        cluster = request.getfixturevalue("pg_cluster")
        if isinstance(cluster, str):
            feature_assert_or_skip(False, cluster)
        from tests.pgcluster import schema_name

        schema = schema_name(request.node.nodeid + "::pages")
        cluster.reset_schema(schema)
        url = cluster.url(schema=schema, application_name=schema)
    store = open_store(url)
    dashboard_data.build(store, tmp)
    tokens = {}
    for role, name in USERS.items():
        accounts.add_user(
            store,
            name,
            role=role,
            password=PASSWORD,
            actor="t",
            organisation="ORG-1" if role == "operator" else "",
            permissions=("victim_data",) if role in ("admin", "im_officer") else (),
        )
        tokens[role] = accounts.create_token(store, "pages", user=name, actor="t")[1]
    store.close()
    settings = load_settings(None, db=url, author="tester", login_rate_limit=1000)
    app = create_app(settings)
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False) as c:
        yield PagesWorld(c, app, url, tokens)
    if schema is not None:
        cluster.reset_schema(schema, create=False)
