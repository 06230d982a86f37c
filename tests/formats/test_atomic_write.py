"""formats.writing.write_table: a write GDAL fails half-way leaves the older files as they were."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from clearground.domain.errors import BadInput
from clearground.formats import FeatureTable, format_for_path
from clearground.formats.writing import safe_names, write_table


def _table(geoms) -> FeatureTable:
    n = len(geoms)
    return FeatureTable(
        "t",
        np.array(geoms, dtype=object),
        {"id": np.array([f"HZ-{i}" for i in range(n)], dtype=object)},
    )


GOOD = [shapely.MultiPolygon([shapely.box(30, 50, 30.01, 50.01)])]
#: GDAL refuses to write a measured geometry to any of these formats: a real failure mid-write
MEASURED = [shapely.from_wkt("MULTIPOLYGON M (((30 50 1, 30.01 50 1, 30.01 50.01 1, 30 50 1)))")]


@pytest.mark.parametrize("ending", ["gpkg", "geojson", "fgb", "shp.zip", "gdb.zip", "kmz"])
def test_a_write_gdal_refuses_leaves_the_old_file_byte_identical(tmp_path, ending):
    path = tmp_path / f"out.{ending}"
    fmt = format_for_path(path)
    write_table(fmt, path, _table(GOOD), layer="hazard_areas")
    old = path.read_bytes()
    with pytest.raises(BadInput, match=rf"out\.{ending}: cannot write .*an existing file is "):
        write_table(fmt, path, _table(MEASURED), layer="hazard_areas")
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary left behind


def test_a_csv_and_its_sidecars_are_replaced_together(tmp_path):
    path = tmp_path / "out.csv"
    fmt = format_for_path(path)
    write_table(fmt, path, _table(GOOD), layer="hazard_areas")
    old = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(old) == {"out.csv", "out.csvt", "out.prj"}
    two = GOOD + [shapely.MultiPolygon([shapely.box(31, 50, 31.01, 50.01)])]
    write_table(fmt, path, _table(two), layer="hazard_areas")
    assert path.read_bytes() != old["out.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "out.csvt", "out.prj"]


def test_names_are_renamed_once_and_never_onto_another_name():
    names = safe_names(
        ["fid", "fid_1", "FID", "Status", "status", "geom"], frozenset({"fid", "geom"})
    )
    assert names == {
        "fid": "fid_2",
        "fid_1": "fid_1",
        "FID": "FID_3",
        "Status": "Status",
        "status": "status_1",
        "geom": "geom_1",
    }
    assert len({v.lower() for v in names.values()}) == len(names)
