"""One family of errors for the whole program.

Each class carries the exit code the CLI uses and the HTTP status the web layer uses, so both
apply them in one place. ``message`` is for the user; ``detail`` is for logs only.
"""

from __future__ import annotations


class CleargroundError(Exception):
    """Base of every error clearground raises on purpose."""

    exit_code: int = 1
    http_status: int = 500
    title: str = "Internal error"

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class BadInput(CleargroundError):
    """The user's input is wrong: a file, an argument, a value."""

    exit_code = 2
    http_status = 400
    title = "Bad input"


class ImportRejected(BadInput):
    """An import found problems; nothing was written.

    ``problems`` holds one line per problem, each ``FILE:feature N: reason``.
    """

    title = "Import rejected"

    def __init__(self, problems: list[str], *, source: str = "") -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{source}: " if source else ""
        super().__init__(
            f"{head}{n} problem{'s' if n != 1 else ''}; nothing was imported\n"
            + "\n".join(self.problems)
        )


class ReleaseRefused(BadInput):
    """An attempt to lower or close a hazard without land release evidence (IMAS 07.11)."""

    http_status = 422
    title = "Land release refused"


class Forbidden(CleargroundError):
    """The user lacks the permission this needs (for example ``victim_data``)."""

    exit_code = 6
    http_status = 403
    title = "Forbidden"


class Unauthorized(Forbidden):
    """Nobody is signed in, or the sign-in failed (a wrong password, an unknown, revoked or
    expired token): signing in may help, so the web answers 401, not 403. The CLI's exit code
    is Forbidden's."""

    http_status = 401
    title = "Unauthorized"
    #: Sent with the 401 (RFC 9110: a 401 names how to authenticate).
    headers = {"WWW-Authenticate": 'Bearer realm="clearground"'}


class TooManyRequests(CleargroundError):
    """A client asked more often than a rate limit allows; ``retry_after`` is in seconds."""

    exit_code = 7
    http_status = 429
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = max(1, int(retry_after))
        self.headers = {"Retry-After": str(self.retry_after)}


class NotFound(CleargroundError):
    exit_code = 4
    http_status = 404
    title = "Not found"


class Conflict(CleargroundError):
    """An update named a version that is no longer the newest (optimistic concurrency)."""

    exit_code = 3
    http_status = 409
    title = "Conflict"


class StoreError(CleargroundError):
    """The database cannot be opened or is not in the expected state."""

    exit_code = 5
    http_status = 503
    title = "Database unavailable"


class DatabaseUnavailable(StoreError):
    """The database is there in name only for now: missing, never initialised, made by a newer
    clearground, busy past the timeout, full, read-only, or refusing this role. The message
    says which, and what to do, in a user's words (store/errors.py makes them)."""


class TransactionAborted(DatabaseUnavailable):
    """The database aborted a transaction to settle a clash with another one (a deadlock, a
    serialization failure): nothing was written, and running the whole use case again may
    succeed, so ``store.retry.retrying`` does, a few times, before this reaches a user."""
