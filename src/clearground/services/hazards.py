"""Importing hazard areas: every feature of a polygon layer, or none. Reading, editing, handing
over and exporting them is :mod:`clearground.services.hazard_records`."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.areas import geodesic_areas
from clearground.domain.errors import ImportRejected
from clearground.domain.fields import (
    benchmark_problem,
    parse_benchmark,
    parse_classification,
    parse_eo_types,
)
from clearground.domain.landrelease import polygonal_array
from clearground.domain.records import Classification, HazardArea, HazardStatus
from clearground.domain.validation import UKRAINE, GeometryCheck, Region, check_geometries
from clearground.services.common import (
    ImportReport,
    Progress,
    add_existing_ids,
    attributes_per_feature,
    bulk,
    iso_date,
    refuse,
    texts,
)
from clearground.services.locations import PcodeIndex
from clearground.services.prologue import read_for_import
from clearground.store.base import Store, chunks
from clearground.store.new_rows import new_hazard_rows
from clearground.store.retry import retrying

__all__ = ["import_hazards"]

KIND = "hazard"
_FIELDS = (
    "id",
    "name",
    "classification",
    "eo_types",
    "date_reported",
    "source",
    "admin_pcode",
    "land_use",
    "notes",
)
# Columns that are computed (ignored on import) and columns that only land release may change.
_COMPUTED = {"area_m2", "remaining_m2", "version", "valid_from", "author", "reason"}
_RELEASE_COLUMNS = {
    "released_m2",
    "cancelled_m2",
    "reduced_m2",
    "cleared_m2",
    "cancelled",
    "reduced",
    "cleared",
}


def _by_value(values: list[str], parse) -> tuple[list[Any], dict[int, str]]:
    """``parse`` applied once per distinct value (columns repeat a few values many times).

    ``parse`` returns the parsed value or raises ValueError; errors come back by row index.
    """
    parsed: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for value in set(values):
        try:
            parsed[value] = parse(value)
        except ValueError as exc:
            parsed[value] = None
            failed[value] = str(exc)
    out = [parsed[v] for v in values]
    errors = {i: failed[v] for i, v in enumerate(values) if v in failed} if failed else {}
    return out, errors


def _classification(value: str) -> Classification:
    return parse_classification(value)


def _status(value: str) -> None:
    if value and value.lower() != HazardStatus.ACTIVE:
        raise ValueError(
            f"status {value!r} cannot be imported: a new hazard is active, and status "
            "changes only through land release activities (nts, ts, clearance)"
        )


def _no_release(column: str):
    def check(value: str) -> None:
        if value not in ("", "0", "0.0"):
            raise ValueError(
                f"{column} = {value}: released area cannot be imported; it comes only from "
                "land release activities (clearground import activities)"
            )

    return check


def _benchmarks(getter, n: int, problems: dict[int, str]) -> list[tuple[float, float] | None]:
    """``benchmark_lon``/``benchmark_lat`` as points (both or neither, in lon/lat range)."""
    lon, lat = texts(getter("benchmark_lon"), n), texts(getter("benchmark_lat"), n)
    out: list[tuple[float, float] | None] = [None] * n
    if getter("benchmark_lon") is None and getter("benchmark_lat") is None:
        return out
    for i in range(n):
        if not lon[i] and not lat[i]:
            continue
        try:
            out[i] = parse_benchmark(lon[i], lat[i])
        except ValueError as exc:
            problems.setdefault(i, str(exc))
    return out


def _check_benchmarks(points, geoms, problems: dict[int, str]) -> None:
    """A benchmark must lie within ``BENCHMARK_MAX_M`` of its hazard."""
    for i, p in enumerate(points):
        if p is None or i in problems or geoms is None or geoms[i] is None:
            continue
        why = benchmark_problem(p, geoms[i])
        if why:
            problems[i] = why


def _parse_columns(getter, n: int, today: date, problems: dict[int, str]) -> dict[str, list[Any]]:
    """Every known field of every feature, parsed column by column; problems by feature index."""
    cols: dict[str, list[Any]] = {f: texts(getter(f), n) for f in _FIELDS}
    checks = [("status", _status)] + [(c, _no_release(c)) for c in sorted(_RELEASE_COLUMNS)]
    for column, check in checks:
        if getter(column) is not None:
            for i, why in _by_value(texts(getter(column), n), check)[1].items():
                problems.setdefault(i, why)

    def reported(value: str) -> date | None:
        return iso_date(value, field_name="date_reported", today=today) if value else None

    def eo_types(value: str) -> tuple[str, ...]:
        return parse_eo_types(value)

    cols["benchmark"] = _benchmarks(getter, n, problems)
    for field, parse in (
        ("classification", _classification),
        ("date_reported", reported),
        ("eo_types", eo_types),
    ):
        cols[field], errors = _by_value(cols[field], parse)
        for i, why in errors.items():
            problems.setdefault(i, why)
    return cols


def _check_and_measure(geometries: np.ndarray, region: Region, repair: bool):
    """Checked geometries as MultiPolygons (what every engine stores) and their areas in m²."""
    check = check_geometries(geometries, region=region, repair=repair)
    if check.problems:
        return check, None, None
    areas = geodesic_areas(check.geometries).tolist()  # faster on polygons than multipolygons
    return check, polygonal_array(check.geometries), areas


def _joined(parts: list[tuple]):
    """The results of ``_check_and_measure`` on consecutive slices, as if run on the whole."""
    if len(parts) == 1:
        return parts[0]
    checks = [p[0] for p in parts]
    problems: dict[int, str] = {}
    repaired: dict[int, str] = {}
    offset = 0
    for c in checks:
        problems.update({offset + i: why for i, why in c.problems.items()})
        repaired.update({offset + i: why for i, why in c.repaired.items()})
        offset += len(c.geometries)
    check = GeometryCheck(
        geometries=np.concatenate([c.geometries for c in checks]),
        problems=problems,
        repaired=repaired,
    )
    if problems:
        return check, None, None
    geoms = np.concatenate([p[1] for p in parts])
    return check, geoms, [a for p in parts for a in p[2]]


def _records(ids, names, geoms, areas, admin_pcodes, cols, attributes) -> list[HazardArea]:
    """The hazards as records (for the review queue, which keeps whole records)."""
    return [
        HazardArea(
            id=id_,
            name=name,
            geometry=geometry,
            area_m2=area,
            classification=classification,
            eo_types=eo_types,
            date_reported=reported,
            source=source,
            admin_pcode=pcode,
            land_use=land_use,
            benchmark=benchmark,
            notes=notes,
            attributes=attrs,
        )
        for (
            id_,
            name,
            geometry,
            area,
            classification,
            eo_types,
            reported,
            source,
            pcode,
            land_use,
            benchmark,
            notes,
            attrs,
        ) in zip(
            ids,
            names,
            geoms,
            areas,
            cols["classification"],
            cols["eo_types"],
            cols["date_reported"],
            cols["source"],
            admin_pcodes,
            cols["land_use"],
            cols["benchmark"],
            cols["notes"],
            attributes,
            strict=True,
        )
    ]


@retrying
@bulk()
def import_hazards(
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
    crs: str | None = None,
    progress: Progress | None = None,
    today: date | None = None,
    as_submission: bool = False,
) -> ImportReport:
    """Import every feature of a polygon layer as a new hazard area, or none.

    Any bad feature raises ``ImportRejected`` listing each problem as ``FILE:feature N: reason``;
    the database is then exactly as it was.
    """
    path = Path(path)
    today = today or date.today()
    p = read_for_import(
        path,
        fields=(*_FIELDS, "benchmark_lon", "benchmark_lat"),
        mapping=mapping,
        geometry=None,  # checked below, beside the column parsing
        layer=layer,
        format_name=format_name,
        crs=crs,
    )
    table, getter, n = p.table, p.get, p.n
    if progress:
        progress("check", 0, n)
    with ThreadPoolExecutor(max_workers=2) as pool:
        # Geometry work (shapely and numpy release the GIL) runs beside the column parsing, in
        # two halves: each feature is checked on its own, so the halves are independent.
        g = table.geometries
        halves = [g[: n // 2], g[n // 2 :]] if n > 1 else [g]
        geometry_work = [pool.submit(_check_and_measure, h, region, repair) for h in halves]
        column_problems: dict[int, str] = {}
        cols = _parse_columns(getter, n, today, column_problems)
        check, geoms, areas = _joined([w.result() for w in geometry_work])
    problems = {**check.problems, **table.problems}
    for i, why in column_problems.items():
        problems.setdefault(i, why)
    _check_benchmarks(cols["benchmark"], geoms, problems)
    for column in ("status", *_RELEASE_COLUMNS, *_COMPUTED):
        getter(column)  # computed and release columns are never kept as attributes
    extra = p.extra
    given_ids = cols["id"]
    seen: dict[str, int] = {}
    for i, id_ in enumerate(given_ids):
        if id_:
            if id_ in seen:
                problems.setdefault(i, f"duplicate id {id_!r} (also feature {seen[id_] + 1})")
            seen.setdefault(id_, i)
    add_existing_ids(store, KIND, list(given_ids), problems)
    refuse(table, problems)
    if progress:
        progress("check", n, n)
    attributes = attributes_per_feature(table, extra)
    pcodes = PcodeIndex(store).deepest(geoms)
    with store.transaction() as tx:
        clash = tx.existing_ids(KIND, [i for i in given_ids if i])
        if clash:
            raise ImportRejected(
                [
                    f"{table.where(i)}: id {id_!r} already exists"
                    for i, id_ in enumerate(given_ids)
                    if id_ in clash
                ]
            )
        if as_submission:  # ids are given on approval
            ids = [id_ or f"{path.name} feature {i + 1}" for i, id_ in enumerate(given_ids)]
        else:
            new_ids = iter(tx.next_ids(KIND, sum(1 for i in given_ids if not i)))
            ids = [id_ or next(new_ids) for id_ in given_ids]
        given_pcodes = cols["admin_pcode"]
        admin_pcodes = [given or found for given, found in zip(given_pcodes, pcodes, strict=True)]
        names = [name or id_ for name, id_ in zip(cols["name"], ids, strict=True)]
        if as_submission:  # into the review queue, not the database
            from clearground.services.queue import submit

            records = _records(given_ids, names, geoms, areas, admin_pcodes, cols, attributes)
            subs = submit(
                store,
                tx,
                KIND,
                records,
                author=author,
                sources=[f"{path.name}:feature {i + 1}" for i in range(n)],
            )
            records = subs
            written = [r.id for r in records]
        else:
            # as columns: the same rows as HazardArea records would give, without an object
            # and a payload dict per feature (see store.new_rows)
            rows = new_hazard_rows(
                ids=ids,
                names=names,
                geometries=geoms,
                areas=areas,
                classifications=cols["classification"],
                eo_types=cols["eo_types"],
                dates_reported=cols["date_reported"],
                sources=cols["source"],
                admin_pcodes=admin_pcodes,
                land_uses=cols["land_use"],
                notes=cols["notes"],
                benchmarks=cols["benchmark"],
                attributes=attributes,
            )
            written = rows.ids
            reason = f"imported from {path.name}"
            done = 0
            # in parts, so that progress can be shown; else in one call, whose parts the store
            # prepares and writes overlapping
            for part in chunks(rows, 20_000 if progress else max(n, 1)):
                tx.insert(KIND, part, author=author, reason=reason)
                done += len(part)
                if progress:
                    progress("write", done, n)
        if not dry_run:
            tx.commit()
    repaired = [f"{table.where(i)}: {why}" for i, why in sorted(check.repaired.items())]
    kind = "submission" if as_submission else KIND
    notes = [
        f"{r.id}: may duplicate {', '.join(r.duplicates)}"
        for r in (records if as_submission else ())
        if r.duplicates
    ]
    return ImportReport(str(path), kind, n, written, dry_run, repaired=repaired, notes=notes)
