"""Field reports from ODK Collect and KoboToolbox into the review queue.

clearground ships four XLSForms (``clearground/forms/*.md``): a non-technical survey reporting a
suspected hazard area, an EO spot report, an accident report (victims in a repeat group) and an
EORE session. ``import_odk`` reads a submission export of one of them (CSV or JSON, see
:mod:`clearground.formats.odk`) and queues every submission as a pending submission for an IM
officer to approve or reject (:mod:`clearground.services.review`), or none: one bad submission
refuses the file, one ``FILE:submission N: reason`` line per problem, and the database stays as
it was. A submission whose instance id is queued already (a later export holds the earlier
submissions too) is skipped, and said so.

Victims' names and contacts never enter a submission: they are held apart as personal data
(the ``victim_personal`` kind, read only with the ``victim_data`` permission). Columns that are
not the form's fields are kept as the record's attributes, as every import keeps them, except
in accident reports (a column a customised form added there may name people) and server
metadata (submitter, device, times).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, ImportRejected
from clearground.domain.records import Accident, EOItem, HazardArea, RiskEducationSession
from clearground.domain.validation import UKRAINE, Region, check_geometries
from clearground.formats.odk import OdkExport, read_export
from clearground.formats.odk_values import geometry_of, value
from clearground.services.common import ImportReport
from clearground.services.odk_forms import (
    FORMS,
    OdkForm,
    _extras,
    _fields,
    _geometry_problem,
    _no_cells,
)
from clearground.store.base import Store, Transaction
from clearground.store.retry import retrying

__all__ = ["import_odk"]


def _already_queued(store: Store, tx: Transaction, form: str) -> dict[str, str]:
    """Instance ids of this form's submissions already in the queue (any status): their ids.

    Called inside the write transaction, after taking the queue's lock: two imports of the same
    export at once cannot both find a submission new and queue it twice."""
    tx.lock("submission queue")
    out = {}
    for v in store.list("submission"):
        key = v.record.attributes.get("odk_instance_id")
        if key and v.record.attributes.get("odk_form") == form:
            out[key] = v.id
    return out


def _refuse(export: OdkExport, problems: dict[int, str], other: list[str]) -> None:
    if problems or other:
        by_number = {s.number: s for s in export.submissions}
        raise ImportRejected(
            [f"{export.where(by_number[n])}: {problems[n]}" for n in sorted(problems)] + other
        )


def _unstorable_values(subs: list) -> dict[int, str]:
    """Text a database cannot store (``services.common.unstorable``), by submission and field:
    refused on every engine, so that a database can always move between them."""
    from clearground.services.common import unstorable

    out: dict[int, str] = {}
    for sub in subs:
        rows = [sub.values, *(r for rows in sub.repeats.values() for r in rows)]
        for name, cell in ((k, v) for row in rows for k, v in row.items()):
            why = unstorable(name) or (unstorable(cell) if isinstance(cell, str) else "")
            if why:
                out.setdefault(sub.number, f"{name} {why}")
    return out


@retrying
def import_odk(
    store: Store,
    path: str | Path,
    *,
    form: str,
    author: str,
    repeat_files: dict[str, str | Path] | None = None,
    dry_run: bool = False,
    repair: bool = False,
    region: Region = UKRAINE,
    today: date | None = None,
) -> ImportReport:
    """Queue every submission of an ODK/Kobo export of ``form`` for review, or none."""
    from clearground.domain.areas import geodesic_areas
    from clearground.domain.landrelease import polygonal_array
    from clearground.services.hazard_links import HazardLinks
    from clearground.services.queue import submit

    if form not in FORMS:
        raise BadInput(f"--form {form!r}: choose one of {', '.join(FORMS)}")
    spec = FORMS[form]
    path = Path(path)
    today = today or date.today()
    export = read_export(
        path, repeats=(spec.repeat,) if spec.repeat else (), repeat_files=repeat_files
    )
    subs = export.submissions
    problems: dict[int, str] = _unstorable_values(subs)
    fields: dict[int, dict[str, Any]] = {}
    geoms = np.full(len(subs), None, dtype=object)
    seen: dict[str, int] = {}
    for i, sub in enumerate(subs):
        try:
            geoms[i] = geometry_of(
                value(sub.values, spec.geometry), spec.geometry_type, what=spec.geometry
            )
            if geoms[i] is None:
                raise ValueError(f"{spec.geometry} is empty (the form requires it)")
            fields[i] = _fields(spec, sub, today)
        except ValueError as exc:
            problems[sub.number] = _no_cells(spec, sub, str(exc))
        key = sub.key
        if key in seen:
            problems.setdefault(
                sub.number, f"instance id {key} is also submission {seen[key]} of this file"
            )
        elif key:
            seen[key] = sub.number
    present = np.array([g is not None for g in geoms], dtype=bool)
    check = check_geometries(
        geoms[present],
        region=region,
        repair=repair and spec.geometry_type == "geoshape",
        allowed_types=(0,) if spec.geometry_type == "geopoint" else (3, 6),
        expected="a point" if spec.geometry_type == "geopoint" else "a polygon",
    )
    where = np.flatnonzero(present)
    for j, why in check.problems.items():
        problems.setdefault(subs[int(where[j])].number, _geometry_problem(spec, why))
    geoms[present] = check.geometries
    good = [i for i, s in enumerate(subs) if i in fields and s.number not in problems]
    if not good:  # nothing left for the checks against the database
        _refuse(export, problems, export.problems)

    with store.transaction() as tx:
        queued = _already_queued(store, tx, form)
        todo = [i for i in good if not (subs[i].key and subs[i].key in queued)]
        skipped = [s for s in subs if s.key and s.key in queued]
        notes = [
            f"{len(skipped)} submission(s) queued before (same instance id), skipped: "
            + ", ".join(f"submission {s.number} ({queued[s.key]})" for s in skipped[:10])
            + (", ..." if len(skipped) > 10 else "")
        ] * bool(skipped)
        notes += [
            f"{export.where(subs[int(where[j])])}: {spec.geometry}: {why}"
            for j, why in sorted(check.repaired.items())
        ]
        points = geoms[todo]
        areas = [0.0] * len(todo)
        if spec.kind == "hazard" and len(todo):
            points = polygonal_array(points)
            areas = geodesic_areas(points).tolist()
        links = None
        if spec.kind in ("eo", "accident"):
            links = HazardLinks(store, tx, points, [fields[i]["hazard_id"] for i in todo])
        if spec.kind == "eore":
            named = sorted({fields[i]["organisation_id"] for i in todo})
            missing = set(named) - tx.existing_ids("organisation", named)
            for i in todo:
                org = fields[i]["organisation_id"]
                if org in missing:
                    problems[subs[i].number] = f"organisation_id: organisation {org!r} not found"
        records, personal, dropped = [], [], set()
        for n, i in enumerate(todo):
            f, sub = fields[i], subs[i]
            extras = _extras(spec, sub)
            if spec.kind == "accident":  # a form's own columns there may name people: not kept
                dropped.update(extras)
                extras = {}
            attributes = {**extras, "odk_form": form}
            if sub.key:
                attributes["odk_instance_id"] = sub.key
            if links is not None and not links.exists(f["hazard_id"]):
                problems[sub.number] = _no_cells(
                    spec, sub, f"hazard_id: hazard {f['hazard_id']!r} not found"
                )
                continue
            records.append(_record(spec, f, points[n], areas[n], links, n, attributes))
            personal.append(f.get("personal", []))
        # one refusal: the file's problems, its submissions' and those the database found
        _refuse(export, problems, export.problems)
        queued_now = submit(
            store,
            tx,
            spec.kind,
            records,
            author=author,
            sources=[f"{path.name}:submission {subs[i].number}" for i in todo],
            attributes=[
                {"odk_form": form, **({"odk_instance_id": subs[i].key} if subs[i].key else {})}
                for i in todo
            ],
            personal=personal if spec.kind == "accident" else None,
        )
        if not dry_run:
            tx.commit()
    if dropped:
        notes.append(
            "columns not in the accident report form were not kept (they may name people): "
            + ", ".join(sorted(dropped))
        )
    notes += [
        f"{s.id}: may duplicate {', '.join(s.duplicates)}" for s in queued_now if s.duplicates
    ]
    return ImportReport(
        str(path), "submission", len(queued_now), [s.id for s in queued_now], dry_run, notes=notes
    )


def _record(
    spec: OdkForm,
    f: dict[str, Any],
    geometry,
    area_m2: float,
    links,
    n: int,
    attributes: dict[str, Any],
) -> Any:
    """The record a submission would become (its id is given on approval)."""
    if spec.kind == "hazard":
        return HazardArea(
            id="",
            name=f["name"],
            geometry=geometry,
            area_m2=area_m2,
            eo_types=f["eo_types"],
            date_reported=f["date_reported"],
            source=f["source"],
            land_use=f["land_use"],
            notes=f["notes"],
            attributes={"reported_by": f["reported_by"], **attributes},
        )
    if spec.kind == "eo":
        return EOItem(
            id="",
            geometry=geometry,
            category=f["category"],
            date=f["date"],
            eo_type=f["eo_type"],
            quantity=f["quantity"],
            condition=f["condition"],
            reported_by=f["reported_by"],
            hazard_id=links.link(n, f["hazard_id"]),
            evidence_status=links.status(n),
            notes=f["notes"],
            attributes=attributes,
        )
    if spec.kind == "accident":
        return Accident(
            id="",
            geometry=geometry,
            date=f["date"],
            eo_category=f["eo_category"],
            eo_type=f["eo_type"],
            activity=f["activity"],
            victims=f["victims"],
            hazard_id=links.link(n, f["hazard_id"]),
            evidence_status=links.status(n),
            notes=f["notes"],
            attributes=attributes,
        )
    return RiskEducationSession(
        id="",
        geometry=geometry,
        date=f["date"],
        organisation_id=f["organisation_id"],
        girls=f["girls"],
        boys=f["boys"],
        women=f["women"],
        men=f["men"],
        method=f["method"],
        notes=f["notes"],
        attributes=attributes,
    )
