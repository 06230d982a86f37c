"""Explosive ordnance items and spot reports (issue 5, first part)."""

from __future__ import annotations

from clearground.store.migrations.ddl import versioned_table_sql

NUMBER = 2
NAME = "eo_items"

_EO_COLUMNS = (
    ("category", "$.category", "TEXT"),
    ("eo_type", "$.eo_type", "TEXT"),
    ("quantity", "$.quantity", "INTEGER"),
    ("date", "$.date", "TEXT"),
    ("hazard_id", "$.hazard_id", "TEXT"),
    ("evidence_status", "$.evidence_status", "TEXT"),
    ("disposal_date", "$.disposal_date", "TEXT"),
)


def sqlite() -> list[str]:
    return versioned_table_sql("sqlite", "eo_item", "eo_items_current", "POINT", _EO_COLUMNS)


def postgis() -> list[str]:
    return versioned_table_sql("postgis", "eo_item", "eo_items_current", "POINT", _EO_COLUMNS)
