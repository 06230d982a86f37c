"""The dashboard: land released, EO items found, casualties, hazards by admin area and the
operators' progress (services/dashboard.py), each as a chart (Chart.js from /static/vendor), a
table of its numbers and a link to them as CSV (``/dashboard/NAME.csv``).

The figures' views (labels, table cells, chart data) are built here as plain data, in the
request's language, and shared with the monthly report (web/pages/report.py).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from clearground.domain.errors import BadInput
from clearground.services import dashboard
from clearground.web.deps import Principal, principal, require_read
from clearground.web.pages import i18n
from clearground.web.pages.messages_uk import translate
from clearground.web.pages.render import language, render

__all__ = ["FIGURE_TITLES", "figure_views", "router"]

router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated when shown."""
    return message


FIGURE_TITLES = {
    "released": N_("Area released per month by outcome"),
    "eo": N_("EO items found per month"),
    "casualties": N_("Casualties per month"),
    "hazards": N_("Hazards and remaining area by admin area"),
    "operators": N_("Operators' progress"),
}
FIGURE_NOTES = {
    "released": N_(
        "Area each land release activity released, in the month of its date: cancelled by "
        "non-technical survey, reduced by technical survey, cleared by clearance (m²)."
    ),
    "eo": N_("EO items recorded, by the month of their date and category."),
    "casualties": N_("Victims of recorded accidents, by the month of the accident."),
    "hazards": N_(
        "Recorded hazards in each admin area: how many, how many are still open, their area, "
        "the area released and the area remaining (m²)."
    ),
    "operators": N_("Land release activities of each organisation and the area they released."),
}
COLUMNS = {
    "month": N_("Month"),
    "cancelled_m2": N_("Cancelled (m²)"),
    "reduced_m2": N_("Reduced (m²)"),
    "cleared_m2": N_("Cleared (m²)"),
    "released_m2": N_("Released (m²)"),
    "activities": N_("Activities"),
    "items": N_("EO items"),
    "mine_ap": N_("Anti-personnel mines"),
    "mine_at": N_("Anti-vehicle mines"),
    "cluster_munition": N_("Cluster munitions"),
    "uxo": N_("UXO"),
    "axo": N_("AXO"),
    "ied": N_("IEDs"),
    "other": N_("Other"),
    "records": N_("Reports"),
    "civilian_killed": N_("Civilians killed"),
    "civilian_injured": N_("Civilians injured"),
    "deminer_killed": N_("Deminers killed"),
    "deminer_injured": N_("Deminers injured"),
    "casualties": N_("Casualties"),
    "accidents": N_("Accidents"),
    "pcode": N_("P-code"),
    "admin_area": N_("Admin area"),
    "hazards": N_("Hazards"),
    "open_hazards": N_("Open hazards"),
    "area_m2": N_("Area (m²)"),
    "remaining_m2": N_("Remaining (m²)"),
    "organisation": N_("Organisation"),
    "name": N_("Name"),
    "nts": N_("Non-technical surveys"),
    "ts": N_("Technical surveys"),
    "clearance": N_("Clearances"),
}
#: What each chart draws: the series (columns) and how.
CHARTS: dict[str, dict[str, Any]] = {
    "released": {"series": ("cancelled_m2", "reduced_m2", "cleared_m2"), "stacked": True},
    "eo": {
        "series": ("mine_ap", "mine_at", "cluster_munition", "uxo", "axo", "ied", "other"),
        "stacked": True,
    },
    "casualties": {
        "series": ("civilian_killed", "civilian_injured", "deminer_killed", "deminer_injured"),
        "stacked": True,
    },
    "hazards": {"series": ("remaining_m2", "released_m2"), "stacked": True, "horizontal": True},
    "operators": {
        "series": ("cancelled_m2", "reduced_m2", "cleared_m2"),
        "stacked": True,
        "horizontal": True,
    },
}
NO_AREA = N_("(no admin area)")
NO_ORGANISATION = N_("(no organisation)")


@lru_cache(maxsize=4096)
def _formatted(lang: str, kind: str, value: Any) -> str:
    """Core's Babel formats (web/pages/i18n.py), kept: a page formats hundreds of numbers and
    months, most of them alike (zeros), and each Babel call parses its locale afresh."""
    if kind == "month":
        return i18n.format_date(f"{value}-01", "LLLL y", lang=lang)
    return i18n.format_number(value, 0 if kind == "float" else None, lang=lang)


def _cell(column: str, value: Any) -> str:
    """A table cell in the current language: months and numbers as the language writes them."""
    _ = i18n.gettext
    if column == "month":
        return _formatted(i18n.current(), "month", value)
    if isinstance(value, float):
        return _formatted(i18n.current(), "float", round(value))
    if isinstance(value, int):
        return _formatted(i18n.current(), "int", value)
    if column in ("admin_area", "name") and not value:
        return ""
    if column in ("pcode", "organisation") and not value:
        return _(NO_AREA) if column == "pcode" else _(NO_ORGANISATION)
    return str(value)


def _label(fig: dashboard.Figure, row: tuple) -> str:
    """The label of a row on the chart's axis."""
    named = dict(zip(fig.columns, row, strict=True))
    if fig.name == "hazards":
        return named["admin_area"] or named["pcode"] or i18n.gettext(NO_AREA)
    if fig.name == "operators":
        return named["name"] or named["organisation"] or i18n.gettext(NO_ORGANISATION)
    return _cell("month", named["month"])


def figure_views(figures: dict[str, dashboard.Figure], query: dict[str, str]) -> list[dict]:
    """What a page shows of each figure, in the current language: title, note, table header
    and rows, chart data and the CSV link (with the page's filters)."""
    _ = i18n.gettext
    out = []
    for name, fig in figures.items():
        chart = CHARTS[name]
        index = {c: i for i, c in enumerate(fig.columns)}
        out.append(
            {
                "name": name,
                "title": _(FIGURE_TITLES[name]),
                "note": _(FIGURE_NOTES[name]),
                "header": [_(COLUMNS.get(c, c)) for c in fig.columns],
                "numeric": [
                    c not in ("month", "pcode", "admin_area", "organisation", "name")
                    for c in fig.columns
                ],
                "rows": [
                    [_cell(c, x) for c, x in zip(fig.columns, r, strict=True)] for r in fig.rows
                ],
                "csv": f"/dashboard/{name}.csv" + (f"?{urlencode(query)}" if query else ""),
                "chart": {
                    "labels": [_label(fig, r) for r in fig.rows],
                    "series": [
                        {"label": _(COLUMNS[c]), "data": [r[index[c]] for r in fig.rows]}
                        for c in chart["series"]
                    ],
                    "stacked": chart.get("stacked", False),
                    "horizontal": chart.get("horizontal", False),
                    "title": _(FIGURE_TITLES[name]),
                },
            }
        )
    return out


def area_choices(store: Any) -> list[dict[str, Any]]:
    return dashboard.areas(store)


def query_of(area: str, month: str, as_of: str) -> dict[str, str]:
    """The filters as given, for links (empty ones left out)."""
    return {k: v for k, v in (("area", area), ("month", month), ("as_of", as_of)) if v}


@router.get("/dashboard")
def dashboard_page(
    request: Request,
    who: Annotated[Principal, Depends(principal)],
    area: str = "",
    month: str = "",
    as_of: str = "",
) -> Response:
    """The dashboard for everyone signed in (the public is sent to sign in)."""
    require_read(who, "activity")
    store = request.app.state.web.store
    token = i18n.use(language(request))
    try:
        error, views = None, []
        try:
            figures = dashboard.dashboard(store, dashboard.filters(area, month, as_of))
            views = figure_views(figures, query_of(area, month, as_of))
        except BadInput as exc:
            error = translate(exc.message, language(request))
        return render(
            request,
            "dashboard.html",
            status_code=400 if error else 200,
            figures=views,
            error=error,
            areas=area_choices(store),
            area=area,
            month=month,
            as_of=as_of,
        )
    finally:
        i18n._current.reset(token)


@router.get("/dashboard/{figure}.csv")
def figure_csv(
    request: Request,
    figure: str,
    who: Annotated[Principal, Depends(principal)],
    area: str = "",
    month: str = "",
    as_of: str = "",
) -> Response:
    """One figure's numbers as CSV (column names as in services/dashboard.py, areas in m²)."""
    require_read(who, "activity")
    fig = dashboard.figure(
        request.app.state.web.store, figure, dashboard.filters(area, month, as_of)
    )
    parts = ["clearground", figure, area.strip(), month.strip()]
    filename = "-".join(re.sub(r"[^A-Za-z0-9_-]", "", p) for p in parts if p) + ".csv"
    return Response(
        dashboard.csv_text(fig),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
