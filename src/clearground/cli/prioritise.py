"""Prioritisation: ``prioritise --config FILE``, ``prioritise list``, ``prioritise show RUN``.

(``export --kind priority --run RUN FILE`` is in ``cli.data``.) The ranking says where survey
and clearance would do most good; no output says that land is without hazard.
"""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import (
    FormatOption,
    OutputFormat,
    add_row,
    app,
    console,
    echo_json,
    reader,
    state,
)

prioritise_app = typer.Typer(
    invoke_without_command=True,
    help="Rank open hazards by where survey and clearance would do most good "
    "(--config prioritise.toml runs it; list and show read stored runs).",
)
app.add_typer(prioritise_app, name="prioritise")

_SHORT = {
    "population_inside": "pop in",
    "population_1km": "pop 1km",
    "population_5km": "pop 5km",
    "cropland_m2": "crop m²",
    "built_up_m2": "built m²",
    "points_inside": "pts in",
    "points_1km": "pts 1km",
    "roads_inside_m": "road in m",
    "road_nearest_m": "road near m",
    "accidents_2km": "acc 2km",
    "finds_2km": "finds 2km",
}


@prioritise_app.callback()
def prioritise(
    ctx: typer.Context,
    config: Annotated[
        str | None,
        typer.Option("--config", help="The prioritisation TOML (inputs, land cover, weights)."),
    ] = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows to print after the run.")] = 10,
) -> None:
    """Compute and store a prioritisation run from a TOML file (prioritise --config FILE)."""
    if ctx.invoked_subcommand is not None:
        if config is not None:
            raise typer.BadParameter("--config runs a prioritisation; it takes no subcommand")
        return
    if config is None:
        typer.echo(ctx.get_help())
        raise typer.Exit(2)
    from clearground.services.prioritise import prioritise as run_prioritise

    st = state(ctx)
    run = run_prioritise(st.store(), config, author=st.settings.author)
    typer.echo(
        f"{run.id}: ranked {run.hazard_count} open hazard(s) as of {run.run_date} "
        f"(stored; show it with: clearground prioritise show {run.id})"
    )
    for note in run.notes:
        typer.echo(f"note: {note}")
    _table(run.hazards[:top])


def _table(rows: list[dict]) -> None:
    from rich.table import Table

    from clearground.domain.priority import FACTORS
    from clearground.services.prioritise import MEANING

    table = Table("rank", "hazard_id", "score", *(_SHORT[f] for f in FACTORS))
    for r in rows:
        values = [
            "" if r["factors"][f] is None else f"{r['factors'][f]:,.1f}".removesuffix(".0")
            for f in FACTORS
        ]
        add_row(table, str(r["rank"]), r["hazard_id"], f"{r['score']:.4f}", *values)
    out = console()
    out.print(table)
    out.print(MEANING, markup=False)


@prioritise_app.command("list")
def prioritise_list(ctx: typer.Context, format_: FormatOption = OutputFormat.json) -> None:
    """List stored prioritisation runs, oldest first."""
    from clearground.services.prioritise import runs

    rows = [
        {
            "id": v.id,
            "time": v.record.time,
            "run_date": v.record.run_date,
            "hazard_count": v.record.hazard_count,
            "configuration": v.record.configuration.get("file"),
            "first": v.record.hazards[0]["hazard_id"] if v.record.hazards else None,
            "author": v.author,
        }
        for v in runs(state(ctx).store())
    ]
    if format_ is OutputFormat.json:
        echo_json(rows)
        return
    from rich.table import Table

    table = Table("id", "time", "run_date", "hazards", "configuration", "first", "author")
    for r in rows:
        add_row(table, *(str(x) for x in r.values()))
    console().print(table)


@prioritise_app.command("show")
def prioritise_show(
    ctx: typer.Context,
    run: Annotated[str, typer.Argument(metavar="RUN", help="A run id, or latest.")],
    top: Annotated[
        int | None, typer.Option("--top", min=1, help="Only the first N hazards.")
    ] = None,
    format_: FormatOption = OutputFormat.json,
) -> None:
    """Show one run: its inputs (checksums), configuration, code version, hazards in rank order."""
    from clearground.services.prioritise import find_run
    from clearground.services.projections import priority_run_json

    data = priority_run_json(find_run(state(ctx).store(), run), reader(ctx), top)
    if format_ is OutputFormat.json:
        echo_json(data)
        return
    r = data["run"]
    typer.echo(
        f"{r['id']}  time {r['time']}  run date {r['run_date']}  "
        f"{r['hazard_count']} hazard(s) ranked  clearground {r['code_version']['clearground']}"
    )
    for note in r["notes"]:
        typer.echo(f"note: {note}")
    _table(data["hazards"])
