"""The JSON API under ``/api/v1`` (and ``/healthz``): routes only adapt, services decide."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

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


@router.get("/api/v1/check", response_model=None, responses=ok(CHECK))
def check_point(
    state: Annotated[WebState, Depends(web_state)],
    who: Annotated[Principal, Depends(principal)],
    lon: Annotated[float, Query(ge=-180, le=180)],
    lat: Annotated[float, Query(ge=-90, le=90)],
    buffer_m: Annotated[float, Query(ge=0, le=100_000)] = 200.0,
) -> dict[str, Any]:
    """Recorded hazards within ``buffer_m`` of a place, with what the database covers there:
    the same answer and wording as ``clearground check --point``."""
    import shapely

    from clearground.services.check_index import shared_index

    return shared_index(state.store).check(
        shapely.Point(lon, lat),
        buffer_m=buffer_m,
        region=state.settings.operating_region,
    )


def _include() -> None:
    """The rest of ``/api/v1``, after the routes above: the check by POST, decisions on
    submissions and writes (whose fixed paths come first), then each collection's reads."""
    from clearground.web import api_check, api_records, api_review, api_writes

    for module in (api_check, api_review, api_writes, api_records):
        router.include_router(module.router)


_include()
