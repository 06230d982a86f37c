"""Victims' personal data: one place decides who sees it (services.projections).

A database holds victims with known synthetic names, contacts and notes (from a victims file,
a pending and a rejected field report). Every list, show, history, export (every format, read
back with pyogrio and unzipped) and dump is searched for them: none appears without the
``victim_data`` permission, and with it only ``accidents show --personal`` and a whole dump
show them. An accidents file's other columns are refused by name, and no message repeats a cell.
"""

from __future__ import annotations

import json
import zipfile

import pyogrio
import pytest
import shapely

from clearground.cli import main
from clearground.services.projections import EXPORTABLE
from clearground.store import open_store
from tests.formats.conftest import fresh_url  # noqa: F401  (a second, empty database)
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
NAME = "SYNTHETIC Zelda Qwertyuiop"
PHONE = "+000 SYNTHETIC 5551234"
NOTE = "SYNTHETIC Xyzzyplugh lives by the well"
PENDING = "SYNTHETIC Snarkhunt Pending"
REJECTED = "SYNTHETIC Jabberwock Rejected"
#: The distinctive part of each: found even if a value is cut, re-encoded or upper-cased.
NEEDLES = ("Qwertyuiop", "5551234", "Xyzzyplugh", "Snarkhunt", "Jabberwock")
FORMATS = ["geojson", "gpkg", "shp.zip", "kml", "kmz", "fgb", "csv", "xlsx", "gdb.zip"]


def leaks(text: str, needles=NEEDLES) -> list[str]:
    low = text.lower()
    return [n for n in needles if n.lower() in low]


def _kobo(tmp_path, name: str, uid: str, lat: float):
    path = tmp_path / f"kobo-{uid}.json"
    report = {
        "_id": 17,
        "_uuid": uid,
        "location": f"{lat} 30.005 120.0 4.5",
        "date": "2025-05-01",
        "activity": "herding",
        "victim": [
            {
                "victim/sex": "male",
                "victim/age_group": "adult",
                "victim/victim_type": "civilian",
                "victim/outcome": "injured",
                "victim/name": name,
                "victim/contact": PHONE,
            }
        ],
    }
    path.write_text(json.dumps({"count": 1, "results": [report]}), encoding="utf-8")
    return path


@pytest.fixture
def victims(cli, tmp_path):
    """A closed hazard reopened by an accident whose victims have names, contacts and notes;
    an ODK accident report pending and one rejected, each with a victim's name."""
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
    acc = write_layer(
        tmp_path / "acc.gpkg",
        [shapely.Point(30.005, 50.005), shapely.Point(33, 49)],
        {"id": ["AC-7", "AC-8"], "date": ["2025-04-01", "2025-04-02"], "notes": ["", ""]},
    )
    vic = write_layer(
        tmp_path / "victims.gpkg",
        [None, None],
        {
            "accident_id": ["AC-7", "AC-7"],
            "sex": ["f", "male"],
            "outcome": ["killed", "injured"],
            "name": [NAME, ""],
            "contact": [PHONE, ""],
            "notes": ["", NOTE],
        },
        geometry_type="Unknown",
    )
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 0, r.err
    for name, uid, lat in ((REJECTED, "k1", 50.005), (PENDING, "k2", 50.0052)):
        r = cli("import", "odk", _kobo(tmp_path, name, uid, lat), "--form", "accident_report")
        assert r.code == 0, r.err
    r = cli("review", "reject", "SB-000001", "--reason", "SYNTHETIC test report")
    assert r.code == 0, r.err
    s = open_store(cli.url)
    held = json.dumps(s.raw_versions("victim_personal"), default=str)
    s.close()
    assert leaks(held, ("Qwertyuiop", "Snarkhunt")) == ["Qwertyuiop", "Snarkhunt"]
    return ["HA-000001", "AC-7", "AC-8", "SB-000001", "SB-000002", "LR-000001"]


def _read_back(path) -> str:
    """Every value of every layer of a written file (pyogrio), and its raw bytes unzipped."""
    text = []
    source = str(path)
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as z:
            text += [z.read(n).decode("utf-8", "replace") for n in z.namelist()]
        if not source.endswith(".xlsx"):
            source = f"/vsizip/{path}"
            if str(path).endswith(".gdb.zip"):
                (gdb,) = {n.split("/")[0] for n in zipfile.ZipFile(path).namelist()}
                source = f"{source}/{gdb}"
            elif str(path).endswith(".kmz"):
                source = f"{source}/doc.kml"
    else:
        text.append(path.read_bytes().decode("utf-8", "replace"))
    layers = pyogrio.list_layers(source)
    assert len(layers), path
    for layer, _ in layers:
        meta, _, wkb, fields = pyogrio.raw.read(source, layer=layer)
        text.append(json.dumps([list(meta["fields"]), *(f.tolist() for f in fields)], default=str))
    return "\n".join(text)


def _sweep(cli, ids) -> dict[tuple, str]:
    """The output of every reading command."""
    commands = [
        ("hazards", "list"),
        ("hazards", "list", "--format", "table"),
        ("eo", "list"),
        ("accidents", "list"),
        ("minefields", "list"),
        ("minefields", "overdue"),
        ("locations", "list"),
        ("organisations", "list"),
        ("tasks", "list"),
        ("eore", "list"),
        ("qa", "list"),
        *(("review", "list", "--status", s) for s in ("pending", "approved", "rejected", "")),
        ("review", "show", "SB-000001"),
        ("review", "show", "SB-000002"),
        ("accidents", "show", "AC-7"),
        ("hazard", "show", "HA-000001"),
        *(("show", i) for i in ids),
        *(("history", i) for i in ids),
        *(("history", i, "--format", "table") for i in ids),
    ]
    out = {}
    for args in commands:
        r = cli(*args)
        assert r.code == 0, (args, r.err)
        out[args] = r.out + r.err
    return out


def _exports(cli, tmp_path, tag: str) -> dict[tuple, str]:
    out = {}
    for kind in ("hazard", "accident", "submission", "activity"):
        for ext in FORMATS:
            path = tmp_path / f"{tag}-{kind}.{ext}"
            r = cli("export", path, "--kind", kind)
            if ext == "shp.zip" and r.code == 2:  # a Shapefile refuses a record over 254 bytes
                assert "nothing was written" in r.err and not path.exists(), r.err
                out[(kind, ext)] = r.err
                continue
            assert r.code == 0, (kind, ext, r.err)
            out[(kind, ext)] = r.out + r.err + _read_back(path)
    return out


def test_no_path_shows_personal_data_without_the_permission(cli, tmp_path, victims, monkeypatch):
    seen = {**_sweep(cli, victims), **_exports(cli, tmp_path, "public")}
    assert {k: leaks(v) for k, v in seen.items() if leaks(v)} == {}
    # the permission opens only the paths meant for it: exports stay public files
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    seen = {**_sweep(cli, victims), **_exports(cli, tmp_path, "permitted")}
    assert {k: leaks(v) for k, v in seen.items() if leaks(v)} == {}
    shown = cli("accidents", "show", "AC-7", "--personal")
    assert shown.code == 0 and leaks(shown.out) == ["Qwertyuiop", "5551234", "Xyzzyplugh"]


@pytest.mark.parametrize(
    "args",
    [
        ("organisations", "list", "---kind", "victim_personal"),
        ("tasks", "list", "---kind", "victim_personal"),
        ("export", "x.geojson", "--kind", "victim_personal"),
        ("import", "organisations", "x.csv", "---kind", "victim_personal"),
    ],
)
def test_no_option_names_a_kind_that_holds_personal_data(cli, victims, args):
    r = cli(*args)
    assert r.code == 2 and not leaks(r.out + r.err), r.out + r.err


@pytest.mark.parametrize("record_id", ["AC-7/1", "SB-000002/1", "SB-000001/1"])
def test_personal_records_are_never_found_by_show_or_history(cli, victims, record_id):
    for command in ("show", "history"):
        r = cli(command, record_id)
        assert r.code == 4 and not leaks(r.out + r.err), (command, r.out, r.err)


def test_dump_needs_the_permission_or_leaves_personal_data_out(
    cli, tmp_path, victims, request, monkeypatch
):
    fresh = request.getfixturevalue("fresh_url")
    out = tmp_path / "dump.gpkg"
    r = cli("dump", out)
    assert r.code == 6 and not out.exists()
    assert "victim_data permission" in r.err and "--without-personal-data" in r.err
    r = cli("dump", out, "--without-personal-data")
    assert r.code == 0, r.err
    assert "without victims' personal data (--without-personal-data)" in r.out
    assert leaks(_read_back(out)) == [] and "victim_personal" not in r.out
    r = cli("restore", out, db=fresh)
    assert r.code == 0, r.err
    assert "victims' personal data was not in the dump" in r.out
    assert cli("accidents", "list", db=fresh).json() == cli("accidents", "list").json()

    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    whole = tmp_path / "whole.gpkg"
    r = cli("dump", whole)
    assert r.code == 0 and "including victims' personal data (victim_data permission)" in r.out
    # the pending report's victim is held; the rejected one's is deleted, content and all
    assert leaks(_read_back(whole)) == ["Qwertyuiop", "5551234", "Xyzzyplugh", "Snarkhunt"]


def test_a_rejected_report_keeps_that_personal_data_existed_not_what_it_said(cli, victims):
    s = open_store(cli.url)
    hist = s.history("victim_personal", "SB-000001/1")
    s.close()
    assert [(v.version, v.deleted, v.reason) for v in hist] == [
        (1, False, "held apart while its submission is reviewed"),
        (2, True, "withdrawn: submission SB-000001 rejected"),
    ]
    assert (hist[0].record.accident_id, hist[0].record.victim_no) == ("SB-000001", 1)
    assert (hist[0].record.name, hist[0].record.contact) == ("", "")


def test_an_accidents_file_other_columns_are_refused_by_name(cli, tmp_path, victims):
    acc = write_layer(
        tmp_path / "extra.geojson",
        [shapely.Point(30.005, 50.005)],
        {"date": ["2025-04-03"], "victim_name": [NAME], "phone": [PHONE], "device": ["PMN-2"]},
    )
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("import", "accidents", acc)
    assert r.code == 2 and not leaks(r.out + r.err), r.err
    for column in ("victim_name", "phone", "device"):
        assert (
            f"extra.geojson: column {column} is not a field of an accident; map it with "
            f"--map FIELD={column} to a declared non-personal field, or remove it"
        ) in r.err
    assert snapshot(s) == before
    # mapped to a declared field, a column is read; a map to no field is refused
    r = cli("import", "accidents", acc, "--map", "eo_type=device", "--map", "who=victim_name")
    assert r.code == 2 and "--map who=victim_name: who is not a field of an accident" in r.err
    assert "column device" not in r.err and "column victim_name" in r.err
    assert snapshot(s) == before
    s.close()
    ok = write_layer(
        tmp_path / "ok.geojson",
        [shapely.Point(30.005, 50.005)],
        {"date": ["2025-04-03"], "device": ["PMN-2"]},
    )
    r = cli("import", "accidents", ok, "--map", "eo_type=device")
    assert r.code == 0, r.err
    (new,) = [a for a in cli("accidents", "list").json() if a["id"] not in victims]
    assert (new["eo_type"], new["attributes"]) == ("PMN-2", {})


def test_a_victims_file_other_columns_are_refused_and_no_message_repeats_a_cell(cli, tmp_path):
    acc = write_layer(
        tmp_path / "acc.geojson",
        [shapely.Point(33, 49)] * 2,
        {"id": ["AC-1", "AC-2"], "date": ["2025-04-01", "2999-01-01"], "eo_category": ["", NAME]},
    )
    vic = write_layer(
        tmp_path / "v.gpkg",
        [None, None, None],
        {
            "accident_id": ["AC-1", "AC-1", "AC-9"],
            "sex": ["female", "male", NAME],
            "outcome": ["killed", PHONE, "injured"],
            "address": [NOTE, "", ""],
        },
        geometry_type="Unknown",
    )
    r = cli("import", "accidents", acc, "--victims", vic)
    assert r.code == 2 and not leaks(r.out + r.err), r.err
    for line in (
        "v.gpkg: column address is not a field of a victim",
        "acc.geojson:feature 2: date is in the future",
        "v.gpkg:feature 2: outcome is not one of killed, injured",
        "v.gpkg:feature 3: sex is not one of female, male, unknown",
    ):
        assert line in r.err, r.err
    assert "2999" not in r.err
    acc2 = write_layer(
        tmp_path / "acc2.geojson",
        [shapely.Point(33, 49)],
        {"id": ["AC-1"], "date": ["2025-04-01"], "eo_category": [NAME]},
    )
    r = cli("import", "accidents", acc2)
    assert r.code == 2 and "acc2.geojson:feature 1: eo_category is not an EO category" in r.err
    assert not leaks(r.err)


def test_an_odk_accident_report_message_repeats_no_cell(cli, tmp_path):
    src = _kobo(tmp_path, NAME, "k9", 50.005)
    report = json.loads(src.read_text())
    report["results"][0]["victim"][0]["victim/sex"] = NAME
    report["results"][0]["hazard_id"] = "HA-Qwertyuiop"
    src.write_text(json.dumps(report))
    r = cli("import", "odk", src, "--form", "accident_report")
    assert r.code == 2 and not leaks(r.out + r.err), r.err
    assert "victim 1: sex is not one of female, male, unknown" in r.err


def test_main_runs_without_the_permission_by_default(monkeypatch, tmp_path, capsys):
    """The permission comes only from settings: none by default."""
    monkeypatch.delenv("CLEARGROUND_PERMISSIONS", raising=False)
    db = f"sqlite:///{tmp_path / 'x.db'}"
    assert main(["--db", db, "init"]) == 0
    assert main(["--db", db, "dump", str(tmp_path / "d.gpkg")]) == 6
    assert "victim_data" in capsys.readouterr().err
    assert set(EXPORTABLE).isdisjoint({"victim_personal"})


@pytest.mark.parametrize("engine", ["sqlite", "postgis"])
def test_migration_11_erases_what_earlier_rejections_kept(request, tmp_path, engine):
    from clearground.domain.records import VictimPersonalData
    from tests.conftest import _store_url

    s = open_store(_store_url(request, engine, tmp_path))
    try:
        s.migrate(target=8)
        held = [
            VictimPersonalData(id=f"SB-{n}/1", accident_id=f"SB-{n}", victim_no=1, name=name)
            for n, name in ((1, REJECTED), (2, NAME))
        ]
        with s.transaction() as tx:  # as a rejection and an approval did before
            tx.insert("victim_personal", held, author="a", reason="held")
            tx.delete(
                "victim_personal",
                "SB-1/1",
                expected_version=1,
                author="b",
                reason="withdrawn: submission SB-1 rejected",
            )
            tx.delete(
                "victim_personal",
                "SB-2/1",
                expected_version=1,
                author="b",
                reason="moved to AC-1/1: submission SB-2 approved",
            )
            tx.commit()
        assert 11 in s.migrate()
        rejected = s.history("victim_personal", "SB-1/1")
        assert [(v.version, v.deleted, v.reason) for v in rejected] == [
            (1, False, "held"),
            (2, True, "withdrawn: submission SB-1 rejected"),
        ]
        assert (rejected[0].record.accident_id, rejected[0].record.name) == ("SB-1", "")
        assert s.history("victim_personal", "SB-2/1")[0].record.name == NAME
        assert leaks(json.dumps(s.raw_versions("victim_personal"), default=str)) == ["Qwertyuiop"]
    finally:
        s.close()


def test_a_csv_cell_in_the_place_of_a_coordinate_is_not_repeated(cli, tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text(f"date,lon,lat\n2025-04-01,{NAME},49.0\n", encoding="utf-8")
    r = cli("import", "accidents", path)
    assert r.code == 2 and "acc.csv:feature 1" in r.err and not leaks(r.err), r.err


@pytest.mark.parametrize(
    ("lon", "lat", "why"),
    [
        ("49.123457", "33.987654", "likely swapped lat/lon"),
        ("191.123457", "49.987654", "outside lon/lat range"),
        ("33.123457", "88.987654", "reaches a latitude beyond ±85"),
    ],
)
def test_an_accident_geometry_message_repeats_no_coordinate(cli, tmp_path, lon, lat, why):
    """A CSV's lon and lat are cells of an accidents file: the geometry check's message names
    the feature and the problem, not the coordinates."""
    path = tmp_path / "acc.csv"
    path.write_text(f"date,lon,lat\n2025-04-01,{lon},{lat}\n", encoding="utf-8")
    r = cli("import", "accidents", path)
    assert r.code == 2 and "acc.csv:feature 1" in r.err, r.err
    assert why in r.err, r.err
    for cell in (lon, lat, lon[:5], lat[:5]):
        assert cell not in r.err, r.err
