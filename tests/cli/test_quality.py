"""QC samples (IMAS 07.12): a failed sample returns the land it covers to the hazard."""

from __future__ import annotations

import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)
EAST = shapely.box(30.005, 50.0, 30.01, 50.01)
SAMPLE = shapely.box(30.006, 50.002, 30.008, 50.004)  # inside the east half


@pytest.fixture
def closed(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    assert cli("import", "hazards", src).code == 0
    acts = write_layer(
        tmp_path / "a.geojson",
        [WEST, EAST],
        {
            "hazard_id": ["HA-000001"] * 2,
            "kind": ["ts", "clearance"],
            "date": ["2024-01-01", "2024-02-01"],
            "organisation": ["SYNTHETIC op"] * 2,
        },
    )
    assert cli("import", "activities", acts).code == 0
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "closed"
    return h


def qc(tmp_path, result, activity="LR-000002", geom=SAMPLE):
    return write_layer(
        tmp_path / "qc.geojson",
        [geom],
        {
            "activity_id": [activity],
            "date": ["2024-03-01"],
            "organisation": ["SYNTHETIC QA"],
            "result": [result],
        },
    )


def test_a_passed_sample_changes_nothing(cli, tmp_path, closed):
    assert cli("import", "qc", qc(tmp_path, "passed")).code == 0
    assert cli("hazard", "show", "HA-000001").json() == closed


def test_a_failed_sample_returns_its_land_and_reopens(cli, tmp_path, closed):
    r = cli("import", "qc", qc(tmp_path, "failed"))
    assert r.code == 0, r.err
    h = cli("hazard", "show", "HA-000001").json()
    from clearground.domain.areas import geodesic_area

    back = geodesic_area(SAMPLE)
    assert h["status"] == "reopened"
    assert h["remaining_m2"] == pytest.approx(back, rel=1e-6)
    assert h["released_m2"]["cleared"] == pytest.approx(
        closed["released_m2"]["cleared"] - back, rel=1e-6
    )
    assert h["released_m2"]["reduced"] == closed["released_m2"]["reduced"]
    assert "QC QC-000001 failed on LR-000002" in cli("history", "HA-000001").json()[-1]["reason"]
    s = open_store(cli.url)
    assert [e.kind for e in s.events("HA-000001")][-2:] == ["QCFailed", "HazardReopened"]
    s.close()
    # the returned land can be released again, by evidence
    acts = write_layer(
        tmp_path / "b.geojson",
        [SAMPLE],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-04-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "closed" and h["remaining_m2"] == 0


def test_a_failed_sample_outside_the_activity_returns_nothing(cli, tmp_path, closed):
    assert cli("import", "qc", qc(tmp_path, "failed", activity="LR-000001")).code == 0
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "closed" and h["remaining_m2"] == 0


@pytest.mark.parametrize(
    ("result", "activity", "fragment"),
    [
        ("maybe", "LR-000002", "result 'maybe' is not passed or failed"),
        ("failed", "LR-404", "land release activity 'LR-404' not found"),
    ],
)
def test_bad_samples_change_nothing(cli, tmp_path, closed, result, activity, fragment):
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "qc", qc(tmp_path, result, activity))
    assert r.code == 2 and "qc.geojson:feature 1: " in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


@pytest.mark.parametrize("ext", ["geojson", "csv", "shp.zip"])
def test_a_qc_export_imports_into_a_fresh_database_as_the_same_records(cli, tmp_path, closed, ext):
    """The computed columns of the export (hazard_id, returned_m2, admin_pcode) and the
    bookkeeping are worked out afresh, never kept as attributes; the result is the same."""
    from clearground.cli import main
    from clearground.services.projections import PUBLIC, json_of

    src = write_layer(
        tmp_path / "qc.geojson",
        [SAMPLE, SAMPLE],
        {
            "activity_id": ["LR-000002", "LR-000001"],
            "date": ["2024-03-01", "2024-03-02"],
            "organisation": ["SYNTHETIC QA"] * 2,
            "result": ["failed", "passed"],
            "nonconformities": ["depth short of 13 cm", ""],
            "inspector": ["SYNTHETIC inspector", ""],
        },
    )
    assert cli("import", "qc", src).code == 0
    out = tmp_path / f"qc_export.{ext}"
    assert cli("export", "--kind", "qc", out).code == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    s = open_store(fresh)
    s.migrate()
    s.close()
    for command, path in (("hazards", "h.geojson"), ("activities", "a.geojson")):
        assert main(["--db", fresh, "import", command, str(tmp_path / path)]) == 0
    assert main(["--db", fresh, "import", "qc", str(out)]) == 0

    def records(url):
        s = open_store(url)
        try:
            skip = {"version", "valid_from", "author", "reason", "returned_m2"}
            return {
                v.id: ({k: x for k, x in json_of("qc")(v, PUBLIC).items() if k not in skip}, v)
                for v in s.list("qc")
            }
        finally:
            s.close()

    got, want = records(fresh), records(cli.url)
    assert sorted(got) == sorted(want) == ["QC-000001", "QC-000002"]
    for rid, (row, v) in want.items():
        assert got[rid][0] == row, rid
        assert got[rid][1].record.returned_m2 == pytest.approx(v.record.returned_m2, rel=1e-6)
    assert want["QC-000001"][1].record.returned_m2 > 0
    assert want["QC-000001"][0]["attributes"] == {"inspector": "SYNTHETIC inspector"}


def test_a_qc_export_imported_into_its_own_database_names_every_clash(cli, tmp_path, closed):
    assert cli("import", "qc", qc(tmp_path, "passed")).code == 0
    out = tmp_path / "qc_export.csv"
    assert cli("export", "--kind", "qc", out).code == 0
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "qc", out)
    assert r.code == 2, r.out
    assert "qc_export.csv:feature 1: qc id 'QC-000001' already exists" in r.err, r.err
    assert snapshot(s) == before
    s.close()
