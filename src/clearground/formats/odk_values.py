"""The values of an ODK Central or KoboToolbox submission: a field found behind its group
prefix, the instance id, dates as ISO 8601 text, and geopoints and geoshapes as geometries in
lon/lat (:mod:`clearground.formats.odk` reads the files they come in).

A geopoint is ``"lat lon [alt [acc]]"``, latitude first; a geoshape is such points joined by
``;``, closing on its first point. Central's OData also gives GeoJSON objects, and WKT with
``$wkt=true``: both are read too. Geometries come out in lon/lat, as everywhere in clearground.
"""

from __future__ import annotations

import math
import re
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry

__all__ = [
    "SEPARATORS",
    "geometry_of",
    "instance_id",
    "iso_date_text",
    "parse_geopoint",
    "parse_geoshape",
    "value",
]

#: Separators between a group's name and its field's, in the exports of each server.
SEPARATORS = ("/", "-", ".", ":")
_GEOPOINT_PARTS = ("Latitude", "Longitude", "Altitude", "Accuracy")
#: ODK Briefcase's CSV dates in English: "May 1, 2025", "May 1, 2025 9:05:00 AM".
_BRIEFCASE_DATE = re.compile(r"^([A-Z][a-z]{2}) (\d{1,2}), (\d{4})(?: \d{1,2}:\d{2}:\d{2} [AP]M)?$")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def iso_date_text(raw: str) -> str:
    """A date as ISO 8601 text: ODK Briefcase's English dates ("May 1, 2025") rewritten, any
    other text as it is (for the ISO 8601 check to accept or name)."""
    m = _BRIEFCASE_DATE.match(raw.strip())
    if m is None or m.group(1) not in _MONTHS:
        return raw
    month, day, year = _MONTHS.index(m.group(1)) + 1, int(m.group(2)), m.group(3)
    return f"{year}-{month:02d}-{day:02d}"


# --- finding a field behind its group prefix ------------------------------------------------


def _candidates(values: dict[str, Any], name: str) -> list[str]:
    if name in values:
        return [name]
    return [c for c in values if any(c.endswith(sep + name) for sep in SEPARATORS)]


def value(values: dict[str, Any], name: str) -> Any:
    """The value of field ``name``, whatever group prefix its column has; None if absent.

    ODK Central writes a geopoint as four columns; they are put back together as a geopoint.

    Examples
    --------
    >>> value({"survey-date": "2025-05-01", "meta-instanceID": "uuid:1"}, "date")
    '2025-05-01'
    >>> value({"place-Latitude": "50.1", "place-Longitude": "30.2"}, "place")
    '50.1 30.2'
    """
    found = _candidates(values, name)
    if len(found) > 1:
        raise ValueError(f"field {name} is in more than one column: {', '.join(found)}")
    if found:
        return values[found[0]]
    parts = [_single(values, f"{name}-{p}") for p in _GEOPOINT_PARTS]
    if parts[0] is None and parts[1] is None:
        return None
    texts = [_text(p) for p in parts]
    while texts and texts[-1] == "":
        texts.pop()
    return " ".join(texts)


def _single(values: dict[str, Any], name: str) -> Any:
    found = _candidates(values, name)
    if len(found) > 1:
        raise ValueError(f"field {name} is in more than one column: {', '.join(found)}")
    return values[found[0]] if found else None


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    return str(v).strip()


def instance_id(values: dict[str, Any]) -> str:
    """The submission's instance id (``uuid:...``), from whichever column the server wrote."""
    for name in ("KEY", "__id", "instanceID", "_uuid"):
        try:
            found = value(values, name) if name == "instanceID" else values.get(name)
        except ValueError:
            found = None
        text = _text(found)
        if text:
            return text if ":" in text else f"uuid:{text}"
    return ""


# --- geopoints and geoshapes ----------------------------------------------------------------


def _point_parts(text: str, what: str) -> tuple[float, float]:
    parts = text.split()
    if not 2 <= len(parts) <= 4:
        raise ValueError(
            f'{what} {text!r} is not an ODK geopoint: write it as "lat lon alt acc" '
            "(latitude first, separated by spaces)"
        )
    try:
        lat, lon, *_ = (float(p) for p in parts)
    except ValueError:
        raise ValueError(
            f'{what} {text!r} is not an ODK geopoint: "lat lon alt acc" are numbers'
        ) from None
    return lon, lat


def parse_geopoint(text: str, *, what: str = "geopoint") -> BaseGeometry:
    """An ODK geopoint ``"lat lon alt acc"`` as a point (lon, lat).

    Examples
    --------
    >>> parse_geopoint("50.45 30.52 120.5 4.0").wkt
    'POINT (30.52 50.45)'
    """
    return shapely.Point(_point_parts(text.strip(), what))


def parse_geoshape(text: str, *, what: str = "geoshape") -> BaseGeometry:
    """An ODK geoshape ``"lat lon alt acc;lat lon alt acc;..."`` as a polygon (lon, lat).

    The shape closes on its first point (ODK repeats it at the end; if it does not, it is
    closed here). It needs three distinct points.

    Examples
    --------
    >>> parse_geoshape("50 30 0 0;50 30.01 0 0;50.01 30.01 0 0;50 30 0 0").wkt
    'POLYGON ((30 50, 30.01 50, 30.01 50.01, 30 50))'
    """
    parts = [p.strip() for p in text.split(";") if p.strip()]
    points = [_point_parts(p, what) for p in parts]
    if len(points) > 1 and points[0] == points[-1]:
        points.pop()
    if len(set(points)) < 3:
        raise ValueError(
            f"{what} {_short(text)!r} has {len(set(points))} distinct point(s); a shape needs 3 "
            'or more ("lat lon alt acc;lat lon alt acc;...")'
        )
    return shapely.Polygon([*points, points[0]])


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def geometry_of(raw: Any, geometry_type: str, *, what: str) -> BaseGeometry | None:
    """A geopoint or geoshape value as a geometry in lon/lat; None if empty.

    ``raw`` is an ODK string, a GeoJSON object or WKT (ODK Central's OData gives either).
    """
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, dict):
        try:
            return shapely.geometry.shape(raw)
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(f"{what} is not a GeoJSON geometry: {exc}") from None
    if not isinstance(raw, str):
        raise ValueError(f"{what} {raw!r} is not a {geometry_type}")
    text = raw.strip()
    if text[:1].isalpha() and text.split("(")[0].strip().upper() in ("POINT", "POLYGON"):
        try:
            return shapely.from_wkt(text)
        except shapely.errors.GEOSException as exc:
            raise ValueError(f"{what} {_short(text)!r} is not WKT: {exc}") from None
    if geometry_type == "geopoint":
        return parse_geopoint(text, what=what)
    return parse_geoshape(text, what=what)
