"""Administrative areas with P-codes (COD-AB), for assigning P-codes to every spatial record."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 7
NAME = "admin_areas"

_COLUMNS = (
    ("name", "$.name", "TEXT"),
    ("level", "$.level", "INTEGER"),
    ("parent", "$.parent", "TEXT"),
)


def sqlite() -> list[str]:
    return versioned_table_sql(
        "sqlite", "admin_area", "admin_areas_current", "MULTIPOLYGON", _COLUMNS
    )


def postgis() -> list[str]:
    return versioned_table_sql(
        "postgis", "admin_area", "admin_areas_current", "MULTIPOLYGON", _COLUMNS
    )
