"""Accidents and their victims. Victims' personal data is stored apart and read only with the
``victim_data`` permission; it never appears in accident listings or exports."""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from datetime import date
from pathlib import Path
from typing import Any

from clearground.domain.errors import Forbidden, ImportRejected, NotFound
from clearground.domain.evidence import parse_eo_category, parse_victim
from clearground.domain.records import Accident, Victim, VictimPersonalData
from clearground.domain.validation import UKRAINE, Region, check_geometries
from clearground.formats import format_for_path
from clearground.services.common import (
    ImportReport,
    attributes_of,
    bulk,
    column_getter,
    ignore_exported,
    iso_date,
    plain,
    read_features,
    refuse,
    require_columns,
    texts,
)
from clearground.services.evidence import COMPUTED, OUTSIDE_MESSAGE, HazardLinks
from clearground.services.locations import PcodeIndex
from clearground.store.base import Store, Version
from clearground.store.retry import retrying

__all__ = ["accident_json", "import_accidents", "parse_victims_list", "victims_personal_data"]

KIND = "accident"
PERSONAL = "victim_personal"
_FIELDS = ("id", "eo_category", "eo_type", "activity", "hazard_id", "notes")
_VICTIM_FIELDS = (
    "accident_id",
    "sex",
    "age_group",
    "victim_type",
    "outcome",
    "name",
    "contact",
    "notes",
)
#: What the ``victims`` column (a JSON list, as an accidents export writes it) may say of each
#: victim: nothing personal. Names and contacts come only from a ``--victims`` file.
_VICTIM_KEYS = ("victim_no", "sex", "age_group", "victim_type", "outcome")
#: Counts an export writes beside its victims; the import counts the victims again.
_COUNTS = ("killed", "injured")


def _whole(value: object) -> int | None:
    """A whole number from JSON or a spreadsheet (``2``, ``2.0``, ``"2"``), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def parse_victims_list(value: object) -> tuple[Victim, ...]:
    """The victims of one accident from its ``victims`` cell, in ``victim_no`` order.

    The cell is a JSON list of objects with ``victim_no``, ``sex``, ``age_group``,
    ``victim_type`` and ``outcome``, as an accidents export writes it, so that an export imports
    as the same accident. It carries no personal data, and any other key is refused rather than
    dropped: names and contacts belong in a ``--victims`` file, which keeps them apart.
    ValueError says what is wrong in one line.

    Examples
    --------
    >>> [v.outcome.value for v in parse_victims_list('[{"victim_no": 1, "outcome": "killed"}]')]
    ['killed']
    >>> parse_victims_list("")
    ()
    """
    value = plain(value)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ()
    if isinstance(value, str):
        if not value.strip():
            return ()
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise ValueError(f"victims is not JSON: {exc.msg} at character {exc.pos + 1}") from None
    if not isinstance(value, list):
        raise ValueError(
            'victims must be a JSON list of victims, like [{"victim_no": 1, "outcome": "killed"}]'
        )
    numbered = []
    for k, item in enumerate(value, start=1):
        if not isinstance(item, dict):
            raise ValueError(f"victims: victim {k} is not an object with {', '.join(_VICTIM_KEYS)}")
        unknown = sorted(set(item) - set(_VICTIM_KEYS))
        if unknown:
            raise ValueError(
                f"victims: victim {k}: unknown key(s) {', '.join(map(str, unknown))}; a victim "
                f"has {', '.join(_VICTIM_KEYS)} (names and contacts go in a --victims file)"
            )
        no = _whole(item.get("victim_no", k))
        if no is None:
            raise ValueError(
                f"victims: victim {k}: victim_no {item['victim_no']!r} is not a number"
            )
        try:
            victim = parse_victim(
                item.get("sex"), item.get("age_group"), item.get("victim_type"), item.get("outcome")
            )
        except ValueError as exc:
            raise ValueError(f"victims: victim {k}: {exc}") from None
        numbered.append((no, victim))
    numbers = sorted(no for no, _ in numbered)
    if numbers != list(range(1, len(numbered) + 1)):
        raise ValueError(
            f"victims: victim_no {', '.join(map(str, numbers))} must number the victims "
            f"1 to {len(numbered)}, once each"
        )
    return tuple(v for _, v in sorted(numbered, key=lambda nv: nv[0]))


def _read_victims(path: Path, layer: str | None, mapping: dict[str, str] | None):
    """Victims by the accident id they name, with their personal data kept apart."""
    table = format_for_path(path).read(path, layer=layer)
    getter, _ = column_getter(table, mapping or {})
    require_columns(table, getter, ("accident_id", "outcome"))
    cols = {f: texts(getter(f), len(table)) for f in _VICTIM_FIELDS}
    by_accident: dict[str, list[tuple[Victim, dict[str, str]]]] = {}
    problems = []
    for i in range(len(table)):
        try:
            if not cols["accident_id"][i]:
                raise ValueError("accident_id is empty")
            victim = parse_victim(
                cols["sex"][i], cols["age_group"][i], cols["victim_type"][i], cols["outcome"][i]
            )
        except ValueError as exc:
            problems.append(f"{table.where(i)}: {exc}")
            continue
        personal = {k: cols[k][i] for k in ("name", "contact", "notes")}
        by_accident.setdefault(cols["accident_id"][i], []).append((victim, personal))
    return by_accident, problems, table


@retrying
@bulk()
def import_accidents(
    store: Store,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    victims: str | Path | None = None,
    victims_layer: str | None = None,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import every accident of a point layer (and its victims), or none.

    Victims come from a ``--victims`` file (one row each, naming its accident's id, personal
    data included and kept apart) or from a ``victims`` column of the accidents themselves (a
    JSON list, see :func:`parse_victims_list`), which is what an accidents export writes. So an
    export imports as the same accidents with the same non-personal victim data; victims'
    names and contacts are never exported, so they do not come back that way, by design.
    """
    path = Path(path)
    today = today or date.today()
    table = read_features(path, layer=layer, format_name=format_name)
    n = len(table)
    getter, used = column_getter(table, mapping or {})
    require_columns(table, getter, ("date",))
    ignore_exported(getter, COMPUTED)
    victims_column = getter("victims")
    counts = {c: texts(getter(c), n) for c in _COUNTS} if victims_column is not None else {}
    check = check_geometries(
        table.geometries, region=region, allowed_types=(0,), expected="a point"
    )
    problems = {**check.problems, **table.problems}
    cols = {f: texts(getter(f), n) for f in ("date", *_FIELDS)}
    extra = [c for c in table.columns if c not in used]
    parsed: dict[int, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for i in range(n):
        try:
            when = iso_date(cols["date"][i], field_name="date", today=today)
            category = parse_eo_category(cols["eo_category"][i]) if cols["eo_category"][i] else None
            listed = () if victims_column is None else parse_victims_list(victims_column[i])
            _check_counts(listed, {c: counts[c][i] for c in counts})
        except ValueError as exc:
            problems.setdefault(i, str(exc))
            continue
        if cols["id"][i]:
            if cols["id"][i] in seen:
                problems.setdefault(
                    i, f"duplicate id {cols['id'][i]!r} (also feature {seen[cols['id'][i]] + 1})"
                )
                continue
            seen[cols["id"][i]] = i
        parsed[i] = {"date": when, "eo_category": category, "victims": listed}
    victim_rows: dict[str, list[tuple[Victim, dict[str, str]]]] = {}
    victim_problems: list[str] = []
    if victims is not None:
        victim_rows, victim_problems, vtable = _read_victims(Path(victims), victims_layer, mapping)
        orphans = sorted(set(victim_rows) - set(seen))
        if orphans:
            victim_problems.append(
                f"{vtable.source}: victims name accidents that are not in {path.name} "
                f"(by its id column): {', '.join(orphans[:10])}"
            )
        for i, row in parsed.items():
            if row["victims"] and cols["id"][i] in victim_rows:
                problems.setdefault(
                    i,
                    f"victims given twice: in the victims column and in {vtable.source}; "
                    "give them in one place",
                )
    if problems or victim_problems:
        raise ImportRejected(
            [f"{table.where(i)}: {problems[i]}" for i in sorted(problems)] + victim_problems
        )
    points = check.geometries
    with store.transaction() as tx:
        hazards = HazardLinks(store, tx, points, [cols["hazard_id"][i] for i in parsed])
        pcodes = PcodeIndex(store).deepest(points)
        clash = tx.existing_ids(KIND, list(seen))
        new_ids = iter(tx.next_ids(KIND, sum(1 for i in parsed if not cols["id"][i])))
        accidents, personal = [], []
        for i, row in parsed.items():
            if cols["id"][i] in clash:
                problems[i] = f"id {cols['id'][i]!r} already exists"
                continue
            wanted = cols["hazard_id"][i]
            if not hazards.exists(wanted):
                problems[i] = f"hazard {wanted!r} not found"
                continue
            its_victims = [(v, {}) for v in row["victims"]] or victim_rows.get(cols["id"][i], [])
            accident = Accident(
                id=cols["id"][i] or next(new_ids),
                geometry=points[i],
                date=row["date"],
                eo_category=row["eo_category"],
                eo_type=cols["eo_type"][i],
                activity=cols["activity"][i],
                victims=tuple(v for v, _ in its_victims),
                hazard_id=hazards.link(i, wanted),
                evidence_status=hazards.status(i),
                admin_pcode=pcodes[i],
                notes=cols["notes"][i],
                attributes=attributes_of(table, extra, i),
            )
            accidents.append(accident)
            for k, (_, data) in enumerate(its_victims, start=1):
                if any(data.values()):
                    personal.append(
                        VictimPersonalData(
                            id=f"{accident.id}/{k}", accident_id=accident.id, victim_no=k, **data
                        )
                    )
            hazards.reopen_around(i, accident.id, f"accident {accident.id}", accident.date, author)
        refuse(table, problems)
        reason = f"imported from {path.name}"
        tx.insert(KIND, accidents, author=author, reason=reason)
        tx.insert(PERSONAL, personal, author=author, reason=reason)
        if not dry_run:
            tx.commit()
    notes = list(hazards.notes)
    if hazards.outside:
        notes.append(f"{hazards.outside} accident(s): {OUTSIDE_MESSAGE}; an IM officer decides")
    return ImportReport(
        str(path), KIND, len(accidents), [a.id for a in accidents], dry_run, notes=notes
    )


def _check_counts(victims: tuple[Victim, ...], given: dict[str, str]) -> None:
    """Refuse killed or injured counts that the victims list does not bear out: the import
    counts the victims, so an edited count would otherwise be lost without a word."""
    for outcome, raw in given.items():
        if not raw:
            continue
        counted = sum(1 for v in victims if v.outcome.value == outcome)
        if _whole(raw) != counted:
            raise ValueError(
                f"{outcome} {raw!r} does not match the victims column ({counted} {outcome}); "
                "change the victims, the count follows"
            )


def accident_json(v: Version) -> dict[str, Any]:
    """An accident without any personal data: what every role may see."""
    a: Accident = v.record
    return {
        "id": a.id,
        "date": a.date.isoformat(),
        "lon": a.geometry.x,
        "lat": a.geometry.y,
        "eo_category": a.eo_category.value if a.eo_category else None,
        "eo_type": a.eo_type,
        "activity": a.activity,
        "victims": [
            {
                "victim_no": k,
                "sex": x.sex.value,
                "age_group": x.age_group.value,
                "victim_type": x.victim_type.value,
                "outcome": x.outcome.value,
            }
            for k, x in enumerate(a.victims, start=1)
        ],
        "killed": sum(1 for x in a.victims if x.outcome.value == "killed"),
        "injured": sum(1 for x in a.victims if x.outcome.value == "injured"),
        "hazard_id": a.hazard_id,
        "evidence_status": a.evidence_status.value,
        "admin_pcode": a.admin_pcode,
        "flag": OUTSIDE_MESSAGE if a.evidence_status.value == "outside_recorded_hazards" else None,
        "notes": a.notes,
        "attributes": a.attributes,
        "version": v.version,
        "valid_from": v.valid_from,
        "author": v.author,
    }


def victims_personal_data(
    store: Store, accident_id: str, *, permissions: Collection[str]
) -> list[dict[str, Any]]:
    """Names, contacts and notes of an accident's victims; needs the victim_data permission."""
    if "victim_data" not in permissions:
        raise Forbidden(
            "victims' personal data needs the victim_data permission "
            "(set CLEARGROUND_PERMISSIONS=victim_data for users who need it)"
        )
    if store.get(KIND, accident_id) is None:
        raise NotFound(f"accident {accident_id} not found")
    rows = [v.record for v in store.list(PERSONAL) if v.record.accident_id == accident_id]
    return [
        {"victim_no": r.victim_no, "name": r.name, "contact": r.contact, "notes": r.notes}
        for r in sorted(rows, key=lambda r: r.victim_no)
    ]
