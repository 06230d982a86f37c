"""The app of uvicorn's worker processes (``clearground serve --workers N``).

A worker is a new process that imports this module and calls :func:`app_from_environment`;
``serve`` hands it the settings it resolved (options, configuration file, environment) in one
environment variable, so every worker serves the same database with the same settings. Without
a ``secret_key`` (loopback or ``--dev``) ``serve`` makes one random key for the run, so that a
session signed by one worker is known to the others; it ends when the server stops.
"""

from __future__ import annotations

import os
import secrets

from fastapi import FastAPI

from clearground.config import Settings

__all__ = ["ENV", "app_from_environment", "hand_to_workers"]

ENV = "CLEARGROUND_SERVE_SETTINGS"


def hand_to_workers(settings: Settings) -> None:
    """Put ``settings`` where the workers read them (this process's environment, which they
    inherit)."""
    if not settings.secret_key:
        settings = settings.model_copy(update={"secret_key": secrets.token_urlsafe(32)})
    os.environ[ENV] = settings.model_dump_json()


def app_from_environment() -> FastAPI:
    from clearground.config import load_settings
    from clearground.web import create_app

    given = os.environ.get(ENV)
    if given is None:  # uvicorn started by hand: the settings of the environment
        return create_app(load_settings(), warm_check=True)
    return create_app(Settings.model_validate_json(given), warm_check=True)
