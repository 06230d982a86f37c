"""Organisations, tasks, EORE sessions and QA visits."""

from __future__ import annotations

import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


def table(tmp_path, name, fields, geoms=None):
    n = len(next(iter(fields.values())))
    return write_layer(
        tmp_path / name, geoms or [None] * n, fields, geometry_type=None if geoms else "Unknown"
    )


@pytest.fixture
def setup(cli, tmp_path):
    assert (
        cli(
            "import",
            "hazards",
            write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC"]}),
        ).code
        == 0
    )
    orgs = table(
        tmp_path,
        "orgs.gpkg",
        {
            "id": ["ORG-SYN1", "ORG-SYN2"],
            "name": ["SYNTHETIC Demining", "SYNTHETIC EORE"],
            "kind": ["operator", "ngo"],
            "accreditation_from": ["2022-01-01", "2023-01-01"],
            "accreditation_to": ["2027-01-01", ""],
        },
    )
    r = cli("import", "organisations", orgs)
    assert r.code == 0, r.err
    return cli


def test_organisations_tasks_and_activities_naming_their_task(setup, tmp_path):
    cli = setup
    orgs = cli("organisations", "list").json()
    assert [(o["id"], o["kind"], o["accreditation_to"]) for o in orgs] == [
        ("ORG-SYN1", "operator", "2027-01-01"),
        ("ORG-SYN2", "ngo", None),
    ]
    tasks = table(
        tmp_path,
        "tasks.gpkg",
        {
            "hazard_id": ["HA-000001"],
            "organisation_id": ["ORG-SYN1"],
            "kind": ["clearance"],
            "issued": ["2024-01-01"],
            "start": ["2024-02-01"],
            "status": ["in_progress"],
        },
    )
    assert cli("import", "tasks", tasks).code == 0
    task = cli("tasks", "list").json()[0]
    assert (task["id"], task["kind"], task["status"]) == ("TK-000001", "clearance", "in_progress")
    acts = write_layer(
        tmp_path / "a.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-03-01"],
            "organisation": ["ORG-SYN1"],
            "task_id": ["TK-000404"],
        },
    )
    r = cli("import", "activities", acts)
    assert r.code == 2 and "task 'TK-000404' not found" in r.err
    acts = write_layer(
        tmp_path / "a2.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-03-01"],
            "organisation": ["ORG-SYN1"],
            "task_id": ["TK-000001"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    qa = table(
        tmp_path,
        "qa.gpkg",
        {
            "activity_id": ["LR-000001"],
            "date": ["2024-03-02"],
            "inspecting_organisation": ["SYNTHETIC authority"],
            "nonconformities": ["major: marking; minor: documentation"],
            "measures": ["marking repaired"],
        },
    )
    assert cli("import", "qa", qa).code == 0
    visit = cli("qa", "list").json()[0]
    assert visit["nonconformities"] == [["major", "marking"], ["minor", "documentation"]]
    assert visit["organisation_inspected"] == "ORG-SYN1"
    # nonconformities as the export writes them (JSON pairs), with its bookkeeping columns
    again = table(
        tmp_path,
        "qa2.gpkg",
        {
            "activity_id": ["LR-000001"],
            "date": ["2024-03-03"],
            "inspecting_organisation": ["SYNTHETIC authority"],
            "nonconformities": ['[["critical", "fencing"], ["minor", "documentation"]]'],
            "version": ["3"],
            "valid_from": ["2024-03-03T10:00:00Z"],
        },
    )
    r = cli("import", "qa", again)
    assert r.code == 0, r.err
    visit = cli("qa", "list").json()[1]
    assert visit["nonconformities"] == [["critical", "fencing"], ["minor", "documentation"]]
    assert visit["attributes"] == {} and visit["version"] == 1


def test_eore_sessions_with_audience_and_pcode(setup, tmp_path):
    cli = setup
    src = write_layer(
        tmp_path / "eore.geojson",
        [shapely.Point(30.2, 50.2)],
        {
            "date": ["2025-02-01"],
            "organisation_id": ["ORG-SYN2"],
            "girls": [12],
            "boys": [9],
            "women": [20],
            "men": [4],
            "method": ["school"],
        },
    )
    r = cli("import", "eore", src)
    assert r.code == 0, r.err
    s = cli("eore", "list").json()[0]
    assert (s["girls"], s["boys"], s["women"], s["men"], s["total"]) == (12, 9, 20, 4, 45)


def test_export_columns_are_not_kept_as_attributes(setup, tmp_path):
    """Bookkeeping and computed columns of an export are the database's to write afresh."""
    cli = setup
    orgs = table(
        tmp_path,
        "o.gpkg",
        {
            "id": ["ORG-SYN3"],
            "name": ["SYNTHETIC Survey"],
            "version": [4],
            "author": ["someone"],
            "reason": ["imported from x"],
            "phone": ["+000 SYNTHETIC"],
        },
    )
    assert cli("import", "organisations", orgs).code == 0
    org = cli("show", "ORG-SYN3").json()
    assert org["attributes"] == {"phone": "+000 SYNTHETIC"} and org["version"] == 1
    src = write_layer(
        tmp_path / "eore.geojson",
        [shapely.Point(30.2, 50.2)],
        {
            "id": ["RE-000007"],
            "date": ["2025-02-01"],
            "organisation_id": ["ORG-SYN2"],
            "girls": ["12"],  # text, as CSV and XLSX give numbers back
            "boys": ["9"],
            "total": ["21"],
            "admin_pcode": ["XS9999"],
            "version": ["2"],
        },
    )
    r = cli("import", "eore", src)
    assert r.code == 0, r.err
    s = cli("show", "RE-000007").json()
    assert (s["girls"], s["boys"], s["total"]) == (12, 9, 21)
    assert s["attributes"] == {} and s["admin_pcode"] == ""  # no areas recorded here


def test_eore_total_that_disagrees_with_the_counts_changes_nothing(setup, tmp_path):
    cli = setup
    s = open_store(cli.url)
    before = snapshot(s)
    src = write_layer(
        tmp_path / "eore.geojson",
        [shapely.Point(30.2, 50.2)] * 2,
        {
            "date": ["2025-02-01"] * 2,
            "organisation_id": ["ORG-SYN2"] * 2,
            "girls": [12, 12],
            "men": [4, 4],
            "total": [16, 17],
        },
    )
    r = cli("import", "eore", src)
    assert r.code == 2, r.err
    assert "eore.geojson:feature 2: total 17 is not girls + boys + women + men (16)" in r.err
    assert snapshot(s) == before
    s.close()


@pytest.mark.parametrize(
    ("command", "name", "fields", "fragment"),
    [
        ("organisations", "o.gpkg", {"name": ["A", ""]}, "feature 2: name is empty"),
        (
            "organisations",
            "o.gpkg",
            {"name": ["A", "B"], "kind": ["operator", "pirate"]},
            "feature 2: kind: 'pirate' is not one of",
        ),
        (
            "organisations",
            "o.gpkg",
            {
                "name": ["A", "B"],
                "accreditation_from": ["2024-01-01"] * 2,
                "accreditation_to": ["2025-01-01", "2023-01-01"],
            },
            "feature 2: accreditation_to 2023-01-01 is before accreditation_from",
        ),
        (
            "tasks",
            "t.gpkg",
            {
                "hazard_id": ["HA-000001", "HA-404"],
                "organisation_id": ["ORG-SYN1"] * 2,
                "kind": ["nts"] * 2,
                "issued": ["2024-01-01"] * 2,
            },
            "feature 2: hazard_id: hazard 'HA-404' not found",
        ),
        (
            "tasks",
            "t.gpkg",
            {
                "hazard_id": ["HA-000001"] * 2,
                "organisation_id": ["ORG-SYN1"] * 2,
                "kind": ["nts", "self-destruct"],
                "issued": ["2024-01-01"] * 2,
            },
            "feature 2: kind 'self-destruct' cannot release land",
        ),
        (
            "qa",
            "q.gpkg",
            {
                "activity_id": ["LR-404"] * 2,
                "date": ["2024-01-01"] * 2,
                "inspecting_organisation": ["X"] * 2,
                "nonconformities": ["", "bad"],
            },
            "feature 2: nonconformities: nonconformity 'bad'",
        ),
        (
            "qa",
            "q.gpkg",
            {
                "activity_id": ["LR-404"] * 2,
                "date": ["2024-01-01"] * 2,
                "inspecting_organisation": ["X"] * 2,
                "nonconformities": ['[["major", "marking"]]', '[["major"], ["minor", "x"]]'],
            },
            'feature 2: nonconformities: nonconformity ["major"]: write [SEVERITY, TYPE]',
        ),
        (
            "qa",
            "q.gpkg",
            {
                "activity_id": ["LR-404"] * 2,
                "date": ["2024-01-01"] * 2,
                "inspecting_organisation": ["X"] * 2,
                "nonconformities": ["", '[["major", "marking"]'],
            },
            'feature 2: nonconformities: \'[["major", "marking"]\' is not valid JSON',
        ),
    ],
)
def test_bad_rows_change_nothing(setup, tmp_path, command, name, fields, fragment):
    cli = setup
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", command, table(tmp_path, name, fields))
    assert r.code == 2 and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


def test_eore_needs_a_place(setup, tmp_path):
    cli = setup
    src = table(tmp_path, "e.gpkg", {"date": ["2025-01-01"], "organisation_id": ["ORG-SYN2"]})
    r = cli("import", "eore", src)
    assert r.code == 2 and "feature 1: no geometry" in r.err
