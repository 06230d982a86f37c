"""The map page: recorded hazard areas, EO items, accidents and admin areas from the server's
vector tiles (MapLibre GL JS served from /static/vendor), a legend, feature cards, route checks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clearground.web.pages.render import render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


@router.get("/map")
def map_page(request: Request) -> Response:
    return render(request, "map.html")
