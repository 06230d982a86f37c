"""The national engine's writes: one use case's transaction on the writer connection.

Every version is a new row (the newest is current); updates name the version they read, and a
stale one is refused. Split from ``store.postgis`` (the store: connections, reads, migrations).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import psycopg
import shapely
from psycopg import errors as pgerrors
from psycopg.types.json import Jsonb

from clearground.domain.errors import BadInput, Conflict, NotFound
from clearground.store import accounts, errors, ledger
from clearground.store.base import Event, Version, after, highest_number, now_utc
from clearground.store.mapping import KINDS, mapping_for, payloads_json
from clearground.store.new_rows import record_geometries, record_ids

__all__ = ["PostgisTransaction"]

SRID = 4326
_COLUMNS = "id, version, valid_from, author, reason, deleted, payload, ST_AsBinary(geom)"


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


class PostgisTransaction(accounts.AccountWrites):
    """Writes of one use case: one PostgreSQL transaction on the writer connection."""

    _mark = "%s"

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
        ids = record_ids(records)
        geoms = _column_geometries(kind, record_geometries(records), ids)
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
                            ids[i],
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
            clash = self.existing_ids(kind, ids)
            if clash:
                raise BadInput(
                    f"{kind} ids already exist: {', '.join(sorted(clash)[:10])}"
                ) from None
            seen: set[str] = set()
            twice = sorted({i for i in ids if i in seen or seen.add(i)})
            raise BadInput(f"{kind} ids given twice: {', '.join(twice[:10])}") from None
        self._conn.execute("RELEASE SAVEPOINT clearground_insert")
        highest = highest_number(mapping_for(kind).prefix, ids)
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

    def commit(self) -> None:
        """COMMIT; a connection lost meanwhile leaves the outcome unknown, and says so (it is
        never retried: the import ledger tells whether an import was saved). The notification
        sent when the transaction began goes out with the commit, to the servers listening
        (``store.pg_push``)."""
        self.committing = True
        try:
            self._conn.commit()
        except psycopg.Error as exc:
            if errors.lost(exc):
                raise errors.commit_unknown(self.url) from exc
            raise
        self.committed = True
        self.committing = False
