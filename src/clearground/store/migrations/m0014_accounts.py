"""Accounts: users, programs' tokens, browser sessions, and every change to them.

Nothing is deleted: a user is disabled, a token revoked, a session ended, each with who and
when, and ``account_events`` keeps one row per change (who added or disabled whom, which token
was made or revoked). Tokens and sessions are stored as the sha256 of their secret, passwords as
argon2 hashes. On SQLite these are plain tables, not GeoPackage layers (GDAL lists only
registered tables).
"""

from __future__ import annotations

NUMBER = 14
NAME = "accounts"

_USERS = (
    "CREATE TABLE users (name TEXT PRIMARY KEY, role TEXT NOT NULL, "
    "organisation TEXT NOT NULL, permissions TEXT NOT NULL, password_hash TEXT NOT NULL, "
    "created_at TEXT NOT NULL, created_by TEXT NOT NULL, disabled_at TEXT, disabled_by TEXT)"
)
_TOKEN_COLUMNS = (
    "name TEXT NOT NULL, user_name TEXT NOT NULL REFERENCES users (name), "
    "token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT NOT NULL, "
    "last_used_at TEXT, revoked_at TEXT, revoked_by TEXT"
)
_SESSIONS = (
    "CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, "
    "user_name TEXT NOT NULL REFERENCES users (name), created_at TEXT NOT NULL, "
    "expires_at TEXT NOT NULL, ended_at TEXT)"
)
_EVENT_COLUMNS = (
    "at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, subject TEXT NOT NULL, "
    "detail TEXT NOT NULL"
)


def _user_must_exist(table: str) -> str:
    """SQLite checks no REFERENCES unless ``PRAGMA foreign_keys`` is on (it is not here)."""
    return (
        f"CREATE TRIGGER {table}_user_exists BEFORE INSERT ON {table} "
        "WHEN NOT EXISTS (SELECT 1 FROM users WHERE name = NEW.user_name) "
        f"BEGIN SELECT RAISE(ABORT, '{table}: no such user'); END"
    )


def sqlite() -> list[str]:
    return [
        _USERS,
        f"CREATE TABLE api_tokens (id INTEGER PRIMARY KEY AUTOINCREMENT, {_TOKEN_COLUMNS})",
        _SESSIONS,
        f"CREATE TABLE account_events (seq INTEGER PRIMARY KEY AUTOINCREMENT, {_EVENT_COLUMNS})",
        _user_must_exist("api_tokens"),
        _user_must_exist("sessions"),
    ]


def postgis() -> list[str]:
    return [
        _USERS,
        "CREATE TABLE api_tokens (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        f"{_TOKEN_COLUMNS})",
        _SESSIONS,
        "CREATE TABLE account_events (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        f"{_EVENT_COLUMNS})",
    ]
