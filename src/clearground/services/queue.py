"""The submission queue: field reports wait here as pending submissions for review.

``submit`` puts records (not yet in the database) in the queue, each with the recorded data and
pending submissions it may duplicate (an EO item of the same type within 25 m and 3 days; a
hazard or a land release activity overlapping an existing one by more than half; an accident
within 100 m and 3 days; an EORE session of the same organisation on the same day within
100 m). Victims' personal data never enters a submission: it waits apart in the
``victim_personal`` kind under ``SUBMISSION/N``. Deciding on a submission is ``services.review``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely

from clearground.analysis.duplicates import eo_duplicates, hazard_overlaps
from clearground.analysis.proximity import degree_margin
from clearground.domain.errors import BadInput
from clearground.domain.records import VictimPersonalData
from clearground.domain.review import Submission, SubmissionStatus
from clearground.store.base import Store

__all__ = ["KIND", "PERSONAL", "REVIEWABLE", "pending_submissions", "submit"]

KIND = "submission"
PERSONAL = "victim_personal"
REVIEWABLE = ("hazard", "eo", "accident", "eore", "activity")
#: Kinds matched by place: within (metres, days) of each other, two records of the same EO type
#: (EO), any two (accidents) or two of the same organisation (EORE) may be duplicates.
_NEAR = {"eo": (25.0, 3), "accident": (100.0, 3), "eore": (100.0, 0)}


def pending_submissions(store: Store, kind: str) -> list[Submission]:
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
    pending = pending_submissions(store, kind)
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
