"""Accounts: add and disable users, make and revoke programs' tokens, sign in and out.

Each use case is one transaction, and every change of an account is recorded with its actor
(``account_events``); nothing is deleted. Passwords are argon2id hashes (argon2-cffi); tokens
and session secrets are random 32 bytes, stored only as their sha256. A wrong password, an
unknown user and a disabled one get the same answer and cost the same time: an unknown name is
verified against a dummy hash.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import Any

from clearground.domain.accounts import (
    AccountEvent,
    ApiToken,
    User,
    check_new_user,
    check_user_name,
    password_problem,
)
from clearground.domain.errors import BadInput, NotFound, Unauthorized
from clearground.store.base import format_time, now_utc

__all__ = [
    "TOKEN_PREFIX",
    "add_user",
    "authenticate_password",
    "authenticate_token",
    "create_token",
    "disable_user",
    "end_session",
    "list_events",
    "list_tokens",
    "list_users",
    "note_token_use",
    "revoke_token",
    "session_user",
    "start_session",
    "validate_user",
]

#: Every token begins so (secret scanners and people tell it from a password).
TOKEN_PREFIX = "cg_"
#: A token's ``last_used_at`` is written at most this often (a write per request would not do).
TOUCH_EVERY = timedelta(minutes=5)
_WRONG = "wrong user name or password"


@cache
def _hasher() -> Any:
    from argon2 import PasswordHasher

    return PasswordHasher()  # argon2id, the library's RFC 9106 defaults


@cache
def _dummy_hash() -> str:
    """The hash an unknown user's password is checked against, so that it costs what a
    known user's does."""
    return _hasher().hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    try:
        return bool(_hasher().verify(password_hash, password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def digest(secret: str) -> str:
    """What is stored of a token or session secret: its sha256, hex."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


# -- users ------------------------------------------------------------------------------------


def validate_user(
    name: str, role: str, organisation: str = "", permissions: tuple[str, ...] = ()
) -> None:
    """Refuse, before a password is asked for, an account that could not be added as given."""
    from clearground.config import KNOWN_PERMISSIONS

    check_new_user(name, role, organisation, tuple(permissions), KNOWN_PERMISSIONS)


def add_user(
    store: Any,
    name: str,
    *,
    role: str,
    password: str,
    actor: str,
    organisation: str = "",
    permissions: tuple[str, ...] = (),
) -> User:
    """Add an account; refuse a weak password (saying why), an unknown role, permission or
    organisation, an operator without one, and a name that exists (exit 2)."""
    permissions = tuple(sorted(set(permissions)))
    validate_user(name, role, organisation, permissions)
    problem = password_problem(password, name)
    if problem:
        raise BadInput(f"password refused: {problem}")
    password_hash = _hasher().hash(password)  # slow on purpose: before the transaction
    with store.transaction() as tx:
        if tx.user(name) is not None:
            raise BadInput(f"user {name} exists already (names are never reused)")
        if organisation and not tx.existing_ids("organisation", [organisation]):
            raise BadInput(f"--organisation {organisation}: no such organisation record")
        user = User(
            name=name,
            role=role,
            organisation=organisation,
            permissions=permissions,
            created_at=tx.time,
            created_by=actor,
            password_hash=password_hash,
        )
        tx.add_user(user)
        detail = {"role": role, "organisation": organisation, "permissions": list(permissions)}
        tx.add_account_event(AccountEvent(tx.time, actor, "user_added", name, detail))
        tx.commit()
    return user


def disable_user(store: Any, name: str, *, actor: str) -> tuple[User, bool]:
    """Disable an account (its tokens and sessions stop working at once); return it and
    whether this changed anything (a disabled one stays as it was)."""
    with store.transaction() as tx:
        user = tx.user(name)
        if user is None:
            raise NotFound(f"user {name}: no such user")
        if user.disabled:
            return user, False
        tx.disable_user(name, at=tx.time, by=actor)
        tx.add_account_event(AccountEvent(tx.time, actor, "user_disabled", name))
        tx.commit()
        return tx.user(name), True


def list_users(store: Any) -> list[User]:
    return store.users()


def list_events(store: Any) -> list[AccountEvent]:
    return store.account_events()


# -- tokens -----------------------------------------------------------------------------------


def create_token(store: Any, name: str, *, user: str, actor: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: return it and its secret, which is shown once (only its
    sha256 is stored)."""
    if not name.strip() or len(name) > 100 or not name.isprintable():
        raise BadInput(f"token name {name!r}: give 1 to 100 printable characters")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with store.transaction() as tx:
        owner = tx.user(user)
        if owner is None:
            raise NotFound(f"--user {user}: no such user (add one with users add)")
        if owner.disabled:
            raise BadInput(f"--user {user}: the user is disabled")
        token_id = tx.add_token(name, user, digest(secret), at=tx.time, by=actor)
        tx.add_account_event(
            AccountEvent(tx.time, actor, "token_created", user, {"token": token_id, "name": name})
        )
        tx.commit()
        token = tx.token(token_id)
    return token, secret


def revoke_token(store: Any, token_id: int | str, *, actor: str) -> tuple[ApiToken, bool]:
    """Revoke a token for good; return it and whether this changed anything."""
    text = str(token_id).strip()
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise NotFound(f"token {token_id!r}: no such token (ids are numbers; see tokens list)")
    token_id = int(text)
    with store.transaction() as tx:
        token = tx.token(token_id)
        if token is None:
            raise NotFound(f"token {token_id}: no such token")
        if token.revoked:
            return token, False
        tx.revoke_token(token_id, at=tx.time, by=actor)
        tx.add_account_event(
            AccountEvent(tx.time, actor, "token_revoked", token.user, {"token": token_id})
        )
        tx.commit()
        return tx.token(token_id), True


def list_tokens(store: Any) -> list[ApiToken]:
    return store.tokens()


# -- signing in -------------------------------------------------------------------------------


def authenticate_password(store: Any, name: str, password: str) -> User:
    """The user ``name`` if ``password`` is theirs and they are not disabled; else
    Unauthorized, the same answer after the same work for every reason."""
    try:
        check_user_name(name)
        user = store.user(name)
    except BadInput:
        user = None
    ok = _verify(user.password_hash if user is not None else _dummy_hash(), password)
    if not ok or user is None or user.disabled:
        raise Unauthorized(_WRONG)
    return user


def authenticate_token(store: Any, secret: str) -> tuple[User, ApiToken]:
    """The user of a Bearer token and the token; Unauthorized if it is unknown, revoked, or
    its user is disabled."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        raise Unauthorized("the token is not a clearground token")
    token = store.token_by_hash(digest(secret))
    if token is None or token.revoked:
        raise Unauthorized("the token is unknown or revoked")
    user = store.user(token.user)
    if user is None or user.disabled:
        raise Unauthorized("the token's user is disabled")
    return user, token


def note_token_use(store: Any, token: ApiToken) -> None:
    """Record when a token was last used, at most every ``TOUCH_EVERY``."""
    now = now_utc()
    if token.last_used_at is not None:
        last = datetime.fromisoformat(token.last_used_at)
        if datetime.fromisoformat(now) - last < TOUCH_EVERY:
            return
    with store.transaction() as tx:
        tx.touch_token(token.id, tx.time)
        tx.commit()


def start_session(store: Any, user: User, *, hours: float) -> str:
    """A browser session for ``user``, valid ``hours``; return its secret (the cookie's)."""
    secret = secrets.token_urlsafe(32)
    with store.transaction() as tx:
        expires = format_time(datetime.fromisoformat(tx.time) + timedelta(hours=hours))
        tx.add_session(digest(secret), user.name, at=tx.time, expires_at=expires)
        tx.commit()
    return secret


def session_user(store: Any, secret: str) -> User:
    """The user of a live session; Unauthorized if it ended, expired or its user is disabled."""
    session = store.session(digest(secret))
    if session is None or session.ended_at is not None:
        raise Unauthorized("the session has ended; sign in again")
    if session.expires_at <= format_time(datetime.now(UTC)):
        raise Unauthorized("the session has expired; sign in again")
    user = store.user(session.user)
    if user is None or user.disabled:
        raise Unauthorized("the session's user is disabled")
    return user


def end_session(store: Any, secret: str) -> None:
    """End a session for good (signing out); an ended or unknown one stays as it is."""
    with store.transaction() as tx:
        tx.end_session(digest(secret), tx.time)
        tx.commit()
