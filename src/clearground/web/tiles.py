"""Vector tiles: ``/tiles/{collection}/{z}/{x}/{y}.mvt`` and ``/tiles/{collection}.json``
(TileJSON 3.0.0). Routes only adapt; ``services.tiles`` decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Header, Query, Request, Response

from clearground.web.deps import web_state
from clearground.web.state import WebState

__all__ = ["router"]

router = APIRouter(tags=["tiles"])


@router.get("/tiles/{collection}.json")
def tilejson(
    collection: str, request: Request, state: Annotated[WebState, Depends(web_state)]
) -> dict[str, Any]:
    """The TileJSON of a tiled collection: ``hazard_areas``, ``eo_items``, ``accidents`` or
    ``admin_areas``."""
    from clearground.services.tiles import tilejson as build

    return build(collection, str(request.base_url), state.settings.operating_region)


@router.get(
    "/tiles/{collection}/{z}/{x}/{y}.mvt",
    response_class=Response,
    responses={200: {"content": {"application/vnd.mapbox-vector-tile": {}}}, 304: {}},
)
def vector_tile(
    collection: str,
    z: str,
    x: str,
    y: str,
    request: Request,
    background: BackgroundTasks,
    state: Annotated[WebState, Depends(web_state)],
    if_none_match: Annotated[str | None, Header()] = None,
    accept_encoding: Annotated[str | None, Header()] = None,
    as_of: Annotated[str | None, Query()] = None,
) -> Response:
    """One Mapbox vector tile (web mercator XYZ) of the collection's current records, with an
    ETag that changes when they do (``If-None-Match`` is answered 304). With ``as_of`` (an ISO
    date or time) the records as they were then: a past state is history, so it needs a
    signed-in reader (401 for the public)."""
    from clearground.services.tiles import MEDIA_TYPE, tile_answer
    from clearground.services.tiles import collection as tiled

    when = None
    if as_of is not None:
        from clearground.web.api_params import parse_as_of
        from clearground.web.deps import principal, require_read

        when = parse_as_of(as_of)
        require_read(principal(request, background), tiled(collection).kind, history=True)
    answer = tile_answer(
        state.store,
        collection,
        z,
        x,
        y,
        if_none_match=if_none_match,
        as_of=when,
        accept_encoding=accept_encoding,
    )
    media = MEDIA_TYPE if answer.status == 200 else None
    return Response(
        answer.body, status_code=answer.status, headers=answer.headers, media_type=media
    )
