"""The import ledger: one row per committed import, written in the import's own transaction.

A row says what was imported (kind, layer, the sha256 of the file's content and of the files
read with it), by whom, when, and the ids it wrote, so that importing the same content again is
refused (``services/ledger.py``), also when the reply to an import's COMMIT was lost. On SQLite
it is a plain table, not a GeoPackage layer (GDAL lists only registered tables).
"""

from __future__ import annotations

NUMBER = 12
NAME = "import_ledger"

_COLUMNS = (
    "kind TEXT NOT NULL, "
    "checksum TEXT NOT NULL, "
    "layer TEXT NOT NULL, "
    "source TEXT NOT NULL, "
    "files TEXT NOT NULL, "
    "author TEXT NOT NULL, "
    "at TEXT NOT NULL, "
    "again {bool} NOT NULL, "
    "count INTEGER NOT NULL, "
    "ids TEXT NOT NULL"
)
_INDEX = "CREATE INDEX import_ledger_content ON import_ledger (kind, checksum, layer)"


def sqlite() -> list[str]:
    return [
        "CREATE TABLE import_ledger (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
        f"{_COLUMNS.format(bool='INTEGER')})",
        _INDEX,
    ]


def postgis() -> list[str]:
    return [
        "CREATE TABLE import_ledger (seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        f"{_COLUMNS.format(bool='BOOLEAN')})",
        _INDEX,
    ]
