"""Quality control samples of released land (IMAS 07.12)."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 5
NAME = "qc_samples"

_COLUMNS = (
    ("activity_id", "$.activity_id", "TEXT"),
    ("hazard_id", "$.hazard_id", "TEXT"),
    ("date", "$.date", "TEXT"),
    ("organisation", "$.organisation", "TEXT"),
    ("result", "$.result", "TEXT"),
    ("returned_m2", "$.returned_m2", "REAL"),
)


def sqlite() -> list[str]:
    return versioned_table_sql(
        "sqlite", "qc_sample", "qc_samples_current", "MULTIPOLYGON", _COLUMNS
    )


def postgis() -> list[str]:
    return versioned_table_sql(
        "postgis", "qc_sample", "qc_samples_current", "MULTIPOLYGON", _COLUMNS
    )
