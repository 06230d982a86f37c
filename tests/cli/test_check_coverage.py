"""`clearground check` knows what the database covers: never "No recorded hazard" where nothing is
known (outside the coverage, an empty database), and a likely lat/lon swap is refused."""

from __future__ import annotations

import pytest
import shapely

from tests.helpers import write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
NOTHING = "This database holds no records for this place"


@pytest.fixture
def hazards(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC A"]})
    assert cli("import", "hazards", src).code == 0


def _check(cli, *args):
    r = cli("check", *args, "--format", "json")
    assert r.code == 0, r.err
    return r.json()


def _assert_nothing_known(got):
    assert got["covered"] is False
    assert "No recorded hazard" not in got["message"]
    assert "can be said about hazards" in got["message"].lower()
    assert {"buffer_m", "hazards", "message", "as_of", "distance_method"} <= set(got)


def test_an_empty_database_says_it_knows_nothing(cli):
    got = _check(cli, "--point", "30.5234,50.4501")
    _assert_nothing_known(got)
    assert got["message"].startswith(NOTHING) and "no hazard records at all" in got["message"]
    t = cli("check", "--point", "30.5234,50.4501")
    assert t.code == 0 and got["message"] in " ".join(t.out.split())
    assert "No recorded hazard" not in t.out


def test_inside_the_region_the_answer_is_as_before_and_covered(cli, hazards):
    got = _check(cli, "--point", "30.5234,50.4501")
    assert got["covered"] is True and got["hazards"] == []
    assert got["message"] == "No recorded hazard within 200 m. Unrecorded hazards may exist."
    got = _check(cli, "--point", "30.005,50.005")
    assert got["covered"] is True and got["hazards"][0]["distance_m"] == 0


@pytest.mark.parametrize("point", ["0,0", "-70.5,-33.4", "60.0,55.0", "10,89"])
def test_outside_the_operating_region_nothing_is_known(cli, hazards, point):
    got = _check(cli, "--point", point)
    _assert_nothing_known(got)
    assert got["message"] == (
        "This database holds no records for this place: it covers the operating region "
        "(longitude 22 to 40.5, latitude 44 to 52.5). Nothing can be said about hazards here."
    )
    assert len(got["uncovered"]) == 1
    t = cli("check", "--point", point)
    assert "No recorded hazard" not in t.out and NOTHING in t.out


def test_a_likely_swapped_point_is_refused(cli, hazards):
    r = cli("check", "--point", "49.9960,36.2115")
    assert r.code == 2
    assert "likely swapped lat/lon" in r.err and "Traceback" not in r.err
    assert r.out == ""


def test_admin_areas_narrow_the_coverage(cli, hazards, tmp_path):
    areas = write_layer(
        tmp_path / "adm.geojson",
        [shapely.box(29.5, 49.5, 30.5, 50.5)],
        {"pcode": ["UA99"], "name": ["SYNTHETIC oblast"], "level": [1]},
    )
    assert cli("import", "locations", areas).code == 0
    inside = _check(cli, "--point", "30.2,50.2")
    assert inside["covered"] is True and inside["message"].startswith("No recorded hazard")
    outside = _check(cli, "--point", "33.0,49.0")  # in the region, outside every admin area
    _assert_nothing_known(outside)
    assert "administrative areas" in outside["message"]


def test_an_imported_coverage_area_narrows_it_and_a_new_one_replaces_it(cli, hazards, tmp_path):
    first = write_layer(
        tmp_path / "c1.geojson", [shapely.box(29.0, 49.0, 31.0, 51.0)], {"name": ["SYNTHETIC W"]}
    )
    r = cli("import", "coverage", first)
    assert r.code == 0, r.err
    assert _check(cli, "--point", "30.5,50.5")["covered"] is True
    got = _check(cli, "--point", "35.0,48.0")
    _assert_nothing_known(got)
    assert "SYNTHETIC W" in got["message"]
    second = write_layer(
        tmp_path / "c2.geojson", [shapely.box(34.0, 47.0, 36.0, 49.0)], {"name": ["SYNTHETIC E"]}
    )
    r = cli("import", "coverage", second, "--output", "json")
    assert r.code == 0, r.err
    assert any("replaces the 1 coverage area" in n for n in r.json()["notes"])
    assert _check(cli, "--point", "35.0,48.0")["covered"] is True
    _assert_nothing_known(_check(cli, "--point", "30.5,50.5"))
    # a hazard recorded outside the coverage is still listed, and the answer says the rest
    got = _check(cli, "--point", "30.005,50.005")
    _assert_nothing_known(got)
    assert [h["distance_m"] for h in got["hazards"]] == [0]
    assert got["message"].startswith("1 recorded hazard within 200 m")
    # nothing is lost: the first coverage area is a tombstone with its history
    history = [v["version"] for v in cli("history", "CV-000001").json()]
    assert len(history) == 2


def test_a_route_partly_outside_says_which_part(cli, hazards, tmp_path):
    from clearground.synthetic import write_route

    cov = write_layer(
        tmp_path / "c.geojson", [shapely.box(29.0, 49.0, 30.1, 51.0)], {"name": ["SYNTHETIC"]}
    )
    assert cli("import", "coverage", cov).code == 0
    gpx = write_route(tmp_path / "r.gpx", [(29.99, 50.005), (30.2, 50.005)])
    got = _check(cli, gpx)
    _assert_nothing_known(got)
    assert [h["distance_m"] for h in got["hazards"]] == [0]  # the covered part crosses it
    assert "part of this route" in got["message"]
    assert "On the covered part: 1 recorded hazard" in got["message"]
    (piece,) = got["uncovered"]
    assert piece["from"] == pytest.approx([30.1, 50.005]) and piece["to"] == [30.2, 50.005]
    assert piece["length_m"] == pytest.approx(0.1 * 71_700, rel=0.01)
    far = write_route(tmp_path / "far.gpx", [(29.5, 50.5), (30.5, 50.5)])
    got = _check(cli, far)
    _assert_nothing_known(got)
    assert "no hazard is recorded within 200 m" in got["message"]
    t = cli("check", far)
    assert "part of this route" in " ".join(t.out.split())


def _poly_file(tmp_path, filename, geom, **fields):
    return write_layer(tmp_path / filename, [geom], {k: [v] for k, v in fields.items()} or None)


@pytest.mark.parametrize(
    "geom, why",
    [
        (shapely.Point(30, 50), "not a polygon"),
        (shapely.Polygon([(30, 50), (30.1, 50.1), (30.1, 50), (30, 50.1)]), "invalid polygon"),
        (shapely.box(50.0, 30.0, 50.5, 30.5), "likely swapped lat/lon"),
        (shapely.box(60.0, 55.0, 61.0, 56.0), "wholly outside the operating region"),
        (shapely.Polygon([(179, 50), (-179, 50), (-179, 51), (179, 51)]), "antimeridian"),
        (shapely.box(30, 84, 31, 86), "beyond ±85"),
    ],
)
def test_import_coverage_refuses_bad_input_and_changes_nothing(cli, hazards, tmp_path, geom, why):
    src = _poly_file(tmp_path, "bad.geojson", geom, name="SYNTHETIC")
    r = cli("import", "coverage", src)
    assert r.code == 2, (r.out, r.err)
    assert "bad.geojson:feature 1:" in r.err and why in r.err
    assert "Traceback" not in r.err
    assert _check(cli, "--point", "35.0,48.0")["covered"] is True  # still the whole region


def test_import_coverage_refuses_missing_empty_and_unreadable_files(cli, tmp_path):
    r = cli("import", "coverage", tmp_path / "none.geojson")
    assert r.code == 2 and "not found" in r.err
    bad = tmp_path / "bad.geojson"
    bad.write_text("{not json")
    assert cli("import", "coverage", bad).code == 2
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    r = cli("import", "coverage", empty)
    assert r.code == 2 and "no features" in r.err
    assert "Traceback" not in r.err


@pytest.mark.parametrize(
    "command, fields",
    [
        (("hazards",), {"name": "SYNTHETIC"}),
        (("hazards", "--as-submission"), {"name": "SYNTHETIC"}),
        (("locations",), {"pcode": "UA1", "name": "SYNTHETIC", "level": 1}),
        (("minefields",), {"name": "SYNTHETIC", "date_laid": "2022-03-01"}),
        (
            ("activities",),
            {"hazard_id": "HA-000001", "kind": "nts", "date": "2024-01-01", "organisation": "X"},
        ),
        (("coverage",), {"name": "SYNTHETIC"}),
    ],
)
@pytest.mark.parametrize(
    "geom, why",
    [
        (shapely.Polygon([(179, 50), (-179, 50), (-179, 51), (179, 51)]), "antimeridian"),
        (shapely.box(30, 84, 31, 86), "beyond ±85"),
    ],
)
def test_every_polygon_import_refuses_antimeridian_and_polar_shapes(
    cli, hazards, tmp_path, command, fields, geom, why
):
    src = _poly_file(tmp_path, "x.geojson", geom, **fields)
    r = cli("import", command[0], src, *command[1:])
    assert r.code == 2, (r.out, r.err)
    assert "x.geojson:feature 1:" in r.err and why in r.err
