"""New hazard areas as columns, for a bulk import: the rows the store writes, without a record
object per feature.

A bulk import of 100,000 hazards spent about as long building a ``HazardArea`` and a payload
dict per feature as GDAL takes to read the file. ``NewRows`` holds what ``Transaction.insert``
writes (ids, geometries, payload JSON texts), and ``new_hazard_rows`` makes the JSON column by
column: each distinct value of a column is encoded once, and the rows are joined from the pieces.
The text is the same, byte for byte, as ``payloads_json`` gives for the same ``HazardArea``
(``tests/store/test_new_rows.py`` holds the two to each other), so what is stored does not
depend on the path it came by.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import orjson

from clearground.domain.records import Classification, HazardStatus, Released

__all__ = ["NewRows", "new_hazard_rows", "record_geometries", "record_ids"]


@dataclass(frozen=True, slots=True)
class NewRows:
    """Records to insert as version 1, as columns; slices are ``NewRows`` too."""

    ids: list[str]
    geometries: Sequence[Any]
    payloads: list[str]

    def __len__(self) -> int:
        return len(self.ids)

    def __getitem__(self, part: slice) -> NewRows:
        if not isinstance(part, slice):
            raise TypeError("NewRows are read as columns or sliced, not one by one")
        return NewRows(self.ids[part], self.geometries[part], self.payloads[part])


def record_ids(records: Sequence[Any]) -> list[str]:
    """The ids of records or ``NewRows``."""
    if isinstance(records, NewRows):
        return records.ids
    return [r.id for r in records]


def record_geometries(records: Sequence[Any]) -> Sequence[Any]:
    """The geometries of records (a list) or ``NewRows`` (as they hold them: a numpy array
    from an import, which the encoders take without a copy)."""
    if isinstance(records, NewRows):
        return records.geometries
    return [r.geometry for r in records]


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def _encoded(values: Sequence[Any], encode: Callable[[Any], str]) -> list[str]:
    """``encode`` of each value, run once per distinct value (columns repeat a few values)."""
    try:
        known = {v: encode(v) for v in set(values)}
    except TypeError:  # unhashable values (lists, dicts): one by one
        return [encode(v) for v in values]
    return [known[v] for v in values]


def _same(value: Any) -> Any:
    return value


def _optional(key: str, values: Sequence[Any], as_json: Callable[[Any], Any]) -> list[str] | None:
    """``,"key":VALUE`` where a value is set (truthy), else nothing: as ``_hazard_payload``."""
    if not any(values):
        return None
    head = f',"{key}":'
    return _encoded(values, lambda v: head + _dumps(as_json(v)) if v else "")


# The characters orjson escapes in a string (quote, backslash, controls), and surrogates, which
# it refuses: a string without any is written between quotes as it is.
_ESCAPED = re.compile(r'[\x00-\x1f"\\\ud800-\udfff]')


def _strings(prefix: str, values: list[str]) -> list[str]:
    """``prefix`` and each string as orjson writes it; a column of plain strings (the usual)
    is checked in one pass and quoted without encoding each."""
    try:
        plain = _ESCAPED.search("".join(values)) is None
    except TypeError:  # not all strings: orjson says what each is
        plain = False
    if plain:
        return [f'{prefix}"{v}"' for v in values]
    return [prefix + _dumps(v) for v in values]


def _floats(values: list[float]) -> list[str]:
    """Each float as orjson writes it, from one call: a JSON array of numbers splits at commas."""
    if not values:
        return []
    return orjson.dumps(values).decode()[1:-1].split(",")


def _released_text() -> str:
    """Nothing released: a new hazard is active, and only land release activities change it."""
    r = Released()
    return _dumps({"cancelled": r.cancelled, "reduced": r.reduced, "cleared": r.cleared})


def new_hazard_rows(
    *,
    ids: list[str],
    names: list[str],
    geometries: Sequence[Any],
    areas: list[float],
    classifications: list[Classification],
    eo_types: list[tuple[str, ...]],
    dates_reported: list[date | None],
    sources: list[str],
    admin_pcodes: list[str],
    land_uses: list[str],
    notes: list[str],
    benchmarks: list[tuple[float, float] | None],
    attributes: list[dict[str, Any]],
) -> NewRows:
    """New active hazards (nothing released) as rows; every column has one value per hazard.

    The payload's keys come in ``_hazard_payload``'s order, empty values left out as it does.
    """
    n = len(ids)
    columns = (names, geometries, areas, classifications, eo_types, dates_reported, sources)
    columns += (admin_pcodes, land_uses, notes, benchmarks, attributes)
    if any(len(c) != n for c in columns):
        raise ValueError("every column of new hazard rows needs one value per id")
    status = _dumps(HazardStatus.ACTIVE._value_)
    released = ',"released":' + _released_text()
    head = _strings('{"name":', names)  # names are mostly distinct: no dict of them
    kind = _encoded(
        classifications,
        lambda c: f',"classification":{_dumps(c._value_)},"status":{status},"area_m2":',
    )
    pieces: list[list[str]] = [head, kind, _floats(areas), [released] * n]
    for key, values, as_json in (
        ("eo_types", eo_types, list),
        ("date_reported", dates_reported, date.isoformat),
        ("source", sources, _same),
        ("admin_pcode", admin_pcodes, _same),
        ("land_use", land_uses, _same),
        ("notes", notes, _same),
        ("benchmark", benchmarks, list),
    ):
        column = _optional(key, values, as_json)
        if column is not None:
            pieces.append(column)
    if any(attributes):
        pieces.append([',"attributes":' + _dumps(a) if a else "" for a in attributes])
    pieces.append(["}"] * n)
    return NewRows(list(ids), geometries, list(map("".join, zip(*pieces, strict=True))))
