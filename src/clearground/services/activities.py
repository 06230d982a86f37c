"""Recording land release activities: NTS cancels, TS reduces, clearance clears (IMAS 07.11)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.completion import require_completion
from clearground.domain.errors import BadInput, CleargroundError
from clearground.domain.evidence import parse_devices_found, parse_methods
from clearground.domain.landrelease import apply_activity, parse_activity_kind, polygonal
from clearground.domain.records import LandReleaseActivity
from clearground.domain.validation import UKRAINE, Region
from clearground.services.common import (
    ImportReport,
    attributes_of,
    iso_date,
    refuse,
    refuse_unless_rows,
    text,
    texts,
    without_problems,
)
from clearground.services.locations import PcodeIndex
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["import_activities"]

_REQUIRED = ("hazard_id", "kind", "date", "organisation")
#: Fields of the GICHD Minimum Data Requirements for land release, each optional.
_MDR = ("methods", "clearance_depth_cm", "devices_found", "beneficiaries")
#: Columns of an activity export that the import computes afresh (from the kind, the polygon
#: and the devices), so an export imported again keeps none of them as attributes.
_COMPUTED = ("outcome", "released_m2", "items_found", "admin_pcode")
#: MDR fields an export writes as JSON lists, which a format may hand back as lists.
_NESTED = ("methods", "devices_found")


def _number(value: str, name: str, *, whole: bool = False) -> float | int | None:
    if not value:
        return None
    from clearground.domain.fields import MAX_COUNT, MAX_DEPTH_CM, parse_number

    return parse_number(value, name, whole=whole, maximum=MAX_COUNT if whole else MAX_DEPTH_CM)


def _nested(column: np.ndarray | None, n: int) -> list[Any]:
    """A column of nested values as cells the parsers take: a list where the format gave one
    (GeoJSON hands JSON arrays back as lists), else the cell as text."""
    if column is None:
        return [""] * n
    return [
        v.tolist() if isinstance(v, np.ndarray) else v if isinstance(v, list | tuple) else text(v)
        for v in column.tolist()
    ]


def _mdr_fields(cols: dict[str, list[Any]], i: int) -> dict[str, Any]:
    return {
        "methods": parse_methods(cols["methods"][i]),
        "clearance_depth_cm": _number(cols["clearance_depth_cm"][i], "clearance_depth_cm"),
        "devices_found": parse_devices_found(cols["devices_found"][i]),
        "beneficiaries": _number(cols["beneficiaries"][i], "beneficiaries", whole=True),
    }


@retrying
def import_activities(
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
    today: date | None = None,
    as_submission: bool = False,
    completes: bool = False,
) -> ImportReport:
    """Record every activity of a polygon layer and release the land it worked, or none of them.

    Activities apply in date order (file order within a day). Each releases the geodesic area of
    its polygon within the hazard that was not released before; the hazard moves active ->
    in_progress -> closed, and each change is a new hazard version with an event citing the
    activity. ``completes``: each must close its hazard, else the refusal says what land is left
    and where (``domain.completion``). ``as_submission``: every rule is checked as for a write,
    and the activities wait in the review queue instead; their land is released on approval.
    """
    path = Path(path)
    today = today or date.today()
    p = read_for_import(
        path,
        fields=(*_REQUIRED, "id", "task_id", "notes", *_MDR),
        mapping=mapping,
        required=_REQUIRED,
        computed=_COMPUTED,
        region=region,
        repair=repair,
        layer=layer,
        format_name=format_name,
    )
    table, getter, check, problems, n = p.table, p.get, p.check, p.problems, p.n
    for f in ("id", "task_id", "notes", *_MDR):
        getter(f)
    extra = p.extra
    rows = []
    mdr_cols = {f: _nested(getter(f), n) if f in _NESTED else texts(getter(f), n) for f in _MDR}
    mdr: dict[int, dict[str, Any]] = {}
    for i in range(n):
        try:
            hazard_id = text(getter("hazard_id")[i])
            if not hazard_id:
                raise ValueError("hazard_id is empty")
            kind = parse_activity_kind(text(getter("kind")[i]))
            when = iso_date(getter("date")[i], field_name="date", today=today)
            organisation = text(getter("organisation")[i])
            if not organisation:
                raise ValueError("organisation is empty")
            mdr[i] = _mdr_fields(mdr_cols, i)
        except (ValueError, CleargroundError) as exc:
            problems.setdefault(i, getattr(exc, "message", None) or str(exc))
            continue
        col = getter("id")
        rows.append(
            (when, i, hazard_id, kind, organisation, text(col[i]) if col is not None else "")
        )
    seen: dict[str, int] = {}
    for _when, i, *_, given_id in rows:
        if given_id and seen.setdefault(given_id, i) != i:
            problems.setdefault(i, f"duplicate id {given_id!r} (also feature {seen[given_id] + 1})")
    rows = [r for r in rows if r[1] not in problems]
    refuse_unless_rows(table, problems, rows)
    rows.sort(key=lambda r: (r[0], r[1]))
    pcodes = PcodeIndex(store).deepest(without_problems(check.geometries, problems))
    with store.transaction() as tx:
        hazards = tx.get_many("hazard", [r[2] for r in rows])
        given = [r[5] for r in rows if r[5]]
        clash = tx.existing_ids("activity", given)
        unnamed = 0 if as_submission else sum(1 for r in rows if not r[5])
        new_ids = iter(tx.next_ids("activity", unnamed) if unnamed else ())
        state = {k: (v.record, v.version) for k, v in hazards.items()}
        activities = []
        for when, i, hazard_id, kind, organisation, given_id in rows:
            if given_id in clash:
                problems[i] = f"activity id {given_id!r} already exists"
                continue
            if hazard_id not in state:
                problems[i] = f"hazard {hazard_id!r} not found"
                continue
            hazard, version = state[hazard_id]
            task_id = text(getter("task_id")[i]) if getter("task_id") is not None else ""
            if task_id:
                task = tx.get("task", task_id)
                if task is None or task.deleted:
                    problems[i] = f"task {task_id!r} not found"
                    continue
                if task.record.hazard_id != hazard_id:
                    problems[i] = f"task {task_id!r} is for hazard {task.record.hazard_id}"
                    continue
            activity = LandReleaseActivity(
                id=given_id or ("" if as_submission else next(new_ids)),
                hazard_id=hazard_id,
                kind=kind,
                date=when,
                organisation=organisation,
                geometry=polygonal(check.geometries[i]),
                task_id=task_id,
                admin_pcode=pcodes[i],
                **mdr[i],
                notes=text(getter("notes")[i]) if getter("notes") is not None else "",
                attributes=attributes_of(table, extra, i),
            )
            try:
                probe = activity if activity.id else replace(activity, id="the submitted activity")
                new_hazard, released, events = apply_activity(hazard, probe)
                if completes:
                    require_completion(new_hazard, probe.id)
            except BadInput as exc:
                problems[i] = exc.message
                continue
            if as_submission:  # the hazard changes on approval, as it stands then
                activities.append(activity)
                continue
            activity = released
            new_version = tx.update(
                "hazard",
                new_hazard,
                expected_version=version,
                author=author,
                reason=(
                    f"land release {activity.id} ({activity.kind}, {activity.date}): "
                    f"{activity.outcome} {activity.released_m2:.0f} m²"
                ),
            )
            state[hazard_id] = (new_hazard, new_version)
            tx.add_events(events, author=author)
            activities.append(activity)
        refuse(table, problems)
        if as_submission:
            return _queue(store, tx, path, activities, author, completes, dry_run)
        tx.insert("activity", activities, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    repaired = p.repaired()
    notes = [
        f"{a.id}: {a.kind} on {a.hazard_id} {a.outcome} {a.released_m2:.0f} m²" for a in activities
    ]
    return ImportReport(
        str(path),
        "activity",
        len(activities),
        [a.id for a in activities],
        dry_run,
        repaired=repaired,
        notes=notes,
    )


def _queue(store, tx, path: Path, activities: list, author: str, completes: bool, dry_run: bool):
    """Activities into the review queue as pending submissions (``services.queue``)."""
    from clearground.services.queue import submit

    queued = submit(
        store,
        tx,
        "activity",
        activities,
        author=author,
        sources=[path.name] * len(activities),
        attributes=[{"completes": True} if completes else {} for _ in activities],
    )
    if not dry_run:
        tx.commit()
    notes = [f"{s.id}: {s.record.kind} on {s.record.hazard_id}, pending review" for s in queued]
    notes += [f"{s.id}: may duplicate {', '.join(s.duplicates)}" for s in queued if s.duplicates]
    return ImportReport(
        str(path), "submission", len(queued), [s.id for s in queued], dry_run, notes=notes
    )
