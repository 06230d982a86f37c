"""``clearground users ...`` and ``clearground tokens ...``: accounts of the server.

Whoever runs these has the database itself, so acts as its administrator; each change is
recorded with the ``author`` setting as its actor. A password is asked at a prompt or read from
standard input (``--password-stdin``), never taken from an argument (arguments show in process
lists and shell history).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from clearground.cli.common import FormatOption, OutputFormat, add_row, console, echo_json, group
from clearground.cli.common import state as _state

users_app = group("users", "Accounts of the server: add, list, disable (never deleted).")
tokens_app = group("tokens", "Programs' tokens (Authorization: Bearer): create, list, revoke.")


def _read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or asked twice at the terminal."""
    import getpass

    from clearground.domain.errors import BadInput

    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password[:-1] if password.endswith("\r") else password
        if not password:
            raise BadInput("--password-stdin: standard input holds no password")
        return password
    if not sys.stdin.isatty():
        raise BadInput(
            "no terminal to ask the password at: pipe it in with --password-stdin "
            "(a password is never given as an argument)"
        )
    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise BadInput("the two passwords differ; nothing was changed")
    return first


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user's name.")],
    role: Annotated[
        str,
        typer.Option("--role", help="admin, im_officer, operator or viewer.", show_default=False),
    ],
    organisation: Annotated[
        str,
        typer.Option(
            "--organisation",
            metavar="ID",
            help="The user's organisation record (ORG-...); operators need one.",
        ),
    ] = "",
    permission: Annotated[
        list[str] | None,
        typer.Option(
            "--permission", help="A permission (victim_data); repeat for more.", show_default=False
        ),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option("--password-stdin", help="Read the password from standard input."),
    ] = False,
    format_: FormatOption = OutputFormat.table,
) -> None:
    """Add a user; the password is asked for (or read with --password-stdin), weak ones refused."""
    from clearground.services.accounts import add_user, validate_user

    st = _state(ctx)
    store = st.store()
    validate_user(name, role, organisation, tuple(permission or ()))
    password = _read_password(password_stdin)
    user = add_user(
        store,
        name,
        role=role,
        password=password,
        actor=st.settings.author,
        organisation=organisation,
        permissions=tuple(permission or ()),
    )
    if format_ is OutputFormat.json:
        echo_json(user.as_dict())
        return
    org = f" of {user.organisation}" if user.organisation else ""
    perms = f" with {', '.join(user.permissions)}" if user.permissions else ""
    typer.echo(f"added user {user.name}: {user.role}{org}{perms}")


@users_app.command("list")
def users_list(ctx: typer.Context, format_: FormatOption = OutputFormat.table) -> None:
    """Every user, disabled ones too (with who disabled them and when)."""
    from clearground.services.accounts import list_users

    users = list_users(_state(ctx).store())
    if format_ is OutputFormat.json:
        echo_json([u.as_dict() for u in users])
        return
    from rich.table import Table

    table = Table("name", "role", "organisation", "permissions", "created", "by", "disabled")
    for u in users:
        disabled = f"{u.disabled_at} by {u.disabled_by}" if u.disabled else ""
        row = (u.name, u.role, u.organisation, ",".join(u.permissions), u.created_at)
        add_row(table, *row, u.created_by, disabled)
    console().print(table)


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="The user to disable.")],
) -> None:
    """Disable a user: their tokens and sessions stop working at once. Nothing is deleted."""
    from clearground.services.accounts import disable_user

    st = _state(ctx)
    user, changed = disable_user(st.store(), name, actor=st.settings.author)
    if changed:
        typer.echo(f"disabled user {user.name}")
    else:
        typer.echo(f"user {user.name} was disabled already, at {user.disabled_at}; unchanged")


@tokens_app.command("create")
def tokens_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(metavar="NAME", help="What the token is for.")],
    user: Annotated[
        str | None,
        typer.Option("--user", metavar="NAME", help="Whose token (default: the author setting)."),
    ] = None,
    format_: FormatOption = OutputFormat.table,
) -> None:
    """Create a token for a program; it is printed once and never again."""
    from clearground.services.accounts import create_token

    st = _state(ctx)
    owner = user or st.settings.author
    token, secret = create_token(st.store(), name, user=owner, actor=st.settings.author)
    if format_ is OutputFormat.json:
        echo_json({**token.as_dict(), "token": secret})
        return
    typer.echo(secret)
    typer.echo(
        f"token {token.id} ({token.name}) for user {token.user}: send it as "
        "'Authorization: Bearer TOKEN'. It is shown only now; keep it secret.",
        err=True,
    )


@tokens_app.command("list")
def tokens_list(ctx: typer.Context, format_: FormatOption = OutputFormat.table) -> None:
    """Every token (never the token itself): whose, made when and by whom, last used, revoked."""
    from clearground.services.accounts import list_tokens

    tokens = list_tokens(_state(ctx).store())
    if format_ is OutputFormat.json:
        echo_json([t.as_dict() for t in tokens])
        return
    from rich.table import Table

    table = Table("id", "name", "user", "created", "by", "last used", "revoked")
    for t in tokens:
        revoked = f"{t.revoked_at} by {t.revoked_by}" if t.revoked else ""
        add_row(table, t.id, t.name, t.user, t.created_at, t.created_by, t.last_used_at, revoked)
    console().print(table)


@tokens_app.command("revoke")
def tokens_revoke(
    ctx: typer.Context,
    token_id: Annotated[str, typer.Argument(metavar="ID", help="The token's id (tokens list).")],
) -> None:
    """Revoke a token for good (it is kept, marked revoked)."""
    from clearground.services.accounts import revoke_token

    st = _state(ctx)
    token, changed = revoke_token(st.store(), token_id, actor=st.settings.author)
    if changed:
        typer.echo(f"revoked token {token.id} ({token.name}) of user {token.user}")
    else:
        typer.echo(f"token {token.id} was revoked already, at {token.revoked_at}; unchanged")
