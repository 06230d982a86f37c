"""The warm check: the current hazards (and what coverage reads) kept in memory, so that a
server's ``GET /api/v1/check`` costs about a bare STRtree query instead of a database round trip
per candidate.

``CheckIndex(store).check(query, buffer_m, region)`` gives exactly what ``services.check.check``
gives, because it *is* that function: it runs it over a :class:`_Snapshot` of the store, an
in-memory stand-in answering the few reads a check makes (``within_distance`` and ``in_bbox`` by
an STRtree over the records' bounding boxes, then the same exact shapely step ``nearest`` as
both engines; ``count``; ``list``), so the hazards, distances, wording and coverage answer cannot
differ. Before each check it reads the data versions (``Store.data_versions``, cheap: on SQLite a
``PRAGMA data_version``, see ``store.versions``) of the three kinds a check reads; when one
changed (a write by this or any other process), the snapshot is rebuilt from the store before
answering. A past state (``as_of``) is read from the store itself.
"""

from __future__ import annotations

import math
import threading
import weakref
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.validation import UKRAINE, Region
from clearground.services.check import DEFAULT_BUFFER_M, check
from clearground.store.base import Store, Version, nearest

__all__ = ["CheckIndex", "shared_index"]

#: The kinds a check reads (``services.check`` and ``services.coverage``).
KINDS = ("hazard", "coverage", "location")


class _Kind:
    """The current records of one kind with an STRtree over their bounding boxes."""

    def __init__(self, versions: list[Version]) -> None:
        self.versions = versions  # in id order, as the stores list them
        self.tree = None
        if versions:
            geoms = np.array([v.record.geometry for v in versions], dtype=object)
            self.tree = shapely.STRtree(shapely.box(*shapely.bounds(geoms).T))

    def in_bbox(self, bounds: tuple[float, float, float, float]) -> list[Version]:
        """Records whose bounding box meets ``bounds`` (edges included, as the stores)."""
        if self.tree is None:
            return []
        idx = self.tree.query(shapely.box(*bounds))
        if len(idx) > 1:
            idx.sort()
        versions = self.versions
        return [versions[i] for i in idx.tolist()]


class _Snapshot:
    """The reads a check makes, answered from memory as the store answered them when built."""

    def __init__(self, store: Store, versions: dict[str, str]) -> None:
        self.url = store.url
        self.versions = versions
        self._kinds = {k: _Kind(store.list(k)) for k in KINDS}
        #: No coverage area and no administrative area: the coverage is the region's box.
        self.region_only = not self._kinds["coverage"].versions and not (
            self._kinds["location"].versions
        )
        self.hazard_tree = self._kinds["hazard"].tree
        #: Answers that do not depend on the place (see ``_nothing_near``).
        self.templates: dict[tuple, dict[str, Any]] = {}

    def count(self, kind: str) -> int:
        return len(self._kinds[kind].versions)

    def list(self, kind: str, *, as_of: str | None = None) -> list[Version]:
        assert as_of is None
        return list(self._kinds[kind].versions)

    def in_bbox(self, kind: str, bounds, *, as_of: str | None = None) -> list[Version]:
        assert as_of is None
        return self._kinds[kind].in_bbox(tuple(float(b) for b in bounds))

    def within_distance(
        self, kind: str, geometry: Any, metres: float, *, as_of: str | None = None
    ) -> list[tuple[Version, float]]:
        from clearground.analysis.proximity import degree_margin

        assert as_of is None
        return nearest(self.in_bbox(kind, degree_margin(geometry.bounds, metres)), geometry, metres)


class CheckIndex:
    """A check over the current hazards kept in memory, rebuilt when the data version changes.

    Safe to share between threads: a rebuild happens under a lock, and a check uses whichever
    snapshot was current when it started (never a half-built one).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._snapshot: _Snapshot | None = None
        self._lock = threading.Lock()
        self.rebuilds = 0

    def _versions(self) -> dict[str, str]:
        many = getattr(self.store, "data_versions", None)
        if many is not None:
            return many(KINDS)
        return {k: self.store.data_version(k) for k in KINDS}

    def current(self) -> _Snapshot:
        """The snapshot of the data as it is now (rebuilt first if a write committed since)."""
        versions = self._versions()
        snap = self._snapshot
        if snap is not None and snap.versions == versions:
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.versions != versions:
                # The versions were read before the records: a write committing in between
                # makes the next check's versions differ, and that check rebuilds again.
                snap = _Snapshot(self.store, versions)
                self._snapshot = snap
                self.rebuilds += 1
        return snap

    def check_if_warm(
        self, query: BaseGeometry, *, buffer_m: float = DEFAULT_BUFFER_M, region: Region = UKRAINE
    ) -> dict[str, Any] | None:
        """The answer of :meth:`check` if it costs no wait: the store's data versions are read
        locally (``local_versions``: SQLite's pragma, no network) and the snapshot is current.
        None otherwise (a rebuild, or a database round trip): the caller then runs
        :meth:`check` where waiting is harmless (a server: a worker thread, not its event
        loop)."""
        if not getattr(self.store, "local_versions", False):
            return None
        snap = self._snapshot
        if snap is None or snap.versions != self._versions():
            return None
        return self._answer(snap, query, buffer_m, region)

    def check(
        self,
        query: BaseGeometry,
        *,
        buffer_m: float = DEFAULT_BUFFER_M,
        region: Region = UKRAINE,
        as_of: str | None = None,
    ) -> dict[str, Any]:
        """The answer of ``services.check.check`` for the same arguments."""
        if as_of is not None:
            return check(self.store, query, buffer_m=buffer_m, as_of=as_of, region=region)
        return self._answer(self.current(), query, buffer_m, region)

    def _answer(
        self, snap: _Snapshot, query: BaseGeometry, buffer_m: float, region: Region
    ) -> dict[str, Any]:
        quick = _nothing_near(snap, query, buffer_m, region)
        if quick is not None:
            return quick
        return check(snap, query, buffer_m=buffer_m, region=region)  # type: ignore[arg-type]


def _nothing_near(
    snap: _Snapshot, query: BaseGeometry, buffer_m: float, region: Region
) -> dict[str, Any] | None:
    """The answer for a place with no hazard's bounding box within reach, inside the region,
    on a database whose coverage is the region (no coverage or administrative areas): then
    every step of ``services.check.check`` gives the same answer whatever the place (nothing
    found, covered by the region's box, not swapped), so the answer ``check`` gave for the
    first such place is given again (a copy) after one STRtree query. None otherwise: the
    caller runs ``check``."""
    if not snap.region_only or type(query) is not shapely.Point or query.is_empty:
        return None
    if not (math.isfinite(buffer_m) and buffer_m >= 0):
        return None  # check() refuses it, with its message
    x, y = query.x, query.y
    if not (region.min_lon <= x <= region.max_lon and region.min_lat <= y <= region.max_lat):
        return None  # outside (or NaN): check() says what it must
    from clearground.analysis.proximity import degree_margin

    tree = snap.hazard_tree
    if tree is not None and len(tree.query(shapely.box(*degree_margin((x, y, x, y), buffer_m)))):
        return None  # a hazard's box within reach: what in_bbox("hazard", ...) would find
    key = (type(buffer_m), repr(buffer_m), region)  # 200 and 200.0 are written apart
    answer = snap.templates.get(key)
    if answer is None:
        answer = check(snap, query, buffer_m=buffer_m, region=region)  # type: ignore[arg-type]
        if answer["hazards"] or answer["uncovered"]:
            return answer  # not the case described above: never kept as a template
        snap.templates[key] = answer
    return {**answer, "hazards": [], "uncovered": []}


_SHARED: weakref.WeakKeyDictionary[Any, CheckIndex] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_index(store: Store) -> CheckIndex:
    """The one index of ``store`` in this process (a server's routes share it)."""
    with _SHARED_LOCK:
        index = _SHARED.get(store)
        if index is None:
            index = _SHARED[store] = CheckIndex(store)
        return index
