"""Completing a hazard: an activity recorded as the one that closes a hazard must leave none
of its area unreleased (IMAS 07.11). When it does not, the refusal says how much land is not
released yet and where it lies, so the person entering it knows which survey or clearance is
missing; nothing is closed by saying so.
"""

from __future__ import annotations

from clearground.domain.errors import ReleaseRefused
from clearground.domain.records import HazardArea, HazardStatus

__all__ = ["completion_problem", "require_completion"]

_CLOSED = (HazardStatus.CLOSED, HazardStatus.HANDED_OVER)


def completion_problem(after: HazardArea, activity_id: str) -> str | None:
    """What keeps ``after`` (a hazard after ``activity_id`` applied) from being closed: the
    area not released, where it lies (the centre and the bounds of the land left), and what
    would release it; None once the hazard is closed."""
    if after.status in _CLOSED:
        return None
    left = after.geometry.difference(after.released_geometry)
    if left.is_empty:  # a float sliver the domain did not count: name the whole hazard
        left = after.geometry
    c = left.representative_point()
    x0, y0, x1, y1 = left.bounds
    return (
        f"{activity_id} does not close hazard {after.id}: {after.remaining_m2:,.0f} m² of its "
        f"{after.area_m2:,.0f} m² is not released yet (the hazard stays {after.status}), "
        f"around lon {c.x:.5f}, lat {c.y:.5f} (within lon {x0:.5f}..{x1:.5f}, lat "
        f"{y0:.5f}..{y1:.5f}); draw the polygon over all of the land left, or record the "
        "non-technical survey (cancel), technical survey (reduce) or clearance (clear) "
        "that releases it first"
    )


def require_completion(after: HazardArea, activity_id: str) -> None:
    """Refuse (ReleaseRefused) an activity said to complete a hazard that it leaves open."""
    problem = completion_problem(after, activity_id)
    if problem:
        raise ReleaseRefused(problem)
