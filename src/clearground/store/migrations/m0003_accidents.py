"""Accidents, and the personal data of their victims in a table of its own."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 3
NAME = "accidents"

_ACCIDENT_COLUMNS = (
    ("date", "$.date", "TEXT"),
    ("eo_category", "$.eo_category", "TEXT"),
    ("activity", "$.activity", "TEXT"),
    ("killed", "$.killed", "INTEGER"),
    ("injured", "$.injured", "INTEGER"),
    ("hazard_id", "$.hazard_id", "TEXT"),
    ("evidence_status", "$.evidence_status", "TEXT"),
)
_PERSONAL_COLUMNS = (
    ("accident_id", "$.accident_id", "TEXT"),
    ("victim_no", "$.victim_no", "INTEGER"),
)


def _statements(engine: str) -> list[str]:
    return versioned_table_sql(
        engine, "accident", "accidents_current", "POINT", _ACCIDENT_COLUMNS
    ) + versioned_table_sql(
        engine, "victim_personal", "victim_personal_current", "POINT", _PERSONAL_COLUMNS
    )


def sqlite() -> list[str]:
    return _statements("sqlite")


def postgis() -> list[str]:
    return _statements("postgis")
