"""What every file format provides, and the table of features they exchange with services."""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from clearground.domain.errors import BadInput, ImportRejected

__all__ = [
    "FeatureTable",
    "Format",
    "check_crs",
    "check_regular_file",
    "concat_tables",
    "drop_m",
]


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


_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_regular_file(path: str | Path, source: str | None = None) -> None:
    """Refuse, before anything reads it, a path that is not a regular file (a symlink is
    followed): a FIFO blocks a reader forever and ``/dev/zero`` never ends."""
    where = source or str(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise ImportRejected([f"{where}: file not found"]) from None
    except OSError as exc:
        raise ImportRejected([f"{where}: cannot read: {exc.strerror or exc}"]) from None
    if not stat.S_ISREG(mode):
        what = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        raise ImportRejected([f"{where}: is {what}, not a regular file; refused before reading"])


def drop_m(geometries: np.ndarray) -> np.ndarray:
    """Geometries without M values (Z kept): no export format or engine here stores M, and a
    measure is no part of a hazard's extent. Geometries without M are returned as they are."""
    import shapely

    geoms = np.asarray(geometries, dtype=object)
    if len(geoms) == 0:
        return geoms
    has_m = shapely.has_m(geoms)
    if not has_m.any():
        return geoms
    out = geoms.copy()
    has_z = shapely.has_z(geoms)
    zm = has_m & has_z
    if zm.any():  # through WKB of three dimensions: X, Y, Z (shapely's transform loses Z here)
        out[zm] = shapely.from_wkb(shapely.to_wkb(geoms[zm], output_dimension=3))
    m_only = has_m & ~has_z
    if m_only.any():
        out[m_only] = shapely.force_2d(geoms[m_only])
    return out
