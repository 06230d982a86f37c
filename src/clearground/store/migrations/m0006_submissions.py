"""Field submissions waiting for review, with the record each would become."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 6
NAME = "submissions"

_COLUMNS = (
    ("kind", "$.kind", "TEXT"),
    ("status", "$.status", "TEXT"),
    ("submitted_by", "$.submitted_by", "TEXT"),
    ("source", "$.source", "TEXT"),
    ("record_id", "$.record_id", "TEXT"),
)


def sqlite() -> list[str]:
    return versioned_table_sql("sqlite", "submission", "submissions_current", "GEOMETRY", _COLUMNS)


def postgis() -> list[str]:
    return versioned_table_sql("postgis", "submission", "submissions_current", "GEOMETRY", _COLUMNS)
