"""The server engine: PostgreSQL + PostGIS through psycopg 3.

Geometry lives in ``geometry(MultiPolygon, 4326)`` columns with GiST indexes, so QGIS and ArcGIS
can read the tables and views directly, and bounding-box searches use the index (``&&``).

Each store holds two connections: a writer, used by one transaction at a time (a lock, as the
SQLite engine's single writer), and an autocommit reader, so that reads never see a transaction's
uncommitted writes — the same visibility as the SQLite engine, whose reads use their own
connections. Optimistic concurrency is enforced by the database, not by Python: an update marks
the current row superseded only ``WHERE version = expected``; a racing transaction waits for the
row lock, finds no current row of that version and gets ``Conflict``.

psycopg is imported only here; ``open_store`` imports this module only for ``postgresql://`` URLs.
"""

from __future__ import annotations

import contextlib
import json
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
import shapely

from clearground.domain.errors import StoreError
from clearground.store import accounts, errors, ledger, strip_password, tally, waits
from clearground.store.base import Event, Version, nearest
from clearground.store.mapping import mapping_for
from clearground.store.migrations import MIGRATIONS, apply_pending
from clearground.store.postgis_writes import _COLUMNS, PostgisTransaction, _versions
from clearground.store.where import Where, where_sql

__all__ = ["PostgisStore"]

SRID = 4326
_ENVELOPE = "ST_MakeEnvelope(%s, %s, %s, %s, 4326)"
# Serialises concurrent ``migrate()`` calls on one schema (two processes starting at once).
_MIGRATE_LOCK = "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.clearground.migrate'))"


def _safe(url: str, text: str) -> str:
    """``text`` with every password form masked, for messages (``store.secrets.mask``)."""
    return strip_password(text)


# What a lock wait waits for, asked on a connection of the watcher's own (see store/waits.py).
_BLOCKER = (
    "SELECT b.pid, b.application_name, b.usename, "
    "(SELECT l.locktype || coalesce(' ' || l.relation::regclass::text, '') FROM pg_locks l "
    " WHERE l.pid = %s AND NOT l.granted LIMIT 1) "
    "FROM pg_stat_activity b WHERE b.pid = ANY(pg_blocking_pids(%s)) LIMIT 1"
)


def _blocker_text(row: tuple) -> str:
    pid, app, user, lock = row
    who = (
        f"another clearground command (session {pid}, user {user})"
        if (app or "").startswith("clearground")
        else f"session {pid} (user {user}{f', application {app}' if app else ''})"
    )
    kind, _, table = (lock or "").partition(" ")
    what = {
        "advisory": "clearground's write lock",
        "transactionid": "a record it is changing",
        "tuple": "a record it is changing",
        "relation": f"table {table}" if table else "a table",
    }.get(kind, "a lock")
    return f"{who} holds {what}, which this command needs"


def _raw_versions_sql(kind: str) -> str:
    table = mapping_for(kind).table
    return (
        "SELECT id, version, valid_from, author, reason, deleted, payload::text, "
        f"ST_AsBinary(geom) FROM {table}_versions ORDER BY id, version"
    )


_ALL_EVENTS = "SELECT hazard_id, kind, evidence, at, author, detail FROM hazard_events ORDER BY seq"
_SEQUENCES = "SELECT kind, last_value FROM sequences"


class PostgisSnapshot:
    """What a dump reads, all in one snapshot (``PostgisStore.snapshot``)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self._conn = conn

    def _fetch(self, sql: str) -> list[tuple]:
        return self._conn.cursor(binary=True).execute(sql).fetchall()

    def raw_versions(self, kind: str) -> list[tuple]:
        return self._fetch(_raw_versions_sql(kind))

    def all_events(self) -> list[Event]:
        return [Event(*r) for r in self._fetch(_ALL_EVENTS)]

    def sequences(self) -> dict[str, int]:
        return dict(self._fetch(_SEQUENCES))

    def schema_version(self) -> int:
        return _schema_version(self._conn)

    def imports(self) -> list[ledger.LedgerEntry]:
        return ledger.list_imports(self._conn)


def _schema_version(conn: psycopg.Connection) -> int:
    """The highest migration recorded in the schema (0 where there is no clearground schema)."""
    (found,) = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()
    if not found:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0]


class PostgisStore:
    """A clearground database in a PostgreSQL + PostGIS schema (the first of ``search_path``)."""

    engine = "postgis"

    def __init__(self, url: str, *, busy_timeout: float = 30.0, pool_size: int = 0) -> None:
        self.url = url
        self._safe_url = strip_password(url)
        self.busy_timeout = busy_timeout
        self._write_lock = threading.Lock()
        self._read_lock = threading.Lock()
        self._writer: psycopg.Connection | None = None
        self._reader_conn: psycopg.Connection | None = None
        self._has_schema = False
        self._closed = False
        #: The connection's role and timeouts (read when connecting), for messages.
        self._facts: dict[str, str] = {}
        #: Transactions this store committed, and whether one was being committed when the last
        #: transaction ended (Ctrl-C or a lost connection then: outcome unknown).
        self.commits = 0
        self.commit_unknown = False
        self._watch_conn: psycopg.Connection | None = None
        self._listener: Any = None  # store.pg_push: started by the first change_token()
        self._listen_lock = threading.Lock()
        self._watcher = waits.Watcher(
            self._blocked_by, limit=busy_timeout, on_close=self._close_watch_conn
        )
        with self._read_lock:
            self._reader_conn = self._connect(autocommit=True)
        #: Reads from a pool of autocommit connections (the server's threads), else from
        #: ``_reader_conn`` behind a lock (a command: one thread).
        self._pool: Any = None
        if pool_size > 0:
            from clearground.store.pg_pool import open_pool

            self._pool = open_pool(self, pool_size, first=self._reader_conn)
            self._reader_conn = None

    def _connect(self, *, autocommit: bool) -> psycopg.Connection:
        if self._closed:
            raise StoreError(f"{self._safe_url}: the store is closed")
        try:
            # An unreachable host should fail in seconds, not hang: 10 s unless the URL says.
            extra: dict[str, Any] = {} if "connect_timeout" in self.url else {"connect_timeout": 10}
            if "application_name" not in self.url:  # what a DBA sees in pg_stat_activity
                extra["application_name"] = "clearground"
            conn = psycopg.connect(self.url, autocommit=autocommit, **extra)
        except psycopg.Error as exc:
            if getattr(exc, "sqlstate", None) in ("57P03", "53300"):  # starting up, too many
                raise self._error(exc) from None
            raise StoreError(
                f"{self._safe_url}: cannot connect: {_safe(self.url, str(exc)).strip()}"
            ) from None
        except Exception as exc:  # a malformed URL is refused by libpq's parser
            raise StoreError(
                f"{self._safe_url}: not a usable PostgreSQL URL: {_safe(self.url, str(exc))}"
            ) from None
        try:
            self._prepare(conn)
            if not autocommit:
                conn.commit()
        except psycopg.Error as exc:
            conn.close()
            raise self._error(exc) from None
        return conn

    def _prepare(self, conn: psycopg.Connection) -> None:
        """Set a new connection's lock timeout and note its role and timeouts."""
        # A lock another session holds past the busy timeout is refused as busy (as SQLite's
        # busy_timeout), instead of waiting for ever.
        # The same round trip reads what messages name: the role, and the timeouts.
        row = conn.execute(
            "SELECT set_config('lock_timeout', %s, false), current_user, "
            "current_setting('statement_timeout'), "
            "current_setting('idle_in_transaction_session_timeout')",
            (f"{max(0, round(self.busy_timeout * 1000))}ms",),
        ).fetchone()
        self._facts = {
            "role": row[1],
            "statement_timeout": row[2],
            "idle_in_transaction_session_timeout": row[3],
        }

    def _error(self, exc: Exception, **where: str | None) -> errors.DatabaseUnavailable:
        where.setdefault("role", self._facts.get("role"))
        return errors.from_psycopg(
            exc,
            self.url,
            busy_timeout=self.busy_timeout,
            timeouts=self._facts,
            saved_before=self.commits,
            **where,
        )

    # -- lock waits (store/waits.py) --------------------------------------------------------

    def _blocked_by(self, pid: int | None) -> str | None:
        """What the backend ``pid`` waits for, if it is blocked; runs in the watcher thread."""
        if pid is None:
            return None
        if not self._usable(self._watch_conn):
            self._watch_conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
        assert self._watch_conn is not None
        row = self._watch_conn.execute(_BLOCKER, (pid, pid)).fetchone()
        return _blocker_text(row) if row else None

    def _close_watch_conn(self) -> None:
        if self._watch_conn is not None:
            self._watch_conn.close()
            self._watch_conn = None

    def _watching(self, conn: psycopg.Connection):
        def pid() -> int | None:
            with contextlib.suppress(Exception):
                return conn.info.backend_pid
            return None

        return self._watcher.watching(pid)

    @staticmethod
    def _usable(conn: psycopg.Connection | None) -> bool:
        return conn is not None and not conn.closed and not conn.broken

    def _writer_conn(self) -> psycopg.Connection:
        """The writer connection, (re)opened if it was lost; call with the write lock held."""
        if not self._usable(self._writer):
            self._writer = self._connect(autocommit=False)
        assert self._writer is not None
        return self._writer

    @contextmanager
    def _reader(self) -> Iterator[psycopg.Connection]:
        """The autocommit reader connection: each statement sees what is committed."""
        if self._pool is not None:
            from clearground.store.pg_pool import pooled

            with pooled(self) as conn:
                yield conn
            return
        with self._read_lock:
            if not self._usable(self._reader_conn):
                self._reader_conn = self._connect(autocommit=True)
            assert self._reader_conn is not None
            try:
                with self._watching(self._reader_conn):
                    yield self._reader_conn
            except psycopg.Error as exc:
                raise self._error(exc) from exc

    def _read(self, fn: Any) -> Any:
        """``fn(reader connection)``, once more on a new connection if the kept one had died
        while idle (a server restart, a terminated session): a read may run twice, a write
        never runs here."""
        try:
            with self._reader() as conn:
                return fn(conn)
        except errors.DatabaseUnavailable as exc:
            cause = exc.__cause__
            if cause is None or not errors.lost(cause):
                raise
            if self._pool is None and self._usable(self._reader_conn):
                raise
        with self._reader() as conn:
            return fn(conn)

    def _fetch(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        self.require_schema()
        return self._read(lambda conn: conn.cursor(binary=True).execute(sql, args).fetchall())

    # -- schema ---------------------------------------------------------------------------------

    def schema_version(self) -> int:
        return self._read(_schema_version)

    def migrate(self, *, target: int | None = None, create: bool = True) -> list[int]:
        """Apply every migration not yet applied (up to ``target``) in one transaction.

        Returns their numbers. Concurrent callers on one schema are serialised by an advisory
        lock, so two processes starting at once do not both apply a migration. A schema newer
        than this clearground knows is refused; missing rights or PostGIS are reported with the
        SQL a superuser runs once. (``create`` is for the SQLite engine: a PostgreSQL database
        exists once it can be connected to.)
        """
        with self._write_lock:
            conn = self._writer_conn()
            try:
                conn.execute(_MIGRATE_LOCK)
                found = _schema_version(conn)
                if found > MIGRATIONS[-1].number:
                    raise errors.newer_schema(self.url, found, MIGRATIONS[-1].number)
                applied = apply_pending(conn, "postgis", target)
                conn.commit()
            except psycopg.Error as exc:
                if self._usable(conn):
                    conn.rollback()
                raise self._error(exc, **self._whereabouts(conn)) from exc
            except BaseException:
                if self._usable(conn):
                    conn.rollback()
                raise
        return applied

    def _whereabouts(self, conn: psycopg.Connection) -> dict[str, str | None]:
        """Database, schema and role of ``conn``, to name them in the SQL a superuser runs."""
        try:
            row = conn.execute(
                "SELECT current_database(), current_schema(), current_user"
            ).fetchone()
            conn.rollback()
        except psycopg.Error:
            return {}
        return {"database": row[0], "schema": row[1], "role": row[2]}

    def require_schema(self) -> None:
        """Refuse, once per store, a database without the schema or with a newer one."""
        if self._has_schema:
            return
        found = self.schema_version()
        if found == 0:
            raise errors.no_schema(self.url)
        if found > MIGRATIONS[-1].number:
            raise errors.newer_schema(self.url, found, MIGRATIONS[-1].number)
        self._has_schema = True

    # -- writes ---------------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[PostgisTransaction]:
        """One use case's writes: rolled back unless ``commit()`` is called, and on any error."""
        self.require_schema()
        with self._write_lock:
            conn = self._live_writer()
            tx = PostgisTransaction(conn, self.url)
            try:
                with self._watching(conn):
                    yield tx
            except psycopg.Error as exc:
                raise self._error(exc) from exc
            finally:
                self.commits += tx.committed
                self.commit_unknown = tx.committing and not tx.committed
                if not tx.committed and self._usable(conn):
                    try:
                        conn.rollback()
                    except psycopg.Error:  # lost meanwhile: the server rolled back
                        conn.close()

    def _live_writer(self) -> psycopg.Connection:
        """The writer, replaced first if it died while idle (checked with one round trip,
        which begins the transaction); call with the write lock held. That round trip is the
        transaction's ``NOTIFY`` (``store.pg_push``): PostgreSQL delivers it only if the
        transaction commits, and sending it first leaves COMMIT the last statement, whose
        loss alone makes the outcome unknown."""
        from clearground.store.pg_push import NOTIFY

        conn = self._writer_conn()
        try:
            conn.execute(NOTIFY)
            return conn
        except psycopg.Error as exc:
            if not errors.lost(exc):
                raise self._error(exc) from exc
            conn.close()
        try:
            conn = self._writer_conn()
            conn.execute(NOTIFY)
        except psycopg.Error as exc:
            raise self._error(exc) from exc
        return conn

    # -- reads ----------------------------------------------------------------------------------

    def get(self, kind: str, record_id: str, *, as_of: str | None = None) -> Version | None:
        table = mapping_for(kind).table
        if as_of is None:
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = %s AND is_current",
                (record_id,),
            )
        else:
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = %s AND valid_from <= %s "
                "ORDER BY version DESC LIMIT 1",
                (record_id, as_of),
            )
        if not rows or rows[0][5]:
            return None
        return _versions(kind, rows)[0]

    def list(self, kind: str, *, as_of: str | None = None) -> list[Version]:
        table = mapping_for(kind).table
        if as_of is None:
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM {table}_versions "
                "WHERE is_current AND NOT deleted ORDER BY id"
            )
        else:
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM (SELECT DISTINCT ON (id) * FROM {table}_versions "
                "WHERE valid_from <= %s ORDER BY id, version DESC) v WHERE NOT deleted ORDER BY id",
                (as_of,),
            )
        return _versions(kind, rows)

    def list_page(
        self, kind: str, *, limit: int, offset: int = 0, after: str | None = None
    ) -> list[Version]:
        """``limit`` current records of ``kind`` in id order, from ``offset`` or after id
        ``after``: a page without reading the others (ids compare by code point, ``COLLATE
        "C"``, as Python strings do, whatever the database's collation)."""
        table = mapping_for(kind).table
        # in a database whose collation is C the index on id is already in that order
        key = "id" if self._ids_in_code_point_order() else 'id COLLATE "C"'
        where = "is_current AND NOT deleted" + (f" AND {key} > %s" if after is not None else "")
        args = ([after] if after is not None else []) + [limit, offset]
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM {table}_versions WHERE {where} ORDER BY {key} "
            "LIMIT %s OFFSET %s",
            args,
        )
        return _versions(kind, rows)

    def _ids_in_code_point_order(self) -> bool:
        """Whether the database's own collation is C (libc, not ICU): text sorts by code point."""
        known = getattr(self, "_code_point_order", None)
        if known is None:
            (d,) = self._fetch(
                "SELECT to_jsonb(d) FROM pg_database d WHERE datname = current_database()"
            )[0]
            d = d if isinstance(d, dict) else json.loads(d)
            known = d.get("datlocprovider", "c") == "c" and d.get("datcollate") in ("C", "POSIX")
            self._code_point_order = known
        return known

    def history(self, kind: str, record_id: str) -> list[Version]:
        table = mapping_for(kind).table
        rows = self._fetch(
            f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = %s ORDER BY version",
            (record_id,),
        )
        return _versions(kind, rows)

    def in_bbox(
        self, kind: str, bounds: tuple[float, float, float, float], *, as_of: str | None = None
    ) -> list[Version]:
        """Records whose bounding box meets ``bounds`` (minx, miny, maxx, maxy): candidates only.

        The ``&&`` operator compares bounding boxes through the GiST index.
        """
        table = mapping_for(kind).table
        box = tuple(float(v) for v in bounds)
        if as_of is None:
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE geom && {_ENVELOPE} "
                "AND is_current AND NOT deleted ORDER BY id",
                box,
            )
        else:
            # The version valid at ``as_of`` of every record any of whose versions meets the box,
            # kept if that version is not a tombstone and itself meets the box.
            rows = self._fetch(
                f"SELECT {_COLUMNS} FROM (SELECT DISTINCT ON (id) * FROM {table}_versions "
                f"WHERE valid_from <= %s AND id IN (SELECT id FROM {table}_versions "
                f"WHERE geom && {_ENVELOPE}) ORDER BY id, version DESC) v "
                f"WHERE NOT deleted AND geom && {_ENVELOPE} ORDER BY id",
                (as_of, *box, *box),
            )
        return _versions(kind, rows)

    def within_distance(
        self, kind: str, geometry: Any, metres: float, *, as_of: str | None = None
    ) -> list[tuple[Version, float]]:
        """Records within ``metres`` of ``geometry`` with their distance, nearest first.

        SQL narrows: the GiST index by bounding box (``&&``), then ``ST_DWithin`` on geography of
        geometries densified in lon/lat first (``ST_Segmentize``, 0.01 degree: so geography's
        great circles stay within 0.03 m of the lon/lat edges), with a margin of 0.2 % + 1 m.
        The exact answer is the engine-independent shapely step (``nearest``, as on SQLite), so
        both engines give the same hazards and distances. A past state (``as_of``) takes the
        path of ``in_bbox`` and shapely alone.
        """
        from clearground.analysis.proximity import degree_margin
        from clearground.domain.areas import MAX_SEGMENT_DEG, densify

        box = degree_margin(geometry.bounds, metres)
        if as_of is not None:
            return nearest(self.in_bbox(kind, box, as_of=as_of), geometry, metres)
        table = mapping_for(kind).table
        wkb = shapely.to_wkb(densify(geometry))
        rows = self._fetch(
            f"SELECT {_COLUMNS} "
            f"FROM {table}_versions, (SELECT ST_GeomFromWKB(%s, 4326)::geography AS g) q "
            f"WHERE geom && {_ENVELOPE} AND is_current AND NOT deleted "
            "AND ST_DWithin(ST_Segmentize(geom, %s)::geography, q.g, %s) ORDER BY id",
            (wkb, *box, MAX_SEGMENT_DEG, float(metres) * 1.002 + 1.0),
        )
        return nearest(_versions(kind, rows), geometry, metres)

    def list_where(
        self,
        kind: str,
        where: Where,
        *,
        limit: int | None,
        offset: int = 0,
        as_of: str | None = None,
    ) -> tuple[list[Version], int]:
        """One page (``limit`` from ``offset``, in id order by code point) of the current (or
        ``as_of``) records of ``kind`` that meet ``where``, and how many meet it."""
        table = mapping_for(kind).table
        cond, args = where_sql("postgis", where)
        if as_of is None:
            base = f"FROM {table}_versions WHERE is_current AND NOT deleted AND {cond}"
        else:
            base = (
                f"FROM (SELECT DISTINCT ON (id) * FROM {table}_versions WHERE valid_from <= %s "
                f"ORDER BY id, version DESC) v WHERE NOT deleted AND {cond}"
            )
            args = [as_of, *args]
        ((matched,),) = self._fetch(f"SELECT count(*) {base}", args)
        rows = self._fetch(
            f'SELECT {_COLUMNS} {base} ORDER BY id COLLATE "C" LIMIT %s OFFSET %s',
            [*args, limit, offset],
        )
        return _versions(kind, rows), matched

    def events(self, hazard_id: str) -> list[Event]:
        rows = self._fetch(
            "SELECT hazard_id, kind, evidence, at, author, detail FROM hazard_events "
            "WHERE hazard_id = %s ORDER BY seq",
            (hazard_id,),
        )
        return [Event(*r) for r in rows]

    def raw_versions(self, kind: str) -> list[tuple]:
        """Every version of every record as stored, ordered by id and version (for dumps).

        Rows are (id, version, valid_from, author, reason, deleted, payload JSON text, WKB).
        """
        return self._fetch(_raw_versions_sql(kind))

    def all_events(self) -> list[Event]:
        return [Event(*r) for r in self._fetch(_ALL_EVENTS)]

    def sequences(self) -> dict[str, int]:
        return dict(self._fetch(_SEQUENCES))

    def imports(
        self, *, kind: str | None = None, checksum: str = "", layer: str = ""
    ) -> list[ledger.LedgerEntry]:
        """The import ledger, oldest first; with ``kind``, the imports of that content only."""
        self.require_schema()
        with self._reader() as conn:
            if kind is not None:
                return ledger.find_imports(conn, "%s", kind, checksum, layer)
            return ledger.list_imports(conn)

    # -- accounts (migration 14; the SQL is store/accounts.py) ---------------------------------

    def _accounts_read(self, fn: Any) -> Any:
        self.require_schema()
        return self._read(fn)

    def users(self) -> list[Any]:
        return self._accounts_read(accounts.list_users)

    def user(self, name: str) -> Any:
        return self._accounts_read(lambda conn: accounts.get_user(conn, "%s", name))

    def tokens(self) -> list[Any]:
        return self._accounts_read(accounts.list_tokens)

    def token_by_hash(self, token_hash: str) -> Any:
        return self._accounts_read(lambda conn: accounts.token_by_hash(conn, "%s", token_hash))

    def session(self, token_hash: str) -> Any:
        return self._accounts_read(lambda conn: accounts.get_session(conn, "%s", token_hash))

    def account_events(self) -> list[Any]:
        return self._accounts_read(accounts.account_events)

    @contextmanager
    def snapshot(self) -> Iterator[PostgisSnapshot]:
        """Reads of one ``REPEATABLE READ READ ONLY`` transaction on a connection of its own:
        every read sees the database as it was at the first one, whatever writers commit."""
        self.require_schema()
        conn = self._connect(autocommit=False)
        try:
            conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            conn.execute("SELECT count(*) FROM sequences").fetchone()  # the snapshot starts here
            yield PostgisSnapshot(conn)
        except psycopg.Error as exc:
            raise self._error(exc) from exc
        finally:
            if self._usable(conn):
                with contextlib.suppress(psycopg.Error):
                    conn.rollback()  # it wrote nothing
            conn.close()

    def mvt(
        self, kind: str, z: int, x: int, y: int, *, layer: str, properties: Any, by_id: Any = None
    ) -> bytes:
        """One vector tile by ``ST_AsMVT`` (see ``store.pg_tiles``)."""
        from clearground.store.pg_tiles import mvt

        return mvt(self, kind, z, x, y, layer=layer, properties=properties, by_id=by_id)

    def data_version(self, kind: str) -> str:
        """Text that changes whenever a write of ``kind`` commits: the highest row id and how
        many rows lie among the last 1,000 ids. Every write adds a row; two writers can commit
        out of id order, and the late one's rows then raise the count (unless 1,000 other ids
        were taken while it ran). Both come from the primary key's index: microseconds."""
        table = mapping_for(kind).table
        top, recent = self._fetch(
            f"SELECT max(fid), count(*) FROM {table}_versions "
            f"WHERE fid > (SELECT coalesce(max(fid), 0) - 1000 FROM {table}_versions)"
        )[0]
        return f"{top or 0}.{recent}"

    def tally(
        self, kind: str, by: Sequence[str], sums: Sequence[str] = (), *, as_of: str | None = None
    ) -> list[tuple]:
        """Current (or ``as_of``) records counted by ``by`` with ``sums`` (store/tally.py)."""
        query = tally.sql("postgis", kind, by, sums, as_of=as_of is not None)
        return tally.sorted_groups(self._fetch(query, () if as_of is None else (as_of,)), len(by))

    def data_versions(self, kinds: Sequence[str]) -> dict[str, str]:
        """``data_version`` of each kind in one round trip (``store.versions``)."""
        from clearground.store.versions import postgis_versions, postgis_versions_sql

        return postgis_versions(self._fetch(postgis_versions_sql(kinds))[0], kinds)

    def change_token(self) -> Any:
        """A value that changes with every commit, pushed by LISTEN/NOTIFY (``store.pg_push``),
        or None while nothing listens (the caller then reads ``data_versions``)."""
        listener = self._listener
        if listener is None:
            from clearground.store.pg_push import Listener

            with self._listen_lock:
                if self._listener is None and not self._closed:
                    self._listener = Listener(lambda: self._connect(autocommit=True))
                    self._listener.start()
            return None
        return listener.token(self.commits)

    def count(self, kind: str) -> int:
        table = mapping_for(kind).table
        return self._fetch(
            f"SELECT count(*) FROM {table}_versions WHERE is_current AND NOT deleted"
        )[0][0]

    def close(self) -> None:
        self._closed = True
        if self._listener is not None:
            self._listener.close()
        if self._pool is not None:
            self._pool.close()
        self._watcher.close()
        for conn in (self._writer, self._reader_conn):
            if conn is not None and not conn.closed:
                conn.close()
        self._writer = self._reader_conn = None
