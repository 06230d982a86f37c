"""A server worker's database connections: reads of many threads at once (PostGIS: a pool of
``READ_POOL`` connections, psycopg_pool; SQLite: a read connection per thread), and one writer."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from clearground.web.state import READ_POOL, WebState


def test_reads_of_several_threads_run_at_once(settings):
    """Four threads each hold a read connection at the same time (a barrier inside the read):
    with one shared connection behind a lock the barrier would time out."""
    state = WebState.open(settings)
    try:
        store = state.store
        barrier = threading.Barrier(4, timeout=20)

        def read(_: int) -> int:
            with store._reader() as conn:
                barrier.wait()
                return id(conn)

        with ThreadPoolExecutor(4) as pool:
            conns = set(pool.map(read, range(4)))
        assert len(conns) == 4
        if store.engine == "postgis":
            assert store._pool is not None and store._pool.max_size == READ_POOL
        assert store.schema_version() > 0
    finally:
        state.close()


@pytest.mark.parametrize("store_url", ["postgis"], indirect=True)  # SQLite has no server
def test_a_pooled_connection_lost_while_idle_is_replaced(settings):
    """A pooled connection the database ended (a restart, a DBA) costs one retry, not an
    error."""
    state = WebState.open(settings)
    try:
        store = state.store
        assert store.engine == "postgis"
        version = store.schema_version()
        import psycopg

        with psycopg.connect(settings.db, autocommit=True) as admin:
            ended = admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = current_setting('application_name') "
                "AND pid <> pg_backend_pid() AND datname = current_database()"
            ).fetchall()
        assert ended
        assert store.schema_version() == version
    finally:
        state.close()


def test_healthz_names_the_database_without_its_password_and_the_schema_version(client, store):
    from clearground.store.migrations import MIGRATIONS
    from clearground.store.secrets import mask

    body = client.get("/healthz").json()
    assert body == {
        "status": "ok",
        "database": mask(store.url),
        "schema_version": MIGRATIONS[-1].number,
    }
