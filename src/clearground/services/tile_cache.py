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
  Low-zoom tiles (both engines) are drawn from its per-zoom bands (``analysis.tiles_light``).
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
    """One kind's current records in web mercator, with an STRtree, for one data version; and
    per low zoom a band of them (``analysis.tiles_light``), each made when first needed."""

    def __init__(self, versions: list, properties: Callable[[Any], dict[str, Any]], version: str):
        from clearground.analysis.tiles_light import _merc_bounds

        self.version = version
        self.lonlat = np.array([v.record.geometry for v in versions], dtype=object)
        self._merc: np.ndarray | None = None
        self.properties = [
            {k: value for k, value in properties(v).items() if value is not None} for v in versions
        ]
        # the tree of the bounding boxes in web mercator: the same candidates as a tree of the
        # projected shapes (a query meets envelopes), without projecting them all first
        self.bounds = _merc_bounds(shapely.bounds(self.lonlat)) if len(versions) else None
        self.tree = shapely.STRtree(shapely.box(*self.bounds.T)) if len(versions) else None
        self._bands: dict[int, Any] = {}
        self._points: np.ndarray | None = None
        self._light: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        self._lock = threading.Lock()

    @property
    def merc(self) -> np.ndarray:
        from clearground.analysis.tiles import to_mercator

        with self._lock:
            if self._merc is None:
                self._merc = to_mercator(self.lonlat)
            return self._merc

    def _candidates(self, z: int, x: int, y: int) -> np.ndarray:
        from clearground.analysis.tiles import BUFFER, tile_bounds

        if self.tree is None:
            return np.empty(0, dtype=int)
        return np.sort(self.tree.query(shapely.box(*tile_bounds(z, x, y, BUFFER))))

    def tile(self, layer: str, z: int, x: int, y: int) -> bytes:
        from clearground.analysis.tiles import draw_mercator, encode_drawn

        idx = self._candidates(z, x, y)
        drawn = draw_mercator(self.merc[idx], z, x, y)
        return encode_drawn(layer, drawn, [self.properties[i] for i in idx.tolist()])

    def band(self, z: int) -> Any:
        """The band of zoom ``z`` (made once; its tiny hazards' points are shared by zooms)."""
        from clearground.analysis.tiles_light import Band, surface_points

        with self._lock:
            band = self._bands.get(z)
            if band is None:
                if self._points is None:
                    self._points = surface_points(self.lonlat)
                band = Band(self.lonlat, z, merc_bounds=self.bounds, points=self._points)
                self._bands[z] = band
            return band

    def light_tile(self, layer: str, z: int, x: int, y: int, fields: tuple[str, ...]) -> bytes:
        """A low-zoom tile (z at most ``LIGHT_MAX_ZOOM``): drawn from the zoom's band, with only
        ``fields`` of each record's properties (empty: all of them)."""
        from clearground.analysis.tiles import encode_drawn

        idx = self._candidates(z, x, y)
        drawn = self.band(z).draw(idx, x, y)
        props = self.properties
        if fields:
            with self._lock:
                props = self._light.get(fields)
                if props is None:
                    props = self._light[fields] = [
                        {k: p[k] for k in fields if k in p} for p in self.properties
                    ]
        return encode_drawn(layer, drawn, [props[i] for i in idx.tolist()])


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
