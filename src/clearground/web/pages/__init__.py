"""The browser's pages: server-rendered HTML (Jinja2), in English and Ukrainian.

Each page area is one module with a ``router`` (an APIRouter), listed in ``MODULES``;
``install(app)`` includes them, serves ``web/static/`` at ``/static``, and answers an error on
a page as a page: a sign-in needed (401) redirects to ``/login?next=...``; any other error is
an HTML page with its status and message. The JSON API's errors stay problem+json.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from fastapi import APIRouter, FastAPI, Request

__all__ = ["MODULES", "install", "is_page", "router"]

#: The page modules (``clearground.web.pages.NAME``), each with a ``router``. Add yours here.
MODULES = [
    "login",
    "map",
    "records",
    "dashboard",
    "report",
    "users",
    "forms",
    "review",
]

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def router() -> APIRouter:
    """Every page module's router."""
    collected = APIRouter(include_in_schema=False)
    for name in MODULES:
        collected.include_router(import_module(f"clearground.web.pages.{name}").router)
    return collected


def is_page(request: Request) -> bool:
    """Whether ``request`` was routed to a page (not the JSON API, OGC or tiles)."""
    route = request.scope.get("route")
    endpoint = getattr(route, "endpoint", None)
    return getattr(endpoint, "__module__", "").startswith(__name__ + ".")


def install(app: FastAPI) -> None:
    """Add the pages, ``/static`` and the pages' error answers to ``app``."""
    from fastapi.responses import RedirectResponse
    from fastapi.staticfiles import StaticFiles
    from starlette.exceptions import HTTPException as StarletteHTTPException

    from clearground.domain.errors import CleargroundError

    app.include_router(router())
    app.mount("/static", StaticFiles(directory=STATIC_DIR, check_dir=False), name="static")

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse("/map", status_code=303)

    api_error = app.exception_handlers[CleargroundError]
    http_error = app.exception_handlers[StarletteHTTPException]

    async def page_error(request: Request, exc: CleargroundError):
        if not is_page(request):
            return await api_error(request, exc)
        from clearground.store.secrets import mask

        if exc.http_status == 401:
            return login_redirect(request)
        from clearground.web.pages.messages_uk import translate
        from clearground.web.pages.render import language, render

        return render(
            request,
            "error.html",
            status_code=exc.http_status,
            status=exc.http_status,
            message=translate(mask(exc.message), language(request)),
        )

    async def page_http_error(request: Request, exc: StarletteHTTPException):
        if not is_page(request) and not _wants_html(request):
            return await http_error(request, exc)
        from clearground.web.pages.messages_uk import translate
        from clearground.web.pages.render import language, render

        return render(
            request,
            "error.html",
            status_code=exc.status_code,
            status=exc.status_code,
            message=translate(str(exc.detail), language(request)),
        )

    app.add_exception_handler(CleargroundError, page_error)
    app.add_exception_handler(StarletteHTTPException, page_http_error)


def _wants_html(request: Request) -> bool:
    """A browser asking for a page that does not exist (not the API's clients)."""
    path = request.url.path
    if path.startswith(("/api/", "/ogc", "/tiles/", "/static/")):
        return False
    return "text/html" in request.headers.get("accept", "")


def login_redirect(request: Request):
    """303 to ``/login?next=<this page>``."""
    from urllib.parse import quote

    from fastapi.responses import RedirectResponse

    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
