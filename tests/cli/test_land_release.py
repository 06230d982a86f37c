"""`clearground import activities`: NTS cancels, TS reduces, clearance clears; all or nothing."""

from __future__ import annotations

import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)
SOUTH_EAST = shapely.box(30.005, 50.0, 30.01, 50.005)


@pytest.fixture
def hazard_id(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson",
        [HAZARD, shapely.box(31, 50, 31.01, 50.01)],
        {"name": ["SYNTHETIC field", "SYNTHETIC other"]},
    )
    assert cli("import", "hazards", src).code == 0
    return cli("hazards", "list").json()[0]["id"]


def activities(tmp_path, rows, name="a.geojson"):
    geoms = [r[-1] for r in rows]
    cols = ("hazard_id", "kind", "date", "organisation")
    fields = {c: [r[k] for r in rows] for k, c in enumerate(cols)}
    return write_layer(tmp_path / name, geoms, fields)


def test_release_moves_the_hazard_from_active_to_in_progress_to_closed(cli, tmp_path, hazard_id):
    src = activities(
        tmp_path,
        [
            (hazard_id, "nts", "2024-04-01", "SYNTHETIC survey", WEST),
            (hazard_id, "ts", "2024-05-01", "SYNTHETIC survey", SOUTH_EAST),
        ],
    )
    r = cli("import", "activities", src)
    assert r.code == 0, r.err
    h = cli("hazard", "show", hazard_id).json()
    assert h["status"] == "in_progress"
    quarter = h["area_m2"] / 4
    assert h["released_m2"]["cancelled"] == pytest.approx(2 * quarter, rel=1e-3)
    assert h["released_m2"]["reduced"] == pytest.approx(quarter, rel=1e-3)
    assert h["released_m2"]["cleared"] == 0
    assert h["remaining_m2"] == pytest.approx(quarter, rel=1e-3)
    assert h["version"] == 3
    # clearance of the whole polygon releases only what is left, and closes it
    src2 = activities(
        tmp_path,
        [(hazard_id, "clearance", "2024-06-01", "SYNTHETIC clear", HAZARD)],
        name="b.geojson",
    )
    assert cli("import", "activities", src2).code == 0
    h = cli("hazard", "show", hazard_id).json()
    assert h["status"] == "closed"
    assert h["remaining_m2"] == 0
    assert h["released_m2"]["cleared"] == pytest.approx(quarter, rel=1e-3)
    assert sum(h["released_m2"].values()) == pytest.approx(h["area_m2"], rel=1e-9)
    hist = cli("history", hazard_id).json()
    assert [v["status"] for v in hist] == ["active", "in_progress", "in_progress", "closed"]
    assert all(v["author"] == "tester" for v in hist)
    assert "land release LR-000001 (nts, 2024-04-01): cancelled" in hist[1]["reason"]
    s = open_store(cli.url)
    kinds = [e.kind for e in s.events(hazard_id)]
    s.close()
    assert kinds == [
        "AreaReleased",
        "HazardReleaseStarted",
        "AreaReleased",
        "AreaReleased",
        "HazardClosed",
    ]
    # a closed hazard takes no more release
    r = cli("import", "activities", src2, "--again")
    assert r.code == 2 and "is closed: it has no remaining area" in r.err


def test_activities_apply_in_date_order(cli, tmp_path, hazard_id):
    src = activities(
        tmp_path,
        [
            (hazard_id, "clearance", "2024-06-01", "SYNTHETIC clear", WEST),
            (hazard_id, "nts", "2024-04-01", "SYNTHETIC survey", WEST),
        ],
    )
    assert cli("import", "activities", src).code == 0
    h = cli("hazard", "show", hazard_id).json()
    assert h["released_m2"]["cancelled"] > 0 and h["released_m2"]["cleared"] == 0


@pytest.mark.parametrize(
    ("kind", "fragment"),
    [
        ("self-destruct", "kind 'self-destruct' cannot release land"),
        ("self_deactivation", "cannot release land"),
        ("battery_life", "cannot release land"),
        ("expiry", "cannot release land"),
        ("", "kind '' cannot release land"),
    ],
)
def test_anything_but_nts_ts_clearance_is_refused(cli, tmp_path, hazard_id, kind, fragment):
    src = activities(
        tmp_path,
        [
            (hazard_id, "nts", "2024-04-01", "SYNTHETIC survey", WEST),
            (hazard_id, kind, "2024-05-01", "SYNTHETIC claim", HAZARD),
        ],
    )
    before = _snap(cli)
    r = cli("import", "activities", src)
    assert r.code == 2
    assert "a.geojson:feature 2: kind" in r.err and fragment in r.err
    assert _snap(cli) == before
    assert cli("hazard", "show", hazard_id).json()["status"] == "active"


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (
            ("HA-999999", "nts", "2024-04-01", "SYNTHETIC survey", WEST),
            "hazard 'HA-999999' not found",
        ),
        (
            (None, "nts", "2024-04-01", "SYNTHETIC survey", shapely.box(30.02, 50, 30.03, 50.01)),
            "outside hazard",
        ),
        ((None, "nts", "2024-13-01", "SYNTHETIC survey", WEST), "is not an ISO 8601 date"),
        ((None, "nts", "2999-01-01", "SYNTHETIC survey", WEST), "is in the future"),
        ((None, "nts", "1850-01-01", "SYNTHETIC survey", WEST), "before 1900"),
        ((None, "nts", "2024-04-01", "", WEST), "organisation is empty"),
        (
            (None, "nts", "2024-04-01", "SYNTHETIC survey", shapely.Point(30.001, 50.001)),
            "not a polygon",
        ),
    ],
)
def test_bad_activity_rows_change_nothing(cli, tmp_path, hazard_id, row, fragment):
    row = (row[0] or hazard_id, *row[1:])
    src = activities(tmp_path, [(hazard_id, "nts", "2024-04-01", "SYNTHETIC ok", WEST), row])
    before = _snap(cli)
    r = cli("import", "activities", src)
    assert r.code == 2, r.out
    assert "a.geojson:feature 2: " in r.err and fragment in r.err, r.err
    assert _snap(cli) == before


def test_missing_columns_are_named(cli, tmp_path, hazard_id):
    src = write_layer(tmp_path / "x.geojson", [WEST], {"hazard": [hazard_id]})
    r = cli("import", "activities", src)
    assert r.code == 2
    assert "missing columns hazard_id, kind, date, organisation" in r.err


def _snap(cli):
    s = open_store(cli.url)
    try:
        return snapshot(s)
    finally:
        s.close()


def test_handover_of_a_closed_hazard_only(cli, tmp_path, hazard_id):
    r = cli(
        "hazard",
        "handover",
        hazard_id,
        "--date",
        "2025-01-01",
        "--recipient",
        "village",
        "--version",
        "1",
    )
    assert r.code == 2 and "only a closed hazard" in r.err
    src = activities(tmp_path, [(hazard_id, "clearance", "2024-06-01", "SYNTHETIC clear", HAZARD)])
    assert cli("import", "activities", src).code == 0
    r = cli(
        "hazard",
        "handover",
        hazard_id,
        "--date",
        "2999-01-01",
        "--recipient",
        "village",
        "--version",
        "2",
    )
    assert r.code == 2 and "in the future" in r.err
    r = cli(
        "hazard",
        "handover",
        hazard_id,
        "--date",
        "2025-01-01",
        "--recipient",
        "SYNTHETIC village council",
        "--version",
        "2",
    )
    assert r.code == 0, r.err
    h = r.json()
    assert h["status"] == "handed_over" and h["version"] == 3
    assert h["attributes"]["handover_recipient"] == "SYNTHETIC village council"
    assert h["remaining_m2"] == 0
    s = open_store(cli.url)
    assert s.events(hazard_id)[-1].kind == "HazardHandedOver"
    s.close()
    r = cli(
        "hazard",
        "handover",
        hazard_id,
        "--date",
        "2025-01-01",
        "--recipient",
        "x",
        "--version",
        "3",
    )
    assert r.code == 2 and "handed_over" in r.err


def test_mdr_fields_of_an_activity(cli, tmp_path, hazard_id):
    src = write_layer(
        tmp_path / "m.geojson",
        [WEST],
        {
            "hazard_id": [hazard_id],
            "kind": ["clearance"],
            "date": ["2024-04-01"],
            "organisation": ["SYNTHETIC op"],
            "methods": ["manual, MDD"],
            "clearance_depth_cm": ["13"],
            "devices_found": ["PMN-2: 3 @ 15 cm intact; UXO: 1"],
            "beneficiaries": ["240"],
        },
    )
    r = cli("import", "activities", src)
    assert r.code == 0, r.err
    s = open_store(cli.url)
    a = s.get("activity", "LR-000001").record
    s.close()
    assert [m.value for m in a.methods] == ["manual", "animal_detection"]
    assert a.clearance_depth_cm == 13 and a.beneficiaries == 240
    assert [(d.eo_type, d.count, d.depth_cm, d.condition) for d in a.devices_found] == [
        ("PMN-2", 3, 15.0, "intact"),
        ("UXO", 1, None, ""),
    ]


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("methods", "magic", "method 'magic' is not manual"),
        ("clearance_depth_cm", "-4", "must be 0 or more"),
        ("devices_found", "PMN-2 three", "write TYPE: COUNT"),
        ("beneficiaries", "2.5", "must be a whole number"),
        # the JSON form an export writes is held to the same rules
        ("methods", '["manual", "magic"]', "method 'magic' is not manual"),
        ("methods", '["manual", 3]', "a JSON list of methods holds only their names"),
        ("methods", '["manual"', "not a valid JSON list"),
        ("devices_found", '[{"eo_type": "PMN-2", "count": 0}]', "'count' must be a whole"),
        ("devices_found", '[{"eo_type": "PMN-2", "colour": "green"}]', "write an object with"),
        ("devices_found", '[{"eo_type": "", "count": 1}]', "'eo_type' must be a non-empty"),
        ("devices_found", '[{"eo_type": "UXO", "depth_cm": -3}]', "'depth_cm' must be"),
        ("devices_found", '{"eo_type": "UXO"}', "write TYPE: COUNT"),
    ],
)
def test_bad_mdr_fields_change_nothing(cli, tmp_path, hazard_id, column, value, fragment):
    src = write_layer(
        tmp_path / "m.geojson",
        [WEST],
        {
            "hazard_id": [hazard_id],
            "kind": ["clearance"],
            "date": ["2024-04-01"],
            "organisation": ["SYNTHETIC op"],
            column: [value],
        },
    )
    before = _snap(cli)
    r = cli("import", "activities", src)
    assert r.code == 2 and "m.geojson:feature 1: " in r.err and fragment in r.err, r.err
    assert _snap(cli) == before


def test_an_activity_export_imports_with_its_json_lists_and_without_computed_columns(
    cli, tmp_path, hazard_id
):
    """The columns an export writes: nested lists as JSON text, numbers as text (CSV), and the
    computed and bookkeeping columns, which the import works out afresh."""
    src = write_layer(
        tmp_path / "export.geojson",
        [WEST],
        {
            "id": ["LR-000007"],
            "hazard_id": [hazard_id],
            "kind": ["clearance"],
            "outcome": ["cancelled"],  # computed: the kind decides it
            "date": ["2024-04-01"],
            "organisation": ["SYNTHETIC op"],
            "released_m2": ["1.0"],  # computed from the polygon, whatever the file says
            "methods": ['["manual", "mechanical"]'],
            "clearance_depth_cm": ["13.0"],
            "devices_found": [
                '[{"eo_type": "PMN-2", "count": 3, "depth_cm": null, "condition": ""}]'
            ],
            "items_found": ["3"],
            "beneficiaries": ["120.0"],
            "admin_pcode": ["XS9999"],
            "version": ["4"],
            "valid_from": ["2024-04-02T00:00:00Z"],
            "crew": ["SYNTHETIC crew"],
        },
    )
    r = cli("import", "activities", src)
    assert r.code == 0, r.err
    s = open_store(cli.url)
    a = s.get("activity", "LR-000007").record
    s.close()
    assert [m.value for m in a.methods] == ["manual", "mechanical"]
    assert [(d.eo_type, d.count, d.depth_cm, d.condition) for d in a.devices_found] == [
        ("PMN-2", 3, None, "")
    ]
    assert a.clearance_depth_cm == 13 and a.beneficiaries == 120
    assert a.outcome == "cleared" and a.released_m2 > 1000 and a.admin_pcode != "XS9999"
    assert a.attributes == {"crew": "SYNTHETIC crew"}


@pytest.mark.parametrize("ext", ["geojson", "csv", "shp.zip"])
def test_an_activity_export_imports_into_a_fresh_database_as_the_same_records(
    cli, tmp_path, hazard_id, ext
):
    """GeoJSON hands JSON lists back as lists, CSV hands numbers back as text, and Shapefiles
    cut names to 10 characters (restored from the aliases clearground writes beside them)."""
    from clearground.cli import main
    from clearground.services.projections import PUBLIC, json_of

    src = write_layer(
        tmp_path / "m.geojson",
        [WEST, SOUTH_EAST],
        {
            "hazard_id": [hazard_id] * 2,
            "kind": ["ts", "clearance"],
            "date": ["2024-04-01", "2024-05-01"],
            "organisation": ["SYNTHETIC op"] * 2,
            "methods": ["manual, MDD", ""],
            "clearance_depth_cm": ["", "13"],
            "devices_found": ["", "PMN-2: 3 @ 15 cm intact; UXO: 1"],
            "beneficiaries": ["240", ""],
            "crew": ["SYNTHETIC crew", ""],
        },
    )
    assert cli("import", "activities", src).code == 0
    out = tmp_path / f"activity.{ext}"
    assert cli("export", "--kind", "activity", out).code == 0
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    s = open_store(fresh)
    s.migrate()
    s.close()
    assert main(["--db", fresh, "import", "hazards", str(tmp_path / "h.geojson")]) == 0
    assert main(["--db", fresh, "import", "activities", str(out)]) == 0

    def records(url):
        s = open_store(url)
        try:
            skip = {"version", "valid_from", "author", "reason", "released_m2"}
            return {
                v.id: (
                    {k: x for k, x in json_of("activity")(v, PUBLIC).items() if k not in skip},
                    v,
                )
                for v in s.list("activity")
            }
        finally:
            s.close()

    got, want = records(fresh), records(cli.url)
    assert sorted(got) == sorted(want) == ["LR-000001", "LR-000002"]
    for rid, (row, v) in want.items():
        assert got[rid][0] == row, rid
        assert got[rid][1].record.released_m2 == pytest.approx(v.record.released_m2, rel=1e-6)
