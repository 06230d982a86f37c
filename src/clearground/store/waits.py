"""A wait for a lock says what it waits for, after a few seconds, instead of hanging silently.

Why a hook: the store must not print (the web layer will log instead), so the CLI sets a
reporter (``set_reporter``) and the engines call :func:`report` or use a :class:`Watcher`:

- SQLite waits only to begin a write (``BEGIN IMMEDIATE`` while another writer holds the file),
  and does so in short slices in Python (``sqlite.py``), so it reports from its own thread and
  Ctrl-C stops the wait at once.
- PostgreSQL can wait in any statement (a row, table or advisory lock). A :class:`Watcher`
  thread looks, once an operation has run ``NOTICE_AFTER`` seconds, whether its backend is
  blocked (``pg_blocking_pids``, on a connection of its own) and by whom, and reports it every
  ``REPEAT_EVERY`` seconds while it lasts. Operations shorter than that cost two assignments.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["NOTICE_AFTER", "REPEAT_EVERY", "Watcher", "report", "set_reporter"]

#: Seconds an operation waits before the wait is reported, and between reports.
NOTICE_AFTER = 3.0
REPEAT_EVERY = 10.0

_reporter: Callable[[str], None] | None = None


def set_reporter(fn: Callable[[str], None] | None) -> None:
    """Where wait notices go (the CLI: stderr); None for nowhere (the default)."""
    global _reporter
    _reporter = fn


def active() -> bool:
    return _reporter is not None


def report(what: str, waited: float, limit: float | None = None) -> None:
    """Tell the reporter that an operation has waited ``waited`` s for ``what``."""
    if _reporter is None:
        return
    ends = f"; gives up after {limit:g} s (busy_timeout)" if limit else ""
    with contextlib.suppress(Exception):  # a notice must never break the operation
        _reporter(f"waiting for the database: {what} ({waited:.0f} s so far{ends})...")


class Watcher:
    """Watches operations of one store from one daemon thread, started on first need.

    ``probe(key)`` says what the operation registered under ``key`` waits for (None if it is
    not waiting); it runs in the watcher's thread only. ``close()`` stops the thread and calls
    ``on_close`` there (to close the probe's connection)."""

    def __init__(
        self,
        probe: Callable[[Any], str | None],
        *,
        limit: float | None = None,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self._probe = probe
        self._limit = limit
        self._on_close = on_close
        self._ops: dict[int, tuple[float, Any]] = {}
        self._ids = itertools.count()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def watching(self, key: Callable[[], Any]) -> Iterator[None]:
        """Watch the block; ``key()`` (called only if the block lasts) names what to probe."""
        if _reporter is None or self._stop.is_set():
            yield
            return
        self._start()
        op = next(self._ids)
        self._ops[op] = (time.monotonic(), key)
        try:
            yield
        finally:
            self._ops.pop(op, None)

    def _start(self) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="clearground-wait-watcher", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        told: dict[int, float] = {}
        try:
            while not self._stop.wait(0.5):
                now = time.monotonic()
                for op, (since, key) in list(self._ops.items()):
                    if now - since < NOTICE_AFTER or now - told.get(op, -1e9) < REPEAT_EVERY:
                        continue
                    try:
                        what = self._probe(key())
                    except Exception:
                        what = None
                    if what and op in self._ops:
                        report(what, time.monotonic() - since, self._limit)
                        told[op] = time.monotonic()
                for op in [o for o in told if o not in self._ops]:
                    del told[op]
        finally:
            if self._on_close is not None:
                with contextlib.suppress(Exception):
                    self._on_close()

    def close(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=2)
