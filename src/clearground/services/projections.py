"""Every record leaves the services through here: a version becomes a dict for JSON, a table or a
file, for one reader.

This is the only module that knows which fields are personal and who may see them. Victims'
names, contacts and notes live in the personal kinds (``store.mapping.PERSONAL_KINDS``), which no
list, show, history or export names; they are read only by :func:`victims_personal_data`, for a
reader with the ``victim_data`` permission. The columns of an accidents file that older versions
kept as an accident's ``attributes`` (an import now refuses them: they may name people) are
treated as personal too. Files that leave the database (exports) are always written for
:data:`PUBLIC`, whatever the permissions of who writes them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from clearground.domain.errors import BadInput, Forbidden, NotFound
from clearground.domain.records import (
    Accident,
    EOItem,
    EvidenceStatus,
    HazardArea,
    VictimPersonalData,
)
from clearground.store.base import Store, Version
from clearground.store.mapping import KINDS, PERSONAL_KINDS

__all__ = [
    "EXPORTABLE",
    "OUTSIDE_MESSAGE",
    "PERSONAL_FIELDS",
    "PUBLIC",
    "PUBLISHED_OMITS",
    "VICTIM_DATA",
    "Reader",
    "accident_json",
    "eo_json",
    "hazard_json",
    "json_of",
    "location_json",
    "minefield_json",
    "priority_run_json",
    "published_hazard_json",
    "published_tile_json",
    "record_json",
    "redact_payload",
    "refuse_personal_kind",
    "submission_json",
    "victims_personal_data",
    "without_personal_data",
]

#: The permission that lets a reader see victims' personal data (see config.KNOWN_PERMISSIONS).
VICTIM_DATA = "victim_data"
#: Fields of non-personal kinds that may hold personal data: shown only with ``victim_data``,
#: never exported, and left out of a dump written without personal data.
PERSONAL_FIELDS: dict[str, tuple[str, ...]] = {"accident": ("attributes",)}
#: The flag of evidence (an EO item, an accident) that lies in no recorded hazard.
OUTSIDE_MESSAGE = "evidence outside recorded hazards"
#: Kinds a reader may name in a list, show, history or export: none that holds personal data.
EXPORTABLE = tuple(k for k in KINDS if k not in PERSONAL_KINDS)


@dataclass(frozen=True)
class Reader:
    """Who reads: the permissions that decide what of a record they may see."""

    permissions: frozenset[str] = frozenset()

    @classmethod
    def of(cls, permissions: Iterable[str]) -> Reader:
        return cls(frozenset(permissions))

    @property
    def victim_data(self) -> bool:
        return VICTIM_DATA in self.permissions


#: A reader with no permission: what every role may see, and what every exported file holds.
PUBLIC = Reader()


def without_personal_data(record: VictimPersonalData) -> VictimPersonalData:
    """The record of a victim's personal data with the data itself erased: what is kept of
    personal data that is deleted (whose it was, never what it said)."""
    return dataclasses.replace(record, name="", contact="", notes="")


def refuse_personal_kind(kind: str) -> None:
    """Refuse a kind that holds personal data, wherever a reader names a kind (exit 2)."""
    if kind in PERSONAL_KINDS:
        raise BadInput(f"{kind} is personal data: it is never exported, listed or shown")


def hazard_json(v: Version, reader: Reader) -> dict[str, Any]:
    """The JSON of a hazard version: the keys scripts and QGIS projects rely on."""
    h: HazardArea = v.record
    return {
        "id": h.id,
        "name": h.name,
        "classification": str(h.classification),
        "status": str(h.status),
        "area_m2": round(h.area_m2, 2),
        "released_m2": {k: round(x, 2) for k, x in h.released.as_dict().items()},
        "remaining_m2": round(h.remaining_m2, 2),
        "version": v.version,
        "eo_types": list(h.eo_types),
        "date_reported": h.date_reported.isoformat() if h.date_reported else None,
        "source": h.source,
        "admin_pcode": h.admin_pcode,
        "land_use": h.land_use,
        "notes": h.notes,
        "attributes": h.attributes,
        "valid_from": v.valid_from,
        "author": v.author,
        "reason": v.reason,
    }


#: What a published static site (``clearground publish``) leaves out of a hazard: internal notes,
#: the free attributes a file brought (they may hold anything), and who changed it and why.
PUBLISHED_OMITS = ("notes", "attributes", "author", "reason")


def published_hazard_json(v: Version, reader: Reader = PUBLIC) -> dict[str, Any]:
    """A hazard as a public static site shows it: its public JSON without internal notes, free
    attributes, author or reason (the site is read by anyone, anywhere, without a server)."""
    row = hazard_json(v, PUBLIC)
    for key in PUBLISHED_OMITS:
        row.pop(key, None)
    return row


def published_tile_json(v: Version, reader: Reader = PUBLIC) -> dict[str, Any]:
    """A hazard as the public map's tiles carry it: the keys of :func:`published_hazard_json`
    the map draws by (status, classification) and finds the rest of its card by (id), with the
    same values, made alone so that the tiles start building before the rest of the public JSON
    is made. Fewer keys: smaller tiles, and less for tippecanoe to write (the card reads name,
    area and P-code from ``hazards.fgb``)."""
    h: HazardArea = v.record
    return {"id": h.id, "status": str(h.status), "classification": str(h.classification)}


def eo_json(v: Version, reader: Reader) -> dict[str, Any]:
    """The JSON of an EO item version."""
    e: EOItem = v.record
    return {
        "id": e.id,
        "category": e.category.value,
        "eo_type": e.eo_type,
        "quantity": e.quantity,
        "condition": e.condition,
        "date": e.date.isoformat(),
        "lon": e.geometry.x,
        "lat": e.geometry.y,
        "found_during": e.found_during,
        "reported_by": e.reported_by,
        "disposal_date": e.disposal_date.isoformat() if e.disposal_date else None,
        "disposal_method": e.disposal_method,
        "hazard_id": e.hazard_id,
        "evidence_status": e.evidence_status.value,
        "admin_pcode": e.admin_pcode,
        "flag": OUTSIDE_MESSAGE
        if e.evidence_status is EvidenceStatus.OUTSIDE_RECORDED_HAZARDS
        else None,
        "notes": e.notes,
        "attributes": e.attributes,
        "version": v.version,
        "valid_from": v.valid_from,
        "author": v.author,
    }


def accident_json(v: Version, reader: Reader) -> dict[str, Any]:
    """An accident without any personal data (victims counted and described, never named).

    Its ``attributes`` (columns an older version kept from an accidents file) are shown only to a
    reader with ``victim_data``; to anyone else they are ``{}``.
    """
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
        "attributes": dict(a.attributes) if reader.victim_data else {},
        "version": v.version,
        "valid_from": v.valid_from,
        "author": v.author,
    }


def victims_personal_data(store: Store, accident_id: str, reader: Reader) -> list[dict[str, Any]]:
    """Names, contacts and notes of an accident's victims; needs the victim_data permission."""
    if not reader.victim_data:
        raise Forbidden(
            "victims' personal data needs the victim_data permission "
            "(set CLEARGROUND_PERMISSIONS=victim_data for users who need it)"
        )
    if store.get("accident", accident_id) is None:
        raise NotFound(f"accident {accident_id} not found")
    rows = [v.record for v in store.list("victim_personal") if v.record.accident_id == accident_id]
    return [
        {"victim_no": r.victim_no, "name": r.name, "contact": r.contact, "notes": r.notes}
        for r in sorted(rows, key=lambda r: r.victim_no)
    ]


def minefield_json(v: Version, reader: Reader, hazard: Version | None = None) -> dict[str, Any]:
    """A minefield record, with the status of the hazard it documents when that is given."""
    m = v.record
    return {
        "id": m.id,
        "hazard_id": m.hazard_id,
        "hazard_status": str(hazard.record.status) if hazard and hazard.record else None,
        "devices": [{"type": t, "count": n} for t, n in m.devices],
        "marking": m.marking,
        "emplaced_from": m.emplaced_from.isoformat() if m.emplaced_from else None,
        "emplaced_to": m.emplaced_to.isoformat() if m.emplaced_to else None,
        "claimed_self_destruct": m.claimed_self_destruct,
        "claimed_self_deactivation": m.claimed_self_deactivation,
        "claimed_deactivation_date": (
            m.claimed_deactivation_date.isoformat() if m.claimed_deactivation_date else None
        ),
        "claimed_battery_life": m.claimed_battery_life,
        "handed_over_by": m.handed_over_by,
        "notes": m.notes,
        "attributes": m.attributes,
        "version": v.version,
    }


def record_json(v: Version, reader: Reader) -> dict[str, Any]:
    """Any operational record as JSON: its fields, place (if any) and version."""
    from clearground.store.mapping import mapping_for

    refuse_personal_kind(v.kind)
    out = {"id": v.id, **mapping_for(v.kind).to_payload(v.record)}
    if v.kind == "submission" and v.record.kind in PERSONAL_FIELDS:
        out["record"] = redact_payload(v.record.kind, out["record"], reader)
    g = v.record.geometry
    if g is not None and not g.is_empty:
        c = g.centroid
        out["lon"], out["lat"] = c.x, c.y
    if v.kind == "eore":
        out["total"] = v.record.total
    out["version"] = v.version
    return out


def redact_payload(kind: str, payload: Any, reader: Reader) -> Any:
    """A stored payload of ``kind`` with its personal fields emptied for a reader without
    ``victim_data`` (a dump written without personal data, a submission's record)."""
    if reader.victim_data or not isinstance(payload, dict):
        return payload
    if kind == "submission" and isinstance(payload.get("record"), dict):
        record = redact_payload(str(payload.get("kind", "")), payload["record"], reader)
        return {**payload, "record": record}
    personal = PERSONAL_FIELDS.get(kind, ())
    return {k: ({} if k in personal else x) for k, x in payload.items()}


def priority_run_json(v: Version, reader: Reader, top: int | None = None) -> dict[str, Any]:
    """A prioritisation run: ``run`` (id, time, inputs with checksums, configuration, code
    version) and ``hazards`` in rank order (the first ``top`` of them, if given)."""
    from clearground.services.prioritise import MEANING

    r = v.record
    return {
        "run": {
            "id": r.id,
            "time": r.time,
            "run_date": r.run_date,
            "inputs": r.inputs,
            "configuration": r.configuration,
            "code_version": r.code_version,
            "hazard_count": r.hazard_count,
            "notes": list(r.notes),
            "meaning": MEANING,
            "version": v.version,
        },
        "hazards": r.hazards if top is None else r.hazards[:top],
    }


_BY_KIND: dict[str, Callable[[Version, Reader], dict[str, Any]]] = {
    "priority_run": priority_run_json,
    "hazard": hazard_json,
    "eo": eo_json,
    "accident": accident_json,
    "minefield": minefield_json,
    **{
        k: record_json
        for k in (
            "activity",
            "qc",
            "organisation",
            "task",
            "eore",
            "qa",
            "location",
            "submission",
            "coverage",
        )
    },
}


def location_json(v: Version, reader: Reader) -> dict[str, Any]:
    """An administrative area as ``locations list`` shows it."""
    a = v.record
    return {"pcode": a.id, "name": a.name, "level": a.level, "parent": a.parent}


def json_of(kind: str) -> Callable[[Version, Reader], dict[str, Any]]:
    """The projection of ``kind``; a personal or unknown kind is refused (exit 2)."""
    refuse_personal_kind(kind)
    if kind not in _BY_KIND:
        raise BadInput(f"unknown record kind {kind!r}; kinds: {', '.join(EXPORTABLE)}")
    return _BY_KIND[kind]


def _record_json(kind: str, record: Any, reader: Reader, version: Version | None = None):
    """A record as its kind shows it: never with victims' personal data."""
    v = version or Version(kind, record.id, 0, "", "", "", False, record)
    show = {
        "hazard": hazard_json,
        "eo": eo_json,
        "accident": accident_json,
        "eore": record_json,
        "activity": record_json,
    }
    return show[kind](v, reader)


def submission_json(
    store: Store, v: Version, reader: Reader, *, side_by_side: bool = False
) -> dict[str, Any]:
    """A submission; with ``side_by_side`` the records it may duplicate are shown beside it."""
    from clearground.domain.review import Submission, SubmissionStatus

    sub: Submission = v.record
    out: dict[str, Any] = {
        "id": sub.id,
        "kind": sub.kind,
        "status": sub.status.value,
        "submitted_by": sub.submitted_by,
        "source": sub.source,
        "duplicates": list(sub.duplicates),
        "decided_by": sub.decided_by,
        "decision_reason": sub.decision_reason,
        "record_id": sub.record_id,
        "version": v.version,
        "attributes": sub.attributes,
        "record": _record_json(sub.kind, sub.record, reader),
    }
    if sub.kind == "accident" and sub.status is SubmissionStatus.PENDING:
        # how many victims' personal data wait apart (never the data itself)
        out["personal_data_held_apart"] = sum(
            1
            for k in range(1, len(sub.record.victims) + 1)
            if store.get("victim_personal", f"{sub.id}/{k}") is not None
        )
    if side_by_side:
        shown = []
        for other in sub.duplicates:
            found = store.get(sub.kind, other) or store.get("submission", other)
            if found is None:
                shown.append({"id": other})
            elif found.kind == "submission":
                shown.append(
                    {"submission": other, **_record_json(sub.kind, found.record.record, reader)}
                )
            else:
                shown.append(_record_json(sub.kind, found.record, reader, found))
        out["side_by_side"] = shown
    return out
