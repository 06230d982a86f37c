"""The web layer: JSON API, OGC API - Features, tiles and pages, as thin as the CLI.

``create_app(settings)`` builds an app; nothing is read or opened at import time, so tests build
as many apps as they like. Every rule stays in ``services/`` and ``domain/``; every record leaves
through ``services.projections``; every error becomes problem details in ``web.errors``.
"""

from __future__ import annotations

from clearground.web.app import create_app

__all__ = ["create_app"]
