"""Small pieces the use cases share: reading values out of file columns, reporting progress."""

from __future__ import annotations

import gc
import math
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats.base import FeatureTable

__all__ = [
    "BOOKKEEPING",
    "attributes_of",
    "attributes_per_feature",
    "bulk",
    "ignore_exported",
    "ImportReport",
    "Progress",
    "column_getter",
    "iso_date",
    "parse_map",
    "plain",
    "read_features",
    "refuse_unstorable_text",
    "unstorable",
    "add_existing_ids",
    "refuse",
    "refuse_unless_rows",
    "without_problems",
    "require_columns",
    "text",
    "texts",
]

#: Columns every clearground export carries that the database keeps itself: importing an export
#: ignores them (the new database writes its own), rather than keeping them as attributes.
BOOKKEEPING = ("version", "valid_from", "author", "reason")

#: progress(stage, done, total): called as an import advances.
Progress = Callable[[str, int, int], None]


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    source: str
    kind: str
    count: int
    ids: list[str]
    dry_run: bool
    repaired: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "imported": 0 if self.dry_run else self.count,
            "would_import": self.count if self.dry_run else None,
            "dry_run": self.dry_run,
            "ids": self.ids,
            "repaired": self.repaired,
            "notes": self.notes,
        }


@contextmanager
def bulk() -> Iterator[None]:
    """Pause the cyclic garbage collector while a bulk import allocates many small objects.

    The records of an import hold no reference cycles; collecting them repeatedly mid-import
    costs seconds on 100,000 features and frees nothing.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_map(pairs: list[str] | None) -> dict[str, str]:
    """``--map field=column`` options as {field: column}."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        field_, sep, column = pair.partition("=")
        if not sep or not field_.strip() or not column.strip():
            raise BadInput(f"--map {pair!r}: write it as field=column")
        out[field_.strip()] = column.strip()
    return out


def column_getter(
    table: FeatureTable, mapping: dict[str, str], *, fields: Sequence[str] | None = None
) -> tuple[Callable[[str], np.ndarray | None], set[str]]:
    """A function giving the column for a field (``--map`` first, then same name, any case).

    Returns it with the set of file columns it handed out, so the rest can be kept as attributes.
    ``fields`` are the fields the import reads: ``--map`` naming any other is refused with them
    (it would otherwise be ignored, and the column it names kept as an attribute).
    """
    by_lower = {name.lower(): name for name in table.columns}
    used: set[str] = set()
    unknown = [f for f in mapping if fields is not None and f not in fields]
    if unknown:
        raise ImportRejected(
            [
                f"{table.source}: --map {f}={mapping[f]}: no field {f!r} in this import; "
                f"fields: {', '.join(fields or ())}"
                for f in unknown
            ]
        )
    for field_, column in mapping.items():
        if column not in table.columns and column.lower() not in by_lower:
            raise ImportRejected(
                [
                    f"{table.source}: --map {field_}={column}: no column {column!r}; "
                    f"columns: {', '.join(table.columns) or 'none'}"
                ]
            )

    def get(field_: str) -> np.ndarray | None:
        wanted = mapping.get(field_, field_)
        name = wanted if wanted in table.columns else by_lower.get(wanted.lower())
        if name is None:
            return None
        used.add(name)
        return table.columns[name]

    return get, used


def ignore_exported(getter: Callable[[str], np.ndarray | None], computed: tuple[str, ...]) -> None:
    """Mark the bookkeeping and ``computed`` columns of a kind's own export as used, so that
    importing an export keeps none of them as attributes; the import computes them afresh."""
    for name in (*BOOKKEEPING, *computed):
        getter(name)


def texts(column: np.ndarray | None, n: int) -> list[str]:
    """A whole column as trimmed text, '' for null and NaN: one pass, no per-cell dispatch."""
    if column is None:
        return [""] * n
    if column.dtype.kind == "f":
        return [
            "" if v != v else str(int(v)) if v.is_integer() else repr(v) for v in column.tolist()
        ]
    if column.dtype.kind in "iub":
        return [str(v) for v in column.tolist()]
    if column.dtype.kind in "US":
        return [str(v).strip() for v in column.tolist()]
    values = column.tolist()
    try:  # a column of text only: map's C loop is several times faster than a comprehension
        return list(map(str.strip, values))
    except TypeError:  # a null or a cell that is not text: cell by cell
        return ["" if v is None else v.strip() if type(v) is str else text(v) for v in values]


def read_features(
    path: Path, *, layer: str | None, format_name: str | None, crs: str | None = None
) -> FeatureTable:
    """The features of one layer of a file, by its format; a file with none is refused, and so
    is text that PostgreSQL cannot store (:func:`refuse_unstorable_text`)."""
    from clearground.formats import read_file

    table = read_file(path, format_name, layer=layer, crs=crs)
    if len(table) == 0:
        raise ImportRejected([f"{path}: the layer has no features"])
    refuse_unstorable_text(table, path, format_name)
    return table


def unstorable(value: str) -> str:
    """Why a database could not store ``value`` as text, or '': PostgreSQL refuses NUL (the one
    character a UTF-8 database cannot hold) and lone surrogates are no UTF-8 at all. SQLite
    would store both, so they are refused on every engine: a database can always move."""
    if "\x00" in value:
        return "holds a NUL character (\\x00), which PostgreSQL cannot store; remove it"
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "holds a lone surrogate (U+D800 to U+DFFF), which is not UTF-8 text"
    return ""


def _column_unstorable(values: list[Any]) -> bool:
    try:  # text only (the usual column): one join in C
        joined = "".join(values)
    except TypeError:
        joined = "".join(v for v in values if isinstance(v, str))
    return bool(unstorable(joined))


# A JSON escape of NUL or of a surrogate (not preceded by an escaped backslash): GDAL cuts a
# string at an escaped NUL and replaces a lone surrogate, so the text read is not the file's.
_JSON_ESCAPE = re.compile(rb"(?<!\\)(?:\\\\)*\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")


def refuse_unstorable_text(
    table: FeatureTable, path: Path | None = None, format_name: str | None = None
) -> None:
    """Refuse a file whose text a database cannot store, naming feature and field: a NUL
    character or a lone surrogate, in a cell, a column name, or escaped in a GeoJSON file
    (which GDAL would silently cut)."""
    problems = [
        f"{table.source}: column name {name!r} {why}"
        for name in table.columns
        if (why := unstorable(name))
    ]
    for name, column in table.columns.items():
        if column.dtype.kind not in "OU":
            continue
        values = column.tolist()
        if not _column_unstorable(values):
            continue
        for i, v in enumerate(values):
            if i in table.problems:  # the reader has said why already (text not UTF-8, ...)
                continue
            if isinstance(v, str) and (why := unstorable(v)):
                problems.append(f"{table.where(i)}: {name} {why}")
    if path is not None and not problems:
        problems = _json_escaped(table, Path(path), format_name)
    if problems:
        raise ImportRejected(problems)


def _json_escaped(table: FeatureTable, path: Path, format_name: str | None) -> list[str]:
    """The escaped NUL and lone surrogates in the properties of a GeoJSON file, by feature."""
    import json

    from clearground.formats import format_for_path

    if format_for_path(path, format_name).name != "geojson":
        return []
    raw = path.read_bytes()
    if not _JSON_ESCAPE.search(raw):
        return []
    try:
        data = json.loads(raw)
    except ValueError:
        return []  # GDAL read it; what it read was checked above
    features = data.get("features") if isinstance(data, dict) else None
    problems = []
    for i, feature in enumerate(features if isinstance(features, list) else []):
        props = feature.get("properties") if isinstance(feature, dict) else None
        for key, value in (props or {}).items() if isinstance(props, dict) else ():
            why = unstorable(key) or _nested_unstorable(value)
            if why:
                name = repr(key) if unstorable(key) else key
                problems.append(f"{table.where(i)}: {name} {why}")
    return problems


def _nested_unstorable(value: Any) -> str:
    if isinstance(value, str):
        return unstorable(value)
    if isinstance(value, dict):
        value = [*value.keys(), *value.values()]
    if isinstance(value, list):
        return next((w for v in value if (w := _nested_unstorable(v))), "")
    return ""


def refuse(table: FeatureTable, problems: dict[int, str]) -> None:
    """Raise the import's refusal, one ``FILE:feature N: reason`` line per problem, if any."""
    if problems:
        raise ImportRejected([f"{table.where(i)}: {problems[i]}" for i in sorted(problems)])


def refuse_unless_rows(table: FeatureTable, problems: dict[int, str], rows: Any) -> None:
    """Refuse now only when no feature is left for the checks against the database (ids that
    exist, records named); otherwise those checks run on the features left and the import
    refuses once, after them, with every problem found in the one pass."""
    if problems and not rows:
        refuse(table, problems)


def without_problems(geometries: np.ndarray, problems: dict[int, str]) -> np.ndarray:
    """The geometries, None for each feature with a problem (later checks skip those)."""
    out = np.array(geometries, dtype=object)
    if problems:
        out[list(problems)] = None
    return out


def add_existing_ids(
    store, kind: str, ids: list[str], problems: dict[int, str], *, what: str = "id"
) -> None:
    """When an import already has problems, add those of ids the database has, so that one
    pass reports them too (the import checks them again in its own transaction)."""
    given = sorted({x for x in ids if x})
    if not problems or not given:
        return
    with store.transaction() as tx:
        clash = tx.existing_ids(kind, given)
    for i, x in enumerate(ids):
        if x in clash:
            problems.setdefault(i, f"{what} {x!r} already exists")


def require_columns(table: FeatureTable, getter, required: tuple[str, ...]) -> None:
    """Refuse the file, naming every required column it lacks and the columns it has."""
    missing = [f for f in required if getter(f) is None]
    if missing:
        raise ImportRejected(
            [
                f"{table.source}: missing column{'s' if len(missing) > 1 else ''} "
                f"{', '.join(missing)}; columns: {', '.join(table.columns) or 'none'} "
                "(map others with --map field=column)"
            ]
        )


def text(value: Any) -> str:
    """A cell as trimmed text; '' for null and NaN."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return str(value).strip()


def iso_date(value: Any, *, field_name: str, today: date) -> date:
    """A cell as a date in ISO 8601, read whole (a date, or a date and time), refusing the
    future and anything before 1900 (:func:`clearground.domain.fields.parse_iso_date`)."""
    from clearground.domain.fields import parse_iso_date

    return parse_iso_date(text(value), field_name=field_name, today=today)


def plain(value: Any) -> Any:
    """A cell as a JSON-friendly Python value (attributes keep what the file said)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _attribute(value: Any) -> Any:
    """A cell kept as an attribute, or None: an empty cell is no attribute (a file, or an export
    of records with different attributes, leaves cells empty where a record has nothing)."""
    value = plain(value)
    return None if value == "" else value


def attributes_of(table: FeatureTable, extra: list[str], i: int) -> dict[str, Any]:
    """The file's other columns of feature ``i``: kept as attributes, nothing lost."""
    out = {}
    for c in extra:
        value = _attribute(table.columns[c][i])
        if value is not None:
            out[c] = value
    return out


def attributes_per_feature(table: FeatureTable, extra: list[str]) -> list[dict[str, Any]]:
    """:func:`attributes_of` for every feature at once, a column at a time (bulk imports)."""
    out: list[dict[str, Any]] = [{} for _ in range(len(table))]
    for name in extra:
        for i, value in enumerate(table.columns[name].tolist()):
            value = _attribute(value)
            if value is not None:
                out[i][name] = value
    return out
