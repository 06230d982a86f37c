"""Hazard areas, land release activities, their events, id sequences."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 1
NAME = "initial"

_HAZARD_COLUMNS = (
    ("name", "$.name", "TEXT"),
    ("classification", "$.classification", "TEXT"),
    ("status", "$.status", "TEXT"),
    ("area_m2", "$.area_m2", "REAL"),
    ("cancelled_m2", "$.released.cancelled", "REAL"),
    ("reduced_m2", "$.released.reduced", "REAL"),
    ("cleared_m2", "$.released.cleared", "REAL"),
    ("date_reported", "$.date_reported", "TEXT"),
    ("admin_pcode", "$.admin_pcode", "TEXT"),
)
_ACTIVITY_COLUMNS = (
    ("hazard_id", "$.hazard_id", "TEXT"),
    ("kind", "$.kind", "TEXT"),
    ("outcome", "$.outcome", "TEXT"),
    ("date", "$.date", "TEXT"),
    ("organisation", "$.organisation", "TEXT"),
    ("released_m2", "$.released_m2", "REAL"),
)


def _common(engine: str) -> list[str]:
    key = "INTEGER PRIMARY KEY" if engine == "sqlite" else "bigserial PRIMARY KEY"
    detail = "TEXT" if engine == "sqlite" else "jsonb"
    return [
        "CREATE TABLE sequences (kind TEXT PRIMARY KEY, last_value BIGINT NOT NULL)",
        f"""CREATE TABLE hazard_events (
  seq {key},
  hazard_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  evidence TEXT NOT NULL,
  at TEXT NOT NULL,
  author TEXT NOT NULL,
  detail {detail} NOT NULL
)""",
        "CREATE INDEX hazard_events_hazard ON hazard_events (hazard_id)",
    ]


def sqlite() -> list[str]:
    return (
        _common("sqlite")
        + versioned_table_sql(
            "sqlite", "hazard_area", "hazard_areas_current", "MULTIPOLYGON", _HAZARD_COLUMNS
        )
        + versioned_table_sql(
            "sqlite",
            "land_release_activity",
            "land_release_activities_current",
            "MULTIPOLYGON",
            _ACTIVITY_COLUMNS,
        )
    )


def postgis() -> list[str]:
    return (
        ["CREATE EXTENSION IF NOT EXISTS postgis"]
        + _common("postgis")
        + versioned_table_sql(
            "postgis", "hazard_area", "hazard_areas_current", "MULTIPOLYGON", _HAZARD_COLUMNS
        )
        + versioned_table_sql(
            "postgis",
            "land_release_activity",
            "land_release_activities_current",
            "MULTIPOLYGON",
            _ACTIVITY_COLUMNS,
        )
    )
