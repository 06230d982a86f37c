"""The warm check: the current hazards (and what coverage reads) kept in memory, so that a
server's ``GET /api/v1/check`` costs about a bare STRtree query instead of a database round trip
per candidate.

``CheckIndex(store).check(query, buffer_m, region)`` gives exactly what ``services.check.check``
gives, because it *is* that function: it runs it over a :class:`_Snapshot` of the store, an
in-memory stand-in answering the few reads a check makes (``within_distance`` and ``in_bbox`` by
an STRtree over the records' bounding boxes, then the same exact shapely step ``nearest`` as
both engines; ``count``; ``list``), so the hazards, distances, wording and coverage answer cannot
differ. For a place inside the region of a database whose coverage is the region, the parts of
that answer that cannot depend on the place are taken from the answer ``check`` gave an earlier
place (``_point_answer``), and the hazards near are measured with their projected geometry kept
(``_Kind.nearest_to_point``): the same reads, the same exact step, fewer steps per check.

Before each check it compares the store's ``change_token`` with the one the snapshot was built
at (SQLite: ``PRAGMA data_version``, which every commit to the file changes; PostGIS: commits
pushed to this process by LISTEN/NOTIFY, ``store.pg_push``); only when it differs, or the store
has none, are the data versions read (``Store.data_versions``) of the three kinds a check reads;
when one changed (a write by this or any other process), the snapshot is rebuilt from the store
before answering. A past state (``as_of``) is read from the store itself.
"""

from __future__ import annotations

import math
import threading
import time
import weakref
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.analysis.proximity import (
    aeqd_at,
    aeqd_centre,
    degree_margin,
    near_projected,
    project,
)
from clearground.domain.validation import UKRAINE, Region
from clearground.services.check import DEFAULT_BUFFER_M, check, hazard_entries
from clearground.store.base import Store, Version, nearest

__all__ = ["CheckIndex", "shared_index"]

#: How long (seconds) a read of the store's ``change_token`` is used again (``CheckIndex._token``).
PROBE_EVERY_S = 0.001

#: How many buffers (and regions) a snapshot keeps answers for, and how many counts of hazards
#: found and crossed per buffer; past it they are made again (memory stays bounded whatever
#: anonymous checks ask for).
KEYS_KEPT = 64

#: The kinds a check reads (``services.check`` and ``services.coverage``).
KINDS = ("hazard", "coverage", "location")


class _Kind:
    """The current records of one kind with an STRtree over their bounding boxes."""

    def __init__(self, versions: list[Version]) -> None:
        self.versions = versions  # in id order, as the stores list them
        self.tree = None
        self.geoms = np.array([v.record.geometry for v in versions], dtype=object)
        self.bounds = shapely.bounds(self.geoms).reshape(-1, 4)
        if versions:
            self.tree = shapely.STRtree(shapely.box(*self.bounds.T))
        #: By projection centre: record index -> its geometry densified and projected there
        #: (``proximity.project``), made as checks need them and kept with the snapshot.
        self._projected: dict[tuple[float, float], dict[int, Any]] = {}
        self._kept = 0  # how many are kept: at most twice the records (and 10,000)

    def indices(self, bounds: tuple[float, float, float, float]) -> list[int]:
        """Indices of the records whose bounding box meets ``bounds`` (edges included, as the
        stores), in id order."""
        if self.tree is None:
            return []
        idx = self.tree.query(shapely.box(*bounds))
        if len(idx) > 1:
            idx.sort()
        return idx.tolist()

    def in_bbox(self, bounds: tuple[float, float, float, float]) -> list[Version]:
        """Records whose bounding box meets ``bounds`` (edges included, as the stores)."""
        versions = self.versions
        return [versions[i] for i in self.indices(bounds)]

    def nearest_to_point(
        self, query: shapely.Point, idx: list[int], metres: float
    ) -> list[tuple[Version, float]]:
        """``store.base.nearest`` of the records ``idx`` (in id order) to the point ``query``,
        with the records' projected geometry kept per projection centre: the same projection
        of the same vertices (``proximity.project``, as ``hazards_near`` projects them), then
        the same exact step (``proximity.near_projected``), so the same hazards and metres."""
        centre = aeqd_centre(query)
        t = aeqd_at(*centre)
        kept = self._projected.get(centre)
        if kept is None:
            kept = self._projected.setdefault(centre, {})
        missing = [i for i in idx if i not in kept]
        if missing:  # projected once, when a check first needs them
            self._kept += len(missing)
            if self._kept > 2 * len(self.versions) + 10_000:  # bounded: start again
                self._projected.clear()
                self._kept = len(missing)
                kept = self._projected.setdefault(centre, {})
            kept.update(self._project(t, missing))
        px, py = t.transform(query.x, query.y)
        projected = np.empty(len(idx), dtype=object)
        projected[:] = [kept[i] for i in idx]
        order, dist = near_projected(shapely.Point(px, py), projected, metres)
        versions = self.versions
        return [
            (versions[idx[i]], float(d)) for i, d in zip(order.tolist(), dist.tolist(), strict=True)
        ]

    def _project(self, t, idx: list[int]) -> zip:
        return zip(idx, project(t, self.geoms[idx]).tolist(), strict=True)

    def project_all(self, previous: _Kind | None = None) -> None:
        """Keep every record projected at the centre a check next to it most likely uses (the
        whole degree nearest its box's centre; a check of another centre projects what it
        needs then), taking over from ``previous`` (the snapshot this one replaces) each
        record whose version and geometry are unchanged: a rebuild after an edit projects the
        edited records only."""
        if not self.versions:
            return
        if previous is not None and previous._projected:
            new_index = {(v.id, v.version): j for j, v in enumerate(self.versions)}
            moved = np.array(
                [new_index.get((v.id, v.version), -1) for v in previous.versions], dtype=np.int64
            )
            kept_on = np.flatnonzero(moved >= 0)
            same = np.zeros(len(moved), dtype=bool)
            same[kept_on] = shapely.equals_exact(
                previous.geoms[kept_on], self.geoms[moved[kept_on]], tolerance=0
            )
            to_new = np.where(same, moved, -1).tolist()
            for centre, kept in previous._projected.items():
                here = self._projected.setdefault(centre, {})
                for i, g in kept.items():
                    j = to_new[i]
                    if j >= 0:
                        here[j] = g
        b = self.bounds
        lon0 = np.round((b[:, 0] + b[:, 2]) / 2)
        lat0 = np.round((b[:, 1] + b[:, 3]) / 2)
        ok = np.isfinite(lon0) & np.isfinite(lat0)
        for x, y in set(zip(lon0[ok].tolist(), lat0[ok].tolist(), strict=True)):
            here = self._projected.setdefault((x, y), {})
            todo = [i for i in np.flatnonzero((lon0 == x) & (lat0 == y)).tolist() if i not in here]
            if todo:
                here.update(self._project(aeqd_at(x, y), todo))
        self._kept = sum(len(d) for d in self._projected.values())


class _Grid:
    """Which cells of a fine grid over the hazards' extent some hazard's bounding box meets
    (one byte a cell): "no box meets this rectangle" from a few bytes, no geometry made; and,
    where only small boxes lie, whether one of them meets it, from those boxes' numbers.

    Exact as a prefilter: a cell's index is a monotonic function of the coordinate (float
    subtraction, multiplication by a positive number and truncation never reverse an order),
    so a box and a rectangle sharing a point ``(x, y)`` both cover the cell of that point;
    "no occupied cell" therefore means no box meets the rectangle (edges included, as the
    STRtree's ``query``), and the boxes listed in the rectangle's cells are all the boxes that
    can meet it. A cell a large box covers (more than ``SMALL`` cells a side) holds no list, and
    a rectangle over more than ``WINDOW`` cells a side (a large buffer) is not looked at: the
    STRtree settles those."""

    CELLS = 4096  # along the longer side: at most 16 MiB, about 500 m a cell in Ukraine
    WINDOW = 4
    SMALL = 4  # boxes at most this many cells a side are listed in their cells
    LARGE = 2  # the byte of a cell a large box covers

    def __init__(self, bounds: np.ndarray) -> None:
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        self.x1, self.y1 = float(bounds[:, 2].max()), float(bounds[:, 3].max())
        side = max(self.x1 - self.x0, self.y1 - self.y0, 1e-9) / self.CELLS
        self.nx = max(1, min(self.CELLS, math.ceil((self.x1 - self.x0) / side)))
        self.ny = max(1, min(self.CELLS, math.ceil((self.y1 - self.y0) / side)))
        self.sx = self.sy = 1.0 / side
        i0 = self._cells(bounds[:, 0], self.x0, self.sx, self.nx)
        i1 = self._cells(bounds[:, 2], self.x0, self.sx, self.nx)
        j0 = self._cells(bounds[:, 1], self.y0, self.sy, self.ny)
        j1 = self._cells(bounds[:, 3], self.y0, self.sy, self.ny)
        occupied = np.zeros((self.ny, self.nx), dtype=np.uint8)
        small = (i1 - i0 < self.SMALL) & (j1 - j0 < self.SMALL)
        cell_of, box_of = [], []
        for dj in range(self.SMALL):
            for di in range(self.SMALL):
                m = np.flatnonzero(small & (j0 + dj <= j1) & (i0 + di <= i1))
                occupied[j0[m] + dj, i0[m] + di] = 1
                cell_of.append((j0[m] + dj) * self.nx + i0[m] + di)
                box_of.append(m)
        for k in np.flatnonzero(~small).tolist():
            occupied[j0[k] : j1[k] + 1, i0[k] : i1[k] + 1] = self.LARGE
        self.cells = occupied.tobytes()
        # each cell's small boxes, as tuples of floats (a check compares them in Python)
        cell = np.concatenate(cell_of)
        box = np.concatenate(box_of)
        order = np.argsort(cell, kind="stable")
        cell, box = cell[order], box[order]
        self.boxes: dict[int, tuple] = {}  # cell -> its small boxes (x0, y0, x1, y1, number)
        if len(cell):
            starts = np.flatnonzero(np.r_[True, cell[1:] != cell[:-1]])
            ends = np.r_[starts[1:], len(cell)]
            rows = [(*b, k) for k, b in enumerate(bounds.tolist())]  # the box, its number
            box_list = box.tolist()
            self.boxes = {
                c: tuple(rows[b] for b in box_list[a:e])
                for c, a, e in zip(
                    cell[starts].tolist(), starts.tolist(), ends.tolist(), strict=True
                )
            }

    @staticmethod
    def _cells(v: np.ndarray, v0: float, scale: float, n: int) -> np.ndarray:
        # the same float steps as ``_window`` (numpy's float64 rounds as Python's floats do)
        return np.clip(np.trunc((v - v0) * scale), 0, n - 1).astype(np.int64)

    def _window(self, minx: float, miny: float, maxx: float, maxy: float):
        """The cells (i0, i1, j0, j1; ends excluded) a rectangle covers, None if it is outside
        the extent, False if larger than ``WINDOW`` cells a side."""
        x0, y0 = self.x0, self.y0
        if maxx < x0 or minx > self.x1 or maxy < y0 or miny > self.y1:
            return None
        last_i, last_j = self.nx - 1, self.ny - 1
        # the clamped truncation of ``_cells``, written out (no calls: this runs per check)
        i0 = int((minx - x0) * self.sx)
        i0 = 0 if i0 < 0 else last_i if i0 > last_i else i0
        i1 = int((maxx - x0) * self.sx)
        i1 = (0 if i1 < 0 else last_i if i1 > last_i else i1) + 1
        j0 = int((miny - y0) * self.sy)
        j0 = 0 if j0 < 0 else last_j if j0 > last_j else j0
        j1 = int((maxy - y0) * self.sy)
        j1 = (0 if j1 < 0 else last_j if j1 > last_j else j1) + 1
        if i1 - i0 > self.WINDOW or j1 - j0 > self.WINDOW:
            return False
        return i0, i1, j0, j1

    def empty(self, minx: float, miny: float, maxx: float, maxy: float) -> bool:
        """True only if no hazard's bounding box meets the rectangle."""
        w = self._window(minx, miny, maxx, maxy)
        if w is None:
            return True
        if w is False:
            return False  # a large rectangle: the STRtree decides
        i0, i1, j0, j1 = w
        cells, nx = self.cells, self.nx
        for j in range(j0, j1):
            row = j * nx
            if cells.count(0, row + i0, row + i1) != i1 - i0:
                return False
        return True

    def meets(self, minx: float, miny: float, maxx: float, maxy: float) -> bool | None:
        """Whether a hazard's bounding box meets the rectangle (edges included, as the
        STRtree's ``query``); None where a large box or a large rectangle leaves it to the
        STRtree."""
        w = self._window(minx, miny, maxx, maxy)
        if w is None:
            return False
        if w is False:
            return None
        i0, i1, j0, j1 = w
        cells, nx, boxes = self.cells, self.nx, self.boxes
        for j in range(j0, j1):
            row = j * nx
            if cells.find(2, row + i0, row + i1) >= 0:
                return None
            at = cells.find(1, row + i0, row + i1)
            while at >= 0:
                for bx0, by0, bx1, by1, _ in boxes[at]:
                    if bx0 <= maxx and bx1 >= minx and by0 <= maxy and by1 >= miny:
                        return True
                at = cells.find(1, at + 1, row + i1)
        return False

    def candidates(self, minx: float, miny: float, maxx: float, maxy: float) -> list[int] | None:
        """The numbers (ascending) of the boxes that meet the rectangle, edges included: what
        the STRtree's ``query`` gives, from the cells' lists; None where a large box or a large
        rectangle leaves it to the STRtree."""
        w = self._window(minx, miny, maxx, maxy)
        if w is None:
            return []
        if w is False:
            return None
        i0, i1, j0, j1 = w
        cells, nx, boxes = self.cells, self.nx, self.boxes
        found = []
        for j in range(j0, j1):
            row = j * nx
            if cells.find(self.LARGE, row + i0, row + i1) >= 0:
                return None
            at = cells.find(1, row + i0, row + i1)
            while at >= 0:
                for bx0, by0, bx1, by1, k in boxes[at]:
                    if bx0 <= maxx and bx1 >= minx and by0 <= maxy and by1 >= miny:
                        found.append(k)
                at = cells.find(1, at + 1, row + i1)
        if len(found) > 1:
            found = sorted(set(found))  # a box over several cells is listed in each
        return found


class _Snapshot:
    """The reads a check makes, answered from memory as the store answered them when built."""

    def __init__(
        self, store: Store, versions: dict[str, str], previous: _Snapshot | None = None
    ) -> None:
        self.url = store.url
        self.versions = versions
        self._kinds = {k: _Kind(store.list(k)) for k in KINDS}
        self._kinds["hazard"].project_all(previous.hazards if previous is not None else None)
        #: No coverage area and no administrative area: the coverage is the region's box.
        self.region_only = not self._kinds["coverage"].versions and not (
            self._kinds["location"].versions
        )
        self.hazards = self._kinds["hazard"]
        self.hazard_tree = self.hazards.tree
        self.hazard_grid = None
        bounds = self.hazards.bounds
        if len(bounds) and np.isfinite(bounds).all():
            self.hazard_grid = _Grid(bounds)
        #: Answers that do not depend on the place (see ``_point_answer``).
        self.templates: dict[tuple, dict[str, Any]] = {}
        #: By the same key: the reach rectangle's half-sides, and the template once known.
        self.fast: dict[tuple, list] = {}
        #: The store's ``change_token`` the versions were read after (None: none known).
        self.token: Any = None

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
        self._change_token = getattr(store, "change_token", None)
        self._probe: tuple[float, Any, Any] = (-math.inf, None, None)

    def _versions(self) -> dict[str, str]:
        many = getattr(self.store, "data_versions", None)
        if many is not None:
            return many(KINDS)
        return {k: self.store.data_version(k) for k in KINDS}

    def _token(self) -> Any:
        """The store's ``change_token`` (None if it has none): equal tokens, no commit since.

        A token read less than ``PROBE_EVERY_S`` ago is used again while this store committed
        nothing since (its ``commits``): a commit of this store is seen by the next check, one
        of another connection or process by every check that starts ``PROBE_EVERY_S`` after it
        completed (SQLite's pragma costs more than the STRtree query it guards)."""
        read = self._change_token
        if read is None:
            return None
        now, commits = time.monotonic(), getattr(self.store, "commits", None)
        at, seen, token = self._probe
        if now - at < PROBE_EVERY_S and seen == commits and commits is not None:
            return token
        token = read()
        self._probe = (now, commits, token)  # one assignment: threads see all three or none
        return token

    def current(self) -> _Snapshot:
        """The snapshot of the data as it is now (rebuilt first if a write committed since)."""
        token = self._token()
        snap = self._snapshot
        if token is not None and snap is not None and snap.token == token:
            return snap  # no commit at all since the snapshot's versions were read
        versions = self._versions()  # read after the token: a commit between changes the next
        if snap is not None and snap.versions == versions:
            snap.token = token  # commits of other kinds only: still true
            return snap
        with self._lock:
            snap = self._snapshot
            if snap is None or snap.versions != versions:
                # The versions were read before the records: a write committing in between
                # makes the next check's versions differ, and that check rebuilds again.
                snap = _Snapshot(self.store, versions, previous=snap)
                snap.token = token
                self._snapshot = snap
                self.rebuilds += 1
        return snap

    def check_if_warm(
        self, query: BaseGeometry, *, buffer_m: float = DEFAULT_BUFFER_M, region: Region = UKRAINE
    ) -> dict[str, Any] | None:
        """The answer of :meth:`check` if it costs no wait: the snapshot is current by the
        store's ``change_token`` (SQLite: a local pragma; PostGIS: commits pushed to this
        process, ``store.pg_push``), or by data versions read locally (``local_versions``).
        None otherwise (a rebuild, or a database round trip): the caller then runs
        :meth:`check` where waiting is harmless (a server: a worker thread, not its event
        loop)."""
        snap = self._snapshot
        if snap is None:
            return None
        token = self._token()
        if token is None or snap.token != token:
            if not getattr(self.store, "local_versions", False):
                return None
            if snap.versions != self._versions():
                return None
            snap.token = token
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
        quick = _point_answer(snap, query, buffer_m, region)
        if quick is not None:
            return quick
        return check(snap, query, buffer_m=buffer_m, region=region)  # type: ignore[arg-type]


def _point_answer(
    snap: _Snapshot, query: BaseGeometry, buffer_m: float, region: Region
) -> dict[str, Any] | None:
    """The answer of ``services.check.check`` for a place inside the region, on a database whose
    coverage is the region (no coverage or administrative areas), without running it: there
    every step of ``check`` but the hazards found gives the same answer whatever the place
    (covered by the region's box, not swapped), and the message depends only on how many
    hazards were found and crossed. So the answer ``check`` gave for the first such place with
    the same counts is given again (a copy), with this place's hazards, found by the very reads
    ``check`` makes of the snapshot (``within_distance``: the STRtree's boxes within
    ``degree_margin``'s box, then ``nearest``'s exact metres). A place with no hazard's box
    within reach is settled by the grid first (no geometry made), over a rectangle at least as
    large as ``degree_margin``'s. None otherwise: the caller runs ``check``."""
    if not snap.region_only or type(query) is not shapely.Point or query.is_empty:
        return None
    if not (math.isfinite(buffer_m) and buffer_m >= 0):
        return None  # check() refuses it, with its message
    x, y = query.x, query.y
    if not (region.min_lon <= x <= region.max_lon and region.min_lat <= y <= region.max_lat):
        return None  # outside (or NaN): check() says what it must
    # 200 and 200.0 are written apart; the region by value, as its dataclass compares
    key = (type(buffer_m), repr(buffer_m), type(region), *region.bounds)
    fast = snap.fast.get(key)
    if fast is None:
        if len(snap.fast) >= KEYS_KEPT:  # bounded, whatever buffers are asked for
            snap.fast.clear()
            snap.templates.clear()
        # the reach rectangle's half-sides; the answer for no hazard found; by (found, crossed)
        # the answers for hazards found
        fast = snap.fast[key] = [_reach(buffer_m, region), None, {}]
    grid = snap.hazard_grid
    if snap.hazard_tree is not None:
        dx, dy = fast[0]
        if grid is None or grid.meets(x - dx, y - dy, x + dx, y + dy) is not False:
            reach = degree_margin((x, y, x, y), buffer_m)  # what within_distance asks in_bbox
            idx = grid.candidates(*reach) if grid is not None else None
            if idx is None:
                idx = snap.hazards.indices(reach)  # the STRtree, as in_bbox
            if idx:
                found = snap.hazards.nearest_to_point(query, idx, buffer_m)
                if found:
                    return _found_answer(snap, query, buffer_m, region, fast[2], found)
    answer = fast[1]
    if answer is None:
        answer = check(snap, query, buffer_m=buffer_m, region=region)  # type: ignore[arg-type]
        if answer["hazards"] or answer["uncovered"]:
            return answer  # not the case described above: never kept as a template
        fast[1] = snap.templates[key] = answer
    return {**answer, "hazards": [], "uncovered": []}


def _found_answer(
    snap: _Snapshot,
    query: BaseGeometry,
    buffer_m: float,
    region: Region,
    templates: dict[tuple[int, int], dict[str, Any]],
    found: list[tuple[Version, float]],
) -> dict[str, Any]:
    """``_point_answer`` where hazards were found: the kept answer for as many found and
    crossed, with these hazards."""
    counts = (len(found), sum(1 for _, d in found if d == 0))
    hazards = hazard_entries(found)
    answer = templates.get(counts)
    if answer is None:
        answer = check(snap, query, buffer_m=buffer_m, region=region)  # type: ignore[arg-type]
        if answer["hazards"] != hazards or answer["uncovered"]:
            return answer  # not the case described in _point_answer: never kept
        if len(templates) >= KEYS_KEPT:
            templates.clear()
        templates[counts] = answer
    return {**answer, "hazards": hazards, "uncovered": []}


def _reach(buffer_m: float, region: Region) -> tuple[float, float]:
    """Half-sides (degrees) of a rectangle round any point of ``region`` that holds the box
    ``degree_margin`` gives that point for ``buffer_m``: its margins taken at the region's
    highest latitude, where a degree of longitude is shortest, and widened by a millionth
    against rounding."""
    from clearground.analysis.proximity import degree_margin

    top = max(abs(region.min_lat), abs(region.max_lat))
    minx, miny, maxx, maxy = degree_margin((0.0, top, 0.0, top), buffer_m)
    return (maxx - minx) / 2 * (1 + 1e-6) + 1e-12, (maxy - top) * (1 + 1e-6) + 1e-12


_SHARED: weakref.WeakKeyDictionary[Any, CheckIndex] = weakref.WeakKeyDictionary()
_SHARED_LOCK = threading.Lock()


def shared_index(store: Store) -> CheckIndex:
    """The one index of ``store`` in this process (a server's routes share it)."""
    with _SHARED_LOCK:
        index = _SHARED.get(store)
        if index is None:
            index = _SHARED[store] = CheckIndex(store)
        return index
