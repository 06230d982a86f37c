"""Deadlocks and serialization failures are retried: the whole use case runs again.

Why the whole use case, and why here: PostgreSQL resolves a deadlock (or, at a stricter
isolation level, a serialization failure) by aborting one of the transactions. Nothing of it was
written, but its reads may be stale, so re-running its statements is not enough: the use case
must read, decide and write again. A use case is one function holding one ``with
store.transaction()`` block whose only effects are in that transaction (the architecture's
rule), so running the function again is safe; :func:`retrying` does that, a bounded number of
times with a short random backoff, before the ``TransactionAborted`` reaches the user.

Only ``TransactionAborted`` is retried: the database said the transaction was rolled back. A
connection lost during COMMIT (outcome unknown) is never retried here; the import ledger decides
what a repeated import does. Nested use cases (one calling another) retry only at the outermost.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from clearground.domain.errors import TransactionAborted

__all__ = ["ATTEMPTS", "retrying"]

#: Runs of a use case in all before its ``TransactionAborted`` is reported.
ATTEMPTS = 3
_BACKOFF_S = 0.05

P = ParamSpec("P")
R = TypeVar("R")
_depth = threading.local()


def retrying(fn: Callable[P, R]) -> Callable[P, R]:
    """``fn`` (a use case: one transaction) run again when the database aborted its
    transaction to settle a clash with another, up to ``ATTEMPTS`` runs in all."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        outer = not getattr(_depth, "n", 0)
        _depth.n = getattr(_depth, "n", 0) + 1
        try:
            attempt = 1
            while True:
                try:
                    return fn(*args, **kwargs)
                except TransactionAborted as exc:
                    if not outer:
                        raise
                    if attempt >= ATTEMPTS:
                        raise TransactionAborted(
                            f"{exc.message} (tried {attempt} times)", detail=exc.detail
                        ) from exc
                # grows with each attempt, jittered so that two racing commands part ways
                time.sleep(_BACKOFF_S * (2 ** (attempt - 1)) * (0.5 + random.random()))
                attempt += 1
        finally:
            _depth.n -= 1

    return run
