"""The JSON API under ``/api/v1`` (and ``/healthz``): routes only adapt, services decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from clearground.web.api_schemas import CHECK, HEALTH, ok
from clearground.web.deps import Principal, principal, web_state
from clearground.web.state import WebState

__all__ = ["router"]

router = APIRouter()


@router.get("/healthz", response_model=None, responses=ok(HEALTH))
def healthz(state: Annotated[WebState, Depends(web_state)]) -> dict[str, Any]:
    """The database this server answers from and its schema version."""
    from clearground.store.secrets import mask

    store = state.store
    return {"status": "ok", "database": mask(store.url), "schema_version": store.schema_version()}


async def _state(request: Request) -> WebState:
    return request.app.state.web  # as ``deps.web_state``, without a worker thread


async def _who(request: Request, background: BackgroundTasks) -> Principal:
    """``deps.principal``: on the event loop for the anonymous public (nothing to read), in a
    worker thread for a token or a session cookie (a database read)."""
    from clearground.web.auth import SESSION_COOKIE

    if "authorization" not in request.headers and SESSION_COOKIE not in request.cookies:
        return principal(request, background)
    return await run_in_threadpool(principal, request, background)


@router.get("/api/v1/check", response_model=None, responses=ok(CHECK))
async def check_point(
    state: Annotated[WebState, Depends(_state)],
    who: Annotated[Principal, Depends(_who)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    buffer_m: Annotated[float, Query(ge=0, le=100_000)] = 200.0,
    lang: Annotated[str | None, Query()] = None,
) -> Response:
    """Recorded hazards within ``buffer_m`` of a place, with what the database covers there:
    the same answer and wording as ``clearground check --point`` (``lang=uk`` adds
    ``message_uk``, the same message in Ukrainian, for a page)."""
    import orjson
    import shapely

    from clearground.services.check_index import shared_index

    index, point, region = (
        shared_index(state.store),
        shapely.Point(lon, lat),
        state.settings.operating_region,
    )
    # a warm check is microseconds of CPU: answered here; one that waits (a rebuild, a
    # database round trip) goes to a worker thread so that the server goes on answering
    answer = index.check_if_warm(point, buffer_m=buffer_m, region=region)
    if answer is None:
        answer = await run_in_threadpool(index.check, point, buffer_m=buffer_m, region=region)
    if lang:
        from clearground.web.pages.check_messages import with_language

        answer = with_language(answer, lang)
    # the answer is plain JSON already: encoded at once, not walked again by the framework
    return Response(
        orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


def _include() -> None:
    """The rest of ``/api/v1``, after the routes above: the check by POST, decisions on
    submissions and writes (whose fixed paths come first), then each collection's reads."""
    from clearground.web import api_check, api_records, api_review, api_writes

    for module in (api_check, api_review, api_writes, api_records):
        router.include_router(module.router)


_include()
