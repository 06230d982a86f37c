"""``render(request, template, **context)``: one page, in the request's language, for its user.

Every page's template extends ``base.html`` and gets in its context: ``who`` (the Principal),
``lang``, ``_`` / ``gettext`` / ``ngettext`` (the catalogue of ``lang``), ``csrf_token`` (for a
form's hidden ``csrf_token`` field), ``format_date`` / ``format_datetime`` / ``format_number``
(Babel, per language), ``nav`` (the pages this user may open), ``synthetic`` (the database holds
SYNTHETIC demo data: a banner says so) and ``request``.

The language: ``?lang=uk`` (or ``en``) chooses and is remembered in the ``lang`` cookie; else
the cookie; else English.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from fastapi import BackgroundTasks, Request
from fastapi.responses import HTMLResponse

from clearground.web.deps import Principal
from clearground.web.pages import i18n
from clearground.web.pages.i18n import N_

__all__ = ["LANG_COOKIE", "NAV", "form_principal", "language", "render", "templates"]

TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates"
LANG_COOKIE = "lang"

#: The navigation: (path, label, roles that see it). A page appears only when its route is
#: installed, so a branch without a page shows no dead link.
NAV: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("/map", N_("Map"), ("public", "viewer", "operator", "im_officer", "admin")),
    ("/records", N_("Records"), ("viewer", "operator", "im_officer", "admin")),
    ("/forms", N_("Forms"), ("operator", "im_officer", "admin")),
    ("/review", N_("Review"), ("im_officer", "admin")),
    ("/dashboard", N_("Dashboard"), ("viewer", "operator", "im_officer", "admin")),
    ("/report", N_("Monthly report"), ("viewer", "operator", "im_officer", "admin")),
    ("/users", N_("Users"), ("admin",)),
)


@lru_cache(maxsize=1)
def templates():
    """The Jinja2 environment (autoescaped; ``_()`` and ``{% trans %}`` translate into the
    language of the page being rendered)."""
    from jinja2 import Environment, FileSystemLoader, select_autoescape

    env = Environment(
        loader=FileSystemLoader(str(TEMPLATE_DIR)),
        autoescape=select_autoescape(("html", "xml")),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(i18n.gettext, i18n.ngettext, newstyle=True)
    env.globals.update(
        format_date=i18n.format_date,
        format_datetime=i18n.format_datetime,
        format_number=i18n.format_number,
        LANGUAGES=i18n.LANGUAGES,
        public_strings=_public_strings,
    )
    return env


def _public_strings(languages):
    """The public map's words in each of ``languages`` (templates/public/index.html)."""
    from clearground.web.public_page import strings

    return {lang: strings(lang) for lang in languages}


def language(request: Request) -> str:
    """The language of this request: ``?lang=``, else the ``lang`` cookie, else English."""
    asked = request.query_params.get("lang")
    if asked in i18n.LANGUAGES:
        return asked
    kept = request.cookies.get(LANG_COOKIE)
    return kept if kept in i18n.LANGUAGES else i18n.DEFAULT


def who_of(request: Request) -> Principal:
    """The request's Principal (worked out by ``Depends(principal)``, else now)."""
    cached = getattr(request.state, "principal", None)
    if cached is None:
        from clearground.domain.errors import CleargroundError
        from clearground.web.auth import identify
        from clearground.web.deps import PUBLIC_PRINCIPAL

        try:
            cached = request.state.principal = identify(request)
        except CleargroundError:
            cached = PUBLIC_PRINCIPAL  # an error page for a bad token or a refused write
    return cached


def csrf_token(request: Request) -> str:
    """The CSRF token of this browser's session ('' without one)."""
    secret = getattr(request.state, "session_secret", None)
    return request.app.state.auth.signer.csrf(secret) if secret else ""


@lru_cache(maxsize=1)
def page_paths() -> frozenset[str]:
    """The paths of every page module's routes (``pages.MODULES``)."""
    from importlib import import_module

    from clearground.web.pages import MODULES

    found = set()
    for name in MODULES:
        found |= {
            getattr(r, "path", "") for r in import_module(f"{__package__}.{name}").router.routes
        }
    return frozenset(found)


def _nav(request: Request, who: Principal) -> list[dict[str, Any]]:
    paths = page_paths()
    here = request.url.path
    return [
        {
            "path": path,
            "label": i18n.gettext(label),
            "current": here == path or here.startswith(path + "/"),
        }
        for path, label, roles in NAV
        if who.role in roles and path in paths
    ]


def _synthetic(request: Request) -> bool:
    """Whether the database holds SYNTHETIC data (asked again after an admin area changes)."""
    from clearground.services.site import holds_synthetic

    store = request.app.state.web.store
    key = store.data_version("location")
    cached = getattr(request.app.state, "pages_synthetic", None)
    if cached is None or cached[0] != key:
        cached = request.app.state.pages_synthetic = (key, holds_synthetic(store))
    return cached[1]


def render(request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """The page ``template`` rendered for ``request`` with ``context`` (see the module doc)."""
    lang = language(request)
    who = who_of(request)
    token = i18n.use(lang)
    try:
        values = {
            "request": request,
            "who": who,
            "lang": lang,
            "_": i18n.gettext,
            "gettext": i18n.gettext,
            "ngettext": i18n.ngettext,
            "csrf_token": csrf_token(request),
            "nav": _nav(request, who),
            "synthetic": _synthetic(request),
            "settings": request.app.state.web.settings,
        }
        values.update(context)
        html = templates().get_template(template).render(values)
    finally:
        i18n._current.reset(token)
    response = HTMLResponse(html, status_code=status_code)
    response.headers["Content-Language"] = lang
    if request.query_params.get("lang") in i18n.LANGUAGES:
        response.set_cookie(
            LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax", httponly=False
        )
    return response


async def bounded_form(request: Request) -> Any:
    """The request's form, read only within ``upload_limit_mb``: it is read before anyone is
    known (the sign-in and sign-out forms are open to all), so a body declared past the limit
    is refused unread (413) and one sent without a length is cut there (413)."""
    from clearground.web.uploads import _ENVELOPE, _refuse_declared, limit_bytes, read_body

    limit = limit_bytes(request)
    _refuse_declared(request, limit + _ENVELOPE, limit)
    if not request.headers.get("content-length", "").isdigit():
        request._body = await read_body(request)  # what Request.form() then parses
    return await request.form()


async def form_principal(request: Request, background: BackgroundTasks) -> Principal:
    """``Depends(form_principal)`` for a page's form POST: the CSRF token may come as the
    form's ``csrf_token`` field (an HTML form cannot send the header); then as ``principal``."""
    from clearground.web.deps import principal

    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await bounded_form(request)
        sent = form.get("csrf_token")
        if isinstance(sent, str):
            request.state.csrf_form = sent
    return principal(request, background)
