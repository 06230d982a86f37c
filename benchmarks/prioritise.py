"""Prioritise SYNTHETIC national inputs, next to exactextract alone and the naive way.

Inputs made here from a seed (issue 14's sizes by default): 100,000 hazard polygons, a
20,000 x 20,000 population raster and a land cover raster of the same size, 1,000,000
infrastructure points and 500,000 road segments, over a SYNTHETIC country of 18 x 8 degrees, plus
accidents and EO finds in the database. Measured, each in a fresh process (its peak memory
printed too):

- clearground: the whole run, as ``clearground prioritise --config`` runs it (reads the database
  and files, every factor, checksums, stores the run), with its steps;
- the floor of the raster part: exactextract alone summing the population over the same zones
  (hazards and their 1 km and 5 km buffers, already built), in one pass over the raster;
- the naive way: geopandas sjoin per factor and rasterstats zonal statistics (centroid sampling)
  on a 5 % sample of the hazards, scaled by 20 (if geopandas and rasterstats are installed).

    .venv/bin/python benchmarks/prioritise.py             # full size (several GB of files)
    .venv/bin/python benchmarks/prioritise.py --small     # 1/500 of the sizes, as CI runs it
    .venv/bin/python benchmarks/prioritise.py --scale 0.1
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely

SIZES = {"hazards": 100_000, "raster": 20_000, "points": 1_000_000, "roads": 500_000}
WEST, SOUTH, EAST, NORTH = 22.0, 44.0, 40.0, 52.0  # a SYNTHETIC country
CONFIG = """# SYNTHETIC national prioritisation (benchmark)
[inputs]
population = "population.tif"
landcover = "landcover.tif"
points = ["points.gpkg"]
lines = ["roads.gpkg"]
[landcover]
cropland = [40]
built_up = [50]
[weights]
population_inside = 3.0
population_1km = 1.0
population_5km = 0.5
cropland_m2 = 1.0
built_up_m2 = 1.0
points_1km = 1.0
roads_inside_m = 0.5
road_nearest_m = 0.5
accidents_2km = 2.0
finds_2km = 1.0
[run]
date = 2026-06-30
"""


def _sizes(scale: float) -> dict[str, int]:
    side = max(200, int(SIZES["raster"] * math.sqrt(scale)))
    return {
        "hazards": max(50, int(SIZES["hazards"] * scale)),
        "raster": side,
        "points": max(200, int(SIZES["points"] * scale)),
        "roads": max(100, int(SIZES["roads"] * scale)),
    }


def _write_raster(path: Path, side: int, kind: str, seed: int) -> None:
    import rasterio
    from rasterio.transform import from_bounds
    from rasterio.windows import Window

    rng = np.random.default_rng(seed)
    dtype = "float32" if kind == "population" else "uint8"
    profile = {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 1,
        "dtype": dtype,
        "crs": "EPSG:4326",
        "transform": from_bounds(WEST, SOUTH, EAST, NORTH, side, side),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "nodata": -99999.0 if kind == "population" else 0,
    }
    codes = np.array([10, 20, 30, 40, 50, 60, 80], dtype=np.uint8)
    strip = 1024
    with rasterio.open(path, "w", **profile) as ds:
        for row in range(0, side, strip):
            h = min(strip, side - row)
            if kind == "population":
                block = rng.gamma(0.5, 8.0, (h, side)).astype(np.float32)
            else:
                block = codes[rng.integers(0, len(codes), (h, side))]
            ds.write(block, 1, window=Window(0, row, side, h))


def make_inputs(folder: Path, scale: float, seed: int = 14) -> Path:
    """Every SYNTHETIC input in ``folder``: rasters, vector files, a database; the TOML path."""
    import pyogrio

    from clearground.domain.areas import geodesic_areas
    from clearground.domain.records import Accident, EOCategory, EOItem, HazardArea
    from clearground.store import open_store

    n = _sizes(scale)
    rng = np.random.default_rng(seed)
    _write_raster(folder / "population.tif", n["raster"], "population", seed)
    _write_raster(folder / "landcover.tif", n["raster"], "landcover", seed + 1)
    m = 0.06  # keep hazards and their 5 km buffers inside the rasters
    cx = rng.uniform(WEST + m, EAST - m, n["hazards"])
    cy = rng.uniform(SOUTH + m, NORTH - m, n["hazards"])
    r = rng.uniform(0.0008, 0.004, (n["hazards"], 5))
    ang = np.sort(rng.uniform(0, 2 * np.pi, (n["hazards"], 5)), axis=1)
    ring = np.stack((cx[:, None] + 1.5 * r * np.cos(ang), cy[:, None] + r * np.sin(ang)), axis=-1)
    ring = np.concatenate((ring, ring[:, :1]), axis=1)
    polys = shapely.convex_hull(shapely.polygons(ring))
    multi = shapely.multipolygons(shapely.get_parts(polys), indices=np.arange(len(polys)))
    areas = geodesic_areas(multi)
    hz = [
        HazardArea(id=f"HA-{i + 1:06d}", name=f"SYNTHETIC {i + 1}", geometry=g, area_m2=float(a))
        for i, (g, a) in enumerate(zip(multi, areas, strict=True))
    ]
    k = max(20, n["hazards"] // 20)
    ev = shapely.points(rng.uniform(WEST, EAST, 2 * k), rng.uniform(SOUTH, NORTH, 2 * k))
    days = [f"202{d // 12 + 4}-{d % 12 + 1:02d}-15" for d in rng.integers(0, 30, 2 * k)]
    from datetime import date

    acc = [
        Accident(id=f"AC-{i + 1:06d}", geometry=ev[i], date=date.fromisoformat(days[i]))
        for i in range(k)
    ]
    eo = [
        EOItem(
            id=f"EO-{i + 1:06d}",
            geometry=ev[k + i],
            category=EOCategory.UXO,
            date=date.fromisoformat(days[k + i]),
        )
        for i in range(k)
    ]
    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    store.migrate()
    with store.transaction() as tx:
        tx.insert("hazard", hz, author="benchmark", reason="SYNTHETIC")
        tx.insert("accident", acc, author="benchmark", reason="SYNTHETIC")
        tx.insert("eo", eo, author="benchmark", reason="SYNTHETIC")
        tx.commit()
    store.close()
    pts = shapely.points(
        rng.uniform(WEST, EAST, n["points"]), rng.uniform(SOUTH, NORTH, n["points"])
    )
    pyogrio.raw.write(
        folder / "points.gpkg",
        shapely.to_wkb(pts),
        [],
        [],
        driver="GPKG",
        crs="EPSG:4326",
        geometry_type="Point",
    )
    x0 = rng.uniform(WEST, EAST - 0.02, n["roads"])
    y0 = rng.uniform(SOUTH, NORTH - 0.02, n["roads"])
    step = rng.normal(0, 0.006, (n["roads"], 2))
    roads = shapely.linestrings(
        np.stack((np.column_stack((x0, y0)), np.column_stack((x0, y0)) + step), axis=1)
    )
    pyogrio.raw.write(
        folder / "roads.gpkg",
        shapely.to_wkb(roads),
        [],
        [],
        driver="GPKG",
        crs="EPSG:4326",
        geometry_type="LineString",
    )
    cfg = folder / "prioritise.toml"
    cfg.write_text(CONFIG)
    return cfg


def _peak_mib() -> float:
    """Peak resident memory of this process plus that of its largest worker process (an upper
    bound of the two workers' sum when halved: both run the same batches' work)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own + 2 * worker if worker else own


def measure_clearground(folder: Path) -> dict:
    from clearground.services.prioritise import prioritise
    from clearground.store import open_store

    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    timings: dict[str, float] = {}
    t = time.perf_counter()
    run = prioritise(store, folder / "prioritise.toml", author="benchmark", timings=timings)
    total = time.perf_counter() - t
    store.close()
    return {"total": total, "steps": timings, "ranked": run.hazard_count, "peak_mib": _peak_mib()}


def measure_floor(folder: Path) -> dict:
    """exactextract alone: the population summed over the same zones, built beforehand."""
    from clearground.analysis import zonal
    from clearground.analysis.prioritise import buffers
    from clearground.store import open_store

    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    hz = np.array([v.record.geometry for v in store.list("hazard")], dtype=object)
    store.close()
    zones = buffers(hz, (1000.0, 5000.0))
    info = zonal.raster_info(folder / "population.tif", "population")
    every = np.concatenate((hz, zones[1000.0], zones[5000.0]))
    t = time.perf_counter()
    zonal.zonal_sum(info, every)
    return {"total": time.perf_counter() - t, "peak_mib": _peak_mib()}


def measure_naive(folder: Path, fraction: float = 0.05) -> dict:
    """geopandas sjoin per factor and rasterstats zonal statistics on a sample, scaled."""
    import geopandas as gpd
    from rasterstats import zonal_stats

    from clearground.store import open_store

    store = open_store(f"sqlite:///{folder / 'bench.db'}")
    hz = [v.record.geometry for v in store.list("hazard")]
    acc = [v.record.geometry for v in store.list("accident")]
    store.close()
    rng = np.random.default_rng(1)
    sample = rng.choice(len(hz), max(1, int(len(hz) * fraction)), replace=False)
    t = time.perf_counter()
    h = gpd.GeoDataFrame(geometry=[hz[i] for i in sample], crs="EPSG:4326")
    utm = h.estimate_utm_crs()
    hu = h.to_crs(utm)
    b1 = gpd.GeoDataFrame(geometry=hu.buffer(1000), crs=utm).to_crs(4326)
    b2 = gpd.GeoDataFrame(geometry=hu.buffer(2000), crs=utm).to_crs(4326)
    b5 = gpd.GeoDataFrame(geometry=hu.buffer(5000), crs=utm).to_crs(4326)
    pop = str(folder / "population.tif")
    for zones in (h, b1, b5):
        zonal_stats(zones.geometry, pop, stats=["sum"])
    zonal_stats(h.geometry, str(folder / "landcover.tif"), categorical=True)
    pts = gpd.read_file(folder / "points.gpkg")
    gpd.sjoin(pts, h, predicate="within")
    gpd.sjoin(pts, b1, predicate="within")
    roads = gpd.read_file(folder / "roads.gpkg")
    inside = gpd.overlay(roads, h.reset_index(), how="intersection", keep_geom_type=True)
    inside.to_crs(utm).length.groupby(inside["index"]).sum()
    gpd.sjoin_nearest(hu, roads.to_crs(utm), distance_col="d")
    ev = gpd.GeoDataFrame(geometry=acc, crs="EPSG:4326")
    gpd.sjoin(ev, b2, predicate="within")
    seconds = time.perf_counter() - t
    return {
        "sample": len(sample),
        "sample_seconds": seconds,
        "total": seconds * len(hz) / len(sample),
        "peak_mib": _peak_mib(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--small", action="store_true", help="1/500 of the full sizes")
    parser.add_argument("--folder", help="keep the SYNTHETIC inputs in this (new) folder")
    parser.add_argument("--measure", choices=("clearground", "floor", "naive"), help="(internal)")
    args = parser.parse_args()
    if args.measure:
        fn = {"clearground": measure_clearground, "floor": measure_floor, "naive": measure_naive}
        print(json.dumps(fn[args.measure](Path(args.folder))))
        return
    scale = 0.002 if args.small else args.scale
    with tempfile.TemporaryDirectory(prefix="prioritise-bench-") as tmp:
        folder = Path(args.folder) if args.folder else Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        n = _sizes(scale)
        t = time.perf_counter()
        make_inputs(folder, scale)
        print(
            f"SYNTHETIC inputs: {n['hazards']:,} hazards, {n['raster']:,} x {n['raster']:,} "
            f"population and land cover rasters, {n['points']:,} points, {n['roads']:,} road "
            f"segments (made in {time.perf_counter() - t:.1f} s)"
        )

        def child(what: str) -> dict | None:
            done = subprocess.run(
                [sys.executable, __file__, "--measure", what, "--folder", str(folder)],
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                print(f"{what}: failed: {done.stderr.strip().splitlines()[-1:]}")
                return None
            return json.loads(done.stdout.strip().splitlines()[-1])

        ours = child("clearground")
        floor = child("floor")
        try:
            import geopandas  # noqa: F401
            import rasterstats  # noqa: F401

            naive = child("naive")
        except ImportError:
            naive = None
            print("naive way: geopandas or rasterstats not installed, not measured")
        assert ours is not None and floor is not None
        elapsed = ours["steps"].pop("population elapsed", float("nan"))
        for step, seconds in ours["steps"].items():
            print(f"  {step:<28} {seconds:>8.2f} s")
        print(
            f"{'clearground whole run':<30} {ours['total']:>8.2f} s  "
            f"peak {ours['peak_mib']:,.0f} MiB (with 2x the largest worker's)"
        )
        print(
            f"{'exactextract alone (pop.)':<30} {floor['total']:>8.2f} s  "
            f"peak {floor['peak_mib']:,.0f} MiB"
        )
        pop = ours["steps"].get("population", float("nan"))
        print(f"population step / exactextract alone: ratio {pop / floor['total']:.2f} x")
        print(
            f"population elapsed (first batch to last sum, overlapping the other steps) "
            f"{elapsed:.2f} s / exactextract alone: ratio {elapsed / floor['total']:.2f} x"
        )
        if naive:
            print(
                f"{'naive (5 % sample, scaled)':<30} {naive['total']:>8.2f} s  "
                f"({naive['sample']:,} hazards in {naive['sample_seconds']:.2f} s)"
            )
            print(f"naive / clearground whole run: ratio {naive['total'] / ours['total']:.2f} x")
        print(f"whole run / exactextract alone: ratio {ours['total'] / floor['total']:.2f} x")


if __name__ == "__main__":
    main()
