"""The embedded engine: stdlib sqlite3, WAL, one writer, geometry as GeoPackage blobs.

All writes go through one connection with ``BEGIN IMMEDIATE``; reads open their own connections,
so readers never wait for a writer (WAL). Exact spatial predicates run in shapely on candidates
found by the grid index of bounding boxes. The file is a GeoPackage (see store/gpkg.py).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from clearground.domain.errors import DatabaseUnavailable
from clearground.store import accounts, errors, gpkg, grid, ledger, tally, waits
from clearground.store.base import Event, Version, nearest
from clearground.store.mapping import mapping_for
from clearground.store.migrations import MIGRATIONS, apply_pending
from clearground.store.sqlite_writes import _COLUMNS, SqliteTransaction, _version, _versions
from clearground.store.versions import SqliteVersions
from clearground.store.where import Where, where_sql

__all__ = ["SqliteStore"]


class SqliteStore:
    """A clearground database in one SQLite file."""

    engine = "sqlite"
    #: ``data_versions`` reads a pragma of the local file: no network, microseconds.
    local_versions = True

    def __init__(
        self, path: str | Path, *, url: str | None = None, busy_timeout: float = 30.0
    ) -> None:
        self.path = Path(path)
        self.url = url or f"sqlite:///{path}"
        self.busy_timeout = busy_timeout
        if not self.path.parent.exists():
            raise DatabaseUnavailable(f"{self.url}: folder {self.path.parent} does not exist")
        self._lock = threading.Lock()
        self._local = threading.local()
        self._readers: list[sqlite3.Connection] = []
        self._writer: sqlite3.Connection | None = None
        self._schema_ok = False
        self._versions = SqliteVersions(self._connect, self.data_version)
        #: Transactions committed, and whether the last one ended inside COMMIT (Ctrl-C).
        self.commits = 0
        self.commit_unknown = False
        if self.path.exists():  # a missing file is made by ``migrate()`` (init) only
            self._writer = self._open_writer(create=False)

    def _error(self, exc: sqlite3.Error) -> DatabaseUnavailable:
        return errors.from_sqlite(exc, self.url, busy_timeout=self.busy_timeout)

    def _open_writer(self, *, create: bool) -> sqlite3.Connection:
        writer = self._connect(create=create)
        try:
            # 8 KiB pages for a new file (ignored for an existing one): fewer, fuller pages make
            # bulk imports and their commit faster than the 4 KiB default.
            writer.execute("PRAGMA page_size = 8192")
            writer.execute("PRAGMA journal_mode = WAL")
        except sqlite3.Error as exc:
            writer.close()
            raise self._error(exc) from exc
        return writer

    def _connect(self, *, create: bool = False) -> sqlite3.Connection:
        """A connection to the file; only ``create`` (init) may make it if it is not there:
        ``mode=rw`` refuses a missing file instead of leaving an empty one behind."""
        if not create and not self.path.exists():
            raise errors.missing(self.url)
        uri = f"file:{quote(str(self.path.absolute()))}?mode={'rwc' if create else 'rw'}"
        try:
            conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            conn.execute(f"PRAGMA busy_timeout = {max(0, round(self.busy_timeout * 1000))}")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA cache_size = -131072")  # up to 128 MiB: bulk imports, big indexes
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        return conn

    def _writer_conn(self, *, create: bool = False) -> sqlite3.Connection:
        """The writer connection, opened on first use; call with ``_lock`` held."""
        if self._writer is None:
            self._writer = self._open_writer(create=create)
        return self._writer

    def _begin(self, conn: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, waiting at most ``busy_timeout`` for another writer, in short
        slices: between them Ctrl-C is seen at once and a long wait is reported (waits.py)."""
        start = time.monotonic()
        deadline, told = start + self.busy_timeout, -1e9
        full = max(0, round(self.busy_timeout * 1000))
        try:
            while True:
                part = max(0, min(250, round((deadline - time.monotonic()) * 1000)))
                conn.execute(f"PRAGMA busy_timeout = {part}")
                try:
                    conn.execute("BEGIN IMMEDIATE")
                    return
                except sqlite3.OperationalError as exc:
                    code = (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF
                    busy = code in (5, 6) or "database is locked" in str(exc)
                    now = time.monotonic()
                    if not busy or now >= deadline:
                        raise
                    if now - start >= waits.NOTICE_AFTER and now - told >= waits.REPEAT_EVERY:
                        waits.report(
                            "another program or clearground command is writing to the file",
                            now - start,
                            self.busy_timeout,
                        )
                        told = now
        finally:
            with contextlib.suppress(sqlite3.Error):
                conn.execute(f"PRAGMA busy_timeout = {full}")

    @contextmanager
    def _raw_reader(self) -> Iterator[sqlite3.Connection]:
        """This thread's read connection (opened once): reads never wait for the writer (WAL).
        Driver errors leave as ``DatabaseUnavailable`` messages."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
            with self._lock:
                self._readers.append(conn)
        try:
            yield conn
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    @contextmanager
    def _reader(self) -> Iterator[sqlite3.Connection]:
        """A read connection on a database whose schema this clearground knows."""
        self.require_schema()
        with self._raw_reader() as conn:
            yield conn

    # -- schema ---------------------------------------------------------------------------------

    def schema_version(self) -> int:
        with self._raw_reader() as conn:
            return _schema_version(conn)

    def migrate(self, *, target: int | None = None, create: bool = True) -> list[int]:
        """Apply every migration not yet applied (up to ``target``); return their numbers.

        Only here is a missing file made (``create``); a schema newer than this clearground
        knows is refused, never written to."""
        with self._lock:
            if not create and not self.path.exists():
                raise errors.missing(self.url)
            conn = self._writer_conn(create=create)
            try:
                self._begin(conn)
                try:
                    found = _schema_version(conn)
                    if found > MIGRATIONS[-1].number:
                        raise errors.newer_schema(self.url, found, MIGRATIONS[-1].number)
                    applied = apply_pending(conn, "sqlite", target)
                    conn.execute("COMMIT")
                except BaseException:
                    if conn.in_transaction:
                        with contextlib.suppress(sqlite3.Error):
                            conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            if applied:
                # GDAL tells a GeoPackage by the file's header (application_id), which a new
                # file has only once the WAL is copied back into it.
                conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
        return applied

    def require_schema(self) -> None:
        """Refuse, once per store, a file without the schema or with a newer one than known."""
        if self._schema_ok:
            return
        found = self.schema_version()
        if found == 0:
            raise errors.no_schema(self.url)
        if found > MIGRATIONS[-1].number:
            raise errors.newer_schema(self.url, found, MIGRATIONS[-1].number)
        self._schema_ok = True

    # -- writes ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[SqliteTransaction]:
        """One use case's writes: rolled back unless ``commit()`` is called, and on any error."""
        self.require_schema()
        with self._lock:
            writer = self._writer_conn()
            try:
                self._begin(writer)
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            tx = SqliteTransaction(writer)
            try:
                yield tx
            except sqlite3.Error as exc:
                raise self._error(exc) from exc
            finally:
                self.commits += tx.committed
                self.commit_unknown = tx.committing and not tx.committed
                # SQLite may have rolled back already (a full disk does that)
                if not tx.committed and writer.in_transaction:
                    with contextlib.suppress(sqlite3.Error):
                        writer.execute("ROLLBACK")

    # -- reads ----------------------------------------------------------------------------------

    def get(self, kind: str, record_id: str, *, as_of: str | None = None) -> Version | None:
        table = mapping_for(kind).table
        with self._reader() as conn:
            if as_of is None:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = ? AND is_current = 1",
                    (record_id,),
                ).fetchone()
            else:
                row = conn.execute(
                    f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = ? AND valid_from <= ? "
                    "ORDER BY version DESC LIMIT 1",
                    (record_id, as_of),
                ).fetchone()
        if row is None or row[5]:
            return None
        return _version(kind, row)

    def list(self, kind: str, *, as_of: str | None = None) -> list[Version]:
        table = mapping_for(kind).table
        with self._reader() as conn:
            if as_of is None:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM {table}_versions "
                    "WHERE is_current = 1 AND deleted = 0 ORDER BY id"
                ).fetchall()
            else:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM {table}_versions v WHERE valid_from <= ?1 AND "
                    f"version = (SELECT max(version) FROM {table}_versions w "
                    "WHERE w.id = v.id AND w.valid_from <= ?1) AND deleted = 0 ORDER BY id",
                    (as_of,),
                ).fetchall()
        return _versions(kind, rows)

    def list_page(
        self, kind: str, *, limit: int, offset: int = 0, after: str | None = None
    ) -> list[Version]:
        """``limit`` current records of ``kind`` in id order, from ``offset`` or after id
        ``after``: a page without reading the others (ids compare as Python strings do)."""
        table = mapping_for(kind).table
        where = "is_current = 1 AND deleted = 0" + (" AND id > ?" if after is not None else "")
        args = ([after] if after is not None else []) + [limit, offset]
        with self._reader() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE {where} ORDER BY id "
                "LIMIT ? OFFSET ?",
                args,
            ).fetchall()
        return _versions(kind, rows)

    def history(self, kind: str, record_id: str) -> list[Version]:
        table = mapping_for(kind).table
        with self._reader() as conn:
            rows = conn.execute(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = ? ORDER BY version",
                (record_id,),
            ).fetchall()
        return _versions(kind, rows)

    def in_bbox(
        self, kind: str, bounds: tuple[float, float, float, float], *, as_of: str | None = None
    ) -> list[Version]:
        """Records whose bounding box meets ``bounds`` (minx, miny, maxx, maxy): candidates only."""
        table = mapping_for(kind).table
        minx, miny, maxx, maxy = (float(v) for v in bounds)
        ranges = grid.query_ranges((minx, miny, maxx, maxy))
        values = ",".join("(?, ?)" for _ in ranges)
        candidates = (
            f"WITH q(lo, hi) AS (VALUES {values}) "
            f"SELECT c.fid FROM q JOIN {table}_cells c ON c.cell BETWEEN q.lo AND q.hi"
        )
        box = "minx <= ? AND maxx >= ? AND miny <= ? AND maxy >= ?"
        args = [v for r in ranges for v in r] + [maxx, minx, maxy, miny]
        with self._reader() as conn:
            if as_of is None:
                rows = conn.execute(
                    f"SELECT {_COLUMNS} FROM {table}_versions WHERE fid IN ({candidates}) "
                    f"AND {box} AND is_current = 1 AND deleted = 0 ORDER BY id",
                    args,
                ).fetchall()
                return _versions(kind, rows)
            ids = [
                r[0]
                for r in conn.execute(
                    f"SELECT DISTINCT id FROM {table}_versions WHERE fid IN ({candidates}) "
                    f"AND {box}",
                    args,
                )
            ]
        found = [self.get(kind, i, as_of=as_of) for i in sorted(ids)]
        return [
            v
            for v in found
            if v is not None and _meets(v.record.geometry.bounds, (minx, miny, maxx, maxy))
        ]

    def within_distance(
        self, kind: str, geometry: Any, metres: float, *, as_of: str | None = None
    ) -> list[tuple[Version, float]]:
        """Records within ``metres`` of ``geometry`` with their distance, nearest first: the
        grid index gives candidates, shapely the exact answer on geometries densified in lon/lat
        (see analysis.proximity), the same step as on PostGIS."""
        from clearground.analysis.proximity import degree_margin

        margin = degree_margin(geometry.bounds, metres)
        return nearest(self.in_bbox(kind, margin, as_of=as_of), geometry, metres)

    def list_where(
        self,
        kind: str,
        where: Where,
        *,
        limit: int | None,
        offset: int = 0,
        as_of: str | None = None,
    ) -> tuple[list[Version], int]:
        """One page (``limit`` from ``offset``, in id order) of the current (or ``as_of``)
        records of ``kind`` that meet ``where``, and how many meet it: filtered in SQL, only
        the page's rows decoded."""
        table = mapping_for(kind).table
        cond, args = where_sql("sqlite", where)
        if as_of is None:
            base = f"FROM {table}_versions WHERE is_current = 1 AND deleted = 0 AND {cond}"
        else:
            base = (
                f"FROM {table}_versions v WHERE valid_from <= ? AND version = (SELECT "
                f"max(version) FROM {table}_versions w WHERE w.id = v.id AND w.valid_from <= ?) "
                f"AND deleted = 0 AND {cond}"
            )
            args = [as_of, as_of, *args]
        with self._reader() as conn:
            (matched,) = conn.execute(f"SELECT count(*) {base}", args).fetchone()
            rows = conn.execute(
                f"SELECT {_COLUMNS} {base} ORDER BY id LIMIT ? OFFSET ?",
                [*args, -1 if limit is None else limit, offset],
            ).fetchall()
        return _versions(kind, rows), matched

    def events(self, hazard_id: str) -> list[Event]:
        with self._reader() as conn:
            rows = conn.execute(
                "SELECT hazard_id, kind, evidence, at, author, detail FROM hazard_events "
                "WHERE hazard_id = ? ORDER BY seq",
                (hazard_id,),
            ).fetchall()
        return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

    def raw_versions(self, kind: str) -> list[tuple]:
        """Every version of every record as stored, ordered by id and version (for dumps), with
        the geometry as WKB (the GeoPackage header taken off), as the PostGIS engine gives it."""
        with self._reader() as conn:
            return _raw_versions(conn, kind)

    def all_events(self) -> list[Event]:
        with self._reader() as conn:
            return _all_events(conn)

    def sequences(self) -> dict[str, int]:
        with self._reader() as conn:
            return _sequences(conn)

    def imports(
        self, *, kind: str | None = None, checksum: str = "", layer: str = ""
    ) -> list[ledger.LedgerEntry]:
        """The import ledger, oldest first; with ``kind``, the imports of that content only."""
        with self._reader() as conn:
            if kind is not None:
                return ledger.find_imports(conn, "?", kind, checksum, layer)
            return ledger.list_imports(conn)

    # -- accounts (migration 14; the SQL is store/accounts.py) ---------------------------------

    def users(self) -> list[Any]:
        with self._reader() as conn:
            return accounts.list_users(conn)

    def user(self, name: str) -> Any:
        with self._reader() as conn:
            return accounts.get_user(conn, "?", name)

    def tokens(self) -> list[Any]:
        with self._reader() as conn:
            return accounts.list_tokens(conn)

    def token_by_hash(self, token_hash: str) -> Any:
        with self._reader() as conn:
            return accounts.token_by_hash(conn, "?", token_hash)

    def session(self, token_hash: str) -> Any:
        with self._reader() as conn:
            return accounts.get_session(conn, "?", token_hash)

    def account_events(self) -> list[Any]:
        with self._reader() as conn:
            return accounts.account_events(conn)

    @contextmanager
    def snapshot(self) -> Iterator[SqliteSnapshot]:
        """Reads of one read transaction on a connection of their own: in WAL mode every read
        sees the database as it was at the first one, whatever writers commit meanwhile."""
        self.require_schema()
        conn = self._connect()
        try:
            conn.execute("BEGIN")
            conn.execute("SELECT count(*) FROM sequences").fetchone()  # the snapshot starts here
            yield SqliteSnapshot(conn)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        finally:
            with contextlib.suppress(sqlite3.Error):
                if conn.in_transaction:
                    conn.execute("ROLLBACK")  # it wrote nothing
            conn.close()

    def data_version(self, kind: str) -> str:
        """Text that changes whenever a write of ``kind`` commits: the highest row id. Every
        write adds a row (a version or a tombstone), and SQLite's one writer at a time gives
        row ids in commit order, so the highest is new after each commit."""
        table = mapping_for(kind).table
        with self._reader() as conn:
            (top,) = conn.execute(f"SELECT max(fid) FROM {table}_versions").fetchone()
        return str(top or 0)

    def tally(
        self, kind: str, by: Sequence[str], sums: Sequence[str] = (), *, as_of: str | None = None
    ) -> list[tuple]:
        """Current (or ``as_of``) records counted by ``by`` with ``sums`` (store/tally.py)."""
        query = tally.sql("sqlite", kind, by, sums, as_of=as_of is not None)
        with self._reader() as conn:
            rows = conn.execute(query, () if as_of is None else (as_of,)).fetchall()
        return tally.sorted_groups(rows, len(by))

    def data_versions(self, kinds: Sequence[str]) -> dict[str, str]:
        """``data_version`` of each kind, cheaply (``store.versions``): re-read only after a
        commit by another connection."""
        return self._versions.versions(kinds)

    def change_token(self) -> int:
        """A value that changes with every commit to the file, by any connection or process
        (``PRAGMA data_version``): a warm path compares it instead of reading versions."""
        return self._versions.token()

    def count(self, kind: str) -> int:
        table = mapping_for(kind).table
        with self._reader() as conn:
            return conn.execute(
                f"SELECT count(*) FROM {table}_versions WHERE is_current = 1 AND deleted = 0"
            ).fetchone()[0]

    def close(self) -> None:
        self._versions.close()
        for conn in self._readers:
            conn.close()
        self._readers.clear()
        self._local = threading.local()
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class SqliteSnapshot:
    """What a dump reads, all in one read transaction (``SqliteStore.snapshot``)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn

    def raw_versions(self, kind: str) -> list[tuple]:
        return _raw_versions(self._conn, kind)

    def all_events(self) -> list[Event]:
        return _all_events(self._conn)

    def sequences(self) -> dict[str, int]:
        return _sequences(self._conn)

    def schema_version(self) -> int:
        return _schema_version(self._conn)

    def imports(self) -> list[ledger.LedgerEntry]:
        return ledger.list_imports(self._conn)


def _raw_versions(conn: sqlite3.Connection, kind: str) -> list[tuple]:
    table = mapping_for(kind).table
    rows = conn.execute(f"SELECT {_COLUMNS} FROM {table}_versions ORDER BY id, version").fetchall()
    wkb = gpkg.blobs_to_wkb([r[7] for r in rows])
    return [(*r[:7], w) for r, w in zip(rows, wkb, strict=True)]


def _all_events(conn: sqlite3.Connection) -> list[Event]:
    rows = conn.execute(
        "SELECT hazard_id, kind, evidence, at, author, detail FROM hazard_events ORDER BY seq"
    ).fetchall()
    return [Event(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]


def _sequences(conn: sqlite3.Connection) -> dict[str, int]:
    return dict(conn.execute("SELECT kind, last_value FROM sequences").fetchall())


def _schema_version(conn: sqlite3.Connection) -> int:
    """The highest migration recorded in the file (0 for a file without the schema)."""
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'schema_migrations'").fetchone()
    if not has:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


def _meets(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1]
