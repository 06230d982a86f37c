"""The forms clearground ships for ODK Collect and KoboToolbox, and how the cells of one
submission map to a record's fields (:mod:`clearground.services.odk` queues them for review).

Victims' names and contacts are read here only to be held apart as personal data; a cell that
fails is reported without its value where it may name people.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from importlib import resources
from typing import Any

from clearground.domain.errors import BadInput
from clearground.domain.evidence import parse_eo_category, parse_victim
from clearground.formats.odk import OdkSubmission
from clearground.formats.odk_values import iso_date_text, value
from clearground.services.common import iso_date, plain

__all__ = ["FORMS", "OdkForm", "form_text", "parse_repeats"]


@dataclass(frozen=True)
class OdkForm:
    """One shipped form: the record kind it makes and the fields clearground reads from it."""

    name: str
    kind: str  # the kind of record a submission becomes on approval
    geometry: str  # the field holding the place
    geometry_type: str  # "geopoint" or "geoshape"
    fields: tuple[str, ...]  # the other fields read (the geometry aside)
    required: tuple[str, ...]  # fields that must hold a value (the form requires them)
    repeat: str = ""  # the repeat group, if any
    repeat_fields: tuple[str, ...] = ()
    repeat_required: tuple[str, ...] = ()
    personal: tuple[str, ...] = ()  # repeat fields that are personal data


FORMS: dict[str, OdkForm] = {
    "nts": OdkForm(
        "nts",
        "hazard",
        "area",
        "geoshape",
        ("name", "eo_types", "date_reported", "source", "land_use", "reported_by", "notes"),
        ("name", "date_reported", "source", "reported_by"),
    ),
    "eo_spot_report": OdkForm(
        "eo_spot_report",
        "eo",
        "location",
        "geopoint",
        (
            "category",
            "eo_type",
            "quantity",
            "condition",
            "date",
            "reported_by",
            "hazard_id",
            "notes",
        ),
        ("category", "quantity", "date"),
    ),
    "accident_report": OdkForm(
        "accident_report",
        "accident",
        "location",
        "geopoint",
        ("date", "eo_category", "eo_type", "activity", "hazard_id", "notes"),
        ("date",),
        repeat="victim",
        repeat_fields=("sex", "age_group", "victim_type", "outcome", "name", "contact"),
        repeat_required=("sex", "age_group", "victim_type", "outcome"),
        personal=("name", "contact"),
    ),
    "eore_session": OdkForm(
        "eore_session",
        "eore",
        "location",
        "geopoint",
        ("date", "organisation_id", "girls", "boys", "women", "men", "method", "notes"),
        ("date", "organisation_id", "girls", "boys", "women", "men"),
    ),
}

# Columns the servers add to every export: never kept as attributes (some name people).
_METADATA = {
    "start",
    "end",
    "today",
    "deviceid",
    "subscriberid",
    "simserial",
    "phonenumber",
    "username",
    "email",
    "audit",
    "instanceID",
    "instanceName",
    "deprecatedID",
    "SubmissionDate",
    "SubmitterID",
    "SubmitterName",
    "AttachmentsPresent",
    "AttachmentsExpected",
    "Status",
    "ReviewState",
    "DeviceID",
    "Edits",
    "FormVersion",
    "KEY",
    "isValidated",
}
_SEPARATOR = re.compile(r"[/\-.:]")


def form_text(name: str) -> str:
    """The XLSForm of a shipped form, as Markdown tables (pyxform reads them)."""
    if name not in FORMS:
        raise BadInput(f"--form {name!r}: choose one of {', '.join(FORMS)}")
    return resources.files("clearground").joinpath("forms", f"{name}.md").read_text("utf-8")


def parse_repeats(pairs: list[str] | None) -> dict[str, str]:
    """``--repeat NAME=FILE`` options as {repeat group: file}."""
    out: dict[str, str] = {}
    for pair in pairs or []:
        name, sep, file = pair.partition("=")
        if not sep or not name.strip() or not file.strip():
            raise BadInput(f"--repeat {pair!r}: write it as NAME=FILE (--repeat victim=v.csv)")
        out[name.strip()] = file.strip()
    return out


def _is_metadata(column: str) -> bool:
    last = _SEPARATOR.split(column)[-1]
    return (
        column.startswith(("_", "SET-OF-"))
        or _SEPARATOR.split(column)[0] in ("meta", "formhub", "__system")
        or "@odata" in column
        or last in _METADATA
        or last in ("Latitude", "Longitude", "Altitude", "Accuracy")
    )


def _text(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, float) and raw != raw:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw).strip()


def _whole(text: str, name: str, minimum: int) -> int:
    try:
        n = float(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not a whole number") from None
    if n != n or not n.is_integer() or n < minimum:
        raise ValueError(f"{name} {text!r} must be a whole number of {minimum} or more")
    from clearground.domain.fields import check_count

    return check_count(int(n), name)


def _categories(text: str) -> tuple[str, ...]:
    """A select_multiple of EO categories (space-separated; commas accepted) as their values."""
    words = [w for w in re.split(r"[\s,]+", text) if w]
    try:
        return tuple(dict.fromkeys(parse_eo_category(w).value for w in words))
    except ValueError as exc:
        raise ValueError(f"eo_types: {exc}") from None


def _fields(spec: OdkForm, sub: OdkSubmission, today: date) -> dict[str, Any]:
    """The submission's fields, read and checked; ValueError names the first problem."""
    raw = {f: _text(value(sub.values, f)) for f in spec.fields}
    for f in spec.required:
        if not raw[f]:
            raise ValueError(f"{f} is empty (the form requires it)")
    out: dict[str, Any] = dict(raw)
    for f in ("date", "date_reported"):
        if f in raw:
            out[f] = iso_date(iso_date_text(raw[f]), field_name=f, today=today)
    if spec.kind == "hazard":
        out["eo_types"] = _categories(raw["eo_types"])
    elif spec.kind == "eo":
        out["category"] = parse_eo_category(raw["category"])
        out["quantity"] = _whole(raw["quantity"], "quantity", 1)
    elif spec.kind == "accident":
        out["eo_category"] = parse_eo_category(raw["eo_category"]) if raw["eo_category"] else None
        out["victims"], out["personal"] = _victims(spec, sub)
    elif spec.kind == "eore":
        for f in ("girls", "boys", "women", "men"):
            out[f] = _whole(raw[f], f, 0)
    return out


def _victims(spec: OdkForm, sub: OdkSubmission) -> tuple[tuple, list[dict[str, str]]]:
    victims, personal = [], []
    for k, row in enumerate(sub.repeats.get(spec.repeat, []), start=1):
        v = {f: _text(value(row, f)) for f in spec.repeat_fields}
        try:
            for f in spec.repeat_required:
                if not v[f]:
                    raise ValueError(f"{f} is empty (the form requires it)")
            victims.append(parse_victim(v["sex"], v["age_group"], v["victim_type"], v["outcome"]))
        except ValueError as exc:
            raise ValueError(f"{spec.repeat} {k}: {exc}") from None
        personal.append({"name": v["name"], "contact": v["contact"], "notes": ""})
    return tuple(victims), personal


def _extras(spec: OdkForm, sub: OdkSubmission) -> dict[str, Any]:
    """Columns of the submission that are not the form's fields nor server metadata."""
    known = (spec.geometry, *spec.fields)
    out = {}
    for column, raw in sub.values.items():
        if _is_metadata(column) or any(
            column == f or column.endswith(tuple(s + f for s in "/-.:")) for f in known
        ):
            continue
        kept = plain(raw)
        if kept not in (None, ""):
            out[column] = kept
    return out


def _no_cells(spec: OdkForm, sub: OdkSubmission, message: str) -> str:
    """An accident report's message without any cell it quotes: a cell may name people (a name
    typed into ``sex``). Other forms' messages quote the value, to help find it."""
    if spec.kind != "accident":
        return message
    rows = [sub.values, *sub.repeats.get(spec.repeat, [])]
    for cell in sorted({_text(x) for row in rows for x in row.values()} - {""}, key=len)[::-1]:
        message = message.replace(f" {cell!r}", "").replace(repr(cell), "")
    return message


def _geometry_problem(spec: OdkForm, why: str) -> str:
    why = why.replace(
        "write coordinates as lon, lat",
        'an ODK geopoint is written "lat lon alt acc", latitude first',
    ).replace("(use --repair to repair it)", "(import with --repair to repair it)")
    return f"{spec.geometry}: {why}"
