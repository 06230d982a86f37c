"""New evidence against recorded hazards: explosive ordnance found, accidents.

Evidence never releases land. Evidence inside a closed or handed-over hazard reopens it; evidence
outside every recorded hazard is flagged for an IM officer to decide (a new SHA, or explained).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from clearground.domain.landrelease import HazardEvent
from clearground.domain.records import (
    AgeGroup,
    DeviceFound,
    EOCategory,
    HazardArea,
    HazardStatus,
    OperationalMethod,
    Sex,
    Victim,
    VictimOutcome,
    VictimType,
)

__all__ = [
    "EO_CATEGORY_WORDS",
    "containing",
    "claimed_deactivation_passed",
    "parse_devices",
    "parse_devices_found",
    "parse_methods",
    "parse_eo_category",
    "parse_victim",
    "reopen",
]

#: Words used in the field for each category (lower case, spaces and dashes as underscores).
EO_CATEGORY_WORDS: dict[str, EOCategory] = {
    **{c.value: c for c in EOCategory},
    "ap_mine": EOCategory.MINE_AP,
    "apm": EOCategory.MINE_AP,
    "anti_personnel_mine": EOCategory.MINE_AP,
    "at_mine": EOCategory.MINE_AT,
    "atm": EOCategory.MINE_AT,
    "av_mine": EOCategory.MINE_AT,
    "anti_tank_mine": EOCategory.MINE_AT,
    "anti_vehicle_mine": EOCategory.MINE_AT,
    "cm": EOCategory.CLUSTER_MUNITION,
    "submunition": EOCategory.CLUSTER_MUNITION,
    "cluster": EOCategory.CLUSTER_MUNITION,
    "improvised_explosive_device": EOCategory.IED,
    "unexploded_ordnance": EOCategory.UXO,
    "abandoned_explosive_ordnance": EOCategory.AXO,
}


def parse_eo_category(value: object) -> EOCategory:
    """The category named by ``value`` in the sector's words; ValueError if none."""
    text = str(value if value is not None else "").strip().lower()
    key = text.replace("-", "_").replace(" ", "_")
    try:
        return EO_CATEGORY_WORDS[key]
    except KeyError:
        raise ValueError(
            f"category {text!r} is not an EO category ("
            + ", ".join(c.value for c in EOCategory)
            + ")"
        ) from None


def reopen(hazard: HazardArea, evidence_id: str, what: str) -> tuple[HazardArea, list[HazardEvent]]:
    """``hazard`` reopened by new evidence if it was closed or handed over; else unchanged.

    Released area stays as recorded (it is history); a new survey decides what to do with it.
    """
    if hazard.status not in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
        return hazard, []
    event = HazardEvent(
        "HazardReopened",
        hazard.id,
        evidence_id,
        {"from": str(hazard.status), "to": str(HazardStatus.REOPENED), "evidence": what},
    )
    return dataclasses.replace(hazard, status=HazardStatus.REOPENED), [event]


def containing(point, hazards: Sequence[HazardArea]) -> list[HazardArea]:
    """The hazards whose polygon covers ``point`` (boundary included), by id."""
    return sorted((h for h in hazards if h.geometry.covers(point)), key=lambda h: h.id)


def parse_victim(sex: str, age: str, victim_type: str, outcome: str) -> Victim:
    """A victim from the words of a field form; ValueError names the field that is wrong."""
    s = sex.strip().lower()
    sexes = {
        "f": Sex.FEMALE,
        "female": Sex.FEMALE,
        "m": Sex.MALE,
        "male": Sex.MALE,
        "": Sex.UNKNOWN,
        "unknown": Sex.UNKNOWN,
    }
    if s not in sexes:
        raise ValueError(f"sex {sex!r} is not female, male or unknown")
    a = age.strip().lower()
    if a in ("", "unknown"):
        age_group = AgeGroup.UNKNOWN
    elif a in ("child", "adult"):
        age_group = AgeGroup(a)
    else:
        try:
            years = float(a)
        except ValueError:
            raise ValueError(f"age_group {age!r} is not child, adult, unknown or an age") from None
        if not 0 <= years < 130:
            raise ValueError(f"age {age!r} is not a human age")
        age_group = AgeGroup.CHILD if years < 18 else AgeGroup.ADULT
    t = victim_type.strip().lower() or "civilian"
    if t not in VictimType.__members__.values():
        raise ValueError(f"victim_type {victim_type!r} is not civilian or deminer")
    o = outcome.strip().lower()
    if o not in VictimOutcome.__members__.values():
        raise ValueError(f"outcome {outcome!r} is not killed or injured")
    return Victim(sexes[s], age_group, VictimType(t), VictimOutcome(o))


def parse_devices(text: str) -> tuple[tuple[str, int], ...]:
    """Device types and counts written as ``PMN-2: 40; TM-62M: 12`` (a count of 1 if omitted)."""
    out = []
    for part in (p.strip() for p in text.replace("\n", ";").split(";")):
        if not part:
            continue
        name, sep, count = part.rpartition(":") if ":" in part else (part, "", "1")
        name = name.strip()
        try:
            n = int(count.strip())
        except ValueError:
            raise ValueError(
                f"devices {part!r}: the count after ':' must be a whole number"
            ) from None
        if not name or n < 1:
            raise ValueError(f"devices {part!r}: write TYPE: COUNT with a count of 1 or more")
        out.append((name, n))
    return tuple(out)


_FOUND = re.compile(
    r"^(?P<type>[^:]+?)\s*:\s*(?P<count>\d+)"
    r"(?:\s*@\s*(?P<depth>\d+(?:\.\d+)?)\s*cm)?(?:\s+(?P<condition>.+))?$"
)


def parse_devices_found(text: str) -> tuple[DeviceFound, ...]:
    """``PMN-2: 3 @ 15 cm intact; UXO: 1`` as devices with count, depth and condition."""
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = _FOUND.match(part)
        if not m or int(m["count"]) < 1:
            raise ValueError(f"devices_found {part!r}: write TYPE: COUNT [@ DEPTH cm] [CONDITION]")
        out.append(
            DeviceFound(
                m["type"].strip(),
                int(m["count"]),
                float(m["depth"]) if m["depth"] else None,
                (m["condition"] or "").strip(),
            )
        )
    return tuple(out)


def parse_methods(text: str) -> tuple[OperationalMethod, ...]:
    """Operational methods, comma-separated, in the sector's words."""
    words = {
        "manual": OperationalMethod.MANUAL,
        "mechanical": OperationalMethod.MECHANICAL,
        "animal_detection": OperationalMethod.ANIMAL_DETECTION,
        "mdd": OperationalMethod.ANIMAL_DETECTION,
        "dogs": OperationalMethod.ANIMAL_DETECTION,
        "mine_detection_dogs": OperationalMethod.ANIMAL_DETECTION,
        "battle_area_clearance": OperationalMethod.BATTLE_AREA_CLEARANCE,
        "bac": OperationalMethod.BATTLE_AREA_CLEARANCE,
    }
    out = []
    for word in (w.strip().lower().replace(" ", "_").replace("-", "_") for w in text.split(",")):
        if not word:
            continue
        if word not in words:
            raise ValueError(
                f"method {word!r} is not manual, mechanical, animal_detection or "
                "battle_area_clearance"
            )
        out.append(words[word])
    return tuple(dict.fromkeys(out))


def claimed_deactivation_passed(records, hazards: dict, today) -> list:
    """Minefield records whose claimed deactivation date has passed while their hazard is open.

    A claimed self-deactivation is not evidence that land is free of mines; this list exists so
    that nobody takes the passing of the date for a release.
    """
    open_statuses = {HazardStatus.ACTIVE, HazardStatus.IN_PROGRESS, HazardStatus.REOPENED}
    return [
        r
        for r in records
        if r.claimed_deactivation_date is not None
        and r.claimed_deactivation_date < today
        and r.hazard_id in hazards
        and hazards[r.hazard_id].status in open_statuses
    ]
