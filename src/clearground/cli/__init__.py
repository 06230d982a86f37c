"""The command line: parse, call a service, render (tables for people, JSON for scripts).

One small module per family of commands; each registers its commands on the apps of
``cli.common``. Heavy modules (GDAL, pyproj, the store engines) are imported inside commands so
that ``clearground --help`` stays fast. Errors become messages and exit codes in one place,
``main()``: bad input exits 2, a stale version 3, not found 4, a database problem 5.
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from clearground.cli import (  # noqa: F401  (each registers its commands)
    accounts,
    check,
    data,
    evidence,
    hazards,
    imports,
    ledger,
    prioritise,
    publish,
    review,
    serve,
)
from clearground.cli.common import State, app
from clearground.domain.errors import CleargroundError, ImportRejected

__all__ = ["app", "main", "run"]


def _print_version(value: bool) -> None:
    if value:
        from clearground import __version__

        typer.echo(f"clearground {__version__}")
        raise typer.Exit()


@app.callback()
def _options(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option(
            "--db",
            help=(
                "Database URL, or a path ending .db "
                "(default sqlite:///clearground.db; also CLEARGROUND_DB). "
                "May also come after the command."
            ),
            show_default=False,
        ),
    ] = None,
    config: Annotated[
        str | None,
        typer.Option("--config", help="TOML settings file (also CLEARGROUND_CONFIG)."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    global _STATE
    ctx.obj = _STATE = State(config=config, db=db)
    ctx.call_on_close(ctx.obj.close)


#: The running command's state: after Ctrl-C, main() asks its store what was committed.
_STATE: State | None = None


def _interrupted(exc: BaseException) -> bool:
    """Whether ``exc`` is, or ends, a Ctrl-C (typer turns KeyboardInterrupt into exit 130)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, KeyboardInterrupt):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _interrupted_message() -> str:
    """What Ctrl-C left behind, honestly: the command's transaction was rolled back, unless
    it was interrupted inside COMMIT, or earlier transactions of it were committed."""
    store = None if _STATE is None else (_STATE._store or _STATE.closed_store)
    if store is not None and getattr(store, "commit_unknown", False):
        return (
            "interrupted while the change was being committed: whether it was saved is "
            "unknown; look at the database before repeating the command"
        )
    saved = getattr(store, "commits", 0) if store is not None else 0
    if saved:
        return (
            f"interrupted: the change in progress was not saved; {saved} earlier change(s) "
            "of this command were saved"
        )
    return "interrupted: nothing was changed"


_COMMAND: Any = None


def _command() -> Any:
    """The click command tree of ``app``, built once per process (typer rebuilds it on every
    call, which is most of the time an in-process run takes; tests run thousands)."""
    global _COMMAND
    if _COMMAND is None:
        import typer.main

        _COMMAND = typer.main.get_command(app)
    return _COMMAND


def _db_first(argv: list[str]) -> list[str]:
    """``argv`` with every ``--db URL`` (or ``--db=URL``) moved before the command, so that
    ``clearground hazards list --db x.db`` works as ``clearground --db x.db hazards list``.
    Nothing after ``--`` is touched; a later ``--db`` wins, as options do."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i:]
            break
        if arg == "--db" and i + 1 < len(argv):
            front += argv[i : i + 2]
            i += 2
            continue
        (front if arg.startswith("--db=") else rest).append(arg)
        i += 1
    return front + rest


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code. Every clearground error is reported here, once, as a
    message without passwords; a database driver's error that escaped the store becomes a
    ``DatabaseUnavailable`` message (store/errors.py) rather than a traceback."""
    global _STATE
    from clearground.store import waits
    from clearground.store.errors import database_error, scrub

    args = _db_first(list(sys.argv[1:] if argv is None else argv))
    _STATE = None
    waits.set_reporter(lambda message: typer.echo(message, err=True))
    try:
        _command().main(args=args, prog_name="clearground")
    except KeyboardInterrupt:
        typer.echo(_interrupted_message(), err=True)
        return 130
    except SystemExit as exc:  # typer's own ending: help, usage errors (2), success, Ctrl-C
        if _interrupted(exc):
            typer.echo(_interrupted_message(), err=True)
            return 130
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ImportRejected as exc:
        typer.echo(scrub(exc.message), err=True)
        return exc.exit_code
    except CleargroundError as exc:
        typer.echo(f"error: {scrub(exc.message)}", err=True)
        return exc.exit_code
    except Exception as exc:
        mapped = database_error(exc)
        if mapped is None:
            raise
        typer.echo(f"error: {mapped.message}", err=True)
        return mapped.exit_code
    finally:
        waits.set_reporter(None)
    return 0


def run() -> None:
    sys.exit(main())
