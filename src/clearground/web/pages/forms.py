"""The data entry forms: ``GET /forms`` (which there are), ``GET /forms/{name}`` (one, empty or
for a hazard: ``?hazard_id=``) and ``POST /forms/{name}`` (enter it).

A form is entered through the import of its kind (``web.form_entry``): every rule of the
import holds, its problems come back next to the field they concern, and nothing is written
unless all is well. An operator's form waits in the review queue. Victims' personal data has
a section of its own, shown and accepted only for a user with the ``victim_data`` permission.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from clearground.web.api_writes import WRITERS
from clearground.web.deps import Principal, principal, require_role
from clearground.web.form_defs import DESCRIPTIONS, FormDef, form_def, forms
from clearground.web.form_entry import (
    GEOMETRY,
    FormRejected,
    enter,
    parse_entry,
    victim_rows,
)
from clearground.web.pages import i18n
from clearground.web.pages.messages_uk import translate, translate_all
from clearground.web.pages.render import form_principal, language, render

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

WhoDep = Annotated[Principal, Depends(principal)]
FormWhoDep = Annotated[Principal, Depends(form_principal)]
#: The file input of a form: a polygon or point in GeoJSON, GPX or KML.
UPLOAD = "geometry_file"


def _may_see_personal(who: Principal) -> bool:
    return "victim_data" in who.permissions


def _map_config(request: Request, hazard_id: str) -> dict[str, Any]:
    """Where the form's map opens: on the hazard named (outlined), else the operating region."""
    import orjson
    import shapely

    from clearground.domain.errors import CleargroundError
    from clearground.services.read import record

    settings = request.app.state.web.settings
    out: dict[str, Any] = {
        "bounds": list(settings.operating_region.bounds),
        "basemap_style_url": getattr(settings, "basemap_style_url", None) or None,
        "hazard": None,
    }
    if hazard_id:
        try:
            v = record(request.app.state.web.store, "hazard", hazard_id)
        except CleargroundError:
            return out  # the form says so when it is sent
        g = v.record.geometry
        out["bounds"] = list(g.bounds)
        out["hazard"] = orjson.loads(shapely.to_geojson(g))
    return out


def _context(
    request: Request,
    form: FormDef,
    who: Principal,
    values: dict[str, Any],
    errors: dict[str, list[str]],
    n_victims: int,
) -> dict[str, Any]:
    import uuid

    hazard_id = values.get("hazard_id", "")
    return {
        "map_config": _map_config(request, hazard_id if isinstance(hazard_id, str) else ""),
        "instance": values.get("instance") or uuid.uuid4().hex,
        "form": form,
        "values": values,
        "errors": errors,
        "victims": range(1, n_victims + 1),
        "personal": _may_see_personal(who),
        "queued": who.role == "operator" or form.kind == "accident",
        "GEOMETRY": GEOMETRY,
        "UPLOAD": UPLOAD,
    }


def _defaults(form: FormDef, who: Principal, given: dict[str, str]) -> dict[str, Any]:
    """The values an empty form starts with: the XLSForm's defaults, the user's organisation."""
    values: dict[str, Any] = {f.name: f.default for f in form.fields}
    for f in form.repeat_fields:
        values[f"victim-1-{f.name}"] = f.default
    if who.organisation:
        for name in ("organisation", "organisation_id"):
            if name in values:
                values[name] = who.organisation
    values.update({k: v for k, v in given.items() if k in values and v})
    return values


@router.get("/forms")
def forms_index(request: Request, who: WhoDep) -> Response:
    require_role(who, *WRITERS)
    listed = [(f, DESCRIPTIONS[f.name]) for f in forms().values()]
    return render(request, "forms/index.html", listed=listed, queued=who.role == "operator")


@router.get("/forms/{name}")
def form_page(request: Request, who: WhoDep, name: str) -> Response:
    require_role(who, *WRITERS)
    form = form_def(name)
    values = _defaults(form, who, dict(request.query_params))
    ctx = _context(request, form, who, values, {}, 1 if form.repeat else 0)
    return render(request, "forms/form.html", **ctx)


def _posted(data) -> dict[str, Any]:
    """The posted values as the template shows them again (lists for multiple choices)."""
    out: dict[str, Any] = {}
    for key in set(data):
        got = [v for v in data.getlist(key) if isinstance(v, str)]
        out[key] = got if len(got) > 1 else (got[0] if got else "")
    return out


def _within_limit(request: Request) -> None:
    """Refuse (413) a form declared larger than ``upload_limit_mb`` before it is read."""
    from clearground.web.uploads import _ENVELOPE, _refuse_declared, limit_bytes

    limit = limit_bytes(request)
    _refuse_declared(request, limit + _ENVELOPE, limit)


@router.post("/forms/{name}", dependencies=[Depends(_within_limit)])
async def form_submit(request: Request, who: FormWhoDep, name: str) -> Response:
    """Enter the form; its problems are shown next to their fields (400), nothing written."""
    require_role(who, *WRITERS)
    form = form_def(name)
    data = await request.form()
    values = _posted(data)
    n = victim_rows(form, data)
    if form.repeat and data.get("add_victim"):  # one more victim's fields, nothing entered
        values["victims"] = str(n + 1)
        ctx = _context(request, form, who, values, {}, n + 1)
        return render(request, "forms/form.html", **ctx)
    file = data.get(UPLOAD)
    upload = None
    if isinstance(file, UploadFile) and file.filename:
        from clearground.web.uploads import _too_large, limit_bytes

        if (file.size or 0) > limit_bytes(request):  # sent without a declared length
            raise _too_large(limit_bytes(request))
        upload = (file.filename, await file.read())
    state = request.app.state.web
    token = i18n.use(language(request))  # the form's own messages in the page's language
    try:
        entry = parse_entry(form, data, victim_data=_may_see_personal(who), upload=upload)
        done = await run_in_threadpool(
            enter,
            state.store,
            form,
            entry,
            author=who.name,
            role=who.role,
            region=state.settings.operating_region,
        )
    except FormRejected as exc:
        by_field = translate_all(exc.by_field, language(request))  # the rules' English, by pattern
        ctx = _context(request, form, who, values, by_field, n)
        return render(request, "forms/form.html", status_code=400, **ctx)
    finally:
        i18n._current.reset(token)
    done.notes = [translate(note, language(request)) for note in done.notes]
    return render(request, "forms/done.html", status_code=201, form=form, done=done)
