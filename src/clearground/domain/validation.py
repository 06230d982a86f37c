"""Checks of incoming geometries, vectorised over a whole file.

Each check returns, per feature, either nothing or a reason that a field IM officer can act on.
The importer turns the reasons into ``FILE:feature N: reason`` lines and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from clearground.domain.landrelease import polygonal

__all__ = [
    "POLAR_LIMIT_DEG",
    "Region",
    "GeometryCheck",
    "check_geometries",
    "swapped_reason",
    "UKRAINE",
]

#: Latitude beyond which no geometry is accepted: a polygon holding a pole cannot be written in
#: lon/lat edges at all, and near the poles a degree of longitude shrinks to nothing; no national
#: mine action database reaches there. Computations are tested up to this latitude.
POLAR_LIMIT_DEG = 85.0


@dataclass(frozen=True)
class Region:
    """The bounding box of the operating region (lon/lat), used to spot swapped coordinates."""

    min_lon: float
    min_lat: float
    max_lon: float
    max_lat: float

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        return (self.min_lon, self.min_lat, self.max_lon, self.max_lat)

    def describe(self) -> str:
        return (
            f"the operating region (longitude {self.min_lon:g} to {self.max_lon:g}, "
            f"latitude {self.min_lat:g} to {self.max_lat:g})"
        )

    def contains(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        return (
            (lon >= self.min_lon)
            & (lon <= self.max_lon)
            & (lat >= self.min_lat)
            & (lat <= self.max_lat)
        )


UKRAINE = Region(22.0, 44.0, 40.5, 52.5)


@dataclass
class GeometryCheck:
    """What :func:`check_geometries` found: cleaned geometries, refusals and repairs by index."""

    geometries: np.ndarray
    problems: dict[int, str] = field(default_factory=dict)
    repaired: dict[int, str] = field(default_factory=dict)


_POLYGONAL = (3, 6)
_TYPE_NAMES = {
    0: "Point",
    1: "LineString",
    2: "LinearRing",
    3: "Polygon",
    4: "MultiPoint",
    5: "MultiLineString",
    6: "MultiPolygon",
    7: "GeometryCollection",
}


def _renumber(owner: np.ndarray) -> np.ndarray:
    """Owner indices made dense again (0, 1, ...) after some owners were dropped."""
    return np.unique(owner, return_inverse=True)[1] if len(owner) else owner


def _first_bad_coordinate(geom: shapely.Geometry, ok) -> tuple[float, float]:
    xy = shapely.get_coordinates(geom)
    bad = ~ok(xy[:, 0], xy[:, 1])
    x, y = xy[np.argmax(bad)]
    return float(x), float(y)


def swapped_reason(geometry: shapely.Geometry, region: Region) -> str | None:
    """Why ``geometry`` is likely lat/lon swapped (as :func:`check_geometries` says), or None:
    no coordinate lies in ``region`` but every one does once swapped."""
    if isinstance(geometry, shapely.Point) and not geometry.is_empty:  # a place: plain floats
        x, y = geometry.x, geometry.y
        r = region
        if r.min_lon <= x <= r.max_lon and r.min_lat <= y <= r.max_lat:
            return None
        if not (r.min_lon <= y <= r.max_lon and r.min_lat <= x <= r.max_lat):
            return None
        return _swap_text(float(x), float(y))
    xy = shapely.get_coordinates(geometry)
    if len(xy) == 0 or region.contains(xy[:, 0], xy[:, 1]).any():
        return None
    if not region.contains(xy[:, 1], xy[:, 0]).all():
        return None
    return _swap_text(float(xy[0, 0]), float(xy[0, 1]))


def _swap_text(x: float, y: float) -> str:
    return (
        f"likely swapped lat/lon: ({x:g}, {y:g}) read as lon, lat lies outside the "
        f"operating region, and swapped it lies inside; write coordinates as lon, lat"
    )


def _reach_reasons(geoms: np.ndarray, idx: np.ndarray, lon, lat, owner) -> dict[int, str]:
    """Features across the antimeridian (longitudes spanning more than 180 degrees: drawn in
    lon/lat such a shape is a band round the globe) or beyond ``POLAR_LIMIT_DEG``."""
    n = len(idx)
    lo = np.full(n, np.inf)
    hi = np.full(n, -np.inf)
    np.minimum.at(lo, owner, lon)
    np.maximum.at(hi, owner, lon)
    top = np.zeros(n)
    np.maximum.at(top, owner, np.abs(lat))
    out: dict[int, str] = {}
    for j in np.flatnonzero(hi - lo > 180):
        out[int(idx[j])] = (
            f"crosses the antimeridian: longitudes span {lo[j]:g} to {hi[j]:g}, which in lon/lat "
            "is a band round the globe; a hazard cannot cross 180 degrees (split it there)"
        )
    for j in np.flatnonzero(top > POLAR_LIMIT_DEG):
        out.setdefault(
            int(idx[j]),
            f"reaches latitude {top[j]:g}, beyond ±{POLAR_LIMIT_DEG:g}: polar geometries "
            "cannot be recorded",
        )
    return out


def check_geometries(
    geometries: np.ndarray,
    *,
    region: Region = UKRAINE,
    repair: bool = False,
    allowed_types: tuple[int, ...] = _POLYGONAL,
    expected: str = "a polygon",
) -> GeometryCheck:
    """Check every geometry; return cleaned ones (2D, repaired if asked) and a reason per problem.

    Parameters
    ----------
    geometries : array of shapely geometries or None, in lon/lat (EPSG:4326).
    region : operating region; a feature outside it whose swapped coordinates fall inside it is
        refused as "likely swapped lat/lon".
    repair : repair invalid polygons with ``shapely.make_valid`` (and report each repair) instead
        of refusing them.

    Examples
    --------
    >>> import shapely, numpy as np
    >>> bowtie = shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)])
    >>> check_geometries(np.array([bowtie, None])).problems[1]
    'no geometry (null)'
    """
    geoms = np.asarray(geometries, dtype=object).copy()
    n = len(geoms)
    result = GeometryCheck(geometries=geoms)
    problems = result.problems
    if n == 0:
        return result
    missing = shapely.is_missing(geoms)
    for i in np.flatnonzero(missing):
        problems[int(i)] = "no geometry (null)"
    present = ~missing
    empty = np.zeros(n, bool)
    empty[present] = shapely.is_empty(geoms[present])
    for i in np.flatnonzero(empty):
        problems[int(i)] = "empty geometry"
    live = present & ~empty
    types = np.full(n, -1)
    types[live] = shapely.get_type_id(geoms[live])
    wrong = live & ~np.isin(types, allowed_types)
    for i in np.flatnonzero(wrong):
        problems[int(i)] = (
            f"geometry is a {_TYPE_NAMES.get(int(types[i]), 'geometry')}, not {expected}"
        )
    live &= ~wrong
    if not live.any():
        return result
    idx = np.flatnonzero(live)
    has_z = shapely.has_z(geoms[idx])
    if has_z.any():
        geoms[idx[has_z]] = shapely.force_2d(geoms[idx[has_z]])
    coords, owner = shapely.get_coordinates(geoms[idx], return_index=True)
    lon, lat = coords[:, 0], coords[:, 1]
    counts = np.bincount(owner, minlength=len(idx))

    def per_feature(flags: np.ndarray) -> np.ndarray:
        return np.bincount(owner, weights=flags, minlength=len(idx))

    finite = np.isfinite(lon) & np.isfinite(lat)
    nonfinite = per_feature(~finite) > 0
    in_range = finite & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
    all_in_range = per_feature(in_range) == counts
    any_in_region = per_feature(region.contains(lon, lat)) > 0
    all_swapped_in = per_feature(region.contains(lat, lon)) == counts
    swapped = ~nonfinite & ~any_in_region & all_swapped_in
    out_of_range = ~nonfinite & ~swapped & ~all_in_range
    for j in np.flatnonzero(nonfinite):
        problems[int(idx[j])] = "a coordinate is not a finite number (NaN or infinite)"
    for j in np.flatnonzero(swapped):
        x, y = _first_bad_coordinate(geoms[idx[j]], region.contains)
        problems[int(idx[j])] = _swap_text(x, y)
    # a shape running on past 180 degrees (179 ... 181): across the antimeridian
    wrapped = finite & (np.abs(lon) <= 360) & (np.abs(lat) <= 90)
    past_180 = out_of_range & (per_feature(wrapped) == counts) & (per_feature(in_range) > 0)
    for j in np.flatnonzero(out_of_range):
        x, y = _first_bad_coordinate(
            geoms[idx[j]], lambda a, b: (np.abs(a) <= 180) & (np.abs(b) <= 90)
        )
        problems[int(idx[j])] = (
            f"longitude {x:g} is beyond ±180: a shape across the antimeridian cannot be "
            "recorded (a hazard cannot cross 180 degrees; split it there)"
            if past_180[j]
            else f"coordinates outside lon/lat range: ({x:g}, {y:g}); is the layer in a "
            "projected CRS without its definition?"
        )
    bad = nonfinite | swapped | out_of_range
    ok = ~bad[owner]
    problems.update(_reach_reasons(geoms, idx[~bad], lon[ok], lat[ok], _renumber(owner[ok])))
    bad |= np.isin(idx, list(problems))
    idx = idx[~bad]
    if len(idx) == 0:
        return result
    valid = shapely.is_valid(geoms[idx])
    for i in idx[~valid]:
        reason = shapely.is_valid_reason(geoms[i])
        if repair:
            fixed = shapely.make_valid(geoms[i])
            fixed = polygonal(fixed) if allowed_types == _POLYGONAL else fixed
            if fixed.is_empty:
                problems[int(i)] = f"invalid polygon ({reason}) and repair left nothing"
            else:
                geoms[i] = fixed
                result.repaired[int(i)] = f"repaired invalid polygon ({reason})"
        else:
            problems[int(i)] = f"invalid polygon: {reason} (use --repair to repair it)"
    return result
