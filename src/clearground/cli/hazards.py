"""Hazard areas and records by id: ``hazards list``, ``hazard show|edit|handover``, ``history``,
``show``."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from clearground.cli.common import (
    AsOfOption,
    FormatOption,
    IdArgument,
    OutputFormat,
    add_row,
    app,
    console,
    echo_json,
    hazard_app,
    hazards_app,
    reader,
    state,
)

_TABLE_COLUMNS = ("id", "name", "classification", "status", "area_m2", "remaining_m2", "version")

VersionOption = Annotated[
    int, typer.Option("--version", help="The version you read: a newer one is a conflict.")
]


def hazard_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(*_TABLE_COLUMNS, "released (c/r/c) m²")
    for r in rows:
        rel = r["released_m2"]
        add_row(
            table,
            r["id"],
            r["name"],
            r["classification"],
            r["status"],
            f"{r['area_m2']:,.0f}",
            f"{r['remaining_m2']:,.0f}",
            str(r["version"]),
            f"{rel['cancelled']:,.0f}/{rel['reduced']:,.0f}/{rel['cleared']:,.0f}",
        )
    console().print(table)


def _hazards_out(rows: list[dict[str, Any]], format_: OutputFormat, *, one: bool = False) -> None:
    if format_ is OutputFormat.json:
        echo_json(rows[0] if one else rows)
    else:
        hazard_table(rows)


@hazards_app.command("list")
def hazards_list(
    ctx: typer.Context, format_: FormatOption = OutputFormat.json, as_of: AsOfOption = None
) -> None:
    """List hazard areas (a JSON array, or a table)."""
    from clearground.services.hazard_records import list_hazards
    from clearground.services.projections import hazard_json
    from clearground.store.base import parse_as_of

    versions = list_hazards(state(ctx).store(), as_of=parse_as_of(as_of))
    who = reader(ctx)
    _hazards_out([hazard_json(v, who) for v in versions], format_)


@hazard_app.command("show")
def hazard_show(
    ctx: typer.Context,
    hazard_id: IdArgument,
    format_: FormatOption = OutputFormat.json,
    as_of: AsOfOption = None,
) -> None:
    """Show one hazard area."""
    from clearground.services.hazard_records import show
    from clearground.services.projections import hazard_json
    from clearground.store.base import parse_as_of

    v = show(state(ctx).store(), hazard_id, as_of=parse_as_of(as_of))
    _hazards_out([hazard_json(v, reader(ctx))], format_, one=True)


@hazard_app.command("edit")
def hazard_edit(
    ctx: typer.Context,
    hazard_id: IdArgument,
    set_: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE to change (repeat).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the history.")],
    version: VersionOption,
    format_: FormatOption = OutputFormat.json,
) -> None:
    """Edit attributes of a hazard. Status and areas change only through land release."""
    from clearground.services.hazard_records import edit, parse_changes
    from clearground.services.projections import hazard_json

    st = state(ctx)
    v = edit(
        st.store(),
        hazard_id,
        parse_changes(set_),
        reason=reason,
        version=version,
        author=st.settings.author,
    )
    _hazards_out([hazard_json(v, reader(ctx))], format_, one=True)


@hazard_app.command("handover")
def hazard_handover(
    ctx: typer.Context,
    hazard_id: IdArgument,
    date_: Annotated[str, typer.Option("--date", help="Date of the handover (ISO 8601).")],
    recipient: Annotated[
        str, typer.Option("--recipient", help="Who received the land (community, owner, ...).")
    ],
    version: VersionOption,
    reason: Annotated[str, typer.Option("--reason", help="Kept in the history.")] = "",
) -> None:
    """Record the formal handover of a closed hazard's released land (closed -> handed_over)."""
    from clearground.services.hazard_records import handover
    from clearground.services.projections import hazard_json

    st = state(ctx)
    v = handover(
        st.store(),
        hazard_id,
        when=date_,
        recipient=recipient,
        reason=reason,
        version=version,
        author=st.settings.author,
    )
    echo_json(hazard_json(v, reader(ctx)))


@app.command()
def history(ctx: typer.Context, record_id: IdArgument, format_: FormatOption = OutputFormat.json):
    """Every version of a record, with author, time and reason (hazards and activities)."""
    from clearground.services.hazard_records import history_rows

    rows = history_rows(state(ctx).store(), record_id, reader(ctx))
    if format_ is OutputFormat.json:
        echo_json(rows)
        return
    from rich.table import Table

    table = Table("version", "valid_from", "author", "reason", "status")
    for r in rows:
        add_row(
            table,
            str(r["version"]),
            r["valid_from"],
            r["author"],
            r["reason"],
            r.get("status", "deleted" if r["deleted"] else ""),
        )
    console().print(table)


@app.command()
def show(ctx: typer.Context, record_id: IdArgument, as_of: AsOfOption = None) -> None:
    """Any record by its id, as JSON (victims' personal data only through accidents show)."""
    from clearground.services.export import find
    from clearground.services.projections import json_of
    from clearground.store.base import parse_as_of

    v = find(state(ctx).store(), record_id, as_of=parse_as_of(as_of))
    echo_json({"record_kind": v.kind, **json_of(v.kind)(v, reader(ctx))})
