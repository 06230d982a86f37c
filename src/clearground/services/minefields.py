"""Minefield records from armed forces: each creates a confirmed hazard area (CHA) it documents.

A record whose ``hazard_id`` names the CHA already made for it (the hazard's ``minefield_record``
attribute is the record's id, as when a database is rebuilt from its exports, hazards first) is
linked to that CHA rather than given a second one; a ``hazard_id`` naming a hazard not in the
database creates the CHA under that id; one naming another record's or no record's hazard is
refused.

The record is evidence, not a clearance: its claimed self-destruct, self-deactivation and battery
life are kept as stated and never release or shrink the area. ``overdue`` lists records whose
claimed deactivation date has passed while their hazard is still open, so that nobody mistakes
the one for the other.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from clearground.domain.areas import geodesic_areas
from clearground.domain.errors import ImportRejected
from clearground.domain.evidence import claimed_deactivation_passed, parse_devices
from clearground.domain.landrelease import polygonal_array
from clearground.domain.records import Classification, HazardArea, MinefieldRecord
from clearground.domain.validation import UKRAINE, Region
from clearground.formats.base import FeatureTable
from clearground.services.common import (
    ImportReport,
    add_existing_ids,
    attributes_of,
    bulk,
    iso_date,
    refuse,
    text,
    texts,
)
from clearground.services.locations import PcodeIndex
from clearground.services.projections import PUBLIC, minefield_json
from clearground.services.prologue import read_for_import
from clearground.store.base import Store, Transaction
from clearground.store.retry import retrying

__all__ = ["import_minefields", "overdue"]

KIND = "minefield"
_FIELDS = (
    "id",
    "hazard_id",
    "name",
    "devices",
    "marking",
    "emplaced_from",
    "emplaced_to",
    "claimed_self_destruct",
    "claimed_self_deactivation",
    "claimed_deactivation_date",
    "claimed_battery_life",
    "handed_over_by",
    "notes",
)
_DATES = ("emplaced_from", "emplaced_to", "claimed_deactivation_date")
#: columns of our own export that the database computes: never kept as attributes
_COMPUTED = ("hazard_status",)
OVERDUE_MESSAGE = (
    "claimed deactivation date has passed, and the hazard is still open: a claimed "
    "self-deactivation never releases land; only survey and clearance do"
)


@retrying
@bulk()
def import_minefields(
    store: Store,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    repair: bool = False,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Import minefield records, every one or none; each creates a CHA."""
    path = Path(path)
    today = today or date.today()
    p = read_for_import(
        path,
        fields=_FIELDS,
        mapping=mapping,
        computed=_COMPUTED,
        region=region,
        repair=repair,
        layer=layer,
        format_name=format_name,
    )
    table, getter, check, problems, n = p.table, p.get, p.check, p.problems, p.n
    cols = {f: texts(getter(f), n) for f in _FIELDS}
    extra = p.extra
    parsed: dict[int, dict[str, Any]] = {}
    for i in range(n):
        try:
            # claimed dates may lie in the future (a claimed deactivation to come)
            dates = {
                f: iso_date(cols[f][i], field_name=f, today=date.max) if cols[f][i] else None
                for f in _DATES
            }
            for f in ("emplaced_from", "emplaced_to"):
                if dates[f] and dates[f] > today:
                    raise ValueError(f"{f} {dates[f]} is in the future")
            if (
                dates["emplaced_from"]
                and dates["emplaced_to"]
                and (dates["emplaced_to"] < dates["emplaced_from"])
            ):
                raise ValueError("emplaced_to is before emplaced_from")
            parsed[i] = {**dates, "devices": parse_devices(cols["devices"][i])}
        except ValueError as exc:
            problems.setdefault(i, str(exc))
    named: dict[str, int] = {}
    for i, hid in enumerate(cols["hazard_id"]):
        if hid and named.setdefault(hid, i) != i:
            problems.setdefault(i, f"hazard_id {hid!r} repeats feature {named[hid] + 1}")
    add_existing_ids(store, KIND, cols["id"], problems)
    if problems:  # the hazards named are checked too, so that one pass reports everything
        with store.transaction() as tx:
            _own_hazards(tx, table, cols["id"], cols["hazard_id"], problems)
    refuse(table, problems)
    geoms = polygonal_array(check.geometries)
    areas = geodesic_areas(geoms).tolist()
    pcodes = PcodeIndex(store).deepest(geoms)
    with store.transaction() as tx:
        given = [c for c in cols["id"] if c]
        clash = tx.existing_ids(KIND, given)
        if clash or len(set(given)) != len(given):
            raise ImportRejected(
                [
                    f"{table.where(i)}: id {cols['id'][i]!r} already exists or is repeated"
                    for i in range(n)
                    if cols["id"][i] in clash or given.count(cols["id"][i]) > 1
                ]
            )
        linked = _own_hazards(tx, table, cols["id"], cols["hazard_id"], {})
        record_ids = iter(tx.next_ids(KIND, n - len(given)))
        hazard_ids = iter(tx.next_ids("hazard", sum(1 for h in cols["hazard_id"] if not h)))
        records, hazards = [], []
        for i in range(n):
            p = parsed[i]
            mf_id = cols["id"][i] or next(record_ids)
            hazard_id = cols["hazard_id"][i] or next(hazard_ids)
            by = cols["handed_over_by"][i]
            if hazard_id not in linked:
                hazards.append(
                    HazardArea(
                        id=hazard_id,
                        name=cols["name"][i] or f"Minefield record {mf_id}",
                        geometry=geoms[i],
                        area_m2=areas[i],
                        # direct evidence: a record of emplacement
                        classification=Classification.CHA,
                        eo_types=tuple(t for t, _ in p["devices"]),
                        date_reported=today,
                        source=f"minefield record {mf_id}"
                        + (f" handed over by {by}" if by else ""),
                        admin_pcode=pcodes[i],
                        attributes={"minefield_record": mf_id},
                    )
                )
            records.append(
                MinefieldRecord(
                    id=mf_id,
                    geometry=geoms[i],
                    hazard_id=hazard_id,
                    devices=p["devices"],
                    marking=cols["marking"][i],
                    emplaced_from=p["emplaced_from"],
                    emplaced_to=p["emplaced_to"],
                    claimed_self_destruct=cols["claimed_self_destruct"][i],
                    claimed_self_deactivation=cols["claimed_self_deactivation"][i],
                    claimed_deactivation_date=p["claimed_deactivation_date"],
                    claimed_battery_life=cols["claimed_battery_life"][i],
                    handed_over_by=by,
                    notes=cols["notes"][i],
                    attributes=attributes_of(table, extra, i),
                )
            )
        reason = f"imported from {path.name}"
        if hazards:
            tx.insert(
                "hazard", hazards, author=author, reason=f"CHA from minefield record: {reason}"
            )
        tx.insert(KIND, records, author=author, reason=reason)
        if not dry_run:
            tx.commit()
    notes = [
        f"{r.id}: CHA {r.hazard_id}"
        + (" (already recorded, linked)" if r.hazard_id in linked else "")
        for r in records
    ]
    return ImportReport(str(path), KIND, n, [r.id for r in records], dry_run, notes=notes)


def _own_hazards(
    tx: Transaction,
    table: FeatureTable,
    record_ids: list[str],
    hazard_ids: list[str],
    problems: dict[int, str],
) -> set[str]:
    """The named hazards that already exist as the CHA of the record naming them.

    A hazard is a record's own CHA when its ``minefield_record`` attribute is the record's id:
    the attribute is written when the CHA is made, and exports carry it. Linking a record to any
    other hazard would make two records share one CHA, or a record adopt a hazard whose own
    evidence says nothing of it, so that is refused, naming whose CHA the hazard is. The
    problems are added to ``problems`` (a feature's first problem is kept) and refused.
    """
    wanted = sorted({h for h in hazard_ids if h})
    if not wanted:
        return set()
    found = tx.get_many("hazard", wanted)
    gone = tx.existing_ids("hazard", [h for h in wanted if h not in found])
    for i, (mf_id, hid) in enumerate(zip(record_ids, hazard_ids, strict=True)):
        if hid in gone:
            problems.setdefault(
                i, f"hazard_id {hid!r} names a deleted hazard; leave hazard_id empty"
            )
        if not hid or hid not in found:
            continue  # none named, or the CHA is created under the named id
        owner = text(found[hid].record.attributes.get("minefield_record"))
        if not mf_id or owner != mf_id:
            whose = (
                f"the CHA of minefield record {owner!r}" if owner else "no minefield record's CHA"
            )
            problems.setdefault(
                i,
                f"hazard_id {hid!r} is {whose}, not of this record "
                f"{mf_id or '(which has no id)'}; leave hazard_id empty to create its CHA",
            )
    refuse(table, problems)
    return set(found)


def overdue(store: Store, *, today: date | None = None) -> list[dict[str, Any]]:
    """Records whose claimed deactivation date has passed while their hazard is still open."""
    records = store.list(KIND)
    hazards = {v.id: v for v in store.list("hazard")}
    late = claimed_deactivation_passed(
        [v.record for v in records],
        {k: v.record for k, v in hazards.items()},
        today or date.today(),
    )
    late_ids = {r.id for r in late}
    return [
        {**minefield_json(v, PUBLIC, hazards.get(v.record.hazard_id)), "message": OVERDUE_MESSAGE}
        for v in records
        if v.id in late_ids
    ]
