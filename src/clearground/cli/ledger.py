"""``clearground imports list``: the import ledger, what was imported when, by whom, which ids."""

from __future__ import annotations

import typer

from clearground.cli.common import FormatOption, OutputFormat, add_row, console, echo_json, group
from clearground.cli.common import state as _state

imports_app = group("imports", "The import ledger: every import, its file's checksum and ids.")


@imports_app.command("list")
def imports_list(ctx: typer.Context, format_: FormatOption = OutputFormat.json) -> None:
    """Every committed import, oldest first: time, kind, file, author, how many ids and which."""
    from clearground.services.ledger import id_ranges, imports

    entries = imports(_state(ctx).store())
    if format_ is OutputFormat.json:
        echo_json([e.as_dict() for e in entries])
        return
    from rich.table import Table

    table = Table("at", "kind", "file", "layer", "author", "count", "ids", "sha256", "again")
    for e in entries:
        add_row(
            table,
            e.at,
            e.kind,
            e.source,
            e.layer,
            e.author,
            e.count,
            id_ranges(e.ids, most=3),
            e.checksum[:12],
            "yes" if e.again else "",
        )
    console().print(table)
