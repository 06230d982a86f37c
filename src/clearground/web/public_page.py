"""The public map's page (``clearground publish DIR`` writes it as ``DIR/index.html``): one
static HTML file with every language's words embedded, so the page switches language without a
reload or a server. ``render_index`` renders ``templates/public/index.html`` with the pages'
Jinja2 environment and gettext catalogues; its JavaScript is ``static/public/*``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearground.web.pages import i18n

__all__ = ["TEXT", "render_index", "strings"]


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, which pybabel extracts
    """Marks a message for the catalogues; translated when the page is rendered."""
    return message


#: Each language's name in itself (the switch's buttons).
LANGUAGE_NAMES = {"uk": "Українська", "en": "English"}

#: Every word the page shows, by key (the JavaScript reads them by key).
TEXT: dict[str, str] = {
    "language": N_("Language"),
    "skip": N_("Skip to the map tools"),
    "map_label": N_("Map of recorded hazards"),
    "tools": N_("Map tools"),
    "synthetic": N_("SYNTHETIC data: invented for demonstration, not real hazards."),
    "as_of": N_("Records as of"),
    "published": N_("Published"),
    "by": N_("by"),
    "wording": N_(
        "The map shows recorded hazards only. Unrecorded hazards may exist anywhere: "
        "stay on used paths and report anything suspicious."
    ),
    "search": N_("Find an area"),
    "search_label": N_("Admin area name or P-code"),
    "search_button": N_("Find"),
    "search_none": N_("No admin area matches."),
    "legend": N_("Legend"),
    "cha": N_("CHA: confirmed hazard area (solid outline)"),
    "sha": N_("SHA: suspected hazard area (hatched, dashed outline)"),
    "small": N_("Hazard too small to draw at this zoom (dot)"),
    "admin_boundary": N_("Admin boundary"),
    "route": N_("Route or place checked"),
    "in_view": N_("List hazards in view"),
    "none_in_view": N_("No hazard is drawn in this view."),
    "hazard": N_("Hazard area"),
    "id": N_("Id"),
    "name": N_("Name"),
    "status": N_("Status"),
    "classification": N_("Classification"),
    "area_m2": N_("Area (m²)"),
    "admin_pcode": N_("Admin area (P-code)"),
    "close": N_("Close"),
    "check": N_("Check a route or place"),
    "check_hint": N_(
        "Draw a route on the map, drop a GPX file, or use this device's location: the answer "
        "says which recorded hazards it crosses or comes near."
    ),
    "buffer": N_("Distance to look around (m)"),
    "draw": N_("Draw a route"),
    "draw_place": N_("Mark a place"),
    "draw_hint": N_("Click on the map to add points; double-click (or press Enter) to finish."),
    "place_hint": N_("Click on the map to mark the place."),
    "gpx": N_("Or choose a GPX file (or drop it here)"),
    "locate": N_("Use my location"),
    "locating": N_("Finding this device's location…"),
    "locate_failed": N_("This device's location is not available:"),
    "clear": N_("Clear"),
    "checking": N_("Checking…"),
    "check_failed": N_("The check failed:"),
    "no_route": N_("The file holds no track, route or waypoint."),
    "distance": N_("distance (m)"),
    "summary_found": N_("Recorded hazards within %(buffer)s m: %(n)s (%(crossed)s crossed)."),
    "summary_none": N_("No recorded hazard within %(buffer)s m. Unrecorded hazards may exist."),
    "summary_uncovered": N_(
        "The published data does not cover all of it: nothing can be said about hazards there."
    ),
    "summary_no_data": N_("The published data holds no hazard records: nothing can be said."),
    "answer_en": N_("The answer as the data's publisher words it:"),
    "downloads": N_("Downloads"),
    "metadata": N_("About this data (metadata.json)"),
    "loading": N_("Loading the map…"),
}


def strings(lang: str) -> dict[str, Any]:
    """The page's words (and the hazard statuses' names) in ``lang``."""
    from clearground.web.pages.map import STATUSES, status_label

    token = i18n.use(lang)
    try:
        words = {key: i18n.gettext(msg) for key, msg in TEXT.items()}
        words["statuses"] = {s: status_label(s) for s in STATUSES}
        words["lang_name"] = LANGUAGE_NAMES.get(lang, lang)
    finally:
        i18n._current.reset(token)
    return words


def render_index(
    *,
    languages: Sequence[str],
    default_language: str,
    as_of: str | None,
    title: str,
) -> str:
    """``index.html``: the page in ``default_language``, with the words of every language."""
    from clearground.web.pages.render import templates

    langs = [lang for lang in languages if lang in i18n.LANGUAGES] or [i18n.DEFAULT]
    default = default_language if default_language in langs else langs[0]
    every = {lang: strings(lang) for lang in langs}
    token = i18n.use(default)
    try:
        return (
            templates()
            .get_template("public/index.html")
            .render(
                languages=langs,
                default_language=default,
                as_of=as_of,
                title=title,
                strings=every,
            )
        )
    finally:
        i18n._current.reset(token)
