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
from itertools import repeat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from clearground.domain.errors import BadInput, Conflict, DatabaseUnavailable, NotFound
from clearground.store import accounts, errors, gpkg, grid, ledger, waits
from clearground.store.base import (
    Event,
    Version,
    after,
    chunks,
    highest_number,
    nearest,
    now_utc,
)
from clearground.store.mapping import KINDS, loads, mapping_for, payloads_json
from clearground.store.migrations import MIGRATIONS, apply_pending

__all__ = ["SqliteStore"]

_COLUMNS = "id, version, valid_from, author, reason, deleted, payload, geom"
_BOUNDS = "minx, miny, maxx, maxy"


def _version(kind: str, row: tuple) -> Version:
    id_, version, valid_from, author, reason, deleted, payload, geom = row
    record = None
    if not deleted:
        record = mapping_for(kind).from_row(id_, loads(payload), gpkg.decode_one(geom))
    return Version(kind, id_, version, valid_from, author, reason, bool(deleted), record)


def _versions(kind: str, rows: list[tuple]) -> list[Version]:
    """Versions of many rows, geometry decoded in one vectorised call."""
    if not rows:
        return []
    from_row = mapping_for(kind).from_row
    geoms = gpkg.decode([r[7] for r in rows])
    out = []
    for row, geom in zip(rows, geoms, strict=True):
        id_, version, valid_from, author, reason, deleted, payload, _ = row
        record = None if deleted else from_row(id_, loads(payload), geom)
        out.append(Version(kind, id_, version, valid_from, author, reason, bool(deleted), record))
    return out


class SqliteTransaction:
    """Writes of one use case on the writer connection, inside ``BEGIN IMMEDIATE``."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self.time = now_utc()
        self.committed = False
        self._issued: dict[str, set[str]] = {}  # ids given out by next_ids, by kind
        self.committing = False

    def lock(self, name: str) -> None:
        """Nothing to take: ``BEGIN IMMEDIATE`` already makes this the only writer."""

    def next_ids(self, kind: str, n: int) -> list[str]:
        m = mapping_for(kind)
        row = self._conn.execute(
            "SELECT last_value FROM sequences WHERE kind = ?", (kind,)
        ).fetchone()
        start = row[0] if row else 0
        self._conn.execute(
            "INSERT INTO sequences (kind, last_value) VALUES (?, ?) "
            "ON CONFLICT (kind) DO UPDATE SET last_value = excluded.last_value",
            (kind, start + n),
        )
        ids = [f"{m.prefix}-{i:06d}" for i in range(start + 1, start + n + 1)]
        self._issued.setdefault(kind, set()).update(ids)
        return ids

    def existing_ids(self, kind: str, record_ids: Sequence[str]) -> set[str]:
        table = mapping_for(kind).table
        found: set[str] = set()
        for part in chunks(list(record_ids), 500):
            marks = ",".join("?" * len(part))
            found.update(
                r[0]
                for r in self._conn.execute(
                    f"SELECT DISTINCT id FROM {table}_versions WHERE id IN ({marks})", part
                )
            )
        return found

    def insert(self, kind: str, records: Sequence[Any], *, author: str, reason: str) -> None:
        """Insert new records as version 1, in bulk; refuses ids that already exist."""
        if not records:
            return
        table = mapping_for(kind).table
        # Ids this transaction took from the sequence are past every stored one (an insert moves
        # the sequence past the ids it is given): only the others need looking up. The unique
        # index on (id, version) stands behind this in any case.
        issued = self._issued.get(kind, set())
        given = [r.id for r in records if r.id not in issued]
        clash = self.existing_ids(kind, given)
        if clash:
            raise BadInput(f"{kind} ids already exist: {', '.join(sorted(clash)[:10])}")
        cur = self._conn.execute(f"SELECT coalesce(max(fid), 0) FROM {table}_versions")
        first = cur.fetchone()[0] + 1
        sql = (
            f"INSERT INTO {table}_versions (fid, {_COLUMNS}, is_current, {_BOUNDS}) "
            "VALUES (?, ?, 1, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?, ?)"
        )

        def prepare(part: Sequence[Any], start: int) -> tuple[list[tuple], np.ndarray, np.ndarray]:
            ids = [r.id for r in part]
            blobs, bounds = gpkg.encode([r.geometry for r in part])
            fids = np.arange(start, start + len(part), dtype=np.int64)
            rows = list(
                zip(
                    fids.tolist(),
                    ids,
                    repeat(self.time),
                    repeat(author),
                    repeat(reason),
                    payloads_json(kind, part),
                    blobs,
                    *bounds.T.tolist(),
                    strict=False,
                )
            )
            return rows, bounds, fids

        # Part by part, in this thread: preparing rows in another thread while SQLite writes
        # was slower, as each row's bind then waits for the other thread to give up the GIL.
        size = 10_000
        for k in range(0, len(records), size):
            rows, bounds, fids = prepare(records[k : k + size], first + k)
            self._conn.executemany(sql, rows)
            self._index(table, bounds, fids)
        highest = highest_number(mapping_for(kind).prefix, given)
        if highest:
            self._conn.execute(
                "INSERT INTO sequences (kind, last_value) VALUES (?, ?) ON CONFLICT (kind) "
                "DO UPDATE SET last_value = max(last_value, excluded.last_value)",
                (kind, highest),
            )

    def _index(self, table: str, bounds: np.ndarray, fids: np.ndarray) -> None:
        located = np.isfinite(bounds).all(axis=1)  # records without a place are not indexed
        cells, owners = grid.cells_of(bounds[located], fids[located])
        self._conn.executemany(
            f"INSERT INTO {table}_cells (cell, fid) VALUES (?, ?)",
            zip(cells.tolist(), owners.tolist(), strict=True),
        )

    def _current(self, table: str, record_id: str) -> tuple[int, int, bool, str] | None:
        return self._conn.execute(
            f"SELECT fid, version, deleted, valid_from FROM {table}_versions "
            "WHERE id = ? AND is_current = 1",
            (record_id,),
        ).fetchone()

    def _supersede(self, kind: str, record_id: str, expected_version: int) -> tuple[str, int, str]:
        """Mark the current version superseded; return the table, the new version number and
        its ``valid_from``: this transaction's time, but always after the version it replaces
        (a clock set back must not put versions out of order, which ``as_of`` relies on)."""
        table = mapping_for(kind).table
        cur = self._current(table, record_id)
        if cur is None or cur[2]:
            raise NotFound(f"{kind} {record_id} not found")
        if cur[1] != expected_version:
            raise Conflict(
                f"{kind} {record_id} is at version {cur[1]}, not {expected_version}: it was "
                "changed since you read it; read it again and repeat your change"
            )
        self._conn.execute(f"UPDATE {table}_versions SET is_current = 0 WHERE fid = ?", (cur[0],))
        return table, cur[1] + 1, after(cur[3], self.time)

    def update(
        self, kind: str, record: Any, *, expected_version: int, author: str, reason: str
    ) -> int:
        table, new, valid_from = self._supersede(kind, record.id, expected_version)
        blobs, bounds = gpkg.encode([record.geometry])
        cur = self._conn.execute(
            f"INSERT INTO {table}_versions ({_COLUMNS}, is_current, {_BOUNDS}) "
            "VALUES (?, ?, ?, ?, ?, 0, ?, ?, 1, ?, ?, ?, ?)",
            (
                record.id,
                new,
                valid_from,
                author,
                reason,
                payloads_json(kind, [record])[0],
                blobs[0],
                *bounds[0].tolist(),
            ),
        )
        self._index(table, bounds, np.array([cur.lastrowid]))
        return new

    def delete(
        self, kind: str, record_id: str, *, expected_version: int, author: str, reason: str
    ) -> int:
        table, new, valid_from = self._supersede(kind, record_id, expected_version)
        self._conn.execute(
            f"INSERT INTO {table}_versions ({_COLUMNS}, is_current) "
            "VALUES (?, ?, ?, ?, ?, 1, NULL, NULL, 1)",
            (record_id, new, valid_from, author, reason),
        )
        return new

    def redact(self, kind: str, record_id: str, record: Any) -> int:
        """See ``Transaction.redact``: the content of every version becomes ``record``'s."""
        table = mapping_for(kind).table
        return self._conn.execute(
            f"UPDATE {table}_versions SET payload = ? WHERE id = ? AND deleted = 0",
            (payloads_json(kind, [record])[0], record_id),
        ).rowcount

    def get(self, kind: str, record_id: str) -> Version | None:
        table = mapping_for(kind).table
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = ? AND is_current = 1",
            (record_id,),
        ).fetchone()
        return _version(kind, row) if row else None

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Version]:
        table = mapping_for(kind).table
        rows: list[tuple] = []
        for part in chunks(sorted(set(record_ids)), 500):
            marks = ",".join("?" * len(part))
            rows += self._conn.execute(
                f"SELECT {_COLUMNS} FROM {table}_versions "
                f"WHERE is_current = 1 AND deleted = 0 AND id IN ({marks})",
                part,
            ).fetchall()
        return {v.id: v for v in _versions(kind, rows)}

    def add_events(self, events: Sequence[Any], *, author: str) -> None:
        self._conn.executemany(
            "INSERT INTO hazard_events (hazard_id, kind, evidence, at, author, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (e.hazard_id, e.kind, e.evidence, self.time, author, json.dumps(e.detail))
                for e in events
            ],
        )

    def restore_raw(self, kind: str, rows: Sequence[tuple]) -> None:
        """Insert versions exactly as dumped: (id, version, valid_from, author, reason, deleted,
        payload JSON text, WKB). The newest version of each id becomes current."""
        if not rows:
            return
        table = mapping_for(kind).table
        newest: dict[str, int] = {}
        for r in rows:
            newest[r[0]] = max(newest.get(r[0], 0), r[1])
        first = (
            self._conn.execute(f"SELECT coalesce(max(fid), 0) FROM {table}_versions").fetchone()[0]
            + 1
        )
        fids = np.arange(first, first + len(rows), dtype=np.int64)
        blobs, bounds = gpkg.encode_wkb([r[7] for r in rows])
        self._conn.executemany(
            f"INSERT INTO {table}_versions (fid, {_COLUMNS}, is_current, {_BOUNDS}) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    int(fid),
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    int(bool(r[5])),
                    r[6],
                    blob,
                    int(newest[r[0]] == r[1]),
                    *[None if v != v else v for v in b.tolist()],
                )
                for fid, r, blob, b in zip(fids, rows, blobs, bounds, strict=True)
            ],
        )
        live = np.array([b is not None for b in blobs], dtype=bool)
        self._index(table, bounds[live], fids[live])

    def holdings(self) -> list[str]:
        """The kinds (and ``events``) this database holds anything of, read inside this write
        transaction (``BEGIN IMMEDIATE``: no other writer can add any before it ends)."""
        held = [
            kind
            for kind, m in KINDS.items()
            if self._conn.execute(f"SELECT 1 FROM {m.table}_versions LIMIT 1").fetchone()
        ]
        if self._conn.execute("SELECT 1 FROM hazard_events LIMIT 1").fetchone():
            held.append("events")
        return held

    def restore_events(self, events: Sequence[Event]) -> None:
        self._conn.executemany(
            "INSERT INTO hazard_events (hazard_id, kind, evidence, at, author, detail) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (e.hazard_id, e.kind, e.evidence, e.at, e.author, json.dumps(e.detail))
                for e in events
            ],
        )

    def set_sequence(self, kind: str, last_value: int) -> None:
        self._conn.execute(
            "INSERT INTO sequences (kind, last_value) VALUES (?, ?) "
            "ON CONFLICT (kind) DO UPDATE SET last_value = excluded.last_value",
            (kind, last_value),
        )

    def find_imports(self, kind: str, checksum: str, layer: str) -> list[ledger.LedgerEntry]:
        return ledger.find_imports(self._conn, "?", kind, checksum, layer)

    def record_import(self, entry: ledger.LedgerEntry) -> None:
        ledger.record_import(self._conn, "?", entry)

    # -- accounts (migration 14; the SQL is store/accounts.py) ---------------------------------

    def user(self, name: str) -> Any:
        return accounts.get_user(self._conn, "?", name)

    def add_user(self, user: Any) -> None:
        accounts.add_user(self._conn, "?", user)

    def disable_user(self, name: str, *, at: str, by: str) -> None:
        accounts.disable_user(self._conn, "?", name, at, by)

    def token(self, token_id: int) -> Any:
        return accounts.get_token(self._conn, "?", token_id)

    def add_token(self, name: str, user: str, token_hash: str, *, at: str, by: str) -> int:
        return accounts.add_token(self._conn, "?", name, user, token_hash, at, by)

    def revoke_token(self, token_id: int, *, at: str, by: str) -> None:
        accounts.revoke_token(self._conn, "?", token_id, at, by)

    def touch_token(self, token_id: int, at: str) -> None:
        accounts.touch_token(self._conn, "?", token_id, at)

    def add_session(self, token_hash: str, user: str, *, at: str, expires_at: str) -> None:
        accounts.add_session(self._conn, "?", token_hash, user, at, expires_at)

    def end_session(self, token_hash: str, at: str) -> None:
        accounts.end_session(self._conn, "?", token_hash, at)

    def add_account_event(self, event: Any) -> None:
        accounts.add_account_event(self._conn, "?", event)

    def commit(self) -> None:
        self.committing = True
        self._conn.execute("COMMIT")
        self.committed = True
        self.committing = False


class SqliteStore:
    """A clearground database in one SQLite file."""

    engine = "sqlite"

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

    def count(self, kind: str) -> int:
        table = mapping_for(kind).table
        with self._reader() as conn:
            return conn.execute(
                f"SELECT count(*) FROM {table}_versions WHERE is_current = 1 AND deleted = 0"
            ).fetchone()[0]

    def close(self) -> None:
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
