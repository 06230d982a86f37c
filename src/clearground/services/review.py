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
``ACCIDENT/N`` on approval and is deleted on rejection (a tombstone; earlier versions erased).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, NotFound
from clearground.domain.records import VictimPersonalData
from clearground.domain.review import Submission, decide
from clearground.domain.validation import UKRAINE, Region
from clearground.services.projections import without_personal_data
from clearground.store.base import Store, Version
from clearground.store.retry import retrying

__all__ = ["approve", "reject", "submissions"]

KIND = "submission"
PERSONAL = "victim_personal"


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
def approve(
    store: Store, sub_id: str, *, author: str, reason: str = "", region: Region = UKRAINE
) -> Version:
    """Make the submitted record a version (citing the submission), with the import's effects.

    Every rule the kind's import checks is checked again first (``services.record_rules``): a
    submission is a path into the database like any import (a hazard must be active with
    nothing released, its geometry valid and in the region, its dates not in the future, ...).
    """
    from clearground.domain.landrelease import polygonal
    from clearground.services.hazard_links import HazardLinks
    from clearground.services.record_rules import recheck

    with store.transaction() as tx:
        v = _get(tx, sub_id)
        sub: Submission = v.record
        decide(sub, approve=True, by=author, reason=reason)  # refuses a second decision early
        record = sub.record
        given = record.id
        if given and tx.existing_ids(sub.kind, [given]):
            raise BadInput(f"{sub_id}: a {sub.kind} with id {given!r} exists already")
        problems = recheck(sub.kind, record, region=region)
        if problems:
            raise BadInput(f"{sub_id}: cannot be approved: " + "; ".join(problems))
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
            found_by = record.found_during if sub.kind == "eo" else ""
            links.reopen_around(0, record.id, what, record.date, author, found_by=found_by)
            if sub.kind == "accident":
                _move_personal(tx, sub_id, record, author)
        elif sub.kind == "activity":  # its land is released now, on the hazard as it stands
            from clearground.services.activity_review import approve_activity

            record = approve_activity(
                tx,
                sub_id,
                record,
                author=author,
                why=why,
                completes=bool(sub.attributes.get("completes")),
            )
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
    """Reject a submission; it stays, with the reason, and nothing enters the database.

    Its victims' personal data is deleted: a tombstone, and every earlier version of it erased
    (that it existed, when and by whom stay; names, contacts and notes do not)."""
    with store.transaction() as tx:
        v = _get(tx, sub_id)
        decided = decide(v.record, approve=False, by=author, reason=reason)
        if decided.kind == "accident":  # no record will need it: deleted, content and all
            for held in _held(tx, sub_id, len(decided.record.victims)).values():
                tx.delete(
                    PERSONAL,
                    held.id,
                    expected_version=held.version,
                    author=author,
                    reason=f"withdrawn: submission {sub_id} rejected",
                )
                tx.redact(PERSONAL, held.id, without_personal_data(held.record))
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
