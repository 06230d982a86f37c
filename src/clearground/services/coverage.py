"""What the database covers: import the coverage area, and tell a check where it knows nothing.

The coverage is the operating region (settings ``region``), narrowed to the coverage area imported
with ``import coverage`` where there is one, else to the administrative areas imported with
``import locations`` where there are some. A check outside it, or on a database without any
hazard record, must not say "No recorded hazard": it says that nothing is known there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.areas import geodesic_areas
from clearground.domain.coverage import CoverageArea, Uncovered, uncovered_parts
from clearground.domain.landrelease import polygonal_array
from clearground.domain.validation import UKRAINE, Region
from clearground.services.common import (
    ImportReport,
    refuse,
    texts,
)
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["CoverageAnswer", "coverage_of", "covered_area", "import_coverage"]

KIND = "coverage"


@dataclass
class CoverageAnswer:
    """Whether a query lies inside what the database covers, and if not, where and why."""

    covered: bool
    what: str  # "the operating region (...)", "the coverage area imported ..."
    no_hazards: bool = False  # the database holds no hazard record at all (at ``as_of``)
    uncovered: list[Uncovered] = field(default_factory=list)


@lru_cache(maxsize=64)
def _region_box(region: Region) -> BaseGeometry:
    return shapely.box(*region.bounds)  # made once: a warm check costs microseconds


def _has_any(store: Store, kind: str, as_of: str | None) -> bool:
    if as_of is None:
        return store.count(kind) > 0
    return bool(store.list(kind, as_of=as_of))  # a past state: read it (rare, forensic use)


_ADMIN_WHAT = "the administrative areas imported into it, within {region}"


def _imported_what(areas: list[CoverageArea], region: Region) -> str:
    names = sorted({a.name for a in areas})
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    return f"the coverage area imported into it ({shown}), within {region.describe()}"


def covered_area(
    store: Store, region: Region, *, as_of: str | None = None
) -> tuple[str, BaseGeometry, bool]:
    """What the database covers as a whole, by the rule of :func:`coverage_of`: its text (the
    check's ``coverage``), the covered land (lon/lat), and whether it holds no hazard at all
    (then nothing is covered). For a published site, whose page answers the check itself."""
    box = shapely.box(*region.bounds)
    areas = [v.record for v in store.list(KIND, as_of=as_of)]
    if areas:
        what = _imported_what(areas, region)
        covered = shapely.intersection(shapely.union_all([a.geometry for a in areas]), box)
    else:
        places = [v.record.geometry for v in store.list("location", as_of=as_of)]
        if places:
            what = _ADMIN_WHAT.format(region=region.describe())
            covered = shapely.intersection(shapely.union_all(places), box)
        else:
            what, covered = region.describe(), box
    return what, covered, not _has_any(store, "hazard", as_of)


def coverage_of(
    store: Store,
    query: BaseGeometry,
    region: Region,
    *,
    as_of: str | None = None,
    hazards_found: bool = False,
) -> CoverageAnswer:
    """Which parts of ``query`` (point or line, lon/lat) lie outside what ``store`` covers."""
    box = _region_box(region)
    areas = [v.record for v in store.list(KIND, as_of=as_of)]
    if areas:
        what = _imported_what(areas, region)
        covered = shapely.intersection(shapely.union_all([a.geometry for a in areas]), box)
    else:
        near = store.in_bbox("location", query.bounds, as_of=as_of)
        if near or _has_any(store, "location", as_of):
            what = _ADMIN_WHAT.format(region=region.describe())
            geoms = [v.record.geometry for v in near]
            covered = (
                shapely.intersection(shapely.union_all(geoms), box) if geoms else shapely.Polygon()
            )
        else:
            what = region.describe()
            covered = box
    answer = CoverageAnswer(covered=True, what=what, uncovered=uncovered_parts(query, covered))
    if not hazards_found and not _has_any(store, "hazard", as_of):
        answer.no_hazards = True
    answer.covered = not answer.uncovered and not answer.no_hazards
    return answer


@retrying
def import_coverage(
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
) -> ImportReport:
    """Record the polygons of a file as what the database covers, replacing the coverage
    recorded before (its areas become tombstones, readable with ``--as-of``). Every one or none.
    """
    path = Path(path)
    p = read_for_import(
        path,
        fields=("name",),
        mapping=mapping,
        region=region,
        repair=repair,
        layer=layer,
        format_name=format_name,
    )
    table, check, problems, n = p.table, p.check, p.problems, p.n
    names = texts(p.get("name"), n)
    box = shapely.box(*region.bounds)
    for i, g in enumerate(check.geometries):
        if i not in problems and not shapely.intersects(g, box):
            problems[i] = (
                f"the polygon lies wholly outside {region.describe()}: the coverage is within it "
                "(set the region in the settings if it is wrong)"
            )
    refuse(table, problems)
    geoms = polygonal_array(check.geometries)
    with store.transaction() as tx:
        before = [v.id for v in store.list(KIND)]
        current = tx.get_many(KIND, before)
        for record_id in sorted(current):
            tx.delete(
                KIND,
                record_id,
                expected_version=current[record_id].version,
                author=author,
                reason=f"replaced by the coverage imported from {path.name}",
            )
        ids = tx.next_ids(KIND, n)
        areas = [
            CoverageArea(
                id=ids[i],
                name=names[i] or f"coverage from {path.name}",
                source=path.name,
                geometry=geoms[i],
            )
            for i in range(n)
        ]
        tx.insert(KIND, areas, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    inside = shapely.intersection(shapely.union_all(geoms), box)
    km2 = float(geodesic_areas(np.array([inside], dtype=object))[0]) / 1e6
    notes = [f"covers {km2:,.0f} km² within {region.describe()}"]
    if current:
        notes.append(f"replaces the {len(current)} coverage area(s) recorded before")
    repaired = p.repaired()
    return ImportReport(str(path), KIND, n, ids, dry_run, repaired=repaired, notes=notes)
