"""Likely duplicates among field submissions and recorded data, vectorised.

Two rules (issue 5): an EO item of the same type within 25 m and 3 days of another, and a hazard
polygon that overlaps an existing one by more than half of its own area.
"""

from __future__ import annotations

import numpy as np
import shapely

from clearground.domain.areas import geodesic_areas, metres_per_degree

__all__ = ["eo_duplicates", "hazard_overlaps"]


def eo_duplicates(
    points: np.ndarray,
    types: list[str],
    days: np.ndarray,
    other_points: np.ndarray,
    other_types: list[str],
    other_days: np.ndarray,
    *,
    metres: float = 25.0,
    max_days: int = 3,
) -> list[tuple[int, int]]:
    """Pairs (i, j): point i and other point j share an EO type, lie within ``metres`` and
    ``max_days`` days of each other. ``days`` are day numbers (date.toordinal()).

    Examples
    --------
    >>> import shapely, numpy as np
    >>> a = np.array([shapely.Point(30, 50)]); b = np.array([shapely.Point(30.0002, 50)])
    >>> eo_duplicates(a, ["PFM-1"], np.array([1]), b, ["pfm-1"], np.array([3]))
    [(0, 0)]
    """
    if len(points) == 0 or len(other_points) == 0:
        return []
    lat = float(np.nanmax(np.abs(shapely.get_y(np.concatenate([points, other_points])))))
    m_lon, _ = metres_per_degree(min(lat, 89.0))
    tree = shapely.STRtree(other_points)
    i, j = tree.query(points, predicate="dwithin", distance=metres / m_lon)
    # exact enough at 25 m: a local plane at each pair's latitude
    scale = np.array([metres_per_degree(y) for y in shapely.get_y(points[i])]).reshape(-1, 2)
    dx = (shapely.get_x(points[i]) - shapely.get_x(other_points[j])) * scale[:, 0]
    dy = (shapely.get_y(points[i]) - shapely.get_y(other_points[j])) * scale[:, 1]
    near = np.hypot(dx, dy) <= metres
    close_in_time = np.abs(np.asarray(days)[i] - np.asarray(other_days)[j]) <= max_days
    same_type = np.array(
        [
            types[a].strip().lower() == other_types[b].strip().lower()
            for a, b in zip(i, j, strict=True)
        ],
        dtype=bool,
    )
    keep = near & close_in_time & same_type
    return list(zip(i[keep].tolist(), j[keep].tolist(), strict=True))


def hazard_overlaps(
    polygons: np.ndarray, others: np.ndarray, *, fraction: float = 0.5
) -> list[tuple[int, int]]:
    """Pairs (i, j): polygon i overlaps other j by more than ``fraction`` of i's own area."""
    if len(polygons) == 0 or len(others) == 0:
        return []
    i, j = shapely.STRtree(others).query(polygons, predicate="intersects")
    if len(i) == 0:
        return []
    shared = geodesic_areas(shapely.intersection(polygons[i], others[j]))
    own = geodesic_areas(polygons[i])
    keep = shared > fraction * own
    return list(zip(i[keep].tolist(), j[keep].tolist(), strict=True))
