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
from clearground.services.read import DATE_FIELDS, record
from clearground.store.base import Store
from clearground.store.where import Where

__all__ = ["FILTERS", "LISTED", "Filters", "list_rows", "organisations", "timeline", "where_of"]

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


#: The filters each listed kind has (the page shows only these). Hazards have no organisation
#: of their own: theirs are the organisations of the land release activities and tasks on them.
FILTERS = {
    "hazard": ("status", "classification", "admin", "organisation", "date"),
    "activity": ("admin", "organisation", "date"),
    "eo": ("admin", "date"),
    "accident": ("admin", "date"),
}


class Filters:
    """The list's filters as the page's form gives them (empty text: no filter)."""

    def __init__(self, **values: str | None) -> None:
        self.status = (values.get("status") or "").strip() or None
        self.classification = (values.get("classification") or "").strip() or None
        self.admin = (values.get("admin") or "").strip() or None
        self.organisation = (values.get("organisation") or "").strip() or None
        self.date_from = _day(values.get("date_from"), "date_from")
        self.date_to = _day(values.get("date_to"), "date_to")
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise BadInput(f"date_from {self.date_from} is after date_to {self.date_to}")


def _names_of(store: Store, organisation: str) -> set[str]:
    """What records may call an organisation: the text given, and the id or name of the
    organisation on record that it names (activities often give the name, tasks the id)."""
    names = {organisation}
    for v in store.list("organisation"):
        if organisation in (v.id, getattr(v.record, "name", None)):
            names.update(n for n in (v.id, getattr(v.record, "name", None)) if n)
    return names


def _ids_of(store: Store, kind: str, field: str, names: set[str], as_of: str | None) -> list:
    found = []
    for name in sorted(names):
        versions, _ = store.list_where(kind, Where(equal=((field, name),)), limit=None, as_of=as_of)
        found += versions
    return found


def _hazards_of(store: Store, organisation: str, as_of: str | None) -> frozenset[str]:
    """The hazards an organisation worked on (its land release activities) or is tasked on."""
    names = _names_of(store, organisation)
    ids: set[str] = set()
    for kind, field in (("activity", "organisation"), ("task", "organisation_id")):
        ids.update(v.record.hazard_id for v in _ids_of(store, kind, field, names, as_of))
    return frozenset(i for i in ids if i)


def where_of(store: Store, kind: str, filters: Filters, as_of: str | None = None) -> Where:
    """The store-side filter of ``filters`` for ``kind`` (those the kind does not have are left
    out, as the page does not show them)."""
    has = FILTERS[_kind(kind)]
    equal: list[tuple[str, str]] = []
    if "status" in has and filters.status:
        equal.append(("status", filters.status))
    if "classification" in has and filters.classification:
        equal.append(("classification", filters.classification))
    ids = None
    if "organisation" in has and filters.organisation:
        if kind == "hazard":
            ids = _hazards_of(store, filters.organisation, as_of)
        else:
            names = _names_of(store, filters.organisation)
            ids = frozenset(v.id for v in _ids_of(store, kind, "organisation", names, as_of))
    days = None
    if "date" in has and (filters.date_from or filters.date_to):
        days = (DATE_FIELDS[kind], filters.date_from, filters.date_to)
    prefix = (("admin_pcode", filters.admin),) if "admin" in has and filters.admin else ()
    return Where(equal=tuple(equal), prefix=prefix, days=days, ids=ids)


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
    """One page of the records of ``kind`` that pass ``filters`` (by id), and how many pass:
    the store filters and pages, so only the page's records are read and projected."""
    project = json_of(_kind(kind))
    where = where_of(store, kind, filters, as_of)
    found, matched = store.list_where(kind, where, limit=limit, offset=offset, as_of=as_of)
    return [project(v, reader) for v in found], matched


def organisations(store: Store) -> list[tuple[str, str]]:
    """The organisations on record (id, name), for the filter's choices."""
    return sorted((v.id, getattr(v.record, "name", "") or "") for v in store.list("organisation"))


def _geojson(geometry: Any) -> dict[str, Any] | None:
    import shapely

    if geometry is None or geometry.is_empty:
        return None
    return json.loads(shapely.to_geojson(geometry))


def _drawn(kind: str, record: Any) -> Any:
    """The shape a version's small map draws: a hazard's polygon less the land released from
    it (what remains recorded as hazardous: a survey or clearance changes it, its outline never
    changes); any other record's geometry."""
    if record is None:
        return None
    released = getattr(record, "released_geometry", None) if kind == "hazard" else None
    if released is None or released.is_empty:
        return record.geometry
    import shapely

    return shapely.difference(record.geometry, released)


def timeline(store: Store, kind: str, record_id: str, reader: Any) -> dict[str, Any]:
    """The record as it is and every version of it, oldest first: who, when, why, the fields
    that changed (before and after), and its shape before and after when it changed (for a
    hazard: the area that remains after land released, see ``_drawn``)."""
    project = json_of(_kind(kind))
    current = record(store, kind, record_id)
    versions = []
    previous: dict[str, Any] = {}
    previous_geometry = None
    for v in store.history(kind, record_id):
        row = project(v, reader) if v.record is not None else {}
        geometry = _drawn(kind, v.record)
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
