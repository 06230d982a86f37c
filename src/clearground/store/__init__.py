"""Persistence of domain records behind one interface, with two engines.

``open_store(url)`` is the one place that picks the engine. Each engine module is imported inside
its own branch, so psycopg loads only for ``postgresql://`` URLs.
"""

from __future__ import annotations

from typing import Any

from clearground.domain.errors import BadInput, StoreError
from clearground.store.base import Store, Transaction, Version
from clearground.store.secrets import check_url, mask, remember

__all__ = ["Store", "Transaction", "Version", "open_store", "strip_password"]

ACCEPTED = (
    "sqlite:///relative/path.db, sqlite:////absolute/path.db, "
    "postgresql://user[:password]@host[:port]/database, or a path ending .db, .sqlite or .sqlite3"
)
#: File endings taken as an SQLite database when ``--db`` is a plain path.
SQLITE_ENDINGS = (".db", ".sqlite", ".sqlite3")


def strip_password(url: str) -> str:
    """``url`` (or any text) with every password form masked: ``store.secrets.mask``."""
    return mask(url)


def open_store(
    url: str, *, busy_timeout: float = 30.0, require_schema: bool = False, pool_size: int = 0
) -> Store:
    """Open the database named by ``url``; the schema is not created (see ``migrate``).

    A plain path ending .db, .sqlite or .sqlite3 is the SQLite file there (what a field office
    types); anything else must say its engine. Opening never creates an SQLite file: only
    ``migrate()`` (``clearground init``) does, and any use of a missing or uninitialised
    database is refused with a message naming ``init``. ``busy_timeout`` is how many seconds a
    write waits for another writer's lock before it is refused as busy. ``require_schema``
    refuses at once (``DatabaseUnavailable``) a database that is missing, uninitialised or made
    by a newer clearground, rather than at its first use (what the CLI wants: the database
    before any file). ``pool_size`` (PostGIS; the server): reads come from a pool of that
    many connections (store/pg_pool.py); SQLite reads on a connection per thread anyway."""
    if "://" not in url and url.lower().endswith(SQLITE_ENDINGS):
        url = f"sqlite:///{url}"
    if url.startswith("sqlite:///"):
        path = url[len("sqlite:///") :]
        if not path or path == ":memory:":
            raise BadInput(f"{url}: give a file path; accepted forms: {ACCEPTED}")
        from clearground.store.sqlite import SqliteStore

        store: Any = SqliteStore(path, url=url, busy_timeout=busy_timeout)
    elif url.startswith(("postgresql://", "postgres://")):
        remember(url)
        check_url(url)
        try:
            from clearground.store.postgis import PostgisStore
        except ImportError as exc:
            raise StoreError(
                f"{strip_password(url)}: the PostGIS engine needs psycopg: "
                "pip install 'clearground[postgis]'"
            ) from exc
        store = PostgisStore(url, busy_timeout=busy_timeout, pool_size=pool_size)
    else:
        raise BadInput(f"{strip_password(url)}: not a database URL; accepted forms: {ACCEPTED}")
    if require_schema:
        try:
            store.require_schema()
        except BaseException:
            store.close()
            raise
    return store
