"""The import ledger's rows on either engine (table ``import_ledger``, migration 12).

Both engines run the same SQL through these functions; only the parameter mark differs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["LedgerEntry", "find_imports", "list_imports", "record_import"]

_COLUMNS = "kind, checksum, layer, source, files, author, at, again, count, ids"


@dataclass(frozen=True)
class LedgerEntry:
    """One committed import: what (kind, layer, content checksum, files), who, when, which ids."""

    kind: str
    checksum: str
    layer: str
    source: str
    author: str
    at: str
    count: int
    ids: list[str]
    again: bool = False
    files: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "checksum": self.checksum,
            "layer": self.layer or None,
            "source": self.source,
            "files": self.files,
            "author": self.author,
            "at": self.at,
            "again": self.again,
            "count": self.count,
            "ids": self.ids,
        }


def _entry(row: tuple) -> LedgerEntry:
    kind, checksum, layer, source, files, author, at, again, count, ids = row
    return LedgerEntry(
        kind=kind,
        checksum=checksum,
        layer=layer,
        source=source,
        author=author,
        at=at,
        count=int(count),
        ids=json.loads(ids),
        again=bool(again),
        files=json.loads(files),
    )


def find_imports(conn: Any, mark: str, kind: str, checksum: str, layer: str) -> list[LedgerEntry]:
    """The committed imports of this content, oldest first."""
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM import_ledger WHERE kind = {mark} AND checksum = {mark} "
        f"AND layer = {mark} ORDER BY seq",
        (kind, checksum, layer),
    ).fetchall()
    return [_entry(r) for r in rows]


def record_import(conn: Any, mark: str, entry: LedgerEntry) -> None:
    marks = ", ".join([mark] * 10)
    conn.execute(
        f"INSERT INTO import_ledger ({_COLUMNS}) VALUES ({marks})",
        (
            entry.kind,
            entry.checksum,
            entry.layer,
            entry.source,
            json.dumps(entry.files, sort_keys=True),
            entry.author,
            entry.at,
            entry.again,
            entry.count,
            json.dumps(entry.ids),
        ),
    )


def list_imports(conn: Any) -> list[LedgerEntry]:
    """Every committed import, oldest first."""
    rows = conn.execute(f"SELECT {_COLUMNS} FROM import_ledger ORDER BY seq").fetchall()
    return [_entry(r) for r in rows]
