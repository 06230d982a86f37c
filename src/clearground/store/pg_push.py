"""PostGIS: commits pushed to this process (LISTEN/NOTIFY), so that a warm path can tell "no
commit since" without a round trip per request.

Every write transaction of a :class:`PostgisStore` sends ``NOTIFY clearground_data`` as its first
statement (``PostgisStore._live_writer``); PostgreSQL delivers it at the commit, to every listening
session, and not at all if the transaction rolls back. :class:`Listener` keeps one connection
of its own listening, in a daemon thread, and counts what it receives.

``PostgisStore.change_token()`` is then ``(pushed, this store's commits, second)``:

- a commit of this process changes it before the writing call returns (``commits``);
- a commit of another process changes it as soon as its notification arrives: normally well
  under a millisecond after that commit, but not *before* it, so a check in the same instant
  may still answer from the data as it was (the write is seen by the checks that start after
  the notification is in);
- ``second`` (the monotonic clock's whole second) changes the token at least once a second,
  so a write that sends no notification (SQL typed by hand, an older clearground) is seen
  within a second;
- while the listener is not connected (not yet, or its connection was lost) the token is
  None: the caller reads the data versions (a round trip) as it did without a listener.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = ["CHANNEL", "NOTIFY", "Listener"]

CHANNEL = "clearground_data"
NOTIFY = f"NOTIFY {CHANNEL}"
#: How long the listener waits before connecting again after losing its connection.
RETRY_S = 1.0


class Listener:
    """One listening connection in a daemon thread, counting the notifications it receives."""

    def __init__(self, connect: Callable[[], Any]) -> None:
        self._connect = connect
        self.pushed = 0
        self.listening = False
        self._stop = threading.Event()
        self._conn: Any = None
        self._thread = threading.Thread(target=self._run, name="clearground-listen", daemon=True)
        self._started = threading.Lock()
        self._alive = False

    def start(self) -> None:
        with self._started:
            if not self._alive and not self._stop.is_set():
                self._alive = True
                self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn = self._conn = self._connect()
                conn.execute(f"LISTEN {CHANNEL}")
                self.pushed += 1  # anything may have been missed while not listening
                self.listening = True
                while not self._stop.is_set():
                    for _ in conn.notifies(timeout=0.25):
                        self.pushed += 1
            except Exception:  # noqa: BLE001 - lost or refused: readers fall back, retry later
                pass
            finally:
                self.listening = False
                self._close_conn()
            self._stop.wait(RETRY_S)

    def _close_conn(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # closing a lost connection
                conn.close()

    def token(self, commits: int) -> tuple[int, int, int] | None:
        if not self.listening:
            return None
        return (self.pushed, commits, int(time.monotonic()))

    def close(self) -> None:
        self._stop.set()
        self.listening = False
        if self._alive:
            self._thread.join(timeout=5)
        self._close_conn()
