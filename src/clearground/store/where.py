"""Filters a store checks itself, in SQL, on a kind's payload: what a records list needs so that
one page of 100,000 hazards is read without reading (and decoding) the others.

A :class:`Where` names payload fields (the mapping's payload keys: ``status``,
``admin_pcode``, ``date_reported``, ...) and values; :func:`where_sql` turns it into a SQL
condition for either engine, every value a bound parameter and every field name checked to be a
plain identifier. Both engines compare text by code point (SQLite always; PostGIS with
``COLLATE "C"``), as Python compares strings, so the engines agree on every answer.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["Where", "where_sql"]

_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Where:
    """Conditions on current (or past) records of one kind; empty: every record.

    ``equal``: (field, text) pairs the payload's field must equal; ``prefix``: (field, text)
    pairs the field must start with (a P-code and the areas inside it); ``days``: (field,
    first, last) with either end open, the field's date (its first ten characters, ISO) in that
    range (a record without the field never matches); ``ids``: only these ids; ``after``: only
    ids after this one (a cursor)."""

    equal: tuple[tuple[str, str], ...] = ()
    prefix: tuple[tuple[str, str], ...] = ()
    days: tuple[str, date | None, date | None] | None = None
    ids: frozenset[str] | None = None
    after: str | None = None


def _field(engine: str, name: str) -> str:
    if not _FIELD.match(name):
        raise ValueError(f"not a payload field name: {name!r}")
    if engine == "sqlite":
        return f"json_extract(payload, '$.{name}')"
    return f"(payload ->> '{name}')"


def where_sql(engine: str, where: Where) -> tuple[str, list[Any]]:
    """The SQL condition (joined by AND; "1 = 1" when empty) and its parameters, with the
    engine's parameter mark (``?`` for sqlite, ``%s`` for postgis)."""
    mark = "?" if engine == "sqlite" else "%s"
    collate = "" if engine == "sqlite" else ' COLLATE "C"'
    parts: list[str] = []
    args: list[Any] = []
    for name, value in where.equal:
        parts.append(f"{_field(engine, name)} = {mark}")
        args.append(str(value))
    for name, value in where.prefix:
        parts.append(f"substr({_field(engine, name)}, 1, CAST({mark} AS integer)) = {mark}")
        args += [len(value), str(value)]
    if where.days is not None:
        name, first, last = where.days
        day = f"substr({_field(engine, name)}, 1, 10)"
        parts.append(f"{_field(engine, name)} IS NOT NULL")
        if first is not None:
            parts.append(f"{day}{collate} >= {mark}")
            args.append(first.isoformat())
        if last is not None:
            parts.append(f"{day}{collate} <= {mark}")
            args.append(last.isoformat())
    if where.ids is not None:
        if engine == "sqlite":
            parts.append(f"id IN (SELECT value FROM json_each({mark}))")
            args.append(json.dumps(sorted(where.ids)))
        else:
            parts.append(f"id = ANY({mark})")
            args.append(sorted(where.ids))
    if where.after is not None:
        parts.append(f"id{collate} > {mark}")
        args.append(where.after)
    return (" AND ".join(parts) or "1 = 1"), args
