"""Accidents and their victims. Victims' personal data is stored apart and read only with the
``victim_data`` permission; it never appears in accident listings or exports.

An accidents file (and a victims file) may hold only the fields an accident (a victim) has: any
other column is refused by its name, since it may name people, unless ``--map`` reads a declared
field from it. No message repeats a cell of these files: a name typed into the wrong column must
not reach a terminal or a log.
"""

from __future__ import annotations

import json
import math
import re
from datetime import date
from pathlib import Path
from typing import Any

from clearground.domain.errors import ImportRejected
from clearground.domain.evidence import parse_eo_category, parse_victim
from clearground.domain.records import Accident, EOCategory, Victim, VictimPersonalData
from clearground.domain.validation import UKRAINE, Region
from clearground.formats import read_file
from clearground.services.common import (
    ImportReport,
    bulk,
    column_getter,
    iso_date,
    plain,
    refuse_unstorable_text,
    require_columns,
    texts,
    without_problems,
)
from clearground.services.evidence import COMPUTED, OUTSIDE_MESSAGE
from clearground.services.hazard_links import HazardLinks
from clearground.services.locations import PcodeIndex
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["import_accidents", "parse_victims_list"]

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
#: The fields an accidents file may give (all of them non-personal).
_ACCIDENT_FIELDS = ("date", *_FIELDS, "victims", *_COUNTS)


def _split_mapping(
    mapping: dict[str, str] | None,
) -> tuple[dict[str, str], dict[str, str], list[str]]:
    """``--map`` as the accidents file's and the victims file's, and what names neither."""
    mapping = mapping or {}
    unknown = [
        f"--map {f}={c}: {f} is not a field of an accident ({', '.join(_ACCIDENT_FIELDS)}) "
        f"nor of a victim ({', '.join(_VICTIM_FIELDS)})"
        for f, c in mapping.items()
        if f not in _ACCIDENT_FIELDS and f not in _VICTIM_FIELDS
    ]
    return (
        {f: c for f, c in mapping.items() if f in _ACCIDENT_FIELDS},
        {f: c for f, c in mapping.items() if f in _VICTIM_FIELDS},
        unknown,
    )


def _unknown_columns(table, used: set[str], what: str, fields: str) -> list[str]:
    """One refusal per column that is no field of ``what`` (it may name people). A column
    empty in every feature holds nothing to keep or refuse (KML's placemark ``name``)."""
    return [
        f"{table.source}: column {c} is not a field of {what}; map it with --map FIELD={c} to "
        f"a declared {fields}, or remove it"
        for c in table.columns
        if c not in used and any(texts(table.columns[c], len(table)))
    ]


def _unquoted(message: str) -> str:
    """A reader's message without the cells it quotes (``lon/lat = 'x'/'y' ...``)."""
    return re.sub(r"'[^']*'", "(a value)", message)


_NUMBER = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_COORDINATES = (
    (re.compile(rf"\({_NUMBER}, {_NUMBER}\)"), "(its coordinates)"),
    (re.compile(rf"longitude {_NUMBER} is beyond"), "a longitude is beyond"),
    (re.compile(rf"longitudes span {_NUMBER} to {_NUMBER}"), "its longitudes span"),
    (re.compile(rf"reaches latitude {_NUMBER},"), "reaches a latitude"),
)


def _without_coordinates(message: str) -> str:
    """A geometry check's message without the coordinates it quotes: in an accidents file they
    are cells (a CSV's lon and lat), which no message repeats. The region's bounds stay."""
    for pattern, instead in _COORDINATES:
        message = pattern.sub(instead, message)
    return message


def _without_value(exc: ValueError, cell: str) -> str:
    """A parser's message without the cell it quotes."""
    return str(exc).replace(f" {cell!r}", "") if cell else str(exc)


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
    if not number.is_integer() or abs(number) > 1e9:  # no real count is larger
        return None
    return int(number)


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
        except RecursionError:
            raise ValueError("victims is JSON nested too deeply") from None
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
            raise ValueError(f"victims: victim {k}: victim_no is not a number")
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
    table = read_file(path, layer=layer)
    refuse_unstorable_text(table, path)
    getter, used = column_getter(table, mapping or {}, fields=_VICTIM_FIELDS)
    require_columns(table, getter, ("accident_id", "outcome"))
    cols = {f: texts(getter(f), len(table)) for f in _VICTIM_FIELDS}
    by_accident: dict[str, list[tuple[Victim, dict[str, str]]]] = {}
    where: dict[str, int] = {}
    problems = _unknown_columns(table, used, "a victim", "field of a victim")
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
        where.setdefault(cols["accident_id"][i], i)
    return by_accident, problems, table, where


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
    mapping, victims_mapping, column_problems = _split_mapping(mapping)
    p = read_for_import(
        path,
        fields=_ACCIDENT_FIELDS,
        mapping=mapping,
        required=("date",),
        computed=COMPUTED,
        geometry="point",
        region=region,
        layer=layer,
        format_name=format_name,
    )
    table, getter, used, check, n = p.table, p.get, p.used, p.check, p.n
    victims_column = getter("victims")
    counts = {c: texts(getter(c), n) for c in _COUNTS} if victims_column is not None else {}
    problems = {
        **{i: _without_coordinates(m) for i, m in check.problems.items()},
        **{i: _unquoted(m) for i, m in table.problems.items()},
    }
    cols = {f: texts(getter(f), n) for f in ("date", *_FIELDS)}
    column_problems += _unknown_columns(table, used, "an accident", "non-personal field")
    parsed: dict[int, dict[str, Any]] = {}
    seen: dict[str, int] = {}
    for i in range(n):
        try:
            try:
                when = iso_date(cols["date"][i], field_name="date", today=today)
            except ValueError as exc:
                raise ValueError(_without_value(exc, cols["date"][i])) from None
            category = _category(cols["eo_category"][i])
            listed = () if victims_column is None else parse_victims_list(victims_column[i])
            _check_counts(listed, {c: counts[c][i] for c in counts})
        except ValueError as exc:
            problems.setdefault(i, str(exc))
            continue
        if cols["id"][i]:
            if cols["id"][i] in seen:
                problems.setdefault(i, f"duplicate id (also feature {seen[cols['id'][i]] + 1})")
                continue
            seen[cols["id"][i]] = i
        parsed[i] = {"date": when, "eo_category": category, "victims": listed}
    victim_rows: dict[str, list[tuple[Victim, dict[str, str]]]] = {}
    victim_problems: list[str] = []
    if victims is not None:
        victim_rows, victim_problems, vtable, first = _read_victims(
            Path(victims), victims_layer, victims_mapping
        )
        victim_problems += [
            f"{vtable.where(first[a])}: accident_id names no accident of {path.name} "
            "(by its id column)"
            for a in sorted(set(victim_rows) - set(seen), key=first.__getitem__)
        ]
        for i, row in parsed.items():
            if row["victims"] and cols["id"][i] in victim_rows:
                problems.setdefault(
                    i,
                    f"victims given twice: in the victims column and in {vtable.source}; "
                    "give them in one place",
                )
    parsed = {i: row for i, row in parsed.items() if i not in problems}

    def refuse_all() -> None:
        """One refusal with every problem: the columns', the features', the victims'."""
        if victim_problems or column_problems or problems:
            raise ImportRejected(
                column_problems
                + [f"{table.where(i)}: {problems[i]}" for i in sorted(problems)]
                + victim_problems
            )

    if not parsed:  # nothing left for the checks against the database
        refuse_all()
    points = without_problems(check.geometries, problems)
    with store.transaction() as tx:
        hazards = HazardLinks(store, tx, points, [cols["hazard_id"][i] for i in parsed])
        pcodes = PcodeIndex(store).deepest(points)
        clash = tx.existing_ids(KIND, list(seen))
        new_ids = iter(tx.next_ids(KIND, sum(1 for i in parsed if not cols["id"][i])))
        accidents, personal = [], []
        for i, row in parsed.items():
            if cols["id"][i] in clash:
                problems[i] = "id: an accident with this id exists already"
                continue
            wanted = cols["hazard_id"][i]
            if not hazards.exists(wanted):
                problems[i] = "hazard_id names no recorded hazard"
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
                attributes={},  # no other column is kept: it may name people
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
        refuse_all()
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
                f"{outcome} does not match the victims column ({counted} {outcome}); "
                "change the victims, the count follows"
            )


def _category(cell: str):
    """The EO category of a cell (or None for an empty one), refused without its value."""
    if not cell:
        return None
    try:
        return parse_eo_category(cell)
    except ValueError:
        choices = ", ".join(c.value for c in EOCategory)
        raise ValueError(f"eo_category is not an EO category ({choices})") from None
