"""Evidence in released land discredits that release, on every path evidence enters by: an EO
or accidents import and a review approval (issue 10: a mine recorded in the cleared part of an
in-progress hazard changed nothing, and clearing the rest then closed the hazard with the mine
inside)."""

from __future__ import annotations

import pytest
import shapely

from clearground.domain.areas import geodesic_area
from clearground.store import open_store
from tests.helpers import write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)
EAST = shapely.box(30.005, 50.0, 30.01, 50.01)
MINE = shapely.Point(30.002, 50.005)  # in the cleared west half


def activities(cli, tmp_path, geom, when, name):
    src = write_layer(
        tmp_path / name,
        [geom],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": [when],
            "organisation": ["SYNTHETIC op"],
        },
    )
    r = cli("import", "activities", src)
    assert r.code == 0, r.err


@pytest.fixture
def half_cleared(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    assert cli("import", "hazards", src).code == 0
    activities(cli, tmp_path, WEST, "2024-01-01", "a.geojson")
    assert cli("hazard", "show", "HA-000001").json()["status"] == "in_progress"


def mine_file(tmp_path, **extra):
    cols = {"category": ["mine_ap"], "date": ["2024-06-01"], **extra}
    return write_layer(tmp_path / "eo.geojson", [MINE], cols)


def assert_the_mine_keeps_the_hazard_open(cli, tmp_path):
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "in_progress"
    assert h["released_m2"]["cleared"] == pytest.approx(0, abs=0.01)
    assert h["remaining_m2"] == pytest.approx(geodesic_area(HAZARD), rel=1e-6)
    s = open_store(cli.url)
    back = [e for e in s.events("HA-000001") if e.kind == "ReleaseDiscredited"]
    s.close()
    assert len(back) == 1 and back[0].detail["activity"] == "LR-000001"
    assert back[0].detail["outcome"] == "cleared"
    assert back[0].detail["returned_m2"] == pytest.approx(geodesic_area(WEST), rel=1e-6)
    # clearing the rest leaves the land with the mine: the hazard stays open
    activities(cli, tmp_path, EAST, "2024-07-01", "b.geojson")
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "in_progress"
    assert h["remaining_m2"] == pytest.approx(geodesic_area(WEST), rel=1e-6)
    # only a new activity over it releases that land again
    activities(cli, tmp_path, WEST, "2024-08-01", "c.geojson")
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"


def test_a_mine_imported_in_cleared_land_gives_it_back(cli, tmp_path, half_cleared):
    r = cli("import", "eo", mine_file(tmp_path))
    assert r.code == 0, r.err
    assert "HA-000001 open by EO-000001" in r.out
    assert cli("history", "HA-000001").json()[-1]["reason"].startswith("open: mine_ap EO-000001")
    assert_the_mine_keeps_the_hazard_open(cli, tmp_path)


def test_an_approved_mine_submission_gives_the_land_back(cli, tmp_path, half_cleared):
    assert cli("import", "eo", mine_file(tmp_path), "--as-submission").code == 0
    assert cli("hazard", "show", "HA-000001").json()["released_m2"]["cleared"] > 0
    r = cli("review", "approve", "SB-000001")
    assert r.code == 0, r.err
    assert_the_mine_keeps_the_hazard_open(cli, tmp_path)


def test_an_accident_in_cleared_land_gives_it_back(cli, tmp_path, half_cleared):
    src = write_layer(
        tmp_path / "acc.geojson",
        [MINE],
        {"date": ["2024-06-01"], "eo_category": ["AP mine"]},
    )
    r = cli("import", "accidents", src)
    assert r.code == 0, r.err
    assert_the_mine_keeps_the_hazard_open(cli, tmp_path)


def test_an_item_found_during_the_clearance_does_not_discredit_it(cli, tmp_path, half_cleared):
    assert cli("import", "eo", mine_file(tmp_path, found_during=["LR-000001"])).code == 0
    h = cli("hazard", "show", "HA-000001").json()
    assert h["released_m2"]["cleared"] == pytest.approx(geodesic_area(WEST), rel=1e-6)
