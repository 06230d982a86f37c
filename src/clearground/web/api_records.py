"""Reading records over ``/api/v1``: one list, one record and one history route per collection.

Each item is its kind's projection (``services.projections.json_of``) for the reader who asks,
with the same JSON keys as the CLI; a submission is shown as ``review list|show`` shows it.
Lists are ordered by id, so ``offset`` and the opaque ``cursor`` page stably.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response

from clearground.domain.errors import BadInput
from clearground.services.read import DATE_FIELDS
from clearground.web.api_params import (
    COLLECTIONS,
    PROBLEM_RESPONSES,
    decode_cursor,
    encode_cursor,
    parse_as_of,
    parse_bbox,
    parse_datetime,
)
from clearground.web.api_schemas import ETAG, HISTORY, PAGE, RECORD, ok
from clearground.web.deps import Principal, principal, reader_of, require_read, web_state
from clearground.web.state import WebState

__all__ = ["list_body", "one_body", "router"]

router = APIRouter(prefix="/api/v1", responses=PROBLEM_RESPONSES)

DEFAULT_LIMIT = 100
MAX_LIMIT = 10_000
STATUSES = ("pending", "approved", "rejected")


def _item(state: WebState, kind: str, v: Any, reader: Any, *, one: bool = False) -> dict:
    from clearground.services.projections import json_of, submission_json

    if kind == "submission":
        return submission_json(state.store, v, reader, side_by_side=one)
    return json_of(kind)(v, reader)


def list_body(
    state: WebState,
    who: Principal,
    name: str,
    *,
    limit: int,
    offset: int,
    cursor: str | None,
    bbox: str | None,
    datetime_: str | None,
    as_of: str | None,
    status: str | None = None,
) -> dict[str, Any]:
    """One page of collection ``name`` as JSON, with the cursor of the next page (if any)."""
    from clearground.services.read import page

    kind = COLLECTIONS[name]
    require_read(who, kind)
    if cursor is not None and offset:
        raise BadInput("give offset or cursor, not both")
    if status is not None and status not in STATUSES:
        raise BadInput(f"status {status!r}: one of {', '.join(STATUSES)}")
    got = page(
        state.store,
        kind,
        limit=limit,
        offset=offset,
        after=decode_cursor(name, cursor),
        bbox=parse_bbox(bbox),
        days=parse_datetime(datetime_),
        as_of=parse_as_of(as_of),
        status=status,
    )
    reader = reader_of(who)
    return {
        "collection": name,
        "items": [_item(state, kind, v, reader) for v in got.versions],
        "number_matched": got.matched,
        "number_returned": len(got.versions),
        "limit": limit,
        "offset": offset if cursor is None else None,
        "next_cursor": encode_cursor(name, got.next_after) if got.next_after else None,
    }


def one_body(
    state: WebState, who: Principal, name: str, record_id: str, as_of: str | None
) -> tuple[dict[str, Any], int]:
    """One record of collection ``name`` (404 if none) and its version (for the ETag)."""
    from clearground.services.read import record

    kind = COLLECTIONS[name]
    require_read(who, kind)
    v = record(state.store, kind, record_id, as_of=parse_as_of(as_of))
    return _item(state, kind, v, reader_of(who), one=True), v.version


StateDep = Annotated[WebState, Depends(web_state)]
WhoDep = Annotated[Principal, Depends(principal)]
AsOf = Annotated[
    str | None,
    Query(description="Read the database as it was then (ISO 8601; a date is its end, UTC)."),
]


# The paging and place parameters every list shares, declared once.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0, le=10**9)]
Cursor = Annotated[str | None, Query(description="next_cursor of the page before.")]
Bbox = Annotated[str | None, Query(description="minlon,minlat,maxlon,maxlat (EPSG:4326 degrees).")]


def _json(body: dict[str, Any]) -> Response:
    """A page as JSON, encoded once by orjson (the items are plain JSON from the projections):
    the framework's own encoder walks every value of a 1,000-item page again, 10x slower."""
    import orjson

    return Response(
        orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY), media_type="application/json"
    )


def _list_route(name: str, kind: str):
    field = DATE_FIELDS.get(kind)
    dt_doc = (
        f"Records whose `{field}` lies in this day or interval (RFC 3339 date or date-time, "
        "START/END, ../END, START/..)."
        if field
        else "This collection has no date: any value is refused (400)."
    )

    def list_records(
        state: StateDep,
        who: WhoDep,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
        cursor: Cursor = None,
        bbox: Bbox = None,
        datetime: str | None = Query(None, description=dt_doc),  # noqa: B008 (built per kind)
        as_of: AsOf = None,
    ) -> Response:
        return _json(
            list_body(
                state,
                who,
                name,
                limit=limit,
                offset=offset,
                cursor=cursor,
                bbox=bbox,
                datetime_=datetime,
                as_of=as_of,
            )
        )

    def list_submissions(
        state: StateDep,
        who: WhoDep,
        limit: Limit = DEFAULT_LIMIT,
        offset: Offset = 0,
        cursor: Cursor = None,
        bbox: Bbox = None,
        as_of: AsOf = None,
        status: Annotated[
            str | None, Query(description="pending, approved or rejected (default: all).")
        ] = None,
    ) -> Response:
        return _json(
            list_body(
                state,
                who,
                name,
                limit=limit,
                offset=offset,
                cursor=cursor,
                bbox=bbox,
                datetime_=None,
                as_of=as_of,
                status=status,
            )
        )

    return list_submissions if kind == "submission" else list_records


def _one_route(name: str):
    def get_record(
        state: StateDep, who: WhoDep, record_id: str, response: Response, as_of: AsOf = None
    ) -> dict[str, Any]:
        body, version = one_body(state, who, name, record_id, as_of)
        response.headers["ETag"] = f'"{version}"'
        return body

    return get_record


def _history_route(name: str):
    def get_history(state: StateDep, who: WhoDep, record_id: str) -> list[dict[str, Any]]:
        from clearground.services.read import history_rows

        require_read(who, COLLECTIONS[name], history=True)
        return history_rows(state.store, COLLECTIONS[name], record_id, reader_of(who))

    return get_history


def _register() -> None:
    for name, kind in COLLECTIONS.items():
        routes = (
            ("", _list_route(name, kind), "list", f"List {name}", ok(PAGE)),
            (
                "/{record_id}",
                _one_route(name),
                "get",
                f"One record of {name} (ETag: its version)",
                ok(RECORD, headers=ETAG),
            ),
            (
                "/{record_id}/history",
                _history_route(name),
                "history",
                f"Every version of one record of {name}",
                ok(HISTORY),
            ),
        )
        for suffix, endpoint, verb, summary, documented in routes:
            router.add_api_route(
                f"/{name}{suffix}",
                endpoint,
                methods=["GET"],
                name=f"{verb}_{name}",
                summary=summary,
                tags=[name],
                response_model=None,
                responses=documented,
            )


_register()
