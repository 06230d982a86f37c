"""New evidence against recorded hazards: explosive ordnance found, accidents.

Evidence never releases land. Evidence inside released land discredits that release: the land
comes back into the hazard's remaining area and a closed or handed-over hazard is reopened
(``reopen``). Evidence outside every recorded hazard is flagged for an IM officer to decide (a new
SHA, or explained).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from shapely.geometry.base import BaseGeometry

from clearground.domain.fields import MAX_DEPTH_CM, check_count
from clearground.domain.landrelease import HazardEvent
from clearground.domain.partwise import HazardParts
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
from clearground.domain.released_land import give_back, released_pieces

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


def reopen(
    hazard: HazardArea,
    evidence_id: str,
    what: str,
    point: BaseGeometry | None = None,
    *,
    found_by: str = "",
) -> tuple[HazardArea, list[HazardEvent]]:
    """``hazard`` after new evidence at ``point``: evidence discredits the release of the land
    it lies in.

    Every activity whose own released land covers ``point`` gives all of that land back (the
    whole, not a radius: the activity's survey or clearance of that land is what the evidence
    shows wrong), off its own outcome, with a ``ReleaseDiscredited`` event naming the evidence,
    the activity and the m² returned. A closed or handed-over hazard is reopened; an open one stays
    open with the land back in its remaining area; only new activities release it again. An item
    ``found_by`` an activity, in the land that activity released (found and disposed during that
    very clearance), changes nothing. Land released before each activity's own land was kept
    is given back where it covers ``point``: all of it, split over the outcomes it holds.
    """
    own = hazard.released_by.get(found_by)
    if point is not None and own is not None and own.geometry.covers(point):
        return hazard, []  # found and disposed by the very activity that released the land
    new, events = hazard, []
    if point is not None and hazard.released.total > 0:
        new, events = _discredit(hazard, evidence_id, what, point, found_by)
    if new.status in (HazardStatus.CLOSED, HazardStatus.HANDED_OVER):
        new = dataclasses.replace(new, status=HazardStatus.REOPENED)
    if new.status != hazard.status:
        events.append(
            HazardEvent(
                "HazardReopened",
                hazard.id,
                evidence_id,
                {"from": str(hazard.status), "to": str(new.status), "evidence": what},
            )
        )
    return new, events


def _discredit(
    hazard: HazardArea, evidence_id: str, what: str, point: BaseGeometry, found_by: str
) -> tuple[HazardArea, list[HazardEvent]]:
    if not hazard.released_geometry.covers(point):
        return hazard, []  # no overlay at all for evidence in land still suspected
    hp = HazardParts(hazard.geometry)
    hit = {
        k: hp.clip(r.geometry)
        for k, r in hazard.released_by.items()
        if k != found_by and r.geometry.covers(point)
    }
    if hit:
        new, back = give_back(hazard, hit, hp)
        return new, [
            HazardEvent(
                "ReleaseDiscredited",
                hazard.id,
                evidence_id,
                {"activity": k, "outcome": outcome, "returned_m2": m2, "evidence": what},
            )
            for k, (outcome, m2) in sorted(back.items())
        ]
    unknown = released_pieces(hp, hazard).get("")
    if unknown is None or not unknown[1].covers(point):
        return hazard, []
    # released before each activity's own land was kept: all of that land back, split over the
    # outcomes it holds (their land cannot be told apart)
    left, released, share = unknown[1].area(), hazard.released, {}
    for outcome in ("cancelled", "reduced", "cleared"):
        take = min(left, getattr(released, outcome))
        released, left, share[outcome] = released.plus(outcome, -take), left - take, take
    kept = hp.clip(hazard.released_geometry).minus(unknown[1])
    new = dataclasses.replace(hazard, released=released, released_geometry=kept.geometry())
    event = HazardEvent(
        "ReleaseDiscredited",
        hazard.id,
        evidence_id,
        {"activity": "", "returned_m2": share, "evidence": what},
    )
    return new, [event]


def containing(point, hazards: Sequence[HazardArea]) -> list[HazardArea]:
    """The hazards whose polygon covers ``point`` (boundary included), by id."""
    return sorted((h for h in hazards if h.geometry.covers(point)), key=lambda h: h.id)


def parse_victim(sex: object, age: object, victim_type: object, outcome: object) -> Victim:
    """A victim from the words of a field form; ValueError names the field that is wrong,
    never its value (a name typed into the wrong cell must not reach a message).

    Values may be text or numbers (an age of ``12`` from a JSON victims list, ``"12.0"`` from a
    spreadsheet), and ``None`` for unknown, so that every source of victims reads alike.
    """

    def word(value: object) -> str:
        return "" if value is None else str(value).strip().lower()

    s = word(sex)
    sexes = {
        "f": Sex.FEMALE,
        "female": Sex.FEMALE,
        "m": Sex.MALE,
        "male": Sex.MALE,
        "": Sex.UNKNOWN,
        "unknown": Sex.UNKNOWN,
    }
    if s not in sexes:
        raise ValueError("sex is not one of female, male, unknown")
    a = word(age)
    if a in ("", "unknown"):
        age_group = AgeGroup.UNKNOWN
    elif a in ("child", "adult"):
        age_group = AgeGroup(a)
    else:
        try:
            years = float(a)
        except ValueError:
            raise ValueError("age_group is not one of child, adult, unknown, or an age") from None
        if not 0 <= years < 130:
            raise ValueError("age_group is an age out of 0 to 129")
        age_group = AgeGroup.CHILD if years < 18 else AgeGroup.ADULT
    t = word(victim_type) or "civilian"
    if t not in VictimType.__members__.values():
        raise ValueError("victim_type is not one of civilian, deminer")
    o = word(outcome)
    if o not in VictimOutcome.__members__.values():
        raise ValueError("outcome is not one of killed, injured")
    return Victim(sexes[s], age_group, VictimType(t), VictimOutcome(o))


def parse_devices(text: str) -> tuple[tuple[str, int], ...]:
    """Device types and counts written as ``PMN-2: 40; TM-62M: 12`` (a count of 1 if omitted),
    or as the JSON list clearground exports write, ``[{"type": "PMN-2", "count": 40}]``, so that
    an export imports again as the same record.

    >>> parse_devices('PMN-2: 40; TM-62M')
    (('PMN-2', 40), ('TM-62M', 1))
    >>> parse_devices('[{"type": "PMN-2", "count": 40}]')
    (('PMN-2', 40),)
    """
    items = _json_list(text, "devices")
    if items is not None:
        import json

        devices = []
        for k, item in enumerate(items, 1):
            where = f"devices item {k} {json.dumps(item, ensure_ascii=False)}"
            if not isinstance(item, dict) or not set(item) <= {"type", "count"}:
                # other keys would be dropped unseen: refuse rather than lose what a file says
                raise ValueError(f"{where}: write an object with only 'type' and 'count'")
            name, n = item.get("type"), item.get("count", 1)
            if not isinstance(name, str) or not name.strip():
                raise ValueError(f"{where}: 'type' must be a non-empty text")
            devices.append((name.strip(), _json_count(n, where)))
        return tuple(devices)
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
        out.append((name, check_count(n, f"devices {part!r}: the count")))
    return tuple(out)


_FOUND = re.compile(
    r"^(?P<type>[^:]+?)\s*:\s*(?P<count>\d+)"
    r"(?:\s*@\s*(?P<depth>\d+(?:\.\d+)?)\s*cm)?(?:\s+(?P<condition>.+))?$"
)


def _json_list(value: object, what: str) -> list | None:
    """``value`` as a list when it is the JSON form an export writes (or the list a format such
    as GeoJSON hands back for it); None when it is text for the human form."""
    if value is None:
        return []
    if not isinstance(value, str):
        try:
            return list(value)  # type: ignore[call-overload]
        except TypeError:
            raise ValueError(f"{what} {value!r} is neither text nor a list") from None
    if not value.lstrip().startswith("["):
        return None
    import json  # only exports write these as JSON

    try:
        items = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{what} {value!r}: not a valid JSON list ({exc.msg})") from None
    except RecursionError:
        raise ValueError(f"{what}: the JSON is nested too deeply") from None
    if not isinstance(items, list):
        raise ValueError(f"{what} {value!r}: not a JSON list")
    return items


def _json_count(n: object, where: str) -> int:
    """A count out of JSON (``3``, or ``3.0`` from a spreadsheet) as a whole number of 1 or more."""
    if isinstance(n, float) and n.is_integer():
        n = int(n)
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{where}: 'count' must be a whole number of 1 or more")
    return check_count(n, f"{where}: 'count'")


def _device_found(k: int, item: object) -> DeviceFound:
    """One object of an exported ``devices_found`` list; anything it cannot keep is refused."""
    where = f"devices_found item {k} {item!r}"
    keys = {"eo_type", "type", "count", "depth_cm", "condition"}
    if not isinstance(item, dict) or not set(item) <= keys or {"eo_type", "type"} <= set(item):
        raise ValueError(f"{where}: write an object with eo_type, count, depth_cm and condition")
    name, n = item.get("eo_type", item.get("type")), item.get("count", 1)
    depth, condition = item.get("depth_cm"), item.get("condition") or ""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"{where}: 'eo_type' must be a non-empty text")
    n = _json_count(n, where)
    if depth is not None and (
        not isinstance(depth, int | float) or isinstance(depth, bool) or not 0 <= depth < 1e4
    ):
        raise ValueError(f"{where}: 'depth_cm' must be a number of cm, 0 or more, or null")
    if not isinstance(condition, str):
        raise ValueError(f"{where}: 'condition' must be text")
    return DeviceFound(
        name.strip(), n, float(depth) if depth is not None else None, condition.strip()
    )


def parse_devices_found(text: object) -> tuple[DeviceFound, ...]:
    """``PMN-2: 3 @ 15 cm intact; UXO: 1`` as devices with count, depth and condition.

    The JSON list an export writes (``[{"eo_type": "PMN-2", "count": 3, "depth_cm": null,
    "condition": ""}]``) is read too, so that an export imports again as the same record.

    >>> parse_devices_found('PMN-2: 3 @ 15 cm intact')
    (DeviceFound(eo_type='PMN-2', count=3, depth_cm=15.0, condition='intact'),)
    >>> parse_devices_found('[{"eo_type": "PMN-2", "count": 3}]')
    (DeviceFound(eo_type='PMN-2', count=3, depth_cm=None, condition=''),)
    """
    items = _json_list(text, "devices_found")
    if items is not None:
        return tuple(_device_found(k, item) for k, item in enumerate(items, 1))
    assert isinstance(text, str)
    out = []
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        m = _FOUND.match(part)
        if not m or int(m["count"]) < 1:
            raise ValueError(f"devices_found {part!r}: write TYPE: COUNT [@ DEPTH cm] [CONDITION]")
        if m["depth"] and float(m["depth"]) > MAX_DEPTH_CM:
            raise ValueError(f"devices_found {part!r}: the depth is more than {MAX_DEPTH_CM:g} cm")
        out.append(
            DeviceFound(
                m["type"].strip(),
                check_count(int(m["count"]), f"devices_found {part!r}: the count"),
                float(m["depth"]) if m["depth"] else None,
                (m["condition"] or "").strip(),
            )
        )
    return tuple(out)


def parse_methods(text: object) -> tuple[OperationalMethod, ...]:
    """Operational methods, comma-separated, in the sector's words; or the JSON list an export
    writes (``["manual", "mechanical"]``, or the list GeoJSON hands back), so that an export
    imports again as the same record.

    >>> parse_methods('Manual, MDD')
    (<OperationalMethod.MANUAL: 'manual'>, <OperationalMethod.ANIMAL_DETECTION: 'animal_detection'>)
    >>> parse_methods('["manual", "mechanical"]')
    (<OperationalMethod.MANUAL: 'manual'>, <OperationalMethod.MECHANICAL: 'mechanical'>)
    """
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
    items = _json_list(text, "methods")
    if items is None:
        assert isinstance(text, str)
        items = text.split(",")
    elif not all(isinstance(w, str) for w in items):
        raise ValueError(f"methods {text!r}: a JSON list of methods holds only their names")
    out = []
    for word in (w.strip().lower().replace(" ", "_").replace("-", "_") for w in items):
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
