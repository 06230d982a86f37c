"""Field submissions: pending until approved or rejected; duplicates shown, never merged."""

from __future__ import annotations

import shapely

from clearground.store import open_store
from tests.helpers import write_layer

A = shapely.box(30.0, 50.0, 30.01, 50.01)


def test_hazard_submission_waits_then_approval_makes_a_version(cli, tmp_path):
    src = write_layer(tmp_path / "field.geojson", [A], {"name": ["SYNTHETIC field find"]})
    r = cli("import", "hazards", src, "--as-submission")
    assert r.code == 0, r.err
    assert cli("hazards", "list").json() == []  # nothing enters the database yet
    pending = cli("review", "list").json()
    assert [(p["id"], p["kind"], p["status"], p["submitted_by"]) for p in pending] == [
        ("SB-000001", "hazard", "pending", "tester")
    ]
    assert pending[0]["record"]["name"] == "SYNTHETIC field find"
    r = cli("review", "approve", "SB-000001", "--reason", "checked with the team leader")
    assert r.code == 0, r.err
    assert r.json()["status"] == "approved" and r.json()["record_id"] == "HA-000001"
    hist = cli("history", "HA-000001").json()
    assert hist[0]["reason"].startswith("approved submission SB-000001 from field.geojson")
    assert cli("review", "list").json() == []
    assert cli("review", "list", "--status", "approved").json()[0]["record_id"] == "HA-000001"
    again = cli("review", "approve", "SB-000001")
    assert again.code == 2 and "a decision is final" in again.err


def test_overlapping_hazard_is_shown_side_by_side_not_merged(cli, tmp_path):
    assert (
        cli(
            "import",
            "hazards",
            write_layer(tmp_path / "h.geojson", [A], {"name": ["SYNTHETIC recorded"]}),
        ).code
        == 0
    )
    mostly_same = shapely.box(30.001, 50.0, 30.011, 50.01)  # 90 % inside A
    elsewhere = shapely.box(31, 50, 31.01, 50.01)
    src = write_layer(
        tmp_path / "f.geojson",
        [mostly_same, elsewhere],
        {"name": ["SYNTHETIC again", "SYNTHETIC new"]},
    )
    r = cli("import", "hazards", src, "--as-submission")
    assert "SB-000001: may duplicate HA-000001" in r.out
    shown = cli("review", "show", "SB-000001").json()
    assert shown["duplicates"] == ["HA-000001"]
    assert shown["side_by_side"][0]["id"] == "HA-000001"
    assert shown["side_by_side"][0]["name"] == "SYNTHETIC recorded"
    assert cli("review", "show", "SB-000002").json()["duplicates"] == []
    r = cli("review", "reject", "SB-000001", "--reason", "same as HA-000001")
    assert r.code == 0 and r.json()["decision_reason"] == "same as HA-000001"
    assert cli("review", "reject", "SB-000002", "--reason", " ").code == 2
    assert [h["name"] for h in cli("hazards", "list").json()] == ["SYNTHETIC recorded"]


def test_eo_duplicates_within_25_m_and_3_days(cli, tmp_path):
    first = write_layer(
        tmp_path / "e1.geojson",
        [shapely.Point(30.0, 50.0)],
        {"category": ["uxo"], "eo_type": ["OF-462"], "date": ["2025-05-01"]},
    )
    assert cli("import", "eo", first).code == 0
    # 14 m east, 2 days later, same type: a likely duplicate; 40 m away or other type: not
    pts = [
        shapely.Point(30.0002, 50.0),
        shapely.Point(30.00056, 50.0),
        shapely.Point(30.0002, 50.0),
    ]
    src = write_layer(
        tmp_path / "e2.geojson",
        pts,
        {
            "category": ["uxo"] * 3,
            "eo_type": ["OF-462", "OF-462", "PFM-1"],
            "date": ["2025-05-03"] * 3,
        },
    )
    r = cli("import", "eo", src, "--as-submission")
    assert r.code == 0, r.err
    subs = {p["id"]: p["duplicates"] for p in cli("review", "list").json()}
    assert subs == {"SB-000001": ["EO-000001"], "SB-000002": [], "SB-000003": []}
    assert cli("eo", "list").json()[0]["id"] == "EO-000001" and len(cli("eo", "list").json()) == 1


def test_approved_eo_submission_reopens_a_closed_hazard(cli, tmp_path):
    assert (
        cli("import", "hazards", write_layer(tmp_path / "h.geojson", [A], {"name": ["S"]})).code
        == 0
    )
    acts = write_layer(
        tmp_path / "a.geojson",
        [A],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    src = write_layer(
        tmp_path / "e.geojson",
        [shapely.Point(30.005, 50.005)],
        {"category": ["mine_ap"], "date": ["2025-05-01"]},
    )
    assert cli("import", "eo", src, "--as-submission").code == 0
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"  # not before approval
    r = cli("review", "approve", "SB-000001")
    assert r.code == 0, r.err
    assert cli("hazard", "show", "HA-000001").json()["status"] == "reopened"
    item = cli("eo", "show", "EO-000001").json()
    assert item["hazard_id"] == "HA-000001" and item["evidence_status"] == "inside_hazard"
    s = open_store(cli.url)
    assert s.events("HA-000001")[-1].evidence == "EO-000001"
    s.close()


def test_unknown_submission(cli):
    assert cli("review", "show", "SB-404").code == 4
    assert cli("review", "approve", "SB-404").code == 4
