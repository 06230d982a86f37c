"""The embedded engine's writes: one use case's transaction on the single writer connection.

Every version is a new row (the newest is current); updates name the version they read, and a
stale one is refused. Split from ``store.sqlite`` (the store: connections, reads, migrations).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from itertools import repeat
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, Conflict, NotFound
from clearground.store import accounts, gpkg, grid, ledger
from clearground.store.base import (
    Event,
    Version,
    after,
    chunks,
    highest_number,
    now_utc,
)
from clearground.store.mapping import KINDS, loads, mapping_for, payloads_json
from clearground.store.new_rows import record_geometries, record_ids

__all__ = ["SqliteTransaction"]

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


class SqliteTransaction(accounts.AccountWrites):
    """Writes of one use case on the writer connection, inside ``BEGIN IMMEDIATE``."""

    _mark = "?"

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
        given = [i for i in record_ids(records) if i not in issued]
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
            ids = record_ids(part)
            blobs, bounds = gpkg.encode(record_geometries(part))
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

    def commit(self) -> None:
        self.committing = True
        self._conn.execute("COMMIT")
        self.committed = True
        self.committing = False
