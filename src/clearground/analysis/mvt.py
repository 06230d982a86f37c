"""A Mapbox Vector Tile 2.1 encoder for geometries already in tile units: numpy, not a loop.

``mapbox_vector_tile.encode`` walks every coordinate in Python; at z8 a tile holds thousands of
hazards and that walk is most of the tile's time. Here the coordinates of all features are
taken at once (``shapely.get_coordinates`` with the part and ring offsets of
``shapely.to_ragged_array``), turned into the MVT command integers (MoveTo, LineTo, ClosePath
with zigzag deltas from a cursor carried along each feature) and varint-encoded in one numpy
pass; only the few protobuf framing bytes per feature are joined in Python.

What it writes (the spec, 4.3): coordinates rounded to integers, y down (the caller's y is up:
``y' = extent - y``), polygon rings without their closing point, exterior rings with a positive
surveyor's area in tile coordinates (clockwise on screen) and holes negative, consecutive
repeated points dropped. A ring or line left with too few points is dropped; a feature with no
geometry left is not written. Properties are strings, integers, floats and booleans (the keys
and values tables are shared within the layer). ``mapbox_vector_tile.decode`` reads it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

__all__ = ["encode_layer"]

_POINT, _LINE, _POLYGON = 1, 2, 3


def _varint_slow(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


_SMALL = [_varint_slow(i) for i in range(1 << 14)]


def _varint(value: int) -> bytes:
    return _SMALL[value] if value < 16384 else _varint_slow(value)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited protobuf field."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varints(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """Every value (uint32) as a varint, concatenated; and where each value's bytes start (one
    more entry at the end), so that a run of values is one slice."""
    v = values.astype(np.uint64)
    size = np.ones(len(v), dtype=np.int64)
    for k in (7, 14, 21, 28):
        size += v >= (1 << k)
    starts = np.zeros(len(v) + 1, dtype=np.int64)
    np.cumsum(size, out=starts[1:])
    out = np.zeros(int(starts[-1]), dtype=np.uint8)
    for k in range(5):
        has = size > k
        byte = (v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = size[has] > k + 1
        out[starts[:-1][has] + k] = (byte | (more.astype(np.uint64) << np.uint64(7))).astype(
            np.uint8
        )
    return out.tobytes(), starts


def _zigzag(d: np.ndarray) -> np.ndarray:
    return ((d << 1) ^ (d >> 63)).astype(np.uint64)


def _command(cmd: int, count: int) -> int:
    return (count << 3) | cmd


def _polygon_ints(geoms: list, extent: int) -> tuple[np.ndarray, np.ndarray] | None:
    """The command integers of many valid polygonal geometries at once, concatenated, and
    where each geometry's start (one more at the end); None where a ring would degenerate (the
    caller then takes the one-by-one path for all of them)."""
    parts, owner = shapely.get_parts(np.asarray(geoms, dtype=object), return_index=True)
    multi = shapely.multipolygons(parts, indices=owner)
    _, coords, (ring_off, poly_off, feat_off) = shapely.to_ragged_array(multi)
    xy = np.rint(coords).astype(np.int64)
    xy[:, 1] = extent - xy[:, 1]
    ring_of = np.repeat(np.arange(len(ring_off) - 1), np.diff(ring_off))
    keep = np.ones(len(xy), dtype=bool)
    keep[ring_off[1:] - 1] = False  # each ring's closing point (ClosePath implies it)
    same = np.zeros(len(xy), dtype=bool)
    same[1:] = (xy[1:] == xy[:-1]).all(axis=1) & (ring_of[1:] == ring_of[:-1])
    keep &= ~same
    xy, ring_of = xy[keep], ring_of[keep]
    n_rings = len(ring_off) - 1
    size = np.bincount(ring_of, minlength=n_rings)
    if (size < 3).any():
        return None
    start = np.zeros(n_rings + 1, dtype=np.int64)
    np.cumsum(size, out=start[1:])
    nxt = np.arange(len(xy)) + 1
    nxt[start[1:] - 1] = start[:-1]  # the point after a ring's last is its first
    cross = xy[:, 0] * xy[nxt, 1] - xy[nxt, 0] * xy[:, 1]
    area2 = np.add.reduceat(cross, start[:-1]) if len(xy) else np.zeros(0, dtype=np.int64)
    if (area2 == 0).any():
        return None
    exterior = np.zeros(n_rings, dtype=bool)
    exterior[poly_off[:-1]] = True
    flip = (area2 > 0) != exterior  # exterior positive, holes negative (y down)
    if flip.any():
        pos = np.arange(len(xy)) - start[:-1][ring_of]
        rev = np.where(
            flip[ring_of], start[:-1][ring_of] + size[ring_of] - 1 - pos, np.arange(len(xy))
        )
        xy = xy[rev]
    # deltas from the previous point of the same feature (the cursor), from 0,0 at its start
    feat_ring = poly_off[feat_off]  # first ring of each feature
    feat_first = start[feat_ring[:-1]]
    d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    d[feat_first] = xy[feat_first]
    zz = _zigzag(d)
    out_size = 2 * size + 3  # MoveTo, x, y, LineTo, 2 (n - 1), ClosePath
    o = np.zeros(n_rings + 1, dtype=np.int64)
    np.cumsum(out_size, out=o[1:])
    ints = np.zeros(int(o[-1]), dtype=np.uint64)
    ints[o[:-1]] = _command(1, 1)
    ints[o[:-1] + 3] = (((size - 1) << 3) | 2).astype(np.uint64)
    ints[o[1:] - 1] = _command(7, 1)
    k = np.arange(len(xy)) - start[:-1][ring_of]
    at = o[:-1][ring_of] + np.where(k == 0, 1, 2 * k + 2)
    ints[at] = zz[:, 0]
    ints[at + 1] = zz[:, 1]
    return ints, o[feat_ring]


def _geometry_ints(kind: int, geom: Any, extent: int) -> np.ndarray | None:
    """The command integers of one geometry (tile units, y up), or None if nothing is left."""
    if kind == _POINT:
        xy = np.rint(shapely.get_coordinates(geom))
        if len(xy) == 0:
            return None
        xy[:, 1] = extent - xy[:, 1]
        xy = xy.astype(np.int64)
        d = np.diff(xy, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
        return np.concatenate(([_command(1, len(xy))], _zigzag(d).ravel()))
    parts = shapely.get_parts(geom)
    pieces: list[np.ndarray] = []
    cursor = np.zeros(2, dtype=np.int64)
    for part in parts:
        runs = shapely.get_rings(part) if kind == _POLYGON else [part]
        for i, ring in enumerate(runs):
            xy = np.rint(shapely.get_coordinates(ring))
            xy[:, 1] = extent - xy[:, 1]
            xy = xy.astype(np.int64)
            if kind == _POLYGON:
                xy = xy[:-1]  # the closing point is implied by ClosePath
            if len(xy) > 1:
                keep = np.ones(len(xy), dtype=bool)
                keep[1:] = (xy[1:] != xy[:-1]).any(axis=1)
                xy = xy[keep]
            if kind == _POLYGON:
                if len(xy) < 3:
                    if i == 0:
                        break  # an exterior ring gone: the whole polygon is
                    continue
                x, y = xy[:, 0], xy[:, 1]
                area2 = int(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))
                if area2 == 0:
                    if i == 0:
                        break
                    continue
                if (area2 > 0) != (i == 0):  # exterior positive, holes negative (y down)
                    xy = xy[::-1]
            elif len(xy) < 2:
                continue
            d = np.diff(xy, axis=0, prepend=cursor[None, :])
            cursor = xy[-1]
            zz = _zigzag(d)
            pieces.append(np.array([_command(1, 1)], dtype=np.uint64))
            pieces.append(zz[0])
            pieces.append(np.array([_command(2, len(xy) - 1)], dtype=np.uint64))
            pieces.append(zz[1:].ravel())
            if kind == _POLYGON:
                pieces.append(np.array([_command(7, 1)], dtype=np.uint64))
    if not pieces:
        return None
    return np.concatenate(pieces)


def _value(v: Any) -> bytes:
    if isinstance(v, bool):
        return _varint(7 << 3 | 0) + _varint(int(v))
    if isinstance(v, int) and -(2**63) <= v < 2**63:
        z = (v << 1) ^ (v >> 63)
        return _varint(6 << 3 | 0) + _varint(z)  # sint_value
    if isinstance(v, float):
        return _varint(3 << 3 | 1) + np.float64(v).tobytes()  # double_value
    return _field(1, str(v).encode())  # string_value


def _point_ints(geoms: list, extent: int) -> tuple[np.ndarray, np.ndarray]:
    """The command integers of many single points at once (MoveTo 1, x, y each)."""
    xy = np.rint(shapely.get_coordinates(np.asarray(geoms, dtype=object))).astype(np.int64)
    xy[:, 1] = extent - xy[:, 1]
    ints = np.empty((len(xy), 3), dtype=np.uint64)
    ints[:, 0] = _command(1, 1)
    ints[:, 1:] = _zigzag(xy)
    return ints.ravel(), np.arange(len(xy) + 1, dtype=np.int64) * 3


def _sizes(values: np.ndarray) -> np.ndarray:
    """The bytes of each value's varint."""
    v = values.astype(np.uint64)
    size = np.ones(len(v), dtype=np.int64)
    for k in (7, 14, 21, 28, 35, 42, 49, 56, 63):
        size += v >= np.uint64(1 << k)
    return size


def _geometries(
    types: list, geoms: np.ndarray, extent: int, single: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Every feature's command integers, concatenated (fast paths for many polygons and for
    single points, the one-by-one path for the rest), and each feature's start and length
    in them (length 0: nothing to write)."""
    n = len(geoms)
    chunks: list[np.ndarray] = []
    start = np.zeros(n, dtype=np.int64)
    length = np.zeros(n, dtype=np.int64)
    at = 0

    def add(idx: list[int], ints: np.ndarray, bounds: np.ndarray) -> None:
        nonlocal at
        start[idx] = bounds[:-1] + at
        length[idx] = np.diff(bounds)
        chunks.append(ints)
        at += len(ints)

    slow = [i for i, t in enumerate(types) if t is not None]
    polygons = [i for i in slow if types[i] == _POLYGON]
    if polygons:
        many = _polygon_ints([geoms[i] for i in polygons], extent)
        if many is not None:
            add(polygons, *many)
            done = set(polygons)
            slow = [i for i in slow if i not in done]
    points = [i for i in slow if single[i]]
    if points:
        add(points, *_point_ints([geoms[i] for i in points], extent))
        done = set(points)
        slow = [i for i in slow if i not in done]
    for i in slow:
        g = _geometry_ints(types[i], geoms[i], extent)
        if g is not None:
            add([i], g, np.array([0, len(g)], dtype=np.int64))
    ints = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.uint64)
    return ints.astype(np.uint64), np.column_stack((start, length))


def _spread(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For runs of ``counts`` items: each item's run and its place in the run."""
    owner = np.repeat(np.arange(len(counts)), counts)
    first = np.zeros(len(counts), dtype=np.int64)
    np.cumsum(counts[:-1], out=first[1:])
    return owner, np.arange(int(counts.sum())) - first[owner]


def encode_layer(
    name: str,
    geometries: Sequence[Any],
    properties: Sequence[dict[str, Any]],
    *,
    extent: int = 4096,
) -> bytes:
    """One tile of one layer: each geometry (tile units, y up, None to skip) with its
    properties (None values left out). Every feature's bytes are varints (field keys, lengths,
    tags, kind, command integers), so the whole feature list is laid out as one integer
    array and encoded in one pass."""
    keys: dict[str, int] = {}
    values: dict[tuple[type, Any], int] = {}
    geoms = np.asarray(geometries, dtype=object)
    # shapely's type ids (None is -1; 0 Point ... 6 MultiPolygon, 7 collection) to MVT kinds
    type_id = shapely.get_type_id(geoms) if len(geoms) else np.zeros(0, dtype=int)
    type_id[(type_id >= 0) & shapely.is_empty(geoms)] = -1
    kind_of = [_POINT, _LINE, None, _POLYGON, _POINT, _LINE, _POLYGON, None, None]
    types = [kind_of[t] if t >= 0 else None for t in type_id.tolist()]
    single = type_id == 0
    ints, where = _geometries(types, geoms, extent, single)
    gstart, glen = where[:, 0], where[:, 1]
    kept = np.flatnonzero(glen > 0)
    tags: list[int] = []
    ntag: list[int] = []
    for i in kept.tolist():
        before = len(tags)
        for k, v in properties[i].items():
            if v is None:
                continue
            tags.append(keys.setdefault(k, len(keys)))
            tags.append(values.setdefault((type(v), v), len(values)))
        ntag.append(len(tags) - before)
    out = [_varint(15 << 3 | 0) + _varint(2), _field(1, name.encode())]
    if len(kept):
        gs, gl = gstart[kept], glen[kept]
        nt = np.array(ntag, dtype=np.int64)
        tag_ints = np.array(tags, dtype=np.uint64)
        t_owner, t_pos = _spread(nt)
        tb = np.bincount(t_owner, weights=_sizes(tag_ints), minlength=len(kept)).astype(np.int64)
        csum = np.zeros(len(ints) + 1, dtype=np.int64)
        np.cumsum(_sizes(ints), out=csum[1:])
        gb = csum[gs + gl] - csum[gs]
        has = nt > 0
        body = np.where(has, 1 + _sizes(tb) + tb, 0) + 2 + 1 + _sizes(gb) + gb
        head = 2 + np.where(has, 2, 0)
        count = head + nt + 4 + gl
        first = np.zeros(len(kept), dtype=np.int64)
        np.cumsum(count[:-1], out=first[1:])
        seq = np.zeros(int(count.sum()), dtype=np.uint64)
        seq[first] = 2 << 3 | 2
        seq[first + 1] = body
        seq[first[has] + 2] = 2 << 3 | 2
        seq[first[has] + 3] = tb[has]
        seq[first[t_owner] + head[t_owner] + t_pos] = tag_ints
        mid = first + head + nt
        seq[mid] = 3 << 3 | 0
        seq[mid + 1] = np.array([types[i] for i in kept.tolist()], dtype=np.uint64)
        seq[mid + 2] = 4 << 3 | 2
        seq[mid + 3] = gb
        g_owner, g_pos = _spread(gl)
        seq[mid[g_owner] + 4 + g_pos] = ints[gs[g_owner] + g_pos]
        out.append(_varints(seq)[0])
    out.extend(_field(3, k.encode()) for k in keys)
    out.extend(_field(4, _value(v)) for (_, v) in values)
    out.append(_varint(5 << 3 | 0) + _varint(extent))
    return _field(3, b"".join(out))
