"""The land release state machine (IMAS 07.11): only evidence releases land.

A hazard's area is cancelled by non-technical survey, reduced by technical survey and cleared by
clearance. Nothing else lowers it: not an edit of its status, not an expiry date, not a claimed
self-destruct or self-deactivation feature, not the battery life of the devices thought to be there.
Such claims may be recorded as attributes; they are never evidence.

Tolerances (stated here once, used everywhere):

- ``WITHIN_TOLERANCE_M``: an activity polygon may stick out of its hazard by at most 1 m
  (GPS and digitising error); the part outside is never counted as released.
- ``SLIVER_TOLERANCE_M``, ``SLIVER_MAX_SHARE``: when the land left after an activity that
  released land is both nowhere wider than 2 m (it vanishes when shrunk by 1 m) and no more than
  0.5 % of the hazard's area, it is a digitising sliver: the hazard closes and the sliver is
  counted with the closing activity's outcome (and kept as land it released), so that a closed
  hazard has no remaining area. A narrow strip hazard, or land between 2 m bands, is never a
  sliver: it is more than 0.5 % of the area.
- Each activity's own released land is kept on its hazard (``released_by``); a failed QC sample
  or evidence gives back only that land, off that activity's outcome.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

from clearground.domain.errors import BadInput, ReleaseRefused
from clearground.domain.partwise import HazardParts, Pieces, as_multipolygon, nowhere_wider_than
from clearground.domain.records import (
    OUTCOME_OF,
    ActivityKind,
    HazardArea,
    HazardStatus,
    LandReleaseActivity,
    QCResult,
    QCSample,
)
from clearground.domain.released_land import (
    give_back,
    give_back_unknown,
    released_pieces,
    with_released,
)

__all__ = [
    "DEVICE_CLAIMS",
    "PROTECTED_FIELDS",
    "EDITABLE_FIELDS",
    "SLIVER_MAX_SHARE",
    "SLIVER_TOLERANCE_M",
    "WITHIN_TOLERANCE_M",
    "HazardEvent",
    "apply_activity",
    "give_back",
    "edit_hazard",
    "hand_over",
    "return_land",
    "parse_activity_kind",
    "polygonal",
    "polygonal_array",
    "refuse_release",
    "require_release_evidence",
]

WITHIN_TOLERANCE_M = 1.0
SLIVER_TOLERANCE_M = 1.0
SLIVER_MAX_SHARE = 0.005

#: Device properties that may be recorded but never release land.
DEVICE_CLAIMS = frozenset(
    {
        "self_destruct",
        "self_deactivation",
        "self_neutralisation",
        "battery_life",
        "battery_life_days",
        "expiry_date",
        "expires",
        "deactivation_date",
    }
)

#: Fields that change only through land release activities (or are computed).
PROTECTED_FIELDS = frozenset(
    {
        "id",
        "version",
        "status",
        "area_m2",
        "released_m2",
        "remaining_m2",
        "cancelled",
        "reduced",
        "cleared",
        "released",
        "released_geometry",
        "geometry",
        "cancelled_m2",
        "reduced_m2",
        "cleared_m2",
        "valid_from",
        "author",
        "reason",
        "attributes",
    }
)
"""Compared ignoring case: ``Status`` is ``status``."""

_BENCHMARK_FIELDS = ("benchmark_lon", "benchmark_lat")
#: Other columns of a hazard's export: an attribute of one of these names would clash.
_COLUMN_NAMES = frozenset({*_BENCHMARK_FIELDS, "lon", "lat", "wkt", "fid", "geom"})

EDITABLE_FIELDS = (
    "name",
    "classification",
    "eo_types",
    "date_reported",
    "source",
    "admin_pcode",
    "land_use",
    "notes",
)


@dataclass(frozen=True)
class HazardEvent:
    """Something that happened to a hazard, with its evidence. Names are past tense."""

    kind: str  # "AreaReleased", "HazardClosed", ...
    hazard_id: str
    evidence: str  # the id of the activity (or other record) that caused it
    detail: dict[str, Any]


def polygonal(geometry: BaseGeometry | None) -> MultiPolygon:
    """The polygonal part of any geometry, as a MultiPolygon (empty when there is none)."""
    return as_multipolygon(geometry)


def polygonal_array(geometries: np.ndarray) -> np.ndarray:
    """``polygonal`` for a whole array at once: each geometry's polygons as one MultiPolygon."""
    geoms = np.asarray(geometries, dtype=object)
    out = np.empty(len(geoms), dtype=object)
    if len(geoms) == 0:
        return out
    types = shapely.get_type_id(geoms)
    if (types == 3).all():  # polygons only (the usual import): one part each
        shapely.multipolygons(geoms, indices=np.arange(len(geoms)), out=out)
        return out
    parts, owner = shapely.get_parts(geoms, return_index=True)
    keep = shapely.get_type_id(parts) == 3
    shapely.multipolygons(parts[keep], indices=owner[keep], out=out)
    missing = shapely.is_missing(out)
    out[missing] = [MultiPolygon() for _ in range(int(missing.sum()))]
    return out


def parse_activity_kind(value: Any) -> ActivityKind:
    """The activity kind named by ``value``, or a refusal that says why it cannot release land."""
    text = (
        str(value if value is not None else "").strip().lower().replace("-", "_").replace(" ", "_")
    )
    aliases = {
        "nts": ActivityKind.NTS,
        "non_technical_survey": ActivityKind.NTS,
        "ts": ActivityKind.TS,
        "technical_survey": ActivityKind.TS,
        "clearance": ActivityKind.CLEARANCE,
    }
    if text in aliases:
        return aliases[text]
    refuse_release(f"kind {value!r}")


def refuse_release(what: str) -> None:
    """Raise the refusal for anything that is not land release evidence."""
    raise ReleaseRefused(
        f"{what} cannot release land: only a non-technical survey (nts: cancelled), a technical "
        "survey (ts: reduced) or clearance (clearance: cleared) can (IMAS 07.11)"
    )


def require_release_evidence(evidence: object) -> LandReleaseActivity:
    """Return ``evidence`` if it is an NTS, TS or clearance activity; refuse anything else."""
    if isinstance(evidence, LandReleaseActivity) and isinstance(evidence.kind, ActivityKind):
        return evidence
    if isinstance(evidence, dict):
        claimed = sorted(k for k in evidence if k in DEVICE_CLAIMS)
        refuse_release(", ".join(claimed) if claimed else f"a record of fields {sorted(evidence)}")
    refuse_release(type(evidence).__name__)
    raise AssertionError  # pragma: no cover  (refuse_release always raises)


def _closing_sliver(
    hp: HazardParts, hazard: HazardArea, released: Pieces, remaining_m2: float
) -> Pieces | None:
    """The land left, if it is a digitising sliver the closing activity is credited with: nowhere
    wider than ``2 * SLIVER_TOLERANCE_M`` and no more than ``SLIVER_MAX_SHARE`` of the hazard's
    area; else None (the hazard stays open)."""
    if remaining_m2 > SLIVER_MAX_SHARE * hazard.area_m2:
        return None  # no overlay needed: too much land is left for a sliver
    left = hp.remaining(released)
    if left.area() > SLIVER_MAX_SHARE * hazard.area_m2:
        return None
    return left if nowhere_wider_than(left, 2 * SLIVER_TOLERANCE_M) else None


def apply_activity(
    hazard: HazardArea, activity: LandReleaseActivity
) -> tuple[HazardArea, LandReleaseActivity, list[HazardEvent]]:
    """Release the part of ``hazard`` that ``activity`` worked and that was not released before.

    Returns the new hazard (the land the activity itself released kept in ``released_by``), the
    activity with its ``released_m2`` and the events it caused. Refuses anything but an NTS, TS or
    clearance activity, an activity on another hazard or on a closed or handed-over one, and a
    polygon that lies outside the hazard by more than ``WITHIN_TOLERANCE_M``. Works part by part
    (``domain.partwise``), so a hazard of 100,000 parts takes seconds.
    """
    require_release_evidence(activity)
    if activity.hazard_id != hazard.id:
        raise BadInput(
            f"activity {activity.id} is for hazard {activity.hazard_id}, not {hazard.id}"
        )
    if hazard.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
        raise ReleaseRefused(
            f"hazard {hazard.id} is {hazard.status}: it has no remaining area to release"
        )
    if not activity.id or activity.id in hazard.released_by:
        raise BadInput(f"activity {activity.id!r} has released land on {hazard.id} already")
    worked = polygonal(activity.geometry)
    if worked.is_empty:
        raise BadInput(f"activity {activity.id} has no polygon")
    hp = HazardParts(hazard.geometry)
    if hp.outside_by_more_than(worked, WITHIN_TOLERANCE_M):
        raise BadInput(
            f"activity {activity.id} polygon lies outside hazard {hazard.id} by more than "
            f"{WITHIN_TOLERANCE_M:g} m"
        )
    by = released_pieces(hp, hazard)
    union = Pieces.none()
    for _, pieces in by.values():
        union = union.plus(pieces)
    new_part = hp.clip(worked).minus(union)
    m2 = min(new_part.area(), hazard.remaining_m2)
    outcome = OUTCOME_OF[activity.kind]
    sliver = None
    if m2 > 0:
        sliver = _closing_sliver(hp, hazard, union.plus(new_part), hazard.remaining_m2 - m2)
    closes = sliver is not None
    sliver_m2 = 0.0
    if closes:
        sliver_m2 = max(0.0, hazard.remaining_m2 - m2)
        m2 += sliver_m2
        new_part = new_part.plus(sliver)
    by[activity.id] = (outcome, new_part)
    released = hazard.released.plus(outcome, m2)
    if closes:
        status = HazardStatus.CLOSED
    elif m2 > 0:
        status = HazardStatus.IN_PROGRESS
    else:
        status = hazard.status
    new_hazard = with_released(hazard, hp, by, released=released, status=status)
    if closes:
        new_hazard.released_geometry = polygonal(hazard.geometry)
    events = [
        HazardEvent(
            "AreaReleased",
            hazard.id,
            activity.id,
            {"outcome": outcome, "m2": m2, "kind": str(activity.kind), "date": str(activity.date)},
        )
    ]
    if status != hazard.status:
        name = {
            HazardStatus.IN_PROGRESS: "HazardReleaseStarted",
            HazardStatus.CLOSED: "HazardClosed",
        }[status]
        detail: dict[str, Any] = {"from": str(hazard.status), "to": str(status)}
        if closes and sliver_m2 > 0:
            detail["sliver_m2"] = sliver_m2
        events.append(HazardEvent(name, hazard.id, activity.id, detail))
    return new_hazard, dataclasses.replace(activity, released_m2=m2), events


def return_land(
    hazard: HazardArea, activity: LandReleaseActivity, sample: QCSample
) -> tuple[HazardArea, QCSample, list[HazardEvent]]:
    """A failed QC sample puts the land it covers, of what ``activity`` itself released, back
    into the hazard's remaining area, off that activity's own outcome (IMAS 07.12), even where
    the activity's polygon overlaps land another activity released before. A closed or
    handed-over hazard is reopened.
    """
    if sample.result is not QCResult.FAILED:
        return hazard, sample, []
    if activity.hazard_id != hazard.id or sample.hazard_id != hazard.id:
        raise BadInput(f"QC sample {sample.id}: activity {activity.id} is not on {hazard.id}")
    hp = HazardParts(hazard.geometry)
    outcome = OUTCOME_OF[activity.kind]
    if activity.id in hazard.released_by:
        key, within = activity.id, hp.clip(sample.geometry)
    else:  # released before each activity's own land was kept: its polygon stands for it
        key = ""
        within = hp.clip(polygonal(activity.geometry)).times(hp.clip(sample.geometry))
    if key not in released_pieces(hp, hazard):
        new, m2 = hazard, 0.0
    elif key:
        new, back = give_back(hazard, {key: within}, hp)
        m2 = back[key][1]
    else:
        new, m2 = give_back_unknown(hazard, hp, within, outcome)
    events = [
        HazardEvent(
            "QCFailed",
            hazard.id,
            sample.id,
            {"activity": activity.id, "outcome": outcome, "returned_m2": m2},
        )
    ]
    if new.status != hazard.status:
        events.append(
            HazardEvent(
                "HazardReopened",
                hazard.id,
                sample.id,
                {"from": str(hazard.status), "to": str(new.status), "evidence": "failed QC sample"},
            )
        )
    return new, dataclasses.replace(sample, returned_m2=m2), events


def hand_over(
    hazard: HazardArea, *, when: date, recipient: str, today: date
) -> tuple[HazardArea, HazardEvent]:
    """Record the formal handover of a closed hazard's land to its users (closed -> handed_over).

    Only a closed hazard can be handed over: land still suspected, or reopened by new evidence,
    cannot. The date and recipient are kept on the hazard and in the event.
    """
    if hazard.status is not HazardStatus.CLOSED:
        raise ReleaseRefused(
            f"hazard {hazard.id} is {hazard.status}: only a closed hazard (all of its area "
            "cancelled, reduced or cleared) can be handed over"
        )
    if not recipient.strip():
        raise BadInput("the recipient of the handover must be named")
    if when > today:
        raise BadInput(f"handover date {when} is in the future")
    attributes = {
        **hazard.attributes,
        "handover_date": when.isoformat(),
        "handover_recipient": recipient.strip(),
    }
    new = dataclasses.replace(hazard, status=HazardStatus.HANDED_OVER, attributes=attributes)
    event = HazardEvent(
        "HazardHandedOver",
        hazard.id,
        f"handover {when.isoformat()}",
        {
            "from": str(hazard.status),
            "to": str(HazardStatus.HANDED_OVER),
            "date": when.isoformat(),
            "recipient": recipient.strip(),
        },
    )
    return new, event


def _parse_field(field: str, value: str, today: date) -> Any:
    """An edited value parsed with the parsers every import uses (domain.fields)."""
    from clearground.domain import fields

    try:
        if field == "name":
            if not value.strip():
                raise ValueError("name must not be empty")
            return value.strip()
        if field == "classification":
            return fields.parse_classification(value)
        if field == "eo_types":
            return fields.parse_eo_types(value)
        if field == "date_reported":
            if not value.strip():
                return None
            return fields.parse_iso_date(value, field_name="date_reported", today=today)
    except ValueError as exc:
        raise BadInput(f"--set {field}: {exc}") from None
    return value.strip()


def _benchmark(hazard: HazardArea, given: dict[str, str]) -> tuple[float, float] | None:
    """The benchmark after an edit of ``benchmark_lon`` and/or ``benchmark_lat``."""
    from clearground.domain import fields

    old = hazard.benchmark
    lon = given.get("benchmark_lon", "" if old is None else repr(old[0]))
    lat = given.get("benchmark_lat", "" if old is None else repr(old[1]))
    try:
        point = fields.parse_benchmark(lon, lat)
    except ValueError as exc:
        raise BadInput(f"--set {', '.join(given)}: {exc}") from None
    if point is not None and (why := fields.benchmark_problem(point, hazard.geometry)):
        raise BadInput(f"--set {', '.join(given)}: {why}")
    return point


def edit_hazard(
    hazard: HazardArea, changes: dict[str, str], *, today: date | None = None
) -> HazardArea:
    """A copy of ``hazard`` with ``changes``; refuses status, area and released area.

    Field names are compared ignoring case (``Status`` is ``status``). Each value of a field in
    :data:`EDITABLE_FIELDS` (and ``benchmark_lon``/``benchmark_lat``) is checked as an import
    checks it. Any other name is refused, unless written ``attributes.NAME``: that is kept as a
    free attribute (for example a claimed ``self_destruct``), recorded as stated, never changing
    status or area; an empty value removes the attribute.
    """
    if not changes:
        raise BadInput("nothing to change: give at least one FIELD=VALUE")
    today = today or date.today()
    updates: dict[str, Any] = {}
    benchmark: dict[str, str] = {}
    attributes = dict(hazard.attributes)
    for field, value in changes.items():
        key = field.strip()
        lower = key.lower()
        if lower.startswith("attributes."):
            _set_attribute(attributes, key[len("attributes.") :].strip(), value)
            continue
        if lower in PROTECTED_FIELDS:
            if lower == "status":
                refuse_release(f"an edit of {key}")
            raise ReleaseRefused(
                f"{key} cannot be edited: area is computed from the polygon and released area "
                "changes only through land release activities (nts, ts, clearance)"
            )
        if lower in EDITABLE_FIELDS:
            updates[lower] = _parse_field(lower, value, today)
        elif lower in _BENCHMARK_FIELDS:
            benchmark[lower] = value
        else:
            raise BadInput(
                f"--set {key}: a hazard has no field {key!r}; fields: "
                f"{', '.join((*EDITABLE_FIELDS, *_BENCHMARK_FIELDS))}; to record it as a free "
                f"attribute, write --set attributes.{key}=VALUE"
            )
    if benchmark:
        updates["benchmark"] = _benchmark(hazard, benchmark)
    return dataclasses.replace(hazard, **updates, attributes=attributes)


def _set_attribute(attributes: dict[str, Any], name: str, value: str) -> None:
    """``attributes.NAME=VALUE``: NAME must not be a field's name, nor another attribute's in
    a different case (no export format could hold both)."""
    lower = name.lower()
    if not name or not name.isprintable():
        raise BadInput(f"--set attributes.{name}: give a printable attribute name after the dot")
    if lower in PROTECTED_FIELDS or lower in EDITABLE_FIELDS or lower in _COLUMN_NAMES:
        raise BadInput(
            f"--set attributes.{name}: {name!r} is the name of a hazard field; an attribute "
            "needs a name of its own"
        )
    other = next((k for k in attributes if k.lower() == lower and k != name), None)
    if other is not None:
        raise BadInput(
            f"--set attributes.{name}: the hazard has an attribute {other!r}; names that differ "
            f"only in case are one name (edit attributes.{other})"
        )
    if value.strip():
        attributes[name] = value.strip()
    else:
        attributes.pop(name, None)
