"""Numbered schema migrations that both engines apply, recorded in ``schema_migrations``.

Each migration module has ``NUMBER``, ``NAME`` and two functions, ``sqlite()`` and ``postgis()``,
that return the SQL statements for that engine. A migration is never edited once released: a
change of schema is a new, higher number.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType

__all__ = ["MIGRATIONS", "Migration", "pending"]

_MODULES = [
    "m0001_initial",
    "m0002_eo_items",
    "m0003_accidents",
    "m0004_minefield_records",
    "m0005_qc_samples",
    "m0006_submissions",
    "m0007_admin_areas",
    "m0008_operations",
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
