"""The CLI on databases it cannot use as they are: a PostgreSQL role without rights, a database
without PostGIS, a full or busy SQLite file; ``--db`` on either side of the command, ``--version``
and ``-h``; and two ODK imports of one export racing on a real database."""

from __future__ import annotations

import csv
import threading
import uuid

import pytest

from clearground.cli import main
from clearground.domain.errors import BadInput, DatabaseUnavailable
from clearground.store import open_store
from tests.conftest import feature_assert_or_skip


@pytest.fixture
def run(capsys, monkeypatch):
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)

    def _run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in err
        return code, out, err

    return _run


# --- options --------------------------------------------------------------------------------------


def test_db_works_before_and_after_the_command(tmp_path, run):
    a, b = tmp_path / "a.db", tmp_path / "b.db"
    assert run("init", "--db", str(a))[0] == 0
    assert run("--db", str(b), "init")[0] == 0
    assert run("hazards", "list", "--db", str(a))[1].strip() == "[]"
    assert run("--db", str(a), "hazards", "list", "--format", "json")[1].strip() == "[]"
    assert run("hazards", "list", f"--db={b}")[0] == 0
    missing = tmp_path / "missing.db"
    code, _, err = run("--db", str(a), "hazards", "list", "--db", str(missing))  # the last wins
    assert code == DatabaseUnavailable.exit_code and "missing.db: no database there" in err
    assert not missing.exists()


def test_version_and_short_help(run):
    from clearground import __version__

    code, out, _ = run("--version")
    assert code == 0 and out.strip() == f"clearground {__version__}"
    code, out, _ = run("-h")
    assert code == 0 and "Usage: clearground" in out
    for argv in (["hazards", "list", "-h"], ["import", "hazards", "-h"], ["review", "-h"]):
        code, out, _ = run(*argv)
        assert code == 0 and f"Usage: clearground {' '.join(argv[:-1])}" in out, argv


def test_every_as_of_help_says_a_date_alone_is_the_end_of_that_day(run):
    import typer.main

    from clearground.cli import app

    def walk(cmd, path):
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, (*path, name))
        if not getattr(cmd, "commands", None):
            yield path, cmd

    with_as_of = [
        path
        for path, cmd in walk(typer.main.get_command(app), ())
        if any(p.name == "as_of" for p in cmd.params)
    ]
    assert len(with_as_of) >= 5
    for path in with_as_of:
        _, out, _ = run(*path, "--help")
        text = " ".join(out.replace("│", " ").split())
        assert "a date alone" in text and "end of that day, UTC" in text, path


def test_a_bad_as_of_is_refused_with_exit_2(tmp_path, run):
    db = tmp_path / "a.db"
    run("init", "--db", db)
    code, _, err = run("hazards", "list", "--db", db, "--as-of", "2026-05-01 garbage")
    assert code == BadInput.exit_code and "not an ISO 8601" in err
    code, out, _ = run("hazards", "list", "--db", db, "--as-of", "9999-12-31T23:00:00-05:00")
    assert code == 0 and out.strip() == "[]"


# --- SQLite: full and busy, through the CLI -------------------------------------------------------


def _hazards_file(tmp_path, n: int):
    import shapely

    from tests.helpers import write_layer

    boxes = [shapely.box(30 + i * 0.01, 50, 30.005 + i * 0.01, 50.005) for i in range(n)]
    return write_layer(tmp_path / "h.geojson", boxes, {"notes": ["SYNTHETIC " * 200] * n})


def test_a_full_disk_exits_5_with_the_cause_and_imports_nothing(tmp_path, run, monkeypatch):
    from clearground.store.sqlite import SqliteStore

    db = tmp_path / "a.db"
    run("init", "--db", db)
    pages = db.stat().st_size // 8192
    connect = SqliteStore._connect

    def small_disk(self, *, create=False):  # SQLite's own size limit: it fails as a full disk
        conn = connect(self, create=create)
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")
        return conn

    monkeypatch.setattr(SqliteStore, "_connect", small_disk)
    code, _, err = run("import", "hazards", _hazards_file(tmp_path, 300), "--db", db)
    assert code == DatabaseUnavailable.exit_code
    assert "the disk is full" in err and "nothing was written" in err
    monkeypatch.undo()
    assert run("hazards", "list", "--db", db)[1].strip() == "[]"


def test_a_busy_database_exits_5_with_the_cause(tmp_path, run, monkeypatch):
    import sqlite3

    db = tmp_path / "a.db"
    run("init", "--db", db)
    monkeypatch.setenv("CLEARGROUND_BUSY_TIMEOUT", "0.1")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run("import", "hazards", _hazards_file(tmp_path, 2), "--db", db)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == DatabaseUnavailable.exit_code
    assert "is busy" in err and "within 0.1 s" in err and "CLEARGROUND_BUSY_TIMEOUT" in err


# --- PostgreSQL: a role without rights, a database without PostGIS -------------------------------


@pytest.fixture
def pg(pg_cluster):
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    import psycopg

    made: list[str] = []

    def admin(sql: str, database: str | None = None) -> None:
        with psycopg.connect(pg_cluster.url(database=database), autocommit=True) as conn:
            conn.execute(sql)

    def as_role(url: str, role: str) -> str:
        return url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)

    yield pg_cluster, admin, as_role, made
    for sql in reversed(made):  # the last made goes first
        admin(sql)


def test_init_as_a_role_without_create_rights_names_the_grant(pg, run):
    cluster, admin, as_role, made = pg
    tag = uuid.uuid4().hex[:8]
    role, schema = f"cg_field_{tag}", f"cg_rights_{tag}"
    admin(f'CREATE ROLE "{role}" LOGIN')
    made.append(f'DROP ROLE "{role}"')
    admin(f'CREATE SCHEMA "{schema}"')  # owned by the superuser: the role may not create in it
    made.append(f'DROP SCHEMA "{schema}" CASCADE')
    admin(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
    url = as_role(cluster.url(schema=schema), role)
    code, _, err = run("init", "--db", url)
    assert code == DatabaseUnavailable.exit_code, err
    assert f'GRANT USAGE, CREATE ON SCHEMA "{schema}" TO "{role}";' in err
    assert "a superuser" in err and cluster.database in err
    admin(f'GRANT CREATE ON SCHEMA "{schema}" TO "{role}"')  # what the message said
    code, out, err = run("init", "--db", url)
    assert code == 0, err
    made.insert(1, f'DROP OWNED BY "{role}"')  # before the role goes
    assert run("hazards", "list", "--db", url)[1].strip() == "[]"


def test_init_in_a_database_without_postgis_names_the_extension(pg, run):
    cluster, admin, as_role, made = pg
    tag = uuid.uuid4().hex[:8]
    role, database = f"cg_field_{tag}", f"cg_nopostgis_{tag}"
    admin(f'CREATE ROLE "{role}" LOGIN')
    made.append(f'DROP ROLE "{role}"')
    admin(f'CREATE DATABASE "{database}" OWNER "{role}"')
    made.append(f'DROP DATABASE "{database}" WITH (FORCE)')
    url = as_role(cluster.url(database=database), role)
    code, _, err = run("init", "--db", url)
    assert code == DatabaseUnavailable.exit_code, err
    assert f"in database {database}: CREATE EXTENSION postgis;" in err
    assert "a superuser runs once" in err
    assert run("hazards", "list", "--db", url)[0] == DatabaseUnavailable.exit_code
    admin("CREATE EXTENSION postgis", database=database)  # what the message said
    code, _, err = run("init", "--db", url)
    assert code == 0, err


def test_messages_never_show_a_password(run):
    code, _, err = run(
        "hazards", "list", "--db", "postgresql://someone:s3cr%21t@127.0.0.1:1/x?connect_timeout=2"
    )
    assert code == DatabaseUnavailable.exit_code
    assert "s3cr" not in err and "***" in err


# --- ODK: the "already queued" check inside the write transaction ------------------------------


def _eo_export(path, keys):
    header = ["location", "category", "eo_type", "quantity", "date", "hazard_id", "meta-instanceID"]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        for i, key in enumerate(keys):
            w.writerow([f"50.{i + 1:03d} 30.005 0 4", "uxo", "OF-462", "1", "2025-05-01", "", key])
    return path


def test_two_imports_of_one_export_at_once_queue_each_submission_once(
    store_url, tmp_path, monkeypatch
):
    """Each import pauses after its "already queued" check, waiting (at most 2 s) for the other
    to reach the same point: had the check run outside the write transaction, both would pass
    it and queue everything twice. Inside it, the second waits for the first to commit."""
    from clearground.services import odk

    src = _eo_export(tmp_path / "eo.csv", ["uuid:a", "uuid:b", "uuid:c"])
    check = odk._already_queued
    both_checked = threading.Barrier(2)

    def slow_check(store, tx, form):
        queued = check(store, tx, form)
        with pytest.raises(threading.BrokenBarrierError):
            both_checked.wait(timeout=2)  # the other cannot check while this one holds the lock
        return queued

    monkeypatch.setattr(odk, "_already_queued", slow_check)
    counts: list[int] = []
    failures: list[BaseException] = []

    def one_import() -> None:
        s = open_store(store_url)
        try:
            counts.append(odk.import_odk(s, src, form="eo_spot_report", author="t").count)
        except BaseException as exc:
            failures.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=one_import) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert failures == []
    assert sorted(counts) == [0, 3]
    s = open_store(store_url)
    try:
        keys = [v.record.attributes["odk_instance_id"] for v in s.list("submission")]
    finally:
        s.close()
    assert sorted(keys) == ["uuid:a", "uuid:b", "uuid:c"]
