"""The map page: recorded hazard areas, EO items, accidents and admin areas from the server's
vector tiles (MapLibre GL JS served from /static/vendor), layer toggles, a legend, feature
cards, route checks (drawn or uploaded), and the whole map as it was on a past date (``as_of``).

Everything the map draws comes from ``/tiles`` (the public projection: no personal data);
the page only passes the settings and its translated words to ``static/js/map.js``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from clearground.web.pages.i18n import current as i18n_current
from clearground.web.pages.i18n import gettext as _
from clearground.web.pages.render import render, who_of

__all__ = ["map_config", "router"]

router = APIRouter(include_in_schema=False)

STATUSES = ("active", "in_progress", "reopened", "closed", "handed_over")


def _bounds(request: Request) -> list[float]:
    """Where the map opens: the admin areas' extent (few records), else the operating region."""
    from clearground.services.read import extent

    store = request.app.state.web.store
    key = store.data_version("location")
    cached = getattr(request.app.state, "pages_map_bounds", None)
    if cached is None or cached[0] != key:
        bounds, _days = extent(store, "location")
        if bounds is None:
            bounds = request.app.state.web.settings.operating_region.bounds
        cached = request.app.state.pages_map_bounds = (key, [float(b) for b in bounds])
    return cached[1]


def status_label(status: str) -> str:
    return {
        "active": _("active"),
        "in_progress": _("in progress"),
        "reopened": _("reopened"),
        "closed": _("closed"),
        "handed_over": _("handed over"),
    }.get(status, status)


def map_config(request: Request, as_of: str | None) -> dict[str, Any]:
    """What map.js needs: bounds, style, as_of, and its words in the page's language."""
    who = who_of(request)
    return {
        "bounds": _bounds(request),
        # records lie in the operating region (every import checks it): no tile is asked for
        # outside it
        "region": [float(b) for b in request.app.state.web.settings.operating_region.bounds],
        "basemap_style_url": request.app.state.web.settings.basemap_style_url,
        "as_of": as_of,
        # the check's answers come with ``message_<lang>`` in this language (check_messages)
        "lang": i18n_current(),
        "signed_in": who.role != "public",
        "statuses": {s: status_label(s) for s in STATUSES},
        "text": {
            "hazard": _("Hazard area"),
            "eo": _("EO item"),
            "accident": _("Accident"),
            "admin": _("Admin area"),
            "id": _("Id"),
            "name": _("Name"),
            "status": _("Status"),
            "classification": _("Classification"),
            "category": _("Category"),
            "eo_type": _("EO type"),
            "date": _("Date"),
            "killed": _("Killed"),
            "injured": _("Injured"),
            "pcode": _("P-code"),
            "level": _("Level"),
            "open_record": _("Open the record and its history"),
            "checking": _("Checking the route…"),
            "check_failed": _("The check failed:"),
            "distance": _("distance (m)"),
            "covered_no": _("Part of this route lies where the database covers nothing."),
            "covers": _("This database covers:"),
            "no_route": _("The file holds no line or point to check."),
            "draw_hint": _(
                "Click on the map to add points; click the last point or press Enter to finish."
            ),
            "in_view": _("Features in view"),
            "none_in_view": _("No feature is drawn in this view."),
        },
    }


@router.get("/map")
def map_page(request: Request, as_of: str | None = None) -> Response:
    """The map; ``as_of`` (a date) shows every layer as it was at the end of that day, for a
    signed-in reader (a past state is history, as in the JSON API)."""
    from clearground.web.api_params import parse_as_of
    from clearground.web.deps import require_read

    as_of = as_of or None
    if as_of is not None:
        parse_as_of(as_of)  # a bad date is a 400 page naming it
        require_read(who_of(request), "hazard", history=True)
    from clearground.web.pages import i18n
    from clearground.web.pages.render import language

    token = i18n.use(language(request))  # map.js's words in the page's language
    try:
        config = map_config(request, as_of)
    finally:
        i18n._current.reset(token)
    return render(request, "map.html", config=config, as_of=as_of)
