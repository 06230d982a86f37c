"""Export of every record kind (hazards have their own, richer export in
services.hazard_records), and finding any record by its id. Every file is written for the
public reader of ``services.projections``: victims' personal data is never
exported, whoever exports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import NotFound
from clearground.formats import FeatureTable, format_for_path
from clearground.formats.writing import write_table
from clearground.services.projections import EXPORTABLE, PUBLIC, json_of
from clearground.store.base import Store, Version

__all__ = ["export_records", "find", "flat_row", "table_column"]


def find(store: Store, record_id: str, *, as_of: str | None = None) -> Version:
    """The record with this id, whatever its kind (never one of a personal kind)."""
    for kind in EXPORTABLE:
        v = store.get(kind, record_id, as_of=as_of)
        if v is not None:
            return v
    raise NotFound(f"no record {record_id}" + (f" as of {as_of}" if as_of else ""))


def table_column(values: list[Any]) -> np.ndarray:
    """Values as one typed column: whole numbers, numbers (NaN for none) or text (JSON for
    nested values)."""
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return np.array([int(v) if v is not None else 0 for v in values], dtype=np.int64)
    whole = all(isinstance(v, int) and not isinstance(v, bool) for v in present)
    if present and whole and len(present) == len(values):
        return np.array(values, dtype=np.int64)
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return np.array([np.nan if v is None else float(v) for v in values], dtype=float)
    return np.array(
        [
            ""
            if v is None
            else v
            if isinstance(v, str)
            else json.dumps(v, ensure_ascii=False, default=str)
            for v in values
        ],
        dtype=object,
    )


def flat_row(row: dict[str, Any], *, has_geometry: bool) -> dict[str, Any]:
    """A record's JSON as file columns: its ``attributes`` spread into columns of their own (a
    record's own fields win), and without the lon/lat label of a record whose geometry the
    file carries anyway."""
    attributes = row.pop("attributes", None) or {}
    if has_geometry:
        row.pop("lon", None)
        row.pop("lat", None)
    return {**row, **{k: v for k, v in attributes.items() if k not in row}}


def export_records(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    as_of: str | None = None,
    format_name: str | None = None,
    hxl: bool = True,
) -> int:
    """Write every current record of ``kind`` (or as of a time) to a file; return the count.

    Nested values (victims' outcomes, devices, nonconformities) are written as JSON text, so
    that every format, CSV included, keeps them. Each attribute a file brought becomes a column
    of its own again, so that importing the export keeps it as the same attribute.
    """
    to_json = json_of(kind)
    path = Path(path)
    fmt = format_for_path(path, format_name, hxl=hxl)
    versions = store.list(kind, as_of=as_of)
    rows = [
        flat_row(to_json(v, PUBLIC), has_geometry=getattr(v.record, "geometry", None) is not None)
        for v in versions
    ]
    names: list[str] = []
    for r in rows:
        names += [k for k in r if k not in names]
    columns = {name: table_column([r.get(name) for r in rows]) for name in names}
    geoms = np.array([getattr(v.record, "geometry", None) for v in versions], dtype=object)
    write_table(fmt, path, FeatureTable(str(path), geoms, columns), layer=kind)
    return len(rows)
