"""Evidence against the recorded hazards: which hazard an EO item or accident lies in, and what
its finding does to land released there.

Used inside one transaction by every path that records evidence (EO and accident imports, review
approval): evidence in released land discredits that release (``domain.evidence.reopen``).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import shapely

from clearground.domain.evidence import reopen
from clearground.domain.records import EvidenceStatus
from clearground.store.base import Store, Version

__all__ = ["HazardLinks"]


class HazardLinks:
    """Evidence points against the recorded hazards, inside one transaction.

    Finds every hazard near the points once and queries one STRtree for all of them; links each
    point to the hazard it lies in (or the one named), and reopens closed hazards it falls in.
    """

    def __init__(self, store: Store, tx, points: np.ndarray, named: list[str]) -> None:
        self.tx = tx
        self.points = points
        near = store.in_bbox("hazard", tuple(shapely.total_bounds(points))) if len(points) else []
        current = tx.get_many("hazard", [v.id for v in near]) if near else {}
        wanted = sorted(set(named) - {""})
        self.state: dict[str, Version] = {
            **current,
            **(tx.get_many("hazard", wanted) if wanted else {}),
        }
        hazards = [v for v in self.state.values() if v.id in current]
        tree = shapely.STRtree(np.array([v.record.geometry for v in hazards], dtype=object))
        point_idx, hazard_idx = tree.query(points, predicate="intersects")
        self.inside: dict[int, list[str]] = {}
        for p, h in zip(point_idx.tolist(), hazard_idx.tolist(), strict=True):
            self.inside.setdefault(p, []).append(hazards[h].id)
        for ids in self.inside.values():
            ids.sort()
        self.notes: list[str] = []
        self.outside = 0

    def exists(self, hazard_id: str) -> bool:
        return not hazard_id or hazard_id in self.state

    def link(self, i: int, wanted: str) -> str:
        """The hazard point ``i`` belongs to: the one named, else the first it lies in, else ''."""
        containing = self.inside.get(i, [])
        return wanted or (containing[0] if containing else "")

    def status(self, i: int) -> EvidenceStatus:
        if i in self.inside:
            return EvidenceStatus.INSIDE_HAZARD
        self.outside += 1
        return EvidenceStatus.OUTSIDE_RECORDED_HAZARDS

    def reopen_around(
        self, i: int, evidence_id: str, what: str, when: date, author: str, found_by: str = ""
    ) -> None:
        """Discredit the release of the land point ``i`` lies in, in every hazard it lies in:
        that land back in the hazard's remaining area, a closed or handed-over hazard reopened
        (``domain.evidence.reopen``), with the events. ``found_by`` names the activity during
        which an item was found (its own release stands)."""
        for hazard_id in self.inside.get(i, []):
            v = self.state[hazard_id]
            reopened, events = reopen(
                v.record, evidence_id, f"{what} {when}", self.points[i], found_by=found_by
            )
            if not events:
                continue
            back = sum(
                sum(e.detail["returned_m2"].values())
                if isinstance(e.detail["returned_m2"], dict)
                else e.detail["returned_m2"]
                for e in events
                if e.kind == "ReleaseDiscredited"
            )
            version = self.tx.update(
                "hazard",
                reopened,
                expected_version=v.version,
                author=author,
                reason=("reopened: " if reopened.status != v.record.status else "open: ")
                + f"{what} inside on {when}; {back:.0f} m² of released land back",
            )
            self.tx.add_events(events, author=author)
            self.state[hazard_id] = Version(
                "hazard", hazard_id, version, self.tx.time, author, "reopened", False, reopened
            )
            self.notes.append(
                f"{hazard_id} {'reopened' if reopened.status != v.record.status else 'open'}"
                f" by {evidence_id}: {back:.0f} m² of released land back"
            )
