"""The PostGIS engine's read pool (psycopg_pool), for the server's many threads.

A command reads on one connection; a server's worker serves many requests at once from its
threads, and with one connection each read would wait for the one before. So a store opened
with ``pool_size`` reads from a pool of autocommit connections (each prepared as the engine's
own: lock timeout, role noted); writes still go through the store's one writer, one
transaction at a time per worker, as on SQLite.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from clearground.domain.errors import DatabaseUnavailable

__all__ = ["open_pool", "pooled"]

#: Connections kept open while idle.
MIN_SIZE = 1


def open_pool(store: Any, size: int, *, first: psycopg.Connection | None = None):
    """A pool of up to ``size`` autocommit connections to ``store.url``; ``first`` (the
    connection that proved the URL works, with a clear message if not) is closed."""
    from psycopg_pool import ConnectionPool, PoolTimeout

    extra: dict[str, Any] = {"autocommit": True}
    if "connect_timeout" not in store.url:
        extra["connect_timeout"] = 10
    if "application_name" not in store.url:
        extra["application_name"] = "clearground"
    pool = ConnectionPool(
        store.url,
        kwargs=extra,
        min_size=min(MIN_SIZE, size),
        max_size=size,
        configure=store._prepare,
        open=False,
        name="clearground-read",
    )
    if first is not None:
        first.close()
    try:
        pool.open(wait=True, timeout=10)
    except PoolTimeout:
        pool.close()
        raise DatabaseUnavailable(
            f"{store._safe_url}: the read pool could not connect within 10 s"
        ) from None
    return pool


@contextmanager
def pooled(store: Any) -> Iterator[psycopg.Connection]:
    """A connection of the pool for one read; a broken one is dropped by the pool when it
    comes back. Waiting longer than the busy timeout for a free one is refused as busy."""
    from psycopg_pool import PoolClosed, PoolTimeout

    wait = max(1.0, store.busy_timeout)
    try:
        with store._pool.connection(timeout=wait) as conn, store._watching(conn):
            yield conn
    except PoolTimeout:
        raise DatabaseUnavailable(
            f"{store._safe_url}: the database is busy: no free read connection within "
            f"{wait:g} s (pool of {store._pool.max_size}); try again"
        ) from None
    except PoolClosed:
        from clearground.domain.errors import StoreError

        raise StoreError(f"{store._safe_url}: the store is closed") from None
    except psycopg.Error as exc:
        raise store._error(exc) from exc
