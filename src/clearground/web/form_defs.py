"""The browser's data entry forms, derived from what the imports already define, not restated.

The EO spot report, accident report and EORE session take their fields, types, labels,
required marks and choices from the XLSForms clearground ships for ODK Collect
(``clearground/forms/*.md``, the same definitions ``import odk`` reads with
``services.odk_forms.FORMS``). The three land release forms (non-technical survey, technical
survey, clearance completion) are the columns of ``import activities`` (its required fields and
the GICHD minimum data of land release), one activity kind each.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from clearground.web.pages.i18n import N_

__all__ = ["DESCRIPTIONS", "FormDef", "FormField", "form_def", "forms"]


@dataclass(frozen=True)
class FormField:
    """One input: ``type`` is text, textarea, date, integer, number, select, multiselect."""

    name: str
    type: str
    label: str
    required: bool = False
    choices: tuple[tuple[str, str], ...] = ()  # (value, English label)
    hint: str = ""
    default: str = ""


@dataclass(frozen=True)
class FormDef:
    """A form: the record it makes, where it is drawn (a polygon or a point) and its fields.

    ``repeat`` is a group of fields given once per person (an accident's victims), of which
    ``personal`` are victims' personal data, shown and accepted only with ``victim_data``."""

    name: str  # its address: /forms/NAME
    title: str
    kind: str  # the record kind it makes: "activity", "eo", "accident", "eore"
    geometry: str  # "polygon" or "point"
    fields: tuple[FormField, ...]
    odk_form: str = ""  # the shipped XLSForm it comes from (the queue path for operators)
    activity_kind: str = ""  # land release forms: nts, ts or clearance
    completes: bool = False  # clearance completion: the activity must close its hazard
    repeat: str = ""
    repeat_label: str = ""
    repeat_fields: tuple[FormField, ...] = ()
    personal: tuple[str, ...] = ()
    geometry_label: str = ""

    def field(self, name: str) -> FormField | None:
        return next((f for f in (*self.fields, *self.repeat_fields) if f.name == name), None)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _sheets(text: str) -> dict[str, list[dict[str, str]]]:
    """An XLSForm written as Markdown tables: each sheet's rows as {column: cell}."""
    sheets: dict[str, list[dict[str, str]]] = {}
    name, header = "", []
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = _cells(line)
        if cells[0]:  # "| survey |": a sheet starts
            name, header = cells[0], []
            sheets[name] = []
        elif not header:
            header = cells[1:]
        else:
            sheets[name].append(dict(zip(header, cells[1:], strict=False)))
    return sheets


_TYPES = {"text": "text", "date": "date", "integer": "integer", "decimal": "number"}
#: Hints written for a phone in the field that a desk form does not need.
_FIELD_ONLY_HINTS = {"location"}


def _xlsform(odk: str, name: str, title: str, kind: str) -> FormDef:
    from clearground.services.odk_forms import FORMS as ODK
    from clearground.services.odk_forms import form_text

    spec = ODK[odk]
    sheets = _sheets(form_text(odk))
    choices: dict[str, list[tuple[str, str]]] = {}
    for row in sheets["choices"]:
        choices.setdefault(row["list_name"], []).append((row["name"], row["label"]))
    main: list[FormField] = []
    repeat: list[FormField] = []
    into, geometry_label, repeat_label = main, "", ""
    for row in sheets["survey"]:
        typ, fname = row.get("type", ""), row.get("name", "")
        if typ == "begin_repeat":
            into, repeat_label = repeat, row.get("label", "")
            continue
        if typ == "end_repeat":
            into = main
            continue
        if typ in ("geopoint", "geoshape"):
            geometry_label = row.get("label", "")
            continue
        kind_of, _, list_name = typ.partition(" ")
        if kind_of == "select_one":
            ftype = "select"
        elif kind_of == "select_multiple":
            ftype = "multiselect"
        elif kind_of in _TYPES:
            ftype = _TYPES[kind_of]
            if ftype == "text" and row.get("appearance") == "multiline":
                ftype = "textarea"
        else:
            continue  # start, end: the phone's metadata
        wanted = spec.repeat_fields if into is repeat else spec.fields
        if fname not in wanted:
            continue
        required = spec.repeat_required if into is repeat else spec.required
        into.append(
            FormField(
                fname,
                ftype,
                row.get("label", fname),
                required=fname in required,
                choices=tuple(choices.get(list_name, ())),
                hint="" if fname in _FIELD_ONLY_HINTS else row.get("hint", ""),
                default=row.get("default", ""),
            )
        )
    return FormDef(
        name,
        title,
        kind,
        "polygon" if spec.geometry_type == "geoshape" else "point",
        tuple(main),
        odk_form=odk,
        repeat=spec.repeat,
        repeat_label=repeat_label,
        repeat_fields=tuple(repeat),
        personal=spec.personal,
        geometry_label=geometry_label,
    )


#: The land release methods as a form lists them (``OperationalMethod`` values).
_METHODS = {
    "manual": N_("Manual"),
    "mechanical": N_("Mechanical"),
    "animal_detection": N_("Animal detection"),
    "battle_area_clearance": N_("Battle area clearance"),
}


def _activity_fields() -> tuple[FormField, ...]:
    """The columns ``import activities`` reads, with their types and the choices its parsers
    take (``domain.evidence.parse_methods``, ``parse_devices_found``)."""
    from clearground.domain.records import OperationalMethod
    from clearground.services import activities as a

    labels = {
        "hazard_id": ("text", N_("Hazard id"), N_("For example HA-000012.")),
        "date": ("date", N_("Date of the activity"), ""),
        "organisation": ("text", N_("Organisation that did the work"), ""),
        "task_id": ("text", N_("Task id, if any"), N_("For example TK-000003.")),
        "methods": ("multiselect", N_("Methods used"), ""),
        "clearance_depth_cm": ("number", N_("Clearance depth (cm)"), ""),
        "devices_found": (
            "text",
            N_("Devices found"),
            N_(
                "TYPE: COUNT [@ DEPTH cm] [CONDITION], separated by ;  for example PMN-2: 3 @ 15 cm"
            ),
        ),
        "beneficiaries": ("integer", N_("Beneficiaries (people)"), ""),
        "notes": ("textarea", N_("Notes"), ""),
    }
    names = [*a._REQUIRED, "task_id", *a._MDR, "notes"]
    names.remove("kind")  # the form is the kind
    methods = tuple((m.value, _METHODS.get(m.value, m.value)) for m in OperationalMethod)
    out = []
    for n in names:
        ftype, label, hint = labels[n]
        out.append(
            FormField(
                n,
                ftype,
                label,
                required=n in a._REQUIRED,
                choices=methods if n == "methods" else (),
                hint=hint,
            )
        )
    return tuple(out)


def _activity(name: str, title: str, kind: str, *, completes: bool = False) -> FormDef:
    return FormDef(
        name,
        title,
        "activity",
        "polygon",
        _activity_fields(),
        activity_kind=kind,
        completes=completes,
        geometry_label=N_("The land the activity worked (inside the hazard)"),
    )


@cache
def forms() -> dict[str, FormDef]:
    """Every form by name, in the order the forms' page lists them (built once)."""
    made = [
        _activity("nts", N_("Non-technical survey"), "nts"),
        _activity("ts", N_("Technical survey"), "ts"),
        _activity("clearance", N_("Clearance completion"), "clearance", completes=True),
        _xlsform("eo_spot_report", "eo", N_("EO spot report"), "eo"),
        _xlsform("accident_report", "accident", N_("Accident report"), "accident"),
        _xlsform("eore_session", "eore", N_("EORE session"), "eore"),
    ]
    return {f.name: f for f in made}


#: What each form is, for the forms' index page (``name`` order as in ``FORMS``).
DESCRIPTIONS = {
    "nts": N_("Land cancelled by a non-technical survey of a recorded hazard."),
    "ts": N_("Land reduced by a technical survey of a recorded hazard."),
    "clearance": N_("Clearance that completes a recorded hazard: it must release all of its land."),
    "eo": N_("An explosive ordnance item seen or found."),
    "accident": N_("An accident or incident with explosive ordnance, and its victims."),
    "eore": N_("An explosive ordnance risk education session."),
}


def form_def(name: str) -> FormDef:
    """The form called ``name``, or NotFound naming the forms there are."""
    from clearground.domain.errors import NotFound

    if name not in forms():
        raise NotFound(f"no form {name!r}; forms: {', '.join(forms())}")
    return forms()[name]
