"""What the database covers: the coverage area an IM officer imports (``import coverage``)."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 9
NAME = "coverage"

_COLUMNS = (("name", "$.name", "TEXT"), ("source", "$.source", "TEXT"))


def sqlite() -> list[str]:
    return versioned_table_sql(
        "sqlite", "coverage_area", "coverage_current", "MULTIPOLYGON", _COLUMNS
    )


def postgis() -> list[str]:
    return versioned_table_sql(
        "postgis", "coverage_area", "coverage_current", "MULTIPOLYGON", _COLUMNS
    )
