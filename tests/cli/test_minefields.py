"""Minefield records: each creates a CHA; claimed deactivation is kept, and never releases land."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely

from clearground.domain.errors import ImportRejected
from clearground.store import open_store
from tests.formats.conftest import fresh_url  # noqa: F401  (a second database, same engine)
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
        ({"devices": ["PMN-2: 40", '[{"type": "PFM-1S", "count": 3']}, "not a valid JSON list"),
        (
            {"devices": ["PMN-2: 40", '[{"type": "PFM-1S", "count": "many"}]']},
            "'count' must be a whole number of 1 or more",
        ),
        (
            {"devices": ["PMN-2: 40", '[{"type": "PFM-1S", "count": 3, "depth_cm": 5}]']},
            "write an object with only 'type' and 'count'",
        ),
        ({"devices": ["PMN-2: 40", '[{"count": 3}]']}, "'type' must be a non-empty text"),
    ],
)
def test_bad_records_change_nothing(cli, tmp_path, over, fragment):
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "minefields", records(tmp_path, **over))
    assert r.code == 2 and "mf.geojson:feature 2: " in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


@pytest.mark.parametrize("ext", ["geojson", "csv"])
def test_export_imports_into_a_fresh_database_linked_to_its_cha(
    cli,
    tmp_path,
    fresh_url,  # noqa: F811  (the fixture imported above)
    capsys,
    ext,
):
    assert cli("import", "minefields", records(tmp_path)).code == 0
    for kind in ("hazard", "minefield"):
        assert cli("export", "--kind", kind, tmp_path / f"{kind}.{ext}").code == 0
    # hazards first, as a database is rebuilt: they hold the CHA made for each record
    assert cli("import", "hazards", tmp_path / f"hazard.{ext}", db=fresh_url).code == 0
    r = cli("import", "minefields", tmp_path / f"minefield.{ext}", db=fresh_url)
    code, out, err = r.code, r.out, r.err
    assert code == 0, err
    assert "MF-A1: CHA HA-000001 (already recorded, linked)" in out
    fresh = open_store(fresh_url)
    try:
        assert [h.id for h in fresh.list("hazard")] == ["HA-000001", "HA-000002"]  # no second CHA
        assert all(h.version == 1 for h in fresh.list("hazard"))  # linking changes no hazard
        got = {v.id: v.record for v in fresh.list("minefield")}
    finally:
        fresh.close()
    want = {m["id"]: m for m in cli("minefields", "list").json()}
    assert got["MF-A1"].devices == (("PMN-2", 40), ("TM-62M", 12))
    assert got["MF-A2"].claimed_self_deactivation == "claimed 40 days"
    assert {k: (r.hazard_id, r.attributes) for k, r in got.items()} == {
        k: (m["hazard_id"], {}) for k, m in want.items()
    }  # hazard_status and version are computed again, never kept as attributes


def _hazards(tmp_path: Path) -> Path:
    """HA-7, the CHA of record MF-B1, and HA-8, an SHA of no record."""
    return write_layer(
        tmp_path / "h.geojson",
        [PERIMETER, shapely.box(30.1, 50.1, 30.11, 50.11)],
        {
            "id": ["HA-7", "HA-8"],
            "name": ["SYNTHETIC CHA", "SYNTHETIC wood"],
            "classification": ["CHA", "SHA"],
            "minefield_record": ["MF-B1", ""],
        },
    )


def _named(tmp_path: Path, ids: list[str], hazard_ids: list[str], **over: list[str]) -> Path:
    n = len(ids)
    geoms = [shapely.box(30.0 + k, 50, 30.01 + k, 50.01) for k in range(n)]
    fields = {"id": ids, "hazard_id": hazard_ids, "devices": ["PMN-2: 4"] * n, **over}
    return write_layer(tmp_path / "mf.geojson", geoms, fields)


def test_hazard_id_links_its_own_cha_and_creates_a_missing_one(cli, tmp_path):
    assert cli("import", "hazards", _hazards(tmp_path)).code == 0
    path = _named(
        tmp_path,
        ["MF-B1", "MF-B2"],
        ["HA-7", "HA-99"],
        hazard_status=["closed", "closed"],  # computed by the database: ignored
        unit_ref=["SYNTHETIC 12", ""],
    )
    r = cli("import", "minefields", path)
    assert r.code == 0, r.err
    hazards = {h["id"]: h for h in cli("hazards", "list").json()}
    assert sorted(hazards) == ["HA-7", "HA-8", "HA-99"]
    assert hazards["HA-7"]["version"] == 1
    assert hazards["HA-99"]["classification"] == "CHA"
    assert hazards["HA-99"]["attributes"] == {"minefield_record": "MF-B2"}
    listed = {m["id"]: m for m in cli("minefields", "list").json()}
    assert [(m["hazard_id"], m["hazard_status"]) for m in listed.values()] == [
        ("HA-7", "active"),
        ("HA-99", "active"),
    ]
    assert listed["MF-B1"]["attributes"] == {"unit_ref": "SYNTHETIC 12"}
    assert listed["MF-B2"]["attributes"] == {}


@pytest.mark.parametrize(
    ("ids", "hazard_ids", "fragment"),
    [
        (
            ["MF-B1", "MF-B3"],
            ["", "HA-7"],
            "hazard_id 'HA-7' is the CHA of minefield record 'MF-B1', not of this record MF-B3",
        ),
        (["MF-B1", "MF-B3"], ["", "HA-8"], "hazard_id 'HA-8' is no minefield record's CHA"),
        (["MF-B1", ""], ["", "HA-7"], "not of this record (which has no id)"),
        (["MF-B3", "MF-B4"], ["HA-99", "HA-99"], "hazard_id 'HA-99' repeats feature 1"),
    ],
)
def test_hazard_id_of_another_record_is_refused(cli, tmp_path, ids, hazard_ids, fragment):
    assert cli("import", "hazards", _hazards(tmp_path)).code == 0
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "minefields", _named(tmp_path, ids, hazard_ids))
    assert r.code == ImportRejected.exit_code == 2
    assert "mf.geojson:feature 2: " in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


def test_devices_read_as_the_export_writes_them(cli, tmp_path):
    devices = json.dumps([{"type": "PMN-2", "count": 40}, {"type": "TM-62M", "count": 12}])
    r = cli("import", "minefields", records(tmp_path, devices=[devices, "[]"]))
    assert r.code == 0, r.err
    listed = cli("minefields", "list").json()
    assert [m["devices"] for m in listed] == [json.loads(devices), []]
