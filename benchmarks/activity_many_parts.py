"""Land release activities on one hazard of many parts, against shapely in the same run.

A hazard of ``--parts`` marked patches (10 m squares, 20 m apart: a minefield record's patches) is
imported into a new SQLite database; then two activities are imported as a user does (``import
activities``, each one file): a technical survey of the western half of the patches, then a
clearance of the rest, which closes the hazard.

Baseline: one shapely ``difference`` of the hazard's multipolygon and each activity's polygon
(the least any release must compute), timed in this run. Measured: each activity import, whole
(read, checks, the part-by-part release, the new hazard version written). Prints both and their
ratio.

    .venv/bin/python benchmarks/activity_many_parts.py           # 5,000 parts, as CI runs it
    .venv/bin/python benchmarks/activity_many_parts.py --full    # 100,000 parts (issue 10)
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import shapely


def patches(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` 10 m squares 20 m apart near 30°E 50°N, and whether each is in the western half."""
    from clearground.domain.areas import metres_per_degree

    side = int(np.ceil(np.sqrt(n)))
    mx, my = metres_per_degree(50.0)
    i = np.arange(n)
    x0 = 30.0 + (i % side) * 20 / mx
    y0 = 50.0 + (i // side) * 20 / my
    boxes = shapely.box(x0, y0, x0 + 10 / mx, y0 + 10 / my)
    return boxes, x0 < np.median(x0)


def write(path: Path, geom, fields: dict) -> Path:
    import pyogrio

    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.array([geom], dtype=object)),
        [np.array(v, dtype=object) for v in fields.values()],
        list(fields),
        driver="GPKG",
        crs="EPSG:4326",
        geometry_type="MultiPolygon",
    )
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=5_000, help="parts of the hazard")
    parser.add_argument("--full", action="store_true", help="100,000 parts, as issue 10 ran it")
    args = parser.parse_args(argv)
    n = 100_000 if args.full else args.parts
    from clearground.services.activities import import_activities
    from clearground.services.hazards import import_hazards
    from clearground.store import open_store

    boxes, west = patches(n)
    hazard = shapely.multipolygons(boxes)
    first, second = shapely.multipolygons(boxes[west]), shapely.multipolygons(boxes[~west])
    t0 = time.perf_counter()
    for worked in (first, second):
        shapely.difference(hazard, worked)
    base = time.perf_counter() - t0
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        store = open_store(f"sqlite:///{t / 'bench.db'}")
        store.migrate()
        src = write(t / "hazard.gpkg", hazard, {"name": ["SYNTHETIC minefield patches"]})
        t0 = time.perf_counter()
        import_hazards(store, src, author="benchmark")
        load = time.perf_counter() - t0
        ours = 0.0
        for k, (worked, kind) in enumerate(((first, "ts"), (second, "clearance")), start=1):
            src = write(
                t / f"activity{k}.gpkg",
                worked,
                {
                    "hazard_id": ["HA-000001"],
                    "kind": [kind],
                    "date": [f"2025-01-0{k}"],
                    "organisation": ["SYNTHETIC operator"],
                },
            )
            t0 = time.perf_counter()
            import_activities(store, src, author="benchmark")
            ours += time.perf_counter() - t0
        status = store.get("hazard", "HA-000001").record.status
        store.close()
    print(f"hazard parts                           {n:>10,}")
    print(f"hazard import (not compared)           {load:>10.3f} s")
    print(f"baseline: shapely difference x 2       {base:>10.3f} s")
    print(f"clearground import activities x 2      {ours:>10.3f} s  (hazard ends {status})")
    print(f"ratio {ours / base:.2f} x  (two whole activity imports vs two shapely differences)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
