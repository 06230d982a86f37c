"""SYNTHETIC inputs of a prioritisation, written with GDAL (rasterio, pyogrio) from a seed, and the
brute-force references each factor is checked against (plain shapely and numpy, zone by zone)."""

from __future__ import annotations

import math
from datetime import date
from pathlib import Path

import numpy as np
import shapely
from pyproj import Geod, Transformer

from clearground.domain.areas import densify, geodesic_area
from clearground.domain.records import Accident, EOCategory, EOItem, HazardArea, HazardStatus
from tests.helpers import write_layer

GEOD = Geod(ellps="WGS84")
A = 6378137.0
RUN_DATE = date(2026, 6, 30)
# the population grid in lon/lat: 29.8..30.9 E, 49.85..50.55 N
POP_ORIGIN, POP_RES, POP_SHAPE = (29.8, 50.55), 0.005, (140, 220)
LC_ORIGIN, LC_RES, LC_SHAPE = (29.9, 50.45), 0.002, (250, 400)
CODES = np.array([10, 20, 30, 40, 50, 60, 80], dtype=np.uint8)


def hazards(seed: int = 7, n: int = 10) -> list[HazardArea]:
    """Irregular SYNTHETIC hazards (rotated quadrilaterals) around 30.2..30.5 E, 50.1..50.3 N;
    the last one is closed (never ranked)."""
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        cx, cy = 30.2 + 0.3 * rng.random(), 50.1 + 0.2 * rng.random()
        r = rng.uniform(0.002, 0.008, 4)
        ang = np.sort(rng.uniform(0, 2 * np.pi, 4))
        ring = np.column_stack((cx + r * np.cos(ang) * 1.5, cy + r * np.sin(ang)))
        poly = shapely.MultiPolygon([shapely.Polygon(ring).convex_hull])
        status = HazardStatus.CLOSED if i == n - 1 else HazardStatus.ACTIVE
        out.append(
            HazardArea(
                id=f"HA-{i + 1:06d}",
                name=f"SYNTHETIC hazard {i + 1}",
                geometry=poly,
                area_m2=geodesic_area(poly),
                status=status,
            )
        )
    return out


def evidence(seed: int = 8) -> tuple[list[Accident], list[EOItem]]:
    """SYNTHETIC accidents and EO finds, some older than 24 months before RUN_DATE."""
    rng = np.random.default_rng(seed)
    acc, eo = [], []
    for i in range(40):
        p = shapely.Point(30.18 + 0.35 * rng.random(), 50.08 + 0.25 * rng.random())
        d = date(2023 + int(rng.integers(0, 4)), int(rng.integers(1, 13)), 15)
        acc.append(Accident(id=f"AC-{i + 1:06d}", geometry=p, date=min(d, RUN_DATE)))
    for i in range(60):
        p = shapely.Point(30.18 + 0.35 * rng.random(), 50.08 + 0.25 * rng.random())
        d = date(2023 + int(rng.integers(0, 4)), int(rng.integers(1, 13)), 1)
        eo.append(
            EOItem(id=f"EO-{i + 1:06d}", geometry=p, category=EOCategory.UXO, date=min(d, RUN_DATE))
        )
    return acc, eo


def write_raster(path: Path, array: np.ndarray, transform, crs: str | None, nodata=None) -> Path:
    import rasterio

    profile = {
        "driver": "GTiff",
        "width": array.shape[1],
        "height": array.shape[0],
        "count": 1,
        "dtype": array.dtype,
        "transform": transform,
        "nodata": nodata,
    }
    if crs is not None:
        profile["crs"] = crs
    with rasterio.open(path, "w", **profile) as ds:
        ds.write(array, 1)
    return path


def population_array(seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (rng.gamma(2.0, 20.0, POP_SHAPE)).astype(np.float64)


def landcover_array(seed: int = 4) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return CODES[rng.integers(0, len(CODES), LC_SHAPE)]


def write_inputs(folder: Path, *, crs_variant: bool = False) -> dict[str, Path]:
    """The SYNTHETIC rasters and vector files; ``crs_variant`` writes the same data in other CRSs:
    population in EPSG:4087 (plate carrée in metres: an affine image of the lon/lat grid, so the
    very same pixel footprints), points in UTM 36N, lines in EPSG:3857."""
    from rasterio.transform import from_origin

    folder.mkdir(parents=True, exist_ok=True)
    pop = population_array()
    if crs_variant:
        k = A * math.pi / 180
        t = from_origin(POP_ORIGIN[0] * k, POP_ORIGIN[1] * k, POP_RES * k, POP_RES * k)
        pop_path = write_raster(folder / "population.tif", pop, t, "EPSG:4087")
    else:
        t = from_origin(*POP_ORIGIN, POP_RES, POP_RES)
        pop_path = write_raster(folder / "population.tif", pop, t, "EPSG:4326")
    lc_path = write_raster(
        folder / "landcover.tif",
        landcover_array(),
        from_origin(*LC_ORIGIN, LC_RES, LC_RES),
        "EPSG:4326",
        nodata=0,
    )
    pts, lines = infrastructure()
    if crs_variant:
        to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)
        to_merc = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)
        pts_w = shapely.transform(pts, lambda xy: np.column_stack(to_utm.transform(*xy.T)))
        lines_w = shapely.transform(lines, lambda xy: np.column_stack(to_merc.transform(*xy.T)))
        p_path = write_layer(folder / "points.gpkg", pts_w, crs="EPSG:32636")
        l_path = write_layer(folder / "roads.gpkg", lines_w, crs="EPSG:3857")
    else:
        p_path = write_layer(folder / "points.gpkg", pts)
        l_path = write_layer(folder / "roads.geojson", lines)
    return {"population": pop_path, "landcover": lc_path, "points": p_path, "lines": l_path}


def infrastructure(seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """SYNTHETIC points (schools, water points) and road lines."""
    rng = np.random.default_rng(seed)
    pts = shapely.points(30.15 + 0.4 * rng.random(300), 50.05 + 0.3 * rng.random(300))
    # a school and a road in each of the first three hazards: every factor is non-zero somewhere
    centres = [h.geometry.centroid for h in hazards()[:3]]
    pts = np.concatenate([pts, centres])
    lines = [
        shapely.LineString([(c.x - 0.02, c.y - 0.001), (c.x, c.y), (c.x + 0.015, c.y + 0.004)])
        for c in centres
    ]
    for _ in range(25):
        x0, y0 = 30.15 + 0.4 * rng.random(), 50.05 + 0.3 * rng.random()
        steps = rng.normal(0, 0.01, (6, 2)).cumsum(axis=0)
        lines.append(shapely.LineString(np.vstack(([x0, y0], [x0, y0] + steps))))
    return pts, np.array(lines, dtype=object)


def config(folder: Path, inputs: dict[str, Path], weights: str | None = None) -> Path:
    default = "population_inside = 3.0\npopulation_1km = 1.0\ncropland_m2 = 1.0\nfinds_2km = 0.5"
    text = f"""# SYNTHETIC prioritisation
[inputs]
population = "{inputs["population"].name}"
landcover = "{inputs["landcover"].name}"
points = ["{inputs["points"].name}"]
lines = ["{inputs["lines"].name}"]
[landcover]
cropland = [40]
built_up = [50]
[weights]
{weights or default}
[run]
date = {RUN_DATE.isoformat()}
"""
    path = folder / "prioritise.toml"
    path.write_text(text)
    return path


# --- brute-force references ---------------------------------------------------------------


def pixel_boxes(origin, res, shape, zone_bounds):
    """Footprints (lon/lat) and (row, col) of the pixels whose box meets ``zone_bounds``."""
    x0, y0 = origin
    c0 = max(0, int(math.floor((zone_bounds[0] - x0) / res)) - 1)
    c1 = min(shape[1], int(math.ceil((zone_bounds[2] - x0) / res)) + 1)
    r0 = max(0, int(math.floor((y0 - zone_bounds[3]) / res)) - 1)
    r1 = min(shape[0], int(math.ceil((y0 - zone_bounds[1]) / res)) + 1)
    rows, cols = np.mgrid[r0:r1, c0:c1]
    rows, cols = rows.ravel(), cols.ravel()
    boxes = shapely.box(
        x0 + cols * res, y0 - (rows + 1) * res, x0 + (cols + 1) * res, y0 - rows * res
    )
    return boxes, rows, cols


def ref_raster_sum(zone, values, origin, res) -> float:
    """Sum over pixels of value x (area of pixel in zone / pixel area), pixel by pixel."""
    total = 0.0
    boxes, rows, cols = pixel_boxes(origin, res, values.shape, zone.bounds)
    for box, r, c in zip(boxes, rows, cols, strict=True):
        if shapely.intersects(box, zone):
            total += values[r, c] * shapely.intersection(box, zone).area / (res * res)
    return total


def ref_class_area(zone, codes, members, origin, res) -> float:
    boxes, rows, cols = pixel_boxes(origin, res, codes.shape, zone.bounds)
    share = 0.0
    for box, r, c in zip(boxes, rows, cols, strict=True):
        if codes[r, c] in members and shapely.intersects(box, zone):
            share += shapely.intersection(box, zone).area
    return share / zone.area * geodesic_area(zone)


def ref_count(zone, points) -> int:
    return sum(1 for p in points if shapely.intersects(zone, p))


def ref_length_inside(hazard, lines) -> float:
    total = 0.0
    for line in lines:
        piece = shapely.intersection(densify(line), hazard)
        if not piece.is_empty:
            total += GEOD.geometry_length(piece)
    return total


def _apply(tr, geom):
    return shapely.transform(geom, lambda xy: np.column_stack(tr.transform(xy[:, 0], xy[:, 1])))


def ref_nearest(hazard, lines) -> float:
    """Nearest line in metres: each line's nearest points in an azimuthal equidistant projection
    centred on the hazard, measured between them on the ellipsoid."""
    c = hazard.centroid
    crs = f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84 +units=m"
    fwd = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    inv = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    h = _apply(fwd, densify(hazard))
    best = math.inf
    for line in lines:
        if shapely.intersects(line, hazard):
            return 0.0
        seg = shapely.shortest_line(h, _apply(fwd, densify(line)))
        (x1, y1), (x2, y2) = seg.coords
        lon1, lat1 = inv.transform(x1, y1)
        lon2, lat2 = inv.transform(x2, y2)
        best = min(best, abs(GEOD.inv(lon1, lat1, lon2, lat2)[2]))
    return best
