"""Minefield records handed over by armed forces (CCW Amended Protocol II)."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 4
NAME = "minefield_records"

_COLUMNS = (
    ("hazard_id", "$.hazard_id", "TEXT"),
    ("device_count", "$.device_count", "INTEGER"),
    ("marking", "$.marking", "TEXT"),
    ("emplaced_from", "$.emplaced_from", "TEXT"),
    ("claimed_deactivation_date", "$.claimed_deactivation_date", "TEXT"),
)


def sqlite() -> list[str]:
    return versioned_table_sql(
        "sqlite", "minefield_record", "minefield_records_current", "MULTIPOLYGON", _COLUMNS
    )


def postgis() -> list[str]:
    return versioned_table_sql(
        "postgis", "minefield_record", "minefield_records_current", "MULTIPOLYGON", _COLUMNS
    )
