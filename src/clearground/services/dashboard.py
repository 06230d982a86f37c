"""The dashboard's figures and the monthly report: land released, EO items found, casualties,
hazards by admin area and the operators' progress, each a table of numbers (and its CSV).

Every figure is counted in the database (``read.tally``, ``Store.tally``): a national database
holds hundreds of thousands of records, and none of them is loaded to count it. The counts of the
current records are kept (``_counts``) until a write of their kind commits (``data_version``):
counting 300,000 EO items takes the database seconds, and pages are read far more often than
the records change. Casualties are
counts by victim type and outcome only; victims' personal data is never read (``read.tally``
refuses personal kinds and fields).

What the figures mean (kept here once; the pages and the README say the same):

- *released*: the area each land release activity released (its ``released_m2``) in the month of
  its date, by outcome: cancelled (NTS), reduced (TS), cleared (clearance). Land a failed QC
  sample later gave back stays counted in its month; the *hazards* figure shows what is released
  now.
- *eo*: EO items (their ``quantity``) by the month of their date and category.
- *casualties*: victims of accidents by the month of the accident: civilian / deminer, killed /
  injured.
- *hazards*: hazards by admin area (the areas just below the chosen one): how many, how many
  still open (not closed or handed over), their area, released and remaining m².
- *operators*: per organisation of the activities, their number by kind and the area released.

A month filter keeps the dated records of that month; an admin area keeps records in it or in
any area below it. ``as_of`` reads every figure as the database was then.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from clearground.domain.errors import BadInput
from clearground.domain.records import OUTCOME_OF, ActivityKind, EOCategory
from clearground.services import read
from clearground.store.base import Store, parse_as_of

__all__ = [
    "FIGURES",
    "Figure",
    "Filters",
    "areas",
    "csv_text",
    "dashboard",
    "figure",
    "filters",
]

#: The figures, by the name their CSV route uses (``/dashboard/NAME.csv``).
FIGURES = ("released", "eo", "casualties", "hazards", "operators")
OUTCOMES = ("cancelled", "reduced", "cleared")
CASUALTIES = ("civilian_killed", "civilian_injured", "deminer_killed", "deminer_injured")
CLOSED = ("closed", "handed_over")
#: Months between the first and last shown are listed with zeros, up to this many in all.
MAX_FILLED_MONTHS = 240

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
#: The counts kept: (store, kind, by, sums) -> (data version, rows); the oldest go first.
_KEPT: OrderedDict[tuple, tuple[str, list[tuple]]] = OrderedDict()
_KEPT_MAX = 64
_KEPT_LOCK = threading.Lock()


def _counts(
    store: Store,
    kind: str,
    by: tuple[str, ...],
    sums: tuple[str, ...] = (),
    as_of: str | None = None,
) -> list[tuple]:
    """``read.tally``, kept for the current records until the kind's data version changes (a
    write of that kind committed); a read ``as_of`` a time is counted afresh each time."""
    if as_of is not None:
        return read.tally(store, kind, by, sums, as_of=as_of)
    key = (id(store), store.url, kind, by, sums)
    version = store.data_version(kind)
    with _KEPT_LOCK:
        kept = _KEPT.get(key)
        if kept is not None and kept[0] == version:
            _KEPT.move_to_end(key)
            return kept[1]
    rows = read.tally(store, kind, by, sums)
    with _KEPT_LOCK:
        _KEPT[key] = (version, rows)
        while len(_KEPT) > _KEPT_MAX:
            _KEPT.popitem(last=False)
    return rows


@dataclass(frozen=True)
class Filters:
    """What the figures are read for: an admin area (P-code), a month (YYYY-MM), a time."""

    area: str | None = None
    month: str | None = None
    as_of: str | None = None  # stored time form (store.base.parse_as_of)


@dataclass(frozen=True)
class Figure:
    """One figure's numbers: column names (the CSV header) and rows."""

    name: str
    columns: tuple[str, ...]
    rows: list[tuple]


def filters(area: str | None = None, month: str | None = None, as_of: str | None = None) -> Filters:
    """Filters from text as a user gives it; a bad month or time is refused naming it (exit 2)."""
    area = (area or "").strip() or None
    month = (month or "").strip() or None
    if month is not None and not _MONTH.match(month):
        raise BadInput(f"month {month!r}: not a month as YYYY-MM, e.g. 2024-05")
    return Filters(area, month, parse_as_of((as_of or "").strip() or None))


class _Areas:
    """The admin areas (id, name, level, parent), read as one small tally."""

    def __init__(self, store: Store, as_of: str | None) -> None:
        rows = _counts(store, "location", ("id", "name", "level", "parent"), as_of=as_of)
        self.name = {r[0]: r[1] or "" for r in rows}
        self.parent = {r[0]: r[3] or "" for r in rows}
        self.children: dict[str, list[str]] = defaultdict(list)
        for pcode, parent in self.parent.items():
            self.children[parent if parent in self.parent else ""].append(pcode)

    def require(self, area: str | None) -> None:
        if area is not None and area not in self.parent:
            raise BadInput(f"admin area {area!r} not found (see the admin areas loaded)")

    def within(self, area: str) -> set[str]:
        """``area`` and every area below it."""
        out, todo = set(), [area]
        while todo:
            a = todo.pop()
            if a not in out:
                out.add(a)
                todo.extend(self.children.get(a, ()))
        return out

    def top(self, area: str | None) -> str | None:
        """The area whose children the hazards figure is grouped by (a lone root: the country)."""
        roots = self.children.get("", [])
        if area is None and len(roots) == 1 and self.children.get(roots[0]):
            return roots[0]
        return area

    def group_of(self, pcode: str, top: str | None) -> str:
        """The area just below ``top`` (a root if None) that holds ``pcode`` (itself if unknown)."""
        seen: set[str] = set()
        while pcode in self.parent and pcode not in seen:
            seen.add(pcode)
            up = self.parent[pcode]
            if (up if up in self.parent else None) == top or pcode == top:
                return pcode
            pcode = up
        return pcode


class _Keep:
    """Whether a tally row's admin area and month pass the filters."""

    def __init__(self, f: Filters, areas: _Areas) -> None:
        areas.require(f.area)
        self.inside = areas.within(f.area) if f.area else None
        self.month = f.month

    def area(self, pcode: str | None) -> bool:
        return self.inside is None or (pcode or "") in self.inside

    def __call__(self, month: str | None, pcode: str | None) -> bool:
        return (self.month is None or month == self.month) and self.area(pcode)


def _months(found: set[str], month: str | None) -> list[str]:
    """The months to list: the chosen one, else those found with the gaps between filled."""
    if month is not None:
        return [month]
    if not found:
        return []
    first, last = min(found), max(found)
    n = (int(last[:4]) - int(first[:4])) * 12 + int(last[5:]) - int(first[5:]) + 1
    if n > MAX_FILLED_MONTHS:
        return sorted(found)
    y, m = int(first[:4]), int(first[5:])
    out = []
    for _ in range(n):
        out.append(f"{y:04d}-{m:02d}")
        y, m = y + (m == 12), m % 12 + 1
    return out


def _monthly(name: str, columns: tuple[str, ...], sums: defaultdict, f: Filters) -> Figure:
    """A figure by month: every month listed (``_months``), with zeros where nothing was."""
    months = _months(set(sums), f.month)
    return Figure(name, columns, [(m, *sums[m]) for m in months])


def _dated(
    store: Store, kind: str, by: tuple[str, ...], sums: tuple[str, ...], f: Filters, keep: _Keep
) -> list[tuple]:
    """Rows (month, admin area, *by, count, *sums) of ``kind`` that pass the filters. The admin
    area is grouped by only when an area is chosen: hundreds of thousands of EO items over
    1,500 areas make many more groups than months and categories alone."""
    area = ("admin_pcode",) if keep.inside is not None else ()
    rows = _counts(store, kind, ("date:month", *area, *by), sums, f.as_of)
    if not area:
        rows = [(r[0], None, *r[1:]) for r in rows]
    return [r for r in rows if keep(r[0], r[1])]


def _activities(store: Store, f: Filters, keep: _Keep) -> list[tuple]:
    return _dated(store, "activity", ("kind", "organisation"), ("released_m2",), f, keep)


def _released(activities: list[tuple], f: Filters) -> Figure:
    columns = ("month", *(f"{o}_m2" for o in OUTCOMES), "released_m2", "activities")
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0] * 4 + [0])
    for month, _, kind, _, n, m2 in activities:
        row = sums[month]
        row[OUTCOMES.index(OUTCOME_OF[ActivityKind(kind)])] += m2
        row[3] += m2
        row[4] += n
    return _monthly("released", columns, sums, f)


def _eo(store: Store, f: Filters, keep: _Keep) -> Figure:
    categories = [c.value for c in EOCategory]
    columns = ("month", "items", *categories, "records")
    sums: dict[str, list[float]] = defaultdict(lambda: [0] * (len(categories) + 2))
    for month, _, category, n, items in _dated(store, "eo", ("category",), ("quantity",), f, keep):
        row = sums[month]
        row[0] += int(items)
        row[1 + categories.index(category)] += int(items)
        row[-1] += n
    return _monthly("eo", columns, sums, f)


def _casualties(store: Store, f: Filters, keep: _Keep) -> Figure:
    columns = ("month", *CASUALTIES, "casualties", "accidents")
    # victims as recorded on the accident: type and outcome (and sex, age group), never a name
    sums: dict[str, list[int]] = defaultdict(lambda: [0] * (len(CASUALTIES) + 2))
    for month, _, victims, n in _dated(store, "accident", ("victims",), (), f, keep):
        row = sums[month]
        for victim in json.loads(victims) if victims else []:
            row[CASUALTIES.index(f"{victim['victim_type']}_{victim['outcome']}")] += n
            row[-2] += n
        row[-1] += n
    return _monthly("casualties", columns, sums, f)


def _hazards(store: Store, f: Filters, keep: _Keep, areas: _Areas) -> Figure:
    columns = (
        "pcode",
        "admin_area",
        "hazards",
        "open_hazards",
        "area_m2",
        "released_m2",
        "remaining_m2",
    )
    rows = _counts(
        store,
        "hazard",
        ("admin_pcode", "status"),
        ("area_m2", *(f"released.{o}" for o in OUTCOMES)),
        as_of=f.as_of,
    )
    top = areas.top(f.area)
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0.0])
    for pcode, status, n, area, *released in rows:
        if not keep.area(pcode):
            continue
        row = sums[areas.group_of(pcode or "", top)]
        row[0] += n
        row[2] += area
        row[3] += sum(released)
        if status not in CLOSED:
            row[1] += n
            row[4] += max(0.0, area - sum(released))
    out = [(p, areas.name.get(p, ""), *v) for p, v in sorted(sums.items(), key=lambda x: x[0])]
    return Figure("hazards", columns, out)


def _operators(store: Store, activities: list[tuple]) -> Figure:
    kinds = [k.value for k in ActivityKind]
    columns = (
        "organisation",
        "name",
        "activities",
        *kinds,
        *(f"{o}_m2" for o in OUTCOMES),
        "released_m2",
    )
    names = {r[0]: r[1] or "" for r in _counts(store, "organisation", ("id", "name"))}
    sums: dict[str, list[float]] = defaultdict(lambda: [0] * (1 + len(kinds)) + [0.0] * 4)
    for _, _, kind, org, n, m2 in activities:
        row = sums[org or ""]
        row[0] += n
        row[1 + kinds.index(kind)] += n
        row[1 + len(kinds) + OUTCOMES.index(OUTCOME_OF[ActivityKind(kind)])] += m2
        row[-1] += m2
    out = [(o, names.get(o, ""), *v) for o, v in sorted(sums.items())]
    return Figure("operators", columns, out)


def figure(store: Store, name: str, f: Filters = Filters()) -> Figure:
    """One figure by name (``FIGURES``); an unknown name or admin area is refused (exit 2)."""
    if name not in FIGURES:
        raise BadInput(f"unknown figure {name!r}; figures: {', '.join(FIGURES)}")
    areas = _Areas(store, f.as_of)
    keep = _Keep(f, areas)
    if name == "hazards":
        return _hazards(store, f, keep, areas)
    if name == "eo":
        return _eo(store, f, keep)
    if name == "casualties":
        return _casualties(store, f, keep)
    activities = _activities(store, f, keep)
    return _released(activities, f) if name == "released" else _operators(store, activities)


def dashboard(store: Store, f: Filters = Filters()) -> dict[str, Figure]:
    """Every figure, for the dashboard and the monthly report."""
    areas = _Areas(store, f.as_of)
    keep = _Keep(f, areas)
    activities = _activities(store, f, keep)
    return {
        "released": _released(activities, f),
        "eo": _eo(store, f, keep),
        "casualties": _casualties(store, f, keep),
        "hazards": _hazards(store, f, keep, areas),
        "operators": _operators(store, activities),
    }


def areas(store: Store) -> list[dict[str, Any]]:
    """The admin areas a user may choose (pcode, name, level), by level then name."""
    rows = _counts(store, "location", ("id", "name", "level"))
    found = [{"pcode": r[0], "name": r[1] or "", "level": int(r[2] or 0)} for r in rows]
    return sorted(found, key=lambda a: (a["level"], a["name"], a["pcode"]))


def csv_rows(fig: Figure) -> list[list[Any]]:
    """The CSV of a figure: its header, then its rows (areas rounded to 0.01 m²)."""
    out: list[list[Any]] = [list(fig.columns)]
    for row in fig.rows:
        out.append([round(x, 2) if isinstance(x, float) else x for x in row])
    return out


def csv_text(fig: Figure) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(csv_rows(fig))
    return buf.getvalue()
