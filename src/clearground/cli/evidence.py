"""Evidence and other records: ``eo``, ``accidents``, ``minefields``, ``locations`` and the
operational records' ``list`` commands."""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import (
    AsOfOption,
    FormatOption,
    IdArgument,
    OutputFormat,
    accidents_app,
    add_row,
    app,
    console,
    echo_json,
    eo_app,
    locations_app,
    minefields_app,
    reader,
    state,
)


@eo_app.command("list")
def eo_list(
    ctx: typer.Context,
    format_: FormatOption = OutputFormat.json,
    as_of: AsOfOption = None,
    outside: Annotated[
        bool, typer.Option("--outside", help="Only evidence outside recorded hazards.")
    ] = False,
) -> None:
    """List EO items (a JSON array, or a table)."""
    from clearground.services.projections import eo_json
    from clearground.services.read import records
    from clearground.store.base import parse_as_of

    who = reader(ctx)
    versions = records(state(ctx).store(), "eo", as_of=parse_as_of(as_of))
    rows = [eo_json(v, who) for v in versions]
    if outside:
        rows = [r for r in rows if r["flag"]]
    if format_ is OutputFormat.json:
        echo_json(rows)
        return
    from rich.table import Table

    table = Table("id", "category", "eo_type", "quantity", "date", "hazard_id", "flag")
    for r in rows:
        add_row(
            table,
            r["id"],
            r["category"],
            r["eo_type"],
            str(r["quantity"]),
            r["date"],
            r["hazard_id"],
            r["flag"] or "",
        )
    console().print(table)


@eo_app.command("show")
def eo_show(ctx: typer.Context, eo_id: IdArgument, as_of: AsOfOption = None) -> None:
    """Show one EO item as JSON."""
    from clearground.services.projections import eo_json
    from clearground.services.read import record
    from clearground.store.base import parse_as_of

    v = record(state(ctx).store(), "eo", eo_id, as_of=parse_as_of(as_of))
    echo_json(eo_json(v, reader(ctx)))


@accidents_app.command("list")
def accidents_list(ctx: typer.Context, as_of: AsOfOption = None) -> None:
    """List accidents as JSON, without any personal data."""
    from clearground.services.projections import accident_json
    from clearground.services.read import records
    from clearground.store.base import parse_as_of

    versions = records(state(ctx).store(), "accident", as_of=parse_as_of(as_of))
    who = reader(ctx)
    echo_json([accident_json(v, who) for v in versions])


@accidents_app.command("show")
def accident_show(
    ctx: typer.Context,
    accident_id: IdArgument,
    personal: Annotated[
        bool,
        typer.Option("--personal", help="Add victims' names and contacts (victim_data only)."),
    ] = False,
) -> None:
    """Show one accident as JSON; victims' personal data only with --personal and permission."""
    from clearground.services.projections import accident_json, victims_personal_data
    from clearground.services.read import record

    store, who = state(ctx).store(), reader(ctx)
    row = accident_json(record(store, "accident", accident_id), who)
    if personal:
        row["personal_data"] = victims_personal_data(store, accident_id, who)
    echo_json(row)


@minefields_app.command("list")
def minefields_list(ctx: typer.Context) -> None:
    """List minefield records as JSON, with the status of the hazard each documents."""
    from clearground.services.projections import minefield_json
    from clearground.services.read import minefields_with_hazards

    who = reader(ctx)
    pairs = minefields_with_hazards(state(ctx).store())
    echo_json([minefield_json(v, who, h) for v, h in pairs])


@minefields_app.command("overdue")
def minefields_overdue(ctx: typer.Context) -> None:
    """Records whose claimed deactivation date has passed while their hazard is still open."""
    from clearground.services.minefields import overdue

    echo_json(overdue(state(ctx).store()))


@locations_app.command("list")
def locations_list(ctx: typer.Context) -> None:
    """List administrative areas: P-code, name, level and parent, as JSON."""
    from clearground.services.projections import location_json
    from clearground.services.read import records

    who = reader(ctx)
    echo_json([location_json(v, who) for v in records(state(ctx).store(), "location")])


#: ``clearground NAME list`` for the operational records: (command, kind, group help).
OPERATIONS = (
    ("organisations", "organisation", "Organisations."),
    ("tasks", "task", "Tasks."),
    ("eore", "eore", "Risk education sessions (points or areas)."),
    ("qa", "qa", "QA visits."),
)


def _list_command(command: str, kind: str):
    def list_cmd(ctx: typer.Context) -> None:
        from clearground.services.projections import json_of
        from clearground.services.read import records

        who, to_json = reader(ctx), json_of(kind)
        echo_json([to_json(v, who) for v in records(state(ctx).store(), kind)])

    list_cmd.__doc__ = f"List {command} as JSON."
    return list_cmd


for _command, _kind, _text in OPERATIONS:
    _group = typer.Typer(no_args_is_help=True, help=_text)
    _group.command("list")(_list_command(_command, _kind))
    app.add_typer(_group, name=_command)
