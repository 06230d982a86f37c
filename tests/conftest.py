"""Fixtures shared by every test: stores on each engine, a CLI runner, synthetic files.

With ``CI`` set, a test that needs a missing feature (PostgreSQL, Chromium) fails instead of
skipping, so a missing install step cannot hide behind a green run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from clearground.store import open_store

ENGINES = ("sqlite", "postgis")


def feature_assert_or_skip(available: bool, reason: str) -> None:
    """Skip when a feature is missing, but fail when running in CI."""
    if available:
        return
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


def _store_url(request: pytest.FixtureRequest, engine: str, tmp_path) -> str:
    if engine == "sqlite":
        return f"sqlite:///{tmp_path / 'clearground.db'}"
    try:
        import clearground.store.postgis  # noqa: F401
    except ImportError as exc:
        feature_assert_or_skip(False, f"PostGIS engine not importable: {exc}")
    return request.getfixturevalue("postgis_url")


@pytest.fixture(params=ENGINES)
def store_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """The URL of an empty database with the schema, on each engine in turn."""
    url = _store_url(request, request.param, tmp_path)
    s = open_store(url)
    s.migrate()
    s.close()
    return url


@pytest.fixture
def store(store_url: str) -> Iterator:
    s = open_store(store_url)
    yield s
    s.close()


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator:
    s = open_store(f"sqlite:///{tmp_path / 'clearground.db'}")
    s.migrate()
    yield s
    s.close()
