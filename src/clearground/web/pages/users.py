"""The Users page (admin only): accounts, their roles and organisations, and API tokens —
list, add, disable, create and revoke tokens, through services/accounts.py. Every form post
carries the session's CSRF token (``csrf_token`` field); a new token's secret is shown once,
on the page that answers its creation, and never again (only its sha256 is stored)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from clearground.domain.accounts import SIGNED_IN_ROLES
from clearground.domain.errors import BadInput, NotFound
from clearground.services import accounts, read
from clearground.services.projections import json_of
from clearground.web.deps import Principal, principal, reader_of, require_role
from clearground.web.pages import i18n
from clearground.web.pages.render import form_principal, language, render

__all__ = ["router", "users_context"]

router = APIRouter(include_in_schema=False)


def N_(message: str) -> str:
    """Mark a message for the catalogue; it is translated when shown."""
    return message


ROLE_NOTES = {
    "admin": N_("Everything, and accounts and tokens."),
    "im_officer": N_("Reads and edits every record; approves or rejects submissions."),
    "operator": N_("Submits and edits its own organisation's records."),
    "viewer": N_("Reads every record but submissions; never victims' personal data."),
}


def users_context(store: Any, who: Principal) -> dict[str, Any]:
    """What the page lists: users, tokens, organisations (their records through the
    projections), the roles with what each may do."""
    project = json_of("organisation")
    reader = reader_of(who)
    organisations = [project(v, reader) for v in read.records(store, "organisation")]
    users = accounts.list_users(store)
    members: dict[str, int] = {}
    for u in users:
        if u.organisation and not u.disabled:
            members[u.organisation] = members.get(u.organisation, 0) + 1
    return {
        "users": [u.as_dict() for u in users],
        "tokens": [t.as_dict() for t in sorted(accounts.list_tokens(store), key=lambda t: t.id)],
        "organisations": [
            {
                "id": o["id"],
                "name": o.get("name", ""),
                "kind": o.get("kind", ""),
                "users": members.get(o["id"], 0),
            }
            for o in organisations
        ],  # fmt: skip
        "roles": [(r, i18n.gettext(ROLE_NOTES[r])) for r in SIGNED_IN_ROLES],
    }


def _page(request: Request, who: Principal, status_code: int = 200, **extra: Any) -> Response:
    token = i18n.use(language(request))
    try:
        context = users_context(request.app.state.web.store, who)
        context.setdefault("form", {})
        context.update(extra)
        return render(request, "users.html", status_code=status_code, **context)
    finally:
        i18n._current.reset(token)


def _worded(request: Request, exc: Exception) -> str:
    """The rules' refusal in the page's language."""
    from clearground.web.pages.messages_uk import translate

    return translate(getattr(exc, "message", str(exc)), language(request))


@router.get("/users")
def users_page(request: Request, who: Annotated[Principal, Depends(principal)]) -> Response:
    require_role(who, "admin")
    return _page(request, who)


@router.post("/users")
async def add_user(
    request: Request,
    who: Annotated[Principal, Depends(form_principal)],
    name: Annotated[str, Form()] = "",
    role: Annotated[str, Form()] = "",
    organisation: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    victim_data: Annotated[str, Form()] = "",
) -> Response:
    """Add an account; a refusal shows the form again with the reason beside it."""
    require_role(who, "admin")
    perms = ("victim_data",) if victim_data else ()
    try:
        await run_in_threadpool(
            accounts.add_user,
            request.app.state.web.store,
            name.strip(),
            role=role,
            password=password,
            actor=who.name,
            organisation=organisation.strip(),
            permissions=perms,
        )
    except BadInput as exc:
        form = {"name": name, "role": role, "organisation": organisation, "victim_data": perms}
        return _page(request, who, 400, add_error=_worded(request, exc), form=form)
    return _page(request, who, notice=("user_added", name.strip()))


@router.post("/users/{name}/disable")
def disable_user(
    request: Request, name: str, who: Annotated[Principal, Depends(form_principal)]
) -> Response:
    require_role(who, "admin")
    if name == who.name:
        return _page(request, who, 400, error=("self", name))
    try:
        _, changed = accounts.disable_user(request.app.state.web.store, name, actor=who.name)
    except NotFound as exc:
        return _page(request, who, 404, error=("message", _worded(request, exc)))
    return _page(request, who, notice=("user_disabled" if changed else "already_disabled", name))


@router.post("/users/tokens")
def create_token(
    request: Request,
    who: Annotated[Principal, Depends(form_principal)],
    token_name: Annotated[str, Form()] = "",
    user: Annotated[str, Form()] = "",
) -> Response:
    """A new token; its secret is on this answer only (never stored, never shown again)."""
    require_role(who, "admin")
    try:
        token, secret = accounts.create_token(
            request.app.state.web.store, token_name, user=user, actor=who.name
        )
    except (BadInput, NotFound) as exc:
        form = {"token_name": token_name, "user": user}
        return _page(request, who, 400, token_error=_worded(request, exc), form=form)
    response = _page(request, who, new_token={"id": token.id, "user": token.user, "secret": secret})
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/users/tokens/{token_id}/revoke")
def revoke_token(
    request: Request, token_id: str, who: Annotated[Principal, Depends(form_principal)]
) -> Response:
    require_role(who, "admin")
    try:
        token, changed = accounts.revoke_token(
            request.app.state.web.store, token_id, actor=who.name
        )
    except NotFound as exc:
        return _page(request, who, 404, error=("message", _worded(request, exc)))
    kind = "token_revoked" if changed else "already_revoked"
    return _page(request, who, notice=(kind, str(token.id)))
