"""The command line: parse, call a service, render (tables for people, JSON for scripts).

Heavy modules (GDAL, pyproj, the store engines) are imported inside commands so that
``clearground --help`` stays fast. Errors are turned into messages and exit codes in one place,
``main()``: bad input exits 2, a stale version 3, not found 4, a database problem 5.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from clearground.domain.errors import CleargroundError, ImportRejected

__all__ = ["app", "main", "run"]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    help="clearground: information management for humanitarian mine action.",
)
import_app = typer.Typer(no_args_is_help=True, help="Import files into the database.")
hazards_app = typer.Typer(no_args_is_help=True, help="List hazard areas.")
hazard_app = typer.Typer(no_args_is_help=True, help="Show or edit one hazard area.")
eo_app = typer.Typer(no_args_is_help=True, help="Explosive ordnance items and spot reports.")
accidents_app = typer.Typer(no_args_is_help=True, help="Accidents involving explosive ordnance.")
review_app = typer.Typer(no_args_is_help=True, help="Review field submissions.")
locations_app = typer.Typer(no_args_is_help=True, help="Administrative areas (P-codes).")
minefields_app = typer.Typer(
    no_args_is_help=True, help="Minefield records handed over by armed forces."
)
app.add_typer(import_app, name="import")
app.add_typer(hazards_app, name="hazards")
app.add_typer(hazard_app, name="hazard")
app.add_typer(eo_app, name="eo")
app.add_typer(accidents_app, name="accidents")
app.add_typer(minefields_app, name="minefields")
app.add_typer(review_app, name="review")
app.add_typer(locations_app, name="locations")


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


@dataclass
class State:
    config: str | None
    db: str | None
    _settings: Any = None

    @property
    def settings(self):
        if self._settings is None:
            from clearground.config import load_settings

            self._settings = load_settings(self.config, db=self.db)
        return self._settings

    _store: Any = None

    def store(self):
        """The database, opened once per command and closed when the command ends."""
        if self._store is None:
            from clearground.store import open_store

            self._store = open_store(self.settings.db)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def _state(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=200 if not stderr else None)


def _row(table, *values: Any) -> None:
    """Add a table row of record text shown literally: control characters escaped, no rich
    markup interpreted (clearground.printable)."""
    from clearground.printable import cell

    table.add_row(*(cell(v) for v in values))


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=(
                "Database URL, or a path ending .db "
                "(default sqlite:///clearground.db; also CLEARGROUND_DB)."
            ),
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", help="TOML settings file (also CLEARGROUND_CONFIG)."),
    ] = None,
) -> None:
    ctx.obj = State(config=config, db=db)
    ctx.call_on_close(ctx.obj.close)


@app.command()
def init(ctx: typer.Context) -> None:
    """Create an empty database (or bring an existing one up to date)."""
    from clearground.store import strip_password

    store = _state(ctx).store()
    applied = store.migrate()
    url = strip_password(store.url)
    typer.echo(
        f"{url}: schema version {store.schema_version()}"
        + (f" (applied {', '.join(map(str, applied))})" if applied else " (already up to date)")
    )


@app.command()
def migrate(ctx: typer.Context) -> None:
    """Apply numbered schema migrations not yet applied."""
    init(ctx)


@app.command()
def demo(
    ctx: typer.Context,
    n: Annotated[int, typer.Option("--hazards", min=1, help="How many synthetic hazards.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic data.")] = 1,
) -> None:
    """Build a database of SYNTHETIC hazard areas with some land release, and summarise it."""
    from clearground.demo import build_demo

    state = _state(ctx)
    store = state.store()
    store.migrate()
    summary = build_demo(store, state.settings, n=n, seed=seed)
    from rich.table import Table

    console = _console()
    from clearground.store import strip_password

    url = strip_password(store.url)
    console.print(f"[bold]{summary['label']}[/bold]  ({url})")
    table = Table(
        "hazards",
        "active",
        "in_progress",
        "closed",
        "area m²",
        "cancelled m²",
        "reduced m²",
        "cleared m²",
        "remaining m²",
        "activities",
    )
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
    console.print(table)
    console.print("Try: clearground --db " + url + " hazards list --format table")


def _progress_reporter(state: State):
    """A rich progress bar on stderr for big imports, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress

    bar = Progress(console=_console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if total <= state.settings.progress_threshold:
            return
        if not bar.live.is_started:
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return report, bar


def _import(ctx: typer.Context, run, file: str, *, output: OutputFormat, map_, **options) -> None:
    """Run an import service with what every import shares (author, region, --map); report."""
    from clearground.services.common import parse_map

    state = _state(ctx)
    result = run(
        state.store(),
        file,
        author=state.settings.author,
        mapping=parse_map(map_),
        region=state.settings.operating_region,
        **options,
    )
    _report(result, output)


def _report(result, output: OutputFormat) -> None:
    data = result.as_dict()
    if output is OutputFormat.json:
        _echo_json(data)
        return
    from clearground.printable import printable

    verb = "would import" if result.dry_run else "imported"
    typer.echo(printable(f"{result.source}: {verb} {result.count} {result.kind} record(s)"))
    for line in result.repaired + result.notes:
        typer.echo(f"  {printable(line)}")


MapOption = Annotated[
    list[str] | None,
    typer.Option("--map", help="Read FIELD from file column COLUMN: --map name=NAME_EN (repeat)."),
]
LayerOption = Annotated[str | None, typer.Option("--layer", help="Layer to read.")]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")]
RepairOption = Annotated[
    bool, typer.Option("--repair", help="Repair invalid polygons (each repair is reported).")
]
FormatInOption = Annotated[
    str | None, typer.Option("--format", help="File format, if not given by the file ending.")
]
OutputOption = Annotated[OutputFormat, typer.Option("--output", "-o", help="Report format.")]
SubmissionOption = Annotated[
    bool,
    typer.Option(
        "--as-submission",
        help="Queue each feature for review (clearground review) instead of importing it.",
    ),
]


@import_app.command("hazards")
def import_hazards_cmd(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="Hazard polygons: .geojson, .gpkg, .shp.zip, .kml/.kmz, .fgb, .csv, .xlsx, "
            ".gdb.zip (--format overrides the ending)."
        ),
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    repair: RepairOption = False,
    format_name: FormatInOption = None,
    crs: Annotated[
        str | None,
        typer.Option(
            "--crs",
            help="Coordinate system of the file's coordinates when it does not say (a Shapefile "
            "without .prj, projected WKT in a CSV), or to override a wrong one: EPSG:32636.",
        ),
    ] = None,
    as_submission: SubmissionOption = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import hazard areas: every feature or none (any CRS, reprojected to EPSG:4326)."""
    from clearground.services.common import parse_map
    from clearground.services.hazards import import_hazards

    state = _state(ctx)
    progress, bar = _progress_reporter(state)
    try:
        result = import_hazards(
            state.store(),
            file,
            author=state.settings.author,
            layer=layer,
            mapping=parse_map(map_),
            repair=repair,
            dry_run=dry_run,
            region=state.settings.operating_region,
            format_name=format_name,
            crs=crs,
            progress=progress,
            as_submission=as_submission,
        )
    finally:
        if bar is not None:
            bar.stop()
    _report(result, output)


@import_app.command("activities")
def import_activities_cmd(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(
            help="Polygons with hazard_id, kind (nts|ts|clearance), date, organisation."
        ),
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    repair: RepairOption = False,
    format_name: FormatInOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Record land release activities: NTS cancels, TS reduces, clearance clears; all or none."""
    from clearground.services.activities import import_activities

    _import(
        ctx,
        import_activities,
        file,
        output=output,
        layer=layer,
        map_=map_,
        repair=repair,
        dry_run=dry_run,
        format_name=format_name,
    )


@import_app.command("eo")
def import_eo_cmd(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="Points with category (mine_ap, uxo, ...) and date (ISO 8601).")
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    format_name: FormatInOption = None,
    as_submission: SubmissionOption = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import EO items: linked to the hazard they lie in; an item in a closed hazard reopens it."""
    from clearground.services.evidence import import_eo

    _import(
        ctx,
        import_eo,
        file,
        output=output,
        layer=layer,
        map_=map_,
        dry_run=dry_run,
        format_name=format_name,
        as_submission=as_submission,
    )


@import_app.command("accidents")
def import_accidents_cmd(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Accident points with date (ISO 8601).")],
    victims: Annotated[
        str | None,
        typer.Option(
            "--victims",
            help="File of victims: accident_id (the accidents' id column), sex, age_group, "
            "victim_type, outcome; name, contact and notes are kept apart as personal data.",
        ),
    ] = None,
    victims_layer: Annotated[
        str | None, typer.Option("--victims-layer", help="Layer of the victims file.")
    ] = None,
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    format_name: FormatInOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import accidents (and victims): one inside a closed hazard reopens it."""
    from clearground.services.accidents import import_accidents

    _import(
        ctx,
        import_accidents,
        file,
        output=output,
        layer=layer,
        map_=map_,
        victims=victims,
        victims_layer=victims_layer,
        dry_run=dry_run,
        format_name=format_name,
    )


@import_app.command("odk")
def import_odk_cmd(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="Submission export of ODK Central or KoboToolbox: CSV or JSON.")
    ],
    form: Annotated[
        str,
        typer.Option(
            "--form", help="The shipped form: nts, eo_spot_report, accident_report, eore_session."
        ),
    ],
    repeat: Annotated[
        list[str] | None,
        typer.Option(
            "--repeat",
            help="Rows of a repeat group in a file of their own: --repeat victim=FILE "
            "(default: FILE-victim.csv beside a CSV, or the arrays inside JSON).",
        ),
    ] = None,
    dry_run: DryRunOption = False,
    repair: RepairOption = False,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Queue ODK/Kobo submissions for review (clearground review): every one or none."""
    from clearground.services.odk import import_odk, parse_repeats

    state = _state(ctx)
    result = import_odk(
        state.store(),
        file,
        form=form,
        author=state.settings.author,
        repeat_files=parse_repeats(repeat),
        dry_run=dry_run,
        repair=repair,
        region=state.settings.operating_region,
    )
    _report(result, output)


@import_app.command("minefields")
def import_minefields_cmd(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(help="Perimeters with devices (TYPE: COUNT; ...), dates and claims."),
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    repair: RepairOption = False,
    format_name: FormatInOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import minefield records: each creates a CHA; claimed deactivation never releases land."""
    from clearground.services.minefields import import_minefields

    _import(
        ctx,
        import_minefields,
        file,
        output=output,
        layer=layer,
        map_=map_,
        repair=repair,
        dry_run=dry_run,
        format_name=format_name,
    )


@import_app.command("qc")
def import_qc_cmd(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(help="Sampled polygons with activity_id, date, organisation, result."),
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    format_name: FormatInOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import QC samples of released land: a failed one returns the land it covers."""
    from clearground.services.quality import import_qc

    _import(
        ctx,
        import_qc,
        file,
        output=output,
        layer=layer,
        map_=map_,
        dry_run=dry_run,
        format_name=format_name,
    )


@import_app.command("locations")
def import_locations_cmd(
    ctx: typer.Context,
    file: Annotated[
        str, typer.Argument(help="Admin areas: COD-AB (ADMn_PCODE, ADMn_EN) or pcode, name, ...")
    ],
    layer: LayerOption = None,
    map_: MapOption = None,
    dry_run: DryRunOption = False,
    repair: RepairOption = False,
    format_name: FormatInOption = None,
    output: OutputOption = OutputFormat.table,
) -> None:
    """Import administrative areas with P-codes (one level per layer); later records get them."""
    from clearground.services.locations import import_locations

    _import(
        ctx,
        import_locations,
        file,
        output=output,
        layer=layer,
        map_=map_,
        repair=repair,
        dry_run=dry_run,
        format_name=format_name,
    )


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help="Read the database as it was then (ISO 8601; UTC if no zone)."),
]

_TABLE_COLUMNS = ("id", "name", "classification", "status", "area_m2", "remaining_m2", "version")


def _hazard_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table

    table = Table(*_TABLE_COLUMNS, "released (c/r/c) m²")
    for r in rows:
        rel = r["released_m2"]
        _row(
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
    _console().print(table)


@hazards_app.command("list")
def hazards_list(
    ctx: typer.Context, format_: FormatOption = OutputFormat.json, as_of: AsOfOption = None
) -> None:
    """List hazard areas (a JSON array, or a table)."""
    from clearground.services.hazards import hazard_json, list_hazards
    from clearground.store.base import parse_as_of

    rows = [hazard_json(v) for v in list_hazards(_state(ctx).store(), as_of=parse_as_of(as_of))]
    if format_ is OutputFormat.json:
        _echo_json(rows)
    else:
        _hazard_table(rows)


@hazard_app.command("show")
def hazard_show(
    ctx: typer.Context,
    hazard_id: Annotated[str, typer.Argument(metavar="ID")],
    format_: FormatOption = OutputFormat.json,
    as_of: AsOfOption = None,
) -> None:
    """Show one hazard area."""
    from clearground.services.hazards import hazard_json, show
    from clearground.store.base import parse_as_of

    row = hazard_json(show(_state(ctx).store(), hazard_id, as_of=parse_as_of(as_of)))
    if format_ is OutputFormat.json:
        _echo_json(row)
    else:
        _hazard_table([row])


@hazard_app.command("edit")
def hazard_edit(
    ctx: typer.Context,
    hazard_id: Annotated[str, typer.Argument(metavar="ID")],
    set_: Annotated[list[str], typer.Option("--set", help="FIELD=VALUE to change (repeat).")],
    reason: Annotated[str, typer.Option("--reason", help="Why: kept in the history.")],
    version: Annotated[
        int, typer.Option("--version", help="The version you read: a newer one is a conflict.")
    ],
    format_: FormatOption = OutputFormat.json,
) -> None:
    """Edit attributes of a hazard. Status and areas change only through land release."""
    from clearground.domain.errors import BadInput
    from clearground.services.hazards import edit, hazard_json

    changes: dict[str, str] = {}
    for pair in set_:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadInput(f"--set {pair!r}: write it as FIELD=VALUE")
        changes[key.strip()] = value
    state = _state(ctx)
    v = edit(
        state.store(),
        hazard_id,
        changes,
        reason=reason,
        version=version,
        author=state.settings.author,
    )
    row = hazard_json(v)
    if format_ is OutputFormat.json:
        _echo_json(row)
    else:
        _hazard_table([row])


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
    from clearground.services.evidence import eo_json
    from clearground.store.base import parse_as_of

    rows = [eo_json(v) for v in _state(ctx).store().list("eo", as_of=parse_as_of(as_of))]
    if outside:
        rows = [r for r in rows if r["flag"]]
    if format_ is OutputFormat.json:
        _echo_json(rows)
        return
    from rich.table import Table

    table = Table("id", "category", "eo_type", "quantity", "date", "hazard_id", "flag")
    for r in rows:
        _row(
            table,
            r["id"],
            r["category"],
            r["eo_type"],
            str(r["quantity"]),
            r["date"],
            r["hazard_id"],
            r["flag"] or "",
        )
    _console().print(table)


@eo_app.command("show")
def eo_show(
    ctx: typer.Context,
    eo_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: AsOfOption = None,
) -> None:
    """Show one EO item as JSON."""
    from clearground.domain.errors import NotFound
    from clearground.services.evidence import eo_json
    from clearground.store.base import parse_as_of

    v = _state(ctx).store().get("eo", eo_id, as_of=parse_as_of(as_of))
    if v is None:
        raise NotFound(f"EO item {eo_id} not found")
    _echo_json(eo_json(v))


@accidents_app.command("list")
def accidents_list(ctx: typer.Context, as_of: AsOfOption = None) -> None:
    """List accidents as JSON, without any personal data."""
    from clearground.services.accidents import accident_json
    from clearground.store.base import parse_as_of

    store = _state(ctx).store()
    _echo_json([accident_json(v) for v in store.list("accident", as_of=parse_as_of(as_of))])


@accidents_app.command("show")
def accident_show(
    ctx: typer.Context,
    accident_id: Annotated[str, typer.Argument(metavar="ID")],
    personal: Annotated[
        bool,
        typer.Option("--personal", help="Add victims' names and contacts (victim_data only)."),
    ] = False,
) -> None:
    """Show one accident as JSON; victims' personal data only with --personal and permission."""
    from clearground.domain.errors import NotFound
    from clearground.services.accidents import accident_json, victims_personal_data

    state = _state(ctx)
    store = state.store()
    v = store.get("accident", accident_id)
    if v is None:
        raise NotFound(f"accident {accident_id} not found")
    row = accident_json(v)
    if personal:
        row["personal_data"] = victims_personal_data(
            store, accident_id, permissions=state.settings.permissions
        )
    _echo_json(row)


@hazard_app.command("handover")
def hazard_handover(
    ctx: typer.Context,
    hazard_id: Annotated[str, typer.Argument(metavar="ID")],
    date_: Annotated[str, typer.Option("--date", help="Date of the handover (ISO 8601).")],
    recipient: Annotated[
        str, typer.Option("--recipient", help="Who received the land (community, owner, ...).")
    ],
    version: Annotated[
        int, typer.Option("--version", help="The version you read: a newer one is a conflict.")
    ],
    reason: Annotated[str, typer.Option("--reason", help="Kept in the history.")] = "",
) -> None:
    """Record the formal handover of a closed hazard's released land (closed -> handed_over)."""
    from clearground.services.hazards import handover, hazard_json

    state = _state(ctx)
    v = handover(
        state.store(),
        hazard_id,
        when=date_,
        recipient=recipient,
        reason=reason,
        version=version,
        author=state.settings.author,
    )
    _echo_json(hazard_json(v))


@minefields_app.command("list")
def minefields_list(ctx: typer.Context) -> None:
    """List minefield records as JSON, with the status of the hazard each documents."""
    from clearground.services.minefields import minefield_json

    store = _state(ctx).store()
    hazards = {v.id: v for v in store.list("hazard")}
    _echo_json(
        [minefield_json(v, hazards.get(v.record.hazard_id)) for v in store.list("minefield")]
    )


@minefields_app.command("overdue")
def minefields_overdue(ctx: typer.Context) -> None:
    """Records whose claimed deactivation date has passed while their hazard is still open."""
    from clearground.services.minefields import overdue

    _echo_json(overdue(_state(ctx).store()))


@review_app.command("list")
def review_list(
    ctx: typer.Context,
    status: Annotated[
        str | None, typer.Option("--status", help="pending, approved or rejected.")
    ] = "pending",
) -> None:
    """List submissions (pending ones by default) as JSON."""
    from clearground.services.review import submission_json, submissions

    store = _state(ctx).store()
    _echo_json([submission_json(store, v) for v in submissions(store, status or None)])


@review_app.command("show")
def review_show(ctx: typer.Context, sub_id: Annotated[str, typer.Argument(metavar="ID")]) -> None:
    """One submission, with the records it may duplicate side by side."""
    from clearground.domain.errors import NotFound
    from clearground.services.review import submission_json

    store = _state(ctx).store()
    v = store.get("submission", sub_id)
    if v is None:
        raise NotFound(f"submission {sub_id} not found")
    _echo_json(submission_json(store, v, side_by_side=True))


@review_app.command("approve")
def review_approve(
    ctx: typer.Context,
    sub_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Kept in the history.")] = "",
) -> None:
    """Approve a submission: its record enters the database, citing the submission."""
    from clearground.services.review import approve, submission_json

    state = _state(ctx)
    store = state.store()
    _echo_json(
        submission_json(store, approve(store, sub_id, author=state.settings.author, reason=reason))
    )


@review_app.command("reject")
def review_reject(
    ctx: typer.Context,
    sub_id: Annotated[str, typer.Argument(metavar="ID")],
    reason: Annotated[str, typer.Option("--reason", help="Why: required, and kept.")],
) -> None:
    """Reject a submission with a reason; it is kept, and nothing enters the database."""
    from clearground.services.review import reject, submission_json

    state = _state(ctx)
    store = state.store()
    _echo_json(
        submission_json(store, reject(store, sub_id, author=state.settings.author, reason=reason))
    )


@locations_app.command("list")
def locations_list(ctx: typer.Context) -> None:
    """List administrative areas: P-code, name, level and parent, as JSON."""
    store = _state(ctx).store()
    _echo_json(
        [
            {"pcode": a.id, "name": a.name, "level": a.level, "parent": a.parent}
            for a in (v.record for v in store.list("location"))
        ]
    )


@app.command()
def history(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    format_: FormatOption = OutputFormat.json,
) -> None:
    """Every version of a record, with author, time and reason (hazards and activities)."""
    from clearground.services.hazards import hazard_json
    from clearground.services.hazards import history as read_history

    store = _state(ctx).store()
    versions = read_history(store, record_id)
    rows = []
    for v in versions:
        row = {
            "id": v.id,
            "version": v.version,
            "valid_from": v.valid_from,
            "author": v.author,
            "reason": v.reason,
            "deleted": v.deleted,
        }
        if v.kind == "hazard" and v.record is not None:
            h = hazard_json(v)
            row.update(
                status=h["status"],
                area_m2=h["area_m2"],
                released_m2=h["released_m2"],
                remaining_m2=h["remaining_m2"],
                name=h["name"],
            )
        rows.append(row)
    if format_ is OutputFormat.json:
        _echo_json(rows)
        return
    from rich.table import Table

    table = Table("version", "valid_from", "author", "reason", "status")
    for r in rows:
        _row(
            table,
            str(r["version"]),
            r["valid_from"],
            r["author"],
            r["reason"],
            r.get("status", "deleted" if r["deleted"] else ""),
        )
    _console().print(table)


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
    result = run_check(_state(ctx).store(), query, buffer_m=buffer, as_of=parse_as_of(as_of))
    if format_ is OutputFormat.json:
        _echo_json(result)
        return
    from rich.table import Table

    console = _console()
    if result["hazards"]:
        table = Table("id", "name", "status", "classification", "distance m")
        for h in result["hazards"]:
            _row(
                table,
                h["id"],
                h["name"],
                h["status"],
                h["classification"],
                f"{h['distance_m']:,.1f}",
            )
        console.print(table)
    from clearground.printable import cell

    console.print(cell(result["message"]))


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
            "minefield, qc, organisation, task, eore, qa, location.",
        ),
    ] = "hazard",
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

    store = _state(ctx).store()
    options = {"as_of": parse_as_of(as_of), "format_name": format_name, "hxl": hxl}
    if kind == "hazard":
        from clearground.services.hazards import export as run_export

        n = run_export(store, file, **options)
        typer.echo(f"{file}: wrote {n} hazard area(s)")
        return
    from clearground.services.export import export_records

    n = export_records(store, kind, file, **options)
    typer.echo(f"{file}: wrote {n} {kind} record(s)")


@app.command()
def show(
    ctx: typer.Context,
    record_id: Annotated[str, typer.Argument(metavar="ID")],
    as_of: AsOfOption = None,
) -> None:
    """Any record by its id, as JSON (victims' personal data only through accidents show)."""
    from clearground.services.export import find, json_of
    from clearground.store.base import parse_as_of

    v = find(_state(ctx).store(), record_id, as_of=parse_as_of(as_of))
    _echo_json({"record_kind": v.kind, **json_of(v.kind)(v)})


@app.command()
def dump(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="The GeoPackage to write (FILE.gpkg).")],
) -> None:
    """Write the whole database, every version and event, to a GeoPackage (QGIS opens it)."""
    from clearground.services.dump import dump as run_dump

    counts = run_dump(_state(ctx).store(), file)
    typer.echo(f"{file}: " + ", ".join(f"{n} {k}" for k, n in counts.items()))


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="A GeoPackage written by clearground dump.")],
) -> None:
    """Fill a new, empty database (schema created) from a dump; refuses a non-empty one."""
    from clearground.services.dump import restore as run_restore

    counts = run_restore(_state(ctx).store(), file)
    typer.echo(f"{file}: restored " + ", ".join(f"{n} {k}" for k, n in counts.items()))


_OPERATIONS = (
    (
        "organisations",
        "organisation",
        "Organisations: name, kind (operator, authority, ...), accreditation_from/_to.",
    ),
    (
        "tasks",
        "task",
        "Tasks: hazard_id, organisation_id, kind (nts, ts, clearance), issued, start, end, status.",
    ),
    (
        "eore",
        "eore",
        "Risk education sessions (points or areas): date, organisation_id, girls, boys, "
        "women, men.",
    ),
    (
        "qa",
        "qa",
        "QA visits: date, activity_id, inspecting_organisation, nonconformities "
        "(SEVERITY: TYPE; ...), measures.",
    ),
)


def _add_operations() -> None:
    """``import X`` and ``X list`` for each kind of operational record."""
    for command, kind, text in _OPERATIONS:

        def import_cmd(
            ctx: typer.Context,
            file: Annotated[str, typer.Argument(help="The file to import.")],
            layer: LayerOption = None,
            map_: MapOption = None,
            dry_run: DryRunOption = False,
            format_name: FormatInOption = None,
            output: OutputOption = OutputFormat.table,
            _kind: str = typer.Option(kind, hidden=True),
        ) -> None:
            from clearground.services.operations import import_records

            def run(store, path, **options):
                return import_records(store, _kind, path, **options)

            _import(
                ctx,
                run,
                file,
                output=output,
                map_=map_,
                layer=layer,
                dry_run=dry_run,
                format_name=format_name,
            )

        import_cmd.__doc__ = f"Import {text} Every row or none."
        import_app.command(command)(import_cmd)

        group = typer.Typer(no_args_is_help=True, help=text.split(":")[0] + ".")

        def list_cmd(ctx: typer.Context, _kind: str = typer.Option(kind, hidden=True)) -> None:
            from clearground.services.operations import record_json

            _echo_json([record_json(v) for v in _state(ctx).store().list(_kind)])

        list_cmd.__doc__ = f"List {command} as JSON."
        group.command("list")(list_cmd)
        app.add_typer(group, name=command)


_add_operations()


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code. Every clearground error is reported here, once."""
    try:
        app(args=argv, prog_name="clearground")
    except SystemExit as exc:  # typer's own ending: help, usage errors (2), success
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ImportRejected as exc:
        typer.echo(exc.message, err=True)
        return exc.exit_code
    except CleargroundError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        return exc.exit_code
    return 0


def run() -> None:
    sys.exit(main())
