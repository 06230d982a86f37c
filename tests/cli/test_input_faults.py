"""Bad files and bad values are messages, never crashes or hangs: each is refused with the exit
code of its error class, names the file and the feature, leaves no traceback and changes nothing.
"""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest
import shapely

from clearground.domain.errors import BadInput, ImportRejected, ReleaseRefused
from clearground.store import open_store
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


@pytest.fixture
def db(cli):
    s = open_store(cli.url)
    yield s
    s.close()


@pytest.fixture
def hazard_id(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    assert cli("import", "hazards", src).code == 0
    return cli("hazards", "list").json()[0]["id"]


def refused(r, code: int, *fragments: str) -> None:
    """``r`` exited with ``code``, said every fragment on stderr, and showed no traceback."""
    assert r.code == code, (r.code, r.out, r.err)
    assert "Traceback" not in r.err
    for fragment in fragments:
        assert fragment in r.err, (fragment, r.err)


# --- files that are not regular files ---------------------------------------------------------


def _fifo(tmp_path: Path) -> Path:
    p = tmp_path / "pipe.geojson"
    os.mkfifo(p)
    return p


def _device(tmp_path: Path) -> Path:
    p = tmp_path / "zero.geojson"
    p.symlink_to("/dev/zero")
    return p


def _folder(tmp_path: Path) -> Path:
    p = tmp_path / "folder.csv"
    p.mkdir()
    return p


@pytest.mark.parametrize(
    ("make", "what"),
    [(_fifo, "a FIFO (named pipe)"), (_device, "a character device"), (_folder, "a folder")],
)
@pytest.mark.parametrize("command", ["hazards", "activities", "eo", "accidents", "qc", "tasks"])
def test_non_regular_files_are_refused_before_reading(cli, db, tmp_path, make, what, command):
    path = make(tmp_path)
    before = snapshot(db)
    r = cli("import", command, path)
    refused(r, ImportRejected.exit_code, f"{path}: is {what}, not a regular file")
    assert snapshot(db) == before


def test_odk_and_check_refuse_a_fifo(cli, tmp_path):
    path = _fifo(tmp_path)
    refused(cli("import", "odk", path, "--form", "nts"), BadInput.exit_code, "is a FIFO")
    refused(cli("check", path), BadInput.exit_code, "is a FIFO")


# --- nesting and numbers out of range ---------------------------------------------------------


def _deep_geojson(path: Path, depth: int) -> Path:
    ring = "[[30,50],[30.01,50],[30.01,50.01],[30,50]]"
    good = f'{{"type":"Feature","properties":{{"name":"SYNTHETIC a"}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}'  # noqa: E501
    deep = (
        '{"type":"Feature","properties":{"name":"SYNTHETIC b","x":'
        + "[" * depth
        + "]" * depth
        + f'}},"geometry":{{"type":"Polygon","coordinates":[{ring}]}}}}'
    )
    path.write_text(f'{{"type":"FeatureCollection","features":[{good},{deep}]}}')
    return path


def test_geojson_nested_200000_deep_is_refused_naming_the_feature(cli, db, tmp_path):
    path = _deep_geojson(tmp_path / "deep.geojson", 200_000)
    before = snapshot(db)
    r = cli("import", "hazards", path)
    refused(r, ImportRejected.exit_code, f"{path}:feature 2:", "nested too deeply")
    assert snapshot(db) == before


def test_odk_json_nested_deeply_is_refused(cli, tmp_path):
    path = tmp_path / "odk.json"
    path.write_text("[" * 200_000 + "]" * 200_000)
    refused(cli("import", "odk", path, "--form", "nts"), BadInput.exit_code, "nested too deeply")


@pytest.mark.parametrize(
    ("column", "value", "fragment"),
    [
        ("beneficiaries", "1e400", "beneficiaries '1e400' is out of range"),
        ("beneficiaries", "123456789012345678901", "beneficiaries '123456789012345678901' is out"),
        ("clearance_depth_cm", "1e300", "clearance_depth_cm '1e300' is out of range"),
        (
            "devices_found",
            "PMN-2: 12345678901234567890",
            "devices_found 'PMN-2: 12345678901234567890': the count 12345678901234567890 is out",
        ),
        (
            "devices_found",
            "PMN-2: 3 @ 99999999 cm",
            "devices_found 'PMN-2: 3 @ 99999999 cm': the depth is more than",
        ),
    ],
)
def test_numbers_out_of_range_are_refused_naming_the_feature(
    cli, db, tmp_path, hazard_id, column, value, fragment
):
    src = write_csv(
        tmp_path / "a.csv",
        [
            ["hazard_id", "kind", "date", "organisation", column, "WKT"],
            [hazard_id, "nts", "2024-04-01", "SYNTHETIC org", "", HAZARD.wkt],
            [hazard_id, "ts", "2024-04-02", "SYNTHETIC org", value, HAZARD.wkt],
        ],
    )
    before = snapshot(db)
    r = cli("import", "activities", src)
    refused(r, ImportRejected.exit_code, f"{src}:feature 2: {fragment}")
    assert snapshot(db) == before


def test_eo_quantity_and_task_counts_out_of_range(cli, db, tmp_path, hazard_id):
    eo = write_csv(
        tmp_path / "eo.csv",
        [
            ["category", "date", "quantity", "lon", "lat"],
            ["uxo", "2024-01-01", "1e400", "30", "50"],
        ],
    )
    eore = write_csv(
        tmp_path / "eore.csv",
        [
            ["date", "organisation_id", "girls", "boys", "women", "men", "lon", "lat"],
            ["2024-01-01", "ORG-1", "99999999999999999999", "0", "0", "0", "30", "50"],
        ],
    )
    before = snapshot(db)
    refused(cli("import", "eo", eo), ImportRejected.exit_code, f"{eo}:feature 1: quantity")
    refused(cli("import", "eore", eore), ImportRejected.exit_code, f"{eore}:feature 1:")
    assert snapshot(db) == before


@pytest.mark.parametrize("value", ["2025-01-01 garbage", "2025-01-01garbage", "2025-13-01"])
def test_dates_are_read_whole(cli, db, tmp_path, value):
    src = write_csv(
        tmp_path / "h.csv",
        [["name", "date_reported", "WKT"], ["SYNTHETIC a", value, HAZARD.wkt]],
    )
    before = snapshot(db)
    r = cli("import", "hazards", src)
    refused(r, ImportRejected.exit_code, f"{src}:feature 1: date_reported {value!r}")
    assert snapshot(db) == before


def test_a_date_with_a_time_is_a_date(cli, tmp_path):
    src = write_csv(
        tmp_path / "h.csv",
        [
            ["name", "date_reported", "WKT"],
            ["SYNTHETIC a", "2024-03-01T10:00:00+02:00", HAZARD.wkt],
        ],
    )
    assert cli("import", "hazards", src).code == 0
    assert cli("hazards", "list").json()[0]["date_reported"] == "2024-03-01"


# --- M values ---------------------------------------------------------------------------------


def test_polygon_m_and_zm_import_and_every_export_and_dump_works(cli, tmp_path):
    import pyogrio

    src = write_csv(
        tmp_path / "m.csv",
        [
            ["name", "WKT"],
            ["SYNTHETIC m", "POLYGON M ((30 50 1, 30.01 50 2, 30.01 50.01 3, 30 50 1))"],
            ["SYNTHETIC zm", "POLYGON ZM ((31 50 5 1, 31.01 50 5 2, 31.01 50.01 5 3, 31 50 5 1))"],
        ],
    )
    r = cli("import", "hazards", src)
    assert r.code == 0, r.err
    for ending in ("geojson", "gpkg", "shp.zip", "fgb", "csv", "kml", "gdb.zip", "xlsx"):
        out = tmp_path / f"out.{ending}"
        r = cli("export", out)
        assert r.code == 0, (ending, r.err)
        if ending not in ("csv", "xlsx"):
            info = pyogrio.read_info(out)
            assert info["features"] == 2
            assert not info["geometry_type"].endswith("M"), info["geometry_type"]
    r = cli("dump", "--without-personal-data", tmp_path / "dump.gpkg")
    assert r.code == 0, r.err


def test_m_values_are_dropped_and_z_kept_by_the_reader(tmp_path):
    from clearground.formats import read_file

    src = write_csv(
        tmp_path / "m.csv",
        [
            ["name", "WKT"],
            ["SYNTHETIC m", "POLYGON M ((30 50 1, 30.01 50 2, 30.01 50.01 3, 30 50 1))"],
            ["SYNTHETIC zm", "POLYGON ZM ((31 50 5 1, 31.01 50 6 2, 31.01 50.01 5 3, 31 50 5 1))"],
        ],
    )
    m, zm = read_file(src).geometries
    assert not shapely.has_m(m) and not shapely.has_z(m)
    assert not shapely.has_m(zm) and shapely.has_z(zm)
    assert shapely.get_coordinates(zm, include_z=True)[1].tolist() == [31.01, 50.0, 6.0]


# --- exports: reserved names, names that differ only in case, all or nothing ------------------


def test_reserved_and_case_duplicate_names_are_renamed_so_every_export_works(cli, tmp_path):
    import pyogrio

    src = write_layer(
        tmp_path / "h.geojson",
        [HAZARD],
        {
            "name": ["SYNTHETIC a"],
            "NAME": ["other"],
            "fid": ["7"],
            "geom": ["g"],
            "OBJECTID": ["9"],
            "Shape": ["s"],
        },
    )
    assert cli("import", "hazards", src).code == 0
    attributes = cli("hazards", "list").json()[0]["attributes"]
    assert attributes == {"NAME": "other", "fid": "7", "geom": "g", "OBJECTID": "9", "Shape": "s"}
    for ending in ("gpkg", "gdb.zip", "geojson", "shp.zip", "fgb", "kml", "csv", "xlsx"):
        out = tmp_path / f"out.{ending}"
        r = cli("export", out)
        assert r.code == 0, (ending, r.err)
    gpkg = list(pyogrio.read_info(tmp_path / "out.gpkg")["fields"])
    assert {"fid_1", "geom_1", "NAME_1"} <= set(gpkg) and "fid" not in gpkg
    gdb = list(pyogrio.read_info(tmp_path / "out.gdb.zip")["fields"])
    assert {"OBJECTID_1", "Shape_1", "NAME_1"} <= set(gdb)
    # the renamed columns import back as attributes of those names, nothing lost
    new = f"sqlite:///{tmp_path / 'new.db'}"
    assert cli("init", db=new).code == 0
    r = cli("import", "hazards", tmp_path / "out.gpkg", db=new)
    assert r.code == 0, r.err
    back = cli("hazards", "list", db=new).json()[0]["attributes"]
    assert {back["fid_1"], back["geom_1"], back["NAME_1"]} == {"7", "g", "other"}


@pytest.fixture
def long_text_hazard(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC a"], "remark": ["x" * 300]}
    )
    assert cli("import", "hazards", src).code == 0


def test_a_failed_export_leaves_the_old_file_byte_identical(cli, tmp_path, long_text_hazard):
    old = tmp_path / "old.shp.zip"
    old.write_bytes(b"an older export, kept as it was")
    r = cli("export", old)
    refused(r, BadInput.exit_code, "a Shapefile text field holds at most 254 bytes")
    assert old.read_bytes() == b"an older export, kept as it was"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_csv_export_replaces_its_sidecars_only_when_all_are_written(cli, tmp_path, hazard_id):
    out = tmp_path / "out.csv"
    assert cli("export", out).code == 0
    before = {p.name: p.read_bytes() for p in tmp_path.glob("out.*")}
    assert set(before) == {"out.csv", "out.csvt", "out.prj"}
    (tmp_path / "out.prj").unlink()
    (tmp_path / "out.prj").mkdir()  # a folder where a sidecar must go: the rename fails
    r = cli("export", out)
    refused(r, BadInput.exit_code, f"{out}: cannot write")
    assert (tmp_path / "out.csv").read_bytes() == before["out.csv"]
    assert (tmp_path / "out.csvt").read_bytes() == before["out.csvt"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".clearground-export-")]


def test_export_into_a_missing_folder_is_a_message(cli, tmp_path, hazard_id):
    r = cli("export", tmp_path / "nowhere" / "h.gpkg")
    refused(r, BadInput.exit_code, "does not exist")
    r = cli("export", tmp_path / "eo.gpkg", "--kind", "eo")
    assert r.code == 0, r.err


# --- hazard edit: names compared ignoring case, values checked as import checks them ----------


def _edit(cli, hid, *sets):
    args = [a for s in sets for a in ("--set", s)]
    return cli("hazard", "edit", hid, *args, "--reason", "SYNTHETIC check", "--version", "1")


@pytest.mark.parametrize(
    "change", ["Status=closed", "STATUS=closed", "Area_M2=0", "Remaining_m2=0", "Cleared_m2=9"]
)
def test_protected_names_are_compared_ignoring_case(cli, db, hazard_id, change):
    before = snapshot(db)
    refused(_edit(cli, hazard_id, change), ReleaseRefused.exit_code, "cannot")
    assert snapshot(db) == before


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("date_reported=2025-01-01 garbage", "not an ISO 8601 date"),
        ("date_reported=2999-01-01", "is in the future"),
        ("date_reported=1850-01-01", "before 1900"),
        ("classification=maybe", "not SHA or CHA"),
        ("benchmark_lon=200|benchmark_lat=50", "outside lon/lat range"),
        ("benchmark_lon=30", "must both be numbers"),
        ("benchmark_lon=30|benchmark_lat=abc", "must both be numbers"),
        ("self_destruct=30 days", "write --set attributes.self_destruct=VALUE"),
        ("attributes.status=x", "is the name of a hazard field"),
        ("attributes.FID=x", "is the name of a hazard field"),
        ("attributes.=x", "give a printable attribute name"),
    ],
)
def test_edit_checks_values_as_import_does(cli, db, hazard_id, change, fragment):
    before = snapshot(db)
    refused(_edit(cli, hazard_id, *change.split("|")), BadInput.exit_code, fragment)
    assert snapshot(db) == before


def test_edit_benchmark_is_checked_against_the_hazard(cli, db, hazard_id):
    before = snapshot(db)
    r = _edit(cli, hazard_id, "benchmark_lon=31.5", "benchmark_lat=50.005")
    refused(r, BadInput.exit_code, "km from the hazard")
    assert snapshot(db) == before
    r = _edit(cli, hazard_id, "benchmark_lon=30.005", "benchmark_lat=50.005")
    assert r.code == 0, r.err
    assert r.json()["attributes"] == {}  # a benchmark, not two attributes


def test_edit_sets_attributes_by_their_prefix_and_fields_ignoring_case(cli, hazard_id):
    r = _edit(
        cli, hazard_id, "attributes.self_destruct=claimed 30 days", "Notes=late", "EO_types=UXO"
    )
    assert r.code == 0, r.err
    h = r.json()
    assert h["attributes"] == {"self_destruct": "claimed 30 days"}
    assert (h["notes"], h["eo_types"], h["status"]) == ("late", ["UXO"], "active")
    r = cli(
        "hazard",
        "edit",
        hazard_id,
        "--set",
        "attributes.Self_Destruct=x",
        "--reason",
        "r",
        "--version",
        "2",
    )
    refused(r, BadInput.exit_code, "differ only in case")


# --- record text on a terminal ----------------------------------------------------------------


def test_names_are_printed_with_control_characters_escaped_and_no_markup(cli, tmp_path):
    name = "SYNTHETIC \x1b[2J[bold]x[/bold]\u202e"
    src = write_csv(tmp_path / "h.csv", [["name", "WKT"], [name, HAZARD.wkt]])
    assert cli("import", "hazards", src).code == 0
    for args in (
        ("hazards", "list", "--format", "table"),
        ("history", "HA-000001", "--format", "table"),
        ("check", "--point", "30.005,50.005", "--format", "table"),
    ):
        r = cli(*args)
        assert r.code == 0, r.err
        assert "\x1b" not in r.out and "\u202e" not in r.out
    table = cli("hazards", "list", "--format", "table").out
    assert "\\x1b[2J[bold]x[/bold]\\u202e" in table
    assert cli("hazards", "list").json()[0]["name"] == name  # JSON keeps the text as it is


# --- one pass ---------------------------------------------------------------------------------


def test_a_hazard_import_reports_every_problem_in_one_pass(cli, db, tmp_path, hazard_id):
    bowtie = "POLYGON ((30 50, 30.01 50.01, 30.01 50, 30 50.01, 30 50))"
    src = write_csv(
        tmp_path / "h.csv",
        [
            ["id", "name", "classification", "date_reported", "WKT"],
            [hazard_id, "SYNTHETIC a", "SHA", "", HAZARD.wkt],
            ["HZ-2", "SYNTHETIC b", "maybe", "", HAZARD.wkt],
            ["HZ-3", "SYNTHETIC c", "SHA", "2025-01-01 x", HAZARD.wkt],
            ["HZ-4", "SYNTHETIC d", "SHA", "", bowtie],
        ],
    )
    before = snapshot(db)
    r = cli("import", "hazards", src)
    refused(
        r,
        ImportRejected.exit_code,
        "4 problems",
        f"{src}:feature 1: id {hazard_id!r} already exists",
        f"{src}:feature 2: classification 'maybe'",
        f"{src}:feature 3: date_reported",
        f"{src}:feature 4: invalid polygon",
    )
    assert snapshot(db) == before


def test_an_activity_import_reports_every_problem_in_one_pass(cli, db, tmp_path, hazard_id):
    src = write_csv(
        tmp_path / "a.csv",
        [
            ["id", "hazard_id", "kind", "date", "organisation", "WKT"],
            ["LR-9", hazard_id, "nts", "2024-13-01", "SYNTHETIC org", HAZARD.wkt],
            ["LR-8", "HA-404", "nts", "2024-04-01", "SYNTHETIC org", HAZARD.wkt],
            ["LR-7", hazard_id, "survey", "2024-04-01", "SYNTHETIC org", HAZARD.wkt],
            ["LR-7", hazard_id, "nts", "2024-04-02", "SYNTHETIC org", HAZARD.wkt],
        ],
    )
    before = snapshot(db)
    r = cli("import", "activities", src)
    refused(
        r,
        ImportRejected.exit_code,
        "3 problems",
        f"{src}:feature 1: date '2024-13-01'",
        f"{src}:feature 2: hazard 'HA-404' not found",
        f"{src}:feature 3:",
    )
    assert snapshot(db) == before


def test_an_eo_import_reports_every_problem_in_one_pass(cli, db, tmp_path, hazard_id):
    src = write_csv(
        tmp_path / "eo.csv",
        [
            ["category", "date", "hazard_id", "lon", "lat"],
            ["moon rock", "2024-01-01", "", "30.005", "50.005"],
            ["uxo", "2024-01-01", "HA-404", "30.005", "50.005"],
            ["uxo", "2999-01-01", "", "30.005", "50.005"],
        ],
    )
    before = snapshot(db)
    r = cli("import", "eo", src)
    refused(
        r,
        ImportRejected.exit_code,
        f"{src}:feature 1:",
        f"{src}:feature 2: hazard 'HA-404' not found",
        f"{src}:feature 3: date '2999-01-01' is in the future",
    )
    assert snapshot(db) == before


def test_an_operations_import_reports_every_problem_in_one_pass(cli, db, tmp_path, hazard_id):
    src = write_layer(
        tmp_path / "t.gpkg",
        [None, None],
        {
            "hazard_id": ["HA-404", hazard_id],
            "organisation_id": ["ORG-404", "ORG-404"],
            "kind": ["nts", "dig"],
            "issued": ["2024-01-01", "2024-01-01"],
        },
        geometry_type="Unknown",
    )
    before = snapshot(db)
    r = cli("import", "tasks", src)
    refused(
        r,
        ImportRejected.exit_code,
        f"{src}:feature 1: hazard_id: hazard 'HA-404' not found",
        f"{src}:feature 2: kind",
    )
    assert snapshot(db) == before


def test_a_fifo_beside_a_csv_is_refused_not_read(cli, db, tmp_path):
    src = write_csv(tmp_path / "h.csv", [["name", "WKT"], ["SYNTHETIC a", HAZARD.wkt]])
    os.mkfifo(tmp_path / "h.csvt")
    before = snapshot(db)
    r = cli("import", "hazards", src)
    refused(r, ImportRejected.exit_code, "h.csvt: is a FIFO (named pipe), not a regular file")
    assert snapshot(db) == before


def test_accident_and_qc_imports_report_every_problem_in_one_pass(cli, db, tmp_path, hazard_id):
    acc = write_csv(
        tmp_path / "acc.csv",
        [
            ["date", "hazard_id", "lon", "lat"],
            ["2025-01-01 x", "", "30.005", "50.005"],
            ["2025-01-01", "HA-404", "30.005", "50.005"],
        ],
    )
    qc = write_csv(
        tmp_path / "qc.csv",
        [
            ["activity_id", "date", "organisation", "result", "WKT"],
            ["LR-404", "2024-05-01", "SYNTHETIC QC", "maybe", HAZARD.wkt],
            ["LR-404", "2024-05-01", "SYNTHETIC QC", "failed", HAZARD.wkt],
        ],
    )
    before = snapshot(db)
    refused(
        cli("import", "accidents", acc),
        ImportRejected.exit_code,
        f"{acc}:feature 1: date",
        f"{acc}:feature 2: hazard_id names no recorded hazard",
    )
    refused(
        cli("import", "qc", qc),
        ImportRejected.exit_code,
        f"{qc}:feature 1: result 'maybe'",
        f"{qc}:feature 2: land release activity 'LR-404' not found",
    )
    assert snapshot(db) == before
