"""What a server keeps to answer tiles fast: the drawn tiles themselves, and (for the SQLite
engine's path) each kind's current records already projected.

- :class:`TileCache`: encoded tiles by (collection, z, x, y, data version), least recently used
  dropped past a byte budget. The data version is in the key, so a write makes every cached
  tile of its kind unreachable at once: a hazard map never shows a tile older than the data.
- :class:`Properties` (the PostGIS path): each current record's tile properties as JSON text
  by id, made once per data version by the projections, so that ``ST_AsMVT``'s query reads
  ids and drawn geometries only, never a record's payload.
- :class:`Projected`: the current records of a kind with their geometries densified and
  projected to web mercator (``analysis.tiles.to_mercator``), their tile properties and an
  STRtree, built once per data version; a tile is then a tree query and the per-tile steps
  (scale, clip, simplify, snap, encode). It answers exactly what the store's bounding-box
  query and ``analysis.tiles.encode_tile`` answer, minus the repeated reading and projecting.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import shapely

__all__ = ["Projected", "Properties", "TileCache", "cache_of", "projected_of", "properties_of"]

#: Bytes of encoded tiles one server process keeps (a z8 tile of 100,000 hazards is ~100 kB).
CACHE_BYTES = 64 * 1024 * 1024


class TileCache:
    """Encoded tiles, least recently used dropped past ``max_bytes``; safe between threads."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._tiles: OrderedDict[tuple, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: tuple) -> bytes | None:
        with self._lock:
            body = self._tiles.get(key)
            if body is None:
                self.misses += 1
                return None
            self._tiles.move_to_end(key)
            self.hits += 1
            return body

    def put(self, key: tuple, body: bytes) -> None:
        if len(body) > self.max_bytes:
            return
        with self._lock:
            old = self._tiles.pop(key, None)
            if old is not None:
                self._bytes -= len(old)
            self._tiles[key] = body
            self._bytes += len(body)
            while self._bytes > self.max_bytes:
                _, dropped = self._tiles.popitem(last=False)
                self._bytes -= len(dropped)


class Projected:
    """One kind's current records in web mercator, with an STRtree, for one data version."""

    def __init__(self, versions: list, properties: Callable[[Any], dict[str, Any]], version: str):
        from clearground.analysis.tiles import to_mercator

        self.version = version
        geoms = np.array([v.record.geometry for v in versions], dtype=object)
        self.merc = to_mercator(geoms)
        self.properties = [
            {k: value for k, value in properties(v).items() if value is not None} for v in versions
        ]
        self.tree = shapely.STRtree(self.merc) if len(versions) else None

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        from clearground.analysis.tiles import BUFFER, draw_mercator, encode_drawn, tile_bounds

        idx = np.empty(0, dtype=int)
        if self.tree is not None:
            idx = np.sort(self.tree.query(shapely.box(*tile_bounds(z, x, y, BUFFER))))
        drawn = draw_mercator(self.merc[idx], z, x, y)
        return encode_drawn(layer, drawn, [self.properties[i] for i in idx.tolist()])


class Properties:
    """Tile properties (JSON text) of a kind's current records by id, for one data version."""

    def __init__(
        self, store: Any, kind: str, properties: Callable[[Any], dict[str, Any]], version: str
    ):
        self.store, self.kind, self._properties, self.version = store, kind, properties, version
        self._text = {v.id: self._json(v) for v in store.list(kind)}

    def _json(self, v: Any) -> str:
        return json.dumps({k: x for k, x in self._properties(v).items() if x is not None})

    def __call__(self, ids: list[str]) -> list[str]:
        text = self._text
        missing = [i for i in ids if i not in text]
        if missing:  # committed after this version was read: read those few records
            found = [self.store.get(self.kind, i) for i in missing]
            text = {**text, **{v.id: self._json(v) for v in found if v and v.record is not None}}
        return [text.get(i, "{}") for i in ids]


_CACHES: weakref.WeakKeyDictionary[Any, TileCache] = weakref.WeakKeyDictionary()
_PROJECTED: weakref.WeakKeyDictionary[Any, dict[str, Any]] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()
_BUILD = threading.Lock()


def cache_of(store: Any) -> TileCache:
    """The one tile cache of ``store`` in this process."""
    with _LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = TileCache()
        return cache


def _kept(store: Any, key: str, version: str, build: Callable[[], Any]) -> Any:
    """What ``build`` makes for ``store`` and ``key`` at data version ``version``, built once
    (the version was read before the records: a write committing in between changes the
    next version, which builds again)."""
    with _LOCK:
        kept = _PROJECTED.setdefault(store, {}).get(key)
    if kept is not None and kept.version == version:
        return kept
    with _BUILD:  # one build at a time; a thread that waited finds it built
        with _LOCK:
            kept = _PROJECTED.setdefault(store, {}).get(key)
        if kept is not None and kept.version == version:
            return kept
        built = build()
        with _LOCK:
            _PROJECTED.setdefault(store, {})[key] = built
        return built


def properties_of(
    store: Any, kind: str, version: str, properties: Callable[[Any], dict[str, Any]]
) -> Properties:
    """The kind's tile properties by id, as of data version ``version``."""
    return _kept(
        store, f"properties:{kind}", version, lambda: Properties(store, kind, properties, version)
    )


def projected_of(
    store: Any, kind: str, version: str, properties: Callable[[Any], dict[str, Any]]
) -> Projected:
    """The kind's records projected, as of data version ``version``."""
    return _kept(
        store,
        f"projected:{kind}",
        version,
        lambda: Projected(store.list(kind), properties, version),
    )
