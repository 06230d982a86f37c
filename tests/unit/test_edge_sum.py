"""The edge-wise zonal sum equals the exact sum over pixels (each pixel's value times the area
of the pixel the zone covers, by shapely), and exactextract's to its float32 precision, on
polygons with holes, multipolygons, zones partly outside the raster on every side, nodata and
NaN cells, scaled rasters and strips smaller than the window."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
import shapely
from rasterio.transform import from_origin

from clearground.analysis import zonal
from clearground.analysis.edge_sum import edge_sum

WEST, NORTH, DX, DY, W, H = 30.0, 50.0, 0.01, 0.007, 120, 90


def _raster(tmp_path, *, scale: float = 1.0, offset: float = 0.0) -> tuple[str, np.ndarray]:
    rng = np.random.default_rng(3)
    values = (rng.random((H, W)) * 10).astype("float32")
    values[5:20, 30:60] = -9999  # nodata
    values[40:44, 70:75] = np.nan
    path = str(tmp_path / f"pop-{scale}-{offset}.tif")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=W,
        height=H,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(WEST, NORTH, DX, DY),
        nodata=-9999,
    ) as ds:
        ds.write(values, 1)
        ds.scales, ds.offsets = (scale,), (offset,)
    return path, values


def _exact(zone, values: np.ndarray, scale: float = 1.0, offset: float = 0.0) -> float:
    """Value x covered area over the cell's area, pixel by pixel (nodata and NaN count 0)."""
    total = 0.0
    x0, y0, x1, y1 = zone.bounds
    cols = range(max(0, int((x0 - WEST) / DX) - 1), min(W, int((x1 - WEST) / DX) + 2))
    for r in range(max(0, int((NORTH - y1) / DY) - 1), min(H, int((NORTH - y0) / DY) + 2)):
        for c in cols:
            v = float(values[r, c])
            if v == -9999 or np.isnan(v):
                continue
            cell = shapely.box(
                WEST + c * DX, NORTH - (r + 1) * DY, WEST + (c + 1) * DX, NORTH - r * DY
            )
            if shapely.intersects(cell, zone):
                share = shapely.area(shapely.intersection(cell, zone)) / (DX * DY)
                total += (v * scale + offset) * share
    return total


def _zones() -> np.ndarray:
    rng = np.random.default_rng(5)
    out = []
    for i in range(12):
        x, y = rng.uniform(30.1, 31.1), rng.uniform(49.45, 49.9)
        g = shapely.Point(x, y).buffer(rng.uniform(0.003, 0.12), quad_segs=int(rng.integers(1, 9)))
        if i % 3 == 0:  # a hole
            g = g.difference(shapely.Point(x, y).buffer(0.01))
        if i % 4 == 0:  # two parts
            g = shapely.MultiPolygon([g, shapely.box(x + 0.15, y - 0.1, x + 0.2, y - 0.05)])
        out.append(g)
    out += [
        shapely.box(29.9, 49.6, 30.05, 49.7),  # over the west edge
        shapely.box(31.1, 49.6, 31.4, 49.7),  # over the east edge
        shapely.box(30.5, 49.95, 30.6, 50.2),  # over the north edge
        shapely.box(30.5, 49.3, 30.6, 49.45),  # over the south edge
        shapely.box(29.0, 49.0, 32.0, 51.0),  # round the whole raster
        shapely.box(33.0, 49.5, 33.1, 49.6),  # outside it
        shapely.box(30.255, 49.6, 30.255, 49.7),  # no area
        shapely.box(30.5, 49.6, 30.5 + 3 * DX, 49.6 + 2 * DY),  # on cell lines
        shapely.Polygon(),
        shapely.Point(30.5, 49.7),
    ]
    return np.array(out, dtype=object)


def test_edge_sum_is_the_exact_sum_over_pixels(tmp_path):
    path, values = _raster(tmp_path)
    zones = _zones()
    got = edge_sum(path, zones)
    want = np.array([_exact(z, values) if z.area else 0.0 for z in zones])
    assert got == pytest.approx(want, rel=1e-9, abs=1e-9)
    assert got[-5] == 0.0 and got[-1] == 0.0  # outside the raster; not a polygon
    # in strips of a few rows at a time: the same sums
    for cells in (W * 7, W * 2, 150):
        assert edge_sum(path, zones, max_cells=cells) == pytest.approx(got, rel=1e-12, abs=1e-9)


def test_edge_sum_agrees_with_exactextract(tmp_path):
    path, _ = _raster(tmp_path)
    zones = _zones()[:-2]
    info = zonal.raster_info(path, "population")
    ee = zonal.zonal_sum(info, zones)
    assert zonal.coverage_sum(info, zones) == pytest.approx(ee, rel=1e-6, abs=1e-6)


def test_scale_and_offset_apply_to_valid_cells_only(tmp_path):
    path, values = _raster(tmp_path, scale=2.0, offset=0.5)
    zones = _zones()[:6]
    want = [_exact(z, values, 2.0, 0.5) for z in zones]
    assert edge_sum(path, zones) == pytest.approx(want, rel=1e-9)
