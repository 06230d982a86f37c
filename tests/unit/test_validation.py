"""Geometry checks of imports: each problem is caught with a reason that says what to do."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from clearground.domain.validation import UKRAINE, Region, check_geometries

GOOD = shapely.box(30, 50, 30.01, 50.01)


def problems_of(*geoms, **kw):
    return check_geometries(np.array(list(geoms), dtype=object), **kw).problems


def test_a_good_polygon_passes_unchanged():
    check = check_geometries(np.array([GOOD], dtype=object))
    assert check.problems == {} and check.repaired == {}
    assert check.geometries[0].equals(GOOD)


@pytest.mark.parametrize(
    ("geom", "reason"),
    [
        (None, "no geometry (null)"),
        (shapely.Polygon(), "empty geometry"),
        (shapely.LineString([(30, 50), (30.1, 50.1)]), "is a LineString, not a polygon"),
        (shapely.Point(30, 50), "is a Point, not a polygon"),
        (shapely.Polygon([(30, 50), (np.nan, 50), (30, 50.1)]), "not a finite number"),
        (shapely.Polygon([(30, 50), (np.inf, 50), (30, 50.1)]), "not a finite number"),
        (shapely.box(300, 50, 300.1, 50.1), "outside lon/lat range: (300"),
        (shapely.box(3_400_000, 5_600_000, 3_400_100, 5_600_100), "projected CRS"),
        (shapely.box(50, 30, 50.01, 30.01), "likely swapped lat/lon"),
        (
            shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)]),
            "invalid polygon: Self-intersection[30.005 50.005]",
        ),
    ],
)
def test_each_problem_has_its_reason(geom, reason):
    got = problems_of(GOOD, geom)
    assert list(got) == [1]
    assert reason in got[1]


def test_swap_detection_follows_the_configured_region():
    sahel = Region(-5.0, 10.0, 5.0, 20.0)
    # lon 15, lat 2 lies outside the Sahel box; swapped (2, 15) lies inside it
    assert "swapped" in problems_of(shapely.box(15, 2, 15.01, 2.01), region=sahel)[0]
    # the same polygon is not "swapped" for Ukraine: it is simply elsewhere
    assert problems_of(shapely.box(15, 2, 15.01, 2.01), region=UKRAINE) == {}


def test_repair_fixes_a_bowtie_and_reports_it():
    bowtie = shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)])
    check = check_geometries(np.array([bowtie], dtype=object), repair=True)
    assert check.problems == {}
    assert "Self-intersection" in check.repaired[0]
    assert check.geometries[0].is_valid and check.geometries[0].geom_type == "MultiPolygon"


def test_z_coordinates_are_dropped():
    z = shapely.Polygon([(30, 50, 1), (30.01, 50, 1), (30.01, 50.01, 1), (30, 50, 1)])
    check = check_geometries(np.array([z], dtype=object))
    assert check.problems == {} and not check.geometries[0].has_z
