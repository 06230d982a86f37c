"""Signing in and out from a browser: ``GET /login`` (the form), ``POST /login`` (name,
password, ``next``: the session cookie, then back to ``next``), ``POST /logout`` (its form
carries the CSRF token)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from clearground.web.deps import Principal
from clearground.web.pages.i18n import gettext as _
from clearground.web.pages.render import bounded_form, form_principal, language, render

__all__ = ["router", "safe_next"]

router = APIRouter(include_in_schema=False)


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else the map (never another site)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/map"
    return target


@router.get("/login")
def login_page(request: Request, next: str = "/map") -> Response:
    return render(request, "login.html", next=safe_next(next), error=None, name="")


@router.post("/login")
async def login_submit(request: Request) -> Response:
    """Sign in; a wrong name or password shows the form again with one message for both. The
    form is read within ``upload_limit_mb`` (:func:`bounded_form`): nobody is known yet."""
    form = await bounded_form(request)

    def field(key: str, default: str = "") -> str:
        value = form.get(key)
        return value if isinstance(value, str) else default  # a file is no name or password

    name, password, next = field("name"), field("password"), field("next", "/map")
    from clearground.domain.errors import Unauthorized
    from clearground.services.accounts import authenticate_password, start_session
    from clearground.web.auth import client_address, set_session_cookie
    from clearground.web.pages import i18n

    token = i18n.use(language(request))
    try:
        target = safe_next(next)
        wait = request.app.state.auth.logins.hit(client_address(request))
        if wait:
            message = _("Too many sign-ins from this address; try again in a minute.")
            return render(
                request, "login.html", status_code=429, next=target, error=message, name=name
            )
        if not name or not password:
            message = _("Give both your name and your password.")
            return render(
                request, "login.html", status_code=400, next=target, error=message, name=name
            )
        store = request.app.state.web.store
        try:
            user = await run_in_threadpool(authenticate_password, store, name, password)
        except Unauthorized:
            message = _("The name or the password is wrong.")
            return render(
                request, "login.html", status_code=401, next=target, error=message, name=name
            )
        hours = request.app.state.web.settings.session_hours
        secret = await run_in_threadpool(start_session, store, user, hours=hours)
    finally:
        i18n._current.reset(token)
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(request, response, secret)
    return response


@router.post("/logout")
def logout_submit(request: Request, who: Annotated[Principal, Depends(form_principal)]) -> Response:
    """End this browser's session and go to the sign-in page."""
    from clearground.services.accounts import end_session
    from clearground.web.auth import SESSION_COOKIE, on_loopback

    secret = getattr(request.state, "session_secret", None)
    if secret is not None:
        end_session(request.app.state.web.store, secret)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=not on_loopback(request)
    )
    return response
