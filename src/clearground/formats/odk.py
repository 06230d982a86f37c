"""ODK Central and KoboToolbox submission exports: CSV and JSON, repeat groups, geo strings.

What the servers export, read as it is:

- CSV (ODK Central, Briefcase, KoboToolbox; or Central's zip of them): a header row of field
  names, with the names of the groups around a field in front (``group-field`` in Central,
  ``group/field`` in Kobo). A geopoint is one column ``"lat lon alt acc"`` (Kobo) or four
  (``place-Latitude``, ``place-Longitude``, ``place-Altitude``, ``place-Accuracy``: Central).
  Each repeat group is a file of its own (Central names it ``FORM-REPEAT.csv``), its rows naming
  their submission (``PARENT_KEY`` -> ``KEY`` in Central, ``_parent_index`` -> ``_index`` or
  ``_submission__uuid`` -> ``_uuid`` in Kobo), or a column holding a JSON array of its rows.
- XLSX (KoboToolbox's "XLS" export): the first sheet holds the submissions, each repeat group a
  sheet of its own (named after the group, cut to Excel's 31 characters) whose rows name their
  submission by ``_parent_index`` -> ``_index``. Date cells come back as ISO 8601 text.
- JSON: a list of submissions, ODK Central's OData ``{"value": [...]}`` or Kobo's
  ``{"results": [...]}``; groups as nested objects (Central) or ``group/field`` keys (Kobo);
  repeat groups as arrays of objects (Central with ``$expand=*``, Kobo), or a file of their own
  (Central's ``Submissions.REPEAT`` table, rows naming ``__Submissions-id``).

A geopoint is ``"lat lon [alt [acc]]"``, latitude first; a geoshape is such points joined by
``;``, closing on its first point. Central's OData also gives GeoJSON objects, and WKT with
``$wkt=true``: both are read too. Geometries come out in lon/lat, as everywhere in clearground.

Nothing here knows a form: :func:`value` finds a field by its name behind any group prefix.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.errors import ImportRejected

__all__ = [
    "OdkExport",
    "OdkSubmission",
    "geometry_of",
    "instance_id",
    "iso_date_text",
    "parse_geopoint",
    "parse_geoshape",
    "read_export",
    "value",
]

#: Separators between a group's name and its field's, in the exports of each server.
SEPARATORS = ("/", "-", ".", ":")
#: How a repeat row names its submission: (column in the repeat's rows, column of the parent).
PARENT_LINKS = (
    ("PARENT_KEY", "KEY"),  # ODK Central and Briefcase CSV
    ("__Submissions-id", "__id"),  # ODK Central OData (a repeat table of its own)
    ("_submission__uuid", "_uuid"),  # KoboToolbox
    ("_parent_index", "_index"),  # KoboToolbox
)
_GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
#: ODK Briefcase's CSV dates in English: "May 1, 2025", "May 1, 2025 9:05:00 AM".
_BRIEFCASE_DATE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})(?: \d{1,2}:\d{2}:\d{2} [AP]M)?$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso_date_text(raw: str) -> str:
    """A date as ISO 8601 text: ODK Briefcase's English dates ("May 1, 2025") rewritten, any
    other text as it is (for the ISO 8601 check to accept or name)."""
    m = _BRIEFCASE_DATE.match(raw.strip())
    if m is None or m.group(1) not in _MONTHS:
        return raw
    month, day, year = _MONTHS.index(m.group(1)) + 1, int(m.group(2)), m.group(3)
    return f"{year}-{month:02d}-{day:02d}"


@dataclass
class OdkSubmission:
    """One submission: its values by column (full name, group prefixes and all) and repeats."""

    number: int  # 1, 2, ... in file order
    values: dict[str, Any]
    repeats: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return instance_id(self.values)


@dataclass
class OdkExport:
    """The submissions of an export and the problems found reading it (file and row named)."""

    source: str
    submissions: list[OdkSubmission]
    problems: list[str] = field(default_factory=list)

    def where(self, sub: OdkSubmission) -> str:
        return f"{self.source}:submission {sub.number}"


# --- finding a field behind its group prefix ------------------------------------------------


def _candidates(values: dict[str, Any], name: str) -> list[str]:
    if name in values:
        return [name]
    return [c for c in values if any(c.endswith(sep + name) for sep in SEPARATORS)]


def value(values: dict[str, Any], name: str) -> Any:
    """The value of field ``name``, whatever group prefix its column has; None if absent.

    ODK Central writes a geopoint as four columns; they are put back together as a geopoint.

    Examples
    --------
    >>> value({"survey-date": "2025-05-01", "meta-instanceID": "uuid:1"}, "date")
    '2025-05-01'
    >>> value({"place-Latitude": "50.1", "place-Longitude": "30.2"}, "place")
    '50.1 30.2'
    """
    found = _candidates(values, name)
    if len(found) > 1:
        raise ValueError(f"field {name} is in more than one column: {', '.join(found)}")
    if found:
        return values[found[0]]
    parts = [_single(values, f"{name}-{p}") for p in _GEOPOINT_PARTS]
    if parts[0] is None and parts[1] is None:
        return None
    texts = [_text(p) for p in parts]
    while texts and texts[-1] == "":
        texts.pop()
    return " ".join(texts)


def _single(values: dict[str, Any], name: str) -> Any:
    found = _candidates(values, name)
    if len(found) > 1:
        raise ValueError(f"field {name} is in more than one column: {', '.join(found)}")
    return values[found[0]] if found else None


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return str(v).strip()


def instance_id(values: dict[str, Any]) -> str:
    """The submission's instance id (``uuid:...``), from whichever column the server wrote."""
    for name in ("KEY", "__id", "instanceID", "_uuid"):
        try:
            found = value(values, name) if name == "instanceID" else values.get(name)
        except ValueError:
            found = None
        text = _text(found)
        if text:
            return text if ":" in text else f"uuid:{text}"
    return ""


# --- geopoints and geoshapes ----------------------------------------------------------------


def _point_parts(text: str, what: str) -> tuple[float, float]:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise ValueError(
            f'{what} {text!r} is not an ODK geopoint: write it as "lat lon alt acc" '
            "(latitude first, separated by spaces)"
        )
    try:
        lat, lon, *_ = (float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f'{what} {text!r} is not an ODK geopoint: "lat lon alt acc" are numbers'
        ) from None
    return lon, lat


def parse_geopoint(text: str, *, what: str = "geopoint") -> BaseGeometry:
    """An ODK geopoint ``"lat lon alt acc"`` as a point (lon, lat).

    Examples
    --------
    >>> parse_geopoint("50.45 30.52 120.5 4.0").wkt
    'POINT (30.52 50.45)'
    """
    return shapely.Point(_point_parts(text.strip(), what))


def parse_geoshape(text: str, *, what: str = "geoshape") -> BaseGeometry:
    """An ODK geoshape ``"lat lon alt acc;lat lon alt acc;..."`` as a polygon (lon, lat).

    The shape closes on its first point (ODK repeats it at the end; if it does not, it is
    closed here). It needs three distinct points.

    Examples
    --------
    >>> parse_geoshape("50 30 0 0;50 30.01 0 0;50.01 30.01 0 0;50 30 0 0").wkt
    'POLYGON ((30 50, 30.01 50, 30.01 50.01, 30 50))'
    """
    parts = [p.strip() for p in text.split(";") if p.strip()]
    points = [_point_parts(p, what) for p in parts]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        raise ValueError(
            f"{what} {_short(text)!r} has {len(set(points))} distinct point(s); a shape needs 3 "
            'or more ("lat lon alt acc;lat lon alt acc;...")'
        )
    return shapely.Polygon([*points, points[0]])


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def geometry_of(raw: Any, geometry_type: str, *, what: str) -> BaseGeometry | None:
    """A geopoint or geoshape value as a geometry in lon/lat; None if empty.

    ``raw`` is an ODK string, a GeoJSON object or WKT (ODK Central's OData gives either).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dict):
        try:
            return shapely.geometry.shape(raw)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(f"{what} is not a GeoJSON geometry: {exc}") from None
    if not isinstance(raw, str):
        raise ValueError(f"{what} {raw!r} is not a {geometry_type}")
    text = raw.strip()
    if text[:1].isalpha() and text.split("(")[0].strip().upper() in ("POINT", "POLYGON"):
        try:
            return shapely.from_wkt(text)
        except shapely.errors.GEOSException as exc:
            raise ValueError(f"{what} {_short(text)!r} is not WKT: {exc}") from None
    if geometry_type == "geopoint":
        return parse_geopoint(text, what=what)
    return parse_geoshape(text, what=what)


# --- reading files --------------------------------------------------------------------------


def _is_json(path: Path) -> bool:
    with open(path, "rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


def read_export(
    path: str | Path,
    *,
    repeats: Iterable[str] = (),
    repeat_files: dict[str, str | Path] | None = None,
) -> OdkExport:
    """The submissions of an export, with the rows of each named repeat group attached.

    A repeat's rows come from ``repeat_files[name]`` if given, else from the arrays inside the
    JSON, else from the file ODK Central writes beside the main CSV (``STEM-NAME.csv``).
    Problems (a repeat row naming no submission, a file that cannot be read) are collected,
    one line each; the caller refuses the import if there are any.
    """
    path = Path(path)
    from clearground.formats.base import check_regular_file

    check_regular_file(path)
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, tuple(repeats), repeat_files)
    if zipfile.is_zipfile(path):
        return _read_zip(path, tuple(repeats), repeat_files)
    repeat_files = {k: Path(v) for k, v in (repeat_files or {}).items()}
    unknown = sorted(set(repeat_files) - set(repeats))
    if unknown:
        wanted = ", ".join(repeats) or "none"
        raise ImportRejected(
            [f"--repeat {', '.join(unknown)}: this form has no such repeat group ({wanted})"]
        )
    export = OdkExport(str(path), [])
    try:
        if _is_json(path):
            rows, embedded = _read_json_rows(path)
        else:
            rows, embedded = _read_csv_rows(path), None
    except RecursionError:
        raise ImportRejected(
            [f"{path}: not a readable ODK export: the JSON is nested too deeply"]
        ) from None
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        raise ImportRejected([f"{path}: not a readable ODK export: {exc}"]) from None
    if not rows:
        raise ImportRejected([f"{path}: the export has no submissions"])
    for number, (values, nested) in enumerate(rows, start=1):
        export.submissions.append(OdkSubmission(number, values, nested))
    for name in repeats:
        given = repeat_files.get(name)
        beside = path.with_name(f"{path.stem}-{name}.csv")
        if given is not None:
            _attach(export, name, given)
        elif embedded is not None or _in_columns(export, name):
            _check_expanded(export, name)
        elif beside.is_file():
            _attach(export, name, beside)
        else:
            _check_no_rows_lost(export, name)
    return export


def _read_zip(
    path: Path, repeats: tuple[str, ...], repeat_files: dict[str, str | Path] | None
) -> OdkExport:
    """ODK Central's "all data and attachments" zip: the main CSV and its repeat files."""
    from clearground.formats.safe import extract_zip

    with tempfile.TemporaryDirectory(prefix="clearground-odk-") as tmp:
        root = Path(tmp).resolve()
        files = extract_zip(path, root, kind="ODK export")
        csvs = [f for f in files if f.suffix.lower() == ".csv"]
        mains = []
        for f in csvs:
            with open(f, encoding="utf-8-sig", newline="") as fh:
                if "PARENT_KEY" not in fh.readline():
                    mains.append(f)
        if len(mains) != 1:
            names = ", ".join(str(f.relative_to(root)) for f in mains) or "none"
            raise ImportRejected(
                [f"{path}: expected one submissions CSV (without PARENT_KEY) in the zip: {names}"]
            )

        def outside(text: str) -> str:
            return text.replace(f"{root}/", f"{path}:")

        try:
            export = read_export(mains[0], repeats=repeats, repeat_files=repeat_files)
        except ImportRejected as exc:
            raise ImportRejected([outside(p) for p in exc.problems]) from None
    export.source = outside(export.source)
    export.problems = [outside(p) for p in export.problems]
    return export


def _xlsx_sheets(path: Path) -> dict[str, list[dict[str, Any]]]:
    """Every sheet of a workbook as rows of text by column name (empty rows skipped), in order."""
    import warnings

    import pyogrio

    from clearground.formats.csv_hxl import XLSX, xlsx_text

    XLSX.check_file(path, str(path))  # declared sizes and XML entities, before GDAL reads it
    sheets: dict[str, list[dict[str, Any]]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for name, _ in pyogrio.list_layers(path):
            meta, _, _, columns = pyogrio.raw.read(
                path, layer=name, read_geometry=False, HEADERS="FORCE", FIELD_TYPES="STRING"
            )
            names = [str(n) for n in meta["fields"]]
            cells = [[xlsx_text(v) for v in column.tolist()] for column in columns]
            rows = [
                {n: c[i] for n, c in zip(names, cells, strict=True) if c[i] is not None}
                for i in range(len(cells[0]) if cells else 0)
            ]
            sheets[str(name)] = [r for r in rows if r]
    return sheets


def _read_xlsx(
    path: Path, repeats: tuple[str, ...], repeat_files: dict[str, str | Path] | None
) -> OdkExport:
    """KoboToolbox's XLSX export: submissions on the first sheet, each repeat on its own."""
    try:
        sheets = _xlsx_sheets(path)
    except ImportRejected:
        raise
    except Exception as exc:  # GDAL raises several kinds for a broken workbook
        raise ImportRejected([f"{path}: not a readable XLSX export: {exc}"]) from None
    if not sheets or not next(iter(sheets.values())):
        raise ImportRejected([f"{path}: the export has no submissions"])
    rows = next(iter(sheets.values()))
    export = OdkExport(str(path), [OdkSubmission(n, r) for n, r in enumerate(rows, start=1)])
    given = {k: Path(v) for k, v in (repeat_files or {}).items()}
    for name in repeats:
        sheet = next((k for k in list(sheets)[1:] if k in (name, name[:31])), None)
        if name in given:
            _attach(export, name, given[name])
        elif sheet is not None:
            _attach_rows(export, name, sheets[sheet], f"{path}:sheet {sheet}")
        else:
            for sub in export.submissions:
                sub.repeats.setdefault(name, [])
    return export


def _read_csv_rows(path: Path) -> list[tuple[dict[str, Any], dict[str, list]]]:
    header, rows = _csv(path)
    return [(row, {}) for row in rows] if header else []


def _csv(path: Path) -> tuple[list[str], list[dict[str, Any]]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, [])
    header = [h.strip() for h in header]
    seen: set[str] = set()
    for h in header:
        if h in seen:
            raise ValueError(f"column {h!r} appears twice in the header")
        seen.add(h)
    rows = []
    for n, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise ValueError(f"line {n} has {len(cells)} cells, the header {len(header)}")
        rows.append(dict(zip(header, cells, strict=False)))
    return header, rows


def _submissions_in(data: Any) -> list[Any]:
    if isinstance(data, dict):
        for key in ("value", "results"):
            if isinstance(data.get(key), list):
                return data[key]
        raise ValueError(
            'expected a list of submissions, {"value": [...]} (ODK Central) or '
            '{"results": [...]} (KoboToolbox)'
        )
    if isinstance(data, list):
        return data
    raise ValueError("expected a list of submissions")


def _read_json_rows(path: Path) -> tuple[list[tuple[dict[str, Any], dict[str, list]]], bool]:
    with open(path, encoding="utf-8-sig") as f:
        data = json.load(f)
    out = []
    for i, item in enumerate(_submissions_in(data), start=1):
        if not isinstance(item, dict):
            raise ValueError(f"submission {i} is not an object")
        out.append(_flatten(item))
    return out, True


def _is_geojson(v: dict) -> bool:
    return isinstance(v.get("type"), str) and "coordinates" in v


def _flatten(obj: dict[str, Any], prefix: str = "") -> tuple[dict[str, Any], dict[str, list]]:
    """Nested groups as ``group/field`` keys; arrays of objects as repeats by their last name."""
    values: dict[str, Any] = {}
    repeats: dict[str, list] = {}
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict) and not _is_geojson(v):
            inner, nested = _flatten(v, key + "/")
            values.update(inner)
            repeats.update(nested)
        elif isinstance(v, list) and all(isinstance(x, dict) for x in v):
            repeats[key.rsplit("/", 1)[-1]] = [_flatten(x)[0] for x in v]
        else:
            values[key] = v
    return values, repeats


def _in_columns(export: OdkExport, name: str) -> bool:
    """Whether the main CSV holds the repeat as a JSON array in a column of its name."""
    found = False
    for sub in export.submissions:
        if name in sub.repeats:
            return True
        try:
            raw = _single(sub.values, name)
        except ValueError as exc:
            export.problems.append(f"{export.where(sub)}: {exc}")
            continue
        if isinstance(raw, str) and raw.strip().startswith("["):
            found = True
            try:
                rows = json.loads(raw)
                if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
                    raise ValueError("not an array of objects")
                rows = [_flatten(r)[0] for r in rows]
            except RecursionError:
                export.problems.append(
                    f"{export.where(sub)}: repeat group {name}: the JSON is nested too deeply"
                )
                continue
            except ValueError as exc:
                export.problems.append(
                    f"{export.where(sub)}: repeat group {name} is not a JSON array of rows: {exc}"
                )
                continue
            sub.repeats[name] = rows
    return found


def _check_expanded(export: OdkExport, name: str) -> None:
    """A JSON submission that links to its repeat rows without holding them lost them."""
    for sub in export.submissions:
        if name in sub.repeats:
            continue
        if any(k.endswith(f"{name}@odata.navigationLink") for k in sub.values):
            export.problems.append(
                f"{export.where(sub)}: repeat group {name} is only a link; export with "
                f"$expand=* or give its rows with --repeat {name}=FILE"
            )


def _check_no_rows_lost(export: OdkExport, name: str) -> None:
    """Central's main CSV names each submission's repeat in a SET-OF column: a file is due."""
    for sub in export.submissions:
        marks = [k for k in sub.values if k == f"SET-OF-{name}" or k.endswith(f"-{name}")]
        if any(k.startswith("SET-OF-") and _text(sub.values[k]) for k in marks):
            export.problems.append(
                f"{export.where(sub)}: its repeat group {name} is in a file of its own, not "
                f"found beside this one; give it with --repeat {name}=FILE"
            )
            return


def _attach(export: OdkExport, name: str, path: Path) -> None:
    """Rows of a repeat's own file, each attached to the submission it names."""
    if not path.is_file():
        export.problems.append(f"{path}: no such file (repeat group {name})")
        return
    try:
        if _is_json(path):
            with open(path, encoding="utf-8-sig") as f:
                items = _submissions_in(json.load(f))
            rows = []
            for j, item in enumerate(items, start=1):
                if not isinstance(item, dict):
                    raise ValueError(f"row {j} is not an object")
                rows.append(_flatten(item)[0])
        else:
            rows = _csv(path)[1]
    except RecursionError:
        export.problems.append(f"{path}: not a readable repeat file: JSON nested too deeply")
        return
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as exc:
        export.problems.append(f"{path}: not a readable repeat file: {exc}")
        return
    _attach_rows(export, name, rows, str(path))


def _attach_rows(export: OdkExport, name: str, rows: list[dict[str, Any]], where: str) -> None:
    """Attach each row of a repeat group to the submission it names (``where``: its source)."""
    if not rows:
        return
    link = next(((c, p) for c, p in PARENT_LINKS if c in rows[0]), None)
    if link is None:
        export.problems.append(
            f"{where}: no column naming each row's submission "
            f"({', '.join(c for c, _ in PARENT_LINKS)})"
        )
        return
    child_col, parent_col = link
    parents: dict[str, OdkSubmission] = {}
    for sub in export.submissions:
        key = _text(sub.values.get(parent_col))
        if not key and parent_col == "_index":
            key = str(sub.number)
        if not key and parent_col == "KEY":
            key = sub.key
        if key:
            parents[key] = sub
            if ":" in key:
                parents.setdefault(key.split(":", 1)[1], sub)
        sub.repeats[name] = []  # the file given wins over rows found elsewhere
    for j, row in enumerate(rows, start=1):
        wanted = _text(row.get(child_col))
        parent = parents.get(wanted) or parents.get(wanted.split(":", 1)[-1])
        if parent is None:
            export.problems.append(
                f"{where}:row {j}: {child_col} {wanted!r} names no submission in "
                f"{Path(export.source).name}"
            )
            continue
        parent.repeats[name].append(row)
