"""Cheap data versions for the warm paths of a server (the check index, tile ETags and caches).

``Store.data_version(kind)`` is one query per kind. A server asks for it before every check and
every tile, so both engines also answer ``data_versions(kinds)`` for several kinds at once:

- SQLite: ``PRAGMA data_version`` on a connection of its own, which changes whenever any other
  connection (this process's writer, or another process) commits to the file. Only when it
  changed are the kinds' versions read again; otherwise the last ones are still true. The
  pragma is read *before* the versions, so a commit landing in between changes the next
  pragma, and the versions are read again then: a commit is never missed.
- PostGIS: the same text as ``data_version`` for every kind in one statement (one round trip).
  No time-based shortcut: a check right after another process committed must see its write.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Sequence
from typing import Any

from clearground.store.mapping import mapping_for

__all__ = ["SqliteVersions", "postgis_versions_sql"]


_PRAGMA = "PRAGMA data_version"


class SqliteVersions:
    """The data versions of a SQLite store, re-read only after a commit of another connection."""

    def __init__(self, connect: Callable[[], sqlite3.Connection], read: Callable[[str], str]):
        self._connect, self._read = connect, read
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        self._seen: int | None = None
        self._known: dict[str, str] = {}
        self._answers: dict[tuple[str, ...], dict[str, str]] = {}  # by kinds, since ``_seen``

    def versions(self, kinds: Sequence[str]) -> dict[str, str]:
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            (now,) = self._conn.execute("PRAGMA data_version").fetchone()
            if now != self._seen:
                self._known.clear()
                self._answers.clear()
                self._seen = now
            key = tuple(kinds)
            answer = self._answers.get(key)
            if answer is None:
                known = self._known
                for kind in kinds:
                    if kind not in known:
                        known[kind] = self._read(kind)
                answer = self._answers[key] = {k: known[k] for k in kinds}
            return dict(answer)

    def token(self) -> int:
        """``PRAGMA data_version`` now: it changes with every commit of any connection (the
        store's writer included), so an equal token means every kind's version is unchanged."""
        with self._lock:
            if self._conn is None:
                self._conn = self._connect()
            return self._conn.execute(_PRAGMA).fetchone()[0]

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
            self._conn, self._seen = None, None
            self._known.clear()
            self._answers.clear()


def postgis_versions_sql(kinds: Sequence[str]) -> str:
    """One statement giving, for each kind, the two numbers of ``PostgisStore.data_version``."""
    parts = []
    for kind in kinds:
        t = f"{mapping_for(kind).table}_versions"
        parts.append(
            f"(SELECT max(fid) FROM {t}), (SELECT count(*) FROM {t} WHERE fid > "
            f"(SELECT coalesce(max(fid), 0) - 1000 FROM {t}))"
        )
    return "SELECT " + ", ".join(parts)


def postgis_versions(row: Sequence[Any], kinds: Sequence[str]) -> dict[str, str]:
    return {k: f"{row[2 * i] or 0}.{row[2 * i + 1]}" for i, k in enumerate(kinds)}
