"""Shared by the JSON API tests: signing in as a role (until accounts exist, by overriding the
``principal`` dependency), GeoJSON bodies, and the shape every problem has."""

from __future__ import annotations

import json
from typing import Any

import pytest
import shapely

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)


@pytest.fixture(name="sign_in")
def sign_in_fixture(client):
    """``sign_in(role)``: every later request of ``client`` is made by that role."""
    from clearground.web.deps import Principal, principal

    def as_role(role: str, name: str | None = None) -> Principal:
        who = Principal(name=name or f"SYNTHETIC {role}", role=role)
        client.app.dependency_overrides[principal] = lambda: who
        return who

    yield as_role
    client.app.dependency_overrides.clear()


def feature(geometry, **properties: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": properties,
        "geometry": json.loads(shapely.to_geojson(geometry)),
    }


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def assert_problem(r, status: int, *words: str) -> dict[str, Any]:
    """``r`` is problem details (RFC 9457) of ``status`` whose detail or problems hold ``words``."""
    assert r.status_code == status, (r.status_code, r.text)
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers
    body = r.json()
    assert body["status"] == status and body["type"] == "about:blank"
    assert isinstance(body["title"], str) and body["title"]
    assert isinstance(body["detail"], str) and body["detail"]
    assert "Traceback" not in r.text
    text = body["detail"] + " ".join(str(p) for p in body.get("problems", []))
    for w in words:
        assert w in text, (w, body)
    return body


def add_hazards(client, tmp_path, geoms, names, **fields):
    """Hazards imported through the API by an IM officer (the caller signs in first)."""
    from tests.helpers import write_layer

    src = write_layer(tmp_path / "hz.geojson", geoms, {"name": names, **fields})
    with src.open("rb") as f:
        r = client.post("/api/v1/imports/hazards", files={"file": ("hz.geojson", f)})
    assert r.status_code == 201, r.text
    return r.json()["ids"]
