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
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats.base import FeatureTable, Format, check_crs, check_regular_file
from clearground.formats.ogr import OgrFormat, to_wgs84

__all__ = [
    "CSV",
    "HXL_TAGS",
    "XLSX",
    "CsvFormat",
    "XlsxFormat",
    "is_hxl_row",
    "table_from_rows",
    "xlsx_text",
]

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

_WKT_NAMES = ("wkt", "geometry", "geom", "the_geom", "wkt_geom", "shape")
_LON_NAMES = ("lon", "longitude", "lng", "long", "x")
_LAT_NAMES = ("lat", "latitude", "y")
_TAG = re.compile(r"^\s*#[a-z][a-z0-9_]*(\s*\+\s*[a-z][a-z0-9_]*)*\s*$", re.IGNORECASE)
_XLSX_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{2}:\d{2}:\d{2}(?:\.\d+)?))?$")
#: Excel holds at most this many characters in a cell.
XLSX_CELL_CHARS = 32_767


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


class XlsxFormat(OgrFormat):
    """XLSX (Excel) workbooks, through GDAL: one table per sheet, columns as for CSV."""

    def __init__(self) -> None:
        super().__init__("xlsx", "XLSX", (".xlsx",))

    def check_file(self, path: Path, source: str) -> None:
        from clearground.formats.safe import check_zip

        check_zip(path, source=source, kind="XLSX")

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        source = str(path)
        crs = check_crs(crs)
        sheet = self.read_from(
            path,
            source=source,
            layer=layer,
            open_options={"HEADERS": "FORCE", "FIELD_TYPES": "STRING"},
        )
        raw_names = list(sheet.columns)
        cols = [[xlsx_text(v) for v in sheet.columns[n].tolist()] for n in raw_names]
        n = len(sheet)
        rows = [raw_names] + [[c[i] for c in cols] for i in range(min(n, 1))]
        names, tags, start = _header_and_tags(rows)
        names = _unique(names, tags)
        skip = start - 1  # data rows that are the HXL row
        keep = [i for i in range(skip, n) if any(c[i] for c in cols)]
        columns = [[c[i] for i in keep] for c in cols]
        table = table_from_rows(source, names, tags, columns, crs=crs)
        table.layer = sheet.layer
        return _typed(table, dict(zip(names, _cell_types(path, sheet.layer), strict=False)))

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        import pyogrio

        path = Path(path)
        names, values = _out_columns(table, numbers=True)
        if "WKT" in names:
            wkt = values[names.index("WKT")]
            long = [i for i, w in enumerate(wkt.tolist()) if w and len(w) > XLSX_CELL_CHARS]
            if long:
                ids = table.columns.get("id")
                who = ", ".join(
                    str(ids[i]) if ids is not None else f"feature {i + 1}" for i in long[:5]
                )
                raise BadInput(
                    f"{path}: {len(long)} polygon(s) need more than the {XLSX_CELL_CHARS:,} "
                    f"characters an Excel cell holds as WKT ({who}); nothing was written. "
                    "Export to CSV, GeoPackage or GeoJSON instead."
                )
        if path.exists():
            path.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.raw.write(
                path,
                None,
                [np.asarray(v) for v in values],
                names,
                layer=layer,
                driver="XLSX",
            )


def _cell_types(path: Path, layer: str | None) -> list[str]:
    """The type of each column by the workbook's own cells (numbers typed as numbers in Excel
    come back as numbers; text that looks like a number, such as a P-code, stays text)."""
    import pyogrio

    info = pyogrio.read_info(path, layer=layer, HEADERS="FORCE", FIELD_TYPES="AUTO")
    kinds = {"int32": "integer", "int64": "integer64", "float64": "real", "float32": "real"}
    return [kinds.get(str(d), "string") for d in info["dtypes"]]


def xlsx_text(value: Any) -> str | None:
    """A workbook cell read as text: trimmed, None when empty, dates as ISO 8601."""
    if value is None:
        return None
    text = str(value).strip()
    if not text:
        return None
    if m := _XLSX_DATE.match(text):  # GDAL shows date cells as YYYY/MM/DD: make them ISO 8601
        y, mo, d, t = m.groups()
        return f"{y}-{mo}-{d}" + (f"T{t}" if t else "")
    return text


CSV = CsvFormat()
XLSX = XlsxFormat()
