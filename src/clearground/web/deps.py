"""Dependencies every route shares: the app's state, the store, and who is asking.

``principal`` is who makes the request. Until accounts exist every request is ``public``
(anonymous); accounts and roles replace this one function, and every route that reads or writes
asks for it, so the projections always know their reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request

from clearground.web.state import WebState

__all__ = [
    "PUBLIC_PRINCIPAL",
    "ROLES",
    "Principal",
    "principal",
    "reader_of",
    "require_role",
    "web_state",
]

ROLES = ("admin", "im_officer", "operator", "viewer", "public")


@dataclass(frozen=True)
class Principal:
    """A signed-in user, a program's token, or the anonymous public."""

    name: str
    role: str
    permissions: frozenset[str] = field(default_factory=frozenset)
    organisation: str = ""


PUBLIC_PRINCIPAL = Principal(name="public", role="public")


def web_state(request: Request) -> WebState:
    return request.app.state.web


def principal(request: Request) -> Principal:
    """Who is asking (anonymous public until accounts exist)."""
    return PUBLIC_PRINCIPAL


def reader_of(who: Principal):
    """The projections' reader for ``who``: personal data only with ``victim_data``."""
    from clearground.services.projections import Reader

    return Reader.of(tuple(who.permissions))


def require_role(who: Principal, *roles: str) -> Principal:
    """``who``, if their role is one of ``roles``; else Forbidden (401 for the anonymous public
    is the accounts layer's to add). Routes call this before any write, so the rule is in one
    place: operators submit and edit their own organisation's records, only im_officer and
    admin approve."""
    from clearground.domain.errors import Forbidden

    if who.role not in roles:
        raise Forbidden(f"the {who.role} role may not do this; it needs {' or '.join(roles)}")
    return who
