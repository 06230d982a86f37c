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

Nothing here knows a form: :func:`clearground.formats.odk_values.value` finds a field by its
name behind any group prefix (that module reads the values: geo strings, dates, ids).
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clearground.domain.errors import ImportRejected
from clearground.formats.odk_values import _single, _text, instance_id

__all__ = ["OdkExport", "OdkSubmission", "read_export"]

#: How a repeat row names its submission: (column in the repeat's rows, column of the parent).
PARENT_LINKS = (
    ("PARENT_KEY", "KEY"),  # ODK Central and Briefcase CSV
    ("__Submissions-id", "__id"),  # ODK Central OData (a repeat table of its own)
    ("_submission__uuid", "_uuid"),  # KoboToolbox
    ("_parent_index", "_index"),  # KoboToolbox
)


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

    from clearground.formats.xlsx import XLSX, xlsx_text

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
