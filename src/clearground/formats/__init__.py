"""File formats: a registry of format name to the module that implements it, loaded on demand.

Our own formats register here like any other would; a format module is imported only when a file
of its kind is read or written, so ``clearground --help`` never loads GDAL. A file's format is
picked from its ending, the longest matching ending first (``.shp.zip`` before ``.zip``), unless
a format is named (``--format``).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from clearground.domain.errors import BadInput
from clearground.formats.base import FeatureTable, Format, check_regular_file, drop_m

__all__ = [
    "ALIASES",
    "FORMATS",
    "FeatureTable",
    "Format",
    "format_named",
    "format_for_path",
    "read_file",
]

#: format name -> (module:attribute, file name endings)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "geojson": ("clearground.formats.ogr:GEOJSON", (".geojson", ".json")),
    "gpkg": ("clearground.formats.ogr:GPKG", (".gpkg",)),
    "flatgeobuf": ("clearground.formats.ogr:FLATGEOBUF", (".fgb",)),
    "gpx": ("clearground.formats.ogr:GPX", (".gpx",)),
    "shapefile": ("clearground.formats.shapefile:SHAPEFILE", (".shp.zip", ".zip")),
    "kml": ("clearground.formats.kml:KML", (".kml",)),
    "kmz": ("clearground.formats.kml:KMZ", (".kmz",)),
    "csv": ("clearground.formats.csv_hxl:CSV", (".csv",)),
    "xlsx": ("clearground.formats.xlsx:XLSX", (".xlsx",)),
    "filegdb": ("clearground.formats.filegdb:FILEGDB", (".gdb.zip",)),
}

#: other names people use for a format -> its name in ``FORMATS``
ALIASES: dict[str, str] = {
    "json": "geojson",
    "geopackage": "gpkg",
    "fgb": "flatgeobuf",
    "shp": "shapefile",
    "gdb": "filegdb",
    "fgdb": "filegdb",
    "openfilegdb": "filegdb",
    "excel": "xlsx",
}


def format_named(name: str) -> Format:
    """The format called ``name`` (or one of its ``ALIASES``), its module imported now.

    >>> format_named("shp").name
    'shapefile'
    """
    key = ALIASES.get(name.lower(), name.lower())
    try:
        target, _ = FORMATS[key]
    except KeyError:
        raise BadInput(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}") from None
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


def _endings() -> list[tuple[str, str]]:
    """(ending, format name), longest ending first."""
    pairs = [(e, name) for name, (_, endings) in FORMATS.items() for e in endings]
    return sorted(pairs, key=lambda p: -len(p[0]))


def format_for_path(path: str | Path, override: str | None = None, *, hxl: bool = True) -> Format:
    """The format named by ``override``, else the one whose file ending ``path`` has.

    ``hxl=False`` gives a CSV writer without the HXL hashtag row (other formats have none).

    >>> format_for_path("hazards.shp.zip").name, format_for_path("hazards.GDB.ZIP").name
    ('shapefile', 'filegdb')
    """
    fmt = _format_for_path(path, override)
    if not hxl and fmt.name == "csv":
        from clearground.formats.csv_hxl import CsvFormat

        return CsvFormat(hxl=False)
    return fmt


def _format_for_path(path: str | Path, override: str | None) -> Format:
    if override:
        return format_named(override)
    lower = str(path).lower()
    for ending, name in _endings():
        if lower.endswith(ending):
            return format_named(name)
    known = ", ".join(e for _, endings in FORMATS.values() for e in endings)
    raise BadInput(f"{path}: unknown file type; use one of {known} or give --format")


def read_file(
    path: str | Path,
    format_name: str | None = None,
    *,
    layer: str | None = None,
    crs: str | None = None,
) -> FeatureTable:
    """The features of ``path``, the one way every import reads a file: a path that is not a
    regular file (a FIFO, a device, a folder) is refused before anything reads it, and M
    values are dropped (Z kept) from what the format read."""
    path = Path(path)
    fmt = format_for_path(path, format_name)
    check_regular_file(path)
    kwargs = {"crs": crs} if crs else {}
    table = fmt.read(path, layer=layer, **kwargs)
    table.geometries = drop_m(table.geometries)
    return table
