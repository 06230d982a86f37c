"""``create_app(settings)``: the FastAPI app of one database, with its routers and error handler."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from clearground.config import Settings

__all__ = ["create_app"]


def create_app(settings: Settings, *, store: Any = None, warm_check: bool = False) -> FastAPI:
    """The app for ``settings`` (its database is opened at start-up and closed at shutdown; a
    test may pass an open ``store``, which the app then does not close). With ``warm_check``
    (``clearground serve``) the check index is built in a background thread at start-up, so
    the first checks do not wait for it (a check that comes sooner waits as it would)."""
    from clearground import __version__
    from clearground.web import api, auth, errors
    from clearground.web.api_params import PROBLEM_RESPONSES
    from clearground.web.state import WebState
    from clearground.web.tiles import router as tiles_router

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        state = WebState.open(settings, store=store)
        app.state.web = state
        if warm_check:
            threading.Thread(
                target=_build_check_index, args=(state.store,), name="check-index", daemon=True
            ).start()
        try:
            yield
        finally:
            state.close()

    app = FastAPI(
        title="clearground",
        version=__version__,
        description=(
            "Information management for humanitarian mine action: recorded hazard areas, land "
            "release, evidence and route checks. It says what is recorded (no recorded hazard "
            "within N m; unrecorded hazards may exist), never that land is free of explosive "
            "ordnance."
        ),
        lifespan=lifespan,
        responses=PROBLEM_RESPONSES,  # every route's failures: problem+json (RFC 9457)
    )
    errors.install(app)
    app.include_router(api.router)
    app.include_router(tiles_router)
    from clearground.web import ogc

    app.include_router(ogc.router())  # OGC API - Features under /ogc
    from clearground.web.fast_check import FastCheck

    app.add_middleware(FastCheck)  # inside the check's rate limit and the request log
    auth.install(app, settings)
    from clearground.web import pages

    pages.install(app)  # the browser's pages, /static and their error pages
    from clearground.web.logs import RequestLog

    app.add_middleware(RequestLog)  # outermost: every answer has its id and its log line
    return app


def _build_check_index(store: Any) -> None:
    """Build the check index of ``store`` (``services.check_index.shared_index``); a failure is
    logged and left to the first check, which builds it again and says what went wrong."""
    from clearground.services.check_index import shared_index

    try:
        shared_index(store).current()
    except Exception as exc:  # noqa: BLE001 - logged; the first check meets it again
        logging.getLogger("clearground.serve").warning(
            "check index not built at start-up: %s", type(exc).__name__
        )
