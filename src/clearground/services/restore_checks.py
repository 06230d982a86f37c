"""What ``restore`` verifies before it writes a dump: every record, and every hazard's history.

A dump is a file anyone can edit. Restoring it as it is would let land be released by an edit:
a hazard set to ``closed`` with no activity, a status no release gives (an invented one), a geometry
no check can read. So each row must decode to its record (JSON payload of the kind's shape, known
status and enum values, a valid geometry of the kind's type), every record a row refers to must
be in the dump, and each hazard's versions must follow from its activities, QC samples, evidence
and events: the history is replayed with the same domain rules every import uses
(``apply_activity``, ``return_land``, ``reopen``, ``hand_over``), and each version's status and
released area must be what the replay gives.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import date
from typing import Any

import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.errors import CleargroundError
from clearground.domain.evidence import reopen
from clearground.domain.landrelease import apply_activity, hand_over, return_land
from clearground.domain.records import HazardArea, HazardStatus
from clearground.store.base import Event
from clearground.store.mapping import KINDS, loads

__all__ = ["verify_dump"]

#: Where each kind's record names another record: (field, kind it names).
_REFERS = {
    "activity": [("hazard_id", "hazard")],
    "qc": [("activity_id", "activity"), ("hazard_id", "hazard")],
    "eo": [("hazard_id", "hazard")],
    "accident": [("hazard_id", "hazard")],
    "minefield": [("hazard_id", "hazard")],
    "task": [("hazard_id", "hazard")],
}
#: The kind of record each event kind names as its evidence.
_EVIDENCE = {
    "AreaReleased": ("activity",),
    "HazardReleaseStarted": ("activity",),
    "HazardClosed": ("activity",),
    "QCFailed": ("qc",),
    "ReleaseDiscredited": ("eo", "accident"),
    "HazardReopened": ("qc", "eo", "accident"),
    "HazardHandedOver": (),
}
_GEOMETRY = {"MULTIPOLYGON": ("Polygon", "MultiPolygon"), "POINT": ("Point",)}
_PROTECTED = ("status", "area_m2")


class _Versions:
    """Every decoded version of one kind, by id, in version order."""

    def __init__(self) -> None:
        self.by_id: dict[str, list[tuple[int, str, bool, Any]]] = defaultdict(list)

    def at(self, record_id: str, time: str) -> Any | None:
        """The record as it was at ``time`` (None if it did not exist or was deleted)."""
        found = None
        for _, valid_from, deleted, record in self.by_id.get(record_id, []):
            if valid_from <= time:
                found = None if deleted else record
        return found

    def ever(self, record_id: str) -> bool:
        return record_id in self.by_id


def _decode(kind: str, row: tuple, where: str, problems: list[str]) -> Any | None:
    """The record of one dumped row, or None with the problem added."""
    m = KINDS[kind]
    id_, version, valid_from, author, _, deleted, payload, wkb = row
    if not isinstance(id_, str) or not id_:
        problems.append(f"{where}: no id")
        return None
    if not isinstance(valid_from, str) or not valid_from or not author:
        problems.append(f"{where}: valid_from and author must be given")
    if deleted:
        if payload is not None:
            problems.append(f"{where}: a deletion holds a payload")
        return None
    try:
        p = loads(payload) if isinstance(payload, str | bytes) else payload
    except Exception:
        problems.append(f"{where}: payload is not JSON")
        return None
    if not isinstance(p, dict):
        problems.append(f"{where}: payload is not a JSON object")
        return None
    geometry = None
    if wkb is not None:
        try:
            geometry = shapely.from_wkb(bytes(wkb))
        except Exception:
            problems.append(f"{where}: geometry cannot be decoded")
            return None
        if geometry is not None and not geometry.is_valid:
            problems.append(f"{where}: geometry is not valid ({shapely.is_valid_reason(geometry)})")
            return None
    allowed = _GEOMETRY.get(m.geometry_type)
    if geometry is not None and allowed and geometry.geom_type not in allowed:
        problems.append(f"{where}: geometry is a {geometry.geom_type}, not {allowed[-1]}")
        return None
    if kind in ("hazard", "activity", "qc", "eo", "accident") and (
        geometry is None or geometry.is_empty
    ):
        problems.append(f"{where}: no geometry")
        return None
    try:
        record = m.from_row(id_, p, geometry)
    except (KeyError, ValueError, TypeError, shapely.errors.GEOSException) as exc:
        problems.append(f"{where}: payload does not hold a {kind} ({type(exc).__name__}: {exc})")
        return None
    for name in ("released_geometry",):
        extra = getattr(record, name, None)
        if extra is not None and not extra.is_valid:
            problems.append(f"{where}: {name} is not valid")
            return None
    return record


def _hazard_problems(h: HazardArea) -> list[str]:
    """What a single hazard version holds that no release gives."""
    out = []
    tol = h.area_m2 * 1e-6 + 0.01
    if abs(geodesic_area(h.geometry) - h.area_m2) > tol:
        out.append(f"area_m2 {h.area_m2:.0f} is not the area of its polygon")
    r = h.released
    if min(r.cancelled, r.reduced, r.cleared) < -tol or r.total > h.area_m2 + tol:
        out.append("released area is negative or more than the hazard's area")
    if h.status is HazardStatus.ACTIVE and (r.total > tol or not h.released_geometry.is_empty):
        out.append("status active with released area")
    if h.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER) and r.total < h.area_m2 - tol:
        out.append(f"status {h.status} with land not released")
    if abs(geodesic_area(h.released_geometry) - r.total) > tol + h.area_m2 * 1e-5:
        out.append("released geometry does not have the released area")
    if h.released_geometry.difference(h.geometry).area > h.geometry.area * 1e-6:
        out.append("released geometry lies outside the hazard")
    return out


def _units(events: list[Event]) -> list[list[Event]]:
    """A hazard's events cut into what each hazard version did: runs of one (time, evidence)."""
    units: list[list[Event]] = []
    for e in events:
        if units and (units[-1][0].at, units[-1][0].evidence) == (e.at, e.evidence):
            units[-1].append(e)
        else:
            units.append([e])
    return units


def _replay(state: HazardArea, unit: list[Event], records: dict[str, _Versions]) -> HazardArea:
    """``state`` after the change that ``unit`` of events records, by the domain's own rules."""
    first = unit[0]
    t, evidence = first.at, first.evidence
    if first.kind == "AreaReleased":
        activity = records["activity"].at(evidence, t)
        activity = dataclasses.replace(activity, released_m2=0.0)
        return apply_activity(state, activity)[0]
    if first.kind == "QCFailed":
        sample = records["qc"].at(evidence, t)
        return return_land(state, records["activity"].at(sample.activity_id, t), sample)[0]
    if first.kind == "HazardHandedOver":
        when = date.fromisoformat(first.detail["date"])
        return hand_over(state, when=when, recipient=first.detail["recipient"], today=date.max)[0]
    if first.kind in ("ReleaseDiscredited", "HazardReopened"):
        item = records["eo"].at(evidence, t) or records["accident"].at(evidence, t)
        what = first.detail.get("evidence", "")
        found_by = getattr(item, "found_during", "")
        return reopen(state, evidence, what, item.geometry, found_by=found_by)[0]
    raise ValueError(f"event {first.kind} changes no hazard")


def _follows(want: HazardArea, got: HazardArea) -> str:
    """Why ``want`` (a dumped version) is not what the replay gives, or ''."""
    if want.status != got.status:
        return f"status {want.status}, but its activities, QC samples and events give {got.status}"
    tol = want.area_m2 * 1e-6 + 0.01
    for outcome in ("cancelled", "reduced", "cleared"):
        a, b = getattr(want.released, outcome), getattr(got.released, outcome)
        if abs(a - b) > tol:
            return f"{outcome} {a:.0f} m², but its activities, QC samples and events give {b:.0f}"
    if want.released_by or got.released_by:
        if sorted(want.released_by) != sorted(got.released_by):
            return (
                f"land released by {sorted(want.released_by)}, but its activities, QC samples "
                f"and events give {sorted(got.released_by)}"
            )
        for k, land in want.released_by.items():
            other = got.released_by[k]
            if land.outcome != other.outcome or (
                abs(geodesic_area(land.geometry) - geodesic_area(other.geometry)) > tol
            ):
                return f"the land {k} released is not what its activity gives"
    return ""


def _check_history(
    hazard_id: str,
    versions: list[tuple[int, str, bool, Any]],
    events: list[Event],
    records: dict[str, _Versions],
) -> list[str]:
    where = f"hazard {hazard_id}"
    units = _units(events)
    problems: list[str] = []
    state: HazardArea | None = None
    for number, valid_from, deleted, h in versions:
        at = f"{where} version {number}"
        if deleted:
            break
        problems += [f"{at}: {p}" for p in _hazard_problems(h)]
        for k, land in h.released_by.items():
            a = records["activity"].at(k, valid_from)
            if a is None or a.hazard_id != hazard_id or a.outcome != land.outcome:
                problems.append(f"{at}: land released by {k!r}, not a {land.outcome} activity here")
        if state is None:
            if h.status is not HazardStatus.ACTIVE or h.released.total > 0:
                problems.append(f"{at}: a hazard enters the database active, nothing released")
            state = h
            continue
        if units and units[0][0].at == valid_from:
            unit = units.pop(0)
            try:
                got = _replay(state, unit, records)
            except (CleargroundError, AttributeError, KeyError, ValueError) as exc:
                msg = getattr(exc, "message", None) or str(exc)
                problems.append(f"{at}: {unit[0].kind} {unit[0].evidence} does not replay: {msg}")
            else:
                why = _follows(h, got)
                if why:
                    problems.append(f"{at}: {why}")
        elif any(getattr(h, f) != getattr(state, f) for f in _PROTECTED) or (
            h.released != state.released
        ):
            problems.append(f"{at}: status or released area changed with no activity or event")
        elif h.geometry.wkb != state.geometry.wkb:
            problems.append(f"{at}: polygon changed without a new hazard")
        state = h
    for unit in units:
        problems.append(
            f"{where}: event {unit[0].kind} ({unit[0].evidence}, {unit[0].at}) matches no version"
        )
    return problems


def verify_dump(
    rows: dict[str, list[tuple]], events: list[Event], layer: dict[str, str]
) -> list[str]:
    """Every problem of a dump's rows (by kind) and events, each naming its record; none for a
    dump whose every record decodes and whose hazards' states follow from their evidence."""
    problems: list[str] = []
    records = {kind: _Versions() for kind in KINDS}
    for kind, kind_rows in rows.items():
        seen: dict[str, int] = {}
        for row in sorted(kind_rows, key=lambda r: (str(r[0]), int(r[1]))):
            where = f"{layer[kind]}: {kind} {row[0]} version {row[1]}"
            if row[1] != seen.get(row[0], 0) + 1:
                problems.append(f"{where}: versions of a record are numbered 1, 2, 3, ...")
            seen[row[0]] = int(row[1])
            record = _decode(kind, row, where, problems)
            if record is not None or row[5]:
                records[kind].by_id[row[0]].append((int(row[1]), row[2], bool(row[5]), record))
    for kind, refs in _REFERS.items():
        for rid, versions in records[kind].by_id.items():
            for number, _, deleted, record in versions:
                for field, other in refs:
                    value = getattr(record, field, "") if not deleted else ""
                    if value and not records[other].ever(value):
                        problems.append(
                            f"{kind} {rid} version {number}: {field} {value!r}: no such {other}"
                        )
    by_hazard: dict[str, list[Event]] = defaultdict(list)
    for n, e in enumerate(events, start=1):
        where = f"hazard_events: event {n} ({e.kind} on {e.hazard_id})"
        if not records["hazard"].ever(e.hazard_id):
            problems.append(f"{where}: no such hazard")
            continue
        if e.kind not in _EVIDENCE:
            problems.append(f"{where}: unknown event kind")
            continue
        kinds = _EVIDENCE[e.kind]
        if kinds and not any(records[k].at(e.evidence, e.at) for k in kinds):
            problems.append(f"{where}: its evidence {e.evidence!r} is not a {' or '.join(kinds)}")
            continue
        released = e.kind in ("AreaReleased", "HazardClosed", "HazardReleaseStarted")
        if released and records["activity"].at(e.evidence, e.at).hazard_id != e.hazard_id:
            problems.append(f"{where}: activity {e.evidence} is on another hazard")
            continue
        by_hazard[e.hazard_id].append(e)
    if problems:
        return problems  # a history with missing pieces cannot be replayed
    for hazard_id, versions in sorted(records["hazard"].by_id.items()):
        problems += _check_history(hazard_id, versions, by_hazard.get(hazard_id, []), records)
    return problems + _evidence_without_events(records, events)


def _evidence_without_events(records: dict[str, _Versions], events: list[Event]) -> list[str]:
    """Each activity is applied to its hazard (an ``AreaReleased`` event, even of 0 m²) and each
    failed QC sample gives land back (``QCFailed``) in the transaction that records it: a dump
    holding one without its event lacks what it did to its hazard (a dump taken across a write
    before dumps were one snapshot)."""
    named = {(e.kind, e.hazard_id, e.evidence) for e in events}
    out = []
    for kind, event, applies in (
        ("activity", "AreaReleased", lambda r: True),
        ("qc", "QCFailed", lambda r: str(getattr(r, "result", "")) == "failed"),
    ):
        for rid, versions in sorted(records[kind].by_id.items()):
            first = next((r for _, _, deleted, r in versions if not deleted and r), None)
            if first is None or not applies(first):
                continue
            if (event, first.hazard_id, rid) not in named:
                out.append(
                    f"{kind} {rid}: no {event} event on hazard {first.hazard_id}: the dump "
                    "lacks what it did to its hazard"
                )
    return out
