"""Esri File Geodatabase, zipped (``.gdb.zip``), through GDAL's OpenFileGDB driver.

Written for ArcGIS and IMSMA Core users: one feature class per export, integers as 32-bit
fields (ArcMap and older ArcGIS Pro read no 64-bit ones), geometry as MultiPolygon in
EPSG:4326. Reading (for round trips and for files IMSMA Core exports) unzips with the limits of
:mod:`clearground.formats.safe` and reads the one ``*.gdb`` folder inside.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from clearground.domain.errors import ImportRejected
from clearground.formats.base import FeatureTable, check_crs
from clearground.formats.ogr import OgrFormat
from clearground.formats.safe import extract_zip, zip_directory

__all__ = ["FILEGDB", "FileGdbFormat"]

_INT32 = np.iinfo(np.int32)


class FileGdbFormat(OgrFormat):
    def __init__(self) -> None:
        super().__init__("filegdb", "OpenFileGDB", (".gdb.zip",))

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        source = str(path)
        crs = check_crs(crs)
        with tempfile.TemporaryDirectory(prefix="clearground-gdb-") as tmp:
            files = extract_zip(path, Path(tmp), source=source, kind="zipped File Geodatabase")
            gdbs = sorted({p for f in files for p in f.parents if p.suffix.lower() == ".gdb"})
            return self.read_folder(gdbs, source=source, layer=layer, crs=crs)

    def read_folder(
        self, gdbs: list[Path], *, source: str, layer: str | None, crs: str | None
    ) -> FeatureTable:
        """Read the one ``*.gdb`` folder of ``gdbs`` (extracted from ``source``)."""
        if len(gdbs) != 1:
            found = ", ".join(p.name for p in gdbs) or "none"
            raise ImportRejected(
                [f"{source}: a zipped File Geodatabase holds one *.gdb folder; found {found}"]
            )
        return self.read_from(gdbs[0], source=source, layer=layer, crs=crs)

    def prepare_columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        out = {}
        for name, column in columns.items():
            if column.dtype.kind in "iu" and (
                len(column) == 0 or (column.min() >= _INT32.min and column.max() <= _INT32.max)
            ):
                column = column.astype(np.int32)
            out[name] = column
        return out

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        path = Path(path)
        name = path.name
        base = name[: -len(".gdb.zip")] if name.lower().endswith(".gdb.zip") else path.stem
        base = base or layer
        with tempfile.TemporaryDirectory(prefix="clearground-gdb-") as tmp:
            folder = Path(tmp) / f"{base}.gdb"
            self.write_file(folder, table, layer=layer)
            zip_directory(folder, path, prefix=folder.name)


FILEGDB = FileGdbFormat()
