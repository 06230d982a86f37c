"""``clearground publish`` of SYNTHETIC hazard areas, against tippecanoe alone in the same run.

Floor: tippecanoe alone on the very input a publish gives it (the same line-delimited GeoJSON
of both layers, polygons and the points where a polygon is too small to draw, with the same
options), written before the clock starts: the tiles are the part of a publish nothing can make
cheaper. Measured: the publish service on a SQLite database holding those hazards and SYNTHETIC
admin areas (its read of the database, tiles, FlatGeobuf, downloads, metadata), in process.
Both are timed on the wall clock and in CPU seconds (this process and its children): on a
machine others share, CPU seconds move less with the load than the wall clock does.
``--repeat N`` runs floor and publish N times in turn and reports medians. ``--polygon-floor``
also times the floor of the first version of this benchmark: tippecanoe on one GeoJSON of the
polygons alone at every zoom (no points layer). ``--gdal`` also times GDAL's PMTiles driver on
the same polygons (one layer at every zoom, no size or feature limit: less than a publish asks),
the alternative the tiles could have been built with.

    .venv/bin/python benchmarks/publish.py                   # 10,000 hazards, a quick run
    .venv/bin/python benchmarks/publish.py --hazards 100000  # the full figure (goal: < 60 s)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL_SECONDS = 60.0
GOAL_RATIO = 1.5


def cpu_seconds() -> tuple[float, float]:
    """CPU time (user + system) of this process, and of its children that have ended."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def cpu_since(before: tuple[float, float]) -> tuple[float, float]:
    now = cpu_seconds()
    return now[0] - before[0], now[1] - before[1]


def build_db(folder: Path, n: int) -> str:
    from clearground import synthetic
    from clearground.domain.validation import UKRAINE
    from clearground.services.hazards import import_hazards
    from clearground.services.locations import import_locations
    from clearground.store import open_store

    url = f"sqlite:///{folder / 'bench.db'}"
    store = open_store(url)
    store.migrate()
    admin = synthetic.write_admin_areas(folder / "admin.gpkg", region=UKRAINE)
    for level in ("adm1", "adm2"):
        import_locations(store, admin, layer=level, author="bench", region=UKRAINE)
    src = synthetic.write_hazards(folder / "hazards.gpkg", n, region=UKRAINE)
    import_hazards(store, src, author="bench", region=UKRAINE)
    store.close()
    return url


def timing_tile_waits() -> list[float]:
    """Record when each tippecanoe run of a publish has been waited for (the clock reading
    after it ended), so that the benchmark can say how long a publish runs after its tiles."""
    from clearground.services import publish_tiles

    ended: list[float] = []
    wait = publish_tiles.TileBuild.wait

    def timed(self) -> None:
        wait(self)
        ended.append(time.perf_counter())

    publish_tiles.TileBuild.wait = timed
    return ended


def floor(folder: Path, geoms: np.ndarray, props: list[dict]) -> tuple[float, float, int]:
    """tippecanoe alone on the input publish gives it: wall s, CPU s, archive size."""
    from clearground.services import publish_tiles

    out = folder / "floor.pmtiles"
    sources = publish_tiles.write_layers(out, folder, publish_tiles.hazard_layers(geoms, props))
    args = publish_tiles.tippecanoe_args(out, sources, publish_tiles.HAZARD_OPTIONS)
    cpu, start = cpu_seconds(), time.perf_counter()
    subprocess.run(args, check=True, env={**os.environ, "TMPDIR": str(folder)})
    return time.perf_counter() - start, sum(cpu_since(cpu)), out.stat().st_size


def polygon_floor(folder: Path, geoms: np.ndarray, props: list[dict]) -> tuple[float, float, int]:
    """The first floor: tippecanoe on one GeoJSON of the polygons alone, at every zoom."""
    import shapely

    from clearground.services import publish_tiles

    src = folder / "floor.geojson"
    with src.open("w", encoding="utf-8") as fh:
        fh.write('{"type":"FeatureCollection","features":[\n')
        texts = shapely.to_geojson(geoms)
        fh.write(
            ",\n".join(
                f'{{"type":"Feature","properties":{json.dumps(p)},"geometry":{t}}}'
                for p, t in zip(props, texts, strict=True)
            )
        )
        fh.write("\n]}\n")
    out = folder / "polygon-floor.pmtiles"
    args = [publish_tiles.tippecanoe_program(), "-o", str(out), "-l", "hazards", "-Z4", "-z14"]
    args += [a for a in publish_tiles._OPTIONS if a != "--read-parallel"]
    cpu, start = cpu_seconds(), time.perf_counter()
    subprocess.run([*args, str(src)], check=True, env={**os.environ, "TMPDIR": str(folder)})
    return time.perf_counter() - start, sum(cpu_since(cpu)), out.stat().st_size


def gdal(folder: Path, geoms: np.ndarray, props: list[dict]) -> tuple[float, int]:
    import pyogrio
    import shapely

    out = folder / "gdal.pmtiles"
    names = list(props[0])
    start = time.perf_counter()
    pyogrio.raw.write(
        out,
        shapely.to_wkb(geoms),
        [np.array([p[k] for p in props], dtype=object) for k in names],
        names,
        layer="hazards",
        driver="PMTiles",
        geometry_type="Polygon",
        crs="EPSG:4326",
        dataset_options={
            "MINZOOM": "4",
            "MAXZOOM": "14",
            "MAX_SIZE": "1000000000",
            "MAX_FEATURES": "1000000000",
        },
    )
    return time.perf_counter() - start, out.stat().st_size


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=1, help="floor and publish N times each")
    parser.add_argument("--polygon-floor", action="store_true", help="also the first floor")
    parser.add_argument("--gdal", action="store_true", help="also time GDAL's PMTiles driver")
    args = parser.parse_args()
    from clearground.services.projections import PUBLIC, published_hazard_json
    from clearground.services.publish import TILE_FIELDS, publish
    from clearground.store import open_store

    with tempfile.TemporaryDirectory(prefix="clearground-publish-bench-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        url = build_db(folder, args.hazards)
        print(f"built {args.hazards:,} SYNTHETIC hazards in {time.perf_counter() - t:.1f} s")
        store = open_store(url)
        versions = store.list("hazard")
        geoms = np.array([v.record.geometry for v in versions], dtype=object)
        props = [{k: published_hazard_json(v, PUBLIC)[k] for k in TILE_FIELDS} for v in versions]
        del versions
        floors, runs, tails = [], [], []
        ended = timing_tile_waits()
        for i in range(max(args.repeat, 1)):
            floors.append(floor(folder, geoms, props))
            cpu = cpu_seconds()
            ended.clear()
            report = publish(store, folder / "site", publisher="bench")
            tails.append(time.perf_counter() - max(ended))
            python, tippecanoe = cpu_since(cpu)
            runs.append((report.seconds, python + tippecanoe, python, tippecanoe))
            print(
                f"  run {i + 1}: floor {floors[-1][0]:.1f} s ({floors[-1][1]:.1f} CPU s), "
                f"publish {runs[-1][0]:.1f} s ({runs[-1][1]:.1f} CPU s: {python:.1f} in "
                f"Python, {tippecanoe:.1f} in tippecanoe; {tails[-1]:.2f} s after the tiles "
                f"were built), load average "
                f"{os.getloadavg()[0]:.1f}",
                flush=True,
            )
        store.close()
        base = statistics.median(f[0] for f in floors)
        base_cpu = statistics.median(f[1] for f in floors)
        total = statistics.median(r[0] for r in runs)
        total_cpu = statistics.median(r[1] for r in runs)
        python_cpu = statistics.median(r[2] for r in runs)
        tippecanoe_cpu = statistics.median(r[3] for r in runs)
        base_size = floors[-1][2]
        tiles = report.files["hazards.pmtiles"]
        ratio = total / base
        print(
            f"publish of {report.hazards:,} hazards: {total:.1f} s, {ratio:.2f}x tippecanoe "
            f"alone ({base:.1f} s) (goal: under {GOAL_SECONDS:.0f} s and within {GOAL_RATIO}x; "
            f"{os.cpu_count()} cores)"
        )
        print(
            f"CPU: publish {total_cpu:.1f} s ({python_cpu:.1f} s in Python, "
            f"{tippecanoe_cpu:.1f} s in tippecanoe: hazards and admin), tippecanoe alone "
            f"{base_cpu:.1f} s ({total_cpu / base_cpu:.2f}x)"
        )
        print(
            f"tiles: hazards.pmtiles {tiles / 1e6:,.1f} MB, admin.pmtiles "
            f"{report.files['admin.pmtiles'] / 1e6:,.1f} MB; tippecanoe alone "
            f"{base_size / 1e6:,.1f} MB"
        )
        for name, size in report.files.items():
            print(f"  {name}: {size / 1e6:,.2f} MB")
        if args.polygon_floor:
            p, p_cpu, p_size = polygon_floor(folder, geoms, props)
            print(
                f"first floor (polygons alone at every zoom, one GeoJSON): {p:.1f} s "
                f"({p_cpu:.1f} CPU s), {p_size / 1e6:,.1f} MB; publish is {total / p:.2f}x that"
            )
        if args.gdal:
            g, g_size = gdal(folder, geoms, props)
            print(
                f"GDAL PMTiles driver (polygons at every zoom, one layer): {g:.1f} s, "
                f"{g_size / 1e6:,.1f} MB, {g / base:.2f}x tippecanoe alone"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
