"""Import of synthetic hazard polygons from a GeoPackage, against a GDAL baseline in the same run.

Baseline: pyogrio reads the same file and writes it to a new GeoPackage (what ogr2ogr would do).
Measured: ``clearground import hazards FILE`` into a new SQLite database, run as the real command.
The first line is the headline: the command's time (process start included, as a user runs it)
over the in-process baseline's, with the goal (within 3x); the other lines give each time.

    .venv/bin/python benchmarks/import_hazards.py            # 100,000 polygons
    .venv/bin/python benchmarks/import_hazards.py --n 2000   # small, as CI runs it

Run it in the environment a user has: the one ``scripts/demo`` installs. pyogrio imports pandas
and geopandas at start-up whenever they are installed (the ``bench`` extra brings them), which
adds their import to every command's start; the output says whether they were there.
clearground's modules are byte-compiled before timing, as ``pip install`` (or a user's first
run) leaves them: a shell with ``PYTHONDONTWRITEBYTECODE`` set would otherwise compile them from
source on every command.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL = 3.0  # the command within 3x of the in-process baseline (issue 10, point 6)


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


BASELINE_COMMAND = """
import sys, pyogrio
meta, _, geometry, fields = pyogrio.raw.read(sys.argv[1])
pyogrio.raw.write(sys.argv[2], geometry, fields, meta["fields"], driver="GPKG", crs=meta["crs"],
                  geometry_type=meta["geometry_type"])
"""


def baseline_command(src: Path, out: Path) -> float:
    """The baseline as a command of its own, process start included (as ogr2ogr would run)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", BASELINE_COMMAND, str(src), str(out)], check=True)
    return time.perf_counter() - start


def service_import(src: Path, db: Path) -> float:
    """The import service in this process: what the command does without starting Python."""
    from clearground.services.hazards import import_hazards
    from clearground.store import open_store

    store = open_store(f"sqlite:///{db}")
    store.migrate()
    start = time.perf_counter()
    import_hazards(store, src, author="benchmark")
    elapsed = time.perf_counter() - start
    store.close()
    return elapsed


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


def compile_package() -> str:
    """Byte-compile clearground as ``pip install`` does (and as a first run leaves it).

    Without this, a shell with ``PYTHONDONTWRITEBYTECODE`` set (as some CI and sandboxes have)
    compiles every clearground module from source on every command: a cost no user pays twice.
    """
    import compileall

    import clearground

    package = Path(clearground.__file__).parent
    compileall.compile_dir(package, quiet=1, workers=1)
    return f"clearground byte-compiled before timing, as pip install does ({package})"


def environment() -> str:
    """Whether pandas/geopandas are installed (pyogrio imports them at start when they are)."""
    import importlib.util

    extra = [m for m in ("pandas", "geopandas") if importlib.util.find_spec(m) is not None]
    if extra:
        return f"{' and '.join(extra)} installed: each command also imports them (not a user's)"
    return "as scripts/demo installs it (no pandas or geopandas)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of polygons")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each; the best counts")
    args = parser.parse_args(argv)
    from clearground.synthetic import write_hazards

    compiled = compile_package()
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        src = write_hazards(t / "hazards.gpkg", args.n, seed=7)
        base, base_cmd, ours, service = [], [], [], []
        for k in range(args.repeat):
            base.append(baseline(src, t / f"copy{k}.gpkg"))
            base_cmd.append(baseline_command(src, t / f"copy_cmd{k}.gpkg"))
            ours.append(clearground_import(src, t / f"db{k}.db"))
            service.append(service_import(src, t / f"svc{k}.db"))
        b, bc, o, sv = min(base), min(base_cmd), min(ours), min(service)
        verdict = "met" if o / b <= GOAL else "NOT met"
        print(
            f"ratio {o / b:.2f} x  HEADLINE: `clearground import hazards` as a user runs it "
            f"(process start included) vs pyogrio's in-process read + GeoPackage write of the "
            f"same {args.n:,} polygons; goal within {GOAL:g}x: {verdict}"
        )
        print(f"polygons                              {args.n:>10,}")
        print(f"environment                           {environment()}")
        print(f"bytecode                              {compiled}")
        print(f"baseline pyogrio read+write           {b:>10.3f} s  (in process)")
        print(
            f"baseline as a command                 {bc:>10.3f} s  (python -c, with process start)"
        )
        print(f"clearground import hazards (command)  {o:>10.3f} s  (process start included)")
        print(f"clearground import service            {sv:>10.3f} s  (in process)")
        print(f"command vs command ratio              {o / bc:>10.2f} x")
        print(f"in process vs in process ratio        {sv / b:>10.2f} x")
        print(f"ratio {o / b:.2f} x  (command vs the in-process baseline; goal: within 3x)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
