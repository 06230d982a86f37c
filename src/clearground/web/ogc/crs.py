"""OGC API - Features Part 2 (Coordinate Reference Systems by Reference): the CRSs a client may
ask for with ``crs`` (features) and ``bbox-crs`` (the box it gives).

Records are stored in lon/lat (CRS84, as RFC 7946 GeoJSON has it). EPSG:4326 is the same datum
with the axes in its authority's order, latitude first: served by swapping the axes (no
reprojection, so nothing is lost or rounded). A CRS not listed here is a 400.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely

from clearground.domain.errors import BadInput

__all__ = ["CRS84", "EPSG4326", "SUPPORTED", "bbox_to_crs84", "in_crs", "parse_crs"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG4326 = "http://www.opengis.net/def/crs/EPSG/0/4326"
#: The CRSs served, the storage CRS first.
SUPPORTED = (CRS84, EPSG4326)
_NAMES = {
    CRS84: CRS84,
    "[OGC:CRS84]": CRS84,
    "OGC:CRS84": CRS84,
    EPSG4326: EPSG4326,
    "[EPSG:4326]": EPSG4326,
    "EPSG:4326": EPSG4326,
}
CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"


def parse_crs(text: str | None, parameter: str = "crs") -> str:
    """The CRS URI ``text`` names (CRS84 if none); a CRS not served is a 400."""
    if text is None:
        return CRS84
    found = _NAMES.get(text.strip())
    if found is None:
        raise BadInput(f"{parameter} {text!r}: not served; give one of {', '.join(SUPPORTED)}")
    return found


def bbox_to_crs84(text: str | None, crs: str) -> str | None:
    """A ``bbox`` given in ``crs`` as the same box in CRS84 order (lon first); the numbers are
    checked afterwards as CRS84 ones."""
    if text is None or crs == CRS84:
        return text
    parts = text.split(",")
    if len(parts) == 4:  # lat,lon,lat,lon
        return ",".join([parts[1], parts[0], parts[3], parts[2]])
    if len(parts) == 6:
        return ",".join([parts[1], parts[0], parts[2], parts[4], parts[3], parts[5]])
    return text  # refused by the CRS84 parser with its message


def in_crs(geometries: Sequence, crs: str) -> np.ndarray:
    """The geometries (CRS84) in ``crs``."""
    geoms = np.asarray(geometries, dtype=object)
    if crs == CRS84 or not len(geoms):
        return geoms
    return shapely.transform(geoms, lambda xy: xy[:, ::-1])
