"""Approving a land release activity from the review queue: its land is released then, by the
same rules as ``import activities`` (``domain.landrelease.apply_activity``), on the hazard as it
stands at approval, so an activity submitted on land released since is refused."""

from __future__ import annotations

from clearground.domain.completion import require_completion
from clearground.domain.errors import BadInput
from clearground.domain.landrelease import apply_activity
from clearground.domain.records import LandReleaseActivity

__all__ = ["approve_activity"]


def approve_activity(
    tx, sub_id: str, activity: LandReleaseActivity, *, author: str, why: str, completes: bool
) -> LandReleaseActivity:
    """Release the land of ``activity`` (its id given) in ``tx``: a new hazard version and its
    events citing the activity, and the activity itself; refusals name the submission."""
    v = tx.get("hazard", activity.hazard_id)
    if v is None or v.deleted:
        raise BadInput(f"{sub_id}: hazard {activity.hazard_id!r} not found")
    if activity.task_id:
        task = tx.get("task", activity.task_id)
        if task is None or task.deleted:
            raise BadInput(f"{sub_id}: task {activity.task_id!r} not found")
        if task.record.hazard_id != activity.hazard_id:
            raise BadInput(
                f"{sub_id}: task {activity.task_id!r} is for hazard {task.record.hazard_id}"
            )
    try:
        new_hazard, activity, events = apply_activity(v.record, activity)
        if completes:
            require_completion(new_hazard, activity.id)
    except BadInput as exc:
        raise type(exc)(f"{sub_id}: cannot be approved: {exc.message}") from None
    tx.update(
        "hazard",
        new_hazard,
        expected_version=v.version,
        author=author,
        reason=(
            f"land release {activity.id} ({activity.kind}, {activity.date}): "
            f"{activity.outcome} {activity.released_m2:.0f} m² ({why})"
        ),
    )
    tx.add_events(events, author=author)
    tx.insert("activity", [activity], author=author, reason=why)
    return activity
