"""A prioritisation run: which open hazards to survey and clear first, and why.

The run is a record like any other (versioned, never overwritten): its inputs with their sha256
checksums, its configuration, the code version and, for each ranked hazard, its factors, score
and the contribution of each factor. It ranks where survey and clearance would do most good; it
never says that any land is without hazard.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely.geometry.base import BaseGeometry

__all__ = ["FACTORS", "OPEN_STATUSES", "PriorityRun"]

#: The factors of every ranked hazard, in the order they are shown.
FACTORS = (
    "population_inside",
    "population_1km",
    "population_5km",
    "cropland_m2",
    "built_up_m2",
    "points_inside",
    "points_1km",
    "roads_inside_m",
    "road_nearest_m",
    "accidents_2km",
    "finds_2km",
)

#: Hazards ranked: those still to survey or clear. Closed and handed-over land is not ranked
#: (it was released by evidence); a reopened hazard is ranked again.
OPEN_STATUSES = ("active", "in_progress", "reopened")


@dataclass(slots=True)
class PriorityRun:
    """One stored run. ``hazards`` is in rank order; ``geometry`` is the extent of the ranked
    hazards (so that the run shows on a map and is found by place)."""

    id: str
    time: str
    run_date: str
    inputs: dict[str, Any]
    configuration: dict[str, Any]
    code_version: dict[str, Any]
    hazard_count: int
    hazards: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)
    geometry: BaseGeometry | None = None
