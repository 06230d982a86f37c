"""The fast GeoJSON writer (formats/geojson_write.py) writes what GDAL's GeoJSON writer writes
with RFC7946=YES: read back by GDAL, the same fields, types, values and geometries."""

from __future__ import annotations

import json

import numpy as np
import pyogrio
import shapely

from clearground.formats import FeatureTable, format_for_path
from clearground.formats.geojson_write import FAST_GEOJSON
from clearground.formats.writing import write_table


def _table() -> FeatureTable:
    clockwise = shapely.Polygon([(30, 50), (30, 50.01), (30.01, 50.01), (30.01, 50)])
    holed = shapely.Polygon(
        [(31, 49), (31.02, 49), (31.02, 49.02), (31, 49.02)],
        [[(31.005, 49.005), (31.005, 49.01), (31.01, 49.01), (31.01, 49.005)]],
    )
    multi = shapely.MultiPolygon(
        [shapely.box(32, 48, 32.001, 48.001), shapely.box(33, 47, 33.1, 47.1)]
    )
    fine = shapely.box(30.123456789012, 50.98765432101, 30.2, 51.0)
    geoms = np.array([clockwise, holed, multi, fine], dtype=object)
    return FeatureTable(
        "SYNTHETIC",
        geoms,
        {
            "id": np.array(["HA-1", "HA-2", "HA-3", "HA-4"], dtype=object),
            "name": np.array(
                ["SYNTHETIC Поле «Північ»", 'SYNTHETIC "quoted"', "", "x\ny"], dtype=object
            ),
            "area_m2": np.array([1.5, np.nan, 0.0, 1e9]),
            "version": np.array([1, 2, 3, 4], dtype=np.int64),
            "date_reported": np.array(["2024-01-31", "", "2022-03-01", ""], dtype=object),
            "benchmark_lon": np.array([np.nan, 30.5, np.nan, np.nan]),
            "extra": np.array([None, "SYNTHETIC a", None, "7"], dtype=object),
        },
    )


def test_reads_back_as_gdals_geojson_does(tmp_path):
    table = _table()
    gdal, fast = tmp_path / "gdal.geojson", tmp_path / "fast.geojson"
    write_table(format_for_path(gdal), gdal, table, layer="hazard_areas")
    write_table(FAST_GEOJSON, fast, table, layer="hazard_areas")
    a, b = pyogrio.raw.read(gdal), pyogrio.raw.read(fast)
    for key in ("fields", "dtypes", "geometry_type", "crs"):
        assert np.array_equal(a[0][key], b[0][key]) if key != "crs" else a[0][key] == b[0][key]
    for name, x, y in zip(a[0]["fields"], a[3], b[3], strict=True):
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True), name
        else:
            assert x.tolist() == y.tolist(), name
    ga, gb = shapely.from_wkb(a[2]), shapely.from_wkb(b[2])
    assert shapely.equals_exact(ga, gb, 0).all()
    # RFC 7946: counter-clockwise exteriors, 7 decimals, one FeatureCollection named as the layer
    doc = json.loads(fast.read_text(encoding="utf-8"))
    assert doc["type"] == "FeatureCollection" and doc["name"] == "hazard_areas"
    ring = doc["features"][0]["geometry"]["coordinates"][0][0]
    assert shapely.LinearRing(ring).is_ccw
    assert doc["features"][3]["geometry"]["coordinates"][0][0][0] == [30.2, 50.9876543]
    assert doc["features"][1]["properties"]["area_m2"] is None
    assert doc["features"][0]["properties"]["name"] == "SYNTHETIC Поле «Північ»"
