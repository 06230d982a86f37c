"""The review queue: ``GET /review`` (submissions by status, pending first), ``GET
/review/{id}`` (one, with its likely duplicates side by side on a small map), ``POST
/review/{id}/approve`` and ``POST /review/{id}/reject`` (a reason required). Only an IM officer
or an admin, as in the JSON API (``web.api_review.DECIDERS``); approval checks every rule of the
kind's import again (``services.review.approve``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearground.domain.errors import BadInput
from clearground.web.api_review import DECIDERS
from clearground.web.deps import Principal, principal, reader_of, require_role
from clearground.web.pages.messages_uk import translate
from clearground.web.pages.render import form_principal, language, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

WhoDep = Annotated[Principal, Depends(principal)]
FormWhoDep = Annotated[Principal, Depends(form_principal)]
STATUSES = ("pending", "approved", "rejected")
#: Colours of the small map: the submission, what it may duplicate, the hazard of an activity.
COLOURS = {"submission": "#0b5cad", "duplicate": "#c62828", "hazard": "#6d4c41"}


@router.get("/review")
def review_queue(request: Request, who: WhoDep, status: str = "pending") -> Response:
    from clearground.services.review_view import queue

    require_role(who, *DECIDERS)
    if status not in STATUSES:
        raise BadInput(f"status {status!r}: one of {', '.join(STATUSES)}")
    items = queue(request.app.state.web.store, reader_of(who), status)
    return render(
        request,
        "review/queue.html",
        items=items,
        status=status,
        statuses=STATUSES,
        done=request.query_params.get("done", ""),
        outcome=request.query_params.get("outcome", ""),
    )


def _item_page(
    request: Request, who: Principal, sub_id: str, *, status_code: int = 200, **errors: str
) -> Response:
    from clearground.services.review_view import review_item

    item = review_item(request.app.state.web.store, sub_id, reader_of(who))
    return render(
        request,
        "review/item.html",
        status_code=status_code,
        item=item,
        colours=COLOURS,
        errors=errors,
    )


@router.get("/review/{sub_id}")
def review_one(request: Request, who: WhoDep, sub_id: str) -> Response:
    require_role(who, *DECIDERS)
    return _item_page(request, who, sub_id)


def _done(sub_id: str, outcome: str) -> RedirectResponse:
    return RedirectResponse(f"/review?done={sub_id}&outcome={outcome}", status_code=303)


@router.post("/review/{sub_id}/approve")
async def approve_submit(
    request: Request, who: FormWhoDep, sub_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Approve; a rule the record breaks now is shown on its page (nothing changed)."""
    from clearground.services.review import approve

    require_role(who, *DECIDERS)
    state = request.app.state.web
    try:
        await run_in_threadpool(
            approve,
            state.store,
            sub_id,
            author=who.name,
            reason=reason,
            region=state.settings.operating_region,
        )
    except BadInput as exc:
        return _item_page(
            request, who, sub_id, status_code=exc.http_status, approve=_worded(request, exc)
        )
    return _done(sub_id, "approved")


def _worded(request: Request, exc: BadInput) -> str:
    """The rules' refusal in the page's language."""
    return translate(exc.message, language(request))


@router.post("/review/{sub_id}/reject")
async def reject_submit(
    request: Request, who: FormWhoDep, sub_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    """Reject with a reason (required: the message is shown next to it)."""
    from clearground.services.review import reject

    require_role(who, *DECIDERS)
    state = request.app.state.web
    try:
        await run_in_threadpool(reject, state.store, sub_id, author=who.name, reason=reason)
    except BadInput as exc:
        why = _worded(request, exc).replace(" (--reason)", "")
        return _item_page(request, who, sub_id, status_code=exc.http_status, reject=why)
    return _done(sub_id, "rejected")
