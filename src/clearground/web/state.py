"""What one app holds for its lifetime: the settings and the open database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearground.config import Settings

__all__ = ["READ_POOL", "WebState"]

#: Read connections of one server worker on PostGIS (psycopg_pool); its writes go through one
#: writer connection, a transaction at a time. On SQLite a worker has one writer and a read
#: connection per thread.
READ_POOL = 8


@dataclass
class WebState:
    settings: Settings
    store: Any
    owns_store: bool

    @classmethod
    def open(cls, settings: Settings, *, store: Any = None) -> WebState:
        if store is not None:
            return cls(settings, store, owns_store=False)
        from clearground.store import open_store

        opened = open_store(
            settings.db,
            busy_timeout=settings.busy_timeout,
            require_schema=True,
            pool_size=READ_POOL,
        )
        return cls(settings, opened, owns_store=True)

    def close(self) -> None:
        if self.owns_store:
            self.store.close()
