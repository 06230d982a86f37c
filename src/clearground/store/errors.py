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

from clearground.domain.errors import DatabaseUnavailable, TransactionAborted
from clearground.store import strip_password
from clearground.store.secrets import mask

__all__ = [
    "commit_unknown",
    "database_error",
    "from_psycopg",
    "from_sqlite",
    "lost",
    "missing",
    "newer_schema",
    "no_schema",
    "scrub",
    "seconds",
]


def scrub(text: str) -> str:
    """``text`` with every password form masked (one function for all: ``secrets.mask``)."""
    return mask(text)


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
# Words of libpq and psycopg when a connection breaks without a SQLSTATE.
_LOST = (
    "server closed the connection",
    "connection is lost",
    "the connection is closed",
    "consuming input failed",
    "eof detected",
    "connection reset",
    "broken pipe",
    "no connection to the server",
    "terminating connection",
)
_UNITS = {"ms": 0.001, "s": 1.0, "min": 60.0, "h": 3600.0, "d": 86400.0, "": 0.001}


def seconds(setting: str | None) -> float | None:
    """A PostgreSQL duration setting as ``current_setting`` shows it (``2s``, ``1500ms``,
    ``1min``, ``0``) in seconds; None for none set (``0``) or unreadable."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d|)\s*", setting or "")
    if not m or float(m.group(1)) == 0:
        return None
    return float(m.group(1)) * _UNITS[m.group(2)]


def _after(timeouts: dict[str, str] | None, name: str) -> str:
    waited = seconds((timeouts or {}).get(name))
    return f" after {waited:g} s" if waited is not None else ""


def lost(exc: BaseException) -> bool:
    """Whether ``exc`` says the connection itself is gone (not that a statement failed)."""
    state = getattr(exc, "sqlstate", None) or ""
    if state.startswith(("08", "57P")):
        return True
    if state:
        return False
    text = str(exc).lower()
    return type(exc).__name__ in _CONNECTION_ERRORS and (
        any(w in text for w in _LOST) or not text.strip()
    )


def commit_unknown(url: str) -> DatabaseUnavailable:
    """The connection broke during COMMIT: the server may or may not have committed."""
    return DatabaseUnavailable(
        f"{strip_password(url)}: the connection to the database server was lost while the "
        "change was being committed, so whether it was saved is unknown: look at the database "
        "(`clearground imports list` shows the imports it holds) before repeating the command; "
        "an import run again is refused if it was saved"
    )


def from_psycopg(
    exc: Exception,
    url: str,
    *,
    busy_timeout: float | None = None,
    database: str | None = None,
    schema: str | None = None,
    role: str | None = None,
    timeouts: dict[str, str] | None = None,
    saved_before: int = 0,
) -> DatabaseUnavailable:
    """The message for a psycopg error on the PostgreSQL database at ``url``, by SQLSTATE (and
    the driver's class where there is none). ``database``, ``schema`` and ``role`` (where known)
    go into the SQL a superuser is asked to run; ``timeouts`` are the connection's
    ``statement_timeout`` and ``idle_in_transaction_session_timeout`` (to say after how long);
    ``saved_before`` is how many transactions this store committed before (to say honestly
    what was not changed)."""
    where = strip_password(url)
    state = getattr(exc, "sqlstate", None) or ""
    text = scrub(str(exc)).strip()
    first = text.splitlines()[0].strip() if text else type(exc).__name__
    low = text.lower()
    db = database or "this database"
    who = role or "?"
    unchanged = (
        "nothing was changed"
        if not saved_before
        else "the change in progress was not saved (the earlier ones were)"
    )
    if state == "55P03" or (state == "57014" and "lock timeout" in low):
        return _busy(url, busy_timeout)
    if state in ("40P01", "40001"):
        what = "a deadlock" if state == "40P01" else "a serialization failure"
        return TransactionAborted(
            f"{where}: another command was changing the same records at the same time "
            f"({what}), and the database cancelled this change to let the other finish; "
            f"{unchanged}: run the command again"
        )
    if state == "57014":
        if "statement timeout" in low:
            return DatabaseUnavailable(
                f"{where}: a statement timed out{_after(timeouts, 'statement_timeout')} (the "
                f"server's statement_timeout) and was cancelled; {unchanged}: a database "
                "administrator can raise statement_timeout for this role or database"
            )
        return DatabaseUnavailable(
            f"{where}: the statement was cancelled (Ctrl-C, or pg_cancel_backend by an "
            f"administrator); {unchanged}"
        )
    if state == "25P03" or "idle-in-transaction timeout" in low:
        return DatabaseUnavailable(
            f"{where}: the server closed the connection: this command's transaction was idle "
            f"too long and timed out{_after(timeouts, 'idle_in_transaction_session_timeout')} "
            f"(idle_in_transaction_session_timeout); {unchanged}: run the command again"
        )
    if state == "42501":  # insufficient_privilege
        if "extension" in text:
            return DatabaseUnavailable(
                f"{where}: PostGIS is not enabled in database {db}, and role {who} may "
                f"not enable it: a superuser runs once, in database {db}: "
                "CREATE EXTENSION postgis;"
            )
        m = re.search(r"permission denied for (\w+) \"?([\w.]+)\"?", text)
        if m and m.group(1) == "schema":
            return DatabaseUnavailable(
                f"{where}: role {who} may not create tables in schema {schema or '?'}: "
                f"a superuser (or the schema's owner) runs once, in database {db}: "
                f'GRANT USAGE, CREATE ON SCHEMA "{schema or "SCHEMA"}" TO "{role or "ROLE"}";'
            )
        if m:
            kind = "table" if m.group(1) in ("relation", "table", "view") else m.group(1)
            return DatabaseUnavailable(
                f"{where}: permission denied for role {who} on {kind} {m.group(2)}; {unchanged}: "
                "a database administrator grants what the role needs (SELECT to read; INSERT "
                f'and UPDATE as well to write), e.g. GRANT SELECT ON {m.group(2)} TO "{who}";'
            )
        return DatabaseUnavailable(
            f"{where}: role {who} lacks a permission clearground needs: {first}; {unchanged}"
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
    if state == "53100" or "no space left on device" in low:
        return DatabaseUnavailable(
            f"{where}: the database server's disk is full; {unchanged} (nothing was written): "
            "free space on the server, or ask its administrator to"
        )
    if state == "53300":
        return DatabaseUnavailable(
            f"{where}: the database server has as many connections as it allows "
            "(max_connections): try again in a moment, or ask its administrator"
        )
    if state.startswith("53"):  # out of memory, other limits
        return DatabaseUnavailable(
            f"{where}: the database server is out of resources ({first}); {unchanged}"
        )
    if state == "25006":
        return DatabaseUnavailable(
            f"{where}: the server accepts only reads (a standby?); nothing was written"
        )
    if state in ("22P05", "22021") or "\\u0000" in text or "nul (0x00)" in low:
        return DatabaseUnavailable(
            f"{where}: a text holds a character PostgreSQL cannot store (a NUL byte, \\u0000, "
            f"or one the database's encoding lacks): {first}; {unchanged}"
        )
    if state == "57P01":
        return DatabaseUnavailable(
            f"{where}: the database server ended the connection (an administrator ended the "
            f"session, or the server is shutting down or restarting); {unchanged}: try again "
            "in a moment"
        )
    if state == "57P02":
        return DatabaseUnavailable(
            f"{where}: the database server stopped abruptly (a crash or an immediate "
            f"shutdown) and ended the connection; {unchanged}: try again when it is back"
        )
    if state == "57P03":
        return DatabaseUnavailable(
            f"{where}: the database server is starting up or shutting down and takes no "
            "connections now: try again in a moment"
        )
    if lost(exc):
        return DatabaseUnavailable(
            f"{where}: the connection to the database server was lost (the server may have "
            f"restarted or stopped, or the network dropped): {first}; {unchanged}: try again"
        )
    if state.startswith("58") or state.startswith("XX"):
        return DatabaseUnavailable(
            f"{where}: the database server could not read or write its files: {first}; {unchanged}"
        )
    return DatabaseUnavailable(f"{where}: database error: {first}; {unchanged}")


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
