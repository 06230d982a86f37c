"""File formats: a registry of format name to the module that implements it, loaded on demand.

Our own formats register here like any other would; a format module is imported only when a file
of its kind is read or written, so ``clearground --help`` never loads GDAL.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from clearground.domain.errors import BadInput
from clearground.formats.base import FeatureTable, Format

__all__ = ["FORMATS", "FeatureTable", "Format", "format_named", "format_for_path"]

#: format name -> (module:attribute, file name endings)
FORMATS: dict[str, tuple[str, tuple[str, ...]]] = {
    "geojson": ("clearground.formats.ogr:GEOJSON", (".geojson", ".json")),
    "gpkg": ("clearground.formats.ogr:GPKG", (".gpkg",)),
    "gpx": ("clearground.formats.ogr:GPX", (".gpx",)),
}


def format_named(name: str) -> Format:
    try:
        target, _ = FORMATS[name.lower()]
    except KeyError:
        raise BadInput(f"unknown format {name!r}; known: {', '.join(sorted(FORMATS))}") from None
    module, attribute = target.split(":")
    return getattr(importlib.import_module(module), attribute)


def format_for_path(path: str | Path, override: str | None = None) -> Format:
    """The format named by ``override``, else the one whose file ending ``path`` has."""
    if override:
        return format_named(override)
    lower = str(path).lower()
    for name, (_, endings) in FORMATS.items():
        if lower.endswith(endings):
            return format_named(name)
    known = ", ".join(e for _, endings in FORMATS.values() for e in endings)
    raise BadInput(f"{path}: unknown file type; use one of {known} or give --format")
