"""One handler turns every error into problem details (RFC 9457, ``application/problem+json``).

A clearground error carries its HTTP status (a refused import, whose problems are listed, is
422; an error may add members of its own in ``problem_extra``); a request that FastAPI cannot
parse is 422 with every problem listed; anything else is a 500 whose body says only that the
request failed (the detail goes to the log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from clearground.domain.errors import CleargroundError, ImportRejected

__all__ = ["install", "problem", "unexpected"]

log = logging.getLogger("clearground.web")

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Content too large",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(status: int, detail: str, lang: str | None = None, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status}
    body["detail"] = detail
    body.update(extra)
    body.update(in_language(body, lang))
    from clearground.web.logs import current_request_id

    rid = current_request_id()
    if rid is not None:
        body["request_id"] = rid  # what to quote to whoever reads the server's log
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


def in_language(body: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """``title_<lang>``, ``detail_<lang>`` (and ``problems_<lang>``) for a page that asked in
    another language than English (``?lang=uk``); the English members are never changed."""
    from clearground.web.pages.i18n import DEFAULT, LANGUAGES

    if not lang or lang == DEFAULT or lang not in LANGUAGES:
        return {}
    from clearground.web.pages.messages_uk import translate

    out = {f"title_{lang}": translate(body["title"], lang)}
    out[f"detail_{lang}"] = translate(body["detail"], lang)
    problems = body.get("problems")
    if isinstance(problems, list) and all(isinstance(p, str) for p in problems):
        out[f"problems_{lang}"] = [translate(p, lang) for p in problems]
    return out


def _lang(request: Request) -> str | None:
    return request.query_params.get("lang")


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    from clearground.store.secrets import mask

    @app.exception_handler(CleargroundError)
    async def _clearground(request: Request, exc: CleargroundError):
        extra: dict[str, Any] = dict(getattr(exc, "problem_extra", None) or {})
        status = exc.http_status
        if isinstance(exc, ImportRejected):
            extra["problems"] = [mask(p) for p in exc.problems]
            status = 422  # well-formed, but its content is refused: every problem listed
        response = problem(status, mask(exc.message), _lang(request), **extra)
        response.headers.update(getattr(exc, "headers", None) or {})  # Retry-After, ...
        return response

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        problems = [
            {"where": ".".join(str(x) for x in e.get("loc", ())), "problem": e.get("msg", "")}
            for e in exc.errors()
        ]
        return problem(
            422, "the request does not fit this endpoint", _lang(request), problems=problems
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        return problem(exc.status_code, str(exc.detail), _lang(request))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):
        return unexpected(request.scope, exc)


def unexpected(scope: dict, exc: Exception) -> JSONResponse:
    """The answer to an exception no other handler took: a lost or busy database is its
    problem (503, ...), anything else a 500 that says nothing (the log has the details)."""
    from clearground.store.errors import database_error
    from clearground.store.secrets import mask

    mapped = database_error(exc)
    if mapped is not None:
        return problem(mapped.http_status, mask(mapped.message))
    log.error("unexpected error on %s %s", scope.get("method"), scope.get("path"), exc_info=exc)
    return problem(500, "the request failed; the server log has the details")
