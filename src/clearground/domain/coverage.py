"""What a database covers, and which part of a query lies outside it.

A check may say "No recorded hazard" only where the database records hazards at all: inside the
operating region (``Region``), narrowed to an imported coverage area where there is one, else to
the imported administrative areas where there are some. Outside that, nothing can be said.
Containment is tested in lon/lat with shapely, so edges are straight in lon/lat (the rule of
``clearground.domain.areas``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Geod
from shapely.geometry.base import BaseGeometry

from clearground.domain.areas import densify

__all__ = ["CoverageArea", "Uncovered", "uncovered_parts"]

_GEOD = Geod(ellps="WGS84")


@dataclass(slots=True)
class CoverageArea:
    """A polygon the database says it covers (records are kept for the land inside it)."""

    id: str
    name: str
    source: str
    geometry: BaseGeometry


@dataclass(frozen=True)
class Uncovered:
    """One piece of a query outside the coverage: where it starts and ends, and its length."""

    start: tuple[float, float]
    end: tuple[float, float]
    length_m: float

    def as_dict(self) -> dict[str, object]:
        return {
            "from": [round(self.start[0], 6), round(self.start[1], 6)],
            "to": [round(self.end[0], 6), round(self.end[1], 6)],
            "length_m": round(self.length_m, 1),
        }


def geodesic_length(line: BaseGeometry) -> float:
    """Length in metres of a line whose edges are straight in lon/lat (densified first)."""
    return float(_GEOD.geometry_length(densify(line)))


def uncovered_parts(query: BaseGeometry, covered: BaseGeometry) -> list[Uncovered]:
    """The pieces of ``query`` (a point or line, lon/lat) not within ``covered``, in order.

    A point outside is one piece of length 0; a line gives each part outside the coverage.
    """
    if covered.is_empty:
        rest = query
    elif shapely.covers(covered, query):
        return []
    else:
        rest = query.difference(covered)
    out = []
    for part in shapely.get_parts(rest):
        if part.is_empty:
            continue
        xy = shapely.get_coordinates(part)
        if part.geom_type == "Point":
            out.append(Uncovered(tuple(xy[0]), tuple(xy[0]), 0.0))
        else:
            out.append(Uncovered(tuple(xy[0]), tuple(xy[-1]), geodesic_length(part)))
    return [u for u in out if np.isfinite(u.length_m)]
