"""Zonal sums over GeoTIFFs with fractional pixel coverage (exactextract), in the raster's CRS.

Zones (lon/lat polygons, edges straight in lon/lat) are densified (``domain.areas.densify``) and
reprojected to the raster's CRS; the raster itself is never resampled. exactextract weighs each
pixel by the fraction of it the zone covers (not centroid sampling) and reads the raster in
windows of at most ``max_cells`` cells ("raster-sequential": one pass over the raster whatever
the number of zones), so a raster larger than memory is summarised in bounded memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import shapely

from clearground.domain.areas import densify
from clearground.domain.errors import BadInput

__all__ = [
    "RasterInfo",
    "class_cover",
    "coverage_sum",
    "raster_info",
    "to_raster_crs",
    "uncovered",
    "zonal_sum",
]

#: Cells exactextract holds in memory at once (float64: 240 MB) unless told otherwise.
MAX_CELLS = 30_000_000
#: One pass over the raster, whatever the number of zones (see the module text).
STRATEGY = "raster-sequential"


@dataclass(frozen=True)
class RasterInfo:
    """What a zonal sum needs to know of a raster, read from its header only."""

    path: str
    crs_wkt: str
    is_wgs84: bool
    bounds: tuple[float, float, float, float]
    cell_area: float  # in the raster CRS's units squared
    width: int
    height: int


def raster_info(path: str | Path, what: str) -> RasterInfo:
    """The header of a raster, or ``BadInput`` naming the file and the problem."""
    import rasterio
    from pyproj import CRS

    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: the {what} raster does not exist (or is not a file)")
    try:
        with rasterio.open(path) as ds:
            crs, t, w, h, count = ds.crs, ds.transform, ds.width, ds.height, ds.count
            bounds = tuple(ds.bounds)
    except rasterio.errors.RasterioError as exc:
        raise BadInput(f"{path}: the {what} raster cannot be read as a raster: {exc}") from None
    if crs is None:
        raise BadInput(f"{path}: the {what} raster has no CRS (coordinate reference system)")
    if count < 1:
        raise BadInput(f"{path}: the {what} raster has no band")
    if t.b != 0 or t.d != 0:
        raise BadInput(f"{path}: the {what} raster is rotated; warp it to a north-up grid first")
    wkt = crs.to_wkt()
    is_wgs84 = CRS.from_wkt(wkt).equals(CRS.from_epsg(4326), ignore_axis_order=True)
    lo_x, lo_y, hi_x, hi_y = bounds
    box = (min(lo_x, hi_x), min(lo_y, hi_y), max(lo_x, hi_x), max(lo_y, hi_y))
    return RasterInfo(str(path), wkt, is_wgs84, box, abs(t.a * t.e), w, h)


@lru_cache(maxsize=16)
def _to_crs(wkt: str):
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", wkt, always_xy=True)


def to_raster_crs(zones_ll: np.ndarray, info: RasterInfo) -> np.ndarray:
    """The zones in the raster's CRS: densified in lon/lat first, so that each edge keeps to the
    lon/lat line in the raster's plane (within 0.03 m)."""
    zones = densify(np.asarray(zones_ll, dtype=object))
    if info.is_wgs84:
        return zones
    tr = _to_crs(info.crs_wkt)

    def project(xy: np.ndarray) -> np.ndarray:
        x, y = tr.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return shapely.transform(zones, project)


def uncovered(zones: np.ndarray, info: RasterInfo) -> np.ndarray:
    """Indices of the zones (in the raster's CRS) not wholly inside the raster's extent."""
    b = shapely.bounds(zones)
    lo_x, lo_y, hi_x, hi_y = info.bounds
    tol = 1e-9 * max(1.0, abs(lo_x), abs(hi_x), abs(lo_y), abs(hi_y))
    bad = (
        ~np.isfinite(b).all(axis=1)
        | (b[:, 0] < lo_x - tol)
        | (b[:, 1] < lo_y - tol)
        | (b[:, 2] > hi_x + tol)
        | (b[:, 3] > hi_y + tol)
    )
    return np.flatnonzero(bad)


def _extract(info: RasterInfo, zones: np.ndarray, ops: list[str], max_cells: int):
    """Run exactextract over ``zones`` (raster CRS); return each op's value per zone."""
    from exactextract import exact_extract
    from exactextract.feature import Feature, FeatureSource
    from exactextract.writer import Writer

    wkb = shapely.to_wkb(zones)
    names = [op.split("(")[0] for op in ops]
    out: dict[str, list] = {name: [None] * len(zones) for name in names}

    class Zone(Feature):
        def __init__(self, i: int = -1, geometry: bytes = b"") -> None:
            Feature.__init__(self)
            self.i, self.wkb = i, geometry

        def geometry(self) -> bytes:
            return self.wkb

        def get(self, name: str) -> int:
            return self.i

        def set(self, name: str, value) -> None:
            if name == "i":
                self.i = value
            else:
                self.values.append((name, value))

        def fields(self) -> list[str]:
            return ["i"]

        def set_geometry(self, geometry) -> None:
            pass

        def set_geometry_format(self) -> str:
            return "wkb"

    class Zones(FeatureSource):
        def count(self) -> int:
            return len(wkb)

        def __iter__(self):
            for i, g in enumerate(wkb):
                yield Zone(i, g)

        def srs_wkt(self) -> str:
            return info.crs_wkt

    class Collect(Writer):
        def write(self, feature) -> None:
            sink = Zone()
            sink.values = []
            feature.copy_to(sink)
            for name, value in sink.values:
                out[name][sink.i] = value

        def features(self):
            return None

    import rasterio

    from clearground.analysis.edge_sum import GDAL_CACHE_MB

    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):  # strips are read once: no cache needed
        source = _source(info.path)
        try:
            exact_extract(
                source,
                Zones(),
                ops,
                include_cols=["i"],
                strategy=STRATEGY,
                max_cells_in_memory=int(max_cells),
                output=Collect(),
            )
        finally:
            source.ds.close()
    return out


def _source(path: str):
    """The raster for exactextract. Where the band's only mask is its nodata value (or none),
    its cells are read as they are and exactextract skips the nodata value itself: the same
    sums as reading them masked, without building (and holding) a masked copy of each window,
    which took most of the reading time."""
    import math

    import rasterio
    from exactextract.raster import RasterioRasterSource
    from rasterio.enums import MaskFlags
    from rasterio.windows import Window

    class Plain(RasterioRasterSource):
        def read_window(self, x0, y0, nx, ny):
            return self.ds.read(self.band_idx, window=Window(x0, y0, nx, ny))

    ds = rasterio.open(path)
    source = RasterioRasterSource(ds)
    flags = set(ds.mask_flag_enums[0])
    nodata = ds.nodata
    if (
        not source.scaled
        and flags in ({MaskFlags.nodata}, {MaskFlags.all_valid})
        and (nodata is None or not math.isnan(nodata))
    ):
        source = Plain(ds)
    return source


def zonal_sum(info: RasterInfo, zones: np.ndarray, *, max_cells: int = MAX_CELLS) -> np.ndarray:
    """Sum of pixel value x covered fraction of the pixel, per zone (raster CRS); nodata
    pixels count 0."""
    if len(zones) == 0:
        return np.zeros(0)
    got = _extract(info, zones, ["sum"], max_cells)["sum"]
    return np.array([0.0 if v is None else float(v) for v in got], dtype=float)


def class_cover(
    info: RasterInfo,
    zones: np.ndarray,
    groups: dict[str, tuple[int, ...]],
    known: tuple[int, ...],
    *,
    max_cells: int = MAX_CELLS,
) -> dict[str, np.ndarray]:
    """For each group of class codes, the share of each zone (raster CRS) whose pixels hold one
    of them: covered pixel fractions of the group over the zone's own area in pixels (nodata
    pixels are in no group). A code found in the zones that is not in ``known`` is refused."""
    n = len(zones)
    shares = {name: np.zeros(n) for name in groups}
    if n == 0:
        return shares
    got = _extract(info, zones, ["count", "unique", "frac"], max_cells)
    pixels = shapely.area(zones) / info.cell_area
    have = [i for i in range(n) if got["unique"][i] is not None and len(got["unique"][i])]
    if have:
        codes = np.concatenate([got["unique"][i] for i in have]).astype(np.int64)
        frac = np.concatenate([got["frac"][i] for i in have]).astype(float)
        lengths = [len(got["unique"][i]) for i in have]
        owner = np.repeat(np.array(have), lengths)
        count = np.array([float(got["count"][i] or 0.0) for i in have])
        covered = np.repeat(count, lengths) * frac  # covered pixels of each class in each zone
        denominator = np.where(pixels > 0, pixels, np.inf)
        for name, members in groups.items():
            mask = np.isin(codes, np.asarray(members, dtype=np.int64))
            shares[name] = np.bincount(owner[mask], covered[mask], minlength=n) / denominator
        seen = set(np.unique(codes).tolist())
    else:
        seen = set()
    unknown = sorted(seen - set(known))
    if unknown:
        raise BadInput(
            f"{info.path}: the land cover holds class code(s) {', '.join(map(str, unknown))} "
            f"that are not known classes ({', '.join(map(str, known))}); list them in "
            "[landcover] classes"
        )
    return {name: np.minimum(s, 1.0) for name, s in shares.items()}


def coverage_sum(info: RasterInfo, zones: np.ndarray, *, max_cells: int = MAX_CELLS) -> np.ndarray:
    """The same sums as :func:`zonal_sum` (exactextract's, to within its float32 coverage
    fractions: about 1e-7 relative), worked out along the zones' edges
    (``analysis.edge_sum``): its cost follows the zones' boundaries in pixels, not their
    areas, which is what makes 5 km buffers of 100,000 hazards affordable."""
    from clearground.analysis.edge_sum import edge_sum

    return edge_sum(info.path, zones, max_cells=max_cells)
