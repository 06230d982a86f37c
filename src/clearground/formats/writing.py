"""Writing a table to a file so that a failure leaves the old file as it was.

Every export goes through :func:`write_table`:

- column names a format cannot hold are renamed, the same way GDAL launders names for a
  Shapefile: a name the format reserves (GeoPackage's ``fid`` and ``geom``, a File
  Geodatabase's ``OBJECTID`` and ``SHAPE``, the ``lat``/``lon``/``WKT`` columns a CSV or XLSX
  writes the geometry to) and a name equal, ignoring case, to an earlier one (``status`` then
  ``Status``) get the first free suffix ``_1``, ``_2`` ... (``fid`` -> ``fid_1``). Importing
  clearground's files matches names ignoring case, so two such names could not come back apart
  from any format;
- the format writes into a new folder beside the target (same directory, so same file system),
  and only when every file of it (a CSV's ``.csvt`` and ``.prj`` too) is written are they
  renamed into place, sidecars first and the file itself last. A failed write removes the
  folder and leaves any older file, and its sidecars, byte for byte as they were.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from clearground.domain.errors import BadInput, CleargroundError
from clearground.formats.base import FeatureTable, Format

__all__ = ["RESERVED_NAMES", "safe_names", "write_table"]

#: Column names (lower case) each format keeps for itself, by format name.
RESERVED_NAMES: dict[str, frozenset[str]] = {
    "gpkg": frozenset({"fid", "geom"}),
    "filegdb": frozenset({"objectid", "shape"}),
    "csv": frozenset({"lat", "lon", "wkt"}),
    "xlsx": frozenset({"lat", "lon", "wkt"}),
}


def safe_names(names: list[str], reserved: frozenset[str] = frozenset()) -> dict[str, str]:
    """Each name, or its renaming when ``reserved`` holds it or an earlier name equals it
    ignoring case: the first free ``NAME_k`` (k = 1, 2, ...). Names are compared lower-case.

    >>> safe_names(["id", "fid", "Status", "status", "status_1"], frozenset({"fid"}))
    {'id': 'id', 'fid': 'fid_1', 'Status': 'Status', 'status': 'status_2', 'status_1': 'status_1'}
    """
    taken = {n.lower() for n in names}
    used: set[str] = set(reserved)
    out: dict[str, str] = {}
    for name in names:
        new = name
        if new.lower() in used:
            k = 1
            while f"{name}_{k}".lower() in used or f"{name}_{k}".lower() in taken:
                k += 1
            new = f"{name}_{k}"
        used.add(new.lower())
        out[name] = new
    return out


def _renamed(fmt: Format, table: FeatureTable) -> FeatureTable:
    names = safe_names(list(table.columns), RESERVED_NAMES.get(fmt.name, frozenset()))
    if all(k == v for k, v in names.items()):
        return table
    columns = {names[k]: v for k, v in table.columns.items()}
    return FeatureTable(table.source, table.geometries, columns, layer=table.layer, crs=table.crs)


def _reason(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def write_table(fmt: Format, path: str | Path, table: FeatureTable, *, layer: str) -> None:
    """Write ``table`` to ``path`` with ``fmt``, all or nothing (see the module's docstring).

    Raises ``BadInput`` naming the file when it cannot be written; nothing is changed then.
    """
    path = Path(path)
    folder = path.parent
    if not folder.is_dir():
        raise BadInput(f"{path}: cannot write: the folder {folder} does not exist")
    if path.is_dir():
        raise BadInput(f"{path}: cannot write: it is a folder")
    table = _renamed(fmt, table)
    try:
        work = Path(tempfile.mkdtemp(prefix=".clearground-export-", dir=folder))
    except OSError as exc:
        raise BadInput(f"{path}: cannot write in {folder}: {_reason(exc)}") from None
    try:
        try:
            fmt.write(work / path.name, table, layer=layer)
        except CleargroundError:
            raise
        except Exception as exc:  # GDAL's and the OS's errors: the file cannot be written
            raise BadInput(
                f"{path}: cannot write {fmt.name}: {_reason(exc).replace(str(work), str(folder))}"
                "; nothing was written (an existing file is unchanged)"
            ) from None
        written = sorted(p for p in work.iterdir() if p.is_file())
        main = work / path.name
        if main not in written:
            raise BadInput(f"{path}: cannot write {fmt.name}: no file was made")
        try:
            for part in [p for p in written if p != main] + [main]:
                os.replace(part, folder / part.name)
        except OSError as exc:
            raise BadInput(f"{path}: cannot write: {_reason(exc)}") from None
    finally:
        shutil.rmtree(work, ignore_errors=True)
