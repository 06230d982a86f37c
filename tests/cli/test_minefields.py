"""Minefield records: each creates a CHA; claimed deactivation is kept, and never releases land."""

from __future__ import annotations

import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

PERIMETER = shapely.box(30.0, 50.0, 30.01, 50.01)


def records(tmp_path, **over):
    fields = {
        "id": ["MF-A1", "MF-A2"],
        "devices": ["PMN-2: 40; TM-62M: 12", "PFM-1S"],
        "marking": ["fenced, signs", "none"],
        "emplaced_from": ["2022-03-01", "2022-04-01"],
        "claimed_self_deactivation": ["", "claimed 40 days"],
        "claimed_deactivation_date": ["", "2022-05-11"],
        "claimed_battery_life": ["", "40 days"],
        "handed_over_by": ["SYNTHETIC unit", "SYNTHETIC unit"],
        **over,
    }
    return write_layer(
        tmp_path / "mf.geojson", [PERIMETER, shapely.box(31, 50, 31.01, 50.01)], fields
    )


def test_each_record_creates_a_cha_and_claims_change_nothing(cli, tmp_path):
    r = cli("import", "minefields", records(tmp_path))
    assert r.code == 0, r.err
    hazards = cli("hazards", "list").json()
    assert [(h["classification"], h["status"]) for h in hazards] == [("CHA", "active")] * 2
    assert hazards[0]["area_m2"] == pytest.approx(797383.14, rel=1e-6)
    assert hazards[0]["remaining_m2"] == hazards[0]["area_m2"]
    assert hazards[0]["eo_types"] == ["PMN-2", "TM-62M"]
    assert hazards[1]["attributes"] == {"minefield_record": "MF-A2"}
    listed = cli("minefields", "list").json()
    assert listed[0]["devices"] == [{"type": "PMN-2", "count": 40}, {"type": "TM-62M", "count": 12}]
    assert listed[1]["claimed_self_deactivation"] == "claimed 40 days"
    assert listed[1]["hazard_status"] == "active"


def test_overdue_lists_claimed_deactivation_past_while_hazard_open(cli, tmp_path):
    assert cli("import", "minefields", records(tmp_path)).code == 0
    late = cli("minefields", "overdue").json()
    assert [(m["id"], m["hazard_id"]) for m in late] == [("MF-A2", "HA-000002")]
    assert "never releases land" in late[0]["message"]
    # once cleared, the hazard is closed by evidence, and the record is no longer listed
    acts = write_layer(
        tmp_path / "a.geojson",
        [shapely.box(31, 50, 31.01, 50.01)],
        {
            "hazard_id": ["HA-000002"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    assert cli("minefields", "overdue").json() == []


@pytest.mark.parametrize(
    ("over", "fragment"),
    [
        ({"devices": ["PMN-2: 40", "TM-62: many"]}, "the count after ':' must be a whole number"),
        (
            {"emplaced_from": ["2022-03-01", "2999-01-01"]},
            "emplaced_from 2999-01-01 is in the future",
        ),
        ({"claimed_deactivation_date": ["", "soon"]}, "is not an ISO 8601 date"),
    ],
)
def test_bad_records_change_nothing(cli, tmp_path, over, fragment):
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "minefields", records(tmp_path, **over))
    assert r.code == 2 and "mf.geojson:feature 2: " in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()
