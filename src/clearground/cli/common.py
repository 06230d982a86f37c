"""What every command shares: the typer apps, the per-command state, options, output helpers.

Nothing heavy is imported here (no GDAL, pyproj, shapely or database driver), so that
``clearground --help`` stays fast; commands import what they need inside their bodies.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

import typer

from clearground.store.base import AS_OF_HELP

__all__ = [
    "add_row",
    "AsOfOption",
    "FormatOption",
    "OutputFormat",
    "State",
    "app",
    "console",
    "echo_json",
    "reader",
    "state",
]

app = typer.Typer(
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # every subcommand inherits it
    help="clearground: information management for humanitarian mine action.",
)


def group(name: str, text: str) -> typer.Typer:
    """A command group (``clearground NAME ...``) added to the main app."""
    sub = typer.Typer(no_args_is_help=True, help=text)
    app.add_typer(sub, name=name)
    return sub


import_app = group("import", "Import files into the database.")
hazards_app = group("hazards", "List hazard areas.")
hazard_app = group("hazard", "Show or edit one hazard area.")
eo_app = group("eo", "Explosive ordnance items and spot reports.")
accidents_app = group("accidents", "Accidents involving explosive ordnance.")
minefields_app = group("minefields", "Minefield records handed over by armed forces.")
review_app = group("review", "Review field submissions.")
locations_app = group("locations", "Administrative areas (P-codes).")


class OutputFormat(StrEnum):
    json = "json"
    table = "table"


@dataclass
class State:
    """The settings and the database of one command, both made on first use."""

    config: str | None
    db: str | None
    _settings: Any = None
    _store: Any = None
    closed_store: Any = None

    @property
    def settings(self):
        if self._settings is None:
            from clearground.config import load_settings

            self._settings = load_settings(self.config, db=self.db)
        return self._settings

    def store(self, *, initialising: bool = False):
        """The database, opened once per command and closed when the command ends. Unless
        ``initialising`` (init, migrate, demo, restore), one that is missing, uninitialised or
        newer than this clearground is refused at once, before any file is read."""
        if self._store is None:
            from clearground.store import open_store

            settings = self.settings
            self._store = open_store(
                settings.db, busy_timeout=settings.busy_timeout, require_schema=not initialising
            )
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self.closed_store = self._store  # main() reads what it committed (Ctrl-C)
            self._store.close()
            self._store = None


def state(ctx: typer.Context) -> State:
    return ctx.ensure_object(State)


def reader(ctx: typer.Context):
    """Who reads, for the projections: this user's permissions (settings.permissions)."""
    from clearground.services.projections import Reader

    return Reader.of(state(ctx).settings.permissions)


def echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, soft_wrap=False, width=200 if not stderr else None)


FormatOption = Annotated[OutputFormat, typer.Option("--format", help="Output format.")]
AsOfOption = Annotated[
    str | None,
    typer.Option("--as-of", help=AS_OF_HELP),
]
LayerOption = Annotated[str | None, typer.Option("--layer", help="Layer to read.")]
FormatInOption = Annotated[
    str | None, typer.Option("--format", help="File format, if not given by the file ending.")
]
IdArgument = Annotated[str, typer.Argument(metavar="ID")]


def add_row(table, *values: Any) -> None:
    """Add a table row of record text shown literally: control characters escaped, no rich
    markup interpreted (clearground.printable)."""
    from clearground.printable import cell

    table.add_row(*(cell(v) for v in values))


def progress_reporter(st: State):
    """A rich progress bar on stderr for big imports, when stderr is a terminal."""
    if not sys.stderr.isatty():
        return None, None
    from rich.progress import Progress

    bar = Progress(console=console(stderr=True), transient=True)
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if total <= st.settings.progress_threshold:
            return
        if not bar.live.is_started:
            bar.start()
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done)

    return report, bar
