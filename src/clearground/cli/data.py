"""The database as a whole: ``init``, ``migrate``, ``demo``, ``export``, ``dump``, ``restore``."""

from __future__ import annotations

from typing import Annotated

import typer

from clearground.cli.common import AsOfOption, FormatInOption, app, console, reader, state


@app.command()
def init(ctx: typer.Context) -> None:
    """Create an empty database (or bring an existing one up to date)."""
    _migrate(ctx, create=True)


def _migrate(ctx: typer.Context, *, create: bool) -> None:
    from clearground.store import strip_password

    store = state(ctx).store(initialising=True)
    applied = store.migrate(create=create)
    url = strip_password(store.url)
    typer.echo(
        f"{url}: schema version {store.schema_version()}"
        + (f" (applied {', '.join(map(str, applied))})" if applied else " (already up to date)")
    )


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Apply numbered schema migrations not yet applied (`init` creates a new database)."""
    _migrate(ctx, create=False)


@app.command()
def demo(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--hazards", min=1, help="How many synthetic hazards.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
) -> None:
    """Build a database of SYNTHETIC hazard areas with some land release, and summarise it."""
    from rich.table import Table

    from clearground.demo import build_demo
    from clearground.store import strip_password

    st = state(ctx)
    store = st.store(initialising=True)
    store.migrate()
    summary = build_demo(store, st.settings, n=n, seed=seed)
    out = console()
    url = strip_password(store.url)
    out.print(f"[bold]{summary['label']}[/bold]  ({url})")
    columns = ("hazards", "active", "in_progress", "closed", "area m²", "cancelled m²")
    table = Table(*columns, "reduced m²", "cleared m²", "remaining m²", "activities")
    bs = summary["by_status"]
    rel = summary["released_m2"]
    table.add_row(
        str(summary["hazards"]),
        str(bs.get("active", 0)),
        str(bs.get("in_progress", 0)),
        str(bs.get("closed", 0)),
        f"{summary['area_m2']:,.0f}",
        f"{rel['cancelled']:,.0f}",
        f"{rel['reduced']:,.0f}",
        f"{rel['cleared']:,.0f}",
        f"{summary['remaining_m2']:,.0f}",
        str(summary["activities"]),
    )
    out.print(table)
    out.print("Try: clearground --db " + url + " hazards list --format table")


@app.command()
def export(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="Output file; its ending names the format: .geojson, .gpkg, .shp.zip, .kml, "
            ".kmz, .fgb, .csv, .xlsx, .gdb.zip."
        ),
    ],
    as_of: AsOfOption = None,
    format_name: FormatInOption = None,
    kind: Annotated[
        str,
        typer.Option(
            "--kind",
            help="What to export: hazard (default), activity, eo, accident (no personal data), "
            "minefield, qc, organisation, task, eore, qa, location, coverage, priority (one "
            "prioritisation run's ranked hazards: give --run).",
        ),
    ] = "hazard",
    run: Annotated[
        str | None,
        typer.Option("--run", help="With --kind priority: the run id, or latest."),
    ] = None,
    hxl: Annotated[
        bool,
        typer.Option(
            "--hxl/--no-hxl",
            help="CSV: write the HXL hashtag row under the header (default; GDAL and QGIS "
            "read it as one more row without geometry, --no-hxl leaves it out).",
        ),
    ] = True,
) -> None:
    """Write records to a file that GDAL and QGIS open (GeoJSON is RFC 7946)."""
    from clearground.store.base import parse_as_of

    store = state(ctx).store()
    options = {"as_of": parse_as_of(as_of), "format_name": format_name, "hxl": hxl}
    if kind == "priority" or run is not None:
        from clearground.services.prioritise_export import export_priority

        run_id, n = export_priority(store, run, file, kind=kind, **options)
        typer.echo(f"{file}: wrote {n} ranked hazard(s) of prioritisation run {run_id}")
        return
    if kind == "hazard":
        from clearground.services.hazard_records import export as run_export

        n = run_export(store, file, **options)
        typer.echo(f"{file}: wrote {n} hazard area(s)")
        return
    from clearground.services.export import export_records

    n = export_records(store, kind, file, **options)
    typer.echo(f"{file}: wrote {n} {kind} record(s)")


@app.command()
def dump(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The GeoPackage to write (FILE.gpkg).")],
    without_personal_data: Annotated[
        bool,
        typer.Option(
            "--without-personal-data",
            help="Leave victims' personal data out (needed without the victim_data permission).",
        ),
    ] = False,
) -> None:
    """Write the whole database, every version and event, to a GeoPackage (QGIS opens it)."""
    from clearground.services.dump import dump as run_dump

    counts = run_dump(
        state(ctx).store(), file, reader(ctx), without_personal_data=without_personal_data
    )
    said = (
        "without victims' personal data (--without-personal-data)"
        if without_personal_data
        else "including victims' personal data (victim_data permission)"
    )
    typer.echo(f"{file}: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + f"; {said}")


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A GeoPackage written by clearground dump.")],
) -> None:
    """Fill a new, empty database (schema created) from a dump; refuses a non-empty one."""
    from clearground.services.dump import personal_data_in
    from clearground.services.dump import restore as run_restore

    counts = run_restore(state(ctx).store(initialising=True), file)  # it inits, as demo does
    typer.echo(f"{file}: restored " + ", ".join(f"{n} {k}" for k, n in counts.items()))
    if not personal_data_in(file):
        typer.echo(f"{file}: victims' personal data was not in the dump (--without-personal-data)")
