"""Prioritisation runs (``clearground prioritise``): one versioned record per run, its current
view registered as a GeoPackage layer (the extent of the hazards it ranked)."""

from __future__ import annotations

from clearground.store.gpkg import register_layer_sql
from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 13
NAME = "priority_runs"

_COLUMNS = (
    ("time", "$.time", "TEXT"),
    ("run_date", "$.run_date", "TEXT"),
    ("hazard_count", "$.hazard_count", "INTEGER"),
)


def sqlite() -> list[str]:
    out = versioned_table_sql(
        "sqlite", "priority_run", "priority_runs_current", "MULTIPOLYGON", _COLUMNS
    )
    return out + register_layer_sql(
        "priority_runs_current",
        "MULTIPOLYGON",
        "prioritisation runs (extent of the hazards ranked), current state",
    )


def postgis() -> list[str]:
    return versioned_table_sql(
        "postgis", "priority_run", "priority_runs_current", "MULTIPOLYGON", _COLUMNS
    )
