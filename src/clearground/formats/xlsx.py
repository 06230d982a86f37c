"""XLSX (Excel) workbooks through GDAL: one table per sheet, columns as for CSV
(:mod:`clearground.formats.csv_hxl` describes the rules), dates as ISO 8601 text."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from clearground.domain.errors import BadInput
from clearground.formats.base import FeatureTable, check_crs
from clearground.formats.csv_hxl import _out_columns, _typed
from clearground.formats.hxl_table import _header_and_tags, _unique, table_from_rows
from clearground.formats.ogr import OgrFormat

__all__ = ["XLSX", "XLSX_CELL_CHARS", "XlsxFormat", "xlsx_text"]

_XLSX_DATE = re.compile(r"^(\d{4})/(\d{2})/(\d{2})(?: (\d{2}:\d{2}:\d{2}(?:\.\d+)?))?$")
#: Excel holds at most this many characters in a cell.
XLSX_CELL_CHARS = 32_767


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


XLSX = XlsxFormat()
