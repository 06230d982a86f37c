"""Writes over ``/api/v1``, through the same services as the CLI, by roles that may write.

``PATCH /hazards/{id}`` is ``hazard edit`` (``If-Match`` carries the version read); ``POST
/activities`` and ``POST /qc`` take GeoJSON and run the import of that kind on it (every rule of
the import applies, and the import ledger: the same body twice is refused unless
``?again=true``); ``POST /imports/{kind}`` takes a file upload. The author of every version is
the principal's name.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Header, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from clearground.domain.errors import BadInput, Conflict
from clearground.web.api_imports import IMPORTS, import_kind, options_for, run_import
from clearground.web.api_params import PROBLEM_RESPONSES, StaleVersion, parse_if_match
from clearground.web.deps import Principal, principal, reader_of, require_role, web_state
from clearground.web.state import WebState
from clearground.web.uploads import read_body, receive_file

__all__ = ["WRITERS", "edit_body", "router"]

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

#: Roles that may write records (the accounts layer adds "their own organisation's").
WRITERS = ("admin", "im_officer", "operator")

StateDep = Annotated[WebState, Depends(web_state)]
WhoDep = Annotated[Principal, Depends(principal)]
Again = Annotated[bool, Query(description="Import content already imported (same checksum) again.")]

_GEOJSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/geo+json": {"schema": {"type": "object"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}
_UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            }
        },
    }
}


def json_document(raw: bytes, what: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadInput(f"{what}: not JSON ({exc})") from None


def _change_value(field: str, value: Any) -> str:
    """A JSON value as the text ``hazard edit --set FIELD=VALUE`` takes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str | int | float):
        return str(value)
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return ",".join(value)  # eo_types
    raise BadInput(f"{field}: give a string, a number or null (a list of strings for eo_types)")


def edit_body(
    state: WebState, who: Principal, hazard_id: str, raw: bytes, if_match: str | None, reason: str
) -> tuple[dict[str, Any], int]:
    """``hazard edit``: the hazard's new JSON and version, or 428/409/400/404/422."""
    from clearground.services.hazard_records import edit
    from clearground.services.projections import hazard_json
    from clearground.services.read import record

    version = parse_if_match(if_match)
    body = json_document(raw, "body")
    if not isinstance(body, dict):
        raise BadInput('body: a JSON object of the fields to set, e.g. {"name": "..."}')
    changes = {str(k): _change_value(str(k), v) for k, v in body.items()}
    current = record(state.store, "hazard", hazard_id)
    reader = reader_of(who)

    def stale(v: Any) -> StaleVersion:
        return StaleVersion(
            f"hazard {hazard_id}: you read version {version}, but version {v.version} is the "
            "newest; read it again and repeat your change on it",
            current_version=v.version,
            current=hazard_json(v, reader),
        )

    if current.version != version:
        raise stale(current)
    try:
        v = edit(state.store, hazard_id, changes, reason=reason, version=version, author=who.name)
    except Conflict:  # changed between the read above and the write
        raise stale(record(state.store, "hazard", hazard_id)) from None
    return hazard_json(v, reader), v.version


@router.patch(
    "/hazards/{record_id}",
    tags=["hazards"],
    summary="Edit fields of a hazard (as hazard edit --set); If-Match: its version",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    },
)
async def patch_hazard(
    request: Request,
    response: Response,
    state: StateDep,
    who: WhoDep,
    record_id: str,
    reason: Annotated[str, Query(min_length=1, description="Why: kept in the history.")],
    if_match: Annotated[str | None, Header()] = None,
) -> dict[str, Any]:
    require_role(who, *WRITERS)
    raw = await read_body(request)
    body, version = await run_in_threadpool(edit_body, state, who, record_id, raw, if_match, reason)
    response.headers["ETag"] = f'"{version}"'
    return body


def _geojson(raw: bytes) -> None:
    doc = json_document(raw, "body")
    if not isinstance(doc, dict) or doc.get("type") not in ("Feature", "FeatureCollection"):
        raise BadInput("body: a GeoJSON Feature or FeatureCollection (RFC 7946)")


async def _post_features(
    request: Request, response: Response, state: WebState, who: Principal, name: str, again: bool
) -> dict[str, Any]:
    require_role(who, *WRITERS)
    raw = await read_body(request)
    _geojson(raw)
    with tempfile.TemporaryDirectory(prefix="clearground-post-") as tmp:
        path = Path(tmp) / f"{name}.geojson"
        path.write_bytes(raw)
        body = await run_in_threadpool(
            run_import,
            state.store,
            name,
            path,
            "request body",
            author=who.name,
            region=state.settings.operating_region,
            again=again,
            options={},
        )
    response.status_code = 201
    return body


@router.post(
    "/activities",
    tags=["activities"],
    summary="Record land release activities (GeoJSON): all or nothing",
    status_code=201,
    openapi_extra=_GEOJSON_BODY,
)
async def post_activities(
    request: Request, response: Response, state: StateDep, who: WhoDep, again: Again = False
) -> dict[str, Any]:
    return await _post_features(request, response, state, who, "activities", again)


@router.post(
    "/qc",
    tags=["qc"],
    summary="Record QC samples (GeoJSON): all or nothing",
    status_code=201,
    openapi_extra=_GEOJSON_BODY,
)
async def post_qc(
    request: Request, response: Response, state: StateDep, who: WhoDep, again: Again = False
) -> dict[str, Any]:
    return await _post_features(request, response, state, who, "qc", again)


@router.post(
    "/imports/{kind}",
    tags=["imports"],
    summary="Import a file (multipart field 'file'), as clearground import KIND FILE",
    status_code=201,
    openapi_extra=_UPLOAD_BODY,
    description="kind: " + ", ".join(IMPORTS),
)
async def post_import(
    request: Request,
    response: Response,
    state: StateDep,
    who: WhoDep,
    kind: str,
    again: Again = False,
    layer: Annotated[str | None, Query()] = None,
    map: Annotated[list[str] | None, Query(description="FIELD=COLUMN (repeat).")] = None,
    dry_run: bool = False,
    repair: bool = False,
    crs: Annotated[str | None, Query()] = None,
    as_submission: bool = False,
    format: Annotated[str | None, Query(description="Overrides the file name's ending.")] = None,
    form: Annotated[str | None, Query(description="odk: the shipped form.")] = None,
) -> dict[str, Any]:
    require_role(who, *WRITERS)
    import_kind(kind)
    options = options_for(
        kind,
        {
            "layer": layer,
            "map": map,
            "dry_run": dry_run,
            "repair": repair,
            "crs": crs,
            "as_submission": as_submission,
            "format": format,
            "form": form,
        },
    )
    with tempfile.TemporaryDirectory(prefix="clearground-upload-") as tmp:
        path, shown = await receive_file(request, Path(tmp))
        body = await run_in_threadpool(
            run_import,
            state.store,
            kind,
            path,
            shown,
            author=who.name,
            region=state.settings.operating_region,
            again=again,
            options=options,
        )
    response.status_code = 200 if dry_run else 201
    return body
