"""Importing evidence: explosive ordnance items and spot reports.

Evidence never releases land. An item inside released land discredits that release (the land is
back in the hazard's remaining area, a closed or handed-over hazard is reopened), with the events
in the hazard's history; an item outside every recorded hazard is flagged "evidence outside
recorded hazards" for an IM officer to decide (a new SHA, or explained).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from clearground.domain.evidence import parse_eo_category
from clearground.domain.records import EOItem
from clearground.domain.validation import UKRAINE, Region
from clearground.services.common import (
    ImportReport,
    attributes_of,
    bulk,
    iso_date,
    refuse,
    refuse_unless_rows,
    texts,
    without_problems,
)
from clearground.services.hazard_links import HazardLinks
from clearground.services.locations import PcodeIndex
from clearground.services.projections import OUTSIDE_MESSAGE
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["COMPUTED", "OUTSIDE_MESSAGE", "import_eo"]

KIND = "eo"
_REQUIRED = ("category", "date")
_FIELDS = (
    "id",
    "eo_type",
    "quantity",
    "condition",
    "found_during",
    "reported_by",
    "disposal_date",
    "disposal_method",
    "hazard_id",
    "notes",
)
#: Columns of an EO export that the import works out again from the point and the hazards, so
#: that importing an export gives the same item rather than one with these as attributes.
COMPUTED = ("evidence_status", "admin_pcode", "flag")


def _quantity(value: str) -> int:
    from clearground.domain.fields import MAX_COUNT

    if not value:
        return 1
    try:
        q = float(value)
    except ValueError:
        raise ValueError(f"quantity {value!r} is not a whole number") from None
    if q != q or abs(q) > MAX_COUNT:
        raise ValueError(f"quantity {value!r} is out of range (1 to {MAX_COUNT:,})")
    if q < 1 or not q.is_integer():
        raise ValueError(f"quantity {value!r} must be a whole number of 1 or more")
    return int(q)


@retrying
@bulk()
def import_eo(
    store: Store,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    today: date | None = None,
    as_submission: bool = False,
) -> ImportReport:
    """Import every EO item (point) of a file, or none; link, reopen and flag as evidence.

    A file exported by clearground imports as the same items: its ``hazard_id`` keeps the link,
    and the columns the import computes (:data:`COMPUTED`, bookkeeping) are not kept as
    attributes.
    """
    path = Path(path)
    today = today or date.today()
    if layer is None and path.suffix.lower() == ".gpx":
        layer = "waypoints"  # a GPS unit's marked points are the EO spot reports
    p = read_for_import(
        path,
        fields=(*_REQUIRED, *_FIELDS),
        mapping=mapping,
        required=_REQUIRED,
        computed=COMPUTED,
        geometry="point",
        region=region,
        layer=layer,
        format_name=format_name,
    )
    table, getter, check, problems, n = p.table, p.get, p.check, p.problems, p.n
    cols = {f: texts(getter(f), n) for f in (*_REQUIRED, *_FIELDS)}
    extra = p.extra
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for i in range(n):
        try:
            found = iso_date(cols["date"][i], field_name="date", today=today)
            disposal = (
                iso_date(cols["disposal_date"][i], field_name="disposal_date", today=today)
                if cols["disposal_date"][i]
                else None
            )
            if disposal and disposal < found:
                raise ValueError(f"disposal_date {disposal} is before the date found {found}")
            row = {
                "category": parse_eo_category(cols["category"][i]),
                "date": found,
                "quantity": _quantity(cols["quantity"][i]),
                "disposal_date": disposal,
            }
        except ValueError as exc:
            problems.setdefault(i, str(exc))
            continue
        id_ = cols["id"][i]
        if id_:
            if id_ in seen:
                problems.setdefault(i, f"duplicate id {id_!r} (also feature {seen[id_] + 1})")
                continue
            seen[id_] = i
        rows.append({"index": i, **row})
    rows = [r for r in rows if r["index"] not in problems]
    refuse_unless_rows(table, problems, rows)
    points = without_problems(check.geometries, problems)
    with store.transaction() as tx:
        hazards = HazardLinks(store, tx, points, [cols["hazard_id"][r["index"]] for r in rows])
        pcodes = PcodeIndex(store).deepest(points)
        clash = tx.existing_ids(KIND, list(seen))
        unnamed = 0 if as_submission else sum(1 for r in rows if not cols["id"][r["index"]])
        new_ids = iter(tx.next_ids(KIND, unnamed))
        items = []
        for r in rows:
            i = r["index"]
            if cols["id"][i] in clash:
                problems[i] = f"id {cols['id'][i]!r} already exists"
                continue
            wanted = cols["hazard_id"][i]
            if not hazards.exists(wanted):
                problems[i] = f"hazard {wanted!r} not found"
                continue
            item = EOItem(
                id=cols["id"][i] or ("" if as_submission else next(new_ids)),
                geometry=points[i],
                category=r["category"],
                date=r["date"],
                eo_type=cols["eo_type"][i],
                quantity=r["quantity"],
                condition=cols["condition"][i],
                found_during=cols["found_during"][i],
                reported_by=cols["reported_by"][i],
                disposal_date=r["disposal_date"],
                disposal_method=cols["disposal_method"][i],
                hazard_id=hazards.link(i, wanted),
                evidence_status=hazards.status(i),
                admin_pcode=pcodes[i],
                notes=cols["notes"][i],
                attributes=attributes_of(table, extra, i),
            )
            items.append(item)
            if not as_submission:
                hazards.reopen_around(
                    i,
                    item.id,
                    f"{item.category} {item.id} found",
                    item.date,
                    author,
                    found_by=item.found_during,
                )
        refuse(table, problems)
        if as_submission:  # into the review queue: linked, and hazards reopened, on approval
            from clearground.services.queue import submit

            items = submit(
                store,
                tx,
                KIND,
                items,
                author=author,
                sources=[f"{path.name}:feature {r['index'] + 1}" for r in rows],
            )
        else:
            tx.insert(KIND, items, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    notes, outside = hazards.notes, hazards.outside
    if as_submission:
        notes = [f"{s.id}: may duplicate {', '.join(s.duplicates)}" for s in items if s.duplicates]
        outside = 0
        return ImportReport(
            str(path), "submission", len(items), [s.id for s in items], dry_run, notes=notes
        )
    if outside:
        notes.append(
            f"{outside} item(s): {OUTSIDE_MESSAGE}; an IM officer decides (new SHA, or explained)"
        )
    return ImportReport(str(path), KIND, len(items), [e.id for e in items], dry_run, notes=notes)
