"""The review queue's decisions over ``/api/v1``: approve or reject a submission (im_officer and
admin only). Listing and showing submissions are the ``submissions`` collection's reads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from clearground.web.api_params import PROBLEM_RESPONSES
from clearground.web.deps import Principal, principal, reader_of, require_role, web_state
from clearground.web.state import WebState

__all__ = ["DECIDERS", "router"]

router = APIRouter(prefix="/api/v1", tags=["submissions"], responses=PROBLEM_RESPONSES)

#: Roles that decide on submissions.
DECIDERS = ("admin", "im_officer")

StateDep = Annotated[WebState, Depends(web_state)]
WhoDep = Annotated[Principal, Depends(principal)]


@router.post("/submissions/{record_id}/approve", summary="Approve a submission")
def approve_submission(
    state: StateDep,
    who: WhoDep,
    record_id: str,
    reason: Annotated[str, Query(description="Kept in the history.")] = "",
) -> dict[str, Any]:
    """Its record enters the database as a version citing the submission (every rule of the
    kind's import is checked again)."""
    from clearground.services.projections import submission_json
    from clearground.services.review import approve

    require_role(who, *DECIDERS)
    done = approve(
        state.store,
        record_id,
        author=who.name,
        reason=reason,
        region=state.settings.operating_region,
    )
    return submission_json(state.store, done, reader_of(who))


@router.post("/submissions/{record_id}/reject", summary="Reject a submission, with a reason")
def reject_submission(
    state: StateDep,
    who: WhoDep,
    record_id: str,
    reason: Annotated[str, Query(min_length=1, description="Why: required, and kept.")],
) -> dict[str, Any]:
    """It stays, with the reason, and nothing enters the database."""
    from clearground.services.projections import submission_json
    from clearground.services.review import reject

    require_role(who, *DECIDERS)
    done = reject(state.store, record_id, author=who.name, reason=reason)
    return submission_json(state.store, done, reader_of(who))
