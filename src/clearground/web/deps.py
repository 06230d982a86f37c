"""Dependencies every route shares: the app's state, the store, and who is asking.

``principal`` is who makes the request: the user of its ``Authorization: Bearer`` token, else of
its session cookie (web/auth.py), else the anonymous ``public``. Every route that reads or
writes asks for it, so the projections always know their reader, and ``who.name`` is the
author of every version a route writes. Before a write a route calls ``require_role`` (401 for
the public, 403 for a role that may not) and, for an edit of one record,
``require_own_organisation`` (operators edit only their own organisation's records).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import BackgroundTasks, Request

from clearground.web.state import WebState

__all__ = [
    "PUBLIC_PRINCIPAL",
    "ROLES",
    "Principal",
    "principal",
    "principal_of",
    "reader_of",
    "require_own_organisation",
    "require_read",
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


def principal_of(user) -> Principal:
    """The principal of an account (``domain.accounts.User``)."""
    return Principal(
        name=user.name,
        role=user.role,
        permissions=frozenset(user.permissions),
        organisation=user.organisation,
    )


def principal(request: Request, background: BackgroundTasks) -> Principal:
    """Who is asking: a token's user (a bad token is 401), a session's user (a write needs the
    ``X-CSRF-Token`` header, else 403), or the anonymous public. Worked out once a request."""
    cached = getattr(request.state, "principal", None)
    if cached is None:
        from clearground.web.auth import identify

        cached = request.state.principal = identify(request, background)
    return cached


def reader_of(who: Principal):
    """The projections' reader for ``who``: personal data only with ``victim_data``."""
    from clearground.services.projections import Reader

    return Reader.of(tuple(who.permissions))


def require_role(who: Principal, *roles: str) -> Principal:
    """``who``, if their role is one of ``roles``; else Unauthorized (401) for the anonymous
    public, for whom signing in may help, and Forbidden (403) for a signed-in role that may
    not. Routes call this before any write, so the rule is in one place: operators submit and
    edit their own organisation's records, only im_officer and admin approve."""
    from clearground.domain.errors import Forbidden, Unauthorized

    if who.role not in roles:
        if who.role == "public":
            raise Unauthorized(f"sign in first: this needs the {' or '.join(roles)} role")
        raise Forbidden(f"the {who.role} role may not do this; it needs {' or '.join(roles)}")
    return who


#: What the anonymous public may read: where hazards are recorded, what was found and what
#: happened (accidents without personal data: the projections redact), the admin areas, the
#: coverage. Not plans, teams, quality records, sessions, submissions, nor any history.
PUBLIC_READS = frozenset({"hazard", "eo", "accident", "location", "coverage"})
#: What each signed-in role may not read (the public's rule is ``PUBLIC_READS``).
NOT_READ = {"viewer": frozenset({"submission"})}
READERS = ("admin", "im_officer", "operator", "viewer")


def require_read(who: Principal, kind: str, *, history: bool = False) -> Principal:
    """``who``, if they may read records of ``kind`` (``history``: every version of one); else
    Unauthorized (401) for the public, Forbidden (403) for a role that may not. The one rule
    of read access: the JSON API's and the OGC API's reads call it (tiles serve only kinds in
    ``PUBLIC_READS``)."""
    from clearground.domain.errors import Forbidden, Unauthorized

    if who.role == "public":
        if history or kind not in PUBLIC_READS:
            what = "the history of a record" if history else f"{kind} records"
            raise Unauthorized(f"sign in first: {what} are not public")
        return who
    if who.role not in READERS or kind in NOT_READ.get(who.role, ()):
        raise Forbidden(f"the {who.role} role may not read {kind} records")
    return who


def may_read(who: Principal, kind: str) -> bool:
    """Whether ``who`` may read records of ``kind`` (:func:`require_read` without raising)."""
    from clearground.domain.errors import CleargroundError

    try:
        require_read(who, kind)
    except CleargroundError:
        return False
    return True


def require_own_organisation(
    who: Principal, record, *, organisation: str | None = None
) -> Principal:
    """``who``, if they may edit ``record``: admin and im_officer edit every record; an operator
    only a record of its own organisation (``organisation`` if the route knows it, else the
    record's ``organisation_id`` or ``organisation``; a record of none is not its own); the
    public gets 401, everyone else 403. Call it after ``require_role``, with the record as
    stored (not as the request would change it), and for a new record with the one to add."""
    from clearground.domain.accounts import require_own_organisation as rule

    rule(who.role, who.organisation, record, organisation=organisation)
    return who
