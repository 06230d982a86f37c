"""``POST /api/v1/check``: a route (a GeoJSON geometry, or a GPX upload) checked as ``clearground
check FILE`` checks it, with the same answer and wording (``services.check``)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from clearground.domain.errors import BadInput, CleargroundError, ImportRejected
from clearground.web.api_params import PROBLEM_RESPONSES, parse_as_of
from clearground.web.api_schemas import CHECK, ok
from clearground.web.deps import Principal, principal, web_state
from clearground.web.state import WebState
from clearground.web.uploads import read_body, receive_file

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["check"], responses=PROBLEM_RESPONSES)

ROUTE_TYPES = ("LineString", "MultiLineString", "Point", "MultiPoint")
_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/geo+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


class NotARoute(BadInput):
    """A well-formed geometry that is no route or place (a polygon): its content is refused."""

    http_status = 422


def geojson_route(raw: bytes) -> bytes:
    """A GeoJSON geometry (or a Feature of one) as a Feature file GDAL reads; anything else is
    refused (400) before GDAL sees it."""
    import shapely

    try:
        doc = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"body: not JSON ({exc})") from None
    if isinstance(doc, dict) and doc.get("type") == "Feature":
        doc = doc.get("geometry")
    if not isinstance(doc, dict) or not isinstance(doc.get("type"), str):
        raise BadInput("body: a GeoJSON geometry (a LineString of the route, or a Point)")
    try:
        shapely.from_geojson(orjson.dumps(doc))
    except Exception as exc:  # shapely.errors.GEOSException and friends: bad GeoJSON
        raise BadInput(f"body: not a GeoJSON geometry ({exc})") from None
    if doc["type"] not in ROUTE_TYPES:
        raise NotARoute(
            f"body: geometry is a {doc['type']}, not a line (route or track) or a point"
        )
    return orjson.dumps({"type": "Feature", "properties": {}, "geometry": doc})


def check_file(
    state: WebState, path: Path, shown: str, buffer_m: float, as_of: str | None
) -> dict[str, Any]:
    from clearground.services.check import read_route
    from clearground.services.check_index import shared_index

    try:
        route = read_route(path)
    except CleargroundError as exc:
        exc.message = exc.message.replace(str(path), shown)
        exc.args = (exc.message,)
        if isinstance(exc, ImportRejected):
            exc.problems = [p.replace(str(path), shown) for p in exc.problems]
        raise
    return shared_index(state.store).check(  # the warm index; a past state reads the store
        route, buffer_m=buffer_m, as_of=as_of, region=state.settings.operating_region
    )


@router.post("/check", openapi_extra=_BODY, response_model=None, responses=ok(CHECK))
async def check_route(
    request: Request,
    state: Annotated[WebState, Depends(web_state)],
    who: Annotated[Principal, Depends(principal)],
    buffer_m: Annotated[float, Query(ge=0, le=100_000)] = 200.0,
    as_of: Annotated[str | None, Query()] = None,
    lang: Annotated[str | None, Query()] = None,
) -> Response:
    """Recorded hazards a route crosses or comes within ``buffer_m`` of, with what the
    database covers along it: the answer of ``clearground check FILE`` (``lang=uk`` adds
    ``message_uk``, the same message in Ukrainian, for a page)."""
    when = parse_as_of(as_of)
    with tempfile.TemporaryDirectory(prefix="clearground-check-") as tmp:
        if request.headers.get("content-type", "").lower().startswith("multipart/"):
            path, shown = await receive_file(request, Path(tmp))
        else:
            path, shown = Path(tmp) / "route.geojson", "body"
            path.write_bytes(geojson_route(await read_body(request)))
        answer = await run_in_threadpool(check_file, state, path, shown, buffer_m, when)
    if lang:
        from clearground.web.pages.check_messages import with_language

        answer = with_language(answer, lang)
    return Response(
        orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )
