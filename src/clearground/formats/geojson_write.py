"""GeoJSON (RFC 7946) written by GEOS and orjson instead of GDAL's feature-by-feature writer.

The same file the GeoJSON format writes through GDAL with ``RFC7946=YES``: one
FeatureCollection named after the layer, polygons as MultiPolygon with counter-clockwise
exteriors, coordinates rounded to 7 decimals (GDAL's precision for RFC 7946), properties in
column order, a missing number (NaN) or value as ``null``; GDAL reads it back to the same table.
GDAL's writer took 9 s of CPU for the 100,000 hazards of ``benchmarks/publish.py``, this one
under 2 s: ``clearground publish`` writes its GeoJSON download with it while the tiles build
on both cores.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import orjson
import shapely

from clearground.formats.base import FeatureTable
from clearground.formats.ogr import OgrFormat, geometry_type_of

__all__ = ["FAST_GEOJSON", "FastGeoJsonFormat"]

#: Decimals of a coordinate, as GDAL writes RFC 7946 GeoJSON (about 1 cm).
PRECISION = 7


def _values(column: np.ndarray) -> list[Any]:
    """A column as plain Python values (numpy scalars are not JSON; NaN is ``null``)."""
    values = np.asarray(column).tolist()
    if np.asarray(column).dtype.kind == "f":
        return [None if v != v else v for v in values]
    return values


class FastGeoJsonFormat(OgrFormat):
    """GeoJSON read by GDAL as :data:`clearground.formats.ogr.GEOJSON` is, written without it."""

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        _, geoms = geometry_type_of(table.geometries)
        geoms = shapely.orient_polygons(geoms, exterior_cw=False)  # RFC 7946: CCW exteriors
        geoms = shapely.transform(geoms, lambda xy: np.round(xy, PRECISION), include_z=None)
        texts = shapely.to_geojson(geoms)
        columns = self.prepare_columns(dict(table.columns))
        names = list(columns)
        rows = zip(*(_values(columns[n]) for n in names), strict=True) if names else None
        fragment = orjson.Fragment
        head = orjson.dumps({"type": "FeatureCollection", "name": layer})[:-1]
        with Path(path).open("wb") as fh:
            fh.write(head + b',"features":[\n')
            for i, text in enumerate(texts):
                props = dict(zip(names, next(rows), strict=True)) if rows is not None else {}
                feature = {
                    "type": "Feature",
                    "properties": props,
                    "geometry": None if text is None else fragment(text),
                }
                if i:
                    fh.write(b",\n")
                fh.write(orjson.dumps(feature, default=str))
            fh.write(b"\n]}\n")


FAST_GEOJSON = FastGeoJsonFormat(
    "geojson",
    "GeoJSON",
    (".geojson", ".json"),
    layer_options={"RFC7946": "YES"},
    single_layer=True,
)
