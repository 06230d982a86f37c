"""KML and KMZ (Google Earth placemarks in folders), through GDAL's LIBKML driver.

Before GDAL sees a KML, defusedxml parses it and refuses a DTD or entity declarations, so an
external entity (XXE) is never resolved. A KMZ is unzipped with the limits of
:mod:`clearground.formats.safe` and its main KML (``doc.kml``, else the first ``.kml``) read.

Every folder is read, one after the other (``--layer`` reads one); when there are several, each
feature keeps its folder's name in a ``folder`` column. A placemark's ``<name>`` is the ``name``
field and its ``id`` attribute the ``id`` field; ``ExtendedData`` holds the rest. The columns
LIBKML adds for KML's own elements (``timestamp``, ``tessellate``, ``visibility`` ...) are kept
only when some placemark sets them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from clearground.domain.errors import ImportRejected
from clearground.formats.base import FeatureTable, check_crs
from clearground.formats.ogr import XmlOgrFormat
from clearground.formats.safe import check_xml, extract_zip

__all__ = ["KML", "KMZ", "KmlFormat", "KmzFormat"]

# LIBKML's columns for KML elements, with the value each has when the file does not set it.
_LIBKML_DEFAULTS: dict[str, object] = {
    "description": None,
    "timestamp": None,
    "begin": None,
    "end": None,
    "altitudeMode": None,
    "tessellate": -1,
    "extrude": 0,
    "visibility": -1,
    "drawOrder": None,
    "icon": None,
    "snippet": None,
}


def _unset(column: np.ndarray, default: object) -> bool:
    values = column.tolist()
    return all(
        v is None or v == "" or (isinstance(v, float) and v != v) or v == default for v in values
    )


class KmlFormat(XmlOgrFormat):
    def __init__(self, name: str = "kml", extensions: tuple[str, ...] = (".kml",)) -> None:
        super().__init__(name, "LIBKML", extensions, all_layers=True)

    def _read_layer(self, path: Path, source: str, layer: str, **options) -> FeatureTable:
        table = super()._read_layer(path, source, layer, **options)
        table.columns["\0folder"] = np.full(len(table), layer, dtype=object)
        return table

    def read_from(self, path: Path, *, source: str, **options) -> FeatureTable:
        table = super().read_from(path, source=source, **options)
        columns: dict[str, np.ndarray] = {}
        folders = table.columns.pop("\0folder")
        for name, column in table.columns.items():
            if name in _LIBKML_DEFAULTS and _unset(column, _LIBKML_DEFAULTS[name]):
                continue
            columns["name" if name == "Name" and "name" not in table.columns else name] = column
        if len(set(folders.tolist())) > 1 and "folder" not in columns:
            columns["folder"] = folders
        table.columns = columns
        return table

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        self.write_file(Path(path), table, layer=layer)


class KmzFormat(KmlFormat):
    def __init__(self) -> None:
        super().__init__("kmz", (".kmz",))

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        source = str(path)
        crs = check_crs(crs)
        with tempfile.TemporaryDirectory(prefix="clearground-kmz-") as tmp:
            files = extract_zip(path, Path(tmp), source=source, kind="KMZ")
            kmls = [f for f in files if f.suffix.lower() == ".kml"]
            if not kmls:
                raise ImportRejected([f"{source}: no .kml file in the KMZ"])
            for kml in kmls:  # nothing GDAL might open is left unchecked
                check_xml(kml, source=f"{source}:{kml.relative_to(tmp).as_posix()}", kind="KML")
            main = next((k for k in kmls if k.relative_to(tmp).as_posix() == "doc.kml"), kmls[0])
            return self.read_from(main, source=source, layer=layer, crs=crs)

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        import zipfile

        path = Path(path)
        with tempfile.TemporaryDirectory(prefix="clearground-kmz-") as tmp:
            doc = Path(tmp) / "doc.kml"
            self.write_file(doc, table, layer=layer)
            part = path.with_name(path.name + ".part")
            with zipfile.ZipFile(part, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.write(doc, "doc.kml")  # the first entry, as Google Earth expects
            part.replace(path)


KML = KmlFormat()
KMZ = KmzFormat()
