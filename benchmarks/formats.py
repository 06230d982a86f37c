"""Hazard import and export per file format, each against pyogrio on the same file in the same run.

For GeoPackage, GeoJSON, zipped Shapefile and FlatGeobuf:

- export: ``services.hazard_records.export`` of N synthetic hazards from a SQLite database, next to
  pyogrio writing the same features and columns to the same format (``pyogrio.raw.write``);
- import: ``services.hazards.import_hazards`` of that exported file into a new SQLite database
  (every check, geodesic areas, one transaction), next to pyogrio reading the same file
  (``pyogrio.raw.read``).

Setup (building the database) is not timed. Each figure is the best of ``--repeat`` runs; the
ratio is clearground's time over pyogrio's. In brackets: the format layer alone (``Format.read``
of the file, ``Format.write`` of its table), to tell its cost from that of the services and
the store.

    .venv/bin/python benchmarks/formats.py                    # 100,000 polygons
    .venv/bin/python benchmarks/formats.py --n 500 --repeat 1 # small, as CI runs it
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
import warnings
from pathlib import Path

FORMATS = {"gpkg": "GPKG", "geojson": "GeoJSON", "shp.zip": "ESRI Shapefile", "fgb": "FlatGeobuf"}


def _best(runs: int, fn) -> float:
    best = float("inf")
    for _ in range(runs):
        best = min(best, fn())
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of polygons")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    parser.add_argument(
        "--formats", default=",".join(FORMATS), help=f"comma-separated, of {', '.join(FORMATS)}"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("CLEARGROUND_AUTHOR", "benchmark")

    import pyogrio

    from clearground.formats import format_for_path
    from clearground.services.hazard_records import export
    from clearground.services.hazards import import_hazards
    from clearground.store import open_store
    from clearground.synthetic import write_hazards

    warnings.simplefilter("ignore", RuntimeWarning)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        store = open_store(f"sqlite:///{t / 'source.db'}")
        store.migrate()
        import_hazards(store, write_hazards(t / "seed.gpkg", args.n, seed=7), author="benchmark")
        print(f"polygons {args.n:,} (SYNTHETIC), best of {args.repeat}; times in seconds")
        k = 0
        for ext in args.formats.split(","):
            driver = FORMATS[ext]
            out = t / f"export.{ext}"

            def run_export(out=out) -> float:
                start = time.perf_counter()
                export(store, out)
                return time.perf_counter() - start

            ours_export = _best(args.repeat, run_export)
            meta, _, wkb, fields = pyogrio.raw.read(out)

            def raw_write(ext=ext, driver=driver, meta=meta, wkb=wkb, fields=fields) -> float:
                target = t / f"raw.{ext}"
                if target.exists():
                    target.unlink()
                start = time.perf_counter()
                pyogrio.raw.write(
                    target,
                    wkb,
                    fields,
                    meta["fields"],
                    driver=driver,
                    crs=meta["crs"],
                    geometry_type=meta["geometry_type"],
                )
                return time.perf_counter() - start

            base_export = _best(args.repeat, raw_write)

            def raw_read(out=out) -> float:
                start = time.perf_counter()
                pyogrio.raw.read(out)
                return time.perf_counter() - start

            base_import = _best(args.repeat, raw_read)

            def run_import(out=out) -> float:
                nonlocal k
                k += 1
                target = open_store(f"sqlite:///{t / f'import{k}.db'}")
                target.migrate()
                try:
                    start = time.perf_counter()
                    report = import_hazards(target, out, author="benchmark")
                    elapsed = time.perf_counter() - start
                finally:
                    target.close()
                assert report.count == args.n, report
                return elapsed

            ours_import = _best(args.repeat, run_import)
            fmt = format_for_path(out)

            def format_read(fmt=fmt, out=out) -> float:
                start = time.perf_counter()
                fmt.read(out)
                return time.perf_counter() - start

            table = fmt.read(out)

            def format_write(fmt=fmt, ext=ext, table=table) -> float:
                start = time.perf_counter()
                fmt.write(t / f"format.{ext}", table, layer="hazard_areas")
                return time.perf_counter() - start

            fmt_read, fmt_write = _best(args.repeat, format_read), _best(args.repeat, format_write)
            print(
                f"{ext:8} import {ours_import:7.3f} (format read {fmt_read:6.3f})  pyogrio read "
                f"{base_import:6.3f}  ratio {ours_import / base_import:5.2f} x  |  export "
                f"{ours_export:7.3f} (format write {fmt_write:6.3f})  pyogrio write "
                f"{base_export:6.3f}  ratio {ours_export / base_export:5.2f} x",
                flush=True,
            )
        store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
