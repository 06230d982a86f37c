"""`clearground import odk`: ODK Central and KoboToolbox exports of the shipped forms, queued for
review; every submission or none; victims' names never in the review queue."""

from __future__ import annotations

import csv
import json

import pytest
import shapely

from clearground.store import open_store
from clearground.synthetic import write_admin_areas
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
INSIDE = "50.005 30.005 120.0 4.5"  # an ODK geopoint: latitude first
SHAPE = "50.02 30.02 0 0;50.02 30.03 0 0;50.03 30.03 0 0;50.03 30.02 0 0;50.02 30.02 0 0;"
NAMES = ("SYNTHETIC Olena", "SYNTHETIC Petro", "SYNTHETIC +380000000", "SYNTHETIC witness")


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
    return path


def write_json(path, data):
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def closed_hazard(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC closed"]})
    assert cli("import", "hazards", src).code == 0
    acts = write_layer(
        tmp_path / "a.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"


# --- each form end to end ---------------------------------------------------------------------

NTS_HEADER = [
    "SubmissionDate",
    "start",
    "end",
    "survey-area",
    "survey-name",
    "survey-eo_types",
    "survey-date_reported",
    "survey-source",
    "survey-land_use",
    "survey-reported_by",
    "survey-notes",
    "village",
    "meta-instanceID",
    "SubmitterName",
    "KEY",
]


def nts_row(key, name, shape=SHAPE, when="2025-05-01", eo="mine_ap uxo"):
    return [
        "2025-05-02T09:00:00.000Z",
        "2025-05-01T08:00:00.000+03:00",
        "2025-05-01T08:20:00.000+03:00",
        shape,
        name,
        eo,
        when,
        "community_report",
        "agriculture",
        "SYNTHETIC NTS team 3",
        "",
        "SYNTHETIC village",
        key,
        "SYNTHETIC enumerator",
        key,
    ]


def test_nts_becomes_a_pending_hazard_then_a_sha(cli, tmp_path):
    src = write_csv(
        tmp_path / "nts.csv",
        NTS_HEADER,
        [nts_row("uuid:n1", "SYNTHETIC north field"), nts_row("uuid:n2", "SYNTHETIC orchard")],
    )
    r = cli("import", "odk", src, "--form", "nts")
    assert r.code == 0, r.err
    assert "imported 2 submission record(s)" in r.out
    assert "SB-000002: may duplicate SB-000001" in r.out  # the same shape twice
    assert cli("hazards", "list").json() == []  # nothing in the database before review
    pending = cli("review", "list").json()
    assert [(p["id"], p["kind"], p["status"], p["source"]) for p in pending] == [
        ("SB-000001", "hazard", "pending", "nts.csv:submission 1"),
        ("SB-000002", "hazard", "pending", "nts.csv:submission 2"),
    ]
    assert pending[0]["attributes"] == {"odk_form": "nts", "odk_instance_id": "uuid:n1"}
    r = cli("review", "approve", "SB-000001", "--reason", "SYNTHETIC checked")
    assert r.code == 0, r.err
    assert r.json()["record_id"] == "HA-000001"
    h = cli("hazard", "show", "HA-000001").json()
    assert (h["name"], h["classification"], h["status"]) == (
        "SYNTHETIC north field",
        "SHA",
        "active",
    )
    assert h["eo_types"] == ["mine_ap", "uxo"] and h["date_reported"] == "2025-05-01"
    assert (h["source"], h["land_use"]) == ("community_report", "agriculture")
    assert h["attributes"] == {
        "reported_by": "SYNTHETIC NTS team 3",
        "village": "SYNTHETIC village",  # a column of a customised form: kept
        "odk_form": "nts",
        "odk_instance_id": "uuid:n1",
    }  # server metadata (SubmitterName, start, end, ...) is not kept
    assert 700_000 < h["area_m2"] < 800_000  # about 1.1 km x 0.7 km at 50° N, geodesic
    assert h["reason"].startswith("approved submission SB-000001 from nts.csv:submission 1")
    # a later export holds the same submissions again (and a new one): only the new one is queued
    write_csv(
        src,
        NTS_HEADER,
        [
            nts_row("uuid:n1", "SYNTHETIC north field"),
            nts_row("uuid:n2", "SYNTHETIC orchard"),
            nts_row("uuid:n3", "SYNTHETIC pasture", shape=SHAPE.replace("50.0", "50.1")),
        ],
    )
    r = cli("import", "odk", src, "--form", "nts")
    assert r.code == 0, r.err
    assert "2 submission(s) queued before (same instance id), skipped" in r.out
    assert [p["id"] for p in cli("review", "list").json()] == ["SB-000002", "SB-000003"]


def test_eo_spot_report_from_central_odata_reopens_a_closed_hazard(cli, tmp_path):
    closed_hazard(cli, tmp_path)
    src = write_json(
        tmp_path / "eo.json",
        {
            "@odata.context": "SYNTHETIC",
            "value": [
                {
                    "__id": "uuid:e1",
                    "item": {
                        "location": {
                            "type": "Point",
                            "coordinates": [30.005, 50.005, 120.0],
                            "properties": {"accuracy": 4.5},
                        },
                        "category": "mine_ap",
                        "eo_type": "PMN-2",
                        "quantity": 2,
                        "condition": "intact",
                    },
                    "date": "2025-05-01",
                    "reported_by": "SYNTHETIC team 1",
                    "hazard_id": None,
                    "notes": None,
                    "meta": {"instanceID": "uuid:e1"},
                    "__system": {"submitterName": "SYNTHETIC enumerator"},
                }
            ],
        },
    )
    r = cli("import", "odk", src, "--form", "eo_spot_report")
    assert r.code == 0, r.err
    (sub,) = cli("review", "list").json()
    assert sub["kind"] == "eo" and sub["record"]["quantity"] == 2
    assert sub["record"]["hazard_id"] == "HA-000001"
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"  # not before approval
    assert cli("review", "approve", sub["id"]).code == 0
    item = cli("eo", "show", "EO-000001").json()
    assert (item["lon"], item["lat"], item["category"], item["eo_type"]) == (
        30.005,
        50.005,
        "mine_ap",
        "PMN-2",
    )
    assert item["hazard_id"] == "HA-000001" and item["evidence_status"] == "inside_hazard"
    assert cli("hazard", "show", "HA-000001").json()["status"] == "reopened"


ACC_HEADER = [
    "SubmissionDate",
    "location-Latitude",
    "location-Longitude",
    "location-Altitude",
    "location-Accuracy",
    "date",
    "eo_category",
    "eo_type",
    "activity",
    "hazard_id",
    "notes",
    "SET-OF-victim",
    "witness",  # a column a customised form added: it may name people, so it is not kept
    "meta-instanceID",
    "KEY",
]
VICTIM_HEADER = [
    "sex",
    "age_group",
    "victim_type",
    "outcome",
    "name",
    "contact",
    "PARENT_KEY",
    "KEY",
    "SET-OF-victim",
]


def accident_files(tmp_path, parent="uuid:a1", lat="50.005", lon="30.005"):
    main = write_csv(
        tmp_path / "accident.csv",
        ACC_HEADER,
        [
            [
                "2025-05-02T09:00:00.000Z",
                lat,
                lon,
                "120",
                "5",
                "2025-05-01",
                "mine_ap",
                "PMN-2",
                "farming",
                "",
                "SYNTHETIC tractor",
                "uuid:a1/victim",
                NAMES[3],
                "uuid:a1",
                "uuid:a1",
            ]
        ],
    )
    write_csv(
        tmp_path / "accident-victim.csv",  # where ODK Central's export puts the repeat
        VICTIM_HEADER,
        [
            ["female", "child", "civilian", "injured", NAMES[0], NAMES[2], "uuid:a1", "k1", ""],
            ["male", "adult", "civilian", "killed", NAMES[1], "", parent, "k2", ""],
        ],
    )
    return main


def test_accident_report_victims_names_never_in_the_review_queue(cli, tmp_path, monkeypatch):
    closed_hazard(cli, tmp_path)
    r = cli("import", "odk", accident_files(tmp_path), "--form", "accident_report")
    assert r.code == 0, r.err
    assert "not in the accident report form were not kept (they may name people): witness" in r.out
    for args in (
        ("review", "list"),
        ("review", "show", "SB-000001"),
        ("show", "SB-000001"),
        ("history", "SB-000001"),
    ):
        out = cli(*args)
        assert out.code == 0, out.err
        assert not any(n in out.out for n in NAMES), args
    shown = cli("review", "show", "SB-000001").json()
    assert shown["kind"] == "accident" and shown["personal_data_held_apart"] == 2
    assert [v["outcome"] for v in shown["record"]["victims"]] == ["injured", "killed"]
    assert "name" not in shown["record"]["victims"][0]
    exported = tmp_path / "subs.geojson"
    assert cli("export", str(exported), "--kind", "submission").code == 0
    assert not any(n in exported.read_text() for n in NAMES)
    s = open_store(cli.url)
    (sub,) = s.list("submission")
    assert not any(n in repr(sub.record) for n in NAMES)  # the stored payload holds none
    s.close()

    r = cli("review", "approve", "SB-000001")
    assert r.code == 0, r.err
    assert r.json()["record_id"] == "AC-000001"
    assert cli("hazard", "show", "HA-000001").json()["status"] == "reopened"
    listed = cli("accidents", "list")
    assert listed.json()[0]["killed"] == 1 and not any(n in listed.out for n in NAMES)
    assert cli("accidents", "show", "AC-000001", "--personal").code == 6  # no permission
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    personal = cli("accidents", "show", "AC-000001", "--personal").json()["personal_data"]
    assert [(p["victim_no"], p["name"], p["contact"]) for p in personal] == [
        (1, NAMES[0], NAMES[2]),
        (2, NAMES[1], ""),
    ]
    s = open_store(cli.url)
    assert s.get("victim_personal", "SB-000001/1") is None  # moved to AC-000001/1
    s.close()
    assert not any(n in cli("review", "list", "--status", "approved").out for n in NAMES)


def test_accident_from_kobo_json_rejected_withdraws_the_personal_data(cli, tmp_path):
    src = write_json(
        tmp_path / "kobo.json",
        {
            "count": 1,
            "results": [
                {
                    "_id": 17,
                    "_uuid": "k1",
                    "location": INSIDE,
                    "date": "2025-05-01",
                    "activity": "herding",
                    "victim": [
                        {
                            "victim/sex": "male",
                            "victim/age_group": "adult",
                            "victim/victim_type": "civilian",
                            "victim/outcome": "injured",
                            "victim/name": NAMES[1],
                        }
                    ],
                    "_geolocation": [50.005, 30.005],
                    "_submitted_by": "SYNTHETIC enumerator",
                }
            ],
        },
    )
    r = cli("import", "odk", src, "--form", "accident_report")
    assert r.code == 0, r.err
    s = open_store(cli.url)
    assert s.get("victim_personal", "SB-000001/1").record.name == NAMES[1]
    s.close()
    r = cli("review", "reject", "SB-000001", "--reason", "SYNTHETIC duplicate of a phone report")
    assert r.code == 0, r.err
    s = open_store(cli.url)
    assert s.get("victim_personal", "SB-000001/1") is None
    assert s.count("accident") == 0
    s.close()


def test_the_same_accident_reported_twice_is_shown_as_a_likely_duplicate(cli, tmp_path):
    first = write_json(
        tmp_path / "a.json", [{"__id": "uuid:d1", "location": INSIDE, "date": "2025-05-01"}]
    )
    assert cli("import", "odk", first, "--form", "accident_report").code == 0
    assert cli("review", "approve", "SB-000001").code == 0
    near = "50.0054 30.0050 0 0"  # 44 m north, two days later: likely the same accident
    far = "50.0100 30.0050 0 0"  # 550 m away
    again = write_json(
        tmp_path / "b.json",
        [
            {"__id": "uuid:d2", "location": near, "date": "2025-05-03"},
            {"__id": "uuid:d3", "location": far, "date": "2025-05-01"},
            {"__id": "uuid:d4", "location": near, "date": "2025-05-02"},
        ],
    )
    r = cli("import", "odk", again, "--form", "accident_report")
    assert r.code == 0, r.err
    dupes = {p["id"]: p["duplicates"] for p in cli("review", "list").json()}
    assert dupes == {
        "SB-000002": ["AC-000001", "SB-000004"],
        "SB-000003": [],
        "SB-000004": ["AC-000001", "SB-000002"],
    }
    shown = cli("review", "show", "SB-000002").json()["side_by_side"]
    assert [s.get("id") or s.get("submission") for s in shown] == ["AC-000001", "SB-000004"]


def test_eore_session_needs_its_organisation_and_gets_a_pcode(cli, tmp_path):
    adm = write_admin_areas(tmp_path / "cod.gpkg")
    assert cli("import", "locations", adm, "--layer", "adm1").code == 0
    assert cli("import", "locations", adm, "--layer", "adm2").code == 0
    orgs = write_layer(
        tmp_path / "orgs.gpkg",
        [None],
        {"id": ["ORG-SYN1"], "name": ["SYNTHETIC EORE"], "kind": ["ngo"]},
        geometry_type="Unknown",
    )
    assert cli("import", "organisations", orgs).code == 0
    session = {
        "meta/instanceID": "uuid:r1",
        "location": "44.305 22.305 80 3",
        "date": "2025-04-30",
        "organisation_id": "ORG-SYN1",
        "girls": 12,
        "boys": 10,
        "women": "7",
        "men": 3,
        "method": "school",
    }
    src = write_json(tmp_path / "eore.json", [session])
    r = cli("import", "odk", src, "--form", "eore_session")
    assert r.code == 0, r.err
    assert cli("review", "list").json()[0]["record"]["total"] == 32
    assert cli("review", "approve", "SB-000001").code == 0
    (rec,) = cli("eore", "list").json()
    assert (rec["id"], rec["organisation_id"], rec["total"], rec["method"]) == (
        "RE-000001",
        "ORG-SYN1",
        32,
        "school",
    )
    assert rec["admin_pcode"] == "XS0101" and rec["date"] == "2025-04-30"
    same_day = {**session, "meta/instanceID": "uuid:r2", "method": "community_session"}
    next_day = {**session, "meta/instanceID": "uuid:r3", "date": "2025-05-01"}
    r = cli(
        "import",
        "odk",
        write_json(tmp_path / "e2.json", [same_day, next_day]),
        "--form",
        "eore_session",
    )
    assert r.code == 0, r.err
    assert "SB-000002: may duplicate RE-000001" in r.out and "SB-000003" not in r.out


def test_central_zip_of_csv_files(cli, tmp_path):
    import zipfile

    main = accident_files(tmp_path)
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as z:
        z.write(main, "clearground_accident_report.csv")
        z.write(tmp_path / "accident-victim.csv", "clearground_accident_report-victim.csv")
        z.writestr("media/SYNTHETIC-photo.jpg", b"not a photo")
    r = cli("import", "odk", export, "--form", "accident_report")
    assert r.code == 0, r.err
    (sub,) = cli("review", "list").json()
    assert sub["source"] == "export.zip:submission 1" and sub["personal_data_held_apart"] == 2


def test_dry_run_and_explicit_repeat_file(cli, tmp_path):
    main = accident_files(tmp_path)
    moved = tmp_path / "victims-elsewhere.csv"
    (tmp_path / "accident-victim.csv").rename(moved)
    before = snapshot(open_store(cli.url))
    r = cli("import", "odk", main, "--form", "accident_report", "--repeat", f"victim={moved}")
    assert r.code == 0, r.err
    r = cli("import", "odk", main, "--form", "accident_report", "--dry-run")  # no victim file
    assert r.code == 2 and "--repeat victim=FILE" in r.err
    s = open_store(cli.url)
    assert s.count("victim_personal") == 2 and s.count("submission") == 1
    s.close()
    assert before != snapshot(open_store(cli.url))
    after = snapshot(open_store(cli.url))
    dry = write_json(tmp_path / "d.json", [{"location": INSIDE, "date": "2025-05-01"}])
    r = cli("import", "odk", dry, "--form", "accident_report", "--dry-run", "-o", "json")
    assert r.code == 0 and r.json()["would_import"] == 1
    assert snapshot(open_store(cli.url)) == after


# --- bad submissions: exit 2, a line for each, nothing changed ---------------------------------


def _eo(tmp_path, **changes):
    row = {
        "location": INSIDE,
        "category": "uxo",
        "eo_type": "OF-462",
        "quantity": "1",
        "date": "2025-05-01",
        "hazard_id": "",
        "meta-instanceID": "uuid:x1",
    }
    good = {**row, "meta-instanceID": "uuid:x0"}
    bad = {**row, **changes}
    header = list(good)
    return write_csv(
        tmp_path / "bad.csv", header, [list(good.values()), [bad.get(h, "") for h in header]]
    )


def _nts(tmp_path, shape):
    return write_csv(tmp_path / "bad.csv", NTS_HEADER, [nts_row("uuid:n1", "SYNTHETIC", shape)])


BAD = {
    "bad geopoint": (
        "eo_spot_report",
        lambda p: _eo(p, location="50.005,30.005"),
        "submission 2: location '50.005,30.005' is not an ODK geopoint",
    ),
    "swapped lat/lon": (
        "eo_spot_report",
        lambda p: _eo(p, location="30.005 50.005 0 0"),
        "submission 2: location: likely swapped lat/lon: (50.005, 30.005) read as lon, lat lies "
        "outside the operating region, and swapped it lies inside; an ODK geopoint is written "
        '"lat lon alt acc", latitude first',
    ),
    "NaN": ("eo_spot_report", lambda p: _eo(p, location="nan 30 0 0"), "not a finite number"),
    "out of range": (
        "eo_spot_report",
        lambda p: _eo(p, location="95 30 0 0"),
        "submission 2: location: coordinates outside lon/lat range",
    ),
    "missing field": (
        "eo_spot_report",
        lambda p: _eo(p, date=""),
        "submission 2: date is empty (the form requires it)",
    ),
    "missing geopoint": (
        "eo_spot_report",
        lambda p: _eo(p, location=""),
        "submission 2: location is empty",
    ),
    "unknown category": (
        "eo_spot_report",
        lambda p: _eo(p, category="grenade_x"),
        "submission 2: category 'grenade_x' is not an EO category",
    ),
    "future date": (
        "eo_spot_report",
        lambda p: _eo(p, date="2999-01-01"),
        "submission 2: date '2999-01-01' is in the future",
    ),
    "quantity 0": ("eo_spot_report", lambda p: _eo(p, quantity="0"), "quantity '0' must be"),
    "unknown hazard": (
        "eo_spot_report",
        lambda p: _eo(p, hazard_id="HA-404"),
        "submission 2: hazard_id: hazard 'HA-404' not found",
    ),
    "same instance twice": (
        "eo_spot_report",
        lambda p: _eo(p, **{"meta-instanceID": "uuid:x0"}),
        "submission 2: instance id uuid:x0 is also submission 1 of this file",
    ),
    "geoshape of two points": (
        "nts",
        lambda p: _nts(p, "50 30 0 0;50 30.01 0 0;50 30 0 0"),
        "submission 1: area '50 30 0 0;50 30.01 0 0;50 30 0 0' has 2 distinct point(s)",
    ),
    "self-crossing shape": (
        "nts",
        lambda p: _nts(p, "50 30 0 0;50.01 30.01 0 0;50 30.01 0 0;50.01 30 0 0;50 30 0 0"),
        "submission 1: area: invalid polygon: Self-intersection",
    ),
    "unknown EO type in a select_multiple": (
        "nts",
        lambda p: write_csv(
            p / "bad.csv", NTS_HEADER, [nts_row("uuid:n1", "SYNTHETIC", eo="mine_ap bomblet_x")]
        ),
        "submission 1: eo_types: category 'bomblet_x' is not an EO category",
    ),
    "repeat row with an unknown parent": (
        "accident_report",
        lambda p: accident_files(p, parent="uuid:zz"),
        "accident-victim.csv:row 2: PARENT_KEY 'uuid:zz' names no submission in accident.csv",
    ),
    "victim with fields missing": (
        "accident_report",
        lambda p: write_json(
            p / "bad.json",
            [{"location": INSIDE, "date": "2025-05-01", "victim": [{"sex": "male"}]}],
        ),
        "submission 1: victim 1: age_group is empty (the form requires it)",
    ),
    "unknown organisation": (
        "eore_session",
        lambda p: write_json(
            p / "bad.json",
            [
                {
                    "location": INSIDE,
                    "date": "2025-05-01",
                    "organisation_id": "ORG-404",
                    **dict.fromkeys(("girls", "boys", "women", "men"), 1),
                }
            ],
        ),
        "submission 1: organisation_id: organisation 'ORG-404' not found",
    ),
    "negative count": (
        "eore_session",
        lambda p: write_json(
            p / "bad.json",
            [
                {
                    "location": INSIDE,
                    "date": "2025-05-01",
                    "organisation_id": "ORG-404",
                    **dict.fromkeys(("girls", "boys", "women", "men"), -1),
                }
            ],
        ),
        "submission 1: girls '-1' must be a whole number of 0 or more",
    ),
    "not an export": (
        "nts",
        lambda p: write_json(p / "bad.json", {"SYNTHETIC": 1}),
        "not a readable ODK export",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_submission_refuses_the_file_and_changes_nothing(cli, tmp_path, case):
    closed_hazard(cli, tmp_path)
    assert cli("import", "odk", accident_files(tmp_path), "--form", "accident_report").code == 0
    form, make, message = BAD[case]
    src = make(tmp_path)
    s = open_store(cli.url)
    before = snapshot(s)
    s.close()
    r = cli("import", "odk", src, "--form", form)
    assert r.code == 2, (r.out, r.err)
    assert message in r.err, r.err
    assert "nothing was imported" in r.err
    s = open_store(cli.url)
    assert snapshot(s) == before
    s.close()


def test_unknown_form_and_bad_repeat_option(cli, tmp_path):
    src = write_json(tmp_path / "x.json", [{"date": "2025-05-01"}])
    r = cli("import", "odk", src, "--form", "census")
    assert r.code == 2 and "choose one of nts, eo_spot_report" in r.err
    r = cli("import", "odk", src, "--form", "nts", "--repeat", "victim")
    assert r.code == 2 and "write it as NAME=FILE" in r.err
    r = cli("import", "odk", src, "--form", "nts", "--repeat", f"victim={src}")
    assert r.code == 2 and "no such repeat group" in r.err


def write_kobo_xlsx(path, sheets: dict[str, tuple[list[str], list[list]]]):
    """A KoboToolbox-style XLSX export written by GDAL: one sheet per table, in order."""
    import numpy as np
    import pyogrio

    for i, (name, (header, rows)) in enumerate(sheets.items()):
        columns = [
            np.array([r[j] for r in rows], dtype=object if isinstance(rows[0][j], str) else None)
            for j in range(len(header))
        ]
        pyogrio.raw.write(path, None, columns, header, layer=name, driver="XLSX", append=i > 0)
    return path


def test_accident_from_kobo_xlsx_with_a_repeat_sheet(cli, tmp_path):
    closed_hazard(cli, tmp_path)
    src = write_kobo_xlsx(
        tmp_path / "kobo.xlsx",
        {
            "SYNTHETIC accident report": (
                ["location", "date", "activity", "_id", "_uuid", "_index"],
                [
                    [INSIDE, "2025-05-01", "herding", 17, "k1", 1],
                    [INSIDE, "2025-05-03", "farming", 18, "k2", 2],
                ],
            ),
            "victim": (
                [
                    "victim/sex",
                    "victim/age_group",
                    "victim/victim_type",
                    "victim/outcome",
                    "victim/name",
                    "_index",
                    "_parent_table_name",
                    "_parent_index",
                ],
                [
                    [
                        "male",
                        "adult",
                        "civilian",
                        "injured",
                        NAMES[1],
                        1,
                        "SYNTHETIC accident report",
                        1,
                    ],
                    [
                        "female",
                        "adult",
                        "civilian",
                        "killed",
                        NAMES[0],
                        2,
                        "SYNTHETIC accident report",
                        2,
                    ],
                    [
                        "female",
                        "child",
                        "civilian",
                        "injured",
                        NAMES[0],
                        3,
                        "SYNTHETIC accident report",
                        2,
                    ],
                ],
            ),
        },
    )
    r = cli("import", "odk", src, "--form", "accident_report")
    assert r.code == 0, r.err
    subs = cli("review", "list").json()
    assert len(subs) == 2
    second = cli("review", "show", subs[1]["id"]).json()
    assert [v["outcome"] for v in second["record"]["victims"]] == ["killed", "injured"]
    assert not any(n in cli("review", "list").out for n in NAMES)


def test_kobo_xlsx_repeat_row_naming_no_submission_changes_nothing(cli, tmp_path):
    src = write_kobo_xlsx(
        tmp_path / "kobo.xlsx",
        {
            "accidents": (
                ["location", "date", "activity", "_index"],
                [[INSIDE, "2025-05-01", "herding", 1]],
            ),
            "victim": (
                ["victim/sex", "victim/age_group", "victim/outcome", "_parent_index"],
                [["male", "adult", "injured", 9]],
            ),
        },
    )
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "odk", src, "--form", "accident_report")
    assert r.code == 2
    assert f"{src}:sheet victim:row 1: _parent_index '9' names no submission" in r.err, r.err
    assert snapshot(s) == before
    s.close()
