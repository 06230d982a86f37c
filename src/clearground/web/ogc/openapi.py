"""The OpenAPI 3.0 description of the OGC API part (``/ogc/api``): written out here, since the
app's own ``/openapi.json`` is OpenAPI 3.1 and OGC clients read 3.0."""

from __future__ import annotations

from typing import Any

from clearground.web.ogc.collections import COLLECTIONS
from clearground.web.ogc.crs import SUPPORTED
from clearground.web.ogc.params import DEFAULT_LIMIT, MAX_LIMIT

__all__ = ["document", "feature_paths"]

OPENAPI_JSON = "application/vnd.oai.openapi+json;version=3.0"

_PROBLEM = {
    "description": "problem details (RFC 9457) naming what was wrong",
    "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/problem"}}},
}


def _json(description: str, schema: dict[str, Any], media: str = "application/json"):
    return {"description": description, "content": {media: {"schema": schema}}}


def _query(name: str, description: str, schema: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
        "style": "form",
        "explode": False,
        **extra,
    }


PARAMETERS: dict[str, Any] = {
    "f": _query(
        "f", "the format: json (the only one served)", {"type": "string", "enum": ["json"]}
    ),
    "collectionId": {
        "name": "collectionId",
        "in": "path",
        "required": True,
        "description": "the collection",
        "schema": {"type": "string", "enum": list(COLLECTIONS)},
    },
    "featureId": {
        "name": "featureId",
        "in": "path",
        "required": True,
        "description": "a feature's id (the record's id; an administrative area's P-code)",
        "schema": {"type": "string"},
    },
    "limit": _query(
        "limit",
        f"features a page holds (default {DEFAULT_LIMIT}; over {MAX_LIMIT} is served as "
        f"{MAX_LIMIT})",
        {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    ),
    "offset": _query(
        "offset", "features to skip (the next link carries it)", {"type": "integer", "minimum": 0}
    ),
    "bbox": _query(
        "bbox",
        "minlon,minlat,maxlon,maxlat (CRS84): features whose geometry meets the box",
        {"type": "array", "minItems": 4, "maxItems": 6, "items": {"type": "number"}},
    ),
    "bbox-crs": _query(
        "bbox-crs",
        "the bbox's CRS: CRS84 (lon first, the default) or EPSG:4326 (lat first)",
        {"type": "string", "format": "uri", "enum": list(SUPPORTED)},
    ),
    "crs": _query(
        "crs",
        "the CRS of the features' coordinates: CRS84 (lon/lat, the default) or EPSG:4326 "
        "(lat/lon); the answer's Content-Crs header names it",
        {"type": "string", "format": "uri", "enum": list(SUPPORTED)},
    ),
    "datetime": _query(
        "datetime",
        "an RFC 3339 instant or interval (start/end, '..' open); a date is its whole day. It "
        "reads the date each collection names in its description; a feature without a date "
        "never matches",
        {"type": "string"},
    ),
    "filter": _query(
        "filter",
        "CQL2 text: comparisons, LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT on the queryables, and "
        "S_INTERSECTS(geometry, <WKT or BBOX>)",
        {"type": "string"},
    ),
    "filter-lang": _query(
        "filter-lang",
        "cql2-text (the default and only one)",
        {"type": "string", "enum": ["cql2-text"]},
    ),
    "filter-crs": _query(
        "filter-crs", "the CRS of the filter's geometries: CRS84 only", {"type": "string"}
    ),
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def feature_paths() -> dict[str, Any]:
    """The paths of OGC API - Features Core and Part 3."""
    plain = [_ref("f")]
    any_object = {"type": "object"}
    return {
        "/collections": {
            "get": {
                "operationId": "getCollections",
                "summary": "the collections",
                "parameters": plain,
                "responses": {"200": _json("the collections", any_object), "400": _PROBLEM},
            }
        },
        "/collections/{collectionId}": {
            "get": {
                "operationId": "describeCollection",
                "summary": "one collection, with its extent",
                "parameters": [_ref("collectionId"), *plain],
                "responses": {
                    "200": _json("the collection", any_object),
                    "400": _PROBLEM,
                    "404": _PROBLEM,
                },
            }
        },
        "/collections/{collectionId}/queryables": {
            "get": {
                "operationId": "getQueryables",
                "summary": "the properties a filter may name (JSON Schema)",
                "parameters": [_ref("collectionId"), *plain],
                "responses": {
                    "200": _json("JSON Schema", any_object, "application/schema+json"),
                    "404": _PROBLEM,
                },
            }
        },
        "/collections/{collectionId}/items": {
            "get": {
                "operationId": "getFeatures",
                "summary": "a page of features (GeoJSON)",
                "parameters": [
                    _ref("collectionId"),
                    *(_ref(n) for n in ("limit", "offset", "bbox", "bbox-crs", "crs", "datetime")),
                    *(_ref(n) for n in ("filter", "filter-lang", "filter-crs", "f")),
                ],
                "responses": {
                    "200": _json("a GeoJSON FeatureCollection", any_object, "application/geo+json"),
                    "400": _PROBLEM,
                    "404": _PROBLEM,
                },
            }
        },
        "/collections/{collectionId}/items/{featureId}": {
            "get": {
                "operationId": "getFeature",
                "summary": "one feature (GeoJSON)",
                "parameters": [_ref("collectionId"), _ref("featureId"), _ref("crs"), *plain],
                "responses": {
                    "200": _json("a GeoJSON Feature", any_object, "application/geo+json"),
                    "400": _PROBLEM,
                    "404": _PROBLEM,
                },
            }
        },
    }


def document(base: str, version: str, part_paths: dict[str, Any]) -> dict[str, Any]:
    """The OpenAPI 3.0 document of the OGC part served at ``base``."""
    plain = [_ref("f")]
    core = {
        "/": {
            "get": {
                "operationId": "getLandingPage",
                "summary": "the landing page",
                "parameters": plain,
                "responses": {"200": _json("the landing page", {"type": "object"})},
            }
        },
        "/conformance": {
            "get": {
                "operationId": "getConformanceDeclaration",
                "summary": "the conformance classes this API implements",
                "parameters": plain,
                "responses": {"200": _json("conformsTo", {"type": "object"})},
            }
        },
        "/api": {
            "get": {
                "operationId": "getApiDescription",
                "summary": "this document",
                "parameters": plain,
                "responses": {"200": _json("OpenAPI 3.0", {"type": "object"}, OPENAPI_JSON)},
            }
        },
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "clearground OGC API - Features",
            "version": version,
            "description": (
                "Recorded hazard areas, land release, EO items, accidents (no personal data), "
                "EORE sessions and administrative areas as OGC API - Features. It says what is "
                "recorded; unrecorded hazards may exist."
            ),
            "license": {"name": "AGPL-3.0-or-later"},
        },
        "servers": [{"url": base}],
        "paths": {**core, **part_paths},
        "components": {
            "parameters": PARAMETERS,
            "schemas": {
                "problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                }
            },
        },
    }
