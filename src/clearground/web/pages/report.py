"""The monthly report: the dashboard's figures for one month and admin area, on a page that
prints cleanly (and saves as PDF from the browser's print dialogue).

The month's dated figures (land released, EO items, casualties, operators) count the records
dated in that month; hazards and remaining area are those recorded now, or (``as_of``) as the
database was at the end of a chosen day. The month end is not taken as ``as_of`` by default:
``as_of`` is when the database recorded something, and records of a month are often entered
later.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from clearground.domain.errors import BadInput
from clearground.services import dashboard
from clearground.store.base import now_utc
from clearground.web.deps import Principal, principal, require_read
from clearground.web.pages import i18n
from clearground.web.pages.dashboard import area_choices, figure_views
from clearground.web.pages.messages_uk import translate
from clearground.web.pages.render import language, render

__all__ = ["report_filters", "router", "summary"]

router = APIRouter(include_in_schema=False)


def report_filters(
    area: str, month: str, as_of: str = "", today: str | None = None
) -> dashboard.Filters:
    """The report's filters: ``month`` (default: this month, UTC), ``area``, ``as_of``."""
    this_month = (today or datetime.now(UTC).date().isoformat())[:7]
    return dashboard.filters(area, (month or "").strip() or this_month, as_of)


def summary(figures: dict[str, dashboard.Figure]) -> list[tuple[str, Any, int | None]]:
    """The report's headline numbers: (label, value, decimals) for each."""

    def total(name: str, column: str) -> float:
        fig = figures[name]
        i = fig.columns.index(column)
        return sum(r[i] for r in fig.rows)

    return [
        (N_("Area released (m²)"), total("released", "released_m2"), 0),
        (N_("Cancelled (m²)"), total("released", "cancelled_m2"), 0),
        (N_("Reduced (m²)"), total("released", "reduced_m2"), 0),
        (N_("Cleared (m²)"), total("released", "cleared_m2"), 0),
        (N_("Land release activities"), total("released", "activities"), None),
        (N_("EO items found"), total("eo", "items"), None),
        (N_("Casualties"), total("casualties", "casualties"), None),
        (N_("Open hazards"), total("hazards", "open_hazards"), None),
        (N_("Remaining area (m²)"), total("hazards", "remaining_m2"), 0),
    ]


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated when shown."""
    return message


@router.get("/report")
def report_page(
    request: Request,
    who: Annotated[Principal, Depends(principal)],
    month: str = "",
    area: str = "",
    as_of: str = "",
) -> Response:
    """The monthly report for everyone signed in (the public is sent to sign in)."""
    require_read(who, "activity")
    store = request.app.state.web.store
    areas = area_choices(store)
    token = i18n.use(language(request))
    try:
        error, views, numbers, f = None, [], [], None
        try:
            f = report_filters(area, month, as_of)
            figures = dashboard.dashboard(store, f)
            query = {k: v for k, v in (("area", f.area), ("month", f.month)) if v}
            if as_of.strip():
                query["as_of"] = as_of.strip()
            views = figure_views(figures, query)
            numbers = [
                (i18n.gettext(label), i18n.format_number(value, digits))
                for label, value, digits in summary(figures)
            ]
        except BadInput as exc:
            error = translate(exc.message, language(request))
        names = {a["pcode"]: a["name"] for a in areas}
        return render(
            request,
            "report.html",
            status_code=400 if error else 200,
            figures=views,
            numbers=numbers,
            error=error,
            areas=areas,
            area=(f.area if f else area) or "",
            area_name=names.get(f.area or "", "") if f else "",
            month=(f.month if f else month) or "",
            month_label=i18n.format_date(f"{f.month}-01", "LLLL y") if f and f.month else "",
            as_of=as_of.strip(),
            printed=now_utc(),
        )
    finally:
        i18n._current.reset(token)
