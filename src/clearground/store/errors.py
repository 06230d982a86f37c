"""Database failures in a user's words: one place that turns the drivers' errors into
``DatabaseUnavailable`` (exit 5) messages, used by both engines and, as a last net, by the CLI.

Why one module: a busy, full, read-only or missing database must read the same whichever command
met it, and the web layer will reuse these messages. Every message names the database by its URL
with any password removed; drivers' own texts are scrubbed the same way.
"""

from __future__ import annotations

import re
import sqlite3
import sys
from typing import Any

from clearground.domain.errors import DatabaseUnavailable
from clearground.store import strip_password

__all__ = [
    "database_error",
    "from_psycopg",
    "from_sqlite",
    "missing",
    "newer_schema",
    "no_schema",
    "scrub",
]

_PASSWORD_IN_URL = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^:/@\s\[\]]*:)[^@\s]*@")


def scrub(text: str) -> str:
    """``text`` with the password of every URL in it replaced by ``***``."""
    return _PASSWORD_IN_URL.sub(r"\1***@", text)


def _init_hint(url: str) -> str:
    return f"`clearground --db {strip_password(url)} init`"


def missing(url: str) -> DatabaseUnavailable:
    """No file at an SQLite URL: say so and how to make one, without making it."""
    return DatabaseUnavailable(
        f"{strip_password(url)}: no database there; create one with {_init_hint(url)} "
        "(or give the right one with --db or CLEARGROUND_DB)"
    )


def no_schema(url: str) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"{strip_password(url)} has no clearground schema: run {_init_hint(url)}"
    )


def newer_schema(url: str, found: int, known: int) -> DatabaseUnavailable:
    return DatabaseUnavailable(
        f"{strip_password(url)} was made by a newer clearground (schema version {found}, this "
        f"one knows {known}): upgrade clearground to use it; nothing was read or changed"
    )


def _busy(url: str, timeout_s: float | None) -> DatabaseUnavailable:
    waited = f" within {timeout_s:g} s" if timeout_s is not None else ""
    return DatabaseUnavailable(
        f"{strip_password(url)} is busy: another program or clearground command is writing to it "
        f"and did not finish{waited}; nothing was changed, try again when it has finished "
        "(the wait is the busy_timeout setting, CLEARGROUND_BUSY_TIMEOUT)"
    )


# SQLite primary result codes (https://sqlite.org/rescode.html)
_SQLITE_PERM, _SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_READONLY = 3, 5, 6, 8
_SQLITE_IOERR, _SQLITE_CORRUPT, _SQLITE_FULL, _SQLITE_CANTOPEN, _SQLITE_NOTADB = 10, 11, 13, 14, 26


def from_sqlite(
    exc: sqlite3.Error, url: str, *, busy_timeout: float | None = None
) -> DatabaseUnavailable:
    """The message for an sqlite3 error met on the database at ``url``."""
    where = strip_password(url)
    text = scrub(str(exc))
    code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF
    if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "database is locked" in text:
        return _busy(url, busy_timeout)
    if code == _SQLITE_READONLY or "readonly database" in text:
        return DatabaseUnavailable(
            f"{where}: the database file is read-only here, so nothing could be written (SQLite "
            "needs to write the file and to create FILE-wal and FILE-shm beside it: check the "
            "permissions of the file and its folder, or copy it somewhere writable)"
        )
    if code == _SQLITE_FULL or "database or disk is full" in text:
        return DatabaseUnavailable(
            f"{where}: the disk is full (or the database reached its size limit); nothing was "
            "written: free some space and try again"
        )
    if code == _SQLITE_CANTOPEN or "unable to open database file" in text:
        return DatabaseUnavailable(
            f"{where}: cannot open the database file (check that it exists and that you may "
            "read and write it and its folder)"
        )
    if code in (_SQLITE_NOTADB, _SQLITE_CORRUPT):
        return DatabaseUnavailable(
            f"{where}: not a clearground database (not an SQLite file, or damaged): {text}"
        )
    if code == _SQLITE_IOERR:
        return DatabaseUnavailable(
            f"{where}: the disk could not be read or written ({text}); nothing was written: "
            "check the disk and the free space"
        )
    if code == _SQLITE_PERM:
        return DatabaseUnavailable(f"{where}: the system refused access to the file ({text})")
    if "no such table" in text:
        return no_schema(url)
    return DatabaseUnavailable(f"{where}: database error: {text}")


_CONNECTION_ERRORS = ("OperationalError", "InterfaceError")


def from_psycopg(
    exc: Exception,
    url: str,
    *,
    busy_timeout: float | None = None,
    database: str | None = None,
    schema: str | None = None,
    role: str | None = None,
) -> DatabaseUnavailable:
    """The message for a psycopg error on the PostgreSQL database at ``url``; ``database``,
    ``schema`` and ``role`` (where known) go into the SQL a superuser is asked to run."""
    where = strip_password(url)
    state = getattr(exc, "sqlstate", None) or ""
    text = scrub(str(exc)).strip()
    db = database or "this database"
    if state == "55P03" or (state == "57014" and "lock timeout" in text):
        return _busy(url, busy_timeout)
    if state == "42501":  # insufficient_privilege
        if "extension" in text:
            return DatabaseUnavailable(
                f"{where}: PostGIS is not enabled in database {db}, and role {role or '?'} may "
                f"not enable it: a superuser runs once, in database {db}: "
                "CREATE EXTENSION postgis;"
            )
        if "schema" in text:
            return DatabaseUnavailable(
                f"{where}: role {role or '?'} may not create tables in schema {schema or '?'}: "
                f"a superuser (or the schema's owner) runs once, in database {db}: "
                f'GRANT USAGE, CREATE ON SCHEMA "{schema or "SCHEMA"}" TO "{role or "ROLE"}";'
            )
        return DatabaseUnavailable(
            f"{where}: role {role or '?'} lacks a permission clearground needs: {text}"
        )
    if state in ("58P01", "0A000") and "extension" in text:  # control file not found
        return DatabaseUnavailable(
            f"{where}: PostGIS is not installed on the database server (Debian: apt-get install "
            "postgresql-15-postgis-3); then a superuser runs once, in database "
            f"{db}: CREATE EXTENSION postgis;"
        )
    if state == "42704" and "geometry" in text:  # type "geometry" does not exist
        return DatabaseUnavailable(
            f"{where}: PostGIS is not enabled in database {db}: a superuser runs once, in "
            f"database {db}: CREATE EXTENSION postgis;"
        )
    if state == "42P01":  # undefined_table
        return no_schema(url)
    if state.startswith("53"):  # insufficient resources: disk full, out of memory, too many
        return DatabaseUnavailable(
            f"{where}: the database server is out of resources ({text}); nothing was written"
        )
    if state == "25006":
        return DatabaseUnavailable(
            f"{where}: the server accepts only reads (a standby?); nothing was written"
        )
    if state.startswith(("08", "57P")) or type(exc).__name__ in _CONNECTION_ERRORS:
        return DatabaseUnavailable(f"{where}: the connection to the server failed: {text}")
    return DatabaseUnavailable(f"{where}: database error: {text}")


def database_error(exc: BaseException, url: str | None = None) -> DatabaseUnavailable | None:
    """``exc`` as a ``DatabaseUnavailable`` if it is a database driver's error, else None.

    psycopg is looked at only if something already imported it (the PostGIS engine)."""
    where = url or "the database"
    if isinstance(exc, sqlite3.Error):
        return from_sqlite(exc, where)
    psycopg: Any = sys.modules.get("psycopg")
    if psycopg is not None and isinstance(exc, psycopg.Error):
        return from_psycopg(exc, where)
    return None
