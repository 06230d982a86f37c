"""The shipped XLSForms (checked with pyxform and ODK Validate) and reading ODK/Kobo exports."""

from __future__ import annotations

import csv
import json
import math
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

from clearground.domain.errors import ImportRejected
from clearground.domain.records import AgeGroup, EOCategory, Sex, VictimOutcome, VictimType
from clearground.formats.odk import read_export
from clearground.formats.odk_values import (
    geometry_of,
    instance_id,
    parse_geopoint,
    parse_geoshape,
    value,
)
from clearground.services.odk_forms import FORMS, form_text
from tests.conftest import feature_assert_or_skip

XF = "{http://www.w3.org/2002/xforms}"
PERSONAL = "{urn:clearground:xforms}personal"
METADATA = {"start", "end"}


def _convert(name: str, *, validate: bool = False):
    from pyxform.xls2xform import convert

    return convert(xlsform=form_text(name).encode(), file_type=".md", validate=validate)


def _xform(name: str):
    """What the XForm says of each field: type, required, personal, repeat; and choices."""
    root = ET.fromstring(_convert(name).xform)
    model = root.find(f".//{XF}model")
    binds = {}
    for b in model.iter(f"{XF}bind"):
        path = b.get("nodeset").split("/")[2:]  # /data/[repeat/]field
        if path[0] == "meta":
            continue
        binds[path[-1]] = {
            "type": b.get("type"),
            "required": b.get("required") == "true()",
            "repeat": path[0] if len(path) == 2 else "",
        }
    instance = model.find(f"{XF}instance")[0]
    personal = {el.tag.split("}")[-1] for el in instance.iter() if el.get(PERSONAL) == "true"}
    lists = {
        inst.get("id"): [item.find(f"{XF}name").text for item in inst.iter(f"{XF}item")]
        for inst in model.findall(f"{XF}instance")
        if inst.get("id")
    }
    choices = {}
    for sel in root.iter():
        if sel.tag in (f"{XF}select1", f"{XF}select"):
            itemset = sel.find(f"{XF}itemset").get("nodeset")  # instance('LIST')/root/item
            choices[sel.get("ref").split("/")[-1]] = lists[itemset.split("'")[1]]
    return binds, personal, choices


@pytest.mark.parametrize("name", sorted(FORMS))
def test_each_form_is_a_valid_xform(name):
    result = _convert(name)  # pyxform raises on an invalid form
    assert result.warnings == []
    root = ET.fromstring(result.xform)
    assert root.find(f".//{XF}instance")[0].get("id") == f"clearground_{name}"


@pytest.mark.parametrize("name", sorted(FORMS))
def test_each_form_passes_odk_validate(name):
    """ODK Validate (JavaRosa, shipped with pyxform) parses the XForm as ODK Collect would."""
    feature_assert_or_skip(shutil.which("java") is not None, "ODK Validate needs java")
    assert _convert(name, validate=True).warnings == []


@pytest.mark.parametrize("name", sorted(FORMS))
def test_form_fields_are_the_ones_the_importer_reads(name):
    spec = FORMS[name]
    binds, personal, choices = _xform(name)
    fields = {f for f, b in binds.items() if f not in METADATA and not b["repeat"]}
    assert fields == {spec.geometry, *spec.fields}
    assert binds[spec.geometry]["type"] == spec.geometry_type
    required = {f for f in fields if binds[f]["required"]}
    assert required == {spec.geometry, *spec.required}
    in_repeat = {f for f, b in binds.items() if b["repeat"]}
    assert in_repeat == set(spec.repeat_fields)
    assert {b["repeat"] for b in binds.values() if b["repeat"]} <= {spec.repeat}
    assert {f for f in in_repeat if binds[f]["required"]} == set(spec.repeat_required)
    assert personal == set(spec.personal)
    for field in ("category", "eo_category", "eo_types"):
        if field in choices:
            assert choices[field] == [c.value for c in EOCategory]
    for field, enum in (
        ("sex", Sex),
        ("age_group", AgeGroup),
        ("victim_type", VictimType),
        ("outcome", VictimOutcome),
    ):
        if field in choices:
            assert set(choices[field]) == {e.value for e in enum}


def test_accident_form_flags_only_names_and_contacts_as_personal():
    _, personal, _ = _xform("accident_report")
    assert personal == {"name", "contact"}


def test_runtime_does_not_need_pyxform():
    code = (
        "import sys, clearground.cli, clearground.services.odk, clearground.formats.odk\n"
        "from clearground.services.odk_forms import form_text\n"
        "form_text('nts')\n"
        "assert 'pyxform' not in sys.modules, 'pyxform imported'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# --- geopoints and geoshapes ------------------------------------------------------------------


def test_geopoint_is_lat_first():
    assert parse_geopoint("50.45 30.52 120.5 4.0").coords[0] == (30.52, 50.45)
    assert parse_geopoint("50.45 30.52").coords[0] == (30.52, 50.45)
    assert parse_geopoint("  50.45   30.52 0 0 ").coords[0] == (30.52, 50.45)


@pytest.mark.parametrize(
    "text", ["50.45,30.52", "50.45", "50.45 30.52 1 2 3", "lat lon", "50.45 30.52 x 4"]
)
def test_bad_geopoints(text):
    with pytest.raises(ValueError, match="not an ODK geopoint"):
        parse_geopoint(text)


def test_nan_in_a_geopoint_is_left_for_the_geometry_check():
    assert math.isnan(parse_geopoint("nan 30.5 0 0").y)


def test_geoshape_closes_on_its_first_point():
    ring = "50 30 0 0;50 30.01 0 0;50.01 30.01 0 0;50 30 0 0"
    shape = parse_geoshape(ring)
    assert list(shape.exterior.coords) == [(30, 50), (30.01, 50), (30.01, 50.01), (30, 50)]
    assert parse_geoshape(ring + ";").equals(shape)  # Briefcase ends with ';'
    assert parse_geoshape("50 30 0 0;50 30.01 0 0;50.01 30.01 0 0").equals(shape)  # not closed
    with pytest.raises(ValueError, match="2 distinct point"):
        parse_geoshape("50 30 0 0;50 30.01 0 0;50 30 0 0")
    with pytest.raises(ValueError, match="not an ODK geopoint"):
        parse_geoshape("50 30 0 0;50,30.01;50.01 30.01 0 0")


def test_geojson_and_wkt_from_central_odata():
    gj = {"type": "Point", "coordinates": [30.52, 50.45, 120.0], "properties": {"accuracy": 4}}
    assert geometry_of(gj, "geopoint", what="location").coords[0][:2] == (30.52, 50.45)
    assert geometry_of("POINT (30.52 50.45)", "geopoint", what="location").x == 30.52
    poly = {"type": "Polygon", "coordinates": [[[30, 50], [30.01, 50], [30.01, 50.01], [30, 50]]]}
    assert geometry_of(poly, "geoshape", what="area").area > 0
    assert geometry_of("", "geopoint", what="location") is None
    assert geometry_of(None, "geopoint", what="location") is None
    with pytest.raises(ValueError, match="not a GeoJSON geometry"):
        geometry_of({"type": "Point", "coordinates": "x"}, "geopoint", what="location")


# --- field names behind group prefixes --------------------------------------------------------


def test_group_prefixes_of_each_server():
    assert value({"grp-date": "2025-05-01"}, "date") == "2025-05-01"  # ODK Central CSV
    assert value({"grp/date": "2025-05-01"}, "date") == "2025-05-01"  # Kobo
    assert value({"date": "x", "grp/date": "y"}, "date") == "x"  # the exact name wins
    assert value({"disposal_date": "x"}, "date") is None
    with pytest.raises(ValueError, match="more than one column"):
        value({"a/date": "x", "b/date": "y"}, "date")
    central = {
        "g-location-Latitude": "50.1",
        "g-location-Longitude": "30.2",
        "g-location-Altitude": "100",
        "g-location-Accuracy": "",
    }
    assert value(central, "location") == "50.1 30.2 100"
    assert value({"location-Latitude": "", "location-Longitude": ""}, "location") == ""
    assert instance_id({"meta-instanceID": "uuid:1", "KEY": "uuid:1"}) == "uuid:1"
    assert instance_id({"_uuid": "abc"}) == "uuid:abc"


# --- reading exports --------------------------------------------------------------------------


def _write_csv(path, header, rows, delimiter=","):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, delimiter=delimiter)
        w.writerow(header)
        w.writerows(rows)
    return path


def test_central_csv_with_its_repeat_file_beside_it(tmp_path):
    main = _write_csv(
        tmp_path / "acc.csv",
        ["SubmissionDate", "date", "SET-OF-victim", "meta-instanceID", "KEY"],
        [
            ["2025-05-02", "2025-05-01", "uuid:a/victim", "uuid:a", "uuid:a"],
            ["2025-05-02", "2025-05-01", "uuid:b/victim", "uuid:b", "uuid:b"],
        ],
    )
    _write_csv(
        tmp_path / "acc-victim.csv",
        ["sex", "outcome", "PARENT_KEY", "KEY", "SET-OF-victim"],
        [
            ["female", "injured", "uuid:b", "uuid:b/victim[1]", "uuid:b/victim"],
            ["male", "killed", "uuid:a", "uuid:a/victim[1]", "uuid:a/victim"],
            ["male", "injured", "uuid:b", "uuid:b/victim[2]", "uuid:b/victim"],
        ],
    )
    export = read_export(main, repeats=("victim",))
    assert export.problems == []
    a, b = export.submissions
    assert (a.key, [r["sex"] for r in a.repeats["victim"]]) == ("uuid:a", ["male"])
    assert (b.key, [r["sex"] for r in b.repeats["victim"]]) == ("uuid:b", ["female", "male"])


def test_central_zip_finds_its_main_csv_and_names_files_inside_it(tmp_path):
    import zipfile

    z = tmp_path / "export.zip"
    with zipfile.ZipFile(z, "w") as archive:
        archive.writestr("form.csv", "date,KEY\n2025-05-01,uuid:a\n")
        archive.writestr("form-victim.csv", "outcome,PARENT_KEY\nkilled,uuid:a\nkilled,uuid:q\n")
        archive.writestr("media/x.jpg", b"")
    export = read_export(z, repeats=("victim",))
    assert export.source == f"{z}:form.csv"
    assert [r["outcome"] for r in export.submissions[0].repeats["victim"]] == ["killed"]
    assert export.problems == [
        f"{z}:form-victim.csv:row 2: PARENT_KEY 'uuid:q' names no submission in form.csv"
    ]
    with zipfile.ZipFile(z, "w") as archive:
        archive.writestr("a.csv", "date\n2025-05-01\n")
        archive.writestr("b.csv", "date\n2025-05-01\n")
    with pytest.raises(ImportRejected, match="expected one submissions CSV"):
        read_export(z)


def test_repeat_row_naming_no_submission_is_a_problem(tmp_path):
    main = _write_csv(tmp_path / "m.csv", ["date", "KEY"], [["2025-05-01", "uuid:a"]])
    rep = _write_csv(
        tmp_path / "v.csv", ["outcome", "PARENT_KEY"], [["killed", "uuid:a"], ["killed", "uuid:z"]]
    )
    export = read_export(main, repeats=("victim",), repeat_files={"victim": rep})
    assert export.problems == [f"{rep}:row 2: PARENT_KEY 'uuid:z' names no submission in m.csv"]


def test_missing_repeat_file_is_a_problem_not_a_silent_loss(tmp_path):
    main = _write_csv(
        tmp_path / "m.csv", ["date", "SET-OF-victim", "KEY"], [["2025-05-01", "uuid:a/victim", "a"]]
    )
    export = read_export(main, repeats=("victim",))
    assert len(export.problems) == 1 and "--repeat victim=FILE" in export.problems[0]


def test_repeat_as_a_json_array_in_a_csv_column(tmp_path):
    rows = json.dumps([{"sex": "female", "outcome": "injured"}, {"victim/outcome": "killed"}])
    main = _write_csv(tmp_path / "m.csv", ["date", "victim"], [["2025-05-01", rows], ["x", ""]])
    first, second = read_export(main, repeats=("victim",)).submissions
    assert [value(r, "outcome") for r in first.repeats["victim"]] == ["injured", "killed"]
    assert second.repeats.get("victim", []) == []
    bad = _write_csv(tmp_path / "b.csv", ["date", "victim"], [["2025-05-01", "[1, 2]"]])
    (problem,) = read_export(bad, repeats=("victim",)).problems
    assert problem == f"{bad}:submission 1: repeat group victim is not a JSON array of rows: " + (
        "not an array of objects"
    )


def test_kobo_csv_with_semicolons_and_parent_index(tmp_path):
    main = _write_csv(
        tmp_path / "k.csv",
        ["grp/date", "_uuid", "_index"],
        [["2025-05-01", "u1", "1"], ["2025-05-02", "u2", "2"]],
        delimiter=";",
    )
    rep = _write_csv(
        tmp_path / "kv.csv",
        ["victim/outcome", "_parent_index", "_submission__uuid"],
        [["killed", "2", "u2"]],
    )
    export = read_export(main, repeats=("victim",), repeat_files={"victim": rep})
    first, second = export.submissions
    assert value(first.values, "date") == "2025-05-01" and first.repeats["victim"] == []
    assert [value(r, "outcome") for r in second.repeats["victim"]] == ["killed"]


def test_json_forms_central_odata_kobo_and_a_plain_list(tmp_path):
    central = {
        "value": [
            {
                "__id": "uuid:c1",
                "grp": {
                    "date": "2025-05-01",
                    "location": {"type": "Point", "coordinates": [30, 50]},
                },
                "victim": [{"sex": "female", "outcome": "injured", "__id": "v1"}],
                "meta": {"instanceID": "uuid:c1"},
            }
        ]
    }
    kobo = {
        "count": 1,
        "results": [
            {
                "_uuid": "k1",
                "grp/date": "2025-05-01",
                "grp/victim": [{"grp/victim/sex": "male", "grp/victim/outcome": "killed"}],
                "_geolocation": [50, 30],
                "_attachments": [],
            }
        ],
    }
    for name, data, sex in (("c.json", central, "female"), ("k.json", kobo, "male")):
        path = tmp_path / name
        path.write_text(json.dumps(data))
        (sub,) = read_export(path, repeats=("victim",)).submissions
        assert value(sub.values, "date") == "2025-05-01"
        assert [value(r, "sex") for r in sub.repeats["victim"]] == [sex]
    plain = tmp_path / "p.json"
    plain.write_text(json.dumps([{"date": "2025-05-01"}, {"date": "2025-05-02"}]))
    assert len(read_export(plain).submissions) == 2


def test_central_odata_repeat_table_and_unexpanded_links(tmp_path):
    main = tmp_path / "s.json"
    main.write_text(
        json.dumps(
            {
                "value": [
                    {"__id": "uuid:c1", "date": "2025-05-01", "victim@odata.navigationLink": "x"}
                ]
            }
        )
    )
    export = read_export(main, repeats=("victim",))
    assert "only a link" in export.problems[0] and "--repeat victim=FILE" in export.problems[0]
    table = tmp_path / "victims.json"
    table.write_text(
        json.dumps({"value": [{"outcome": "killed", "__Submissions-id": "uuid:c1", "__id": "r"}]})
    )
    export = read_export(main, repeats=("victim",), repeat_files={"victim": table})
    assert export.problems == []
    assert [r["outcome"] for r in export.submissions[0].repeats["victim"]] == ["killed"]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("", "no submissions"),
        ("date\n", "no submissions"),
        ('{"rows": []}', "not a readable ODK export"),
        ("[1, 2]", "not a readable ODK export"),
        ("[{", "not a readable ODK export"),
        ("a,a\n1,2\n", "appears twice"),
        ("a,b\n1,2,3\n", "line 2 has 3 cells"),
    ],
)
def test_unreadable_exports_are_refused(tmp_path, content, reason):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(ImportRejected, match=reason):
        read_export(path)


def test_repeat_option_for_a_form_without_that_repeat(tmp_path):
    main = _write_csv(tmp_path / "m.csv", ["date"], [["2025-05-01"]])
    with pytest.raises(ImportRejected, match="no such repeat group"):
        read_export(main, repeats=(), repeat_files={"victim": main})


def test_a_truncated_kobo_xlsx_is_refused_with_its_name(tmp_path):
    import numpy as np
    import pyogrio

    good = tmp_path / "good.xlsx"
    pyogrio.raw.write(good, None, [np.array(["2025-05-01"], dtype=object)], ["date"], driver="XLSX")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(good.read_bytes()[:200])
    with pytest.raises(ImportRejected) as caught:
        read_export(bad)
    (problem,) = caught.value.problems
    assert problem.startswith(f"{bad}: not a readable XLSX"), problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("May 1, 2025", "2025-05-01"),
        ("Dec 31, 2024 9:05:00 PM", "2024-12-31"),
        ("2025-05-01", "2025-05-01"),
        ("Mai 1, 2025", "Mai 1, 2025"),  # not English: left for the ISO 8601 check to name
        ("May 1 2025", "May 1 2025"),
    ],
)
def test_briefcase_english_dates_become_iso_8601(raw, expected):
    from clearground.formats.odk_values import iso_date_text

    assert iso_date_text(raw) == expected
