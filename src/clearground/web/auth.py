"""Signing in: session cookies for browsers, Bearer tokens for programs, CSRF, rate limits.

- ``POST /api/v1/login`` (JSON or a form with ``name`` and ``password``) starts a session: its
  cookie is HttpOnly, SameSite=Lax, Secure unless the request is on loopback, and signed (HMAC
  SHA-256) with a key made from the ``secret_key`` setting, or, without one (loopback or
  ``--dev``), with a random key of this process: sessions then end when the server stops, and
  with several ``--workers`` a session works only on the worker that made it.
- A write (POST, PUT, PATCH, DELETE) authenticated by the cookie needs the header
  ``X-CSRF-Token`` with the token given at login and by ``GET /api/v1/me``; a Bearer request
  needs none (a browser cannot add that header to a cross-site request).
- Rate limits, per client address and server process, over a sliding minute: sign-ins and failed
  Bearer tokens (``login_rate_limit``), and anonymous checks (``check_rate_limit``): 429 with
  ``Retry-After``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import threading
import time
from collections import OrderedDict, deque
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, BackgroundTasks, Depends, FastAPI, Request, Response
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from clearground.config import Settings
from clearground.domain.errors import BadInput, Forbidden, TooManyRequests, Unauthorized
from clearground.web.deps import PUBLIC_PRINCIPAL, Principal, principal, principal_of

__all__ = ["RateLimiter", "Signer", "identify", "install", "router"]

SESSION_COOKIE = "clearground_session"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
#: Paths whose anonymous callers ``check_rate_limit`` holds back.
CHECK_PATHS = frozenset({"/api/v1/check"})
_LOGIN_BODY_LIMIT = 64 * 1024
#: The key of this process, for a server without ``secret_key`` (loopback or --dev).
_PROCESS_KEY = secrets.token_bytes(32)

router = APIRouter()


class RateLimiter:
    """At most ``limit`` hits per ``window`` seconds per key, over a sliding window (the time
    of each hit is kept); the least recently used keys are forgotten past ``max_keys``."""

    def __init__(self, limit: int, window: float = 60.0, max_keys: int = 100_000) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._hits: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, key: str, now: float) -> deque[float]:
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque()
            while len(self._hits) > self.max_keys:
                self._hits.popitem(last=False)
        self._hits.move_to_end(key)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        return hits

    def hit(self, key: str, now: float | None = None) -> float:
        """Count a hit of ``key`` and return 0, or, past the limit, count nothing and return
        the seconds until the next is allowed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            hits = self._recent(key, now)
            if len(hits) >= self.limit:
                return hits[0] + self.window - now
            hits.append(now)
            return 0.0


class Signer:
    """Signs session cookies (``SECRET.EXPIRES.MAC``) and derives their CSRF tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, text: str) -> str:
        digest = hmac.new(self._key, text.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, secret: str, expires: int) -> str:
        body = f"{secret}.{expires}"
        return f"{body}.{self._mac('session:' + body)}"

    def unsign(self, value: str, now: float | None = None) -> str | None:
        """The session secret of a cookie this server signed and that has not expired."""
        secret, _, rest = value.partition(".")
        expires, _, mac = rest.partition(".")
        if not (secret and expires.isdigit() and mac):
            return None
        if not hmac.compare_digest(mac, self._mac(f"session:{secret}.{expires}")):
            return None
        if int(expires) <= (time.time() if now is None else now):
            return None
        return secret

    def csrf(self, secret: str) -> str:
        return self._mac("csrf:" + secret)


@dataclass
class AuthState:
    """What one app keeps for signing in: its signer and its rate limiters."""

    signer: Signer
    random_key: bool
    logins: RateLimiter
    failures: RateLimiter  # failed Bearer tokens
    checks: RateLimiter

    @classmethod
    def make(cls, settings: Settings) -> AuthState:
        if settings.secret_key:
            key = hashlib.sha256(b"clearground session\0" + settings.secret_key.encode()).digest()
        else:
            key = _PROCESS_KEY
        return cls(
            signer=Signer(key),
            random_key=not settings.secret_key,
            logins=RateLimiter(settings.login_rate_limit),
            failures=RateLimiter(settings.login_rate_limit),
            checks=RateLimiter(settings.check_rate_limit),
        )


def _auth(request: Request) -> AuthState:
    return request.app.state.auth


def client_address(scope_or_request: Any) -> str:
    """The client's address (as the socket says: forwarded headers are not trusted)."""
    client = scope_or_request.get("client") if isinstance(scope_or_request, dict) else None
    if client is None and not isinstance(scope_or_request, dict):
        client = scope_or_request.client
    return client[0] if client else "unknown"


def _is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def on_loopback(request: Request) -> bool:
    """Whether the request came from this machine, to a loopback name, over no proxy: only then
    is a cookie sent without ``Secure`` (a browser on loopback may use plain http)."""
    if request.url.scheme == "https":
        return False
    if any(h in request.headers for h in ("forwarded", "x-forwarded-for", "x-forwarded-proto")):
        return False
    return _is_loopback(client_address(request)) and _is_loopback(request.url.hostname)


def _too_many(wait: float, what: str) -> TooManyRequests:
    message = f"too many {what} from this address; try again later"
    return TooManyRequests(message, retry_after=int(wait) + 1)


# -- who is asking ----------------------------------------------------------------------------


def identify(request: Request, background: BackgroundTasks | None = None) -> Principal:
    """Who makes ``request``: the user of its Bearer token, else of its session cookie, else
    the anonymous public. A bad token is 401 (never the public: a program should know); a
    cookie-authenticated write without the right ``X-CSRF-Token`` is 403."""
    from clearground.services import accounts

    state = request.app.state.web
    auth = _auth(request)
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, credential = header.partition(" ")
        if scheme.lower() != "bearer" or not credential.strip():
            raise Unauthorized("send a token as 'Authorization: Bearer TOKEN'")
        try:
            user, token = accounts.authenticate_token(state.store, credential.strip())
        except Unauthorized:
            wait = auth.failures.hit(client_address(request))
            if wait:
                raise _too_many(wait, "failed tokens") from None
            raise
        if background is not None:
            background.add_task(_note_use, state.store, token)
        request.state.via = "token"
        return principal_of(user)
    cookie = request.cookies.get(SESSION_COOKIE)
    secret = auth.signer.unsign(cookie) if cookie else None
    if secret is not None:
        try:
            user = accounts.session_user(state.store, secret)
        except Unauthorized:
            return PUBLIC_PRINCIPAL  # an ended session: the public, who may sign in again
        if request.method in UNSAFE:
            # the header, or (web/pages: an HTML form) its ``csrf_token`` field
            sent = request.headers.get(CSRF_HEADER) or getattr(request.state, "csrf_form", "")
            if not hmac.compare_digest(sent.encode(), auth.signer.csrf(secret).encode()):
                raise Forbidden(
                    f"a write with a session cookie needs the {CSRF_HEADER} header with the "
                    "token given at login (and by GET /api/v1/me)"
                )
        request.state.via = "session"
        request.state.session_secret = secret
        return principal_of(user)
    return PUBLIC_PRINCIPAL


def _note_use(store: Any, token: Any) -> None:
    """A token's last use, written after the response (a failure is logged, not answered)."""
    import logging

    from clearground.services.accounts import note_token_use

    try:
        note_token_use(store, token)
    except Exception:  # noqa: BLE001 - the request was answered; the log has it
        logging.getLogger("clearground.web").warning("could not record a token's last use")


def who_json(who: Principal, request: Request) -> dict[str, Any]:
    """What ``/me`` says of the caller (never a password hash or a token)."""
    via = getattr(request.state, "via", None)
    body: dict[str, Any] = {
        "name": who.name,
        "role": who.role,
        "organisation": who.organisation or None,
        "permissions": sorted(who.permissions),
        "signed_in": who.role != "public",
        "via": via,
    }
    secret = getattr(request.state, "session_secret", None)
    if secret is not None:
        body["csrf_token"] = _auth(request).signer.csrf(secret)
    return body


# -- routes -----------------------------------------------------------------------------------


def parse_credentials(content_type: str, body: bytes) -> tuple[str, str]:
    """``name`` and ``password`` from a JSON object or a form; BadInput naming what is wrong."""
    kind = content_type.split(";")[0].strip().lower()
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("the sign-in request is not UTF-8 text") from None
    if kind == "application/json":
        try:
            data = json.loads(text)
        except ValueError:
            raise BadInput("the sign-in request is not valid JSON") from None
        if not isinstance(data, dict):
            raise BadInput('give {"name": ..., "password": ...}')
    elif kind == "application/x-www-form-urlencoded":
        form = parse_qs(text, keep_blank_values=True, max_num_fields=10)
        data = {k: v[0] for k, v in form.items()}
    else:
        raise BadInput("send name and password as application/json or a form")
    name, password = data.get("name"), data.get("password")
    if not isinstance(name, str) or not isinstance(password, str) or not name or not password:
        raise BadInput("give both name and password, as text")
    return name, password


_LOGIN_BODY = {
    "required": True,
    "content": {
        media: {
            "schema": {
                "type": "object",
                "required": ["name", "password"],
                "properties": {"name": {"type": "string"}, "password": {"type": "string"}},
            }
        }
        for media in ("application/json", "application/x-www-form-urlencoded")
    },
}


@router.post("/api/v1/login", openapi_extra={"requestBody": _LOGIN_BODY})
async def login(request: Request) -> JSONResponse:
    """Sign in with name and password: a session cookie, and the CSRF token its writes need.
    A wrong password and an unknown user get the same 401."""
    from clearground.services.accounts import authenticate_password, start_session

    auth = _auth(request)
    wait = auth.logins.hit(client_address(request))
    if wait:
        raise _too_many(wait, "sign-ins")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > _LOGIN_BODY_LIMIT:
            raise BadInput("the sign-in request is too long")
    name, password = parse_credentials(request.headers.get("content-type", ""), bytes(body))
    state = request.app.state.web
    user = await run_in_threadpool(authenticate_password, state.store, name, password)
    hours = state.settings.session_hours
    secret = await run_in_threadpool(start_session, state.store, user, hours=hours)
    who = principal_of(user)
    request.state.via = "session"
    request.state.session_secret = secret
    response = JSONResponse(who_json(who, request))
    set_session_cookie(request, response, secret)
    return response


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    """Give ``response`` the signed cookie of session ``secret`` (the JSON and the page
    sign-in share it)."""
    auth = _auth(request)
    max_age = int(request.app.state.web.settings.session_hours * 3600)
    expires = int(time.time()) + max_age
    response.set_cookie(
        SESSION_COOKIE,
        auth.signer.sign(secret, expires),
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=not on_loopback(request),
    )


@router.post("/api/v1/logout", status_code=204)
def logout(request: Request, who: Annotated[Principal, Depends(principal)]) -> Response:
    """End this browser's session (a cookie-authenticated call needs ``X-CSRF-Token``)."""
    from clearground.services.accounts import end_session

    secret = getattr(request.state, "session_secret", None)
    if secret is not None:
        end_session(request.app.state.web.store, secret)
    response = Response(status_code=204)
    response.delete_cookie(
        SESSION_COOKIE, path="/", httponly=True, samesite="lax", secure=not on_loopback(request)
    )
    return response


@router.get("/api/v1/me")
def me(request: Request, who: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
    """Who the caller is: name, role, organisation, permissions, and for a browser session the
    CSRF token its writes need."""
    return who_json(who, request)


# -- the check's rate limit -------------------------------------------------------------------


class CheckRateLimit:
    """ASGI middleware: anonymous callers of the checks (no Authorization header, no valid
    session cookie) get ``check_rate_limit`` a minute per address, then 429."""

    def __init__(self, app: Any, auth: AuthState) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] in CHECK_PATHS and self._anonymous(scope):
            wait = self.auth.checks.hit(client_address(scope))
            if wait:
                from clearground.web.errors import problem

                response = problem(429, _too_many(wait, "checks").message)
                response.headers["Retry-After"] = str(int(wait) + 1)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _anonymous(self, scope: dict) -> bool:
        from http.cookies import CookieError, SimpleCookie

        for name, value in scope.get("headers", ()):
            if name == b"authorization":
                return False
            if name == b"cookie":
                try:
                    jar = SimpleCookie(value.decode("latin-1"))
                except CookieError:
                    continue
                morsel = jar.get(SESSION_COOKIE)
                if morsel is not None and self.auth.signer.unsign(morsel.value):
                    return False
        return True


def install(app: FastAPI, settings: Settings) -> None:
    """Add sign-in to ``app``: its routes, its signer and limits, the check's rate limit."""
    auth = AuthState.make(settings)
    app.state.auth = auth
    app.include_router(router)
    app.add_middleware(CheckRateLimit, auth=auth)
