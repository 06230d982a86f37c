"""Fault injection on a real PostgreSQL 15 + PostGIS cluster (and SQLite where it applies).

Each fault is real: a backend terminated by ``pg_terminate_backend`` from a second session, the
server restarted or stopped (``pg_ctl``, on a cluster of this module's own), timeouts the server
enforces, locks another session holds, a role without rights, an empty schema, a real deadlock
between two imports, a disk (tmpfs) that fills up. Only *when* a fault strikes is chosen by
wrapping a store method (terminate, then call the real one). Every case asserts the exit code
(by name), that no traceback is shown, and that the database is unchanged or wholly imported.
"""

from __future__ import annotations

import base64
import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from clearground.cli import main
from clearground.domain.errors import BadInput, DatabaseUnavailable
from clearground.store import open_store, waits
from tests.conftest import feature_assert_or_skip

pytestmark = pytest.mark.postgis

psycopg = pytest.importorskip("psycopg")

PG_TABLE = "hazard_area_versions"


def _hazards(tmp_path: Path, n: int, *, name: str = "h.geojson", notes: int = 0, x0: float = 30):
    import shapely

    from tests.helpers import write_layer

    boxes = [shapely.box(x0 + i * 0.001, 50, x0 + 0.0005 + i * 0.001, 50.0005) for i in range(n)]
    text = [
        "SYNTHETIC " + base64.b64encode(os.urandom(notes)).decode() if notes else "SYNTHETIC"
        for _ in range(n)
    ]
    return write_layer(tmp_path / name, boxes, {"notes": text})


@pytest.fixture
def run(capsys, monkeypatch):
    """run(*argv) -> (code, out, err), the CLI in process; never a traceback."""
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)

    def _run(*argv: object) -> tuple[int, str, str]:
        capsys.readouterr()
        code = main([str(a) for a in argv])
        out, err = capsys.readouterr()
        assert "Traceback" not in out + err
        return code, out, err

    return _run


def _admin(url: str):
    conn = psycopg.connect(url, autocommit=True)
    conn.execute("SET application_name = 'fault-injector'")
    return conn


def _count(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.execute(f"SELECT count(*) FROM {PG_TABLE}").fetchone()[0]


def _with_options(cluster, schema: str, **settings: str) -> str:
    """The schema's URL with server settings for its sessions (``options=-c...``)."""
    opts = " ".join(
        [f"-csearch_path={schema},public", *(f"-c{k}={v}" for k, v in settings.items())]
    )
    return f"{cluster.url(application_name=schema)}&options={quote(opts, safe='')}"


@pytest.fixture
def pgdb(pg_cluster, postgis_url, run):
    """(cluster, url, admin connection) for an initialised schema of this test's own."""
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    assert run("init", "--db", postgis_url)[0] == 0
    admin = _admin(pg_cluster.url())
    yield pg_cluster, postgis_url, admin
    admin.close()


def _strike_before(monkeypatch, method: str, fault) -> list[int]:
    """Run ``fault(tx)`` just before the first call of ``PostgisTransaction.<method>``."""
    from clearground.store.postgis import PostgisTransaction

    real = getattr(PostgisTransaction, method)
    struck: list[int] = []

    def wrapped(self, *args, **kwargs):
        if not struck:
            struck.append(self._conn.info.backend_pid)
            fault(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(PostgisTransaction, method, wrapped)
    return struck


def _terminate(admin, pid: int) -> None:
    assert admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,)).fetchone()[0]


# --- a terminated backend ------------------------------------------------------------------------


def test_connections_terminated_while_idle_are_replaced_before_use(pgdb, run, tmp_path):
    cluster, url, admin = pgdb
    assert run("import", "hazards", _hazards(tmp_path, 3), "--db", url)[0] == 0
    s = open_store(url)
    try:
        ids = [v.id for v in s.list("hazard")]
        with s.transaction() as tx:  # opens the writer
            tx.lock("warm-up")
            tx.commit()
        schema_app = url.rsplit("application_name=", 1)[1]
        n = admin.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
            "WHERE application_name = %s",
            (schema_app,),
        ).fetchone()[0]
        assert n == 2  # the idle reader and the idle writer
        assert [v.id for v in s.list("hazard")] == ids  # read again on a new connection
        with s.transaction() as tx:  # a new writer, checked before use
            assert tx.existing_ids("hazard", ids) == set(ids)
            tx.commit()
    finally:
        s.close()


def test_a_backend_terminated_during_an_import_exits_5_and_imports_nothing(
    pgdb, run, tmp_path, monkeypatch
):
    cluster, url, admin = pgdb
    struck = _strike_before(
        monkeypatch, "insert", lambda tx: _terminate(admin, tx._conn.info.backend_pid)
    )
    code, _, err = run("import", "hazards", _hazards(tmp_path, 20), "--db", url)
    assert struck and code == DatabaseUnavailable.exit_code, err
    assert "ended the connection" in err and "nothing was changed" in err
    assert _count(url) == 0
    monkeypatch.undo()
    assert run("import", "hazards", _hazards(tmp_path, 20), "--db", url)[0] == 0
    assert _count(url) == 20


def test_a_backend_terminated_at_commit_says_the_outcome_is_unknown(
    pgdb, run, tmp_path, monkeypatch
):
    cluster, url, admin = pgdb
    _strike_before(monkeypatch, "commit", lambda tx: _terminate(admin, tx._conn.info.backend_pid))
    code, _, err = run("import", "hazards", _hazards(tmp_path, 5), "--db", url)
    assert code == DatabaseUnavailable.exit_code, err
    assert "whether it was saved is unknown" in err
    assert "nothing was changed" not in err  # it cannot know that
    assert _count(url) == 0  # here the server had not committed: nothing half-imported


# --- timeouts the server enforces, and locks another session holds -------------------------------


def test_a_statement_timeout_names_the_timeout_and_changes_nothing(pgdb, run, tmp_path):
    cluster, url, admin = pgdb
    schema = url.rsplit("application_name=", 1)[1]
    slow = _with_options(cluster, schema, statement_timeout="300ms")
    admin.execute("BEGIN")
    admin.execute(f'LOCK TABLE "{schema}".{PG_TABLE} IN ACCESS EXCLUSIVE MODE')
    try:
        code, _, err = run("import", "hazards", _hazards(tmp_path, 3), "--db", slow)
    finally:
        admin.execute("ROLLBACK")
    assert code == DatabaseUnavailable.exit_code, err
    assert "timed out after 0.3 s" in err and "statement_timeout" in err
    assert _count(url) == 0


def test_an_idle_in_transaction_timeout_names_it_and_changes_nothing(
    pgdb, run, tmp_path, monkeypatch
):
    cluster, url, admin = pgdb
    schema = url.rsplit("application_name=", 1)[1]
    idle = _with_options(cluster, schema, idle_in_transaction_session_timeout="300ms")
    _strike_before(monkeypatch, "insert", lambda tx: time.sleep(1.0))
    code, _, err = run("import", "hazards", _hazards(tmp_path, 3), "--db", idle)
    assert code == DatabaseUnavailable.exit_code, err
    assert "timed out after 0.3 s" in err and "idle_in_transaction_session_timeout" in err
    assert _count(url) == 0


def test_a_held_lock_is_reported_while_waiting_then_refused_as_busy(
    pgdb, run, tmp_path, monkeypatch
):
    cluster, url, admin = pgdb
    schema = url.rsplit("application_name=", 1)[1]
    monkeypatch.setattr(waits, "NOTICE_AFTER", 0.3)
    monkeypatch.setenv("CLEARGROUND_BUSY_TIMEOUT", "2")
    admin.execute("BEGIN")
    admin.execute(f'LOCK TABLE "{schema}".{PG_TABLE} IN ACCESS EXCLUSIVE MODE')
    pid = admin.info.backend_pid
    try:
        code, _, err = run("hazards", "list", "--db", url)
    finally:
        admin.execute("ROLLBACK")
    assert code == DatabaseUnavailable.exit_code, err
    assert (
        f"waiting for the database: session {pid} (user postgres, application fault-injector)"
        in err
    )
    assert f"{schema}.{PG_TABLE}" in err or PG_TABLE in err
    assert "is busy" in err and "within 2 s" in err


def test_a_held_sqlite_lock_is_reported_while_waiting_then_refused_as_busy(
    tmp_path, run, monkeypatch
):
    import sqlite3

    db = tmp_path / "a.db"
    assert run("init", "--db", db)[0] == 0
    monkeypatch.setattr(waits, "NOTICE_AFTER", 0.3)
    monkeypatch.setenv("CLEARGROUND_BUSY_TIMEOUT", "1.5")
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, _, err = run("import", "hazards", _hazards(tmp_path, 2), "--db", db)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == DatabaseUnavailable.exit_code, err
    assert "waiting for the database: another program or clearground command" in err
    assert "is busy" in err
    assert run("hazards", "list", "--db", db)[1].strip() == "[]"


# --- rights and schema ---------------------------------------------------------------------------


def test_a_role_without_rights_is_told_which_table_and_changes_nothing(pgdb, run, tmp_path):
    cluster, url, admin = pgdb
    schema = url.rsplit("application_name=", 1)[1]
    assert run("import", "hazards", _hazards(tmp_path, 2), "--db", url)[0] == 0
    role = f"cg_reader_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE ROLE "{role}" LOGIN')
    try:
        admin.execute(f'GRANT USAGE ON SCHEMA "{schema}" TO "{role}"')
        as_role = url.replace("postgresql://postgres@", f"postgresql://{role}@", 1)
        code, _, err = run("hazards", "list", "--db", as_role)
        assert code == DatabaseUnavailable.exit_code, err
        assert f"permission denied for role {role} on table" in err
        admin.execute(f'GRANT SELECT ON ALL TABLES IN SCHEMA "{schema}" TO "{role}"')
        code, out, err = run("hazards", "list", "--db", as_role)
        assert code == 0, err
        code, _, err = run("import", "hazards", _hazards(tmp_path, 4, x0=31), "--db", as_role)
        assert code == DatabaseUnavailable.exit_code, err
        assert f"permission denied for role {role} on table" in err
        assert "nothing was changed" in err
        assert _count(url) == 2
    finally:
        admin.execute(f'DROP OWNED BY "{role}"')
        admin.execute(f'DROP ROLE "{role}"')


def test_an_empty_database_names_init(pg_cluster, postgis_url, run):
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    code, _, err = run("hazards", "list", "--db", postgis_url)
    assert code == DatabaseUnavailable.exit_code
    assert "has no clearground schema: run" in err and "init`" in err


# --- two imports racing: a real deadlock, retried ------------------------------------------------


def test_two_imports_that_deadlock_are_retried_and_both_import_wholly(pgdb, tmp_path, monkeypatch):
    """Each import, on its first attempt, takes two locks in the opposite order of the other,
    after both hold their first: PostgreSQL detects the deadlock and aborts one; it runs again
    (store/retry.py) and both files end up imported, each wholly and once."""
    from clearground.services.hazards import import_hazards
    from clearground.store.postgis import PostgisTransaction

    cluster, url, admin = pgdb
    files = [_hazards(tmp_path, 30, name=f"h{i}.geojson", x0=30 + i) for i in range(2)]
    real = PostgisTransaction.next_ids
    both_hold_one = threading.Barrier(2)
    calls: dict[str, int] = {}

    def crossing(self, kind, n):
        name = threading.current_thread().name
        calls[name] = calls.get(name, 0) + 1
        if calls[name] == 1:
            first, second = ("a", "b") if name == "import-0" else ("b", "a")
            self.lock(first)
            both_hold_one.wait(timeout=10)
            self.lock(second)
        return real(self, kind, n)

    monkeypatch.setattr(PostgisTransaction, "next_ids", crossing)
    results: dict[int, object] = {}

    def one(i: int) -> None:
        s = open_store(url)
        try:
            results[i] = import_hazards(s, files[i], author="t").count
        except BaseException as exc:
            results[i] = exc
        finally:
            s.close()

    threads = [threading.Thread(target=one, args=(i,), name=f"import-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert results == {0: 30, 1: 30}
    assert sorted(calls.values()) == [1, 2]  # one of them ran twice
    assert _count(url) == 60
    with psycopg.connect(url) as conn:  # every id once
        assert conn.execute(f"SELECT count(DISTINCT id) FROM {PG_TABLE}").fetchone()[0] == 60


def test_a_deadlock_retried_to_the_bound_is_reported_with_exit_5():
    """The bound: a use case that keeps losing is reported after ``ATTEMPTS`` runs."""
    from psycopg import errors as pgerrors

    from clearground.domain.errors import TransactionAborted
    from clearground.store import errors
    from clearground.store.retry import ATTEMPTS, retrying

    runs: list[int] = []

    @retrying
    def use_case() -> None:
        runs.append(1)
        raise errors.from_psycopg(
            pgerrors.DeadlockDetected("deadlock detected"), "postgresql://h/d"
        )

    with pytest.raises(TransactionAborted) as caught:
        use_case()
    assert len(runs) == ATTEMPTS == 3
    assert caught.value.exit_code == DatabaseUnavailable.exit_code
    assert "(a deadlock)" in caught.value.message and "(tried 3 times)" in caught.value.message


# --- the server restarted or stopped: a cluster of this module's own -----------------------------


@pytest.fixture(scope="module")
def own_cluster(pg_cluster):
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    from tests.pgcluster import PgCluster

    cluster = PgCluster()
    try:
        cluster.start()
    except Exception as exc:
        cluster.stop()
        pytest.fail(f"a second cluster could not be started: {exc}")
    yield cluster
    cluster.stop()


@pytest.fixture
def own_db(own_cluster, run, request):
    from tests.pgcluster import schema_name

    schema = schema_name(request.node.nodeid)
    own_cluster.reset_schema(schema)
    # the test clusters commit asynchronously; an immediate stop must not lose a commit here
    url = _with_options(own_cluster, schema, synchronous_commit="on")
    assert run("init", "--db", url)[0] == 0
    yield own_cluster, url
    with contextlib.suppress(Exception):
        own_cluster.server("start")
    own_cluster.reset_schema(schema, create=False)


def test_a_server_restart_between_reads_and_writes_is_survived(own_db, run, tmp_path):
    cluster, url = own_db
    assert run("import", "hazards", _hazards(tmp_path, 3), "--db", url)[0] == 0
    s = open_store(url)
    try:
        ids = [v.id for v in s.list("hazard")]
        with s.transaction() as tx:
            tx.commit()
        cluster.server("restart", mode="fast")
        assert [v.id for v in s.list("hazard")] == ids
        with s.transaction() as tx:
            assert tx.existing_ids("hazard", ids) == set(ids)
            tx.commit()
    finally:
        s.close()


def test_an_immediate_stop_mid_import_exits_5_and_nothing_is_imported(
    own_db, run, tmp_path, monkeypatch
):
    cluster, url = own_db
    _strike_before(monkeypatch, "insert", lambda tx: cluster.server("stop", mode="immediate"))
    code, _, err = run("import", "hazards", _hazards(tmp_path, 10), "--db", url)
    assert code == DatabaseUnavailable.exit_code, err
    assert "nothing was changed" in err
    monkeypatch.undo()
    code, _, err = run("hazards", "list", "--db", url)  # the server is down
    assert code == DatabaseUnavailable.exit_code and "cannot connect" in err
    cluster.server("start")
    assert _count(url) == 0
    assert run("import", "hazards", _hazards(tmp_path, 10), "--db", url)[0] == 0
    assert _count(url) == 10


# --- a full disk (a small tmpfs) -----------------------------------------------------------------


@pytest.fixture
def small_disk():
    """A 4 MiB tmpfs, or a skip saying why there cannot be one."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        pytest.skip("disk-full tests mount a small tmpfs, which needs root (mount -t tmpfs)")
    where = Path(tempfile.mkdtemp(prefix="clearground-small-disk-"))
    proc = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m,mode=0777", "tmpfs", str(where)],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        where.rmdir()
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    yield where
    subprocess.run(["umount", "-l", str(where)], check=False)
    with contextlib.suppress(OSError):
        where.rmdir()


def test_a_full_disk_under_sqlite_exits_5_and_keeps_what_it_had(small_disk, run, tmp_path):
    db = small_disk / "a.db"
    assert run("init", "--db", db)[0] == 0
    assert run("import", "hazards", _hazards(tmp_path, 2, name="few.geojson"), "--db", db)[0] == 0
    code, _, err = run("import", "hazards", _hazards(tmp_path, 3000, notes=2000), "--db", db)
    assert code == DatabaseUnavailable.exit_code, err
    assert "the disk is full" in err
    code, out, _ = run("hazards", "list", "--format", "json", "--db", db)
    assert code == 0 and out.count('"id": "HA-') == 2


def test_a_full_disk_under_postgresql_exits_5_and_keeps_what_it_had(
    small_disk, pg_cluster, postgis_url, run, tmp_path
):
    if isinstance(pg_cluster, str):
        feature_assert_or_skip(False, pg_cluster)
    schema = postgis_url.rsplit("application_name=", 1)[1]
    space = f"small_{uuid.uuid4().hex[:8]}"
    (small_disk / "pg").mkdir()
    shutil.chown(small_disk / "pg", "postgres" if os.geteuid() == 0 else None)
    admin = _admin(pg_cluster.url())
    admin.execute(f"CREATE TABLESPACE {space} LOCATION '{small_disk / 'pg'}'")
    try:
        url = _with_options(pg_cluster, schema, default_tablespace=space)
        assert run("init", "--db", url)[0] == 0
        assert (
            run("import", "hazards", _hazards(tmp_path, 2, name="few.geojson"), "--db", url)[0] == 0
        )
        code, _, err = run("import", "hazards", _hazards(tmp_path, 3000, notes=2000), "--db", url)
        assert code == DatabaseUnavailable.exit_code, err
        assert "disk is full" in err and "nothing was changed" in err
        assert _count(url) == 2
    finally:
        pg_cluster.reset_schema(schema)  # the tables go before their tablespace
        admin.execute(f"DROP TABLESPACE {space}")
        admin.close()


# --- Ctrl-C: a real SIGINT to a real process waiting for a lock ----------------------------------


def _interrupt_when_waiting(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    src = Path(__file__).resolve().parents[2] / "src"
    env = {
        **os.environ,
        **env,
        "PYTHONPATH": f"{src}{os.pathsep}{os.environ.get('PYTHONPATH', '')}",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "clearground.cli", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    lines: list[str] = []
    waiting = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "waiting for the database" in line:
                waiting.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert waiting.wait(30), "".join(lines)
        proc.send_signal(signal.SIGINT)
        code = proc.wait(30)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(5)
    return code, "".join(lines)


def test_ctrl_c_while_waiting_for_a_sqlite_lock_says_nothing_was_changed(tmp_path, run):
    import sqlite3

    db = tmp_path / "a.db"
    assert run("init", "--db", db)[0] == 0
    other = sqlite3.connect(db, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, err = _interrupt_when_waiting(
            ["import", "hazards", str(_hazards(tmp_path, 2)), "--db", str(db)],
            {"CLEARGROUND_AUTHOR": "tester", "CLEARGROUND_BUSY_TIMEOUT": "60"},
        )
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 130, err
    assert "interrupted: nothing was changed" in err and "Traceback" not in err
    assert run("hazards", "list", "--db", db)[1].strip() == "[]"


def test_ctrl_c_while_waiting_for_a_postgresql_lock_says_nothing_was_changed(pgdb, tmp_path):
    cluster, url, admin = pgdb
    schema = url.rsplit("application_name=", 1)[1]
    admin.execute("BEGIN")
    admin.execute(f'LOCK TABLE "{schema}".sequences IN ACCESS EXCLUSIVE MODE')
    try:
        code, err = _interrupt_when_waiting(
            ["import", "hazards", str(_hazards(tmp_path, 2)), "--db", url],
            {"CLEARGROUND_AUTHOR": "tester", "CLEARGROUND_BUSY_TIMEOUT": "60"},
        )
    finally:
        admin.execute("ROLLBACK")
    assert code == 130, err
    assert "holds table" in err and "sequences" in err
    assert "interrupted: nothing was changed" in err and "Traceback" not in err
    assert _count(url) == 0


# --- passwords -----------------------------------------------------------------------------------


def test_a_password_libpq_would_misread_is_refused_without_showing_it(run):
    code, _, err = run("hazards", "list", "--db", "postgresql://u:p@ssW0rd@127.0.0.1:1/x")
    assert code == BadInput.exit_code
    assert "%40" in err and "ssW0rd" not in err and "p@ss" not in err
