"""Route and place checks: which recorded hazards a route or place crosses or comes near.

The answer says what is recorded, never that land is safe: an empty answer reads "No recorded
hazard within N m. Unrecorded hazards may exist." And only where the database covers the place
(``services.coverage``): outside its coverage, or on a database without any hazard record, the
answer is ``"covered": false`` and says that nothing can be said there. A route partly outside is
``"covered": false`` too: its hazards on the covered part are listed, and the message and
``"uncovered"`` name each part outside (from, to, length). A likely lat/lon swap is refused.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clearground.domain.coverage import geodesic_length
from clearground.domain.errors import BadInput, ImportRejected
from clearground.domain.validation import UKRAINE, Region, swapped_reason
from clearground.formats import read_file
from clearground.services.common import refuse
from clearground.services.coverage import CoverageAnswer, coverage_of
from clearground.store.base import Store

__all__ = [
    "MESSAGES",
    "UNRECORDED",
    "check",
    "no_hazard_message",
    "not_covered_message",
    "parse_point",
    "read_route",
    "render_message",
]

DEFAULT_BUFFER_M = 200.0


#: The sentence every answer about recorded hazards carries.
UNRECORDED = "Unrecorded hazards may exist."

#: Every sentence a check answers with, as ``str.format`` templates: the CLI, the server and
#: the published static site (``metadata.json`` ``messages``) word answers from these alone.
MESSAGES: dict[str, str] = {
    "no_hazard": "No recorded hazard within {buffer_m:g} m. " + UNRECORDED,
    "found_one": "{n} recorded hazard within {buffer_m:g} m ({crossed} crossed). "
    "Unrecorded hazards may exist as well.",
    "found_many": "{n} recorded hazards within {buffer_m:g} m ({crossed} crossed). "
    "Unrecorded hazards may exist as well.",
    "not_covered": "This database holds no records for {place}: it covers {what}. "
    "Nothing can be said about hazards here.",
    "no_hazards": "This database holds no records for this place: it holds no hazard records "
    "at all. Nothing can be said about hazards here.",
    "found_outside": "{found} But {place} lies outside what this database covers ({what}): "
    "nothing more can be said about hazards here.",
    "partly": "This database holds no records for part of this route: it covers {what}. "
    "{gone_km:,.2f} km of {total_km:,.2f} km lie outside it ({pieces}); nothing can be said "
    "about hazards there.",
    "piece": "from ({from_lon:.5f}, {from_lat:.5f}) to ({to_lon:.5f}, {to_lat:.5f})",
    "pieces_more": "; and {more} more",
    "partly_found": "{partly} On the covered part: {found}",
    "partly_none": "{partly} On the covered part, no hazard is recorded within {buffer_m:g} m; "
    "unrecorded hazards may exist.",
    "place_point": "this place",
    "place_route": "this route",
}
#: How many parts outside the coverage a message names (the rest are counted).
PIECES_NAMED = 3


def no_hazard_message(buffer_m: float) -> str:
    return MESSAGES["no_hazard"].format(buffer_m=buffer_m)


def not_covered_message(what: str, *, place: str = "this place") -> str:
    return MESSAGES["not_covered"].format(place=place, what=what)


NO_HAZARDS_MESSAGE = MESSAGES["no_hazards"]


def _found(n: int, crossed: int, buffer_m: float) -> dict[str, Any]:
    key = "found_one" if n == 1 else "found_many"
    return {"key": key, "args": {"n": n, "crossed": crossed, "buffer_m": buffer_m}}


def _found_message(n: int, crossed: int, buffer_m: float) -> str:
    return render_message(_found(n, crossed, buffer_m))


def render_message(node: dict[str, Any], template: Callable[..., str] | None = None) -> str:
    """The text of a message tree (``message_key`` / ``message_args``): each node's template
    (``template(key, values)``, English ``MESSAGES`` by default) filled with its arguments, a nested
    node rendered first; a list is the parts outside the coverage, joined by "; "."""
    template = template or _english
    values: dict[str, Any] = {}
    for name, value in node["args"].items():
        if isinstance(value, dict):
            values[name] = render_message(value, template)
        elif isinstance(value, list):
            named = [render_message(v, template) for v in value if v["key"] != "pieces_more"]
            more = [render_message(v, template) for v in value if v["key"] == "pieces_more"]
            values[name] = "; ".join(named) + "".join(more)
        else:
            values[name] = value
    return template(node["key"], values)


def _english(key: str, values: dict[str, Any]) -> str:
    return MESSAGES[key].format(**values)


def _node(key: str, **args: Any) -> dict[str, Any]:
    return {"key": key, "args": args}


def _message_tree(
    cov: CoverageAnswer, query: BaseGeometry, n: int, crossed: int, buffer_m: float
) -> dict[str, Any]:
    """What to tell the user, as a tree of ``MESSAGES`` keys and their arguments; never
    "No recorded hazard" where nothing is known."""
    if cov.no_hazards:
        return _node("no_hazards")
    if cov.covered:
        return _found(n, crossed, buffer_m) if n else _node("no_hazard", buffer_m=buffer_m)
    is_point = query.geom_type in ("Point", "MultiPoint")
    total = 0.0 if is_point else geodesic_length(query)
    gone = sum(u.length_m for u in cov.uncovered)
    if is_point or gone >= total * (1 - 1e-9):  # all of it outside
        place = _node("place_point" if is_point else "place_route")
        if not n:
            return _node("not_covered", place=place, what=cov.what)
        found = _found(n, crossed, buffer_m)
        return _node("found_outside", found=found, place=place, what=cov.what)
    pieces = [
        _node("piece", from_lon=u.start[0], from_lat=u.start[1], to_lon=u.end[0], to_lat=u.end[1])
        for u in cov.uncovered[:PIECES_NAMED]
    ]
    if len(cov.uncovered) > PIECES_NAMED:
        pieces.append(_node("pieces_more", more=len(cov.uncovered) - PIECES_NAMED))
    partly = _node(
        "partly", what=cov.what, gone_km=gone / 1000, total_km=total / 1000, pieces=pieces
    )
    if n:
        return _node("partly_found", partly=partly, found=_found(n, crossed, buffer_m))
    return _node("partly_none", partly=partly, buffer_m=buffer_m)


def _message(cov: CoverageAnswer, query: BaseGeometry, n: int, crossed: int, buffer_m: float):
    """What to tell the user, never "No recorded hazard" where nothing is known."""
    return render_message(_message_tree(cov, query, n, crossed, buffer_m))


def parse_point(text: str) -> BaseGeometry:
    """``LON,LAT`` as a point, checked for range."""
    try:
        lon_s, lat_s = text.split(",")
        lon, lat = float(lon_s), float(lat_s)
    except ValueError:
        raise BadInput(
            f"--point {text!r}: write it as LON,LAT in degrees, e.g. 30.52,50.45"
        ) from None
    if not (np.isfinite(lon) and np.isfinite(lat) and abs(lon) <= 180 and abs(lat) <= 90):
        raise BadInput(f"--point {text!r}: longitude must be within ±180 and latitude within ±90")
    return shapely.Point(lon, lat)


def read_route(path: str | Path, *, layer: str | None = None, format_name: str | None = None):
    """The line (or lines) of a GPX track/route or a GeoJSON/GeoPackage layer, as one geometry."""
    path = Path(path)
    table = read_file(path, format_name, layer=layer)
    geoms = np.asarray(table.geometries, dtype=object)
    problems = dict(table.problems)
    keep = []
    for i, g in enumerate(geoms):
        if i in problems:
            continue
        if g is None or g.is_empty:
            problems[i] = "no geometry"
        elif g.geom_type not in ("LineString", "MultiLineString", "Point", "MultiPoint"):
            problems[i] = f"geometry is a {g.geom_type}, not a line (route or track)"
        elif not np.isfinite(shapely.get_coordinates(g)).all():
            problems[i] = "a coordinate is not a finite number"
        else:
            keep.append(shapely.force_2d(g))
    if problems:
        refuse(table, problems)
    if not keep:
        raise ImportRejected([f"{path}: no route, track or line in the file"])
    route = shapely.union_all(keep) if len(keep) > 1 else keep[0]
    xy = shapely.get_coordinates(route)
    if (np.abs(xy[:, 0]) > 180).any() or (np.abs(xy[:, 1]) > 90).any():
        raise ImportRejected([f"{path}: coordinates outside lon/lat range"])
    return route


def hazard_entries(found: list[tuple[Any, float]]) -> list[dict[str, Any]]:
    """The answer's ``hazards``: each hazard found (a version and its distance), nearest first."""
    entries = []
    for v, d in found:
        h = v.record
        entries.append(
            {
                "id": h.id,
                "name": h.name,
                "status": str(h.status),
                "classification": str(h.classification),
                "distance_m": round(float(d), 1),
            }
        )
    return entries


def check(
    store: Store,
    query: BaseGeometry,
    *,
    buffer_m: float = DEFAULT_BUFFER_M,
    as_of: str | None = None,
    region: Region = UKRAINE,
) -> dict[str, Any]:
    """Hazards crossed by or within ``buffer_m`` of ``query``, nearest first, with a message
    that says whether the database covers the place at all."""
    if not np.isfinite(buffer_m) or buffer_m < 0:
        raise BadInput(f"--buffer {buffer_m}: must be a distance in metres, 0 or more")
    is_point = query.geom_type in ("Point", "MultiPoint")
    swapped = swapped_reason(query, region)
    if swapped:
        raise BadInput(f"{'--point' if is_point else 'route'}: {swapped}")
    minx, _, maxx, _ = query.bounds
    if maxx - minx > 180:
        raise BadInput(
            f"route: longitudes span {minx:g} to {maxx:g}: it crosses the antimeridian, which "
            "in lon/lat is a line round the globe; split it at 180 degrees"
        )
    found = store.within_distance("hazard", query, buffer_m, as_of=as_of)
    cov = coverage_of(store, query, region, as_of=as_of, hazards_found=bool(found))
    hazards = hazard_entries(found)
    crossed = sum(1 for _, d in found if d == 0)
    tree = _message_tree(cov, query, len(hazards), crossed, buffer_m)
    return {
        "buffer_m": buffer_m,
        "hazards": hazards,
        "message": render_message(tree),
        # the same message as data, for a page that words it in its own language
        "message_key": tree["key"],
        "message_args": tree["args"],
        "as_of": as_of,
        "distance_method": "edges straight in lon/lat, densified to 0.01 degree (within 0.03 m) "
        "before an azimuthal equidistant projection centred on the whole degree nearest the "
        "query; error below 0.003 % for a point, below 0.1 % within 500 km",
        "covered": cov.covered,
        "coverage": "no hazard records at all" if cov.no_hazards else cov.what,
        "uncovered": [u.as_dict() for u in cov.uncovered],
    }
