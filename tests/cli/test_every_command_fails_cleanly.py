"""Every command of the CLI, found by walking its command tree (a new command is covered without
editing this file), run with a missing database, a locked database and bad input: each ends
with the exit code of its error class and a message, never a traceback, and changes nothing.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import shapely
import typer.main

from clearground.cli import app, main
from clearground.domain.errors import BadInput, DatabaseUnavailable, NotFound
from clearground.store import open_store
from tests.helpers import snapshot, write_layer

OK = 0


def _commands() -> list[tuple[tuple[str, ...], object]]:
    def walk(cmd, path: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], object]]:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name, sub in sorted(subs.items()):
                yield from walk(sub, (*path, name))
        else:
            yield path, cmd

    return list(walk(typer.main.get_command(app), ()))


#: Commands that run until stopped (a server): on a usable database they would never return,
#: so the sweep leaves them out; tests/web starts ``serve`` as a real process, and the test below
#: checks that it refuses a missing or uninitialised database before listening.
LONG_RUNNING = {"serve"}
COMMANDS = [(p, c) for p, c in _commands() if " ".join(p) not in LONG_RUNNING]
NAMES = [" ".join(p) for p, _ in COMMANDS]
#: Commands that write to the database (every import, too): a lock held by another writer
#: must stop them with DatabaseUnavailable; readers go on (WAL), whatever the lock.
WRITES = {
    "init",
    "migrate",
    "demo",
    "restore",
    "hazard edit",
    "hazard handover",
    "review approve",
    "review reject",
    "users add",
    "users disable",
    "tokens create",
    "tokens revoke",
}
#: Commands that create a database where there is none (restore only from a valid dump);
#: every other one must not.
CREATES = {"init", "demo", "restore"}
#: Commands whose required values are not ids of records or accounts: bad ones are bad input.
NOT_IDS = {"users add"}


def _is_write(name: str) -> bool:
    return name in WRITES or name.startswith("import ")


# Placeholder values for required parameters, by parameter name: "well formed" for the runs on
# a missing or locked database, and "bad" for the bad-input runs.
#: Commands whose FILE is written, not read.
OUTPUTS = {"dump", "export"}


def _value(param_name: str, files: dict[str, Path], *, bad: bool, output: bool) -> str:
    if param_name == "file" and output:
        return str(files["empty"].parent / ("out.unknown-ending" if bad else "out.gpkg"))
    if param_name == "file":
        return str(files["bad" if bad else "empty"])
    if param_name == "directory":  # publish DIR: a file is no folder to publish into
        return str(files["bad"] if bad else files["empty"].parent / "site")
    if param_name.endswith("_id"):
        return "NO-SUCH-000001" if bad else "HA-000001"
    return {
        "set_": "name=SYNTHETIC renamed",
        "reason": "SYNTHETIC reason",
        "version": "1",
        "date_": "2025-01-01",
        "recipient": "SYNTHETIC community",
        "form": "nts",
    }.get(param_name, "x")


def _argv(path: tuple[str, ...], cmd, files: dict[str, Path], *, bad: bool) -> list[str]:
    args = list(path)
    for p in cmd.params:
        if not p.required:
            continue
        value = _value(p.name, files, bad=bad, output=" ".join(path) in OUTPUTS)
        args += (
            [value]
            if not getattr(p, "opts", None) or not p.opts[0].startswith("-")
            else [
                p.opts[0],
                value,
            ]
        )
    return args


@pytest.fixture
def run(capsys, monkeypatch):
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.setenv("CLEARGROUND_BUSY_TIMEOUT", "0.05")  # a held lock fails fast
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)

    def _run(db: str, argv: list[str]) -> tuple[int, str]:
        capsys.readouterr()
        code = main(["--db", db, *argv])
        err = capsys.readouterr().err
        assert "Traceback" not in err, (argv, err)
        return code, err

    return _run


@pytest.fixture
def files(tmp_path) -> dict[str, Path]:
    empty = tmp_path / "in" / "empty.geojson"
    empty.parent.mkdir()
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    bad = tmp_path / "in" / "bad.geojson"
    bad.write_text("this is not GeoJSON {")
    return {"empty": empty, "bad": bad}


@pytest.fixture
def populated(tmp_path, run) -> Path:
    """An SQLite database with two hazards and two pending submissions, closed (no WAL)."""
    db = tmp_path / "base.db"
    url = f"sqlite:///{db}"
    assert run(url, ["init"])[0] == OK
    boxes = [shapely.box(30.0, 50.0, 30.01, 50.01), shapely.box(31.0, 50.0, 31.01, 50.01)]
    names = {"name": ["SYNTHETIC one", "SYNTHETIC two"]}
    h = write_layer(tmp_path / "h.geojson", boxes, names)
    assert run(url, ["import", "hazards", str(h)])[0] == OK
    s = write_layer(tmp_path / "s.geojson", [shapely.box(32.0, 50.0, 32.01, 50.01)] * 2, names)
    assert run(url, ["import", "hazards", str(s), "--as-submission"])[0] == OK
    return db


def _good(tmp_path: Path) -> dict[str, list[str]]:
    """Arguments with which each listed command succeeds on ``populated`` (checked below)."""
    new = write_layer(
        tmp_path / "new.geojson", [shapely.box(33.0, 50.0, 33.01, 50.01)], {"name": ["SYNTHETIC"]}
    )
    nts = write_layer(
        tmp_path / "nts.geojson",
        [shapely.box(30.0, 50.0, 30.005, 50.01)],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["nts"],
            "date": ["2025-03-01"],
            "organisation": ["SYNTHETIC survey"],
        },
    )
    return {
        "init": ["init"],
        "migrate": ["migrate"],
        "import hazards": ["import", "hazards", str(new)],
        "import activities": ["import", "activities", str(nts)],
        "hazard edit": [
            "hazard",
            "edit",
            "HA-000002",
            "--set",
            "name=SYNTHETIC x",
            "--reason",
            "SYNTHETIC",
            "--version",
            "1",
        ],
        "review approve": ["review", "approve", "SB-000001"],
        "review reject": ["review", "reject", "SB-000002", "--reason", "SYNTHETIC duplicate"],
        "hazards list": ["hazards", "list"],
        "hazard show": ["hazard", "show", "HA-000001"],
        "history": ["history", "HA-000001"],
        "show": ["show", "HA-000001"],
        "check": ["check", "--point", "30.005,50.005"],
        "review list": ["review", "list"],
        "review show": ["review", "show", "SB-000001"],
        "export": ["export", str(tmp_path / "out" / "x.geojson")],
        "dump": ["dump", "--without-personal-data", str(tmp_path / "out" / "x.gpkg")],
        "publish": ["publish", str(tmp_path / "out" / "site")],
    }


def test_the_walk_finds_every_command():
    """Guards the walk itself: nested groups and the table-made commands are all there."""
    for name in ("init", "hazards list", "import hazards", "import qa", "review show", "qa list"):
        assert name in NAMES
    assert len(NAMES) >= 40


def test_with_no_database_every_command_names_init_and_creates_nothing(tmp_path, run, files):
    good = _good(tmp_path)
    for (path, cmd), name in zip(COMMANDS, NAMES, strict=True):
        db = tmp_path / "none" / f"{name.replace(' ', '_')}.db"
        db.parent.mkdir(exist_ok=True)
        code, err = run(f"sqlite:///{db}", good.get(name) or _argv(path, cmd, files, bad=False))
        if name in CREATES:
            assert code == OK and db.exists() or code == BadInput.exit_code and not db.exists()
            continue
        assert code == DatabaseUnavailable.exit_code, (name, code, err)
        assert "no database there" in err and "init" in err, (name, err)
        assert not db.exists() and not list(db.parent.glob(db.name + "*")), name


def test_an_uninitialised_file_is_refused_naming_init(tmp_path, run, files):
    db = tmp_path / "empty.db"
    db.touch()
    good = _good(tmp_path)
    for (path, cmd), name in zip(COMMANDS, NAMES, strict=True):
        if name in CREATES or name == "migrate":
            continue
        code, err = run(f"sqlite:///{db}", good.get(name) or _argv(path, cmd, files, bad=False))
        assert code == DatabaseUnavailable.exit_code, (name, code, err)
        assert "has no clearground schema" in err and "init" in err, (name, err)


def test_an_empty_postgis_database_is_refused_naming_init(tmp_path, postgis_url, run, files):
    good = _good(tmp_path)
    for (path, cmd), name in zip(COMMANDS, NAMES, strict=True):
        if name in CREATES or name == "migrate":
            continue
        code, err = run(postgis_url, good.get(name) or _argv(path, cmd, files, bad=False))
        assert code == DatabaseUnavailable.exit_code, (name, code, err)
        assert "has no clearground schema" in err and "init" in err, (name, err)


def test_a_locked_database_stops_writers_with_a_message_and_readers_go_on(
    tmp_path, run, files, populated
):
    good = _good(tmp_path)
    (tmp_path / "out").mkdir()
    checked_writes = 0
    for (path, cmd), name in zip(COMMANDS, NAMES, strict=True):
        argv = good.get(name) or _argv(path, cmd, files, bad=False)
        free, held = tmp_path / "free.db", tmp_path / "held.db"
        shutil.copy(populated, free)
        shutil.copy(populated, held)
        baseline, err = run(f"sqlite:///{free}", argv)
        if name in good:
            assert baseline == OK, (name, err)
        for out in (tmp_path / "out").iterdir():
            shutil.rmtree(out) if out.is_dir() else out.unlink()
        other = sqlite3.connect(held, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            code, err = run(f"sqlite:///{held}", argv)
        finally:
            other.execute("ROLLBACK")
            other.close()
        if _is_write(name) and name in good:
            assert code == DatabaseUnavailable.exit_code, (name, code, err)
            assert "is busy" in err and "nothing was changed" in err, (name, err)
            checked_writes += 1
        elif _is_write(name):  # no good input here: it may stop at its input first
            assert code in (baseline, DatabaseUnavailable.exit_code), (name, code, err)
        else:
            assert code == baseline, (name, code, baseline, err)
        for p in (free, held):
            for f in tmp_path.glob(p.name + "*"):
                f.unlink()
    assert checked_writes >= 7


def test_bad_input_to_every_command_is_refused_and_changes_nothing(tmp_path, run, files, populated):
    url = f"sqlite:///{populated}"
    with_params = [(p, c, n) for (p, c), n in zip(COMMANDS, NAMES, strict=True) if c.params]
    store = open_store(url)
    before = snapshot(store)
    store.close()
    for path, cmd, name in with_params:
        code, err = run(url, [*path, "--no-such-option"])
        assert code == BadInput.exit_code and "No such option" in err, (name, code, err)
        required = [p for p in cmd.params if p.required]
        if not required or name in CREATES:
            continue
        code, err = run(url, _argv(path, cmd, files, bad=True))
        takes_file = any(p.name in ("file", "directory") for p in required)
        bad_value = takes_file or name in NOT_IDS
        expected = BadInput.exit_code if bad_value else NotFound.exit_code
        assert code == expected, (name, code, err)
        assert err.startswith("error:") or "problem" in err, (name, err)
    store = open_store(url)
    assert snapshot(store) == before
    store.close()


@pytest.mark.parametrize("when", ["9999-12-31T23:00:00-05:00", "0001-01-01T00:30:00+05:00"])
def test_as_of_at_the_ends_of_time_answers(tmp_path, run, populated, when):
    url = f"sqlite:///{populated}"
    for (path, cmd), name in zip(COMMANDS, NAMES, strict=True):
        if not any(p.name == "as_of" for p in cmd.params):
            continue
        argv = _good(tmp_path).get(name) or list(path)
        if any(p.required for p in cmd.params) and name not in _good(tmp_path):
            argv = [*path, "HA-000001"]
        (tmp_path / "out").mkdir(exist_ok=True)
        code, err = run(url, [*argv, "--as-of", when])
        assert code in (OK, NotFound.exit_code), (name, code, err)


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_an_output_in_a_missing_folder_is_refused(tmp_path, run, populated, name):
    ending = ".gpkg" if name == "dump" else ".geojson"
    options = ["--without-personal-data"] if name == "dump" else []
    target = str(tmp_path / "no-such-folder" / f"x{ending}")
    code, _ = run(f"sqlite:///{populated}", [name, *options, target])
    assert code == BadInput.exit_code


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_a_server_refuses_a_missing_or_uninitialised_database_before_listening(tmp_path, run, name):
    db = tmp_path / "none.db"
    code, err = run(f"sqlite:///{db}", [name, "--port", "1"])
    assert code == DatabaseUnavailable.exit_code and "init" in err, err
    assert not db.exists()
    db.touch()
    code, err = run(f"sqlite:///{db}", [name, "--port", "1"])
    assert code == DatabaseUnavailable.exit_code and "has no clearground schema" in err, err
