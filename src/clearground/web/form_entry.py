"""From a browser form to the import that records it: plain functions the form pages call.

A form is written as a one-feature document and run through the very import the CLI and the
JSON API run on a file (``web.api_imports.run_import``: every rule of the import, and its
ledger), so no rule is restated here. Who sends it decides where it goes, as in the JSON API:
an operator's land release activity or EO report goes to the review queue
(``as_submission``), and its accident report or EORE session goes there as the shipped ODK form
would (``import odk``); an IM officer's or an admin's is recorded. Accident reports always wait
in the review queue: that is the path that holds victims' names and contacts apart until an IM
officer approves. The import's problems come back by field (``FormRejected.by_field``), so a
page shows each message next to the field it concerns.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.errors import BadInput, CleargroundError, ImportRejected
from clearground.web.form_defs import FormDef

__all__ = [
    "GEOMETRY",
    "Entry",
    "FormRejected",
    "Recorded",
    "enter",
    "field_of",
    "geometry_from_upload",
    "parse_entry",
    "victim_rows",
]

#: The name of the place's input (a drawn polygon or point as GeoJSON, or lon/lat, or a file).
GEOMETRY = "geometry"
#: Roles whose forms go to the review queue (the others record directly).
QUEUED_ROLES = ("operator",)


@dataclass
class Entry:
    """What a form sent: its fields as typed, one dict per victim, and the place."""

    values: dict[str, str]
    victims: list[dict[str, str]] = field(default_factory=list)
    geometry: BaseGeometry | None = None
    instance: str = ""  # one per form shown: sending the same form twice enters it once


class FormRejected(BadInput):
    """The form's problems by field ("" for the form as a whole); nothing was written."""

    def __init__(self, by_field: dict[str, list[str]]) -> None:
        self.by_field = by_field
        lines = [m for ms in by_field.values() for m in ms]
        super().__init__("; ".join(lines) or "the form was not entered")


@dataclass
class Recorded:
    """What the form became: records, or pending submissions (``pending``)."""

    kind: str
    ids: list[str]
    pending: bool
    notes: list[str]


def victim_rows(form: FormDef, data: Mapping[str, Any]) -> int:
    """How many victim rows the form shows: those sent (``victims``), at least one."""
    if not form.repeat:
        return 0
    try:
        n = int(str(data.get("victims", "1")))
    except ValueError:
        n = 1
    return max(1, min(n, 50))


def _one(data: Mapping[str, Any], name: str) -> str:
    getlist = getattr(data, "getlist", None)
    got = getlist(name) if getlist else data.get(name, "")
    if isinstance(got, list):
        return ",".join(str(x).strip() for x in got if str(x).strip())
    return str(got or "").strip()


def _typed_geometry(data: Mapping[str, Any], form: FormDef) -> tuple[BaseGeometry | None, str]:
    """The place drawn on the map (GeoJSON) or typed (lon, lat), and a problem if any."""
    raw = _one(data, GEOMETRY)
    if raw:
        try:
            return shapely.from_geojson(raw), ""
        except (shapely.errors.GEOSException, ValueError) as exc:
            return None, _("the drawn shape is not GeoJSON (%(why)s)", why=exc)
    lon, lat = _one(data, "lon"), _one(data, "lat")
    if form.geometry == "point" and (lon or lat):
        try:
            return shapely.Point(float(lon), float(lat)), ""
        except ValueError:
            return None, _(
                "lon %(lon)s, lat %(lat)s: give decimal degrees (30.5234, 50.4501)",
                lon=repr(lon),
                lat=repr(lat),
            )
    return None, ""


def geometry_from_upload(form: FormDef, filename: str, content: bytes) -> BaseGeometry:
    """The place in an uploaded GeoJSON, GPX or KML file, read by the formats every import uses:
    the union of its polygons (a closed GPX track or KML line is the boundary walked), or its
    one point. BadInput names the file and what it holds instead."""
    from clearground.formats import read_file

    name = Path(filename or "upload").name
    if not name.lower().endswith((".geojson", ".json", ".gpx", ".kml", ".kmz")):
        raise BadInput(_("%(name)s: upload a GeoJSON, GPX or KML file", name=name))
    with tempfile.TemporaryDirectory(prefix="clearground-form-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(content)
        try:
            table = read_file(path)
        except CleargroundError as exc:
            raise BadInput(exc.message.replace(str(path), name).replace(tmp, "")) from None
    geoms = [g for g in table.geometries if g is not None and not g.is_empty]
    if not geoms:
        raise BadInput(_("%(name)s: the file holds no shape", name=name))
    if form.geometry == "point":
        points = [g for g in geoms if g.geom_type == "Point"]
        if len(points) != 1 or len(geoms) != 1:
            raise BadInput(
                _("%(name)s: give one point; the file holds %(n)s", name=name, n=len(geoms))
            )
        return points[0]
    parts = []
    for g in geoms:
        for p in shapely.get_parts(g):
            if p.geom_type == "Polygon":
                parts.append(p)
            elif p.geom_type == "LineString" and len(p.coords) >= 4:
                parts.append(shapely.Polygon(p.coords))  # a walked boundary: closed
    if not parts:
        raise BadInput(
            _("%(name)s: the file holds no polygon (nor a closed boundary line)", name=name)
        )
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def parse_entry(
    form: FormDef,
    data: Mapping[str, Any],
    *,
    victim_data: bool,
    upload: tuple[str, bytes] | None = None,
) -> Entry:
    """The form's fields, victims and place from a posted form; FormRejected for what cannot
    be read at all (no place; personal data from a reader who may not give it). Every other
    rule is the import's (``enter``)."""
    problems: dict[str, list[str]] = {}
    values = {f.name: _one(data, f.name) for f in form.fields}
    for f in form.fields:  # every empty required field at once (the import names the first)
        if f.required and not values[f.name]:
            problems[f.name] = [_("%(field)s is empty (the form requires it)", field=f.name)]
    victims = []
    for k in range(1, victim_rows(form, data) + 1):
        row = {f.name: _one(data, f"victim-{k}-{f.name}") for f in form.repeat_fields}
        for p in form.personal:
            if row.get(p) and not victim_data:
                problems.setdefault(f"victim-{k}-{p}", []).append(
                    _("%(field)s: victims' personal data needs the victim_data permission", field=p)
                )
        if any(row.values()):
            for f in form.repeat_fields:
                if f.required and not row[f.name]:
                    problems.setdefault(f"victim-{k}-{f.name}", []).append(
                        _("%(field)s is empty (the form requires it)", field=f.name)
                    )
        victims.append(row)
    if form.repeat:
        victims = [v for v in victims if any(v.values())] or victims[:0]
    geometry, why = _typed_geometry(data, form)
    if upload is not None and upload[1]:
        try:
            geometry = geometry_from_upload(form, upload[0], upload[1])
        except BadInput as exc:
            problems.setdefault(GEOMETRY, []).append(exc.message)
    elif why:
        problems.setdefault(GEOMETRY, []).append(why)
    if geometry is None and GEOMETRY not in problems:
        problems[GEOMETRY] = [
            _("draw the polygon on the map, or upload a file that holds it")
            if form.geometry == "polygon"
            else _("place the point on the map or type it, or upload a file that holds it")
        ]
    if problems:
        raise FormRejected(problems)
    return Entry(values, victims, geometry, _one(data, "instance") or uuid.uuid4().hex)


def _(message: str, **variables: Any) -> str:
    """``message`` in the language of the page being answered (``web.pages.i18n``)."""
    from clearground.web.pages.i18n import gettext

    return gettext(message, **variables)


# --- the document each form is written as ------------------------------------------------


def _geojson(geometry: BaseGeometry, properties: dict[str, Any]) -> bytes:
    feature = {
        "type": "Feature",
        "properties": properties,
        "geometry": orjson.loads(shapely.to_geojson(geometry)),
    }
    return orjson.dumps({"type": "FeatureCollection", "features": [feature]})


def _odk_json(form: FormDef, entry: Entry) -> bytes:
    """The entry as ODK Central's JSON export of the shipped form (``formats.odk``)."""
    from clearground.services.odk_forms import FORMS as ODK

    spec = ODK[form.odk_form]
    sub: dict[str, Any] = {
        "__id": f"uuid:{entry.instance}",
        spec.geometry: orjson.loads(shapely.to_geojson(entry.geometry)),
        **entry.values,
    }
    if form.repeat:
        sub[form.repeat] = entry.victims
    return orjson.dumps([sub])


def document(form: FormDef, entry: Entry, role: str) -> tuple[str, str, bytes, dict[str, Any]]:
    """(import name, file name, content, options) that record ``entry`` as ``role`` sends it."""
    queued = role in QUEUED_ROLES
    stem = f"web-form-{form.name}"  # the source a submission names
    if form.kind == "activity":
        props = {**entry.values, "kind": form.activity_kind, "form_instance": entry.instance}
        options: dict[str, Any] = {"as_submission": queued} if queued else {}
        if form.completes:
            options["completes"] = True
        return "activities", f"{stem}.geojson", _geojson(entry.geometry, props), options
    if form.kind == "eo":
        props = {**entry.values, "form_instance": entry.instance}
        options = {"as_submission": True} if queued else {}
        return "eo", f"{stem}.geojson", _geojson(entry.geometry, props), options
    if form.kind == "accident" or queued:
        return "odk", f"{stem}.json", _odk_json(form, entry), {"form": form.odk_form}
    props = {**entry.values, "form_instance": entry.instance}
    return form.kind, f"{stem}.geojson", _geojson(entry.geometry, props), {}


# --- problems back to their fields ------------------------------------------------------

_WHERE = re.compile(r"^[^:]*:(?:feature|submission) \d+: ")
_VICTIM = re.compile(r"^victim (\d+): (\w+)")
#: What a message names, when it does not start with the field's own name.
_NAMED = (
    (re.compile(r"^hazard '|^hazard [A-Z]+-\d+ is |no recorded hazard"), "hazard_id"),
    (re.compile(r"^task '"), "task_id"),
    (re.compile(r"^organisation '"), "organisation_id"),
    (
        re.compile(
            r"polygon|geometry|does not close hazard|outside|coordinate|latitude|longitude"
            r"|self-intersect|not valid|region|^area:|^location:|a point|ring"
        ),
        GEOMETRY,
    ),
)


def field_of(form: FormDef, message: str) -> tuple[str, str]:
    """(the input a problem of the import concerns, the message without its file and feature)."""
    text = _WHERE.sub("", message.strip())
    m = _VICTIM.match(text)
    if m and form.repeat:
        return f"victim-{m[1]}-{m[2]}", text
    names = sorted((f.name for f in form.fields), key=len, reverse=True)
    for name in names:
        if re.match(rf"^{re.escape(name)}\b(?!-)", text):
            return name, text
    for pattern, name in _NAMED:
        if pattern.search(text) and (name == GEOMETRY or form.field(name) is not None):
            return name, text
    return "", text


def _by_field(form: FormDef, exc: CleargroundError) -> dict[str, list[str]]:
    lines = exc.problems if isinstance(exc, ImportRejected) else [exc.message]
    out: dict[str, list[str]] = {}
    for line in lines:
        name, text = field_of(form, line)
        if "already imported at" in text:
            when = text.split("; add ?again=true")[0].split(": ", 1)[-1]
            name, text = (
                "",
                _("this form was sent already and is recorded once: %(when)s", when=when),
            )
        out.setdefault(name, []).append(text)
    return out


def enter(
    store: Any, form: FormDef, entry: Entry, *, author: str, role: str, region: Any
) -> Recorded:
    """Record ``entry`` (or queue it for review) through the import of its kind, all or
    nothing; FormRejected with the import's problems by field."""
    from clearground.web.api_imports import run_import

    name, filename, content, options = document(form, entry, role)
    with tempfile.TemporaryDirectory(prefix="clearground-form-") as tmp:
        path = Path(tmp) / filename
        path.write_bytes(content)
        try:
            body = run_import(
                store,
                name,
                path,
                form.title,
                author=author,
                region=region,
                again=False,
                options=options,
            )
        except CleargroundError as exc:
            if isinstance(exc, BadInput):
                raise FormRejected(_by_field(form, exc)) from None
            raise
    kind = body.get("kind", form.kind)
    return Recorded(kind, list(body.get("ids", [])), kind == "submission", body.get("notes", []))
