"""Organisations, tasks, risk education sessions and QA visits: one importer, four field lists.

Each kind names its fields, how each is read, which are required, which name other records
(checked to exist), and any rule across fields. Every row or none, like every import.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import CleargroundError
from clearground.domain.landrelease import parse_activity_kind, polygonal
from clearground.domain.records import (
    Organisation,
    OrganisationKind,
    QAVisit,
    RiskEducationSession,
    Task,
    TaskStatus,
)
from clearground.domain.validation import UKRAINE, Region, check_geometries
from clearground.services.common import (
    ImportReport,
    attributes_of,
    iso_date,
    refuse,
    refuse_unless_rows,
    texts,
)
from clearground.services.locations import PcodeIndex
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["KINDS", "import_records"]


def _count(value: str) -> int:
    from clearground.domain.fields import MAX_COUNT

    try:
        n = float(value) if value else 0.0
    except ValueError:
        raise ValueError(f"{value!r} is not a whole number") from None
    if n != n or abs(n) > MAX_COUNT:
        raise ValueError(f"{value!r} is out of range (0 to {MAX_COUNT:,})")
    if n < 0 or not n.is_integer():
        raise ValueError(f"{value!r} must be a whole number, 0 or more")
    return int(n)


def _choice(enum):
    def parse(value: str):
        try:
            return enum(value.strip().lower())
        except ValueError:
            raise ValueError(
                f"{value!r} is not one of {', '.join(e.value for e in enum)}"
            ) from None

    return parse


_SEVERITIES = ("critical", "major", "minor")


def _nonconformities(value: str) -> tuple[tuple[str, str], ...]:
    """``major: marking; minor: documentation`` as (severity, type) pairs.

    Also takes the JSON pairs ``[["major", "marking"], ...]`` that an export writes (``qa list``
    shows them so), so that an export imports as it is.
    """
    if value.startswith("["):
        return _nonconformities_json(value)
    out = []
    for part in (p.strip() for p in value.split(";")):
        if not part:
            continue
        severity, sep, what = part.partition(":")
        severity = severity.strip().lower()
        if not sep or severity not in _SEVERITIES or not what.strip():
            raise ValueError(
                f"nonconformity {part!r}: write SEVERITY: TYPE with severity critical, major "
                "or minor"
            )
        out.append((severity, what.strip()))
    return tuple(out)


def _nonconformities_json(value: str) -> tuple[tuple[str, str], ...]:
    """JSON ``[[severity, type], ...]``, each pair checked as the text form is."""
    try:
        pairs = json.loads(value)
    except (ValueError, RecursionError):
        raise ValueError(
            f"{value!r} is not valid JSON; write [[SEVERITY, TYPE], ...] or SEVERITY: TYPE; ..."
        ) from None
    if not isinstance(pairs, list):
        raise ValueError(f"{value!r}: write a JSON list of [SEVERITY, TYPE] pairs")
    out = []
    for pair in pairs:
        ok = (
            isinstance(pair, list)
            and len(pair) == 2
            and all(isinstance(x, str) and x.strip() for x in pair)
            and pair[0].strip().lower() in _SEVERITIES
        )
        if not ok:
            raise ValueError(
                f"nonconformity {json.dumps(pair, ensure_ascii=False)}: write [SEVERITY, TYPE] "
                "with severity critical, major or minor"
            )
        out.append((pair[0].strip().lower(), pair[1].strip()))
    return tuple(out)


@dataclass(frozen=True)
class Field:
    name: str
    parse: Callable[[str], Any] | None = None  # None: text as it is
    required: bool = False
    refers_to: str = ""  # kind of the record this field names
    past_only: bool = False  # a date that cannot be in the future
    stored: bool = True  # False: read and checked by the rule, never kept


@dataclass(frozen=True)
class Kind:
    name: str
    record: type
    fields: tuple[Field, ...]
    geometry: str = "none"  # "none", "optional point", "point or area"
    rule: Callable[[dict[str, Any]], None] | None = None
    defaults: dict[str, Any] = field(default_factory=dict)
    #: columns its export writes that an import computes afresh (not kept as attributes)
    computed: tuple[str, ...] = ()


def _ordered(*names: str):
    def rule(v: dict[str, Any]) -> None:
        present = [(n, v[n]) for n in names if v.get(n)]
        for (a, da), (b, db) in zip(present, present[1:], strict=False):
            if db < da:
                raise ValueError(f"{b} {db} is before {a} {da}")

    return rule


def _total_matches(v: dict[str, Any]) -> None:
    """An exported ``total`` that disagrees with the counts means one of them was edited."""
    if "total" in v:
        counts = sum(v.get(k, 0) for k in ("girls", "boys", "women", "men"))
        if v["total"] != counts:
            raise ValueError(
                f"total {v['total']} is not girls + boys + women + men ({counts}): correct "
                "the counts or the total, or leave the total empty"
            )


def _date_field(name: str, *, required: bool = False, past_only: bool = True) -> Field:
    return Field(name, "date", required=required, past_only=past_only)


KINDS: dict[str, Kind] = {
    "organisation": Kind(
        "organisation",
        Organisation,
        (
            Field("name", required=True),
            Field("kind", _choice(OrganisationKind)),
            _date_field("accreditation_from"),
            _date_field("accreditation_to", past_only=False),
            Field("notes"),
        ),
        rule=_ordered("accreditation_from", "accreditation_to"),
    ),
    "task": Kind(
        "task",
        Task,
        (
            Field("hazard_id", required=True, refers_to="hazard"),
            Field("organisation_id", required=True, refers_to="organisation"),
            Field("kind", parse_activity_kind, required=True),
            _date_field("issued", required=True),
            _date_field("start", past_only=False),
            _date_field("end", past_only=False),
            Field("status", _choice(TaskStatus)),
            Field("notes"),
        ),
        rule=_ordered("issued", "start", "end"),
    ),
    "eore": Kind(
        "eore",
        RiskEducationSession,
        (
            _date_field("date", required=True),
            Field("organisation_id", required=True, refers_to="organisation"),
            Field("girls", _count),
            Field("boys", _count),
            Field("women", _count),
            Field("men", _count),
            Field("method"),
            Field("notes"),
            Field("total", _count, stored=False),
        ),
        geometry="point or area",
        rule=_total_matches,
        computed=("admin_pcode",),
    ),
    "qa": Kind(
        "qa",
        QAVisit,
        (
            _date_field("date", required=True),
            Field("activity_id", required=True, refers_to="activity"),
            Field("inspecting_organisation", required=True),
            Field("organisation_inspected"),
            Field("nonconformities", _nonconformities),
            Field("measures"),
            Field("notes"),
        ),
        geometry="optional point",
    ),
}


@retrying
def import_records(
    store: Store,
    kind: str,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import every record of ``kind`` in a file, or none."""
    spec = KINDS[kind]
    path = Path(path)
    today = today or date.today()
    p = read_for_import(
        path,
        fields=("id", *(f.name for f in spec.fields)),
        mapping=mapping,
        required=tuple(f.name for f in spec.fields if f.required),
        computed=spec.computed,
        geometry=None,  # optional, or a point or an area: checked below
        layer=layer,
        format_name=format_name,
    )
    table, getter, problems, n = p.table, p.get, p.problems, p.n
    cols = {f.name: texts(getter(f.name), n) for f in spec.fields}
    ids = texts(getter("id"), n)
    extra = p.extra
    geoms = np.asarray(table.geometries, dtype=object)
    if spec.geometry != "none":
        allowed = (0,) if spec.geometry == "optional point" else (0, 3, 6)
        present = np.array([g is not None for g in geoms], dtype=bool)
        if spec.geometry == "point or area" and not present.all():
            for i in np.flatnonzero(~present):
                problems.setdefault(int(i), "no geometry: give the place as a point or an area")
        check = check_geometries(
            geoms[present],
            region=region,
            allowed_types=allowed,
            expected="a point" if allowed == (0,) else "a point or an area",
        )
        where = np.flatnonzero(present)
        for j, why in check.problems.items():
            problems.setdefault(int(where[j]), why)
        geoms = geoms.copy()
        geoms[present] = check.geometries
    values: dict[int, dict[str, Any]] = {}
    for i in range(n):
        row: dict[str, Any] = {}
        try:
            for f in spec.fields:
                raw = cols[f.name][i]
                if not raw:
                    if f.required:
                        raise ValueError(f"{f.name} is empty")
                    continue
                if f.parse == "date":
                    row[f.name] = iso_date(
                        raw, field_name=f.name, today=today if f.past_only else date.max
                    )
                elif f.parse is not None:
                    try:
                        row[f.name] = f.parse(raw)
                    except ValueError as exc:
                        raise ValueError(f"{f.name}: {exc}") from None
                else:
                    row[f.name] = raw
            if spec.rule:
                spec.rule(row)
        except (ValueError, CleargroundError) as exc:
            problems.setdefault(i, getattr(exc, "message", None) or str(exc))
            continue
        values[i] = {f.name: row[f.name] for f in spec.fields if f.stored and f.name in row}
    values = {i: v for i, v in values.items() if i not in problems}
    refuse_unless_rows(table, problems, values)
    with store.transaction() as tx:
        for f in spec.fields:
            if f.refers_to:
                named = {values[i][f.name] for i in values}
                missing = named - tx.existing_ids(f.refers_to, sorted(named))
                for i in values:
                    if values[i][f.name] in missing:
                        problems.setdefault(
                            i, f"{f.name}: {f.refers_to} {values[i][f.name]!r} not found"
                        )
        clash = tx.existing_ids(kind, [x for x in ids if x])
        for i, x in enumerate(ids):
            if x and (x in clash or ids.count(x) > 1):
                problems.setdefault(i, f"id {x!r} already exists or is repeated")
        refuse(table, problems)
        if kind == "qa":  # the inspected organisation defaults to the activity's
            acts = tx.get_many("activity", [values[i]["activity_id"] for i in values])
            for i in values:
                values[i].setdefault(
                    "organisation_inspected", acts[values[i]["activity_id"]].record.organisation
                )
        pcodes = PcodeIndex(store).deepest(geoms) if kind == "eore" else [""] * n
        new_ids = iter(tx.next_ids(kind, sum(1 for x in ids if not x)))
        records = []
        for i in range(n):
            extra_fields = {"admin_pcode": pcodes[i]} if kind == "eore" else {}
            geometry = None if spec.geometry == "none" else geoms[i]
            if kind == "eore" and geometry is not None and geometry.geom_type != "Point":
                geometry = polygonal(geometry)
            records.append(
                spec.record(
                    id=ids[i] or next(new_ids),
                    geometry=geometry,
                    **values[i],
                    **extra_fields,
                    attributes=attributes_of(table, extra, i),
                )
            )
        tx.insert(kind, records, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    return ImportReport(str(path), kind, n, [r.id for r in records], dry_run)
