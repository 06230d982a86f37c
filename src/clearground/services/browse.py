"""What the records pages show: a filtered list of one kind, and one record's timeline.

Every row is the kind's projection (``services.projections.json_of``) for the reader; a
geometry leaves as GeoJSON beside it (as the OGC API gives it), never personal data.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from clearground.domain.errors import BadInput
from clearground.services.projections import json_of
from clearground.services.read import DATE_FIELDS, record, records
from clearground.store.base import Store

__all__ = ["LISTED", "Filters", "list_rows", "timeline"]

#: The kinds the records pages list, by the name in their URLs.
LISTED = ("hazard", "eo", "accident", "activity")
#: Fields that every version carries and that are no change of the record itself.
_BOOKKEEPING = frozenset({"version", "valid_from", "author", "reason"})


def _day(text: str | None, name: str) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"{name} {text!r}: not a date (YYYY-MM-DD)") from None


class Filters:
    """The list's filters as the page's form gives them (empty text: no filter)."""

    def __init__(self, **values: str | None) -> None:
        self.status = values.get("status") or None
        self.classification = values.get("classification") or None
        self.admin = values.get("admin") or None
        self.organisation = values.get("organisation") or None
        self.date_from = _day(values.get("date_from"), "date_from")
        self.date_to = _day(values.get("date_to"), "date_to")

    def keeps(self, kind: str, v: Any, row: dict[str, Any]) -> bool:
        if self.status and str(row.get("status", "")) != self.status:
            return False
        if self.classification and str(row.get("classification", "")) != self.classification:
            return False
        if self.admin and not str(row.get("admin_pcode") or "").startswith(self.admin):
            return False
        if self.organisation:
            org = str(row.get("organisation") or row.get("organisation_id") or "")
            if self.organisation.lower() not in org.lower():
                return False
        if self.date_from or self.date_to:
            field = DATE_FIELDS.get(kind)
            d = getattr(v.record, field, None) if field else None
            if d is None or (self.date_from and d < self.date_from):
                return False
            if self.date_to and d > self.date_to:
                return False
        return True


def _kind(kind: str) -> str:
    if kind not in LISTED:
        raise BadInput(f"records of kind {kind!r} are not listed here; listed: {', '.join(LISTED)}")
    return kind


def list_rows(
    store: Store,
    kind: str,
    reader: Any,
    filters: Filters,
    *,
    as_of: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the records of ``kind`` that pass ``filters`` (by id), and how many pass."""
    project = json_of(_kind(kind))
    kept = []
    for v in sorted(records(store, kind, as_of=as_of), key=lambda v: v.id):
        if v.record is None:
            continue
        row = project(v, reader)
        if filters.keeps(kind, v, row):
            kept.append(row)
    return kept[offset : offset + limit], len(kept)


def _geojson(geometry: Any) -> dict[str, Any] | None:
    import shapely

    if geometry is None or geometry.is_empty:
        return None
    return json.loads(shapely.to_geojson(geometry))


def timeline(store: Store, kind: str, record_id: str, reader: Any) -> dict[str, Any]:
    """The record as it is and every version of it, oldest first: who, when, why, the fields
    that changed (before and after), and its geometry before and after when it moved."""
    project = json_of(_kind(kind))
    current = record(store, kind, record_id)
    versions = []
    previous: dict[str, Any] = {}
    previous_geometry = None
    for v in store.history(kind, record_id):
        row = project(v, reader) if v.record is not None else {}
        geometry = v.record.geometry if v.record is not None else None
        changed = [
            {"field": k, "before": previous.get(k), "after": row.get(k)}
            for k in sorted(set(row) | set(previous))
            if k not in _BOOKKEEPING and row.get(k) != previous.get(k)
        ]
        moved = (
            geometry is not None
            and previous_geometry is not None
            and not geometry.equals(previous_geometry)
        )
        versions.append(
            {
                "version": v.version,
                "valid_from": v.valid_from,
                "author": v.author,
                "reason": v.reason,
                "deleted": v.deleted,
                "changed": changed if previous else [],
                "first": not previous,
                "before": _geojson(previous_geometry) if moved else None,
                "after": _geojson(geometry) if moved else None,
            }
        )
        previous, previous_geometry = row, geometry
    return {
        "record": project(current, reader),
        "geometry": _geojson(current.record.geometry),
        "versions": versions,
    }
