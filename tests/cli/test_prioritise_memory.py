"""A population raster larger than a memory cap set in the test is read in windows: the run
succeeds under the cap (and gives the exact answer), and reading it whole under the same cap
fails, which shows the cap binds."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pytest

from clearground.store import open_store
from tests import prioritise_data as data

# 6000 x 6000 cells of float64: 288 MB once read, over the SYNTHETIC hazards and their buffers
WEST, NORTH, SIZE = 30.05, 50.42, 6000
RES = 0.75 / SIZE
HEADROOM = 160 * 2**20  # address space allowed above what the process holds before the run

CHILD = textwrap.dedent(
    """
    import resource, sys
    import exactextract, rasterio, pyproj, shapely  # noqa: F401  (loaded before the cap)
    from clearground.cli import main
    import clearground.analysis.zonal, clearground.analysis.prioritise  # noqa: F401
    from clearground.services import prioritise  # noqa: F401
    with open("/proc/self/status") as f:
        vm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize"))
    cap = vm + int(sys.argv[3])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    sys.exit(main(["--db", sys.argv[1], "prioritise", "--config", sys.argv[2]]))
    """
)


def _write_big_raster(path) -> None:
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    profile = {
        "driver": "GTiff",
        "width": SIZE,
        "height": SIZE,
        "count": 1,
        "dtype": "float64",
        "crs": "EPSG:4326",
        "transform": from_origin(WEST, NORTH, RES, RES),
        "tiled": True,
        "blockxsize": 512,
        "blockysize": 512,
        "compress": "deflate",
    }
    block = np.full((500, SIZE), 2.0)
    with rasterio.open(path, "w", **profile) as ds:
        for row in range(0, SIZE, 500):
            ds.write(block, 1, window=Window(0, row, SIZE, 500))


def _run(url, cfg, env) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", CHILD, url, str(cfg), str(HEADROOM)],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
    )


def _hazards() -> list:
    """The SYNTHETIC hazards, and one large one: the zonal sums read only the rows and columns
    the zones reach, and this one makes those most of the raster (far over the cap)."""
    import shapely

    from clearground.domain.areas import geodesic_area
    from clearground.domain.records import HazardArea

    big = shapely.MultiPolygon([shapely.box(30.15, 49.8, 30.7, 50.33)])
    large = HazardArea(
        id="HA-000099", name="SYNTHETIC large hazard", geometry=big, area_m2=geodesic_area(big)
    )
    return [*data.hazards(), large]


@pytest.mark.slow
def test_a_raster_bigger_than_the_memory_cap_is_read_in_windows(sqlite_store, tmp_path):
    import os

    with sqlite_store.transaction() as tx:
        tx.insert("hazard", _hazards(), author="tester", reason="SYNTHETIC")
        tx.commit()
    url = sqlite_store.url
    big = tmp_path / "population.tif"
    _write_big_raster(big)
    assert SIZE * SIZE * 8 > 1.5 * HEADROOM  # the raster, once read, is far over the cap
    weights = "population_inside = 1.0\npopulation_5km = 1.0"
    text = (
        '[inputs]\npopulation = "population.tif"\n'
        f"[weights]\n{weights}\n[run]\ndate = 2026-06-30\nmax_cells_in_memory = "
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(sys.path),
        "MALLOC_ARENA_MAX": "1",  # no per-thread malloc arenas reserving address space
        "GDAL_CACHEMAX": "32",  # MB: GDAL's block cache stays small
        "CLEARGROUND_AUTHOR": "tester",
    }
    capped = tmp_path / "capped.toml"
    capped.write_text(text + "1000000\n")  # 8 MB of float64 cells at a time
    done = _run(url, capped, env)
    assert done.returncode == 0, done.stderr[-3000:]
    whole = tmp_path / "whole.toml"
    whole.write_text(text + "100000000\n")
    failed = _run(url, whole, env)
    # the same run reading the raster in one piece breaks the cap
    assert failed.returncode != 0 and "Unable to allocate" in failed.stderr
    s = open_store(url)
    (v,) = s.list("priority_run")  # the failed run stored nothing
    s.close()
    from clearground.analysis.zonal import raster_info, to_raster_crs
    from clearground.domain.landrelease import polygonal_array

    rows = {h["hazard_id"]: h for h in v.record.hazards}
    hz = [h for h in _hazards() if h.status.value != "closed"]
    info = raster_info(big, "population")
    zones = to_raster_crs(polygonal_array(np.array([h.geometry for h in hz])), info)
    for h, zone in zip(hz, zones, strict=True):
        # every cell holds 2: the population is twice the zone's area in cells
        want = 2.0 * zone.area / (RES * RES)
        assert rows[h.id]["factors"]["population_inside"] == pytest.approx(want, rel=1e-6)
