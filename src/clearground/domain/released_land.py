"""The land each activity itself released, kept on its hazard, and giving it back.

A hazard's ``released_by`` maps each activity id to the land that activity released and still
holds released; ``released_geometry`` is their union. A failed QC sample or new evidence takes
land back from the activity that released it, off that activity's own outcome, and never from
land another activity released. Hazards released before this was kept hold land of unknown
activities; it is worked with under the key ``""``.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from clearground.domain.areas import geodesic_area
from clearground.domain.partwise import HazardParts, Pieces
from clearground.domain.records import HazardArea, HazardStatus, ReleasedLand

__all__ = ["give_back", "give_back_unknown", "released_pieces", "with_released"]


def released_pieces(hp: HazardParts, hazard: HazardArea) -> dict[str, tuple[str, Pieces]]:
    """Each activity's own released land as pieces; land released before this was kept (a
    hazard with released area but no ``released_by``) is kept under the key ``""``."""
    out = {k: (r.outcome, hp.clip(r.geometry)) for k, r in hazard.released_by.items()}
    kept = sum(p.area() for _, p in out.values())
    if geodesic_area(hazard.released_geometry) - kept > 0.01:  # m²: more than float noise
        whole = hp.clip(hazard.released_geometry)
        for _, pieces in out.values():
            whole = whole.minus(pieces)
        out[""] = ("", whole)
    return out


def with_released(
    hazard: HazardArea, hp: HazardParts, by: dict[str, tuple[str, Pieces]], **changes: Any
) -> HazardArea:
    """``hazard`` with ``by`` as its released land (the union part by part, per activity)."""
    union = Pieces.none()
    for _, pieces in by.values():
        union = union.plus(pieces)
    return dataclasses.replace(
        hazard,
        released_geometry=union.geometry(),
        released_by={
            k: ReleasedLand(outcome, pieces.geometry()) for k, (outcome, pieces) in by.items() if k
        },
        **changes,
    )


def give_back(
    hazard: HazardArea, taken: dict[str, Pieces], hp: HazardParts
) -> tuple[HazardArea, dict[str, tuple[str, float]]]:
    """``hazard`` with the land ``taken`` from each activity (ids in ``released_by``; the key
    ``""`` is never given) back in its remaining area,
    off that activity's own outcome. Returns the hazard and, per activity, (outcome, m² back).
    A closed or handed-over hazard that gets land back is reopened."""
    by = released_pieces(hp, hazard)
    released = hazard.released
    back: dict[str, tuple[str, float]] = {}
    for key, pieces in taken.items():
        outcome, own = by[key]
        returned = own.times(pieces)
        m2 = min(returned.area(), getattr(released, outcome))
        released = released.plus(outcome, -m2)
        by[key] = (outcome, own.minus(returned))
        back[key] = (outcome, m2)
    status = hazard.status
    if any(m2 > 0 for _, m2 in back.values()) and status in (
        HazardStatus.CLOSED,
        HazardStatus.HANDED_OVER,
    ):
        status = HazardStatus.REOPENED
    return with_released(hazard, hp, by, released=released, status=status), back


def give_back_unknown(
    hazard: HazardArea, hp: HazardParts, within: Pieces, outcome: str
) -> tuple[HazardArea, float]:
    """Land of an activity recorded before each activity's own land was kept: back off
    ``outcome``, as far as that outcome holds released area."""
    by = released_pieces(hp, hazard)
    _, unknown = by[""]
    returned = unknown.times(within)
    m2 = min(returned.area(), getattr(hazard.released, outcome))
    by[""] = ("", unknown.minus(returned))
    status = hazard.status
    if m2 > 0 and status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
        status = HazardStatus.REOPENED
    new = with_released(hazard, hp, by, released=hazard.released.plus(outcome, -m2), status=status)
    return new, m2
