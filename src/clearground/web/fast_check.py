"""``GET /api/v1/check`` by the anonymous public, answered without the framework's routing.

The point check is the server's busiest route, and for a warm index its answer costs tens of
microseconds while FastAPI's routing, dependency resolution and query validation cost ten
times that. :class:`FastCheck` answers the one common case itself, *inside* the request log
and the check's rate limit (web/logs.py, web/auth.py: every request still has its id, its
one JSON line and its limit), with what the route would answer:

- only ``GET /api/v1/check`` with no ``Authorization`` header and no cookie at all (the
  anonymous ``public``, as ``auth.identify`` finds it; the principal is recorded for the log
  line as the route's dependency records it);
- only a query of plain decimal ``lon``, ``lat`` and optional ``buffer_m`` and ``lang``, each
  once and within the route's bounds;
- only a warm answer (``CheckIndex.check_if_warm``: the same service, the same projections);
  the route's own encoding (orjson, ``application/json``).

Anything else (a bad value, a signed-in caller, a cold index, an error such as a swapped
coordinate) goes on to the FastAPI route, which validates, answers or refuses it as before,
and which alone is described in the OpenAPI document.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["FastCheck"]

PATH = "/api/v1/check"
_NUMBER = re.compile(rb"-?[0-9]{1,9}(?:\.[0-9]{1,17})?")
_LANG = re.compile(rb"[A-Za-z][A-Za-z_-]{0,15}")
#: The route's bounds (web/api.py ``check_point``).
_BOUNDS = {b"lon": (-180.0, 180.0), b"lat": (-90.0, 90.0), b"buffer_m": (0.0, 100_000.0)}


def parse_query(raw: bytes) -> tuple[float, float, float, str | None] | None:
    """``(lon, lat, buffer_m, lang)`` of a plain query string, None for anything else."""
    values: dict[bytes, Any] = {}
    for part in raw.split(b"&"):
        name, eq, value = part.partition(b"=")
        if not eq or name in values:
            return None
        if name == b"lang":
            if not _LANG.fullmatch(value):
                return None
            values[name] = value.decode("ascii")
            continue
        bounds = _BOUNDS.get(name)
        if bounds is None or not _NUMBER.fullmatch(value):
            return None
        number = float(value)
        if not bounds[0] <= number <= bounds[1]:
            return None
        values[name] = number
    if b"lon" not in values or b"lat" not in values:
        return None
    return values[b"lon"], values[b"lat"], values.get(b"buffer_m", 200.0), values.get(b"lang")


class FastCheck:
    """ASGI middleware: the anonymous, warm point check (see the module's text)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._region: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "GET":
            body = self._answer(scope)
            if body is not None:
                from clearground.web.deps import PUBLIC_PRINCIPAL

                scope.setdefault("state", {})["principal"] = PUBLIC_PRINCIPAL
                headers = [
                    (b"content-length", str(len(body)).encode("latin-1")),
                    (b"content-type", b"application/json"),
                ]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)

    def _answer(self, scope: dict) -> bytes | None:
        for name, _ in scope.get("headers", ()):
            if name == b"authorization" or name == b"cookie":
                return None  # maybe signed in: the route works out who
        query = parse_query(scope.get("query_string") or b"")
        if query is None:
            return None
        import orjson
        import shapely

        from clearground.services.check_index import shared_index

        lon, lat, buffer_m, lang = query
        state = scope["app"].state.web
        if self._region is None:
            self._region = state.settings.operating_region  # settings do not change
        try:
            answer = shared_index(state.store).check_if_warm(
                shapely.Point(lon, lat), buffer_m=buffer_m, region=self._region
            )
            if answer is None:
                return None  # cold, or a database round trip: the route, in a worker thread
            if lang:
                from clearground.web.pages.check_messages import with_language

                answer = with_language(answer, lang)
            return orjson.dumps(answer, option=orjson.OPT_SERIALIZE_NUMPY)
        except Exception:  # noqa: BLE001 - a refusal (swapped) or worse: the route answers it
            return None
