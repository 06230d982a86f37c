"""``clearground publish`` of SYNTHETIC hazard areas, against tippecanoe alone in the same run.

Floor: tippecanoe alone, with the same no-dropping options, on a GeoJSON of the same hazard
polygons (the tiles are the part of a publish nothing can make cheaper). Measured: the publish
service on a SQLite database holding those hazards and SYNTHETIC admin areas (its read of the
database, tiles, FlatGeobuf, downloads, metadata), in process. ``--gdal`` also times GDAL's
PMTiles driver on the same polygons (one layer at every zoom, no size or feature limit: less
than a publish asks), the alternative the tiles could have been built with.

    .venv/bin/python benchmarks/publish.py                   # 10,000 hazards, a quick run
    .venv/bin/python benchmarks/publish.py --hazards 100000  # the full figure (goal: < 60 s)
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

GOAL_SECONDS = 60.0
GOAL_RATIO = 1.5


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


def floor(folder: Path, geoms: np.ndarray, props: list[dict]) -> tuple[float, int]:
    """tippecanoe alone on a GeoJSON of the same polygons, with publish's no-drop options."""
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
    out = folder / "floor.pmtiles"
    args = [publish_tiles.tippecanoe_program(), "-o", str(out), "-l", "hazards", "-Z4", "-z14"]
    args += [a for a in publish_tiles._OPTIONS if a != "--read-parallel"]
    start = time.perf_counter()
    subprocess.run([*args, str(src)], check=True, env={**os.environ, "TMPDIR": str(folder)})
    return time.perf_counter() - start, out.stat().st_size


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
        base, base_size = floor(folder, geoms, props)
        report = publish(store, folder / "site", publisher="bench")
        total = report.seconds
        store.close()
        tiles = report.files["hazards.pmtiles"]
        ratio = total / base
        print(
            f"publish of {report.hazards:,} hazards: {total:.1f} s, {ratio:.2f}x tippecanoe "
            f"alone ({base:.1f} s) (goal: under {GOAL_SECONDS:.0f} s and within {GOAL_RATIO}x; "
            f"{os.cpu_count()} cores)"
        )
        print(
            f"tiles: hazards.pmtiles {tiles / 1e6:,.1f} MB, admin.pmtiles "
            f"{report.files['admin.pmtiles'] / 1e6:,.1f} MB; tippecanoe alone "
            f"{base_size / 1e6:,.1f} MB"
        )
        for name, size in report.files.items():
            print(f"  {name}: {size / 1e6:,.2f} MB")
        if args.gdal:
            g, g_size = gdal(folder, geoms, props)
            print(
                f"GDAL PMTiles driver (polygons at every zoom, one layer): {g:.1f} s, "
                f"{g_size / 1e6:,.1f} MB, {g / base:.2f}x tippecanoe alone"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
