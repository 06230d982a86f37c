"""A hazard import checks its geometries in two halves on two threads: problems and repairs
are still reported against the right feature of the file, and the right geometry is kept."""

from __future__ import annotations

import pytest
import shapely

from clearground.domain.areas import geodesic_area
from clearground.domain.errors import ImportRejected
from clearground.services.hazards import import_hazards
from tests.helpers import write_layer

_BOWTIE = shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)])


def _file(tmp_path, bad: set[int], n: int = 7):
    geoms = [
        _BOWTIE if i in bad else shapely.box(30 + i * 0.1, 50, 30.01 + i * 0.1, 50.01)
        for i in range(n)
    ]
    names = [f"SYNTHETIC {i}" for i in range(n)]
    return write_layer(tmp_path / "h.gpkg", geoms, {"name": names}, geometry_type="Polygon")


def test_problems_in_both_halves_name_their_features(sqlite_store, tmp_path):
    path = _file(tmp_path, {1, 5})
    with pytest.raises(ImportRejected) as err:
        import_hazards(sqlite_store, path, author="SYNTHETIC tester")
    lines = err.value.problems
    assert len(lines) == 2
    assert "feature 2:" in lines[0] and "feature 6:" in lines[1]
    assert all("invalid polygon" in line for line in lines)
    assert sqlite_store.count("hazard") == 0  # nothing written


def test_repairs_and_geometries_keep_their_order(sqlite_store, tmp_path):
    path = _file(tmp_path, {0, 6})
    report = import_hazards(sqlite_store, path, author="SYNTHETIC tester", repair=True)
    assert len(report.repaired) == 2
    assert "feature 1:" in report.repaired[0] and "feature 7:" in report.repaired[1]
    by_name = {v.record.name: v.record for v in sqlite_store.list("hazard")}
    assert len(by_name) == 7
    for i in (2, 3, 4):  # untouched boxes, each where the file put it
        expected = shapely.box(30 + i * 0.1, 50, 30.01 + i * 0.1, 50.01)
        assert by_name[f"SYNTHETIC {i}"].geometry.equals(expected)
    for record in by_name.values():  # each area is its own geometry's
        assert record.area_m2 == pytest.approx(geodesic_area(record.geometry), rel=1e-9)


def test_a_single_feature_is_checked_whole(sqlite_store, tmp_path):
    report = import_hazards(sqlite_store, _file(tmp_path, set(), n=1), author="SYNTHETIC t")
    assert report.count == 1
