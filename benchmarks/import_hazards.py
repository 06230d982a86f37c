"""Import of synthetic hazard polygons from a GeoPackage, against a GDAL baseline in the same run.

Baseline: pyogrio reads the same file and writes it to a new GeoPackage (what ogr2ogr would do).
Measured: ``clearground import hazards FILE`` into a new SQLite database, run as the real command.
Prints both times and their ratio; the goal is an import within 3x of the baseline.

    .venv/bin/python benchmarks/import_hazards.py            # 100,000 polygons
    .venv/bin/python benchmarks/import_hazards.py --n 2000   # small, as CI runs it
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def baseline(src: Path, out: Path) -> float:
    import pyogrio

    start = time.perf_counter()
    meta, _, geometry, fields = pyogrio.raw.read(src)
    pyogrio.raw.write(
        out,
        geometry,
        fields,
        meta["fields"],
        driver="GPKG",
        crs=meta["crs"],
        geometry_type=meta["geometry_type"],
    )
    return time.perf_counter() - start


def clearground_import(src: Path, db: Path) -> float:
    exe = Path(sys.executable).with_name("clearground")
    url = f"sqlite:///{db}"
    subprocess.run([exe, "--db", url, "init"], check=True, capture_output=True)
    start = time.perf_counter()
    proc = subprocess.run(
        [exe, "--db", url, "import", "hazards", str(src)],
        capture_output=True,
        text=True,
        env={**os.environ, "CLEARGROUND_AUTHOR": "benchmark"},
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"import failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    return elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of polygons")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    from clearground.synthetic import write_hazards

    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        src = write_hazards(t / "hazards.gpkg", args.n, seed=7)
        base, ours = [], []
        for k in range(args.repeat):
            base.append(baseline(src, t / f"copy{k}.gpkg"))
            ours.append(clearground_import(src, t / f"db{k}.db"))
        b, o = min(base), min(ours)
        print(f"polygons                    {args.n:>10,}")
        print(f"baseline pyogrio read+write {b:>10.3f} s")
        print(f"clearground import hazards  {o:>10.3f} s  (whole command, process start included)")
        print(f"ratio                       {o / b:>10.2f} x  (goal: within 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
