"""What every file format provides, and the table of features they exchange with services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clearground.domain.errors import BadInput

__all__ = ["FeatureTable", "Format", "check_crs", "concat_tables"]


@dataclass
class FeatureTable:
    """Features read from (or to write to) a file: geometries in EPSG:4326 and columns.

    ``geometries`` holds shapely geometries (or None); ``columns`` maps each attribute name to an
    array with one value per feature; ``problems`` holds per-feature read problems by index.
    """

    source: str
    geometries: np.ndarray
    columns: dict[str, np.ndarray]
    layer: str | None = None
    crs: str | None = None
    problems: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.geometries)

    def where(self, index: int) -> str:
        """``FILE:feature N`` for the feature at ``index`` (N counts from 1 in file order)."""
        return f"{self.source}:feature {index + 1}"


class Format:
    """A file format: reads files into a ``FeatureTable`` and writes one out.

    ``read`` returns geometries already in EPSG:4326. ``crs`` names the coordinate system of the
    file's coordinates when the file does not say (a Shapefile without .prj, a CSV of projected
    WKT), or overrides a wrong one; it is anything pyproj understands (``EPSG:32636``).
    """

    name: str = ""
    extensions: tuple[str, ...] = ()
    readable: bool = True
    writable: bool = True

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        raise BadInput(f"{path}: {self.name} files cannot be read")

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        raise BadInput(f"{path}: {self.name} files cannot be written; choose another file type")


def check_crs(crs: str | None) -> str | None:
    """``crs`` checked with pyproj (None stays None); a ``BadInput`` that says why otherwise."""
    if crs is None:
        return None
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        CRS.from_user_input(crs)
    except CRSError as exc:
        raise BadInput(
            f"--crs {crs!r}: not a coordinate system pyproj knows (try EPSG:4326): {exc}"
        ) from None
    return crs


def concat_tables(source: str, tables: list[FeatureTable]) -> FeatureTable:
    """One table of the features of ``tables`` in order: the union of their columns.

    A column missing from one of the tables holds None there; problems keep their feature.
    """
    if len(tables) == 1:
        return tables[0]
    if not tables:
        return FeatureTable(source, np.empty(0, dtype=object), {})
    names: dict[str, None] = {}
    for t in tables:
        names.update(dict.fromkeys(t.columns))
    columns: dict[str, np.ndarray] = {}
    for name in names:
        parts = []
        for t in tables:
            if name in t.columns:
                parts.append(np.asarray(t.columns[name], dtype=object))
            else:
                parts.append(np.full(len(t), None, dtype=object))
        kinds = {t.columns[name].dtype for t in tables if name in t.columns}
        if len(kinds) == 1 and all(name in t.columns for t in tables):
            columns[name] = np.concatenate([t.columns[name] for t in tables])
        else:
            columns[name] = np.concatenate(parts)
    problems: dict[int, str] = {}
    offset = 0
    for t in tables:
        problems.update({offset + i: why for i, why in t.problems.items()})
        offset += len(t)
    return FeatureTable(
        source,
        np.concatenate([np.asarray(t.geometries, dtype=object) for t in tables]),
        columns,
        layer=",".join(t.layer or "" for t in tables),
        crs=tables[0].crs,
        problems=problems,
    )
