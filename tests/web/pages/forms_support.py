"""Shared by the forms and review page tests: real accounts of each role, signed in through the
sign-in page (the session cookie), the CSRF token read from a page's hidden field, and a
hazard recorded by an IM officer's form."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import shapely

PASSWORD = "SYNTHETIC correct horse battery"
HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)
ORG = "ORG-SYN1"
#: name -> (role, permissions)
PEOPLE = {
    "olena": ("operator", ()),
    "ivan": ("im_officer", ()),
    "medic": ("im_officer", ("victim_data",)),
    "ana": ("admin", ()),
    "vik": ("viewer", ()),
}


@pytest.fixture(name="people")
def people_fixture(store, tmp_path):
    from clearground.services import accounts
    from clearground.services.operations import import_records
    from tests.helpers import write_layer

    orgs = write_layer(
        tmp_path / "orgs.gpkg",
        [None],
        {"id": [ORG], "name": ["SYNTHETIC demining NGO"], "kind": ["ngo"]},
        geometry_type="Unknown",
    )
    import_records(store, "organisation", orgs, author="SYNTHETIC setup")
    for name, (role, perms) in PEOPLE.items():
        accounts.add_user(
            store,
            name,
            role=role,
            password=PASSWORD,
            actor="SYNTHETIC setup",
            organisation=ORG if role == "operator" else "",
            permissions=perms,
        )
    return PEOPLE


@pytest.fixture(name="web")
def web_fixture(settings, people) -> Iterator:
    """A browser-like client over https (the session cookie is Secure) with the accounts."""
    from fastapi.testclient import TestClient

    from clearground.web import create_app

    with TestClient(
        create_app(settings), base_url="https://testserver", raise_server_exceptions=False
    ) as c:
        yield c


def sign_in(c, name: str) -> None:
    c.cookies.clear()
    r = c.post("/login", data={"name": name, "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 303, r.text


def csrf(c, path: str) -> str:
    r = c.get(path)
    assert r.status_code == 200, r.text
    m = re.search(r'name="csrf_token" value="([^"]+)"', r.text)
    assert m, "no csrf_token field"
    return m.group(1)


def field_html(html: str, name: str) -> str:
    """The HTML of the ``.field`` block that holds input ``f-NAME`` (its label to its end)."""
    at = html.index(f'id="f-{name}"')
    start = html.rfind('<div class="field', 0, at)
    end = html.find('<div class="field', at)
    return html[start : end if end != -1 else len(html)]


def record_hazard(store, tmp_path) -> str:
    from clearground.services.hazards import import_hazards
    from tests.helpers import write_layer

    src = write_layer(tmp_path / "hz.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    return import_hazards(store, src, author="SYNTHETIC officer").ids[0]
