"""Rows of text as a feature table: the header and an optional HXL hashtag row, the geometry
found in a WKT column or lon/lat columns (by name or tag), in EPSG:4326 or ``--crs``. The CSV and
XLSX formats (:mod:`clearground.formats.csv_hxl`, :mod:`clearground.formats.xlsx`) read their
rows and hand them here; the rules are described in :mod:`clearground.formats.csv_hxl`.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import shapely

from clearground.domain.errors import ImportRejected
from clearground.formats.base import FeatureTable
from clearground.formats.ogr import to_wgs84

__all__ = ["is_hxl_row", "table_from_rows"]

_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape")
_LON_NAMES = ("lon", "longitude", "lng", "long", "x")
_LAT_NAMES = ("lat", "latitude", "y")
_TAG = re.compile(r"^\s*#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*\s*$", re.IGNORECASE)


def is_hxl_row(cells: list[str | None]) -> bool:
    """True when every non-empty cell is an HXL hashtag spec (and at least one is).

    >>> is_hxl_row(["#geo +lat", "", "#adm1+code"]), is_hxl_row(["#geo+lat", "name"])
    (True, False)
    """
    filled = [c for c in cells if c is not None and str(c).strip()]
    return bool(filled) and all(_TAG.match(str(c)) for c in filled)


def _tag(cell: str | None) -> tuple[str, frozenset[str]]:
    """(hashtag, attributes) of a cell: ``'#geo +Lat'`` -> ``('#geo', {'lat'})``."""
    if not cell or not _TAG.match(cell):
        return "", frozenset()
    parts = re.sub(r"\s+", "", cell).lower().split("+")
    return parts[0], frozenset(parts[1:])


def _find(names: list[str], tags: list[str], wanted: tuple[str, ...], attribute: str) -> int | None:
    """Index of the column tagged ``#geo+attribute``, else the first named one of ``wanted``."""
    for j, cell in enumerate(tags):
        hashtag, attributes = _tag(cell)
        if hashtag == "#geo" and attribute in attributes:
            return j
    lower = [n.strip().lower() for n in names]
    for w in wanted:
        if w in lower:
            return lower.index(w)
    return None


def _number(text: str) -> float:
    t = text.strip()
    if re.fullmatch(r"[+-]?\d+,\d+", t):  # a decimal comma (CSV from a European Excel)
        t = t.replace(",", ".")
    value = float(t)
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def table_from_rows(
    source: str,
    names: list[str],
    tags: list[str],
    columns: list[list[str | None]],
    *,
    crs: str | None = None,
    problems: dict[int, str] | None = None,
) -> FeatureTable:
    """A ``FeatureTable`` from text columns: the geometry out of WKT or lon/lat columns.

    ``names`` and ``tags`` (may be empty strings) describe ``columns``, each a list of text (None
    for an empty cell) of the same length.
    """
    problems = dict(problems or {})
    n = len(columns[0]) if columns else 0
    wkt_j = _find(names, tags, _WKT_NAMES, "wkt")
    lon_j = _find(names, tags, _LON_NAMES, "lon")
    lat_j = _find(names, tags, _LAT_NAMES, "lat")
    geoms = np.full(n, None, dtype=object)
    if wkt_j is not None:
        values = columns[wkt_j]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            parsed = shapely.from_wkt(
                np.array([v or None for v in values], dtype=object), on_invalid="ignore"
            )
        for i in np.flatnonzero(shapely.is_missing(parsed)):
            if values[i]:
                try:
                    shapely.from_wkt(values[i])
                    why = "WKT cannot be parsed"
                except shapely.errors.GEOSException as exc:
                    why = f"WKT cannot be parsed: {_reason(exc)}"
                problems.setdefault(int(i), f"{names[wkt_j]}: {why}")
        geoms = np.asarray(parsed, dtype=object)
    elif lon_j is not None and lat_j is not None:
        lon = np.full(n, np.nan)
        lat = np.full(n, np.nan)
        for i, (x, y) in enumerate(zip(columns[lon_j], columns[lat_j], strict=True)):
            if not x and not y:
                continue
            try:
                lon[i], lat[i] = _number(x or ""), _number(y or "")
            except ValueError:
                problems.setdefault(
                    i, f"{names[lon_j]}/{names[lat_j]} = {x!r}/{y!r} are not both numbers"
                )
        have = ~(np.isnan(lon) | np.isnan(lat))
        geoms[have] = shapely.points(lon[have], lat[have])
    elif n:
        raise ImportRejected(
            [
                f"{source}: no geometry column: give a WKT column (named wkt or geometry, or "
                "tagged #geo+wkt) or longitude and latitude columns (lon and lat, or tagged "
                "#geo+lon and #geo+lat)"
            ]
        )
    if crs:
        try:
            geoms = to_wgs84(geoms, crs)
        except Exception as exc:  # pyproj raises several kinds for a bad CRS
            raise ImportRejected(
                [f"{source}: cannot reproject from {crs} to EPSG:4326: {_reason(exc)}"]
            ) from None
    drop = {j for j in (wkt_j, lon_j, lat_j) if j is not None}
    table_columns: dict[str, np.ndarray] = {}
    for j, name in enumerate(names):
        if j not in drop:
            table_columns[name] = np.array(columns[j], dtype=object)
    return FeatureTable(
        source,
        geoms,
        table_columns,
        crs=crs or "EPSG:4326",
        problems=problems,
    )


def _header_and_tags(rows: list[list[str | None]]) -> tuple[list[str], list[str], int]:
    """(names, tags, index of the first data row) of a table's rows: the header row, then an
    optional HXL row; or an HXL row alone. Both are padded to the wider of the two."""
    header = [(c or "").strip() for c in rows[0]] if rows else []
    if is_hxl_row(header):
        return list(header), list(header), 1
    tags: list[str] = []
    start = 1
    if len(rows) > 1 and is_hxl_row(rows[1]):
        tags, start = [(c or "").strip() for c in rows[1]], 2
    width = max(len(header), len(tags))
    return header + [""] * (width - len(header)), tags + [""] * (width - len(tags)), start


def _unique(names: list[str], tags: list[str]) -> list[str]:
    out: list[str] = []
    seen: set[str] = set()
    for j, name in enumerate(names):
        name = name or tags[j] or f"column{j + 1}"
        base, k = name, 2
        while name.lower() in seen:
            name, k = f"{base}_{k}", k + 1
        seen.add(name.lower())
        out.append(name)
    return out
