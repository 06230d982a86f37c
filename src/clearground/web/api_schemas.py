"""What the JSON API's successful answers hold, as JSON Schema in ``/openapi.json``, so that a
client (and schemathesis, which checks every answer against them) knows their shape. Records
keep the CLI's JSON keys, which differ per kind: only what every kind has is fixed here."""

from __future__ import annotations

from typing import Any

__all__ = ["CHECK", "HEALTH", "HISTORY", "PAGE", "RECORD", "ok"]

_RECORD_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["id"],
    "properties": {"id": {"type": "string"}},
}

HEALTH: dict[str, Any] = {
    "type": "object",
    "required": ["status", "database", "schema_version"],
    "properties": {
        "status": {"type": "string", "enum": ["ok"]},
        "database": {"type": "string", "description": "the database URL, password masked"},
        "schema_version": {"type": "integer", "minimum": 1},
    },
}

CHECK: dict[str, Any] = {
    "type": "object",
    "required": ["hazards", "message", "covered", "buffer_m"],
    "properties": {
        "buffer_m": {"type": "number", "minimum": 0},
        "hazards": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "distance_m"],
                "properties": {"id": {"type": "string"}, "distance_m": {"type": "number"}},
            },
        },
        "message": {"type": "string"},
        "message_key": {"type": "string"},
        "message_args": {"type": "object"},
        "message_uk": {"type": "string"},
        "covered": {"type": "boolean"},
        "coverage_uk": {"type": "string"},  # with lang=uk: what the database covers
    },
}

PAGE: dict[str, Any] = {
    "type": "object",
    "required": [
        "collection",
        "items",
        "number_matched",
        "number_returned",
        "limit",
        "offset",
        "next_cursor",
    ],
    "properties": {
        "collection": {"type": "string"},
        "items": {"type": "array", "items": _RECORD_SCHEMA},
        "number_matched": {"type": "integer", "minimum": 0},
        "number_returned": {"type": "integer", "minimum": 0},
        "limit": {"type": "integer", "minimum": 1},
        "offset": {"type": ["integer", "null"], "minimum": 0},
        "next_cursor": {"type": ["string", "null"]},
    },
}

RECORD = _RECORD_SCHEMA

HISTORY: dict[str, Any] = {"type": "array", "items": {"type": "object"}}

ETAG = {"ETag": {"description": "the record's version", "schema": {"type": "string"}}}


def ok(schema: dict[str, Any], *, headers: dict[str, Any] | None = None) -> dict[int, Any]:
    """``responses`` for a route whose 200 is JSON of ``schema``."""
    out: dict[str, Any] = {
        "description": "Successful Response",
        "content": {"application/json": {"schema": schema}},
    }
    if headers:
        out["headers"] = headers
    return {200: out}
