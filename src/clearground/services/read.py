"""Reading records for the command line and (later) the web: the store is read here, never in
``cli/``. No kind that holds personal data can be named: those leave only through the
projections that check the reader's permissions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from typing import Any

from clearground.domain.errors import BadInput, NotFound
from clearground.store.base import Store, Version
from clearground.store.mapping import KINDS, PERSONAL_KINDS

__all__ = [
    "DATE_FIELDS",
    "Page",
    "history_rows",
    "minefields_with_hazards",
    "page",
    "record",
    "records",
    "tally",
]

#: What a kind's record is called in a "not found" message.
LABELS = {"eo": "EO item", "qc": "QC sample", "qa": "QA visit", "eore": "EORE session"}


def _readable(kind: str) -> str:
    if kind in PERSONAL_KINDS or kind not in KINDS:
        readable = sorted(k for k in KINDS if k not in PERSONAL_KINDS)
        raise BadInput(f"unknown record kind {kind!r}; known: {', '.join(readable)}")
    return kind


def records(store: Store, kind: str, *, as_of: str | None = None) -> list[Version]:
    """The current (or ``as_of``) records of ``kind``."""
    return store.list(_readable(kind), as_of=as_of)


def record(store: Store, kind: str, record_id: str, *, as_of: str | None = None) -> Version:
    """One record of ``kind``, or ``NotFound`` naming it."""
    v = store.get(_readable(kind), record_id, as_of=as_of)
    if v is None or v.record is None:
        raise NotFound(f"{LABELS.get(kind, kind)} {record_id} not found")
    return v


def tally(
    store: Store,
    kind: str,
    by: tuple[str, ...],
    sums: tuple[str, ...] = (),
    *,
    as_of: str | None = None,
) -> list[tuple]:
    """Counts and sums of ``kind``'s current (or ``as_of``) records grouped by fields, done in
    the database (``Store.tally``). Neither a personal kind nor a personal field
    (``projections.PERSONAL_FIELDS``) can be named: a count of them could tell what they hold."""
    from clearground.services.projections import PERSONAL_FIELDS

    personal = set(PERSONAL_FIELDS.get(_readable(kind), ()))
    for f in (*by, *sums):
        if f.split(":")[0].split(".")[0] in personal:
            raise BadInput(f"{kind} field {f!r} may hold personal data: it is never counted")
    return store.tally(kind, by, sums, as_of=as_of)


def minefields_with_hazards(store: Store) -> list[tuple[Version, Version | None]]:
    """Each minefield record with the current version of the hazard it documents."""
    hazards = {v.id: v for v in store.list("hazard")}
    return [(v, hazards.get(v.record.hazard_id)) for v in store.list("minefield")]


#: The date a kind's records are filtered by (``datetime`` of the web API); kinds not named have
#: none. A record whose date is empty never matches a date filter.
DATE_FIELDS = {
    "hazard": "date_reported",
    "activity": "date",
    "eo": "date",
    "accident": "date",
    "minefield": "emplaced_from",
    "qc": "date",
    "task": "issued",
    "eore": "date",
    "qa": "date",
}


@dataclass(frozen=True)
class Page:
    """One page of a listing: its versions, how many match in all, and (when more follow) the
    id the next page starts after."""

    versions: list[Version]
    matched: int
    next_after: str | None


def _in_days(v: Version, field: str, start: date | None, end: date | None) -> bool:
    d = getattr(v.record, field, None)
    return d is not None and (start is None or d >= start) and (end is None or d <= end)


def page(
    store: Store,
    kind: str,
    *,
    limit: int,
    offset: int = 0,
    after: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    days: tuple[date | None, date | None] | None = None,
    as_of: str | None = None,
    status: str | None = None,
) -> Page:
    """Records of ``kind`` in a stable order (by id): those whose geometry meets ``bbox``, whose
    date (``DATE_FIELDS``) lies in ``days`` (either end open), and (submissions) of ``status``;
    ``limit`` of them from ``offset``, or from just after the id ``after`` (a cursor)."""
    _readable(kind)
    if days is not None and kind not in DATE_FIELDS:
        raise BadInput(f"{kind} records have no date: a datetime filter cannot select them")
    if bbox is None and days is None and status is None and as_of is None:
        return _plain_page(store, kind, limit, offset, after)
    if bbox is not None:
        found = records_in_bbox(store, kind, bbox, as_of=as_of)
    else:
        found = [v for v in store.list(kind, as_of=as_of) if v.record is not None]
    if days is not None:
        found = [v for v in found if _in_days(v, DATE_FIELDS[kind], *days)]
    if status is not None:
        found = [v for v in found if v.record.status.value == status]
    found.sort(key=lambda v: v.id)
    matched = len(found)
    start = offset
    if after is not None:
        start = bisect_right([v.id for v in found], after)
    shown = found[start : start + limit]
    more = start + limit < matched
    return Page(shown, matched, shown[-1].id if more and shown else None)


def _plain_page(store: Store, kind: str, limit: int, offset: int, after: str | None) -> Page:
    """The current records, unfiltered: one page read from the store (and its count), not
    every record of the kind (the answer of the general path, at a fraction of its cost)."""
    matched = store.count(kind)
    shown = store.list_page(
        kind, limit=limit, offset=0 if after is not None else offset, after=after
    )
    if after is None:
        more = offset + limit < matched
    else:
        more = len(shown) == limit and bool(store.list_page(kind, limit=1, after=shown[-1].id))
    return Page(shown, matched, shown[-1].id if more and shown else None)


def history_rows(store: Store, kind: str, record_id: str, reader: Any) -> list[dict[str, Any]]:
    """The versions of one record of ``kind`` as ``clearground history`` shows them."""
    from clearground.services.hazard_records import history_rows as rows

    if not store.history(_readable(kind), record_id):
        raise NotFound(f"{LABELS.get(kind, kind)} {record_id} not found")
    return rows(store, record_id, reader)


# --- OGC API - Features (web/ogc): records in a box, and the extent of a kind ----------------


def records_in_bbox(
    store: Store, kind: str, bounds: tuple[float, float, float, float], *, as_of: str | None = None
) -> list[Version]:
    """The current (or ``as_of``) records of ``kind`` whose geometry meets ``bounds`` (minlon,
    minlat, maxlon, maxlat), in id order: the store's bounding-box candidates, kept only where
    shapely finds the geometry itself meets the box."""
    import numpy as np
    import shapely

    found = store.in_bbox(_readable(kind), bounds, as_of=as_of)
    if not found:
        return []
    geoms = np.array([v.record.geometry for v in found], dtype=object)
    meets = shapely.intersects(geoms, shapely.box(*bounds))
    return [v for v, keep in zip(found, meets.tolist(), strict=True) if keep]


def extent(
    store: Store, kind: str, *, date_field: str | None = None
) -> tuple[tuple[float, float, float, float] | None, tuple[str, str] | None]:
    """The lon/lat bounds of the current records of ``kind`` and the first and last of their
    ``date_field`` (ISO dates); None for what there is none of."""
    import numpy as np
    import shapely

    found = store.list(_readable(kind))
    geoms = np.array([v.record.geometry for v in found], dtype=object)
    bounds = None
    if len(geoms):
        b = shapely.total_bounds(geoms)
        if not np.isnan(b).any():
            bounds = tuple(float(x) for x in b)
    dates = None
    if date_field:
        days = sorted(d for v in found if (d := getattr(v.record, date_field, None)) is not None)
        if days:
            dates = (days[0].isoformat(), days[-1].isoformat())
    return bounds, dates
