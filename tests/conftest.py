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


# --- PostgreSQL + PostGIS (issue 4) ----------------------------------------------------------
# One throwaway cluster per test session (tests/pgcluster.py); each test gets its own schema,
# named from its node id and dropped before and after. If PostgreSQL cannot be started, tests
# that need it skip with the reason, and fail with it under CI=true.


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator:
    """The session's PostgreSQL cluster, or the reason it could not be started (a str)."""
    from tests.pgcluster import PgCluster, PgClusterError

    cluster = PgCluster()
    try:
        cluster.start()
    except (PgClusterError, OSError, ImportError) as exc:
        cluster.stop()
        yield f"PostgreSQL + PostGIS could not be started: {exc}"
        return
    except Exception as exc:  # e.g. psycopg cannot reach the new server
        cluster.stop()
        yield f"PostgreSQL + PostGIS could not be started: {type(exc).__name__}: {exc}"
        return
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgis_url(request: pytest.FixtureRequest, pg_cluster) -> Iterator[str]:
    """The URL of an empty schema of its own (first in ``search_path``) for this test."""
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    from tests.pgcluster import schema_name

    schema = schema_name(request.node.nodeid)
    pg_cluster.reset_schema(schema)
    yield pg_cluster.url(schema=schema, application_name=schema)
    pg_cluster.reset_schema(schema, create=False)
