"""Numbered schema migrations that both engines apply, recorded in ``schema_migrations``.

Each migration module has ``NUMBER``, ``NAME`` and two functions, ``sqlite()`` and ``postgis()``,
that return the SQL statements for that engine. A migration is never edited once released: a
change of schema is a new, higher number.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["MIGRATIONS", "Migration", "apply_pending", "pending"]

_MODULES = [
    "m0001_initial",
    "m0002_eo_items",
    "m0003_accidents",
    "m0004_minefield_records",
    "m0005_qc_samples",
    "m0006_submissions",
    "m0007_admin_areas",
    "m0008_operations",
    "m0009_coverage",
    "m0010_geopackage",
    "m0011_erase_rejected_personal_data",
    "m0012_import_ledger",
    "m0013_priority_runs",
    "m0014_accounts",
]


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    module: ModuleType

    def statements(self, engine: str) -> list[str]:
        return list(getattr(self.module, engine)())


def _load() -> list[Migration]:
    out = []
    for name in _MODULES:
        mod = importlib.import_module(f"{__name__}.{name}")
        out.append(Migration(mod.NUMBER, mod.NAME, mod))
    numbers = [m.number for m in out]
    assert numbers == sorted(set(numbers)), "migration numbers must be unique and increasing"
    return out


MIGRATIONS = _load()


def pending(done: set[int], target: int | None = None) -> list[Migration]:
    """The migrations not in ``done``, in order, up to ``target`` (every one if None)."""
    return [
        m for m in MIGRATIONS if m.number not in done and (target is None or m.number <= target)
    ]


def apply_pending(conn: Any, engine: str, target: int | None = None) -> list[int]:
    """Apply on ``conn`` (sqlite3 or psycopg, inside the caller's transaction and lock) every
    migration not yet recorded in ``schema_migrations``, up to ``target``; return their numbers.

    One loop for both engines: only the SQL of each migration and the parameter mark differ.
    """
    from clearground.store.base import now_utc

    mark = "?" if engine == "sqlite" else "%s"
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {r[0] for r in conn.execute("SELECT version FROM schema_migrations")}
    applied = []
    for m in pending(done, target):
        for stmt in m.statements(engine):
            conn.execute(stmt)
        conn.execute(
            f"INSERT INTO schema_migrations VALUES ({mark}, {mark}, {mark})",
            (m.number, m.name, now_utc()),
        )
        applied.append(m.number)
    return applied
