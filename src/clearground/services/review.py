"""The review queue: field submissions wait as pending until an IM officer decides.

Imports with ``--as-submission`` put each feature here instead of into the database. Likely
duplicates are found on submission (an EO item of the same type within 25 m and 3 days; a
hazard overlapping an existing one by more than half) and shown side by side, never merged.
Approval makes the record a version that cites the submission; rejection keeps the reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import shapely

from clearground.analysis.duplicates import eo_duplicates, hazard_overlaps
from clearground.analysis.proximity import degree_margin
from clearground.domain.errors import BadInput, NotFound
from clearground.domain.review import Submission, SubmissionStatus, decide
from clearground.store.base import Store, Version

__all__ = ["REVIEWABLE", "approve", "reject", "submission_json", "submit", "submissions"]

KIND = "submission"
REVIEWABLE = ("hazard", "eo")


def _pending(store: Store, kind: str) -> list[Submission]:
    return [
        v.record
        for v in store.list(KIND)
        if v.record.kind == kind and v.record.status is SubmissionStatus.PENDING
    ]


def _duplicates(store: Store, kind: str, records: list[Any]) -> list[list[str]]:
    """For each record, the ids of recorded data and pending submissions it may duplicate."""
    geoms = np.array([r.geometry for r in records], dtype=object)
    bounds = degree_margin(tuple(shapely.total_bounds(geoms)), 30.0)
    recorded = [v.record for v in store.in_bbox(kind, bounds)]
    pending = _pending(store, kind)
    candidates = [(r.id, r) for r in recorded] + [(s.id, s.record) for s in pending]
    found: list[list[str]] = [[] for _ in records]
    if kind == "eo":

        def day(r):
            return r.date.toordinal()

        def what(r):
            return r.eo_type or r.category.value

        pairs = eo_duplicates(
            geoms,
            [what(r) for r in records],
            np.array([day(r) for r in records]),
            np.array([c.geometry for _, c in candidates] + list(geoms), dtype=object),
            [what(c) for _, c in candidates] + [what(r) for r in records],
            np.array([day(c) for _, c in candidates] + [day(r) for r in records]),
        )
    else:
        pairs = hazard_overlaps(
            geoms, np.array([c.geometry for _, c in candidates] + list(geoms), dtype=object)
        )
    n_old = len(candidates)
    for i, j in pairs:
        if j < n_old:
            found[i].append(candidates[j][0])
        elif j - n_old != i:
            found[i].append(f"feature {j - n_old + 1} of this file")
    return found


def submit(
    store: Store, tx, kind: str, records: list[Any], *, author: str, sources: list[str]
) -> list[Submission]:
    """Queue ``records`` (not yet in the database) as pending submissions, one per record."""
    if kind not in REVIEWABLE:
        raise BadInput(f"{kind} records cannot be submitted for review yet; only {REVIEWABLE}")
    if not records:
        return []
    dupes = _duplicates(store, kind, records)
    ids = tx.next_ids(KIND, len(records))
    subs = [
        Submission(
            id=sid, kind=kind, record=r, submitted_by=author, source=src, duplicates=tuple(d)
        )
        for sid, r, src, d in zip(ids, records, sources, dupes, strict=True)
    ]
    tx.insert(KIND, subs, author=author, reason="submitted for review")
    return subs


def _get(tx, sub_id: str) -> Version:
    v = tx.get(KIND, sub_id)
    if v is None or v.deleted:
        raise NotFound(f"submission {sub_id} not found")
    return v


def approve(store: Store, sub_id: str, *, author: str, reason: str = "") -> Version:
    """Make the submitted record a version (citing the submission), with the import's effects."""
    from clearground.services.evidence import HazardLinks

    with store.transaction() as tx:
        v = _get(tx, sub_id)
        sub: Submission = v.record
        decide(sub, approve=True, by=author, reason=reason)  # refuses a second decision early
        record = sub.record
        given = record.id
        if given and tx.existing_ids(sub.kind, [given]):
            raise BadInput(f"{sub_id}: a {sub.kind} with id {given!r} exists already")
        record = dataclasses.replace(record, id=given or tx.next_ids(sub.kind, 1)[0])
        if not record.admin_pcode:
            from clearground.services.locations import PcodeIndex

            pcode = PcodeIndex(store).deepest(np.array([record.geometry], dtype=object))[0]
            record = dataclasses.replace(record, admin_pcode=pcode)
        why = f"approved submission {sub_id} from {sub.source}" + (f": {reason}" if reason else "")
        if sub.kind == "eo":
            links = HazardLinks(
                store, tx, np.array([record.geometry], dtype=object), [record.hazard_id]
            )
            if not links.exists(record.hazard_id):
                raise BadInput(f"{sub_id}: hazard {record.hazard_id!r} not found")
            record = dataclasses.replace(
                record, hazard_id=links.link(0, record.hazard_id), evidence_status=links.status(0)
            )
            tx.insert(sub.kind, [record], author=author, reason=why)
            links.reopen_around(
                0, record.id, f"{record.category} {record.id} found", record.date, author
            )
        else:
            tx.insert(sub.kind, [record], author=author, reason=why)
        decided = decide(sub, approve=True, by=author, reason=reason, record_id=record.id)
        tx.update(
            KIND,
            decided,
            expected_version=v.version,
            author=author,
            reason=f"approved as {record.id}",
        )
        tx.commit()
    return store.get(KIND, sub_id)


def reject(store: Store, sub_id: str, *, author: str, reason: str) -> Version:
    """Reject a submission; it stays, with the reason, and nothing enters the database."""
    with store.transaction() as tx:
        v = _get(tx, sub_id)
        decided = decide(v.record, approve=False, by=author, reason=reason)
        tx.update(
            KIND,
            decided,
            expected_version=v.version,
            author=author,
            reason=f"rejected: {reason.strip()}",
        )
        tx.commit()
    return store.get(KIND, sub_id)


def submissions(store: Store, status: str | None = None) -> list[Version]:
    out = store.list(KIND)
    return [v for v in out if status is None or v.record.status.value == status]


def _record_json(kind: str, record: Any, version: Version | None = None) -> dict[str, Any]:
    from clearground.services.evidence import eo_json
    from clearground.services.hazards import hazard_json

    v = version or Version(kind, record.id, 0, "", "", "", False, record)
    return hazard_json(v) if kind == "hazard" else eo_json(v)


def submission_json(store: Store, v: Version, *, side_by_side: bool = False) -> dict[str, Any]:
    """A submission; with ``side_by_side`` the records it may duplicate are shown beside it."""
    sub: Submission = v.record
    out: dict[str, Any] = {
        "id": sub.id,
        "kind": sub.kind,
        "status": sub.status.value,
        "submitted_by": sub.submitted_by,
        "source": sub.source,
        "duplicates": list(sub.duplicates),
        "decided_by": sub.decided_by,
        "decision_reason": sub.decision_reason,
        "record_id": sub.record_id,
        "version": v.version,
        "record": _record_json(sub.kind, sub.record),
    }
    if side_by_side:
        shown = []
        for other in sub.duplicates:
            found = store.get(sub.kind, other) or store.get(KIND, other)
            if found is None:
                shown.append({"id": other})
            elif found.kind == KIND:
                shown.append({"submission": other, **_record_json(sub.kind, found.record.record)})
            else:
                shown.append(_record_json(sub.kind, found.record, found))
        out["side_by_side"] = shown
    return out
