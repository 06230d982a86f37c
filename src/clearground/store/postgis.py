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

import numpy as np
import psycopg
import shapely
from psycopg import errors as pgerrors
from psycopg.types.json import Jsonb

from clearground.domain.errors import BadInput, Conflict, NotFound, StoreError
from clearground.store import accounts, errors, ledger, strip_password, waits
from clearground.store.base import Event, Version, after, highest_number, nearest, now_utc
from clearground.store.mapping import KINDS, mapping_for, payloads_json
from clearground.store.migrations import MIGRATIONS, apply_pending

__all__ = ["PostgisStore"]

SRID = 4326
_COLUMNS = "id, version, valid_from, author, reason, deleted, payload, ST_AsBinary(geom)"
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


def _versions(kind: str, rows: Sequence[tuple]) -> list[Version]:
    """Versions of many rows (payload already decoded from jsonb), geometry decoded at once."""
    if not rows:
        return []
    from_row = mapping_for(kind).from_row
    geoms = shapely.from_wkb(np.array([r[7] for r in rows], dtype=object))
    out = []
    for row, geom in zip(rows, geoms, strict=True):
        id_, version, valid_from, author, reason, deleted, payload, _ = row
        record = None if deleted else from_row(id_, payload, geom)
        out.append(Version(kind, id_, version, valid_from, author, reason, bool(deleted), record))
    return out


# shapely type ids a column of each type takes, and the single type promoted to its multi
# type (what ST_Multi does). A type not listed here (GEOMETRY) takes any geometry.
_ACCEPTS: dict[str, tuple[tuple[int, ...], int | None, str]] = {
    "POINT": ((0,), None, "a point"),
    "LINESTRING": ((1,), None, "a line"),
    "POLYGON": ((3,), None, "a polygon"),
    "MULTIPOINT": ((4, 0), 0, "a point or multipoint"),
    "MULTILINESTRING": ((5, 1), 1, "a line or multiline"),
    "MULTIPOLYGON": ((6, 3), 3, "a polygon or multipolygon"),
}
_MULTI = {0: shapely.MultiPoint, 1: shapely.MultiLineString, 3: shapely.MultiPolygon}


def _column_geometries(kind: str, geoms: Sequence[Any], ids: Sequence[str]) -> list[Any]:
    """``geoms`` as the kind's geometry column requires (``mapping.geometry_type``).

    A single geometry becomes a one-part multi one where the column is multi (what
    ``ST_Multi`` does); None stays None (a NULL geometry: some kinds, such as victims' personal
    data, have no place); any other type is refused by record id rather than by a database
    error.
    """
    arr = np.array(list(geoms), dtype=object)
    rule = _ACCEPTS.get(mapping_for(kind).geometry_type)
    if rule is None or len(arr) == 0:
        return list(arr)
    accepted, promote, name = rule
    types = shapely.get_type_id(arr)
    bad = np.flatnonzero(~np.isin(types, (*accepted, -1)))
    if len(bad):
        shown = ", ".join(
            f"{ids[i]} ({getattr(arr[i], 'geom_type', 'no geometry')})" for i in bad[:10]
        )
        raise BadInput(f"{kind} geometry must be {name}: {shown}")
    if promote is not None:
        for i in np.flatnonzero(types == promote):
            arr[i] = _MULTI[promote]([arr[i]])
    return list(arr)


def _ewkb(geoms: Sequence[Any]) -> np.ndarray:
    """EWKB with SRID 4326: what a ``geometry(..., 4326)`` column receives in a binary COPY."""
    with_srid = shapely.set_srid(np.array(geoms, dtype=object), SRID)
    return shapely.to_wkb(with_srid, include_srid=True)


# Binary COPY sends each field in its column type's binary form. psycopg dumps ``bytes`` as they
# are, so the payload goes as jsonb's binary form (a version byte, 1, then the JSON text: saves
# re-parsing JSON in Python) and the geometry as EWKB (PostGIS's binary form).
_COPY_TYPES = ["text", "int4", "text", "text", "text", "bool", "bool", "bytea", "bytea"]
_JSONB_V1 = b"\x01"


class PostgisTransaction:
    """Writes of one use case: one PostgreSQL transaction on the writer connection."""

    def __init__(self, conn: psycopg.Connection, url: str = "") -> None:
        self._conn = conn
        self.url = url
        self.time = now_utc()
        self.committed = False
        self.committing = False

    def lock(self, name: str) -> None:
        """A transaction-level advisory lock on ``name`` in this schema (waits at most the
        busy timeout, as every lock here)."""
        self._conn.execute(
            "SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.clearground.' || %s))",
            (name,),
        )

    def next_ids(self, kind: str, n: int) -> list[str]:
        """``n`` new ids; the sequence row stays locked until this transaction ends."""
        m = mapping_for(kind)
        if n <= 0:
            return []
        (last,) = self._conn.execute(
            "INSERT INTO sequences AS s (kind, last_value) VALUES (%s, %s) "
            "ON CONFLICT (kind) DO UPDATE SET last_value = s.last_value + excluded.last_value "
            "RETURNING s.last_value",
            (kind, n),
        ).fetchone()
        start = last - n
        return [f"{m.prefix}-{i:06d}" for i in range(start + 1, start + n + 1)]

    def existing_ids(self, kind: str, record_ids: Sequence[str]) -> set[str]:
        table = mapping_for(kind).table
        ids = list(record_ids)
        if not ids:
            return set()
        rows = self._conn.execute(
            f"SELECT DISTINCT id FROM {table}_versions WHERE id = ANY(%s)", (ids,)
        ).fetchall()
        return {r[0] for r in rows}

    def insert(self, kind: str, records: Sequence[Any], *, author: str, reason: str) -> None:
        """Insert new records as version 1 with one binary COPY; refuses ids that already exist.

        Every record has a version 1, so the ``UNIQUE (id, version)`` constraint is the check
        for existing ids: no query up front. The COPY runs in a savepoint, so that on a clash
        the transaction stays usable to name the clashing ids.
        """
        if not records:
            return
        table = mapping_for(kind).table
        geoms = _column_geometries(kind, [r.geometry for r in records], [r.id for r in records])
        ewkb = _ewkb(geoms)
        bounds = shapely.bounds(np.array(geoms, dtype=object))
        payloads = payloads_json(kind, records)
        # Rows in space order: neighbouring rows share GiST pages, so the index builds faster.
        order = np.lexsort(((bounds[:, 1] * 100).round(), (bounds[:, 0] * 100).round()))
        t = self.time
        self._conn.execute("SAVEPOINT clearground_insert")  # begins the transaction if need be
        try:
            with self._conn.cursor().copy(
                f"COPY {table}_versions (id, version, valid_from, author, reason, deleted, "
                "is_current, payload, geom) FROM STDIN (FORMAT BINARY)"
            ) as copy:
                copy.set_types(_COPY_TYPES)
                for i in order:
                    copy.write_row(
                        (
                            records[i].id,
                            1,
                            t,
                            author,
                            reason,
                            False,
                            True,
                            _JSONB_V1 + payloads[i].encode(),
                            ewkb[i],
                        )
                    )
        except pgerrors.UniqueViolation:
            self._conn.execute("ROLLBACK TO SAVEPOINT clearground_insert")
            ids = [r.id for r in records]
            clash = self.existing_ids(kind, ids)
            if clash:
                raise BadInput(
                    f"{kind} ids already exist: {', '.join(sorted(clash)[:10])}"
                ) from None
            seen: set[str] = set()
            twice = sorted({i for i in ids if i in seen or seen.add(i)})
            raise BadInput(f"{kind} ids given twice: {', '.join(twice[:10])}") from None
        self._conn.execute("RELEASE SAVEPOINT clearground_insert")
        highest = highest_number(mapping_for(kind).prefix, [r.id for r in records])
        if highest:
            self._conn.execute(
                "INSERT INTO sequences AS s (kind, last_value) VALUES (%s, %s) ON CONFLICT (kind) "
                "DO UPDATE SET last_value = GREATEST(s.last_value, excluded.last_value)",
                (kind, highest),
            )

    def _supersede(self, kind: str, record_id: str, expected_version: int) -> tuple[str, int, str]:
        """Mark the current version superseded if it is ``expected_version``; else refuse.

        The UPDATE takes the row lock: a second writer waits, then finds the row no longer
        current and gets ``Conflict`` after re-reading what is current now. Returns the table,
        the new version number and its ``valid_from``: this transaction's time, but always
        after the version it replaces, also when the clock went back. (Unlike SQLite's single
        writer, transactions here overlap: one that began earlier can supersede a version
        committed after it began, and ``as_of`` needs each record's versions in time order.)
        """
        table = mapping_for(kind).table
        row = self._conn.execute(
            f"UPDATE {table}_versions SET is_current = false "
            "WHERE id = %s AND is_current AND NOT deleted AND version = %s "
            "RETURNING version, valid_from",
            (record_id, expected_version),
        ).fetchone()
        if row is not None:
            return table, row[0] + 1, after(row[1], self.time)
        cur = self._conn.execute(
            f"SELECT version, deleted FROM {table}_versions WHERE id = %s AND is_current",
            (record_id,),
        ).fetchone()
        if cur is None or cur[1]:
            raise NotFound(f"{kind} {record_id} not found")
        raise Conflict(
            f"{kind} {record_id} is at version {cur[0]}, not {expected_version}: it was "
            "changed since you read it; read it again and repeat your change"
        )

    def _insert_version(self, table: str, values: tuple, kind: str, record_id: str) -> None:
        try:
            self._conn.execute(
                f"INSERT INTO {table}_versions (id, version, valid_from, author, reason, deleted, "
                "is_current, payload, geom) VALUES (%s, %s, %s, %s, %s, %s, true, %s, "
                "ST_GeomFromWKB(%s, 4326))",
                values,
            )
        except pgerrors.UniqueViolation as exc:
            raise Conflict(
                f"{kind} {record_id}: another change made version {values[1]} first; read it "
                "again and repeat your change"
            ) from exc

    def update(
        self, kind: str, record: Any, *, expected_version: int, author: str, reason: str
    ) -> int:
        geom = _column_geometries(kind, [record.geometry], [record.id])[0]
        table, new, valid_from = self._supersede(kind, record.id, expected_version)
        payload = payloads_json(kind, [record])[0]
        self._insert_version(
            table,
            (record.id, new, valid_from, author, reason, False, payload, shapely.to_wkb(geom)),
            kind,
            record.id,
        )
        return new

    def delete(
        self, kind: str, record_id: str, *, expected_version: int, author: str, reason: str
    ) -> int:
        table, new, valid_from = self._supersede(kind, record_id, expected_version)
        self._insert_version(
            table, (record_id, new, valid_from, author, reason, True, None, None), kind, record_id
        )
        return new

    def redact(self, kind: str, record_id: str, record: Any) -> int:
        """See ``Transaction.redact``: the content of every version becomes ``record``'s."""
        table = mapping_for(kind).table
        return self._conn.execute(
            f"UPDATE {table}_versions SET payload = %s::jsonb WHERE id = %s AND NOT deleted",
            (payloads_json(kind, [record])[0], record_id),
        ).rowcount

    def get(self, kind: str, record_id: str) -> Version | None:
        table = mapping_for(kind).table
        rows = (
            self._conn.cursor(binary=True)
            .execute(
                f"SELECT {_COLUMNS} FROM {table}_versions WHERE id = %s AND is_current",
                (record_id,),
            )
            .fetchall()
        )
        return _versions(kind, rows)[0] if rows else None

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Version]:
        table = mapping_for(kind).table
        ids = sorted(set(record_ids))
        if not ids:
            return {}
        rows = (
            self._conn.cursor(binary=True)
            .execute(
                f"SELECT {_COLUMNS} FROM {table}_versions "
                "WHERE is_current AND NOT deleted AND id = ANY(%s)",
                (ids,),
            )
            .fetchall()
        )
        return {v.id: v for v in _versions(kind, rows)}

    def add_events(self, events: Sequence[Any], *, author: str) -> None:
        if not events:
            return
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO hazard_events (hazard_id, kind, evidence, at, author, detail) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (e.hazard_id, e.kind, e.evidence, self.time, author, Jsonb(e.detail))
                    for e in events
                ],
            )

    # -- restore of a dump (services/dump.py): rows exactly as dumped ---------------------------

    def restore_raw(self, kind: str, rows: Sequence[tuple]) -> None:
        """Insert versions exactly as dumped, with one binary COPY.

        Each row is (id, version, valid_from, author, reason, deleted, payload JSON text or dict,
        WKB or None). The newest version of each id becomes current.
        """
        if not rows:
            return
        table = mapping_for(kind).table
        newest: dict[str, int] = {}
        for r in rows:
            newest[r[0]] = max(newest.get(r[0], 0), int(r[1]))
        live = [i for i, r in enumerate(rows) if r[7] is not None]
        geoms = _column_geometries(
            kind,
            shapely.from_wkb(np.array([bytes(rows[i][7]) for i in live], dtype=object)),
            [rows[i][0] for i in live],
        )
        ewkb: list[bytes | None] = [None] * len(rows)
        for i, g in zip(live, _ewkb(geoms) if live else [], strict=True):
            ewkb[i] = g
        with self._conn.cursor().copy(
            f"COPY {table}_versions (id, version, valid_from, author, reason, deleted, "
            "is_current, payload, geom) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(_COPY_TYPES)
            for r, g in zip(rows, ewkb, strict=True):
                payload = r[6]
                if payload is not None and not isinstance(payload, (str, bytes)):
                    payload = json.dumps(payload, ensure_ascii=False)
                if isinstance(payload, str):
                    payload = payload.encode()
                copy.write_row(
                    (
                        r[0],
                        int(r[1]),
                        r[2],
                        r[3],
                        r[4],
                        bool(r[5]),
                        newest[r[0]] == int(r[1]),
                        None if payload is None else _JSONB_V1 + payload,
                        g,
                    )
                )

    def holdings(self) -> list[str]:
        """The kinds (and ``events``) this database holds anything of, read inside this write
        transaction after locking the tables a restore fills, so no other writer adds any
        before it ends."""
        tables = [f"{m.table}_versions" for m in KINDS.values()] + ["hazard_events"]
        self._conn.execute(f"LOCK TABLE {', '.join(tables)} IN SHARE ROW EXCLUSIVE MODE")
        held = [
            kind
            for kind, m in KINDS.items()
            if self._conn.execute(f"SELECT 1 FROM {m.table}_versions LIMIT 1").fetchone()
        ]
        if self._conn.execute("SELECT 1 FROM hazard_events LIMIT 1").fetchone():
            held.append("events")
        return held

    def restore_events(self, events: Sequence[Event]) -> None:
        """Insert events exactly as dumped (their own time and author), in order."""
        if not events:
            return
        with self._conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO hazard_events (hazard_id, kind, evidence, at, author, detail) "
                "VALUES (%s, %s, %s, %s, %s, %s)",
                [
                    (e.hazard_id, e.kind, e.evidence, e.at, e.author, Jsonb(e.detail))
                    for e in events
                ],
            )

    def set_sequence(self, kind: str, last_value: int) -> None:
        self._conn.execute(
            "INSERT INTO sequences (kind, last_value) VALUES (%s, %s) "
            "ON CONFLICT (kind) DO UPDATE SET last_value = excluded.last_value",
            (kind, last_value),
        )

    def find_imports(self, kind: str, checksum: str, layer: str) -> list[ledger.LedgerEntry]:
        return ledger.find_imports(self._conn, "%s", kind, checksum, layer)

    def record_import(self, entry: ledger.LedgerEntry) -> None:
        ledger.record_import(self._conn, "%s", entry)

    # -- accounts (migration 14; the SQL is store/accounts.py) ---------------------------------

    def user(self, name: str) -> Any:
        return accounts.get_user(self._conn, "%s", name)

    def add_user(self, user: Any) -> None:
        accounts.add_user(self._conn, "%s", user)

    def disable_user(self, name: str, *, at: str, by: str) -> None:
        accounts.disable_user(self._conn, "%s", name, at, by)

    def token(self, token_id: int) -> Any:
        return accounts.get_token(self._conn, "%s", token_id)

    def add_token(self, name: str, user: str, token_hash: str, *, at: str, by: str) -> int:
        return accounts.add_token(self._conn, "%s", name, user, token_hash, at, by)

    def revoke_token(self, token_id: int, *, at: str, by: str) -> None:
        accounts.revoke_token(self._conn, "%s", token_id, at, by)

    def touch_token(self, token_id: int, at: str) -> None:
        accounts.touch_token(self._conn, "%s", token_id, at)

    def add_session(self, token_hash: str, user: str, *, at: str, expires_at: str) -> None:
        accounts.add_session(self._conn, "%s", token_hash, user, at, expires_at)

    def end_session(self, token_hash: str, at: str) -> None:
        accounts.end_session(self._conn, "%s", token_hash, at)

    def add_account_event(self, event: Any) -> None:
        accounts.add_account_event(self._conn, "%s", event)

    def commit(self) -> None:
        """COMMIT; a connection lost meanwhile leaves the outcome unknown, and says so (it is
        never retried: the import ledger tells whether an import was saved)."""
        self.committing = True
        try:
            self._conn.commit()
        except psycopg.Error as exc:
            if errors.lost(exc):
                raise errors.commit_unknown(self.url) from exc
            raise
        self.committed = True
        self.committing = False


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

    def __init__(self, url: str, *, busy_timeout: float = 30.0) -> None:
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
        self._watcher = waits.Watcher(
            self._blocked_by, limit=busy_timeout, on_close=self._close_watch_conn
        )
        with self._read_lock:
            self._reader_conn = self._connect(autocommit=True)

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
            if not autocommit:
                conn.commit()
        except psycopg.Error as exc:
            conn.close()
            raise self._error(exc) from None
        return conn

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
            if cause is None or not errors.lost(cause) or self._usable(self._reader_conn):
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
        which begins the transaction); call with the write lock held."""
        conn = self._writer_conn()
        try:
            conn.execute("SELECT 1")
            return conn
        except psycopg.Error as exc:
            if not errors.lost(exc):
                raise self._error(exc) from exc
            conn.close()
        try:
            conn = self._writer_conn()
            conn.execute("SELECT 1")
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

    def count(self, kind: str) -> int:
        table = mapping_for(kind).table
        return self._fetch(
            f"SELECT count(*) FROM {table}_versions WHERE is_current AND NOT deleted"
        )[0][0]

    def close(self) -> None:
        self._closed = True
        self._watcher.close()
        for conn in (self._writer, self._reader_conn):
            if conn is not None and not conn.closed:
                conn.close()
        self._writer = self._reader_conn = None
