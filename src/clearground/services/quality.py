"""Quality management of land release (IMAS 07.12): QC samples of released land.

A passed sample is recorded; a failed one puts the land it covers, of what the sampled activity
released, back into the hazard's remaining area, with the event in the hazard's history.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from clearground.domain.errors import BadInput
from clearground.domain.landrelease import polygonal, return_land
from clearground.domain.records import QCResult, QCSample
from clearground.domain.validation import UKRAINE, Region
from clearground.services.common import (
    ImportReport,
    attributes_of,
    iso_date,
    refuse,
    refuse_unless_rows,
    texts,
    without_problems,
)
from clearground.services.locations import PcodeIndex
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["import_qc"]

KIND = "qc"
_REQUIRED = ("activity_id", "date", "organisation", "result")
#: Columns of a QC export that the import derives afresh (the hazard from the activity, the
#: returned area from the polygons, the P-code from the place), never kept as attributes.
_COMPUTED = ("hazard_id", "returned_m2", "admin_pcode")
_OPTIONAL = ("id", "nonconformities", "notes")


@retrying
def import_qc(
    store: Store,
    path: str | Path,
    *,
    author: str,
    layer: str | None = None,
    mapping: dict[str, str] | None = None,
    dry_run: bool = False,
    region: Region = UKRAINE,
    format_name: str | None = None,
    today: date | None = None,
) -> ImportReport:
    """Record every QC sample of a polygon layer, or none; failed samples return land."""
    path = Path(path)
    today = today or date.today()
    p = read_for_import(
        path,
        fields=(*_REQUIRED, *_OPTIONAL),
        mapping=mapping,
        required=_REQUIRED,
        computed=_COMPUTED,
        region=region,
        layer=layer,
        format_name=format_name,
    )
    table, getter, check, problems, n = p.table, p.get, p.check, p.problems, p.n
    cols = {f: texts(getter(f), n) for f in (*_REQUIRED, *_OPTIONAL)}
    extra = p.extra
    rows = []
    for i in range(n):
        try:
            when = iso_date(cols["date"][i], field_name="date", today=today)
            result = cols["result"][i].lower()
            result = {"pass": "passed", "fail": "failed"}.get(result, result)
            if result not in ("passed", "failed"):
                raise ValueError(f"result {cols['result'][i]!r} is not passed or failed")
            if not cols["organisation"][i]:
                raise ValueError("organisation is empty")
        except ValueError as exc:
            problems.setdefault(i, str(exc))
            continue
        rows.append((when, i, QCResult(result)))
    rows = [r for r in rows if r[1] not in problems]
    refuse_unless_rows(table, problems, rows)
    rows.sort(key=lambda r: (r[0], r[1]))
    pcodes = PcodeIndex(store).deepest(without_problems(check.geometries, problems))
    with store.transaction() as tx:
        activities = tx.get_many("activity", [cols["activity_id"][i] for _, i, _ in rows])
        hazards = tx.get_many("hazard", [v.record.hazard_id for v in activities.values()])
        state = {k: (v.record, v.version) for k, v in hazards.items()}
        new_ids = iter(tx.next_ids(KIND, sum(1 for _, i, _ in rows if not cols["id"][i])))
        # ids a file gives (an export imported again) are refused per feature, by file and row
        clash = tx.existing_ids(KIND, [cols["id"][i] for _, i, _ in rows if cols["id"][i]])
        seen: set[str] = set()
        samples, notes = [], []
        for when, i, result in rows:
            given = cols["id"][i]
            if given in clash or given in seen:
                problems[i] = f"qc id {given!r} " + (
                    "already exists" if given in clash else "appears twice in the file"
                )
                continue
            if given:
                seen.add(given)
            act = activities.get(cols["activity_id"][i])
            if act is None:
                problems[i] = f"land release activity {cols['activity_id'][i]!r} not found"
                continue
            hazard, version = state[act.record.hazard_id]
            sample = QCSample(
                id=given or next(new_ids),
                geometry=polygonal(check.geometries[i]),
                activity_id=act.id,
                hazard_id=hazard.id,
                date=when,
                organisation=cols["organisation"][i],
                result=result,
                admin_pcode=pcodes[i],
                nonconformities=cols["nonconformities"][i],
                notes=cols["notes"][i],
                attributes=attributes_of(table, extra, i),
            )
            try:
                new_hazard, sample, events = return_land(hazard, act.record, sample)
            except BadInput as exc:
                problems[i] = exc.message
                continue
            samples.append(sample)
            if events:
                version = tx.update(
                    "hazard",
                    new_hazard,
                    expected_version=version,
                    author=author,
                    reason=f"QC {sample.id} failed on {act.id} ({when}): "
                    f"{sample.returned_m2:.0f} m² returned to the hazard",
                )
                tx.add_events(events, author=author)
                state[hazard.id] = (new_hazard, version)
                notes.append(
                    f"{sample.id}: failed; {sample.returned_m2:.0f} m² back in {hazard.id} "
                    f"({new_hazard.status})"
                )
        refuse(table, problems)
        tx.insert(KIND, samples, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    return ImportReport(
        str(path), KIND, len(samples), [s.id for s in samples], dry_run, notes=notes
    )
