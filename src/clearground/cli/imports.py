"""``clearground import KIND FILE``: one table of import commands and one factory that makes them.

Every import shares its arguments (the file, ``--layer``, ``--map``, ``--dry-run``, ``--format``,
``--again``, ``--output``) and its run (author and operating region from the settings, the import
ledger of ``services.ledger``: content imported before is refused; the report); a row of
``IMPORTS`` names the service and the options of its own.
"""

from __future__ import annotations

import importlib
import inspect
from dataclasses import dataclass
from typing import Annotated, Any

import typer

from clearground.cli.common import (
    FormatInOption,
    LayerOption,
    OutputFormat,
    echo_json,
    import_app,
    progress_reporter,
    state,
)

__all__ = ["IMPORTS", "ImportCommand", "report"]


def _option(annotation: Any, default: Any = None) -> tuple[Any, Any]:
    return annotation, default


#: Every option an import command may take: name -> (annotation, default).
OPTIONS: dict[str, tuple[Any, Any]] = {
    "layer": _option(LayerOption),
    "map_": _option(
        Annotated[
            list[str] | None,
            typer.Option(
                "--map", help="Read FIELD from file column COLUMN: --map name=NAME_EN (repeat)."
            ),
        ]
    ),
    "dry_run": _option(
        Annotated[bool, typer.Option("--dry-run", help="Check everything, write nothing.")], False
    ),
    "repair": _option(
        Annotated[
            bool,
            typer.Option("--repair", help="Repair invalid polygons (each repair is reported)."),
        ],
        False,
    ),
    "format_name": _option(FormatInOption),
    "crs": _option(
        Annotated[
            str | None,
            typer.Option(
                "--crs",
                help="Coordinate system of the file's coordinates when it does not say (a "
                "Shapefile without .prj, projected WKT in a CSV), or to override a wrong one: "
                "EPSG:32636.",
            ),
        ]
    ),
    "as_submission": _option(
        Annotated[
            bool,
            typer.Option(
                "--as-submission",
                help="Queue each feature for review (clearground review) instead of importing it.",
            ),
        ],
        False,
    ),
    "victims": _option(
        Annotated[
            str | None,
            typer.Option(
                "--victims",
                help="File of victims: accident_id (the accidents' id column), sex, age_group, "
                "victim_type, outcome; name, contact and notes are kept apart as personal data.",
            ),
        ]
    ),
    "victims_layer": _option(
        Annotated[str | None, typer.Option("--victims-layer", help="Layer of the victims file.")]
    ),
    "form": _option(
        Annotated[
            str,
            typer.Option(
                "--form",
                help="The shipped form: nts, eo_spot_report, accident_report, eore_session.",
            ),
        ],
        inspect.Parameter.empty,
    ),
    "repeat": _option(
        Annotated[
            list[str] | None,
            typer.Option(
                "--repeat",
                help="Rows of a repeat group in a file of their own: --repeat victim=FILE "
                "(default: FILE-victim.csv beside a CSV, or the arrays inside JSON).",
            ),
        ]
    ),
    "again": _option(
        Annotated[
            bool,
            typer.Option(
                "--again",
                help="Import content already imported (same kind, file checksum and layer) "
                "again; without it, such an import is refused.",
            ),
        ],
        False,
    ),
    "output": _option(
        Annotated[OutputFormat, typer.Option("--output", "-o", help="Report format.")],
        OutputFormat.table,
    ),
}

_FILE_OPTIONS = ("layer", "map_", "dry_run", "format_name")


@dataclass(frozen=True)
class ImportCommand:
    """One ``import`` command: its name, its service (``module:function``), its texts and the
    options it takes beyond the shared ones; ``kind`` is passed first for generic services."""

    name: str
    service: str
    file_help: str
    doc: str
    options: tuple[str, ...] = _FILE_OPTIONS
    kind: str | None = None
    progress: bool = False


def _ops(name: str, kind: str, text: str) -> ImportCommand:
    return ImportCommand(
        name,
        "clearground.services.operations:import_records",
        text,
        f"Import {text} Every row or none.",
        kind=kind,
    )


IMPORTS: tuple[ImportCommand, ...] = (
    ImportCommand(
        "hazards",
        "clearground.services.hazards:import_hazards",
        "Hazard polygons: .geojson, .gpkg, .shp.zip, .kml/.kmz, .fgb, .csv, .xlsx, .gdb.zip "
        "(--format overrides the ending).",
        "Import hazard areas: every feature or none (any CRS, reprojected to EPSG:4326).",
        (*_FILE_OPTIONS, "repair", "crs", "as_submission"),
        progress=True,
    ),
    ImportCommand(
        "activities",
        "clearground.services.activities:import_activities",
        "Polygons with hazard_id, kind (nts|ts|clearance), date, organisation.",
        "Record land release activities: NTS cancels, TS reduces, clearance clears; all or none.",
        (*_FILE_OPTIONS, "repair", "as_submission"),
    ),
    ImportCommand(
        "eo",
        "clearground.services.evidence:import_eo",
        "Points with category (mine_ap, uxo, ...) and date (ISO 8601).",
        "Import EO items: linked to the hazard they lie in; an item in a closed hazard reopens it.",
        (*_FILE_OPTIONS, "as_submission"),
    ),
    ImportCommand(
        "accidents",
        "clearground.services.accidents:import_accidents",
        "Accident points with date (ISO 8601).",
        "Import accidents (and victims): one inside a closed hazard reopens it.",
        (*_FILE_OPTIONS, "victims", "victims_layer"),
    ),
    ImportCommand(
        "odk",
        "clearground.services.odk:import_odk",
        "Submission export of ODK Central or KoboToolbox: CSV or JSON.",
        "Queue ODK/Kobo submissions for review (clearground review): every one or none.",
        ("form", "repeat", "dry_run", "repair"),
    ),
    ImportCommand(
        "minefields",
        "clearground.services.minefields:import_minefields",
        "Perimeters with devices (TYPE: COUNT; ...), dates and claims.",
        "Import minefield records: each creates a CHA; claimed deactivation never releases land.",
        (*_FILE_OPTIONS, "repair"),
    ),
    ImportCommand(
        "qc",
        "clearground.services.quality:import_qc",
        "Sampled polygons with activity_id, date, organisation, result.",
        "Import QC samples of released land: a failed one returns the land it covers.",
    ),
    ImportCommand(
        "locations",
        "clearground.services.locations:import_locations",
        "Admin areas: COD-AB (ADMn_PCODE, ADMn_EN) or pcode, name, ...",
        "Import administrative areas with P-codes (one level per layer); later records get them.",
        (*_FILE_OPTIONS, "repair"),
    ),
    ImportCommand(
        "coverage",
        "clearground.services.coverage:import_coverage",
        "Polygons of the land this database covers.",
        "Record what this database covers (replacing the coverage recorded before): checks "
        'outside it say that nothing is known there, never "No recorded hazard".',
        (*_FILE_OPTIONS, "repair"),
    ),
    _ops(
        "organisations",
        "organisation",
        "Organisations: name, kind (operator, authority, ...), accreditation_from/_to.",
    ),
    _ops(
        "tasks",
        "task",
        "Tasks: hazard_id, organisation_id, kind (nts, ts, clearance), issued, start, end, status.",
    ),
    _ops(
        "eore",
        "eore",
        "Risk education sessions (points or areas): date, organisation_id, girls, boys, "
        "women, men.",
    ),
    _ops(
        "qa",
        "qa",
        "QA visits: date, activity_id, inspecting_organisation, nonconformities "
        "(SEVERITY: TYPE; ...), measures.",
    ),
)


def report(result, output: OutputFormat) -> None:
    """An import's report: one line and its notes, or the JSON of the report."""
    if output is OutputFormat.json:
        echo_json(result.as_dict())
        return
    from clearground.printable import printable

    verb = "would import" if result.dry_run else "imported"
    typer.echo(printable(f"{result.source}: {verb} {result.count} {result.kind} record(s)"))
    for line in result.repaired + result.notes:
        typer.echo(f"  {printable(line)}")


def _service(spec: ImportCommand):
    module, _, name = spec.service.partition(":")
    return getattr(importlib.import_module(module), name)


def _run(spec: ImportCommand, ctx: typer.Context, file: str, options: dict[str, Any]) -> None:
    from clearground.services.common import parse_map
    from clearground.services.ledger import import_once

    st = state(ctx)
    output = options.pop("output")
    if "map_" in options:
        options["mapping"] = parse_map(options.pop("map_"))
    if "repeat" in options:
        from clearground.services.odk_forms import parse_repeats

        options["repeat_files"] = parse_repeats(options.pop("repeat"))
    again = options.pop("again")
    bar = None
    if spec.progress:
        options["progress"], bar = progress_reporter(st)

    def run(store):
        args = (store, spec.kind, file) if spec.kind else (store, file)
        return _service(spec)(
            *args, author=st.settings.author, region=st.settings.operating_region, **options
        )

    try:
        result = import_once(
            st.store(),
            spec.name,
            file,
            run,
            author=st.settings.author,
            layer=options.get("layer"),
            again=again,
            victims=options.get("victims"),
            repeat_files=options.get("repeat_files"),
        )
    finally:
        if bar is not None:
            bar.stop()
    report(result, output)


def _command(spec: ImportCommand):
    """A typer command for ``spec``: its signature is built from the option table."""

    def command(ctx: typer.Context, file: str, **options: Any) -> None:
        _run(spec, ctx, file, options)

    P = inspect.Parameter
    params = [
        P("ctx", P.POSITIONAL_OR_KEYWORD, annotation=typer.Context),
        P(
            "file",
            P.POSITIONAL_OR_KEYWORD,
            annotation=Annotated[str, typer.Argument(help=spec.file_help)],
        ),
    ]
    for name in (*spec.options, "again", "output"):
        annotation, default = OPTIONS[name]
        params.append(P(name, P.KEYWORD_ONLY, annotation=annotation, default=default))
    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {}
    command.__doc__ = spec.doc
    command.__name__ = f"import_{spec.name}"
    return command


for _spec in IMPORTS:
    import_app.command(_spec.name)(_command(_spec))
