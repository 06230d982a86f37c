"""``clearground check``: does a route or place come near a recorded hazard?"""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import (
    AsOfOption,
    FormatOption,
    LayerOption,
    OutputFormat,
    add_row,
    app,
    console,
    echo_json,
    state,
)


@app.command()
def check(
    ctx: typer.Context,
    file: Annotated[
        str | None, typer.Argument(help="GPX track/route, or GeoJSON/GeoPackage line.")
    ] = None,
    point: Annotated[
        str | None, typer.Option("--point", help="A place instead of a route: LON,LAT.")
    ] = None,
    buffer: Annotated[
        float, typer.Option("--buffer", help="Distance in metres to look around the route.")
    ] = 200.0,
    layer: LayerOption = None,
    format_: FormatOption = OutputFormat.table,
    as_of: AsOfOption = None,
) -> None:
    """Which recorded hazards a route or place crosses or comes within BUFFER metres of."""
    from clearground.domain.errors import BadInput
    from clearground.services.check import check as run_check
    from clearground.services.check import parse_point, read_route
    from clearground.store.base import parse_as_of

    if (file is None) == (point is None):
        raise BadInput("give either a FILE (route or track) or --point LON,LAT")
    query = parse_point(point) if point is not None else read_route(file, layer=layer)
    st = state(ctx)
    result = run_check(
        st.store(),
        query,
        buffer_m=buffer,
        as_of=parse_as_of(as_of),
        region=st.settings.operating_region,
    )
    if format_ is OutputFormat.json:
        echo_json(result)
        return
    from rich.table import Table

    out = console()
    if result["hazards"]:
        table = Table("id", "name", "status", "classification", "distance m")
        for h in result["hazards"]:
            add_row(
                table,
                h["id"],
                h["name"],
                h["status"],
                h["classification"],
                f"{h['distance_m']:,.1f}",
            )
        out.print(table)
    from clearground.printable import cell

    out.print(cell(result["message"]))
