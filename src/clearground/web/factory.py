"""The app made from the environment's settings, for uvicorn's worker processes."""

from __future__ import annotations

from fastapi import FastAPI


def app_from_environment() -> FastAPI:
    from clearground.config import load_settings
    from clearground.web import create_app

    return create_app(load_settings())
