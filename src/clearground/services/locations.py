"""Administrative areas with P-codes (COD-AB), and assigning P-codes to spatial records.

A COD-AB layer names its level in its columns (``ADM2_PCODE``, ``ADM2_EN``, ``ADM1_PCODE``): the
deepest ``ADMn_PCODE`` column is the area's own P-code, ``ADM(n-1)_PCODE`` its parent. Other
files say ``pcode``, ``name``, ``level`` and ``parent`` (mapped with ``--map`` if needed);
clearground's own export says ``id`` for the P-code, so that it imports as it is.
Every spatial record written afterwards gets the P-code of the deepest area it lies in.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import shapely

from clearground.domain.areas import geodesic_areas
from clearground.domain.errors import ImportRejected
from clearground.domain.landrelease import polygonal_array
from clearground.domain.records import Location
from clearground.domain.validation import UKRAINE, Region
from clearground.services.common import (
    ImportReport,
    add_existing_ids,
    bulk,
    refuse,
    texts,
)
from clearground.services.prologue import read_for_import
from clearground.store.base import Store
from clearground.store.retry import retrying

__all__ = ["PcodeIndex", "import_locations"]

KIND = "location"
_COD = re.compile(r"^adm(\d)_pcode$", re.IGNORECASE)
#: The fields ``--map`` may name (a COD-AB layer is read by its ADMn_ column names).
_MAPPABLE = ("pcode", "name", "level", "parent", "id")


class PcodeIndex:
    """The recorded administrative areas, queried once per batch of geometries."""

    def __init__(self, store: Store) -> None:
        self.areas = [v.record for v in store.list(KIND)]
        geoms = np.array([a.geometry for a in self.areas], dtype=object)
        self.tree = shapely.STRtree(geoms) if self.areas else None

    def deepest(self, geometries: np.ndarray) -> list[str]:
        """For each geometry, the P-code of the deepest area holding its representative point."""
        geometries = np.asarray(geometries, dtype=object)
        out = [""] * len(geometries)
        if self.tree is None or len(geometries) == 0:
            return out
        points = shapely.point_on_surface(geometries)
        best = [-1] * len(geometries)
        i_idx, a_idx = self.tree.query(points, predicate="intersects")
        for i, a in zip(i_idx.tolist(), a_idx.tolist(), strict=True):
            if self.areas[a].level > best[i]:
                best[i] = self.areas[a].level
                out[i] = self.areas[a].id
        return out


def _columns(table, getter) -> tuple[list[str], list[str], list[int], list[str]]:
    n = len(table)
    cod_levels = sorted(int(m.group(1)) for c in table.columns if (m := _COD.match(c)))
    if getter("pcode") is None and cod_levels:
        level = cod_levels[-1]

        def col(name: str) -> list[str]:
            for c in table.columns:
                if c.lower() == name.lower():
                    return texts(table.columns[c], n)
            return [""] * n

        names = col(f"ADM{level}_EN")
        if not any(names):
            names = col(f"ADM{level}_NAME")
        parents = col(f"ADM{level - 1}_PCODE") if level > 0 else [""] * n
        return col(f"ADM{level}_PCODE"), names, [level] * n, parents
    pcode = getter("pcode")
    if pcode is None and getter("level") is not None and getter("name") is not None:
        pcode = getter("id")  # our own export: a location's id is its P-code
    levels_text = texts(getter("level"), n)
    levels = []
    for value in levels_text:
        try:
            levels.append(int(float(value)) if value else -1)
        except ValueError:
            levels.append(-2)
    return texts(pcode, n), texts(getter("name"), n), levels, texts(getter("parent"), n)


@retrying
@bulk()
def import_locations(
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
    """Import administrative areas (one level per layer), every one or none."""
    path = Path(path)
    p = read_for_import(
        path,
        fields=_MAPPABLE,
        mapping=mapping,
        region=region,
        repair=repair,
        layer=layer,
        format_name=format_name,
    )
    table, check, problems, n = p.table, p.check, p.problems, p.n
    pcodes, names, levels, parents = _columns(table, p.get)
    if not any(pcodes):
        raise ImportRejected(
            [
                f"{path}: no P-code column: give ADMn_PCODE columns (COD-AB) or pcode (or id), "
                "name, level and parent (map others with --map field=column)"
            ]
        )
    seen: dict[str, int] = {}
    for i in range(n):
        if not pcodes[i]:
            problems.setdefault(i, "P-code is empty")
        elif pcodes[i] in seen:
            problems.setdefault(
                i, f"duplicate P-code {pcodes[i]!r} (also feature {seen[pcodes[i]] + 1})"
            )
        else:
            seen[pcodes[i]] = i
        if levels[i] < 0:
            problems.setdefault(i, "level must be a whole number, 0 or more")
    add_existing_ids(store, KIND, pcodes, problems, what="P-code")
    refuse(table, problems)
    geoms = polygonal_array(check.geometries)
    with store.transaction() as tx:
        clash = tx.existing_ids(KIND, pcodes)
        if clash:
            raise ImportRejected(
                [f"{table.where(seen[p])}: P-code {p!r} already recorded" for p in sorted(clash)]
            )
        areas = [
            Location(
                id=pcodes[i],
                name=names[i] or pcodes[i],
                level=levels[i],
                parent=parents[i],
                geometry=geoms[i],
            )
            for i in range(n)
        ]
        tx.insert(KIND, areas, author=author, reason=f"imported from {path.name}")
        if not dry_run:
            tx.commit()
    total = float(geodesic_areas(geoms).sum()) / 1e6
    return ImportReport(
        str(path),
        KIND,
        n,
        pcodes,
        dry_run,
        notes=[f"levels {sorted(set(levels))}, {total:,.0f} km²"],
    )
