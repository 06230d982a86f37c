"""Vector tiles of hazard areas, EO items and administrative areas, and their TileJSON.

Tiles are for everyone (the public reader of ``services.projections``): a feature carries only
the few fields a map draws and labels, taken from the record's public projection, never victims'
data. From z11, on PostGIS the database draws and encodes the tile (``ST_AsMVT``,
``store.pg_tiles``); on SQLite the bounding-box query of the store gives the candidates and
``analysis.tiles`` draws and encodes them. Up to ``LIGHT_MAX_ZOOM`` (z10) both engines draw from
per-zoom bands (``analysis.tiles_light``) and a hazard carries only ``Collection.light`` (id,
status, classification): a low-zoom tile of 100,000 hazards stays light. No feature is dropped
at any zoom: a hazard too small to draw is a point.

A tile's ``ETag`` is derived from the data version of its kind (``Store.data_versions``), so it
changes when a record of the kind changes and a client's ``If-None-Match`` is answered 304
without reading a record. A server keeps drawn tiles by that version (``services.tile_cache``).
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from typing import Any

from clearground.analysis.tiles import MAX_ZOOM, encode_tile, lonlat_bounds
from clearground.domain.errors import BadInput, NotFound
from clearground.domain.validation import Region
from clearground.services.projections import PUBLIC, json_of, location_json
from clearground.store.base import Store, Version

__all__ = [
    "COLLECTIONS",
    "MEDIA_TYPE",
    "TileAnswer",
    "collection",
    "etag",
    "parse_tile",
    "tile",
    "tile_answer",
    "tilejson",
]

MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: Caches may keep a tile but must ask again (cheaply, by ETag) before using it: a hazard map
#: must not show yesterday's hazards.
CACHE_CONTROL = "public, no-cache"


@dataclass(frozen=True)
class Collection:
    id: str
    kind: str
    title: str
    fields: dict[str, str]  # property -> what it holds (TileJSON ``vector_layers`` fields)
    #: the properties a low-zoom tile carries (z <= LIGHT_MAX_ZOOM; empty: all ``fields``)
    light: tuple[str, ...] = ()


COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            "hazard_areas",
            "hazard",
            "Recorded hazard areas (SHA and CHA)",
            {
                "id": "String: the hazard's id",
                "name": "String (from z11; a low-zoom tile carries id, status, classification)",
                "status": "String: active, closed, ...",
                "classification": "String: SHA or CHA",
            },
            ("id", "status", "classification"),
        ),
        Collection(
            "eo_items",
            "eo",
            "Explosive ordnance items recorded (spot reports)",
            {
                "id": "String: the EO item's id",
                "category": "String",
                "eo_type": "String",
                "date": "String: ISO 8601 date found",
            },
        ),
        Collection(
            "accidents",
            "accident",
            "Accidents recorded (no personal data: victims are counted, never named)",
            {
                "id": "String: the accident's id",
                "date": "String: ISO 8601 date",
                "eo_type": "String",
                "killed": "Number",
                "injured": "Number",
            },
        ),
        Collection(
            "admin_areas",
            "location",
            "Administrative areas (COD-AB P-codes)",
            {"pcode": "String", "name": "String", "level": "Number: 0 country, 1 oblast, ..."},
        ),
    )
}


def collection(collection_id: str) -> Collection:
    """The tiled collection ``collection_id``, or NotFound naming the ones there are."""
    if collection_id not in COLLECTIONS:
        raise NotFound(f"no tiled collection {collection_id!r}; there are {', '.join(COLLECTIONS)}")
    return COLLECTIONS[collection_id]


def parse_tile(z: str, x: str, y: str) -> tuple[int, int, int]:
    """Tile numbers from a URL: not whole numbers or a zoom past ``MAX_ZOOM`` is a bad request
    (400); x or y outside the zoom's grid is a tile that does not exist (404)."""
    try:
        zi, xi, yi = int(z), int(x), int(y)
    except ValueError:
        raise BadInput(f"tile {z}/{x}/{y}: z, x and y must be whole numbers") from None
    if not 0 <= zi <= MAX_ZOOM:
        raise BadInput(f"tile {z}/{x}/{y}: zoom must be from 0 to {MAX_ZOOM}")
    n = 2**zi
    if not (0 <= xi < n and 0 <= yi < n):
        raise NotFound(f"tile {z}/{x}/{y}: at zoom {zi}, x and y run from 0 to {n - 1}")
    return zi, xi, yi


def _data_version(store: Store, kind: str) -> str:
    many = getattr(store, "data_versions", None)  # cheap (store.versions)
    return many((kind,))[kind] if many is not None else store.data_version(kind)


def etag(store: Store, collection_id: str, version: str | None = None) -> str:
    """The ETag of every tile of the collection: new whenever a record of its kind changes."""
    c = collection(collection_id)
    version = _data_version(store, c.kind) if version is None else version
    digest = hashlib.sha256(f"{c.id}:{version}:mvt2".encode()).hexdigest()
    return f'"{digest[:24]}"'


def _properties(c: Collection):
    # an admin area shows as ``locations list`` does (pcode, name, level), the others as their kind
    project = location_json if c.kind == "location" else json_of(c.kind)

    def properties(v: Version) -> dict[str, Any]:
        public = project(v, PUBLIC)
        return {k: public[k] for k in c.fields}

    return properties


def tile(
    store: Store,
    collection_id: str,
    z: int,
    x: int,
    y: int,
    *,
    version: str | None = None,
    as_of: str | None = None,
) -> bytes:
    """The MVT of tile (z, x, y): one layer named as the collection, every record of its kind
    that meets the tile (or its buffer): current, or as it was at ``as_of`` (ISO time). With the
    kind's data ``version`` (a server) and no ``as_of``, the SQLite path draws from the records
    kept projected for that version, the PostGIS path takes the properties kept for it
    (``services.tile_cache``), instead of reading and projecting the records for each tile; a
    past state is read and drawn afresh."""
    from clearground.analysis.tiles import BUFFER
    from clearground.analysis.tiles_light import LIGHT_MAX_ZOOM

    c = collection(collection_id)
    properties = _properties(c)
    if z <= LIGHT_MAX_ZOOM:  # both engines: drawn from a band of the zoom (analysis.tiles_light)
        return _light_tile(store, c, properties, z, x, y, version=version, as_of=as_of)
    native = getattr(store, "mvt", None)
    if as_of is not None:
        found = store.in_bbox(c.kind, lonlat_bounds(z, x, y, BUFFER), as_of=as_of)
        return encode_tile(
            c.id, [v.record.geometry for v in found], [properties(v) for v in found], z, x, y
        )
    if native is not None:
        by_id = None
        if version is not None:
            from clearground.services.tile_cache import properties_of

            by_id = properties_of(store, c.kind, version, properties)
        return native(c.kind, z, x, y, layer=c.id, properties=properties, by_id=by_id)
    if version is not None:
        from clearground.services.tile_cache import projected_of

        return projected_of(store, c.kind, version, properties).tile(c.id, z, x, y)
    found = store.in_bbox(c.kind, lonlat_bounds(z, x, y, BUFFER))
    return encode_tile(
        c.id, [v.record.geometry for v in found], [properties(v) for v in found], z, x, y
    )


def _light_tile(
    store: Store, c: Collection, properties, z: int, x: int, y: int, *, version, as_of
) -> bytes:
    """A low-zoom tile: hazards under a pixel as points, the others pre-simplified for the
    zoom, only ``c.light`` properties. A server (``version``) draws from the band it keeps; a
    past state or a plain call draws a band of the store's candidates: the same tile."""
    from clearground.analysis.tiles import BUFFER, encode_drawn
    from clearground.analysis.tiles_light import draw

    if as_of is None and version is not None:
        from clearground.services.tile_cache import projected_of

        return projected_of(store, c.kind, version, properties).light_tile(c.id, z, x, y, c.light)
    found = store.in_bbox(c.kind, lonlat_bounds(z, x, y, BUFFER), as_of=as_of)
    props = []
    for v in found:
        p = {k: value for k, value in properties(v).items() if value is not None}
        props.append({k: p[k] for k in c.light if k in p} if c.light else p)
    return encode_drawn(c.id, draw([v.record.geometry for v in found], z, x, y), props)


@dataclass(frozen=True)
class TileAnswer:
    status: int  # 200, or 304 when the client's copy is current
    body: bytes
    headers: dict[str, str]


def _matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in tags or tag in tags


def tile_answer(
    store: Store,
    collection_id: str,
    z: str,
    x: str,
    y: str,
    *,
    if_none_match: str | None = None,
    as_of: str | None = None,
    accept_encoding: str | None = None,
) -> TileAnswer:
    """What ``GET /tiles/{collection}/{z}/{x}/{y}.mvt`` answers: the tile (of the records as
    they were at ``as_of``, an ISO time already parsed, if given), or 304 if the client's ETag
    is current (no record is read then). Current tiles are kept by data version
    (``services.tile_cache``): a write of the kind changes the version, so the next request
    draws the tile anew; a past state is drawn afresh each time. A tile over ``GZIP_OVER``
    bytes goes gzip-compressed to a client that accepts it (its ETag then ends ``-gz``: a
    representation of its own), the compressed bytes kept beside the tile."""
    from clearground.services.tile_cache import cache_of

    c = collection(collection_id)
    zi, xi, yi = parse_tile(z, x, y)
    version = _data_version(store, c.kind)
    tag = etag(store, c.id, version)
    if as_of is not None:  # a past state: its own tag (later writes may still change it)
        tag = f'"{hashlib.sha256(f"{tag}:{as_of}".encode()).hexdigest()[:24]}"'
    zipped = _accepts_gzip(accept_encoding)
    gz_tag = f'{tag[:-1]}-gz"'
    headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL, "Vary": "Accept-Encoding"}
    for held in (tag, gz_tag):  # the client's copy, either way it came, is current
        if _matches(if_none_match, held):
            return TileAnswer(304, b"", {**headers, "ETag": held})
    if as_of is not None:
        body = tile(store, c.id, zi, xi, yi, as_of=as_of)
        small = gzip.compress(body, 1) if zipped and len(body) > GZIP_OVER else None
        return _encoded(body, headers, gz_tag, small)
    cache = cache_of(store)
    key = (c.id, zi, xi, yi, version)
    body = cache.get(key)
    if body is None:
        body = tile(store, c.id, zi, xi, yi, version=version)
        cache.put(key, body)
    small = None
    if zipped and len(body) > GZIP_OVER:
        small = cache.get((*key, "gzip"))
        if small is None:
            small = gzip.compress(body, 1)
            cache.put((*key, "gzip"), small)
    return _encoded(body, headers, gz_tag, small)


#: Tiles larger than this many bytes are sent gzip-compressed to clients that accept it (a
#: low-zoom tile of 100,000 hazards is ~3 MB, ~1 MB compressed at level 1 in ~30 ms).
GZIP_OVER = 1400


def _accepts_gzip(accept_encoding: str | None) -> bool:
    for part in (accept_encoding or "").split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() == "gzip":
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


def _encoded(body: bytes, headers: dict, gz_tag: str, zipped: bytes | None) -> TileAnswer:
    if zipped is None or len(body) <= GZIP_OVER:
        return TileAnswer(200, body, headers)
    return TileAnswer(200, zipped, {**headers, "ETag": gz_tag, "Content-Encoding": "gzip"})


def tilejson(collection_id: str, base_url: str, region: Region) -> dict[str, Any]:
    """The TileJSON 3.0.0 of a collection; ``base_url`` is the server's (``http://host:port``)."""
    c = collection(collection_id)
    lon0, lat0, lon1, lat1 = region.bounds
    return {
        "tilejson": "3.0.0",
        "name": c.id,
        "description": f"{c.title}: what is recorded in this database. Unrecorded hazards may "
        "exist anywhere.",
        "scheme": "xyz",
        "tiles": [f"{base_url.rstrip('/')}/tiles/{c.id}/{{z}}/{{x}}/{{y}}.mvt"],
        "minzoom": 0,
        "maxzoom": MAX_ZOOM,
        "bounds": [lon0, lat0, lon1, lat1],
        "center": [(lon0 + lon1) / 2, (lat0 + lat1) / 2, 6],
        "vector_layers": [
            {
                "id": c.id,
                "description": c.title,
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
                "fields": dict(c.fields),
            }
        ],
    }
