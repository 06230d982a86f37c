"""The one interface every store engine implements, and the errors and values it uses.

A store keeps every record as versions: (id, version, valid_from, author, reason, payload,
geometry). The current state is the newest version; a delete is a tombstone; ``as_of`` reads any
past state. Updates name the version they read, and a stale one is refused with ``Conflict``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, runtime_checkable

from clearground.domain.errors import BadInput

__all__ = [
    "after",
    "highest_number",
    "Event",
    "Snapshot",
    "Store",
    "Transaction",
    "Version",
    "format_time",
    "now_utc",
    "parse_as_of",
]


@dataclass(frozen=True)
class Version:
    """One stored version of a record; ``record`` is None for a tombstone."""

    kind: str
    id: str
    version: int
    valid_from: str
    author: str
    reason: str
    deleted: bool
    record: Any | None


@dataclass(frozen=True)
class Event:
    """A stored event of a hazard (past tense: AreaReleased, HazardClosed, ...)."""

    hazard_id: str
    kind: str
    evidence: str
    at: str
    author: str
    detail: dict[str, Any]


def format_time(t: datetime) -> str:
    """UTC time as sortable ISO 8601 text with microseconds, the form every engine stores."""
    # isoformat, not strftime: %Y does not pad years before 1000, and text must sort as time
    return t.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


def now_utc() -> str:
    return format_time(datetime.now(UTC))


def after(previous: str | None, t: str) -> str:
    """``t``, or one microsecond after ``previous`` if ``t`` is not later (the clock went back,
    or one transaction changes a record twice): a record's versions never go back in time.

    >>> after("2026-05-01T10:00:00.000000Z", "2026-04-30T09:00:00.000000Z")
    '2026-05-01T10:00:00.000001Z'
    """
    if previous is None or t > previous:
        return t
    return format_time(datetime.fromisoformat(previous) + timedelta(microseconds=1))


AS_OF_HELP = (
    "Read the database as it was then: ISO 8601, e.g. 2026-05-01T12:00:00+03:00 (UTC if no "
    "zone); a date alone (2026-05-01, 20260501) means the end of that day, UTC."
)


def parse_as_of(text: str | None) -> str | None:
    """``--as-of`` text in stored form: ISO 8601 date or date-time, read whole; naive means UTC,
    a date alone means the end of that day (UTC) however it is spelt."""
    if text is None:
        return None
    raw = text.strip()
    hint = "e.g. 2026-05-01 or 2026-05-01T12:00:00Z"
    try:
        t = datetime.combine(date.fromisoformat(raw), time.max, tzinfo=UTC)
    except ValueError:
        try:
            t = datetime.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"--as-of {text!r}: not an ISO 8601 date or time ({hint})") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    try:
        return format_time(t)
    except (OverflowError, ValueError):
        # Past the end of year 9999 (or before year 1) once in UTC: every stored time is before
        # (after) it, so the answer is that of the last (first) representable instant.
        east = (t.utcoffset() or timedelta()) > timedelta()
        edge = datetime.min if east else datetime.max
        return format_time(edge.replace(tzinfo=UTC))


class Transaction(Protocol):
    """Writes of one use case; nothing is kept unless ``commit()`` is reached."""

    time: str

    def next_ids(self, kind: str, n: int) -> list[str]: ...

    def lock(self, name: str) -> None:
        """Hold, until this transaction ends, a lock every other transaction taking ``name``
        waits for: a check followed by a write (is it queued already?) is then done by one
        writer at a time, and reads after it see what the previous holder committed."""
        ...

    def insert(self, kind: str, records: Sequence[Any], *, author: str, reason: str) -> None: ...

    def update(
        self, kind: str, record: Any, *, expected_version: int, author: str, reason: str
    ) -> int: ...

    def delete(
        self, kind: str, record_id: str, *, expected_version: int, author: str, reason: str
    ) -> int: ...

    def redact(self, kind: str, record_id: str, record: Any) -> int:
        """Give every version of a record the content of ``record`` (one that holds none of the
        data to erase), keeping versions, times, authors and reasons; return how many. For
        personal data that must be deleted, where a tombstone alone keeps earlier content."""
        ...

    def get(self, kind: str, record_id: str) -> Version | None: ...

    def get_many(self, kind: str, record_ids: Sequence[str]) -> dict[str, Version]: ...

    def existing_ids(self, kind: str, record_ids: Sequence[str]) -> set[str]: ...

    def add_events(self, events: Sequence[Any], *, author: str) -> None: ...

    # What restore writes: versions and events exactly as dumped, and the id sequences.
    def holdings(self) -> list[str]:
        """The kinds (and ``events``) the database holds anything of, read inside this write
        transaction, so that "the database is empty" cannot change before it commits."""
        ...

    def restore_raw(self, kind: str, rows: Sequence[tuple]) -> None: ...

    def restore_events(self, events: Sequence[Event]) -> None: ...

    def set_sequence(self, kind: str, last_value: int) -> None: ...

    # The import ledger (services/ledger.py): read and written inside the import's transaction.
    def find_imports(self, kind: str, checksum: str, layer: str) -> list[Any]:
        """The committed imports (``store.ledger.LedgerEntry``) of this content, oldest first."""
        ...

    def record_import(self, entry: Any) -> None: ...

    # Accounts (migration 14; services/accounts.py): rows are added or given an end, never deleted.
    def user(self, name: str) -> Any:
        """The user (``domain.accounts.User``, with its password hash) or None."""
        ...

    def add_user(self, user: Any) -> None: ...

    def disable_user(self, name: str, *, at: str, by: str) -> None: ...

    def token(self, token_id: int) -> Any: ...

    def add_token(self, name: str, user: str, token_hash: str, *, at: str, by: str) -> int:
        """Store a token's sha256 (never the token); return its id."""
        ...

    def revoke_token(self, token_id: int, *, at: str, by: str) -> None: ...

    def touch_token(self, token_id: int, at: str) -> None: ...

    def add_session(self, token_hash: str, user: str, *, at: str, expires_at: str) -> None: ...

    def end_session(self, token_hash: str, at: str) -> None: ...

    def add_account_event(self, event: Any) -> None:
        """Record one change of accounts (``domain.accounts.AccountEvent``)."""
        ...

    def commit(self) -> None: ...


class Snapshot(Protocol):
    """What a dump reads, every read in one consistent snapshot of the database."""

    def raw_versions(self, kind: str) -> list[tuple]: ...

    def all_events(self) -> list[Event]: ...

    def sequences(self) -> dict[str, int]: ...

    def schema_version(self) -> int: ...

    def imports(self) -> list[Any]: ...


@runtime_checkable
class Store(Protocol):
    """What services need from a database, whatever the engine."""

    url: str

    def migrate(self, *, target: int | None = None, create: bool = True) -> list[int]: ...

    def schema_version(self) -> int: ...

    def transaction(self) -> AbstractContextManager[Transaction]: ...

    def get(self, kind: str, record_id: str, *, as_of: str | None = None) -> Version | None: ...

    def list(self, kind: str, *, as_of: str | None = None) -> list[Version]: ...

    def history(self, kind: str, record_id: str) -> list[Version]: ...

    def in_bbox(
        self, kind: str, bounds: tuple[float, float, float, float], *, as_of: str | None = None
    ) -> list[Version]: ...

    def within_distance(
        self, kind: str, geometry: Any, metres: float, *, as_of: str | None = None
    ) -> list[tuple[Version, float]]: ...

    def list_where(
        self,
        kind: str,
        where: Any,
        *,
        limit: int | None,
        offset: int = 0,
        as_of: str | None = None,
    ) -> tuple[list[Version], int]:
        """One page of the records of ``kind`` that meet ``where`` (``store.where.Where``), in
        id order as Python orders ids, and how many meet it: filtered by the engine."""
        ...

    def events(self, hazard_id: str) -> list[Event]: ...

    def count(self, kind: str) -> int: ...

    def tally(
        self, kind: str, by: Sequence[str], sums: Sequence[str] = (), *, as_of: str | None = None
    ) -> list[tuple]:
        """The current (or ``as_of``) records of ``kind`` grouped in the database by payload
        fields ``by`` (``date:month``: YYYY-MM; ``id``): rows (by values as text or None,
        count, sums of the numeric fields ``sums`` as floats), in group order (store/tally.py)."""
        ...

    def list_page(
        self, kind: str, *, limit: int, offset: int = 0, after: str | None = None
    ) -> list[Version]:
        """``limit`` current records of ``kind`` in id order (as Python orders the ids), from
        ``offset`` or after the id ``after``: one page, without reading the others."""
        ...

    def data_version(self, kind: str) -> str:
        """Cheap text that changes whenever a write of ``kind`` commits (tile ETags, the check
        index): equal texts mean the kind's current records are unchanged."""
        ...

    def data_versions(self, kinds: Sequence[str]) -> dict[str, str]:
        """``data_version`` of each of ``kinds``, as cheaply as the engine can while still
        seeing every commit (``store.versions``): what a server asks before each check."""
        ...

    # What dump reads: every version as stored, every event, the id sequences.
    def raw_versions(self, kind: str) -> list[tuple]: ...

    def all_events(self) -> list[Event]: ...

    def sequences(self) -> dict[str, int]: ...

    def snapshot(self) -> AbstractContextManager[Snapshot]:
        """One read transaction (PostgreSQL: ``REPEATABLE READ READ ONLY``) for every read of a
        dump, so that a writer committing meanwhile is wholly in it or wholly not."""
        ...

    def imports(self, *, kind: str | None = None, checksum: str = "", layer: str = "") -> list[Any]:
        """The import ledger (``store.ledger.LedgerEntry``), oldest first; with ``kind``, the
        imports of that content (kind, checksum, layer) only."""
        ...

    # Accounts (migration 14): users, tokens, sessions and their change log, read committed.
    def users(self) -> list[Any]: ...

    def user(self, name: str) -> Any: ...

    def tokens(self) -> list[Any]: ...

    def token_by_hash(self, token_hash: str) -> Any: ...

    def session(self, token_hash: str) -> Any: ...

    def account_events(self) -> list[Any]: ...

    def close(self) -> None: ...


def nearest(candidates: list[Version], geometry: Any, metres: float) -> list[tuple[Version, float]]:
    """The candidates within ``metres`` of ``geometry`` with their distance, nearest first,
    measured by shapely (see analysis.proximity): the engine-independent exact step."""
    if not candidates:  # most places: nothing near (and no numpy overhead for it)
        return []
    import numpy as np

    from clearground.analysis.proximity import hazards_near

    geoms = np.array([v.record.geometry for v in candidates], dtype=object)
    idx, dist = hazards_near(geometry, geoms, metres)
    return [(candidates[i], float(d)) for i, d in zip(idx.tolist(), dist.tolist(), strict=True)]


def highest_number(prefix: str, record_ids: Sequence[str]) -> int:
    """The highest N of ids ``PREFIX-N`` among ``record_ids`` (0 if none): an import that keeps
    the ids of a file moves the kind's sequence past them, so later new ids never clash.

    >>> highest_number("HA", ["HA-000007", "HA-12", "HZ-0099", "HA-x"])
    12
    """
    head = prefix + "-"
    return max(
        (
            int(i[len(head) :])
            for i in record_ids
            if i.startswith(head) and i[len(head) :].isdigit()
        ),
        default=0,
    )


def chunks(seq: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]
