"""A database that is missing, newer, full, read-only or busy, on real engines: refused with a
``DatabaseUnavailable`` message that says why, and nothing is created, written or lost.
Also: a record's versions never go back in time, whatever the clock does."""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import sqlite3
import subprocess
import threading

import pytest

from clearground.domain.errors import DatabaseUnavailable
from clearground.store import open_store
from clearground.store.base import parse_as_of
from clearground.store.migrations import MIGRATIONS
from tests.helpers import hazard

KNOWN = MIGRATIONS[-1].number


def _insert(store, *records):
    with store.transaction() as tx:
        tx.insert("hazard", list(records), author="tester", reason="test")
        tx.commit()


# --- a missing database -------------------------------------------------------------------------


def test_opening_a_missing_file_creates_nothing_and_names_init(tmp_path):
    path = tmp_path / "nowhere.db"
    s = open_store(f"sqlite:///{path}")
    try:
        for use in (
            lambda: s.list("hazard"),
            lambda: s.get("hazard", "HA-1"),
            lambda: s.schema_version(),
            lambda: s.transaction().__enter__(),
            lambda: s.migrate(create=False),
        ):
            with pytest.raises(DatabaseUnavailable, match="no database there.*init"):
                use()
        assert list(tmp_path.iterdir()) == []
        with pytest.raises(DatabaseUnavailable, match="no database there"):
            open_store(f"sqlite:///{path}", require_schema=True)
        assert list(tmp_path.iterdir()) == []
        assert s.migrate() == [m.number for m in MIGRATIONS]  # init: the one way to make it
        assert path.exists() and s.list("hazard") == []
    finally:
        s.close()


def test_an_empty_postgis_schema_is_refused_naming_init(postgis_url):
    with pytest.raises(DatabaseUnavailable, match="no clearground schema.*init"):
        open_store(postgis_url, require_schema=True)
    s = open_store(postgis_url)
    try:
        with pytest.raises(DatabaseUnavailable, match="no clearground schema.*init"):
            s.list("hazard")
    finally:
        s.close()


# --- a newer schema -----------------------------------------------------------------------------


def _record_future_migration(store, number: int) -> None:
    mark = "?" if store.engine == "sqlite" else "%s"
    if store.engine == "sqlite":
        conn = sqlite3.connect(store.path)
    else:
        import psycopg

        conn = psycopg.connect(store.url)
    with contextlib.closing(conn):
        conn.execute(
            f"INSERT INTO schema_migrations VALUES ({mark}, {mark}, {mark})",
            (number, "from the future", "2099-01-01T00:00:00.000000Z"),
        )
        conn.commit()


def test_a_newer_schema_is_refused_and_not_used(store_url):
    s = open_store(store_url)
    _insert(s, hazard("HA-1"))
    _record_future_migration(s, KNOWN + 5)
    s.close()
    want = f"made by a newer clearground \\(schema version {KNOWN + 5}, this one knows {KNOWN}\\)"
    with pytest.raises(DatabaseUnavailable, match=want):
        open_store(store_url, require_schema=True)
    s = open_store(store_url)
    try:
        with pytest.raises(DatabaseUnavailable, match=want):
            s.list("hazard")
        with pytest.raises(DatabaseUnavailable, match=want):
            s.transaction().__enter__()
        with pytest.raises(DatabaseUnavailable, match=want):
            s.migrate()  # no migration is applied over a schema it does not know
        assert s.schema_version() == KNOWN + 5
    finally:
        s.close()


# --- a full disk, a read-only file, a busy database ------------------------------------------


def test_a_full_database_is_refused_with_its_cause_and_keeps_what_it_had(sqlite_store):
    _insert(sqlite_store, hazard("HA-1"))
    # SQLite's own size limit on this connection: the write fails as on a full disk (SQLITE_FULL)
    pages = sqlite_store._writer.execute("PRAGMA page_count").fetchone()[0]
    sqlite_store._writer.execute(f"PRAGMA max_page_count = {pages}")
    many = [hazard(f"HA-{i}", lon=30 + i * 0.01, notes="x" * 2000) for i in range(2, 400)]
    with pytest.raises(DatabaseUnavailable, match="the disk is full.*nothing was written"):
        _insert(sqlite_store, *many)
    assert [v.id for v in sqlite_store.list("hazard")] == ["HA-1"]
    sqlite_store._writer.execute(f"PRAGMA max_page_count = {2**30}")
    _insert(sqlite_store, hazard("HA-2"))  # the store is usable again once there is room
    assert sqlite_store.count("hazard") == 2


@contextlib.contextmanager
def _read_only(path):
    """The file made read-only: by its mode, or (root ignores modes) by the immutable flag."""
    if os.geteuid() != 0:
        path.chmod(0o444)
        path.parent.chmod(0o555)
        try:
            yield
        finally:
            path.parent.chmod(0o755)
            path.chmod(0o644)
        return
    if shutil.which("chattr") is None:
        pytest.skip("running as root without chattr: no way to make a file read-only to root")
    done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"chattr +i refused here: {done.stderr.strip()}")
    try:
        yield
    finally:
        subprocess.run(["chattr", "-i", str(path)], check=True)


def test_a_read_only_file_is_read_and_refuses_writes_with_its_cause(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    url = f"sqlite:///{folder / 'x.db'}"
    s = open_store(url)
    s.migrate()
    _insert(s, hazard("HA-1"))
    s.close()
    with _read_only(folder / "x.db"):
        s = open_store(url, require_schema=True)
        try:
            assert [v.id for v in s.list("hazard")] == ["HA-1"]
            with pytest.raises(DatabaseUnavailable, match="read-only"):
                _insert(s, hazard("HA-2"))
        finally:
            s.close()


def test_a_lock_held_past_the_busy_timeout_is_refused_as_busy_sqlite(sqlite_store):
    other = sqlite3.connect(sqlite_store.path, isolation_level=None)
    s = open_store(sqlite_store.url, busy_timeout=0.1)
    try:
        other.execute("BEGIN EXCLUSIVE")
        with pytest.raises(DatabaseUnavailable, match=r"is busy.*within 0.1 s.*nothing was"):
            _insert(s, hazard("HA-1"))
        other.execute("ROLLBACK")
        _insert(s, hazard("HA-1"))
        assert s.count("hazard") == 1
    finally:
        other.close()
        s.close()


def test_a_lock_held_past_the_busy_timeout_is_refused_as_busy_postgis(postgis_url):
    import psycopg

    s = open_store(postgis_url, busy_timeout=0.2)
    s.migrate()
    try:
        with psycopg.connect(postgis_url) as other:
            other.execute("LOCK TABLE hazard_area_versions IN EXCLUSIVE MODE")
            with pytest.raises(DatabaseUnavailable, match=r"is busy.*within 0.2 s"):
                _insert(s, hazard("HA-1"))
            other.rollback()
        _insert(s, hazard("HA-1"))
        assert s.count("hazard") == 1
    finally:
        s.close()


# --- time -------------------------------------------------------------------------------------


def test_versions_never_go_back_in_time_when_the_clock_does(store, monkeypatch):
    engine = importlib.import_module(f"clearground.store.{store.engine}_writes")  # its clock
    clock = iter(
        [
            "2026-05-01T12:00:00.000000Z",  # insert
            "2026-05-01T11:00:00.000000Z",  # the clock went back an hour
            "2026-05-01T11:00:00.000000Z",  # and stands still
            "2026-05-01T13:00:00.000000Z",  # then on again
        ]
    )
    monkeypatch.setattr(engine, "now_utc", lambda: next(clock))
    _insert(store, hazard("HA-1"))
    for reason in ("back", "still"):
        with store.transaction() as tx:
            h = tx.get("hazard", "HA-1")
            tx.update("hazard", h.record, expected_version=h.version, author="t", reason=reason)
            tx.commit()
    with store.transaction() as tx:
        tx.delete("hazard", "HA-1", expected_version=3, author="t", reason="on")
        tx.commit()
    times = [v.valid_from for v in store.history("hazard", "HA-1")]
    assert times == [
        "2026-05-01T12:00:00.000000Z",
        "2026-05-01T12:00:00.000001Z",
        "2026-05-01T12:00:00.000002Z",
        "2026-05-01T13:00:00.000000Z",
    ]
    assert store.get("hazard", "HA-1", as_of="2026-05-01T12:00:00.000001Z").version == 2
    assert store.get("hazard", "HA-1") is None


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        ("2026-05-01", "2026-05-01T23:59:59.999999Z"),
        ("20260501", "2026-05-01T23:59:59.999999Z"),
        ("2026-W18-5", "2026-05-01T23:59:59.999999Z"),
        (" 2026-05-01 ", "2026-05-01T23:59:59.999999Z"),
        ("2026-05-01T12:00", "2026-05-01T12:00:00.000000Z"),
        ("2026-05-01T12:00:00+03:00", "2026-05-01T09:00:00.000000Z"),
        ("2026-05-01T12:00:00Z", "2026-05-01T12:00:00.000000Z"),
        ("9999-12-31T23:00:00-05:00", "9999-12-31T23:59:59.999999Z"),  # after all: the latest
        ("0001-01-01T00:30:00+05:00", "0001-01-01T00:00:00.000000Z"),  # before all: the first
    ],
)
def test_as_of_reads_a_date_alone_as_the_end_of_that_day_in_every_spelling(text, stored):
    assert parse_as_of(text) == stored


@pytest.mark.parametrize("text", ["2026-05-01 garbage", "2026-05-01Tnoon", "yesterday", ""])
def test_as_of_is_parsed_whole(text):
    from clearground.domain.errors import BadInput

    with pytest.raises(BadInput, match="not an ISO 8601"):
        parse_as_of(text)


# --- concurrency --------------------------------------------------------------------------------


def test_two_writers_on_one_lock_name_take_turns(store_url):
    """``Transaction.lock``: the second waits until the first commits, then sees its write."""
    a, b = open_store(store_url), open_store(store_url)
    seen: list[int] = []
    try:
        with a.transaction() as tx:
            tx.lock("queue")
            tx.insert("hazard", [hazard("HA-1")], author="a", reason="first")

            def second() -> None:
                with b.transaction() as tx2:
                    tx2.lock("queue")
                    seen.append(b.count("hazard"))
                    tx2.commit()

            t = threading.Thread(target=second)
            t.start()
            t.join(0.5)
            assert t.is_alive() and seen == []  # waiting for the lock
            tx.commit()
        t.join(30)
        assert seen == [1]
    finally:
        a.close()
        b.close()
