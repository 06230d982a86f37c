"""OGC API - Features Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 3 (filter, queryables):
collections, items, one item, queryables.

The responses are built by plain functions that take parsed arguments and return
``(status, body, headers)``; the routes of :func:`router` only adapt a request to them. Every
feature's properties are the record's projection for the reader (``services.projections``);
its geometry is RFC 7946 GeoJSON (lon/lat, exterior rings counter-clockwise, holes clockwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

import numpy as np
import orjson
import shapely
from fastapi import APIRouter, Depends, Request, Response

from clearground.domain.errors import BadInput, NotFound
from clearground.services import read
from clearground.services.projections import Reader
from clearground.store.base import Store, Version, now_utc
from clearground.web.deps import (
    Principal,
    may_read,
    principal,
    reader_of,
    require_read,
    web_state,
)
from clearground.web.ogc import crs, params
from clearground.web.ogc.collections import COLLECTIONS, CRS84, Collection, collection_of
from clearground.web.state import WebState

__all__ = [
    "CONFORMANCE",
    "GEOJSON",
    "JSON",
    "collection",
    "collections",
    "item",
    "items",
    "landing_links",
    "openapi_paths",
    "queryables",
    "router",
]

GEOJSON = "application/geo+json"
JSON = "application/json"
SCHEMA_JSON = "application/schema+json"
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

CONFORMANCE = (
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    crs.CONFORMANCE,
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
)

#: What each kind of request takes (a parameter not named here is a 400).
ITEMS_PARAMS = (
    "f",
    "crs",
    "bbox",
    "bbox-crs",
    "limit",
    "offset",
    "datetime",
    "filter",
    "filter-lang",
    "filter-crs",
)
PLAIN_PARAMS = ("f",)
ITEM_PARAMS = ("f", "crs")

Result = tuple[int, Any, dict[str, str]]
Query = Mapping[str, Sequence[str]]


def parse_format(query: Query, *, known: Sequence[str] = PLAIN_PARAMS) -> None:
    """Refuse unknown parameters, and an ``f`` other than JSON (no HTML is served)."""
    params.refuse_unknown(query, known)
    f = params.one(query, "f")
    if f is not None and f.strip().lower() not in ("json", "geojson"):
        raise BadInput(f"f={f}: not served; this API answers in JSON (f=json)")


def _link(href: str, rel: str, type_: str, title: str = "") -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": type_}
    if title:
        out["title"] = title
    return out


def collection_json(store: Store, c: Collection, base: str) -> dict[str, Any]:
    """A collection's description: its links, extent (from the data) and CRS."""
    here = f"{base}/collections/{c.id}"
    bounds, dates = read.extent(store, c.kind, date_field=c.date_field)
    out: dict[str, Any] = {
        "id": c.id,
        "title": c.title,
        "description": c.description,
        "itemType": "feature",
        "crs": list(crs.SUPPORTED),
        "storageCrs": CRS84,
        "links": [
            _link(here, "self", JSON, c.title),
            _link(f"{here}/items", "items", GEOJSON, f"{c.title}: features"),
            _link(f"{here}/queryables", QUERYABLES_REL, SCHEMA_JSON, "queryables"),
        ],
    }
    extent: dict[str, Any] = {}
    if bounds is not None:
        extent["spatial"] = {"bbox": [list(bounds)], "crs": CRS84}
    if dates is not None:
        extent["temporal"] = {
            "interval": [[f"{dates[0]}T00:00:00Z", f"{dates[1]}T23:59:59Z"]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    if extent:
        out["extent"] = extent
    return out


def collections(store: Store, base: str, query: Query, who: Principal) -> Result:
    """The collections ``who`` may read the items of: a client that lists them (GDAL, QGIS,
    OWSLib) can then open each one; the others' descriptions stay readable by id."""
    parse_format(query)
    body = {
        "links": [_link(f"{base}/collections", "self", JSON, "collections")],
        "collections": [
            collection_json(store, c, base) for c in COLLECTIONS.values() if may_read(who, c.kind)
        ],
    }
    return 200, body, {}


def collection(store: Store, collection_id: str, base: str, query: Query) -> Result:
    c = collection_of(collection_id)
    parse_format(query)
    return 200, collection_json(store, c, base), {}


def queryables(collection_id: str, base: str, query: Query) -> Result:
    """The JSON Schema of the collection's properties: what a filter may name."""
    c = collection_of(collection_id)
    parse_format(query)
    body = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{base}/collections/{c.id}/queryables",
        "type": "object",
        "title": c.title,
        "properties": c.queryables_schema(),
        "additionalProperties": False,
    }
    return 200, body, {"Content-Type": SCHEMA_JSON}


def _geometries(versions: Sequence[Version], to: str = CRS84) -> list[orjson.Fragment]:
    """RFC 7946 geometries: exterior rings counter-clockwise, holes clockwise (then, for
    ``to`` EPSG:4326, latitude first)."""
    geoms = np.array([v.record.geometry for v in versions], dtype=object)
    if len(geoms):
        geoms = crs.in_crs(shapely.orient_polygons(geoms), to)
    texts = shapely.to_geojson(geoms) if len(geoms) else []
    return [orjson.Fragment(t if t is not None else "null") for t in texts]


def _feature(c: Collection, v: Version, props: dict[str, Any], geometry: Any, base: str):
    here = f"{base}/collections/{c.id}"
    return {
        "type": "Feature",
        "id": v.id,
        "geometry": geometry,
        "properties": props,
        "links": [
            _link(f"{here}/items/{v.id}", "self", GEOJSON),
            _link(here, "collection", JSON, c.title),
        ],
    }


def _candidates(store: Store, c: Collection, bbox) -> list[Version]:
    if bbox is None:
        return read.records(store, c.kind)
    minx, miny, maxx, maxy = bbox
    if minx <= maxx:
        return read.records_in_bbox(store, c.kind, bbox)
    # across the antimeridian: the two boxes either side of it, each record once
    both = {
        v.id: v
        for box in ((minx, miny, 180.0, maxy), (-180.0, miny, maxx, maxy))
        for v in read.records_in_bbox(store, c.kind, box)
    }
    return [both[k] for k in sorted(both)]


def _filter(c: Collection, query: Query):
    from clearground.web.ogc.cql2 import compile_filter

    lang = params.one(query, "filter-lang")
    if lang is not None and lang.strip().lower() != "cql2-text":
        raise BadInput(f"filter-lang {lang!r}: only cql2-text is served")
    given = params.one(query, "filter-crs")
    if given is not None and given.strip() not in params.CRS84_NAMES:
        raise BadInput(f"filter-crs {given!r}: only CRS84 is served ({CRS84})")
    text = params.one(query, "filter")
    if text is None:
        return None
    return compile_filter(text, c.queryables_schema(), f"collection {c.id}")


def items(store: Store, collection_id: str, reader: Reader, base: str, query: Query) -> Result:
    """A page of the collection's features matching ``bbox``, ``datetime`` and ``filter``,
    with ``numberMatched``, ``numberReturned`` and ``self``/``next``/``prev`` links."""
    c = collection_of(collection_id)
    parse_format(query, known=ITEMS_PARAMS)
    limit = params.parse_limit(params.one(query, "limit"))
    offset = params.parse_offset(params.one(query, "offset"))
    out_crs = crs.parse_crs(params.one(query, "crs"))
    bbox_crs = crs.parse_crs(params.one(query, "bbox-crs"), "bbox-crs")
    bbox = params.parse_bbox(crs.bbox_to_crs84(params.one(query, "bbox"), bbox_crs))
    when = params.parse_datetime(params.one(query, "datetime"))
    predicate = _filter(c, query)

    shown: dict[str, dict[str, Any]] = {}
    if bbox is None and when is None and predicate is None:  # one page read, not every record
        got = read.page(store, c.kind, limit=limit, offset=offset)
        page, matched = got.versions, got.matched
    else:
        found = _candidates(store, c, bbox)
        if when is not None:
            found = [v for v in found if when.meets_day(c.date_of(v.record))]
        if predicate is not None:
            kept = []
            for v in found:
                props = c.project(v, reader)
                if predicate(props, v.record.geometry) is True:
                    kept.append(v)
                    shown[v.id] = props
            found = kept
        page = found[offset : offset + limit]
        matched = len(found)
    geometries = _geometries(page, out_crs)
    features = [
        _feature(c, v, shown.get(v.id) or c.project(v, reader), g, base)
        for v, g in zip(page, geometries, strict=True)
    ]

    here = f"{base}/collections/{c.id}/items"
    kept_params = {k: vs[0] for k, vs in query.items() if k not in ("offset", "limit")}

    def page_href(at: int) -> str:
        return f"{here}?{urlencode({**kept_params, 'limit': limit, 'offset': at})}"

    links = [
        _link(page_href(offset), "self", GEOJSON, "this page"),
        _link(f"{base}/collections/{c.id}", "collection", JSON, c.title),
    ]
    if offset + limit < matched:
        links.append(_link(page_href(offset + limit), "next", GEOJSON, "next page"))
    if offset > 0:
        links.append(_link(page_href(max(0, offset - limit)), "prev", GEOJSON, "previous page"))
    body = {
        "type": "FeatureCollection",
        "timeStamp": now_utc()[:19] + "Z",
        "numberMatched": matched,
        "numberReturned": len(features),
        "features": features,
        "links": links,
    }
    paging = [link for link in links if link["rel"] in ("self", "next", "prev")]
    return 200, orjson.dumps(body), {"Content-Crs": f"<{out_crs}>", "Link": _link_header(paging)}


def _link_header(links: list[dict[str, str]]) -> str:
    """The links as an HTTP Link header (RFC 8288); their hrefs hold no comma (urlencode)."""
    return ", ".join(f'<{x["href"]}>; rel="{x["rel"]}"; type="{x["type"]}"' for x in links)


def item(
    store: Store, collection_id: str, feature_id: str, reader: Reader, base: str, query: Query
) -> Result:
    """One feature, or 404 naming it."""
    c = collection_of(collection_id)
    parse_format(query, known=ITEM_PARAMS)
    out_crs = crs.parse_crs(params.one(query, "crs"))
    try:
        v = read.record(store, c.kind, feature_id)
    except NotFound:
        raise NotFound(f"no feature {feature_id!r} in collection {c.id}") from None
    (g,) = _geometries([v], out_crs)
    return (
        200,
        orjson.dumps(_feature(c, v, c.project(v, reader), g, base)),
        {"Content-Crs": f"<{out_crs}>"},
    )


def landing_links(base: str) -> list[dict[str, str]]:
    """What this part adds to the landing page."""
    return [
        _link(f"{base}/collections", "data", JSON, "the collections"),
        _link(f"{base}/collections", "http://www.opengis.net/def/rel/ogc/1.0/data", JSON),
    ]


def openapi_paths() -> dict[str, Any]:
    from clearground.web.ogc.openapi import feature_paths

    return feature_paths()


# --- the routes: adapt a request to the functions above ---------------------------------------


def base_of(request: Request) -> str:
    """The URL of the OGC landing page as the client reached it."""
    return str(request.base_url).rstrip("/") + "/ogc"


def query_of(request: Request) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for k, v in request.query_params.multi_items():
        out.setdefault(k, []).append(v)
    return out


def respond(result: Result, request: Request, *, geojson: bool = False) -> Response:
    """The response of a plain function's result, in the media type the client accepts."""
    status, body, headers = result
    media = JSON
    if geojson:
        media = GEOJSON if _prefers_geojson(request.headers.get("accept", "")) else JSON
    headers = dict(headers)
    media = headers.pop("Content-Type", media)
    content = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(content=content, status_code=status, media_type=media, headers=headers)


def _prefers_geojson(accept: str) -> bool:
    """GeoJSON unless the client asks for application/json and not for GeoJSON."""
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",") if part.strip()]
    return not (JSON in kinds and GEOJSON not in kinds)


State = Annotated[WebState, Depends(web_state)]
Who = Annotated[Principal, Depends(principal)]


def router() -> APIRouter:
    """The routes of OGC API - Features under the OGC prefix."""
    r = APIRouter()

    @r.get("/collections")
    def get_collections(request: Request, state: State, who: Who) -> Response:
        result = collections(state.store, base_of(request), query_of(request), who)
        return respond(result, request)

    @r.get("/collections/{collection_id}")
    def get_collection(collection_id: str, request: Request, state: State) -> Response:
        result = collection(state.store, collection_id, base_of(request), query_of(request))
        return respond(result, request)

    @r.get("/collections/{collection_id}/queryables")
    def get_queryables(collection_id: str, request: Request) -> Response:
        return respond(queryables(collection_id, base_of(request), query_of(request)), request)

    @r.get("/collections/{collection_id}/items")
    def get_items(collection_id: str, request: Request, state: State, who: Who) -> Response:
        require_read(who, collection_of(collection_id).kind)
        result = items(
            state.store, collection_id, reader_of(who), base_of(request), query_of(request)
        )
        return respond(result, request, geojson=True)

    @r.get("/collections/{collection_id}/items/{feature_id}")
    def get_item(
        collection_id: str, feature_id: str, request: Request, state: State, who: Who
    ) -> Response:
        require_read(who, collection_of(collection_id).kind)
        result = item(
            state.store,
            collection_id,
            feature_id,
            reader_of(who),
            base_of(request),
            query_of(request),
        )
        return respond(result, request, geojson=True)

    return r
