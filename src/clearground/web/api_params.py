"""What the JSON API reads from a request: collection names, ``bbox``, ``datetime``, cursors,
``as_of`` and ``If-Match``, each refused in the user's words (400), never with a traceback."""

from __future__ import annotations

import base64
import binascii
import math
from datetime import date, datetime
from typing import Any

import orjson

from clearground.domain.errors import BadInput, CleargroundError, Conflict
from clearground.store.mapping import KINDS, PERSONAL_KINDS

__all__ = [
    "COLLECTIONS",
    "PROBLEM_RESPONSES",
    "ContentTooLarge",
    "PreconditionRequired",
    "StaleVersion",
    "decode_cursor",
    "encode_cursor",
    "parse_as_of",
    "parse_bbox",
    "parse_datetime",
    "parse_if_match",
]

#: The collections of ``/api/v1``: every record kind that holds no personal data, by the
#: (plural) name a user expects.
COLLECTIONS: dict[str, str] = {
    "hazards": "hazard",
    "activities": "activity",
    "eo": "eo",
    "accidents": "accident",
    "minefields": "minefield",
    "qc": "qc",
    "organisations": "organisation",
    "tasks": "task",
    "eore": "eore",
    "qa": "qa",
    "locations": "location",
    "coverage": "coverage",
    "submissions": "submission",
    "priority_runs": "priority_run",
}
assert set(COLLECTIONS.values()) == set(KINDS) - PERSONAL_KINDS, "a record kind has no collection"


class PreconditionRequired(CleargroundError):
    """A write that must name the version it read (``If-Match``) did not."""

    exit_code = 2
    http_status = 428
    title = "Precondition required"


class StaleVersion(Conflict):
    """``If-Match`` named a version that is no longer the newest; the body has the current one."""

    def __init__(self, message: str, *, current_version: int, current: dict[str, Any]) -> None:
        super().__init__(message)
        self.problem_extra = {"current_version": current_version, "current": current}


class ContentTooLarge(BadInput):
    """An upload or body past ``upload_limit_mb``: the server stopped reading it."""

    http_status = 413
    title = "Content too large"


def parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` in degrees (EPSG:4326), checked for range and order."""
    if text is None:
        return None
    parts = text.split(",")
    hint = "write it as minlon,minlat,maxlon,maxlat in degrees, e.g. 30.0,50.0,31.0,51.0"
    try:
        values = [float(p) for p in parts]
    except ValueError:
        raise BadInput(f"bbox {text!r}: not four numbers; {hint}") from None
    if len(values) != 4:
        raise BadInput(f"bbox {text!r}: {len(values)} number(s), not four; {hint}")
    minx, miny, maxx, maxy = values
    if not all(math.isfinite(v) for v in values):
        raise BadInput(f"bbox {text!r}: every value must be a finite number; {hint}")
    if not (abs(minx) <= 180 and abs(maxx) <= 180 and abs(miny) <= 90 and abs(maxy) <= 90):
        raise BadInput(
            f"bbox {text!r}: longitudes must be within ±180 and latitudes within ±90; {hint}"
        )
    if miny > maxy:
        raise BadInput(f"bbox {text!r}: minlat is above maxlat; {hint}")
    if minx > maxx:
        raise BadInput(
            f"bbox {text!r}: minlon is east of maxlon (a box across the antimeridian): "
            "ask for its two halves"
        )
    return minx, miny, maxx, maxy


def _day(text: str, whole: str) -> date | None:
    raw = text.strip()
    if raw in ("", ".."):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(raw.replace("z", "Z")).date()
    except ValueError:
        raise BadInput(
            f"datetime {whole!r}: {raw!r} is not an RFC 3339 date or date-time; write "
            "2026-05-01, 2026-05-01T12:00:00Z, an interval START/END, or ../END, START/.."
        ) from None


def parse_datetime(text: str | None) -> tuple[date | None, date | None] | None:
    """``datetime``: one date or date-time, or an interval ``start/end`` with ``..`` (or
    nothing) for an open end; records' dates are whole days, so each end counts as its day."""
    if text is None:
        return None
    if "/" in text:
        head, sep, tail = text.partition("/")
        if "/" in tail:
            raise BadInput(f"datetime {text!r}: an interval has one '/' (START/END)")
        start, end = _day(head, text), _day(tail, text)
        if start is None and end is None:
            raise BadInput(f"datetime {text!r}: an interval needs at least one end")
    else:
        start = end = _day(text, text)
        if start is None:
            raise BadInput(f"datetime {text!r}: give a date, a date-time or an interval")
    if start is not None and end is not None and start > end:
        raise BadInput(f"datetime {text!r}: the interval ends before it starts")
    return start, end


def encode_cursor(collection: str, after: str) -> str:
    """An opaque cursor: the page after record ``after`` of ``collection``."""
    raw = orjson.dumps({"c": collection, "after": after})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(collection: str, text: str | None) -> str | None:
    """The id a cursor this API gave for ``collection`` continues after."""
    if text is None:
        return None
    bad = BadInput(f"cursor {text[:80]!r}: not a cursor this API gave for {collection}")
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        data = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        raise bad from None
    if (
        not isinstance(data, dict)
        or data.get("c") != collection
        or not isinstance(data.get("after"), str)
    ):
        raise bad
    return data["after"]


def parse_as_of(text: str | None) -> str | None:
    """``as_of`` as the store reads it (ISO 8601; a date alone is the end of that day, UTC)."""
    from clearground.store.base import parse_as_of as parse

    if text is None:
        return None
    try:
        return parse(text)
    except BadInput:
        raise BadInput(
            f"as_of {text!r}: not an ISO 8601 date or time (e.g. 2026-05-01 or "
            "2026-05-01T12:00:00Z)"
        ) from None


def parse_if_match(text: str | None) -> int:
    """The version an ``If-Match`` header names: ``"3"`` (the ETag this API sends) or ``3``."""
    if text is None or not text.strip():
        raise PreconditionRequired(
            "this write needs an If-Match header with the version you read (the ETag of "
            'GET on the record, e.g. If-Match: "3"), so that it cannot overwrite a newer one'
        )
    raw = text.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    if not raw.isdigit() or len(raw) > 12:
        raise BadInput(f'If-Match {text[:40]!r}: give the record\'s version, e.g. "3"')
    return int(raw)


def _problem(description: str) -> dict[str, Any]:
    schema = {
        "type": "object",
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer"},
            "detail": {"type": "string"},
            "problems": {"type": "array"},
            "request_id": {"type": "string"},
            # with lang=uk (a page): the same in Ukrainian
            "title_uk": {"type": "string"},
            "detail_uk": {"type": "string"},
            "problems_uk": {"type": "array"},
        },
        "required": ["type", "title", "status", "detail"],
    }
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


#: The failures every ``/api/v1`` route may answer, documented in ``/openapi.json``.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _problem("Bad input: a parameter, header or body this endpoint cannot take"),
    401: _problem("Not signed in (the public), or a bad Bearer token: signing in may help"),
    403: _problem("The signed-in role may not do this"),
    404: _problem("No such record, collection or import"),
    409: _problem("A stale If-Match: the body holds current_version and current"),
    413: _problem("An upload or body past upload_limit_mb"),
    422: _problem("Well-formed but refused: every problem listed"),
    428: _problem("A write without If-Match"),
    429: _problem("Past a rate limit: Retry-After says when to ask again"),
    503: _problem("The database is unavailable or busy: try again"),
}
