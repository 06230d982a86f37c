"""Structured logs of the server: one JSON line per request, and JSON lines for everything else
it logs, each with the request's id.

A request's id is its ``X-Request-ID`` header if that is a plain token (letters, digits and
``._:-``, at most 128 characters; anything else could forge log lines), else a new random one;
it comes back in the response's ``X-Request-ID`` header and in every problem+json body.

What a line never holds: query values (a place, a name searched for), request or response
bodies, headers (tokens, cookies, passwords), exception messages (a database error can quote a
value). It holds the query's parameter names, the path, the status, the time taken and who asked
(account name and role) — enough to follow a request without personal data.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import time
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

__all__ = [
    "ACCESS",
    "JsonFormatter",
    "RequestLog",
    "current_request_id",
    "log_config",
    "valid_request_id",
]

ACCESS = logging.getLogger("clearground.web.access")
HEADER = b"x-request-id"
_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
#: Longest path written to a line (a path is ids and names of routes; past this it is cut).
_MAX_PATH = 256

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "clearground_request_id", default=None
)


def current_request_id() -> str | None:
    """The id of the request being served in this context (None outside a request)."""
    return _request_id.get()


def valid_request_id(value: str | None) -> str | None:
    """``value`` if it is an acceptable request id, else None."""
    if value is not None and _VALID.fullmatch(value):
        return value
    return None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """A record as one JSON line. An exception adds its class and where it happened (files,
    lines, functions), never its message, which may quote data."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = getattr(record, "fields", None) or {}
        if not line:
            line = {"time": _now(), "level": record.levelname.lower(), "logger": record.name}
            line["message"] = record.getMessage()
            rid = current_request_id()
            if rid is not None:
                line["request_id"] = rid
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = type(exc).__name__
            line["where"] = [
                f"{f.filename}:{f.lineno} {f.name}"
                for f in traceback.extract_tb(exc.__traceback__)[-8:]
            ]
        return json.dumps(line, ensure_ascii=False, default=str)


def _principal(scope: dict) -> tuple[str | None, str | None]:
    who = (scope.get("state") or {}).get("principal")
    if who is None:
        return None, None
    return getattr(who, "name", None), getattr(who, "role", None)


def _query_names(scope: dict) -> list[str]:
    from urllib.parse import parse_qsl

    raw = scope.get("query_string") or b""
    if not raw:
        return []
    text = raw.decode("latin-1")
    if "%" not in text and "+" not in text:  # nothing to unquote: parse_qsl's names, cheaply
        names = {part.partition("=")[0] for part in text.split("&") if part}
    else:
        names = {k for k, _ in parse_qsl(text, keep_blank_values=True)}
    return sorted(n[:64] for n in names)[:32]


class RequestLog:
    """ASGI middleware: the request id (context, response header) and one access line per
    request. An exception no handler answered is answered here (a 500 problem+json, see
    ``errors.unexpected``), so that it too has the id and its line."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = next((v for k, v in scope.get("headers", ()) if k == HEADER), None)
        rid = valid_request_id(given.decode("latin-1") if given is not None else None)
        rid = rid or uuid.uuid4().hex
        _request_id.set(rid)  # not reset: the outer error middleware reads it too
        start = time.perf_counter()
        status = 500
        started = False

        async def send_with_id(message: dict) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status, started = message["status"], True
                headers = [(k, v) for k, v in message.get("headers", ()) if k != HEADER]
                message = {**message, "headers": [*headers, (HEADER, rid.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            if started:
                raise
            from clearground.web.errors import unexpected

            await unexpected(scope, exc)(scope, receive, send_with_id)
        finally:
            self._line(scope, rid, status, start)

    @staticmethod
    def _line(scope: dict, rid: str, status: int, start: float) -> None:
        if not ACCESS.isEnabledFor(logging.INFO):
            return
        name, role = _principal(scope)
        fields = {
            "time": _now(),
            "level": "info",
            "logger": ACCESS.name,
            "request_id": rid,
            "pid": os.getpid(),  # which worker of ``serve --workers N``
            "method": scope.get("method"),
            "path": (scope.get("root_path", "") + scope.get("path", ""))[:_MAX_PATH],
            "query": _query_names(scope),
            "status": status,
            "duration_ms": round((time.perf_counter() - start) * 1000, 2),
            "user": name,
            "role": role,
        }
        # ``ACCESS.info`` without its search of the stack for the caller (the line does not
        # name one): a record made and handled as ``Logger._log`` makes and handles it
        record = ACCESS.makeRecord(
            ACCESS.name, logging.INFO, __file__, 0, "request", (), None, extra={"fields": fields}
        )
        ACCESS.handle(record)


def log_config(level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for uvicorn and clearground: JSON lines on stderr, no
    uvicorn access log (it prints query strings)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {"json": handler},
        "loggers": {
            "uvicorn": {"handlers": ["json"], "level": "WARNING", "propagate": False},
            "uvicorn.error": {"handlers": ["json"], "level": "WARNING", "propagate": False},
            "uvicorn.access": {"handlers": [], "level": "CRITICAL", "propagate": False},
            "clearground": {"handlers": ["json"], "level": level, "propagate": False},
        },
    }
