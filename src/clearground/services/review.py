"""The review queue: field submissions wait as pending until an IM officer decides.

Imports with ``--as-submission`` and ``import odk`` put each feature here instead of into the
database. Likely duplicates are found on submission (an EO item of the same type within 25 m and
3 days; a hazard overlapping an existing one by more than half; an accident within 100 m and 3
days; an EORE session of the same organisation on the same day within 100 m) and shown side by
side, never merged. Approval makes the record a version that cites the submission, with the
effects of an import (evidence links and reopens hazards; every record gets its P-code);
rejection keeps the reason.

Victims' personal data never enters a submission: it waits in the ``victim_personal`` kind
(readable only with the ``victim_data`` permission) under ``SUBMISSION/N``, moves to
``ACCIDENT/N`` on approval and is withdrawn (a tombstone) on rejection.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import shapely

from clearground.analysis.duplicates import eo_duplicates, hazard_overlaps
from clearground.analysis.proximity import degree_margin
from clearground.domain.errors import BadInput, NotFound
from clearground.domain.records import VictimPersonalData
from clearground.domain.review import Submission, SubmissionStatus, decide
from clearground.store.base import Store, Version
from clearground.store.retry import retrying

__all__ = ["REVIEWABLE", "approve", "reject", "submission_json", "submit", "submissions"]

KIND = "submission"
PERSONAL = "victim_personal"
REVIEWABLE = ("hazard", "eo", "accident", "eore")
#: Kinds matched by place: within (metres, days) of each other, two records of the same EO type
#: (EO), any two (accidents) or two of the same organisation (EORE) may be duplicates.
_NEAR = {"eo": (25.0, 3), "accident": (100.0, 3), "eore": (100.0, 0)}


def _pending(store: Store, kind: str) -> list[Submission]:
    return [
        v.record
        for v in store.list(KIND)
        if v.record.kind == kind and v.record.status is SubmissionStatus.PENDING
    ]


def _duplicates(store: Store, kind: str, records: list[Any]) -> list[list[str | int]]:
    """For each record, the ids of recorded data and pending submissions it may duplicate, and
    the indexes of the other records of ``records`` it may duplicate."""
    geoms = np.array([r.geometry for r in records], dtype=object)
    metres, days = _NEAR.get(kind, (0.0, 0))
    bounds = degree_margin(tuple(shapely.total_bounds(geoms)), max(30.0, metres + 5.0))
    recorded = [v.record for v in store.in_bbox(kind, bounds)]
    pending = _pending(store, kind)
    candidates = [(r.id, r) for r in recorded] + [(s.id, s.record) for s in pending]
    found: list[list[str | int]] = [[] for _ in records]
    if kind in _NEAR:

        def day(r):
            return r.date.toordinal()

        def what(r):
            if kind == "eo":
                return r.eo_type or r.category.value
            return r.organisation_id if kind == "eore" else "accident"

        def at(rs):  # an EORE session may be an area: its centroid stands for it
            return shapely.centroid(np.array([r.geometry for r in rs], dtype=object))

        others = [c for _, c in candidates] + list(records)
        pairs = eo_duplicates(
            at(records),
            [what(r) for r in records],
            np.array([day(r) for r in records]),
            at(others),
            [what(c) for c in others],
            np.array([day(c) for c in others]),
            metres=metres,
            max_days=days,
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
            found[i].append(j - n_old)  # another record of this batch: its submission id, later
    return found


def submit(
    store: Store,
    tx,
    kind: str,
    records: list[Any],
    *,
    author: str,
    sources: list[str],
    attributes: list[dict[str, Any]] | None = None,
    personal: list[list[dict[str, str]]] | None = None,
) -> list[Submission]:
    """Queue ``records`` (not yet in the database) as pending submissions, one per record.

    ``attributes`` are kept on each submission (where it came from: an ODK instance id, ...).
    ``personal`` (accidents only) gives, for each record, the name, contact and notes of each of
    its victims, in the order of ``record.victims``: they are held apart in the
    ``victim_personal`` kind under ``SUBMISSION/N``, never in the submission itself.
    """
    if kind not in REVIEWABLE:
        raise BadInput(f"{kind} records cannot be submitted for review yet; only {REVIEWABLE}")
    if personal is not None and kind != "accident":
        raise ValueError("only accidents hold victims' personal data")
    if not records:
        return []
    dupes = _duplicates(store, kind, records)
    ids = tx.next_ids(KIND, len(records))
    subs = [
        Submission(
            id=sid,
            kind=kind,
            record=r,
            submitted_by=author,
            source=src,
            duplicates=tuple(ids[x] if isinstance(x, int) else x for x in d),
            attributes=dict(attrs),
        )
        for sid, r, src, d, attrs in zip(
            ids, records, sources, dupes, attributes or [{}] * len(records), strict=True
        )
    ]
    tx.insert(KIND, subs, author=author, reason="submitted for review")
    held = []
    for sub, victims in zip(subs, personal, strict=True) if personal is not None else ():
        if len(victims) != len(sub.record.victims):
            raise ValueError(f"{sub.id}: personal data for {len(victims)} victims, not all")
        for k, data in enumerate(victims, start=1):
            if any(data.values()):
                held.append(
                    VictimPersonalData(id=f"{sub.id}/{k}", accident_id=sub.id, victim_no=k, **data)
                )
    tx.insert(PERSONAL, held, author=author, reason="held apart while its submission is reviewed")
    return subs


def _get(tx, sub_id: str) -> Version:
    v = tx.get(KIND, sub_id)
    if v is None or v.deleted:
        raise NotFound(f"submission {sub_id} not found")
    return v


def _held(tx, sub_id: str, n_victims: int) -> dict[int, Version]:
    """The personal data held apart for a submission's victims, by victim number."""
    got = tx.get_many(PERSONAL, [f"{sub_id}/{k}" for k in range(1, n_victims + 1)])
    return {k: got[f"{sub_id}/{k}"] for k in range(1, n_victims + 1) if f"{sub_id}/{k}" in got}


def _move_personal(tx, sub_id: str, accident: Any, author: str) -> None:
    """Victims' personal data of an approved submission: to ``ACCIDENT/N``, where it stays."""
    moved = []
    for k, v in _held(tx, sub_id, len(accident.victims)).items():
        p: VictimPersonalData = v.record
        moved.append(
            dataclasses.replace(p, id=f"{accident.id}/{k}", accident_id=accident.id, victim_no=k)
        )
        tx.delete(
            PERSONAL,
            v.id,
            expected_version=v.version,
            author=author,
            reason=f"moved to {accident.id}/{k}: submission {sub_id} approved",
        )
    tx.insert(PERSONAL, moved, author=author, reason=f"approved submission {sub_id}")


@retrying
def approve(store: Store, sub_id: str, *, author: str, reason: str = "") -> Version:
    """Make the submitted record a version (citing the submission), with the import's effects."""
    from clearground.domain.landrelease import polygonal
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
        if sub.kind in ("eo", "accident"):  # evidence: linked, and reopens closed hazards
            links = HazardLinks(
                store, tx, np.array([record.geometry], dtype=object), [record.hazard_id]
            )
            if not links.exists(record.hazard_id):
                raise BadInput(f"{sub_id}: hazard {record.hazard_id!r} not found")
            record = dataclasses.replace(
                record, hazard_id=links.link(0, record.hazard_id), evidence_status=links.status(0)
            )
            tx.insert(sub.kind, [record], author=author, reason=why)
            what = (
                f"{record.category} {record.id} found"
                if sub.kind == "eo"
                else f"accident {record.id}"
            )
            links.reopen_around(0, record.id, what, record.date, author)
            if sub.kind == "accident":
                _move_personal(tx, sub_id, record, author)
        elif sub.kind == "eore":
            org = record.organisation_id
            if not tx.existing_ids("organisation", [org]):
                raise BadInput(f"{sub_id}: organisation_id: organisation {org!r} not found")
            if record.geometry.geom_type != "Point":
                record = dataclasses.replace(record, geometry=polygonal(record.geometry))
            tx.insert(sub.kind, [record], author=author, reason=why)
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


@retrying
def reject(store: Store, sub_id: str, *, author: str, reason: str) -> Version:
    """Reject a submission; it stays, with the reason, and nothing enters the database."""
    with store.transaction() as tx:
        v = _get(tx, sub_id)
        decided = decide(v.record, approve=False, by=author, reason=reason)
        if decided.kind == "accident":  # no record will need it: withdrawn
            for held in _held(tx, sub_id, len(decided.record.victims)).values():
                tx.delete(
                    PERSONAL,
                    held.id,
                    expected_version=held.version,
                    author=author,
                    reason=f"withdrawn: submission {sub_id} rejected",
                )
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
    """A record as its kind shows it: never with victims' personal data."""
    from clearground.services.accidents import accident_json
    from clearground.services.evidence import eo_json
    from clearground.services.hazards import hazard_json
    from clearground.services.operations import record_json

    v = version or Version(kind, record.id, 0, "", "", "", False, record)
    show = {"hazard": hazard_json, "eo": eo_json, "accident": accident_json, "eore": record_json}
    return show[kind](v)


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
        "attributes": sub.attributes,
        "record": _record_json(sub.kind, sub.record),
    }
    if sub.kind == "accident" and sub.status is SubmissionStatus.PENDING:
        # how many victims' personal data wait apart (never the data itself)
        out["personal_data_held_apart"] = sum(
            1
            for k in range(1, len(sub.record.victims) + 1)
            if store.get(PERSONAL, f"{sub.id}/{k}") is not None
        )
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
