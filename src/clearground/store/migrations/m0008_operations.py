"""Organisations, tasks, risk education sessions and QA visits."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 8
NAME = "operations"

_TABLES = (
    (
        "organisation",
        "organisations_current",
        "POINT",
        (
            ("name", "$.name", "TEXT"),
            ("kind", "$.kind", "TEXT"),
            ("accreditation_from", "$.accreditation_from", "TEXT"),
            ("accreditation_to", "$.accreditation_to", "TEXT"),
        ),
    ),
    (
        "task",
        "tasks_current",
        "MULTIPOLYGON",
        (
            ("hazard_id", "$.hazard_id", "TEXT"),
            ("organisation_id", "$.organisation_id", "TEXT"),
            ("kind", "$.kind", "TEXT"),
            ("issued", "$.issued", "TEXT"),
            ("status", "$.status", "TEXT"),
        ),
    ),
    (
        "eore_session",
        "eore_sessions_current",
        "GEOMETRY",
        (
            ("date", "$.date", "TEXT"),
            ("organisation_id", "$.organisation_id", "TEXT"),
            ("girls", "$.girls", "INTEGER"),
            ("boys", "$.boys", "INTEGER"),
            ("women", "$.women", "INTEGER"),
            ("men", "$.men", "INTEGER"),
            ("admin_pcode", "$.admin_pcode", "TEXT"),
        ),
    ),
    (
        "qa_visit",
        "qa_visits_current",
        "POINT",
        (
            ("date", "$.date", "TEXT"),
            ("activity_id", "$.activity_id", "TEXT"),
            ("inspecting_organisation", "$.inspecting_organisation", "TEXT"),
        ),
    ),
)


def _statements(engine: str) -> list[str]:
    out: list[str] = []
    for table, view, geometry_type, columns in _TABLES:
        out += versioned_table_sql(engine, table, view, geometry_type, columns)
    return out


def sqlite() -> list[str]:
    return _statements("sqlite")


def postgis() -> list[str]:
    return _statements("postgis")
