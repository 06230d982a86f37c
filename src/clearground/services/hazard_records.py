"""Use cases on recorded hazard areas: read (now or as of a past time), edit, hand over,
history and export. Importing them is :mod:`clearground.services.hazards`."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, NotFound
from clearground.domain.landrelease import edit_hazard, hand_over
from clearground.formats import FeatureTable, format_for_path
from clearground.services.projections import (
    EXPORTABLE,
    PUBLIC,
    PUBLISHED_OMITS,
    Reader,
    hazard_json,
    published_hazard_json,
)
from clearground.store.base import Store, Version
from clearground.store.retry import retrying

__all__ = [
    "EXPORT_COLUMNS",
    "edit",
    "export",
    "handover",
    "history",
    "hazard_table",
    "history_rows",
    "list_hazards",
    "parse_changes",
    "show",
    "write_hazards",
]

KIND = "hazard"


def list_hazards(store: Store, *, as_of: str | None = None) -> list[Version]:
    return store.list(KIND, as_of=as_of)


def show(store: Store, hazard_id: str, *, as_of: str | None = None) -> Version:
    v = store.get(KIND, hazard_id, as_of=as_of)
    if v is None:
        when = f" as of {as_of}" if as_of else ""
        raise NotFound(f"hazard {hazard_id} not found{when}")
    return v


def history(store: Store, record_id: str) -> list[Version]:
    """Every version of the record with this id, whatever its kind (never a personal kind)."""
    for kind in EXPORTABLE:
        versions = store.history(kind, record_id)
        if versions:
            return versions
    raise NotFound(f"no record {record_id} ({', '.join(EXPORTABLE)})")


def history_rows(store: Store, record_id: str, reader: Reader) -> list[dict[str, Any]]:
    """The versions of a record as rows (author, time, reason; a hazard's state at each)."""
    rows = []
    for v in history(store, record_id):
        row: dict[str, Any] = {
            "id": v.id,
            "version": v.version,
            "valid_from": v.valid_from,
            "author": v.author,
            "reason": v.reason,
            "deleted": v.deleted,
        }
        if v.kind == "hazard" and v.record is not None:
            h = hazard_json(v, reader)
            row.update(
                status=h["status"],
                area_m2=h["area_m2"],
                released_m2=h["released_m2"],
                remaining_m2=h["remaining_m2"],
                name=h["name"],
            )
        rows.append(row)
    return rows


def parse_changes(pairs: list[str]) -> dict[str, str]:
    """``--set FIELD=VALUE`` pairs as a dict; a pair without ``=`` or a field is refused."""
    changes: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--set {pair!r}: write it as FIELD=VALUE")
        changes[key.strip()] = value
    return changes


@retrying
def edit(
    store: Store,
    hazard_id: str,
    changes: dict[str, str],
    *,
    reason: str,
    version: int,
    author: str,
) -> Version:
    """Edit fields of a hazard, each value checked as an import checks it; refuses status, area
    and released area, unknown field names (``attributes.NAME`` sets an attribute) and stale
    versions."""
    if not reason.strip():
        raise BadInput("--reason must say why the hazard is changed")
    with store.transaction() as tx:
        current = tx.get(KIND, hazard_id)
        if current is None or current.deleted:
            raise NotFound(f"hazard {hazard_id} not found")
        updated = edit_hazard(current.record, changes, today=date.today())
        tx.update(KIND, updated, expected_version=version, author=author, reason=reason.strip())
        tx.commit()
    return show(store, hazard_id)


@retrying
def handover(
    store: Store,
    hazard_id: str,
    *,
    when: str,
    recipient: str,
    reason: str,
    version: int,
    author: str,
    today: date | None = None,
) -> Version:
    """Hand a closed hazard's land over to its users: a new version and a HazardHandedOver event."""
    try:
        day = date.fromisoformat(when)
    except ValueError:
        raise BadInput(f"--date {when!r} is not an ISO 8601 date") from None
    with store.transaction() as tx:
        current = tx.get(KIND, hazard_id)
        if current is None or current.deleted:
            raise NotFound(f"hazard {hazard_id} not found")
        new, event = hand_over(
            current.record, when=day, recipient=recipient, today=today or date.today()
        )
        tx.update(
            KIND,
            new,
            expected_version=version,
            author=author,
            reason=reason.strip() or f"handed over to {recipient.strip()} on {day}",
        )
        tx.add_events([event], author=author)
        tx.commit()
    return show(store, hazard_id)


EXPORT_COLUMNS = (
    "id",
    "name",
    "classification",
    "status",
    "area_m2",
    "released_m2",
    "cancelled_m2",
    "reduced_m2",
    "cleared_m2",
    "remaining_m2",
    "version",
    "eo_types",
    "date_reported",
    "source",
    "admin_pcode",
    "land_use",
    "notes",
    "valid_from",
)


def export(
    store: Store,
    path: str | Path,
    *,
    as_of: str | None = None,
    format_name: str | None = None,
    hxl: bool = True,
) -> int:
    """Write the hazards (now, or as of a time) to a file GDAL and QGIS open; return the count."""
    versions = list_hazards(store, as_of=as_of)
    return write_hazards(versions, path, format_name=format_name, hxl=hxl)


def write_hazards(
    versions: list[Version],
    path: str | Path,
    *,
    format_name: str | None = None,
    hxl: bool = True,
    published: bool = False,
) -> int:
    """Write hazard versions to a file; ``published`` writes what a public static site shows
    (``projections.published_hazard_json``: no notes, free attributes, author or reason)."""
    path = Path(path)
    fmt = format_for_path(path, format_name, hxl=hxl)
    table = hazard_table(versions, str(path), published=published)
    from clearground.formats.writing import write_table

    write_table(fmt, path, table, layer="hazard_areas")
    return len(table)


def hazard_table(
    versions: list[Version],
    source: str = "",
    *,
    published: bool = False,
    rows: list[dict[str, Any]] | None = None,
) -> FeatureTable:
    """The export table of hazard versions (``rows``: their projection, if already made), so
    that one table can be written to several files without projecting each time."""
    project = published_hazard_json if published else hazard_json
    if rows is None:
        rows = [project(v, PUBLIC) for v in versions]
    omitted = PUBLISHED_OMITS if published else ()
    columns: dict[str, np.ndarray] = {}
    for name in (n for n in EXPORT_COLUMNS if n not in omitted):
        if name == "released_m2":
            vals = [sum(r["released_m2"].values()) for r in rows]
        elif name in ("cancelled_m2", "reduced_m2", "cleared_m2"):
            vals = [r["released_m2"][name[:-3]] for r in rows]
        elif name == "eo_types":
            vals = [",".join(r["eo_types"]) for r in rows]
        else:
            vals = [r[name] if r[name] is not None else "" for r in rows]
        numeric = name.endswith("_m2") or name == "version"
        columns[name] = np.array(vals, dtype=float if numeric else object)
        if name == "version":
            columns[name] = columns[name].astype(np.int64)
    # the benchmark point, and every other attribute a file brought, so that nothing is lost
    # on a round trip through a file
    for axis, name in enumerate(("benchmark_lon", "benchmark_lat")):
        points = [v.record.benchmark for v in versions]
        if any(points):
            columns[name] = np.array([p[axis] if p else np.nan for p in points], dtype=float)
    from clearground.services.export import table_column

    keys: list[str] = []
    for r in rows:
        keys += [k for k in r.get("attributes", ()) if k not in keys and k not in columns]
    for key in keys:
        columns[key] = table_column([r["attributes"].get(key) for r in rows])
    return FeatureTable(
        source, np.array([v.record.geometry for v in versions], dtype=object), columns
    )
