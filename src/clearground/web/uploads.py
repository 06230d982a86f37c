"""Request bodies and file uploads, read in chunks and never past ``upload_limit_mb``.

An upload is streamed to a temporary file on disk (one chunk in memory at a time); the moment
it passes the limit the server stops reading and answers 413. A body whose ``Content-Length``
already says it is too large is refused before a byte of it is read.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

from fastapi import Request

from clearground.domain.errors import BadInput
from clearground.web.api_params import ContentTooLarge

__all__ = ["limit_bytes", "read_body", "receive_file", "safe_name"]

#: What a multipart envelope (boundaries, part headers, small fields) may add to the file.
_ENVELOPE = 64 * 1024
_CHUNK = 1 << 20


def limit_bytes(request: Request) -> int:
    return int(request.app.state.web.settings.upload_limit_mb * 1024 * 1024)


def _too_large(limit: int) -> ContentTooLarge:
    return ContentTooLarge(
        f"the upload is larger than this server accepts ({limit / 1048576:g} MiB, the "
        "upload_limit_mb setting); nothing was read past it"
    )


def _refuse_declared(request: Request, most: int, limit: int) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > most:
        raise _too_large(limit)


async def _limited(request: Request, most: int, limit: int) -> AsyncIterator[bytes]:
    seen = 0
    async for chunk in request.stream():
        seen += len(chunk)
        if seen > most:
            raise _too_large(limit)
        yield chunk


async def read_body(request: Request) -> bytes:
    """The whole body of a request (a JSON document), at most ``upload_limit_mb``."""
    limit = limit_bytes(request)
    _refuse_declared(request, limit, limit)
    parts = [chunk async for chunk in _limited(request, limit, limit)]
    return b"".join(parts)


def safe_name(filename: str | None) -> str:
    """The base name of an uploaded file, with only letters, digits, ``._-``: its ending (which
    picks the format) is kept; no path of the client's ever reaches the disk."""
    base = re.split(r"[\\/]", filename or "")[-1]
    cleaned = re.sub(r"[^\w.-]", "_", base, flags=re.ASCII).lstrip(".")
    return cleaned[:200] or "upload"


async def receive_file(request: Request, directory: Path) -> tuple[Path, str]:
    """The multipart field ``file`` of ``request``, written to ``directory``; returns its path
    and the name the client gave it (for messages)."""
    from starlette.datastructures import UploadFile
    from starlette.formparsers import MultiPartException, MultiPartParser

    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise BadInput(
            "send the file as multipart/form-data, in a field named 'file' "
            "(curl -F file=@hazards.geojson URL)"
        )
    limit = limit_bytes(request)
    _refuse_declared(request, limit + _ENVELOPE, limit)
    parser = MultiPartParser(
        request.headers, _limited(request, limit + _ENVELOPE, limit), max_files=1, max_fields=16
    )
    try:
        form = await parser.parse()
    except MultiPartException as exc:
        raise BadInput(f"the upload is not a readable multipart form: {exc.message}") from None
    try:
        upload = form.get("file")
        if not isinstance(upload, UploadFile):
            raise BadInput("the upload has no file in a field named 'file'")
        if (upload.size or 0) > limit:
            raise _too_large(limit)
        name = safe_name(upload.filename)
        path = directory / name
        with path.open("wb") as out:
            while chunk := await upload.read(_CHUNK):
                out.write(chunk)
        return path, upload.filename or name
    finally:
        await form.close()
