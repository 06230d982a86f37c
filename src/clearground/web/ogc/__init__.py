"""The OGC API under ``/ogc``: a landing page, the conformance declaration and an OpenAPI 3.0
document assembled from its parts (today OGC API - Features, ``web.ogc.features``).

A part is a module with ``CONFORMANCE`` (its conformance classes), ``landing_links(base)``,
``openapi_paths()`` and ``router()``; adding one to :data:`PARTS` serves it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from clearground.web.ogc import features

__all__ = ["PARTS", "api_document", "conformance", "landing", "router"]

PARTS = (features,)
PREFIX = "/ogc"


def landing(base: str, query) -> tuple[int, Any, dict[str, str]]:
    """The landing page: what this API is and where its parts are."""
    from clearground.web.ogc.openapi import OPENAPI_JSON

    features.parse_format(query)
    links = [
        {"href": base, "rel": "self", "type": "application/json", "title": "this page"},
        {"href": f"{base}/api", "rel": "service-desc", "type": OPENAPI_JSON, "title": "OpenAPI"},
        {"href": f"{base}/conformance", "rel": "conformance", "type": "application/json"},
        {
            "href": f"{base}/conformance",
            "rel": "http://www.opengis.net/def/rel/ogc/1.0/conformance",
            "type": "application/json",
        },
    ]
    for part in PARTS:
        links.extend(part.landing_links(base))
    body = {
        "title": "clearground OGC API",
        "description": (
            "Recorded hazard areas, land release activities, EO items, accidents (no personal "
            "data), EORE sessions and administrative areas. What is recorded, in CRS84; "
            "unrecorded hazards may exist."
        ),
        "links": links,
    }
    return 200, body, {}


def conformance(query) -> tuple[int, Any, dict[str, str]]:
    features.parse_format(query)
    classes = [
        "http://www.opengis.net/spec/ogcapi-common-1/1.0/conf/core",
        *(c for part in PARTS for c in part.CONFORMANCE),
    ]
    return 200, {"conformsTo": classes}, {}


def api_document(base: str, query) -> tuple[int, Any, dict[str, str]]:
    from clearground import __version__
    from clearground.web.ogc.openapi import OPENAPI_JSON, document

    features.parse_format(query)
    paths: dict[str, Any] = {}
    for part in PARTS:
        paths.update(part.openapi_paths())
    return 200, document(base, __version__, paths), {"Content-Type": OPENAPI_JSON}


def router() -> APIRouter:
    """Every route of the OGC API, under ``/ogc``; they are described by ``/ogc/api``, not by
    the app's ``/openapi.json``."""
    from clearground.web.ogc.features import base_of, query_of, respond

    r = APIRouter(prefix=PREFIX, include_in_schema=False, tags=["OGC API"])

    @r.get("")
    @r.get("/")
    def get_landing(request: Request) -> Response:
        return respond(landing(base_of(request), query_of(request)), request)

    @r.get("/conformance")
    def get_conformance(request: Request) -> Response:
        return respond(conformance(query_of(request)), request)

    @r.get("/api")
    def get_api(request: Request) -> Response:
        return respond(api_document(base_of(request), query_of(request)), request)

    for part in PARTS:
        r.include_router(part.router())
    return r
