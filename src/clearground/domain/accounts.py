"""Accounts and roles: the values and the pure rules (no I/O; services/accounts.py uses them).

Roles, from most to least: ``admin`` (everything, accounts too), ``im_officer`` (review,
approve, edit every record), ``operator`` (submit, and edit its own organisation's records),
``viewer`` (read everything but personal data) and ``public`` (anonymous: hazard areas, EO
reports without personal data, route checks). Reading victims' personal data is a permission of
its own (``victim_data``), given to a user, never implied by a role.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from clearground.domain.errors import BadInput, Forbidden, Unauthorized

__all__ = [
    "ROLES",
    "SIGNED_IN_ROLES",
    "AccountEvent",
    "ApiToken",
    "Session",
    "User",
    "check_new_user",
    "check_user_name",
    "password_problem",
    "record_organisation",
    "require_own_organisation",
]

ROLES = ("admin", "im_officer", "operator", "viewer", "public")
#: The roles an account can have (``public`` is whoever is not signed in).
SIGNED_IN_ROLES = ROLES[:-1]
#: Roles that edit every record, whatever its organisation.
EDIT_ALL = frozenset({"admin", "im_officer"})

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@-]{0,63}")
MIN_PASSWORD = 12
#: Passwords that pass the length rule and are still guessed first.
_COMMON = frozenset(
    {
        "password1234",
        "passwordpassword",
        "123456789012",
        "qwertyuiopas",
        "letmeinletmein",
        "iloveyou1234",
        "administrator",
        "adminadmin12",
        "changemechangeme",
        "welcome12345",
    }
)


@dataclass(frozen=True)
class User:
    """An account. ``password_hash`` (argon2) never leaves through ``as_dict``."""

    name: str
    role: str
    organisation: str = ""
    permissions: tuple[str, ...] = ()
    created_at: str = ""
    created_by: str = ""
    disabled_at: str | None = None
    disabled_by: str | None = None
    password_hash: str = field(default="", repr=False)

    @property
    def disabled(self) -> bool:
        return self.disabled_at is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "role": self.role,
            "organisation": self.organisation or None,
            "permissions": list(self.permissions),
            "created_at": self.created_at,
            "created_by": self.created_by,
            "disabled_at": self.disabled_at,
            "disabled_by": self.disabled_by,
        }


@dataclass(frozen=True)
class ApiToken:
    """A program's token: only its sha256 is stored; the token itself is shown once."""

    id: int
    name: str
    user: str
    created_at: str
    created_by: str
    last_used_at: str | None = None
    revoked_at: str | None = None
    revoked_by: str | None = None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "user": self.user,
            "created_at": self.created_at,
            "created_by": self.created_by,
            "last_used_at": self.last_used_at,
            "revoked_at": self.revoked_at,
            "revoked_by": self.revoked_by,
        }


@dataclass(frozen=True)
class Session:
    """A browser's sign-in (the cookie holds its secret; the database its sha256)."""

    user: str
    created_at: str
    expires_at: str
    ended_at: str | None = None


@dataclass(frozen=True)
class AccountEvent:
    """One change of accounts, kept for good: who did what to whom, when."""

    at: str
    actor: str
    action: str  # user_added, user_disabled, token_created, token_revoked
    subject: str
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "at": self.at,
            "actor": self.actor,
            "action": self.action,
            "subject": self.subject,
            "detail": self.detail,
        }


def check_user_name(name: str) -> str:
    """``name`` if it can name an account (letters, digits, ``._@-``; 1-64; not an option)."""
    if not _NAME.fullmatch(name or ""):
        raise BadInput(
            f"user name {name!r}: use 1 to 64 letters, digits or . _ @ - "
            "(starting with a letter or digit)"
        )
    if name == "public":
        raise BadInput("user name 'public' is the anonymous public; choose another name")
    return name


def check_new_user(
    name: str, role: str, organisation: str, permissions: tuple[str, ...], known: frozenset[str]
) -> None:
    """Refuse an account that could not work as asked: an unknown role or permission, an
    operator without an organisation, a viewer given personal data."""
    check_user_name(name)
    if role not in SIGNED_IN_ROLES:
        raise BadInput(f"--role {role!r}: not a role; roles: {', '.join(SIGNED_IN_ROLES)}")
    unknown = sorted(set(permissions) - known)
    if unknown:
        raise BadInput(
            f"--permission {', '.join(unknown)}: unknown; known: {', '.join(sorted(known))}"
        )
    if role == "operator" and not organisation:
        raise BadInput(
            f"user {name}: an operator edits its own organisation's records; "
            "give --organisation ORG-ID"
        )
    if role == "viewer" and "victim_data" in permissions:
        raise BadInput(f"user {name}: viewers read all but personal data; no victim_data")


def password_problem(password: str, name: str = "") -> str | None:
    """Why ``password`` is too weak, or None. Length is what counts (NIST SP 800-63B): at least
    12 characters, not mostly one character, not the user name, not a well-known password."""
    if len(password) < MIN_PASSWORD:
        return f"it has {len(password)} characters; use at least {MIN_PASSWORD}"
    if len(set(password)) < 5:
        return "it repeats too few different characters; use at least 5 different ones"
    low = password.lower()
    if name and name.lower() in low:
        return "it contains the user name"
    if low in _COMMON or low.strip("0123456789!") in _COMMON:
        return "it is a well-known password"
    if low in "abcdefghijklmnopqrstuvwxyz0123456789" or low in "01234567890123456789":
        return "it is a run of consecutive characters"
    return None


def record_organisation(record: Any) -> str:
    """The organisation a record belongs to: its ``organisation_id``, else its
    ``organisation`` (activities and QC samples name it), else none ("")."""
    for attr in ("organisation_id", "organisation"):
        value = getattr(record, attr, None)
        if isinstance(value, str) and value:
            return value
    return ""


def require_own_organisation(
    role: str, own: str, record: Any, *, organisation: str | None = None
) -> None:
    """Refuse an edit of ``record`` by a role that may not make it: ``admin`` and
    ``im_officer`` edit every record; an ``operator`` only those of its own organisation
    (``organisation`` if given, else ``record_organisation(record)``; a record of no
    organisation is not its own); nobody else edits."""
    if role in EDIT_ALL:
        return
    if role == "public":
        raise Unauthorized("sign in to edit records")
    if role != "operator":
        raise Forbidden(f"the {role} role may not edit records")
    theirs = record_organisation(record) if organisation is None else organisation
    if not own or theirs != own:
        what = f"organisation {theirs}" if theirs else "no organisation"
        raise Forbidden(
            f"an operator edits only its own organisation's ({own or 'none'}) records; "
            f"this one is of {what}"
        )
