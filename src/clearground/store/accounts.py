"""Accounts' rows on either engine (tables of migration 14): users, tokens, sessions, events.

Both engines run the same SQL through these functions (as ``store/ledger.py`` does); only the
parameter mark differs. Rows are only added or given an end (disabled, revoked, ended, last
used): none is deleted, and ``account_events`` records every change with its actor.
"""

from __future__ import annotations

import json
from typing import Any

from clearground.domain.accounts import AccountEvent, ApiToken, Session, User

__all__ = [
    "account_events",
    "add_account_event",
    "add_session",
    "add_token",
    "add_user",
    "disable_user",
    "end_session",
    "get_session",
    "get_token",
    "get_user",
    "list_tokens",
    "list_users",
    "revoke_token",
    "token_by_hash",
    "touch_token",
]

_USER = (
    "name, role, organisation, permissions, created_at, created_by, disabled_at, disabled_by, "
    "password_hash"
)
_TOKEN = "id, name, user_name, created_at, created_by, last_used_at, revoked_at, revoked_by"


def _user(row: tuple | None) -> User | None:
    if row is None:
        return None
    name, role, org, perms, created_at, created_by, disabled_at, disabled_by, pw = row
    return User(
        name=name,
        role=role,
        organisation=org,
        permissions=tuple(json.loads(perms)),
        created_at=created_at,
        created_by=created_by,
        disabled_at=disabled_at,
        disabled_by=disabled_by,
        password_hash=pw,
    )


def _token(row: tuple | None) -> ApiToken | None:
    if row is None:
        return None
    id_, name, user, created_at, created_by, last_used, revoked_at, revoked_by = row
    return ApiToken(int(id_), name, user, created_at, created_by, last_used, revoked_at, revoked_by)


def get_user(conn: Any, mark: str, name: str) -> User | None:
    return _user(conn.execute(f"SELECT {_USER} FROM users WHERE name = {mark}", (name,)).fetchone())


def list_users(conn: Any) -> list[User]:
    rows = conn.execute(f"SELECT {_USER} FROM users ORDER BY name").fetchall()
    return [u for u in map(_user, rows) if u is not None]


def add_user(conn: Any, mark: str, user: User) -> None:
    marks = ", ".join([mark] * 9)
    conn.execute(
        f"INSERT INTO users ({_USER}) VALUES ({marks})",
        (
            user.name,
            user.role,
            user.organisation,
            json.dumps(list(user.permissions)),
            user.created_at,
            user.created_by,
            user.disabled_at,
            user.disabled_by,
            user.password_hash,
        ),
    )


def disable_user(conn: Any, mark: str, name: str, at: str, by: str) -> None:
    conn.execute(
        f"UPDATE users SET disabled_at = {mark}, disabled_by = {mark} "
        f"WHERE name = {mark} AND disabled_at IS NULL",
        (at, by, name),
    )


def add_token(conn: Any, mark: str, name: str, user: str, token_hash: str, at: str, by: str) -> int:
    row = conn.execute(
        "INSERT INTO api_tokens (name, user_name, token_hash, created_at, created_by) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark}) RETURNING id",
        (name, user, token_hash, at, by),
    ).fetchone()
    return int(row[0])


def get_token(conn: Any, mark: str, token_id: int) -> ApiToken | None:
    return _token(
        conn.execute(f"SELECT {_TOKEN} FROM api_tokens WHERE id = {mark}", (token_id,)).fetchone()
    )


def token_by_hash(conn: Any, mark: str, token_hash: str) -> ApiToken | None:
    return _token(
        conn.execute(
            f"SELECT {_TOKEN} FROM api_tokens WHERE token_hash = {mark}", (token_hash,)
        ).fetchone()
    )


def list_tokens(conn: Any) -> list[ApiToken]:
    rows = conn.execute(f"SELECT {_TOKEN} FROM api_tokens ORDER BY id").fetchall()
    return [t for t in map(_token, rows) if t is not None]


def revoke_token(conn: Any, mark: str, token_id: int, at: str, by: str) -> None:
    conn.execute(
        f"UPDATE api_tokens SET revoked_at = {mark}, revoked_by = {mark} "
        f"WHERE id = {mark} AND revoked_at IS NULL",
        (at, by, token_id),
    )


def touch_token(conn: Any, mark: str, token_id: int, at: str) -> None:
    conn.execute(f"UPDATE api_tokens SET last_used_at = {mark} WHERE id = {mark}", (at, token_id))


def add_session(conn: Any, mark: str, token_hash: str, user: str, at: str, expires_at: str) -> None:
    conn.execute(
        "INSERT INTO sessions (token_hash, user_name, created_at, expires_at) "
        f"VALUES ({mark}, {mark}, {mark}, {mark})",
        (token_hash, user, at, expires_at),
    )


def get_session(conn: Any, mark: str, token_hash: str) -> Session | None:
    row = conn.execute(
        f"SELECT user_name, created_at, expires_at, ended_at FROM sessions "
        f"WHERE token_hash = {mark}",
        (token_hash,),
    ).fetchone()
    return None if row is None else Session(*row)


def end_session(conn: Any, mark: str, token_hash: str, at: str) -> None:
    conn.execute(
        f"UPDATE sessions SET ended_at = {mark} WHERE token_hash = {mark} AND ended_at IS NULL",
        (at, token_hash),
    )


def add_account_event(conn: Any, mark: str, event: AccountEvent) -> None:
    conn.execute(
        "INSERT INTO account_events (at, actor, action, subject, detail) "
        f"VALUES ({mark}, {mark}, {mark}, {mark}, {mark})",
        (event.at, event.actor, event.action, event.subject, json.dumps(event.detail)),
    )


def account_events(conn: Any) -> list[AccountEvent]:
    rows = conn.execute(
        "SELECT at, actor, action, subject, detail FROM account_events ORDER BY seq"
    ).fetchall()
    return [AccountEvent(a, b, c, d, json.loads(e)) for a, b, c, d, e in rows]


class AccountWrites:
    """The account writes of a transaction, for both engines: ``_conn`` is the transaction's
    connection and ``_mark`` its driver's parameter mark (``?`` or ``%s``)."""

    _conn: Any
    _mark: str

    def user(self, name: str) -> Any:
        return get_user(self._conn, self._mark, name)

    def add_user(self, user: Any) -> None:
        add_user(self._conn, self._mark, user)

    def disable_user(self, name: str, *, at: str, by: str) -> None:
        disable_user(self._conn, self._mark, name, at, by)

    def token(self, token_id: int) -> Any:
        return get_token(self._conn, self._mark, token_id)

    def add_token(self, name: str, user: str, token_hash: str, *, at: str, by: str) -> int:
        return add_token(self._conn, self._mark, name, user, token_hash, at, by)

    def revoke_token(self, token_id: int, *, at: str, by: str) -> None:
        revoke_token(self._conn, self._mark, token_id, at, by)

    def touch_token(self, token_id: int, at: str) -> None:
        touch_token(self._conn, self._mark, token_id, at)

    def add_session(self, token_hash: str, user: str, *, at: str, expires_at: str) -> None:
        add_session(self._conn, self._mark, token_hash, user, at, expires_at)

    def end_session(self, token_hash: str, at: str) -> None:
        end_session(self._conn, self._mark, token_hash, at)

    def add_account_event(self, event: Any) -> None:
        add_account_event(self._conn, self._mark, event)
