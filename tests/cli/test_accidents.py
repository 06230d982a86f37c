"""`clearground import accidents`: evidence like EO items; victims' personal data kept apart."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.store import open_store
from tests.formats.conftest import fresh_url  # noqa: F401  (a second, empty database)
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


@pytest.fixture
def closed(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC closed"]})
    assert cli("import", "hazards", src).code == 0
    acts = write_layer(
        tmp_path / "a.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    return "HA-000001"


def files(tmp_path, victims_outcome=("killed", "injured")):
    acc = write_layer(
        tmp_path / "acc.gpkg",
        [shapely.Point(30.005, 50.005), shapely.Point(33, 49)],
        {
            "id": ["AC-7", "AC-8"],
            "date": ["2025-04-01", "2025-04-02"],
            "eo_category": ["AT mine", ""],
            "activity": ["farming", "travelling"],
        },
    )
    n = len(victims_outcome)
    vic = write_layer(
        tmp_path / "victims.gpkg",
        [None] * n,
        {
            "accident_id": ["AC-7"] * n,
            "sex": ["f", "male"][:n],
            "age_group": ["12", "adult"][:n],
            "victim_type": ["civilian", ""][:n],
            "outcome": list(victims_outcome),
            "name": ["SYNTHETIC Person A", "SYNTHETIC Person B"][:n],
            "contact": ["+000 SYNTHETIC", ""][:n],
        },
        geometry_type="Unknown",
    )
    return acc, vic


def test_accident_reopens_a_closed_hazard_and_hides_personal_data(
    cli, tmp_path, closed, monkeypatch
):
    acc, vic = files(tmp_path)
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 0, r.err
    assert "HA-000001 reopened by AC-7" in r.out
    assert "1 accident(s): evidence outside recorded hazards" in r.out
    assert cli("hazard", "show", closed).json()["status"] == "reopened"
    listed = cli("accidents", "list")
    rows = listed.json()
    assert [(a["id"], a["killed"], a["injured"], a["hazard_id"]) for a in rows] == [
        ("AC-7", 1, 1, "HA-000001"),
        ("AC-8", 0, 0, ""),
    ]
    assert rows[0]["victims"][0] == {
        "victim_no": 1,
        "sex": "female",
        "age_group": "child",
        "victim_type": "civilian",
        "outcome": "killed",
    }
    assert "SYNTHETIC Person" not in listed.out and "+000" not in listed.out
    shown = cli("accidents", "show", "AC-7")
    assert "SYNTHETIC Person" not in shown.out
    denied = cli("accidents", "show", "AC-7", "--personal")
    assert denied.code == 6 and "victim_data permission" in denied.err
    assert "SYNTHETIC Person" not in denied.out + denied.err
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    allowed = cli("accidents", "show", "AC-7", "--personal").json()
    assert allowed["personal_data"] == [
        {"victim_no": 1, "name": "SYNTHETIC Person A", "contact": "+000 SYNTHETIC", "notes": ""},
        {"victim_no": 2, "name": "SYNTHETIC Person B", "contact": "", "notes": ""},
    ]
    # the hazard export carries nothing of the accident's people
    out = tmp_path / "export.geojson"
    assert cli("export", out).code == 0
    assert "SYNTHETIC Person" not in out.read_text()
    # and the personal data sits in its own table, not in the accident's record
    s = open_store(cli.url)
    assert "SYNTHETIC Person" not in json.dumps(
        [r[6] for r in s.raw_versions("accident")], default=str
    )
    s.close()


@pytest.mark.parametrize(
    ("outcome", "fragment"),
    [(("killed", "fled"), "victims.gpkg:feature 2: outcome is not one of killed, injured")],
)
def test_bad_victims_change_nothing(cli, tmp_path, closed, outcome, fragment):
    acc, vic = files(tmp_path, outcome)
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 2 and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


def test_bad_accidents_change_nothing(cli, tmp_path, closed):
    acc = write_layer(
        tmp_path / "acc.geojson",
        [shapely.Point(30.005, 50.005)] * 2,
        {"date": ["2025-01-01", "2999-01-01"], "eo_category": ["", "moon rock"]},
    )
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "accidents", acc)
    assert r.code == 2
    assert "acc.geojson:feature 2: date is in the future" in r.err
    assert "2999" not in r.err and "moon rock" not in r.err
    assert snapshot(s) == before
    s.close()
    missing = write_layer(tmp_path / "m.geojson", [shapely.Point(30, 50)], {"when": ["x"]})
    assert "missing column date" in cli("import", "accidents", missing).err


def test_victims_must_name_an_accident_in_the_file(cli, tmp_path, closed):
    acc, _ = files(tmp_path)
    vic = write_layer(
        tmp_path / "v2.gpkg",
        [None],
        {"accident_id": ["AC-99"], "outcome": ["injured"]},
        geometry_type="Unknown",
    )
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 2, r.err
    assert "v2.gpkg:feature 1: accident_id names no accident of acc.gpkg" in r.err


@pytest.mark.parametrize("ext", ["geojson", "csv", "xlsx", "shp.zip"])
def test_an_export_imports_as_the_same_accidents_without_personal_data(
    cli, tmp_path, closed, request, ext, monkeypatch
):
    fresh = request.getfixturevalue("fresh_url")
    acc, vic = files(tmp_path)
    assert cli("import", "accidents", acc, "--victims", vic).code == 0
    out = tmp_path / f"accidents.{ext}"
    assert cli("export", "--kind", "accident", out).code == 0
    for kind, name in (("hazards", "h.geojson"), ("activities", "a.geojson")):
        assert cli("import", kind, tmp_path / name, db=fresh).code == 0
    r = cli("import", "accidents", out, db=fresh)
    code, said, err = r.code, r.out, r.err
    assert code == 0, err
    assert "HA-000001 reopened by AC-7" in said
    bookkeeping = ("version", "valid_from", "author")
    listed = [
        {k: v for k, v in row.items() if k not in bookkeeping}
        for row in json.loads(cli("accidents", "list", db=fresh).out)
    ]
    assert listed == [
        {k: v for k, v in row.items() if k not in bookkeeping}
        for row in cli("accidents", "list").json()
    ]
    assert [(a["killed"], a["injured"], a["attributes"]) for a in listed] == [
        (1, 1, {}),
        (0, 0, {}),
    ]
    # names and contacts never left the first database, so they do not come back
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    assert (
        json.loads(cli("accidents", "show", "AC-7", "--personal", db=fresh).out)["personal_data"]
        == []
    )


VICTIM = {"victim_no": 1, "sex": "female", "age_group": "child", "outcome": "killed"}


@pytest.mark.parametrize(
    ("victims", "extra", "fragment"),
    [
        ('[{"victim_no": 1, "outcome": "killed"', {}, "victims is not JSON: Expecting"),
        ('{"outcome": "killed"}', {}, "victims must be a JSON list of victims"),
        ('["killed"]', {}, "victims: victim 1 is not an object"),
        (
            json.dumps([{**VICTIM, "name": "SYNTHETIC Person A"}]),
            {},
            "victims: victim 1: unknown key(s) name; a victim has victim_no",
        ),
        (
            json.dumps([{**VICTIM, "outcome": "fled"}]),
            {},
            "victims: victim 1: outcome is not one of killed, injured",
        ),
        (
            json.dumps([VICTIM, VICTIM]),
            {},
            "victims: victim_no 1, 1 must number the victims 1 to 2",
        ),
        (
            json.dumps([{**VICTIM, "victim_no": "one"}]),
            {},
            "victims: victim 1: victim_no is not a number",
        ),
        (
            json.dumps([VICTIM]),
            {"killed": ["2"]},
            "killed does not match the victims column (1 killed)",
        ),
    ],
)
def test_a_malformed_victims_column_changes_nothing(
    cli, tmp_path, closed, victims, extra, fragment
):
    acc = write_layer(
        tmp_path / "acc.geojson",
        [shapely.Point(30.005, 50.005), shapely.Point(33, 49)],
        {
            "id": ["AC-1", "AC-2"],
            "date": ["2025-04-01", "2025-04-02"],
            "victims": ["[]", victims],
            **{k: ["", *v] for k, v in extra.items()},
        },
    )
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "accidents", acc)
    assert r.code == 2, r.out
    lines = [line for line in r.err.splitlines() if "acc.geojson:feature" in line]
    assert len(lines) == 1 and "acc.geojson:feature 2: " in lines[0] and fragment in lines[0], r.err
    assert snapshot(s) == before
    s.close()


def test_victims_column_in_any_order_and_from_text(cli, tmp_path, closed):
    listed = [
        {
            "victim_no": "2",
            "sex": "m",
            "age_group": 40,
            "victim_type": "deminer",
            "outcome": "injured",
        },
        {"victim_no": 1.0, "sex": "female", "age_group": "12", "outcome": "killed"},
    ]
    acc = write_layer(
        tmp_path / "acc.geojson",
        [shapely.Point(30.005, 50.005)],
        {"date": ["2025-04-01"], "victims": [json.dumps(listed)], "killed": ["1"], "injured": [1]},
    )
    assert cli("import", "accidents", acc).code == 0
    (row,) = cli("accidents", "list").json()
    assert [
        (v["victim_no"], v["sex"], v["age_group"], v["victim_type"]) for v in row["victims"]
    ] == [
        (1, "female", "child", "civilian"),
        (2, "male", "adult", "deminer"),
    ]
    assert (row["killed"], row["injured"], row["attributes"]) == (1, 1, {})


def test_victims_given_twice_are_refused(cli, tmp_path, closed):
    _, vic = files(tmp_path)
    acc = write_layer(
        tmp_path / "acc.geojson",
        [shapely.Point(30.005, 50.005)],
        {"id": ["AC-7"], "date": ["2025-04-01"], "victims": [json.dumps([VICTIM])]},
    )
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 2 and "acc.geojson:feature 1: victims given twice" in r.err, r.err
    assert snapshot(s) == before
    s.close()
