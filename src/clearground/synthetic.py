"""Seeded synthetic data for the demo, tests and benchmarks. Every name says SYNTHETIC.

Nothing here describes a real place or event: centres are drawn at random inside the operating
region and shapes are random star-shaped polygons of 0.5 to 20 ha.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import shapely

from clearground.domain.areas import metres_per_degree
from clearground.domain.validation import UKRAINE, Region

__all__ = [
    "LABEL",
    "hazard_polygons",
    "write_activities",
    "write_admin_areas",
    "write_hazards",
    "write_points",
    "write_route",
]

LABEL = "SYNTHETIC"
EO_TYPES = ("AP mine", "AT mine", "cluster munition", "UXO", "AXO", "IED")


def hazard_polygons(n: int, *, seed: int = 1, region: Region = UKRAINE, vertices: int = 8):
    """``n`` valid star-shaped polygons (lon/lat) inside ``region``, vectorised."""
    rng = np.random.default_rng(seed)
    pad = 0.05
    lon = rng.uniform(region.min_lon + pad, region.max_lon - pad, n)
    lat = rng.uniform(region.min_lat + pad, region.max_lat - pad, n)
    radius_m = np.sqrt(rng.uniform(5_000, 200_000, n) / np.pi)
    step = 2 * np.pi / vertices  # evenly spread angles with jitter: always a simple polygon
    angles = np.arange(vertices) * step + rng.uniform(0, 0.8 * step, (n, vertices))
    r = radius_m[:, None] * rng.uniform(0.6, 1.0, (n, vertices))
    m_lat = metres_per_degree(float(np.mean(lat)))[1]
    m_lon = np.array([metres_per_degree(float(y))[0] for y in np.round(lat, 1)])
    x = lon[:, None] + r * np.cos(angles) / m_lon[:, None]
    y = lat[:, None] + r * np.sin(angles) / m_lat
    ring = np.stack([x, y], axis=-1)
    ring = np.concatenate([ring, ring[:, :1]], axis=1)
    return shapely.polygons(ring)


def write_hazards(path: str | Path, n: int, *, seed: int = 1, region: Region = UKRAINE) -> Path:
    """A GeoPackage or GeoJSON (by file ending) of ``n`` synthetic hazard areas, via pyogrio."""
    import pyogrio

    path = Path(path)
    rng = np.random.default_rng(seed + 1000)
    geoms = hazard_polygons(n, seed=seed, region=region)
    start = date(2022, 3, 1)
    fields = {
        "name": np.array([f"{LABEL} hazard {i + 1}" for i in range(n)], dtype=object),
        "classification": np.where(rng.random(n) < 0.3, "CHA", "SHA").astype(object),
        "eo_types": np.array(
            [EO_TYPES[k] for k in rng.integers(0, len(EO_TYPES), n)], dtype=object
        ),
        "date_reported": np.array(
            [(start + timedelta(days=int(d))).isoformat() for d in rng.integers(0, 900, n)],
            dtype=object,
        ),
        "source": np.full(n, f"{LABEL} demo data", dtype=object),
    }
    driver = "GPKG" if path.suffix == ".gpkg" else "GeoJSON"
    if path.exists():
        path.unlink()
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        list(fields.values()),
        list(fields.keys()),
        layer="hazards",
        driver=driver,
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    return path


def write_activities(
    path: str | Path, hazards: list[tuple[str, shapely.Geometry]], *, seed: int = 2
) -> Path:
    """Synthetic land release on some of ``hazards`` (id, polygon): NTS on a part, then clearance.

    About a third of the hazards get an NTS that cancels their western part; about a sixth are
    then cleared whole, which closes them.
    """
    import pyogrio

    path = Path(path)
    rng = np.random.default_rng(seed)
    rows: list[tuple[str, str, str, str, shapely.Geometry]] = []
    for hazard_id, poly in hazards:
        u = rng.random()
        if u > 0.33:
            continue
        minx, miny, maxx, maxy = poly.bounds
        cut = minx + (maxx - minx) * rng.uniform(0.3, 0.6)
        west = poly.intersection(shapely.box(minx - 1, miny - 1, cut, maxy + 1))
        rows.append((hazard_id, "nts", "2024-04-10", f"{LABEL} Survey Team", west))
        if u < 0.17:
            rows.append((hazard_id, "clearance", "2025-06-20", f"{LABEL} Clearance Co", poly))
        elif u < 0.25:
            east = poly.intersection(shapely.box(cut, miny - 1, maxx + 1, maxy + 1))
            part = east.intersection(shapely.box(minx - 1, miny - 1, maxx + 1, (miny + maxy) / 2))
            rows.append((hazard_id, "ts", "2025-02-03", f"{LABEL} Survey Team", part))
    geoms = np.array([shapely.MultiPolygon(shapely.get_parts(r[4])) for r in rows], dtype=object)
    fields = {
        name: np.array([r[k] for r in rows], dtype=object)
        for k, name in enumerate(("hazard_id", "kind", "date", "organisation"))
    }
    driver = "GPKG" if path.suffix == ".gpkg" else "GeoJSON"
    if path.exists():
        path.unlink()
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        list(fields.values()),
        list(fields.keys()),
        layer="activities",
        driver=driver,
        geometry_type="MultiPolygon",
        crs="EPSG:4326",
    )
    return path


def write_route(path: str | Path, coords: list[tuple[float, float]]) -> Path:
    """A GPX file with one track through ``coords`` (lon, lat), written by GDAL."""
    import pyogrio

    path = Path(path)
    if path.exists():
        path.unlink()
    line = shapely.MultiLineString([coords])
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([line], dtype=object)),
        [np.array([f"{LABEL} route"], dtype=object)],
        ["name"],
        layer="tracks",
        driver="GPX",
        geometry_type="MultiLineString",
        crs="EPSG:4326",
    )
    return path


def write_admin_areas(
    path: str | Path,
    *,
    region: Region = UKRAINE,
    split: int = 3,
    rows: int | None = None,
    sub: int | None = None,
) -> Path:
    """Synthetic COD-AB style areas over ``region``: layers ``adm1`` (split x split boxes) and
    ``adm2`` (each of those split again), with ADMn_PCODE/ADMn_EN columns. P-codes start with XS
    (no country has it) and names with SYNTHETIC."""
    import pyogrio

    path = Path(path)
    if path.exists():
        path.unlink()
    rows = rows or split
    sub = sub or split
    xs = np.linspace(region.min_lon, region.max_lon, split + 1)
    ys = np.linspace(region.min_lat, region.max_lat, rows + 1)
    adm1, adm2 = [], []
    for a in range(split):
        for b in range(rows):
            code1 = f"XS{a * rows + b + 1:02d}"
            adm1.append((code1, shapely.box(xs[a], ys[b], xs[a + 1], ys[b + 1])))
            sx = np.linspace(xs[a], xs[a + 1], sub + 1)
            sy = np.linspace(ys[b], ys[b + 1], sub + 1)
            for c in range(sub):
                for d in range(sub):
                    code2 = f"{code1}{c * sub + d + 1:02d}"
                    adm2.append((code2, code1, shapely.box(sx[c], sy[d], sx[c + 1], sy[d + 1])))
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([g for _, g in adm1], dtype=object)),
        [
            np.array([c for c, _ in adm1], dtype=object),
            np.array([f"{LABEL} oblast {c}" for c, _ in adm1], dtype=object),
        ],
        ["ADM1_PCODE", "ADM1_EN"],
        layer="adm1",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([g for _, _, g in adm2], dtype=object)),
        [
            np.array([c for c, _, _ in adm2], dtype=object),
            np.array([f"{LABEL} raion {c}" for c, _, _ in adm2], dtype=object),
            np.array([p for _, p, _ in adm2], dtype=object),
        ],
        ["ADM2_PCODE", "ADM2_EN", "ADM1_PCODE"],
        layer="adm2",
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
        append=True,
    )
    return path


def write_points(
    path: str | Path, n: int, fields: dict[str, np.ndarray], *, seed: int, region: Region = UKRAINE
) -> Path:
    """``n`` random points inside ``region`` with ``fields`` (one value per point), via pyogrio."""
    import pyogrio

    path = Path(path)
    if path.exists():
        path.unlink()
    rng = np.random.default_rng(seed)
    pts = shapely.points(
        rng.uniform(region.min_lon, region.max_lon, n),
        rng.uniform(region.min_lat, region.max_lat, n),
    )
    pyogrio.raw.write(
        path,
        shapely.to_wkb(pts),
        [np.asarray(v) for v in fields.values()],
        list(fields),
        layer=path.stem,
        driver="GPKG",
        geometry_type="Point",
        crs="EPSG:4326",
    )
    return path
