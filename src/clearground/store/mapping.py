"""How domain records become stored rows and back, for every record kind.

The domain knows nothing of storage; this module maps from outside. A row is the record's id, a
JSON payload of its attributes and one geometry (WKB). Both engines use these mappings.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Any

import numpy as np
import orjson
import shapely

from clearground.domain.coverage import CoverageArea
from clearground.domain.priority import PriorityRun
from clearground.domain.records import (
    EMPTY_AREA,
    Accident,
    ActivityKind,
    AgeGroup,
    Classification,
    DeviceFound,
    EOCategory,
    EOItem,
    EvidenceStatus,
    HazardArea,
    HazardStatus,
    LandReleaseActivity,
    Location,
    MinefieldRecord,
    OperationalMethod,
    Organisation,
    OrganisationKind,
    QAVisit,
    QCResult,
    QCSample,
    Released,
    ReleasedLand,
    RiskEducationSession,
    Sex,
    Task,
    TaskStatus,
    Victim,
    VictimOutcome,
    VictimPersonalData,
    VictimType,
)
from clearground.domain.review import Submission, SubmissionStatus
from clearground.store.new_rows import NewRows

__all__ = ["KINDS", "KindMapping", "geometries_wkb", "loads", "mapping_for", "payloads_json"]


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@functools.lru_cache(maxsize=4096)
def _iso_date(value: date) -> str:
    """A date as ISO text, remembered: a bulk import repeats a few hundred dates many times."""
    return value.isoformat()


def _hazard_payload(h: HazardArea) -> dict[str, Any]:
    """Attributes as JSON; empty values are left out (bulk imports write less).

    Written for speed (a bulk import runs it per feature): enum values read as ``_value_``,
    fields one by one rather than in a loop of ``getattr``.
    """
    r = h.released
    p: dict[str, Any] = {
        "name": h.name,
        "classification": h.classification._value_,
        "status": h.status._value_,
        "area_m2": h.area_m2,
        "released": {"cancelled": r.cancelled, "reduced": r.reduced, "cleared": r.cleared},
    }
    released_geometry = h.released_geometry
    if released_geometry is not EMPTY_AREA and not released_geometry.is_empty:
        p["released_geometry"] = shapely.to_wkb(released_geometry, hex=True)
    if h.released_by:
        p["released_by"] = {
            k: {"outcome": r.outcome, "geometry": shapely.to_wkb(r.geometry, hex=True)}
            for k, r in h.released_by.items()
        }
    if h.eo_types:
        p["eo_types"] = list(h.eo_types)
    if h.date_reported:
        p["date_reported"] = _iso_date(h.date_reported)
    if h.source:
        p["source"] = h.source
    if h.admin_pcode:
        p["admin_pcode"] = h.admin_pcode
    if h.land_use:
        p["land_use"] = h.land_use
    if h.notes:
        p["notes"] = h.notes
    if h.benchmark:
        p["benchmark"] = list(h.benchmark)
    if h.attributes:
        p["attributes"] = h.attributes
    return p


def _hazard_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> HazardArea:
    released_wkb = p.get("released_geometry")
    return HazardArea(
        id=id_,
        name=p["name"],
        geometry=geometry,
        area_m2=p["area_m2"],
        classification=Classification(p["classification"]),
        status=HazardStatus(p["status"]),
        released=Released(**p["released"]),
        released_geometry=shapely.from_wkb(released_wkb) if released_wkb else EMPTY_AREA,
        released_by={
            k: ReleasedLand(r["outcome"], shapely.from_wkb(r["geometry"]))
            for k, r in (p.get("released_by") or {}).items()
        },
        eo_types=tuple(p.get("eo_types") or ()),
        date_reported=_date(p.get("date_reported")),
        source=p.get("source", ""),
        admin_pcode=p.get("admin_pcode", ""),
        land_use=p.get("land_use", ""),
        benchmark=tuple(p["benchmark"]) if p.get("benchmark") else None,
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _activity_payload(a: LandReleaseActivity) -> dict[str, Any]:
    return {
        "hazard_id": a.hazard_id,
        "kind": str(a.kind),
        "outcome": a.outcome,
        "date": a.date.isoformat(),
        "organisation": a.organisation,
        "released_m2": a.released_m2,
        "task_id": a.task_id,
        "methods": [m.value for m in a.methods],
        "clearance_depth_cm": a.clearance_depth_cm,
        "devices_found": [
            {
                "eo_type": d.eo_type,
                "count": d.count,
                "depth_cm": d.depth_cm,
                "condition": d.condition,
            }
            for d in a.devices_found
        ],
        "items_found": sum(d.count for d in a.devices_found),
        "beneficiaries": a.beneficiaries,
        "admin_pcode": a.admin_pcode,
        "notes": a.notes,
        "attributes": a.attributes,
    }


def _activity_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> LandReleaseActivity:
    return LandReleaseActivity(
        id=id_,
        hazard_id=p["hazard_id"],
        kind=ActivityKind(p["kind"]),
        date=date.fromisoformat(p["date"]),
        organisation=p["organisation"],
        geometry=geometry,
        released_m2=p.get("released_m2", 0.0),
        task_id=p.get("task_id", ""),
        methods=tuple(OperationalMethod(m) for m in p.get("methods", ())),
        clearance_depth_cm=p.get("clearance_depth_cm"),
        devices_found=tuple(DeviceFound(**d) for d in p.get("devices_found", ())),
        beneficiaries=p.get("beneficiaries"),
        admin_pcode=p.get("admin_pcode", ""),
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _eo_payload(e: EOItem) -> dict[str, Any]:
    return {
        "category": e.category.value,
        "date": e.date.isoformat(),
        "eo_type": e.eo_type,
        "quantity": e.quantity,
        "condition": e.condition,
        "found_during": e.found_during,
        "reported_by": e.reported_by,
        "disposal_date": e.disposal_date.isoformat() if e.disposal_date else None,
        "disposal_method": e.disposal_method,
        "hazard_id": e.hazard_id,
        "evidence_status": e.evidence_status.value,
        "admin_pcode": e.admin_pcode,
        "notes": e.notes,
        "attributes": e.attributes,
    }


def _eo_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> EOItem:
    return EOItem(
        id=id_,
        geometry=geometry,
        category=EOCategory(p["category"]),
        date=date.fromisoformat(p["date"]),
        eo_type=p.get("eo_type", ""),
        quantity=p.get("quantity", 1),
        condition=p.get("condition", ""),
        found_during=p.get("found_during", ""),
        reported_by=p.get("reported_by", ""),
        disposal_date=_date(p.get("disposal_date")),
        disposal_method=p.get("disposal_method", ""),
        hazard_id=p.get("hazard_id", ""),
        evidence_status=EvidenceStatus(p["evidence_status"]),
        admin_pcode=p.get("admin_pcode", ""),
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _accident_payload(a: Accident) -> dict[str, Any]:
    return {
        "date": a.date.isoformat(),
        "eo_category": a.eo_category.value if a.eo_category else None,
        "eo_type": a.eo_type,
        "activity": a.activity,
        "victims": [
            {
                "sex": v.sex.value,
                "age_group": v.age_group.value,
                "victim_type": v.victim_type.value,
                "outcome": v.outcome.value,
            }
            for v in a.victims
        ],
        "killed": sum(1 for v in a.victims if v.outcome is VictimOutcome.KILLED),
        "injured": sum(1 for v in a.victims if v.outcome is VictimOutcome.INJURED),
        "hazard_id": a.hazard_id,
        "evidence_status": a.evidence_status.value,
        "admin_pcode": a.admin_pcode,
        "notes": a.notes,
        "attributes": a.attributes,
    }


def _accident_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> Accident:
    return Accident(
        id=id_,
        geometry=geometry,
        date=date.fromisoformat(p["date"]),
        eo_category=EOCategory(p["eo_category"]) if p.get("eo_category") else None,
        eo_type=p.get("eo_type", ""),
        activity=p.get("activity", ""),
        victims=tuple(
            Victim(
                Sex(v["sex"]),
                AgeGroup(v["age_group"]),
                VictimType(v["victim_type"]),
                VictimOutcome(v["outcome"]),
            )
            for v in p.get("victims", [])
        ),
        hazard_id=p.get("hazard_id", ""),
        evidence_status=EvidenceStatus(p["evidence_status"]),
        admin_pcode=p.get("admin_pcode", ""),
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _personal_payload(v: VictimPersonalData) -> dict[str, Any]:
    return {
        "accident_id": v.accident_id,
        "victim_no": v.victim_no,
        "name": v.name,
        "contact": v.contact,
        "notes": v.notes,
    }


def _personal_from(id_: str, p: dict[str, Any], geometry: Any) -> VictimPersonalData:
    return VictimPersonalData(
        id=id_,
        accident_id=p["accident_id"],
        victim_no=p["victim_no"],
        name=p.get("name", ""),
        contact=p.get("contact", ""),
        notes=p.get("notes", ""),
    )


def _minefield_payload(m: MinefieldRecord) -> dict[str, Any]:
    def day(d: date | None) -> str | None:
        return d.isoformat() if d else None

    return {
        "hazard_id": m.hazard_id,
        "devices": [[t, n] for t, n in m.devices],
        "device_count": sum(n for _, n in m.devices),
        "marking": m.marking,
        "emplaced_from": day(m.emplaced_from),
        "emplaced_to": day(m.emplaced_to),
        "claimed_self_destruct": m.claimed_self_destruct,
        "claimed_self_deactivation": m.claimed_self_deactivation,
        "claimed_deactivation_date": day(m.claimed_deactivation_date),
        "claimed_battery_life": m.claimed_battery_life,
        "handed_over_by": m.handed_over_by,
        "notes": m.notes,
        "attributes": m.attributes,
    }


def _minefield_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> MinefieldRecord:
    return MinefieldRecord(
        id=id_,
        geometry=geometry,
        hazard_id=p["hazard_id"],
        devices=tuple((t, int(n)) for t, n in p.get("devices", [])),
        marking=p.get("marking", ""),
        emplaced_from=_date(p.get("emplaced_from")),
        emplaced_to=_date(p.get("emplaced_to")),
        claimed_self_destruct=p.get("claimed_self_destruct", ""),
        claimed_self_deactivation=p.get("claimed_self_deactivation", ""),
        claimed_deactivation_date=_date(p.get("claimed_deactivation_date")),
        claimed_battery_life=p.get("claimed_battery_life", ""),
        handed_over_by=p.get("handed_over_by", ""),
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _qc_payload(q: QCSample) -> dict[str, Any]:
    return {
        "activity_id": q.activity_id,
        "hazard_id": q.hazard_id,
        "date": q.date.isoformat(),
        "organisation": q.organisation,
        "result": q.result.value,
        "returned_m2": q.returned_m2,
        "admin_pcode": q.admin_pcode,
        "nonconformities": q.nonconformities,
        "notes": q.notes,
        "attributes": q.attributes,
    }


def _qc_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> QCSample:
    return QCSample(
        id=id_,
        geometry=geometry,
        activity_id=p["activity_id"],
        hazard_id=p["hazard_id"],
        date=date.fromisoformat(p["date"]),
        organisation=p["organisation"],
        result=QCResult(p["result"]),
        returned_m2=p.get("returned_m2", 0.0),
        admin_pcode=p.get("admin_pcode", ""),
        nonconformities=p.get("nonconformities", ""),
        notes=p.get("notes", ""),
        attributes=p.get("attributes") or {},
    )


def _submission_payload(sub: Submission) -> dict[str, Any]:
    return {
        "kind": sub.kind,
        "record": mapping_for(sub.kind).to_payload(sub.record),
        "record_given_id": sub.record.id,
        "submitted_by": sub.submitted_by,
        "source": sub.source,
        "status": sub.status.value,
        "duplicates": list(sub.duplicates),
        "decided_by": sub.decided_by,
        "decision_reason": sub.decision_reason,
        "record_id": sub.record_id,
        "attributes": sub.attributes,
    }


def _submission_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> Submission:
    record = mapping_for(p["kind"]).from_row(p["record_given_id"], p["record"], geometry)
    return Submission(
        id=id_,
        kind=p["kind"],
        record=record,
        submitted_by=p["submitted_by"],
        source=p["source"],
        status=SubmissionStatus(p["status"]),
        duplicates=tuple(p.get("duplicates", ())),
        decided_by=p.get("decided_by", ""),
        decision_reason=p.get("decision_reason", ""),
        record_id=p.get("record_id", ""),
        attributes=p.get("attributes") or {},
    )


def _location_payload(loc: Location) -> dict[str, Any]:
    return {"name": loc.name, "level": loc.level, "parent": loc.parent}


def _location_from(id_: str, p: dict[str, Any], geometry: shapely.Geometry) -> Location:
    return Location(
        id=id_, name=p["name"], level=int(p["level"]), parent=p.get("parent", ""), geometry=geometry
    )


def _plain_payload(record: Any) -> dict[str, Any]:
    """Every field but id and geometry, as JSON values (dates ISO, enums by value)."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        if f.name in ("id", "geometry"):
            continue
        v = getattr(record, f.name)
        if isinstance(v, date):
            v = v.isoformat()
        elif isinstance(v, Enum):
            v = v.value
        elif isinstance(v, tuple):
            v = [list(x) if isinstance(x, tuple) else x for x in v]
        out[f.name] = v
    return out


def _plain_from(cls: type, **convert: Callable[[Any], Any]):
    """The inverse of ``_plain_payload`` for ``cls``: ``convert`` rebuilds dates, enums, tuples."""

    def build(id_: str, p: dict[str, Any], geometry: Any) -> Any:
        kw = {k: (convert[k](v) if k in convert and v is not None else v) for k, v in p.items()}
        return cls(id=id_, geometry=geometry, **kw)

    return build


def _pairs(v: list) -> tuple:
    return tuple(tuple(x) for x in v)


@dataclass(frozen=True)
class KindMapping:
    """One record kind: its table stem, id prefix, payload mapping and the view's columns."""

    kind: str
    table: str  # stem: {table}_versions, {table}_rtree; view {view}
    view: str
    prefix: str
    record_type: type
    to_payload: Callable[[Any], dict[str, Any]]
    from_row: Callable[[str, dict[str, Any], Any], Any]
    geometry_type: str


KINDS: dict[str, KindMapping] = {
    "hazard": KindMapping(
        kind="hazard",
        table="hazard_area",
        view="hazard_areas_current",
        prefix="HA",
        record_type=HazardArea,
        to_payload=_hazard_payload,
        from_row=_hazard_from,
        geometry_type="MULTIPOLYGON",
    ),
    "activity": KindMapping(
        kind="activity",
        table="land_release_activity",
        view="land_release_activities_current",
        prefix="LR",
        record_type=LandReleaseActivity,
        to_payload=_activity_payload,
        from_row=_activity_from,
        geometry_type="MULTIPOLYGON",
    ),
    "eo": KindMapping(
        kind="eo",
        table="eo_item",
        view="eo_items_current",
        prefix="EO",
        record_type=EOItem,
        to_payload=_eo_payload,
        from_row=_eo_from,
        geometry_type="POINT",
    ),
    "accident": KindMapping(
        kind="accident",
        table="accident",
        view="accidents_current",
        prefix="AC",
        record_type=Accident,
        to_payload=_accident_payload,
        from_row=_accident_from,
        geometry_type="POINT",
    ),
    "minefield": KindMapping(
        kind="minefield",
        table="minefield_record",
        view="minefield_records_current",
        prefix="MF",
        record_type=MinefieldRecord,
        to_payload=_minefield_payload,
        from_row=_minefield_from,
        geometry_type="MULTIPOLYGON",
    ),
    "qc": KindMapping(
        kind="qc",
        table="qc_sample",
        view="qc_samples_current",
        prefix="QC",
        record_type=QCSample,
        to_payload=_qc_payload,
        from_row=_qc_from,
        geometry_type="MULTIPOLYGON",
    ),
    "submission": KindMapping(
        kind="submission",
        table="submission",
        view="submissions_current",
        prefix="SB",
        record_type=Submission,
        to_payload=_submission_payload,
        from_row=_submission_from,
        geometry_type="GEOMETRY",
    ),
    "location": KindMapping(
        kind="location",
        table="admin_area",
        view="admin_areas_current",
        prefix="ADM",
        record_type=Location,
        to_payload=_location_payload,
        from_row=_location_from,
        geometry_type="MULTIPOLYGON",
    ),
    "organisation": KindMapping(
        kind="organisation",
        table="organisation",
        view="organisations_current",
        prefix="ORG",
        record_type=Organisation,
        to_payload=_plain_payload,
        from_row=_plain_from(
            Organisation,
            kind=OrganisationKind,
            accreditation_from=date.fromisoformat,
            accreditation_to=date.fromisoformat,
        ),
        geometry_type="POINT",
    ),
    "task": KindMapping(
        kind="task",
        table="task",
        view="tasks_current",
        prefix="TK",
        record_type=Task,
        to_payload=_plain_payload,
        from_row=_plain_from(
            Task,
            kind=ActivityKind,
            status=TaskStatus,
            issued=date.fromisoformat,
            start=date.fromisoformat,
            end=date.fromisoformat,
        ),
        geometry_type="MULTIPOLYGON",
    ),
    "eore": KindMapping(
        kind="eore",
        table="eore_session",
        view="eore_sessions_current",
        prefix="RE",
        record_type=RiskEducationSession,
        to_payload=_plain_payload,
        from_row=_plain_from(RiskEducationSession, date=date.fromisoformat),
        geometry_type="GEOMETRY",
    ),
    "qa": KindMapping(
        kind="qa",
        table="qa_visit",
        view="qa_visits_current",
        prefix="QA",
        record_type=QAVisit,
        to_payload=_plain_payload,
        from_row=_plain_from(QAVisit, date=date.fromisoformat, nonconformities=_pairs),
        geometry_type="POINT",
    ),
    "coverage": KindMapping(
        kind="coverage",
        table="coverage_area",
        view="coverage_current",
        prefix="CV",
        record_type=CoverageArea,
        to_payload=_plain_payload,
        from_row=_plain_from(CoverageArea),
        geometry_type="MULTIPOLYGON",
    ),
    "priority_run": KindMapping(
        kind="priority_run",
        table="priority_run",
        view="priority_runs_current",
        prefix="PR",
        record_type=PriorityRun,
        to_payload=_plain_payload,
        from_row=_plain_from(PriorityRun),
        geometry_type="MULTIPOLYGON",
    ),
    # Personal data of victims: its own table, read only with the victim_data permission.
    "victim_personal": KindMapping(
        kind="victim_personal",
        table="victim_personal",
        view="victim_personal_current",
        prefix="VP",
        record_type=VictimPersonalData,
        to_payload=_personal_payload,
        from_row=_personal_from,
        geometry_type="POINT",
    ),
}

#: Kinds that hold personal data: never in public views or exports.
PERSONAL_KINDS = frozenset({"victim_personal"})


def mapping_for(kind: str) -> KindMapping:
    try:
        return KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown record kind {kind!r}; known: {', '.join(KINDS)}") from None


def payloads_json(kind: str, records: Sequence[Any]) -> list[str]:
    """JSON payloads of ``records``, compactly encoded (orjson: bulk imports spend time here).

    ``NewRows`` (a bulk import's new hazards as columns) carry theirs, made to be the same text.
    """
    if isinstance(records, NewRows):
        return records.payloads
    to_payload = mapping_for(kind).to_payload
    dumps = orjson.dumps
    return [dumps(to_payload(r)).decode() for r in records]


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def geometries_wkb(records: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """WKB and bounds (minx, miny, maxx, maxy) of the records' geometries, vectorised."""
    geoms = np.array([r.geometry for r in records], dtype=object)
    return shapely.to_wkb(geoms), shapely.bounds(geoms)
