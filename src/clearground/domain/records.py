"""The records of mine action, in IMAS words (04.10 glossary, 07.11 land release).

Plain classes: the store maps them from outside, and nothing here does I/O.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from shapely.geometry import MultiPolygon
from shapely.geometry.base import BaseGeometry

__all__ = [
    "DeviceFound",
    "OperationalMethod",
    "Location",
    "Organisation",
    "OrganisationKind",
    "QAVisit",
    "RiskEducationSession",
    "Task",
    "TaskStatus",
    "MinefieldRecord",
    "QCResult",
    "QCSample",
    "Accident",
    "AgeGroup",
    "Sex",
    "Victim",
    "VictimOutcome",
    "VictimPersonalData",
    "VictimType",
    "ActivityKind",
    "Classification",
    "EOCategory",
    "EOItem",
    "EvidenceStatus",
    "HazardArea",
    "HazardStatus",
    "LandReleaseActivity",
    "Released",
    "ReleasedLand",
    "EMPTY_AREA",
    "OUTCOME_OF",
]

EMPTY_AREA = MultiPolygon()


class Classification(StrEnum):
    """SHA: suspected (indirect evidence); CHA: confirmed (direct evidence)."""

    SHA = "SHA"
    CHA = "CHA"


class HazardStatus(StrEnum):
    ACTIVE = "active"  # nothing released yet
    IN_PROGRESS = "in_progress"  # some area released
    CLOSED = "closed"  # all area cancelled, reduced or cleared
    HANDED_OVER = "handed_over"  # released land formally handed to its users
    REOPENED = "reopened"  # new evidence fell inside a closed hazard


class ActivityKind(StrEnum):
    """The only three activities that release land (IMAS 07.11)."""

    NTS = "nts"  # non-technical survey: cancels
    TS = "ts"  # technical survey: reduces
    CLEARANCE = "clearance"  # clearance: clears


OUTCOME_OF: dict[ActivityKind, str] = {
    ActivityKind.NTS: "cancelled",
    ActivityKind.TS: "reduced",
    ActivityKind.CLEARANCE: "cleared",
}


@dataclass(frozen=True)
class Released:
    """Released area of a hazard in geodesic m², by outcome."""

    cancelled: float = 0.0
    reduced: float = 0.0
    cleared: float = 0.0

    @property
    def total(self) -> float:
        return self.cancelled + self.reduced + self.cleared

    def plus(self, outcome: str, m2: float) -> Released:
        return dataclasses.replace(self, **{outcome: getattr(self, outcome) + m2})

    def as_dict(self) -> dict[str, float]:
        return {"cancelled": self.cancelled, "reduced": self.reduced, "cleared": self.cleared}


@dataclass(frozen=True)
class ReleasedLand:
    """The land one activity itself released and that is still released (a failed QC sample or
    evidence takes it back): kept on its hazard, by activity id."""

    outcome: str  # cancelled, reduced or cleared
    geometry: BaseGeometry


@dataclass(slots=True)
class HazardArea:
    """Land suspected (SHA) or confirmed (CHA) to hold explosive ordnance.

    ``status``, ``area_m2``, ``released`` and ``released_geometry`` are never set by users: area is
    computed from the polygon and the rest changes only through land release activities.
    """

    id: str
    name: str
    geometry: BaseGeometry
    area_m2: float
    classification: Classification = Classification.SHA
    status: HazardStatus = HazardStatus.ACTIVE
    released: Released = Released()  # immutable, so one shared default is safe
    released_geometry: BaseGeometry = EMPTY_AREA
    #: activity id -> the land that activity itself released (their union is released_geometry;
    #: empty for hazards released before this was kept)
    released_by: dict[str, ReleasedLand] = field(default_factory=dict)
    eo_types: tuple[str, ...] = ()
    date_reported: date | None = None
    source: str = ""
    admin_pcode: str = ""
    land_use: str = ""
    benchmark: tuple[float, float] | None = None  # fixed reference point (lon, lat) of the MDR
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def remaining_m2(self) -> float:
        """Area not yet released; none at all once the hazard is closed (whatever float sums
        of the released parts leave over: closing attributes every last sliver)."""
        if self.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
            return 0.0
        return max(0.0, self.area_m2 - self.released.total)


class OperationalMethod(StrEnum):
    """How land was surveyed or cleared (the MDR's operational methods)."""

    MANUAL = "manual"
    MECHANICAL = "mechanical"
    ANIMAL_DETECTION = "animal_detection"  # mine detection dogs, rats
    BATTLE_AREA_CLEARANCE = "battle_area_clearance"


@dataclass(frozen=True, slots=True)
class DeviceFound:
    """Devices of one type found by an activity, with their depth and condition."""

    eo_type: str
    count: int
    depth_cm: float | None = None
    condition: str = ""


@dataclass(slots=True)
class LandReleaseActivity:
    """A non-technical survey, technical survey or clearance carried out on a hazard."""

    id: str
    hazard_id: str
    kind: ActivityKind
    date: date
    organisation: str
    geometry: BaseGeometry
    released_m2: float = 0.0  # what this activity released that was not released before
    task_id: str = ""
    methods: tuple[OperationalMethod, ...] = ()
    clearance_depth_cm: float | None = None
    devices_found: tuple[DeviceFound, ...] = ()
    beneficiaries: int | None = None  # people who benefit from the released land
    admin_pcode: str = ""  # the deepest administrative area it lies in (assigned on write)
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def outcome(self) -> str:
        return OUTCOME_OF[self.kind]


class EOCategory(StrEnum):
    """Categories of explosive ordnance (IMAS 04.10)."""

    MINE_AP = "mine_ap"  # anti-personnel mine
    MINE_AT = "mine_at"  # anti-vehicle (anti-tank) mine
    CLUSTER_MUNITION = "cluster_munition"  # cluster munition or submunition
    UXO = "uxo"  # unexploded ordnance
    AXO = "axo"  # abandoned explosive ordnance
    IED = "ied"  # improvised explosive device
    OTHER = "other"


class EvidenceStatus(StrEnum):
    """Where a piece of evidence lies against the recorded hazards."""

    INSIDE_HAZARD = "inside_hazard"
    OUTSIDE_RECORDED_HAZARDS = "outside_recorded_hazards"  # for an IM officer to decide


@dataclass(slots=True)
class EOItem:
    """An explosive ordnance item found, reported or destroyed (a spot report).

    A claimed self-destruct or self-deactivation feature is kept in ``attributes`` as stated;
    the item is evidence like any other.
    """

    id: str
    geometry: BaseGeometry  # a point
    category: EOCategory
    date: date
    eo_type: str = ""
    quantity: int = 1
    condition: str = ""
    found_during: str = ""  # id of the activity during which it was found
    reported_by: str = ""
    disposal_date: date | None = None
    disposal_method: str = ""
    hazard_id: str = ""
    evidence_status: EvidenceStatus = EvidenceStatus.OUTSIDE_RECORDED_HAZARDS
    admin_pcode: str = ""  # the deepest administrative area it lies in (assigned on write)
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    UNKNOWN = "unknown"


class AgeGroup(StrEnum):
    CHILD = "child"  # under 18
    ADULT = "adult"  # 18 or over
    UNKNOWN = "unknown"


class VictimType(StrEnum):
    CIVILIAN = "civilian"
    DEMINER = "deminer"  # a member of a mine action team at work


class VictimOutcome(StrEnum):
    KILLED = "killed"
    INJURED = "injured"


@dataclass(frozen=True, slots=True)
class Victim:
    """A person harmed in an accident, without personal data (that is ``VictimPersonalData``)."""

    sex: Sex
    age_group: AgeGroup
    victim_type: VictimType
    outcome: VictimOutcome


@dataclass(slots=True)
class Accident:
    """An accident involving explosive ordnance. Victims' names and contacts are kept apart."""

    id: str
    geometry: BaseGeometry  # a point
    date: date
    eo_category: EOCategory | None = None
    eo_type: str = ""
    activity: str = ""  # what the victims were doing (farming, travelling, clearance, ...)
    victims: tuple[Victim, ...] = ()
    hazard_id: str = ""
    evidence_status: EvidenceStatus = EvidenceStatus.OUTSIDE_RECORDED_HAZARDS
    admin_pcode: str = ""  # the deepest administrative area it lies in (assigned on write)
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class VictimPersonalData:
    """Personal data of one victim: stored apart, read only with the ``victim_data`` permission."""

    id: str  # "{accident id}/{victim number}"
    accident_id: str
    victim_no: int
    name: str = ""
    contact: str = ""
    notes: str = ""
    geometry: BaseGeometry | None = None  # never located: the accident has the place


@dataclass(slots=True)
class MinefieldRecord:
    """A record of emplaced mines handed over by armed forces (CCW Amended Protocol II).

    The claimed self-destruct, self-deactivation and battery life are kept exactly as stated:
    the record is a source of evidence for its CHA, never a clearance.
    """

    id: str
    geometry: BaseGeometry  # the recorded perimeter
    hazard_id: str
    devices: tuple[tuple[str, int], ...] = ()  # (device type, count)
    marking: str = ""
    emplaced_from: date | None = None
    emplaced_to: date | None = None
    claimed_self_destruct: str = ""
    claimed_self_deactivation: str = ""
    claimed_deactivation_date: date | None = None
    claimed_battery_life: str = ""
    handed_over_by: str = ""
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


class QCResult(StrEnum):
    PASSED = "passed"
    FAILED = "failed"


@dataclass(slots=True)
class QCSample:
    """A quality control sample of released land (IMAS 07.12): a failed one returns the land."""

    id: str
    geometry: BaseGeometry  # the sampled polygon
    activity_id: str  # the land release activity whose land was sampled
    hazard_id: str
    date: date
    organisation: str  # who inspected
    result: QCResult
    returned_m2: float = 0.0  # land put back into the hazard's remaining area
    admin_pcode: str = ""
    nonconformities: str = ""
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Location:
    """An administrative area with its P-code (COD-AB): the id is the P-code itself."""

    id: str  # the P-code, e.g. UA1234567890
    name: str
    level: int  # 0 country, 1 oblast/province, 2 raion/district, ...
    parent: str  # the parent's P-code ('' for level 0 or when unknown)
    geometry: BaseGeometry


class OrganisationKind(StrEnum):
    AUTHORITY = "authority"  # national mine action authority or centre
    OPERATOR = "operator"  # accredited demining or EORE operator
    NGO = "ngo"
    COMMERCIAL = "commercial"
    MILITARY = "military"
    OTHER = "other"


@dataclass(slots=True)
class Organisation:
    """An organisation: authority, operator, ... with its accreditation dates."""

    id: str
    name: str
    kind: OrganisationKind = OrganisationKind.OPERATOR
    accreditation_from: date | None = None
    accreditation_to: date | None = None
    notes: str = ""
    geometry: BaseGeometry | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


class TaskStatus(StrEnum):
    PLANNED = "planned"
    ISSUED = "issued"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    SUSPENDED = "suspended"
    CANCELLED = "cancelled"


@dataclass(slots=True)
class Task:
    """A task given to an organisation on a hazard: NTS, TS or clearance."""

    id: str
    hazard_id: str
    organisation_id: str
    kind: ActivityKind
    issued: date
    start: date | None = None
    end: date | None = None
    status: TaskStatus = TaskStatus.ISSUED
    notes: str = ""
    geometry: BaseGeometry | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class RiskEducationSession:
    """An explosive ordnance risk education (EORE) session and its audience by sex and age."""

    id: str
    geometry: BaseGeometry  # a point or an area
    date: date
    organisation_id: str
    girls: int = 0  # under 18
    boys: int = 0
    women: int = 0  # 18 or over
    men: int = 0
    method: str = ""  # community session, school, ...
    admin_pcode: str = ""
    notes: str = ""
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.girls + self.boys + self.women + self.men


@dataclass(slots=True)
class QAVisit:
    """A quality assurance visit (IMAS 07.12) to a land release activity."""

    id: str
    date: date
    activity_id: str
    organisation_inspected: str
    inspecting_organisation: str
    nonconformities: tuple[tuple[str, str], ...] = ()  # (severity, type), e.g. ("major", "marking")
    measures: str = ""
    notes: str = ""
    geometry: BaseGeometry | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
