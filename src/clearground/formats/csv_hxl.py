"""CSV and XLSX tables with a geometry in WKT or lon/lat columns, and an optional HXL row.

Reading (both):

- the first row names the columns; an HXL hashtag row (every non-empty cell a hashtag such as
  ``#geo+lat``) may follow it, or stand alone in the first row. Tags only find the geometry
  columns; names stay the header's (map others with ``--map``);
- the geometry is a WKT column (named ``wkt``, ``geometry``, ``geom``, ``the_geom``, ``wkt_geom``
  or ``shape``, or tagged ``#geo+wkt``), else ``lon``/``lat`` columns (also ``longitude``,
  ``lng``, ``x``/``latitude``, ``y``, or tagged ``#geo+lon``/``#geo+lat``), giving points. Next
  to a WKT column, lon/lat columns are its label point and are not kept. Coordinates are
  EPSG:4326 unless ``--crs`` says otherwise, or a ``.prj`` beside a CSV does;
- every value is text (an empty cell is no value), except columns typed as numbers: by a
  ``.csvt`` beside a CSV (GDAL's convention), by the cells of an XLSX. Rows that are entirely
  empty are skipped, so feature N is the N-th data row that holds anything;
- CSV must be UTF-8 (a byte order mark is fine); the delimiter is sniffed (``,`` ``;`` tab).
  A row that is not UTF-8 is refused with a hint at what it looks like.

Writing: CSV gets the header, then the HXL row (``HXL_TAGS``), then the rows, as UTF-8 with a
byte order mark so that Excel shows Cyrillic, with a ``.csvt`` and a ``.prj`` beside it (GDAL
counts the HXL row as one more feature, without geometry); XLSX (through GDAL) gets the header
and typed columns, no HXL row. Polygons go out as WKT at full precision, with ``lat``/``lon``
of a point inside each; points as ``lat``/``lon`` only.
"""

from __future__ import annotations

import csv
import io
import math
import re
from pathlib import Path

import numpy as np
import shapely

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats.base import FeatureTable, Format, check_crs, check_regular_file
from clearground.formats.hxl_table import (
    _header_and_tags,
    _number,
    _reason,
    _unique,
    table_from_rows,
)

__all__ = ["CSV", "HXL_TAGS", "CsvFormat"]

#: HXL hashtags written under each column clearground exports (others stay untagged).
HXL_TAGS: dict[str, str] = {
    "id": "#loc+code",
    "name": "#loc+name",
    "classification": "#loc+type",
    "status": "#status",
    "area_m2": "#indicator+area_m2+num",
    "released_m2": "#indicator+released_m2+num",
    "cancelled_m2": "#indicator+cancelled_m2+num",
    "reduced_m2": "#indicator+reduced_m2+num",
    "cleared_m2": "#indicator+cleared_m2+num",
    "remaining_m2": "#indicator+remaining_m2+num",
    "version": "#meta+version",
    "eo_types": "#item+eo+type",
    "date_reported": "#date+reported",
    "source": "#meta+source",
    "admin_pcode": "#adm1+code",
    "land_use": "#loc+land_use",
    "notes": "#description",
    "valid_from": "#date+updated",
    "lat": "#geo+lat",
    "lon": "#geo+lon",
    "WKT": "#geo+wkt",
}


def _looks_like(raw: bytes) -> str:
    text = raw.decode("cp1251", "replace")
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    high = sum(1 for b in raw if b >= 0x80)
    if high and cyrillic >= 0.8 * high:
        return " (it looks like Windows-1251 Cyrillic)"
    return ""


class CsvFormat(Format):
    """CSV with WKT or lon/lat columns and an optional HXL hashtag row.

    ``hxl`` says whether an export writes the HXL row (HDX and HXL tools read it; GDAL and
    QGIS count it as one more feature, so ``export --no-hxl`` leaves it out).
    """

    name = "csv"
    extensions = (".csv",)

    def __init__(self, *, hxl: bool = True) -> None:
        self.hxl = hxl

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        source = str(path)
        crs = check_crs(crs)
        if not path.exists():
            raise ImportRejected([f"{source}: file not found"])
        if layer is not None:
            raise ImportRejected([f"{source}: a CSV has one table; --layer does not apply"])
        data = path.read_bytes()
        text = data.decode("utf-8-sig", errors="surrogateescape")
        first = text[: text.find("\n")] if "\n" in text else text
        try:
            delimiter = csv.Sniffer().sniff(first, delimiters=",;\t").delimiter
        except csv.Error:
            delimiter = ","
        csv.field_size_limit(max(csv.field_size_limit(), 1 << 28))  # WKT of big polygons
        try:
            rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
        except csv.Error as exc:
            raise ImportRejected([f"{source}: cannot read csv: {exc}"]) from None
        if not rows:
            raise ImportRejected([f"{source}: the file is empty"])
        names, tags, start = _header_and_tags(rows)
        if any(_has_surrogate(n) for n in names):
            raise ImportRejected(
                [f"{source}: the header is not UTF-8 text; save the file as UTF-8 (CSV UTF-8)"]
            )
        names = _unique(names, tags)
        width = len(names)
        body = [r for r in rows[start:] if any(c.strip() for c in r)]
        problems: dict[int, str] = {}
        columns: list[list[str | None]] = [[None] * len(body) for _ in range(width)]
        for i, row in enumerate(body):
            if len(row) > width and any(c.strip() for c in row[width:]):
                problems[i] = f"{len(row)} cells, but the header names {width} columns"
            bad = next((c for c in row if _has_surrogate(c)), None)
            if bad is not None:
                raw = bad.encode("utf-8", "surrogateescape")
                problems.setdefault(
                    i,
                    "text is not UTF-8"
                    + _looks_like(raw)
                    + "; save the file as UTF-8 (in Excel: CSV UTF-8)",
                )
            for j, cell in enumerate(row[:width]):
                cell = cell.strip()
                if cell:
                    columns[j][i] = cell
        crs = crs or _prj_crs(path, source)
        table = table_from_rows(source, names, tags, columns, crs=crs, problems=problems)
        return _typed(table, dict(zip(names, _csvt_types(path, source), strict=False)))

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        """The CSV, and beside it the ``.csvt`` of column types and the ``.prj`` of WGS 84 that
        GDAL and QGIS read (so numbers stay numbers and the CRS is known)."""
        path = Path(path)
        names, columns = _out_columns(table, numbers=False)
        types = [_CSVT.get(table.columns[n].dtype.kind, "String") for n in table.columns]
        # points are their lat/lon (GDAL builds them from CoordY/CoordX); other geometries are
        # the WKT column, lat/lon only a label point
        types += ["Real", "Real", "WKT"] if "WKT" in names else ["CoordY", "CoordX"]
        part = path.with_name(path.name + ".part")
        with open(part, "w", encoding="utf-8-sig", newline="") as f:
            writer = csv.writer(f)
            writer.writerow(names)
            if self.hxl:
                writer.writerow([HXL_TAGS.get(n, "") for n in names])
            writer.writerows(zip(*columns, strict=True))
        path.with_suffix(".csvt").write_text(",".join(types) + "\n", encoding="ascii")
        path.with_suffix(".prj").write_text(_WGS84_PRJ, encoding="ascii")
        part.replace(path)


#: .csvt names of numpy kinds (GDAL's CSV driver reads them; anything else is String)
_CSVT = {"i": "Integer64", "u": "Integer64", "b": "Integer", "f": "Real"}
_WGS84_PRJ = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563]],'
    'PRIMEM["Greenwich",0],UNIT["degree",0.0174532925199433],AUTHORITY["EPSG","4326"]]'
)


def _csvt_types(path: Path, source: str) -> list[str]:
    """Column types of a CSV from its ``.csvt`` (GDAL's convention), lower case; none without.

    Only whole numbers and numbers matter here: every other type stays text.
    """
    csvt = path.with_suffix(".csvt")
    if not csvt.exists():
        return []
    check_regular_file(csvt)
    try:
        cells = next(csv.reader([csvt.read_text(encoding="utf-8-sig").strip()]), [])
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ImportRejected([f"{csvt}: cannot read the column types: {_reason(exc)}"]) from None
    return [re.sub(r"\(.*\)$", "", c.strip()).lower() for c in cells]


def _prj_crs(path: Path, source: str) -> str | None:
    """The CRS of a ``.prj`` beside a CSV (as GDAL writes one), or None without one."""
    prj = path.with_suffix(".prj")
    if not prj.exists():
        return None
    check_regular_file(prj)
    from pyproj import CRS
    from pyproj.exceptions import CRSError

    try:
        crs = CRS.from_user_input(prj.read_text(encoding="utf-8", errors="replace").strip())
    except CRSError as exc:
        raise ImportRejected(
            [
                f"{source}: {prj.name} is not a coordinate system: {_reason(exc)}; "
                "fix it, delete it, or give --crs"
            ]
        ) from None
    epsg = crs.to_epsg()
    return f"EPSG:{epsg}" if epsg else crs.to_wkt()


def _typed(table: FeatureTable, types: dict[str, str]) -> FeatureTable:
    """Columns typed as whole numbers or numbers (by a .csvt or the workbook's cells) as
    numbers; a cell that is not one stays text, for the import to name it."""
    for name, kind in types.items():
        if name not in table.columns or kind not in ("integer", "integer64", "real"):
            continue
        out = []
        for v in table.columns[name].tolist():
            try:
                x = _number(v) if v is not None else None
            except ValueError:
                x = v
            if isinstance(x, float) and kind != "real" and x.is_integer():
                x = int(x)
            out.append(x)
        table.columns[name] = np.array(out, dtype=object)
    return table


def _has_surrogate(text: str) -> bool:
    return not text.isascii() and any("\udc80" <= c <= "\udcff" for c in text)


def _text(column: np.ndarray) -> list[str]:
    """A column as CSV text: '' for null and NaN, shortest round-trip form for numbers."""
    out = []
    for v in column.tolist():
        if v is None or (isinstance(v, float) and not math.isfinite(v)):
            out.append("")
        elif isinstance(v, bytes):
            out.append(v.decode("utf-8", "replace"))
        else:
            out.append(str(v))
    return out


def _out_columns(table: FeatureTable, *, numbers: bool) -> tuple[list[str], list]:
    """Column names and values to write: the table's, then lat, lon and (not points) WKT."""
    geoms = np.asarray(table.geometries, dtype=object)
    names = list(table.columns)
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    points = bool(present.all()) and set(shapely.get_type_id(geoms).tolist()) <= {0}
    label = np.full(len(geoms), None, dtype=object)
    label[present] = geoms[present] if points else shapely.point_on_surface(geoms[present])
    lon = np.where(present, shapely.get_x(label.astype(object)), np.nan)
    lat = np.where(present, shapely.get_y(label.astype(object)), np.nan)
    geo_names = ["lat", "lon"] + ([] if points else ["WKT"])
    clash = [n for n in geo_names if n.lower() in {m.lower() for m in names}]
    if clash:
        raise BadInput(f"{table.source}: columns {clash} would clash with the geometry columns")
    values: list = [table.columns[n] if numbers else _text(table.columns[n]) for n in names]
    values += [lat, lon] if numbers else [_text(lat), _text(lon)]
    if not points:
        wkt = np.full(len(geoms), None, dtype=object)
        wkt[present] = shapely.to_wkt(geoms[present], rounding_precision=-1, trim=True)
        values.append(wkt if numbers else _text(wkt))
    return names + geo_names, values


CSV = CsvFormat()
