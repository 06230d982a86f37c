"""The command line: parse, call a service, render (tables for people, JSON for scripts).

One small module per family of commands; each registers its commands on the apps of
``cli.common``. Heavy modules (GDAL, pyproj, the store engines) are imported inside commands so
that ``clearground --help`` stays fast. Errors become messages and exit codes in one place,
``main()``: bad input exits 2, a stale version 3, not found 4, a database problem 5.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from clearground.cli import check, data, evidence, hazards, imports, review  # noqa: F401
from clearground.cli.common import State, app
from clearground.domain.errors import CleargroundError, ImportRejected

__all__ = ["app", "main", "run"]


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
