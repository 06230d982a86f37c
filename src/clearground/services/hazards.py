"""Use cases on hazard areas: import, edit, read (now or as of a past time) and export."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.areas import geodesic_areas
from clearground.domain.errors import BadInput, ImportRejected, NotFound
from clearground.domain.landrelease import edit_hazard, polygonal
from clearground.domain.records import Classification, HazardArea, HazardStatus
from clearground.domain.validation import UKRAINE, Region, check_geometries
from clearground.formats import FeatureTable, format_for_path
from clearground.services.common import (
    ImportReport,
    Progress,
    column_getter,
    iso_date,
    plain,
    text,
)
from clearground.store.base import Store, Version

__all__ = [
    "edit",
    "export",
    "hazard_json",
    "history",
    "import_hazards",
    "list_hazards",
    "show",
]

KIND = "hazard"
_FIELDS = ("id", "name", "classification", "eo_types", "date_reported", "source",
           "admin_pcode", "land_use", "notes")
# Columns that are computed (ignored on import) and columns that only land release may change.
_COMPUTED = {"area_m2", "remaining_m2", "version", "valid_from", "author", "reason"}
_RELEASE_COLUMNS = {"released_m2", "cancelled_m2", "reduced_m2", "cleared_m2",
                    "cancelled", "reduced", "cleared"}


def _row_values(
    table: FeatureTable, getter, i: int, today: date, problems: dict[int, str]
) -> dict[str, Any] | None:
    def cell(field: str) -> Any:
        col = getter(field)
        return None if col is None else col[i]

    out: dict[str, Any] = {f: text(cell(f)) for f in _FIELDS}
    status = text(cell("status")).lower()
    if status and status != HazardStatus.ACTIVE:
        problems[i] = (
            f"status {status!r} cannot be imported: a new hazard is active, and status changes "
            "only through land release activities (nts, ts, clearance)"
        )
        return None
    for column in _RELEASE_COLUMNS:
        value = plain(cell(column))
        if value not in (None, "", 0, 0.0, "0"):
            problems[i] = (
                f"{column} = {value!r}: released area cannot be imported; it comes only from "
                "land release activities (clearground import activities)"
            )
            return None
    cls = out["classification"].upper() or "SHA"
    if cls not in Classification.__members__:
        problems[i] = f"classification {out['classification']!r} is not SHA or CHA"
        return None
    out["classification"] = Classification(cls)
    if out["date_reported"]:
        try:
            out["date_reported"] = iso_date(out["date_reported"], field_name="date_reported", today=today)
        except ValueError as exc:
            problems[i] = str(exc)
            return None
    else:
        out["date_reported"] = None
    out["eo_types"] = tuple(t.strip() for t in out["eo_types"].split(",") if t.strip())
    return out


def import_hazards(
    store: Store,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    repair: bool = False,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import every feature of a polygon layer as a new hazard area, or none.

    Any bad feature raises ``ImportRejected`` listing each problem as ``FILE:feature N: reason``;
    the database is then exactly as it was.
    """
    path = Path(path)
    today = today or date.today()
    table = format_for_path(path, format_name).read(path, layer=layer)
    n = len(table)
    if n == 0:
        raise ImportRejected([f"{path}: the layer has no features"])
    if progress:
        progress("check", 0, n)
    check = check_geometries(table.geometries, region=region, repair=repair)
    problems = {**check.problems, **table.problems}
    getter, used = column_getter(table, mapping or {})
    values: list[dict[str, Any] | None] = [None] * n
    for i in range(n):
        values[i] = _row_values(table, getter, i, today, problems)
    for column in ("status", *_RELEASE_COLUMNS, *_COMPUTED):
        getter(column)  # computed and release columns are never kept as attributes
    extra = [c for c in table.columns if c not in used]
    given_ids = [v["id"] if v else "" for v in values]
    seen: dict[str, int] = {}
    for i, id_ in enumerate(given_ids):
        if id_:
            if id_ in seen:
                problems.setdefault(i, f"duplicate id {id_!r} (also feature {seen[id_] + 1})")
            seen.setdefault(id_, i)
    if problems:
        raise ImportRejected([f"{table.where(i)}: {problems[i]}" for i in sorted(problems)])
    if progress:
        progress("check", n, n)
    geoms = np.array([polygonal(g) for g in check.geometries], dtype=object)
    areas = geodesic_areas(geoms)
    extra_values = {c: table.columns[c] for c in extra}
    with store.transaction() as tx:
        clash = tx.existing_ids(KIND, [i for i in given_ids if i])
        if clash:
            raise ImportRejected(
                [
                    f"{table.where(i)}: id {id_!r} already exists"
                    for i, id_ in enumerate(given_ids)
                    if id_ in clash
                ]
            )
        new_ids = iter(tx.next_ids(KIND, sum(1 for i in given_ids if not i)))
        records = []
        for i in range(n):
            v = values[i]
            assert v is not None
            id_ = v["id"] or next(new_ids)
            records.append(
                HazardArea(
                    id=id_,
                    name=v["name"] or id_,
                    geometry=geoms[i],
                    area_m2=float(areas[i]),
                    classification=v["classification"],
                    eo_types=v["eo_types"],
                    date_reported=v["date_reported"],
                    source=v["source"],
                    admin_pcode=v["admin_pcode"],
                    land_use=v["land_use"],
                    notes=v["notes"],
                    attributes={
                        c: plain(col[i]) for c, col in extra_values.items() if plain(col[i]) is not None
                    },
                )
            )
        if progress:
            progress("write", 0, n)
        tx.insert(KIND, records, author=author, reason=f"imported from {path.name}")
        if progress:
            progress("write", n, n)
        if not dry_run:
            tx.commit()
    repaired = [f"{table.where(i)}: {why}" for i, why in sorted(check.repaired.items())]
    return ImportReport(str(path), KIND, n, [r.id for r in records], dry_run, repaired=repaired)


def hazard_json(v: Version) -> dict[str, Any]:
    """The JSON of a hazard version: the keys scripts and QGIS projects rely on."""
    h: HazardArea = v.record
    return {
        "id": h.id,
        "name": h.name,
        "classification": str(h.classification),
        "status": str(h.status),
        "area_m2": round(h.area_m2, 2),
        "released_m2": {k: round(x, 2) for k, x in h.released.as_dict().items()},
        "remaining_m2": round(h.remaining_m2, 2),
        "version": v.version,
        "eo_types": list(h.eo_types),
        "date_reported": h.date_reported.isoformat() if h.date_reported else None,
        "source": h.source,
        "admin_pcode": h.admin_pcode,
        "land_use": h.land_use,
        "notes": h.notes,
        "attributes": h.attributes,
        "valid_from": v.valid_from,
        "author": v.author,
        "reason": v.reason,
    }


def list_hazards(store: Store, *, as_of: str | None = None) -> list[Version]:
    return store.list(KIND, as_of=as_of)


def show(store: Store, hazard_id: str, *, as_of: str | None = None) -> Version:
    v = store.get(KIND, hazard_id, as_of=as_of)
    if v is None:
        when = f" as of {as_of}" if as_of else ""
        raise NotFound(f"hazard {hazard_id} not found{when}")
    return v


def history(store: Store, record_id: str) -> list[Version]:
    versions = store.history(KIND, record_id)
    if not versions:
        versions = store.history("activity", record_id)
    if not versions:
        raise NotFound(f"no record {record_id} (hazard or land release activity)")
    return versions


def edit(
    store: Store,
    hazard_id: str,
    changes: dict[str, str],
    *,
    reason: str,
    version: int,
    author: str,
) -> Version:
    """Edit attributes of a hazard; refuses status, area and released area, and stale versions."""
    if not reason.strip():
        raise BadInput("--reason must say why the hazard is changed")
    with store.transaction() as tx:
        current = tx.get(KIND, hazard_id)
        if current is None or current.deleted:
            raise NotFound(f"hazard {hazard_id} not found")
        updated = edit_hazard(current.record, changes)
        tx.update(KIND, updated, expected_version=version, author=author, reason=reason.strip())
        tx.commit()
    return show(store, hazard_id)


EXPORT_COLUMNS = (
    "id", "name", "classification", "status", "area_m2", "released_m2", "cancelled_m2",
    "reduced_m2", "cleared_m2", "remaining_m2", "version", "eo_types", "date_reported", "source",
    "admin_pcode", "land_use", "notes", "valid_from",
)


def export(
    store: Store, path: str | Path, *, as_of: str | None = None, format_name: str | None = None
) -> int:
    """Write the hazards (now, or as of a time) to a file GDAL and QGIS open; return the count."""
    path = Path(path)
    fmt = format_for_path(path, format_name)
    versions = list_hazards(store, as_of=as_of)
    rows = [hazard_json(v) for v in versions]
    columns: dict[str, np.ndarray] = {}
    for name in EXPORT_COLUMNS:
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
    table = FeatureTable(
        str(path), np.array([v.record.geometry for v in versions], dtype=object), columns
    )
    fmt.write(path, table, layer="hazard_areas")
    return len(rows)
