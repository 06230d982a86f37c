"""Batches of numerical work run in worker processes, at most one waiting per worker.

Spawned processes, not threads: the work (shapely, pyproj, numpy on many small arrays) holds
Python's lock for most of its time, so threads would not run side by side. At most ``workers``
batches are in flight at once, which bounds memory; each result is handed to ``on_done`` as soon
as the next batch needs its place, so the caller uses results while later batches run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Batches:
    """Run ``fn(*args)`` per batch here (``workers`` 1) or in ``workers`` processes."""

    def __init__(self, on_done: Callable[[object, Any], None], *, workers: int = 1) -> None:
        self.on_done, self.workers = on_done, workers
        self.pending: list = []
        self.pool = None
        if workers > 1:
            from concurrent.futures import ProcessPoolExecutor
            from multiprocessing import get_context

            self.pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"))

    def submit(self, key: object, fn: Callable[..., Any], *args: Any) -> None:
        if self.pool is None:
            self.on_done(key, fn(*args))
            return
        while len(self.pending) >= self.workers:
            self._finish_first()
        self.pending.append((key, self.pool.submit(fn, *args)))

    def _finish_first(self) -> None:
        key, future = self.pending.pop(0)
        self.on_done(key, future.result())

    def finish(self) -> None:
        """Wait for every batch still running, handing each to ``on_done`` in order."""
        while self.pending:
            self._finish_first()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def __enter__(self) -> Batches:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
