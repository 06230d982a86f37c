"""The records pages: ``/records`` (one kind, filtered by status, classification, admin area,
organisation and date, optionally as of a past date) and ``/records/{kind}/{id}`` (the record
with its history timeline: every version, who, when, why, the fields that changed, and the
polygon before and after on a small map). Signed-in readers only, as the JSON API's reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from clearground.web.deps import Principal, principal, reader_of, require_read
from clearground.web.pages.i18n import gettext as _
from clearground.web.pages.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
PAGE = 100


def kind_labels() -> dict[str, str]:
    return {
        "hazard": _("Hazard areas"),
        "eo": _("EO items"),
        "accident": _("Accidents"),
        "activity": _("Land release activities"),
    }


@router.get("/records")
def records_page(
    request: Request,
    who: Annotated[Principal, Depends(principal)],
    kind: str = "hazard",
    status: str = "",
    classification: str = "",
    admin: str = "",
    organisation: str = "",
    date_from: str = "",
    date_to: str = "",
    as_of: str = "",
    page: int = 1,
) -> Response:
    from clearground.services.browse import FILTERS, Filters, list_rows, organisations
    from clearground.web.api_params import parse_as_of

    if who.role == "public":
        require_read(who, kind, history=True)  # the public: sign in first
    require_read(who, kind)
    when = parse_as_of(as_of) if as_of else None
    if when is not None:
        require_read(who, kind, history=True)
    filters = Filters(
        status=status,
        classification=classification,
        admin=admin,
        organisation=organisation,
        date_from=date_from,
        date_to=date_to,
    )
    page = max(1, page)
    rows, matched = list_rows(
        request.app.state.web.store,
        kind,
        reader_of(who),
        filters,
        as_of=when,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    query = {
        "kind": kind,
        "status": status,
        "classification": classification,
        "admin": admin,
        "organisation": organisation,
        "date_from": date_from,
        "date_to": date_to,
        "as_of": as_of,
    }
    return render(
        request,
        "records.html",
        kind=kind,
        kinds=kind_labels(),
        rows=rows,
        matched=matched,
        page=page,
        pages=max(1, -(-matched // PAGE)),
        query=query,
        filters=FILTERS.get(kind, ()),
        organisations=organisations(request.app.state.web.store)
        if "organisation" in FILTERS.get(kind, ())
        else [],
    )


@router.get("/records/{kind}/{record_id}")
def record_page(
    request: Request, kind: str, record_id: str, who: Annotated[Principal, Depends(principal)]
) -> Response:
    from clearground.services.browse import LISTED, timeline
    from clearground.web.pages.map import status_label

    if kind not in LISTED:
        from clearground.domain.errors import NotFound

        raise NotFound(f"no records page for kind {kind!r}")
    require_read(who, kind, history=True)
    data = timeline(request.app.state.web.store, kind, record_id, reader_of(who))
    return render(
        request,
        "record.html",
        kind=kind,
        kind_label=kind_labels()[kind],
        data=data,
        status_label=status_label,
    )
