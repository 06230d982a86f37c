"""Counts and sums of records' fields, grouped in the database (``Store.tally``).

A dashboard over a national database (hundreds of thousands of EO items) cannot load every
record into Python to count them: the database groups the current (or ``as_of``) versions of a
kind by payload fields and sums numeric ones, and only the groups travel. Both engines build the
same query from one description here; only the JSON and version syntax differ.

A field is a payload key (``date``), a path into nested keys (``released.cancelled``), ``id``
(the record's id), or ``FIELD:month`` (the first seven characters, ``YYYY-MM``, of an ISO date).
Group values are text (arrays and objects as their JSON text) or None where the field is absent;
sums are floats, 0.0 where every value is absent.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from clearground.domain.errors import BadInput
from clearground.store.mapping import mapping_for

__all__ = ["FIELD", "sorted_groups", "sql"]

#: What a field may be named: the names are written into SQL, so nothing else is accepted.
FIELD = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(:month)?$")


def _check(fields: Sequence[str]) -> None:
    for f in fields:
        if not FIELD.match(f):
            raise BadInput(f"tally field {f!r}: not a payload field name (e.g. date:month)")


def _group_expr(engine: str, field: str) -> str:
    name, month = field.removesuffix(":month"), field.endswith(":month")
    if name == "id":
        expr = "id"
    elif engine == "sqlite":
        expr = f"CAST(json_extract(payload, '$.{name}') AS TEXT)"
    else:
        expr = f"(payload #>> '{{{name.replace('.', ',')}}}')"
    return f"substr({expr}, 1, 7)" if month else expr


def _sum_expr(engine: str, field: str) -> str:
    if engine == "sqlite":
        return f"total(json_extract(payload, '$.{field}'))"
    return f"coalesce(sum((payload #>> '{{{field.replace('.', ',')}}}')::float8), 0)"


def sql(engine: str, kind: str, by: Sequence[str], sums: Sequence[str], *, as_of: bool) -> str:
    """The query (``as_of``: with one parameter, the time) giving rows (by..., count, sums...)."""
    _check(by)
    _check(sums)
    if any(s.endswith(":month") or s == "id" for s in sums):
        raise BadInput("tally: only numeric payload fields can be summed")
    table = mapping_for(kind).table
    groups = [_group_expr(engine, f) for f in by]
    columns = ", ".join([*groups, "count(*)", *(_sum_expr(engine, f) for f in sums)])
    if engine == "sqlite":
        rows = (
            f"(SELECT id, payload FROM {table}_versions WHERE is_current = 1 AND deleted = 0)"
            if not as_of
            else f"(SELECT id, payload FROM {table}_versions v WHERE valid_from <= ?1 AND "
            f"version = (SELECT max(version) FROM {table}_versions w "
            "WHERE w.id = v.id AND w.valid_from <= ?1) AND deleted = 0)"
        )
    else:
        rows = (
            f"(SELECT id, payload FROM {table}_versions WHERE is_current AND NOT deleted)"
            if not as_of
            else f"(SELECT id, payload FROM (SELECT DISTINCT ON (id) id, payload, deleted "
            f"FROM {table}_versions WHERE valid_from <= %s ORDER BY id, version DESC) d "
            "WHERE NOT deleted)"
        )
    group = f" GROUP BY {', '.join(str(i + 1) for i in range(len(by)))}" if by else ""
    return f"SELECT {columns} FROM {rows} r{group}"


def sorted_groups(rows: Sequence[Sequence], n_by: int) -> list[tuple]:
    """Rows as tuples in the order of their group values (None first), the same on each engine
    (their NULL orders differ); counts as int, sums as float."""
    out = [(*r[:n_by], int(r[n_by]), *(float(x or 0.0) for x in r[n_by + 1 :])) for r in rows]
    return sorted(out, key=lambda r: tuple((x is not None, x or "") for x in r[:n_by]))
