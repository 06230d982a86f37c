"""Editing with optimistic concurrency, history, --as-of, and export that GDAL opens."""

from __future__ import annotations

import json
import time

import pyogrio
import pytest
import shapely

from tests.helpers import write_layer


@pytest.fixture
def hid(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.geojson", [shapely.box(30, 50, 30.01, 50.01)], {"name": ["SYNTHETIC one"]}
    )
    assert cli("import", "hazards", src).code == 0
    return cli("hazards", "list").json()[0]["id"]


def test_edit_with_current_version_then_stale_version_conflicts(cli, hid):
    r = cli(
        "hazard",
        "edit",
        hid,
        "--set",
        "name=SYNTHETIC renamed",
        "--set",
        "classification=CHA",
        "--reason",
        "survey confirmed AP mines",
        "--version",
        "1",
    )
    assert r.code == 0, r.err
    got = r.json()
    assert (got["name"], got["classification"], got["version"]) == ("SYNTHETIC renamed", "CHA", 2)
    r = cli("hazard", "edit", hid, "--set", "notes=late", "--reason", "x", "--version", "1")
    assert r.code == 3
    assert "version 2, not 1" in r.err
    assert cli("hazard", "show", hid).json()["notes"] == ""


@pytest.mark.parametrize(
    "field", ["status=closed", "area_m2=0", "released_m2=1", "cleared=5", "remaining_m2=0"]
)
def test_edit_refuses_status_and_areas(cli, hid, field):
    r = cli("hazard", "edit", hid, "--set", field, "--reason", "x", "--version", "1")
    assert r.code == 2
    assert "land release" in r.err or "cannot release land" in r.err
    h = cli("hazard", "show", hid).json()
    assert h["version"] == 1 and h["status"] == "active"


def test_device_claims_are_recorded_but_change_nothing(cli, hid):
    before = cli("hazard", "show", hid).json()
    r = cli(
        "hazard",
        "edit",
        hid,
        "--set",
        "attributes.self_destruct=claimed 30 days",
        "--set",
        "attributes.battery_life=90 days",
        "--set",
        "attributes.expiry_date=2020-01-01",
        "--reason",
        "minefield record",
        "--version",
        "1",
    )
    assert r.code == 0
    after = r.json()
    assert after["attributes"] == {
        "self_destruct": "claimed 30 days",
        "battery_life": "90 days",
        "expiry_date": "2020-01-01",
    }
    for key in ("status", "area_m2", "released_m2", "remaining_m2"):
        assert after[key] == before[key]


def test_edit_needs_a_reason_and_a_known_hazard(cli, hid):
    assert (
        cli("hazard", "edit", hid, "--set", "notes=x", "--reason", " ", "--version", "1").code == 2
    )
    assert (
        cli("hazard", "edit", "HA-404", "--set", "notes=x", "--reason", "r", "--version", "1").code
        == 4
    )
    assert cli("hazard", "edit", hid, "--set", "notes", "--reason", "r", "--version", "1").code == 2
    assert cli("hazard", "show", "HA-404").code == 4


def test_history_and_as_of(cli, hid):
    time.sleep(0.02)
    t1 = cli("history", hid).json()[0]["valid_from"]
    time.sleep(0.02)
    cli("hazard", "edit", hid, "--set", "name=SYNTHETIC v2", "--reason", "rename", "--version", "1")
    hist = cli("history", hid).json()
    assert [(v["version"], v["reason"], v["author"]) for v in hist] == [
        (1, "imported from h.geojson", "tester"),
        (2, "rename", "tester"),
    ]
    assert all(v["valid_from"] for v in hist)
    assert cli("hazard", "show", hid, "--as-of", t1).json()["name"] == "SYNTHETIC one"
    assert cli("hazards", "list", "--as-of", t1).json()[0]["name"] == "SYNTHETIC one"
    assert cli("hazards", "list", "--as-of", "2001-01-01").json() == []
    assert cli("hazard", "show", hid, "--as-of", "2001-01-01").code == 4
    assert cli("hazards", "list", "--as-of", "last tuesday").code == 2
    assert cli("history", "HA-404").code == 4
    table = cli("history", hid, "--format", "table")
    assert table.code == 0 and "rename" in table.out


@pytest.mark.parametrize("ext", ["geojson", "gpkg"])
def test_export_opens_in_gdal_with_the_same_attributes(cli, tmp_path, hid, ext):
    out = tmp_path / f"out.{ext}"
    r = cli("export", out)
    assert r.code == 0, r.err
    info = pyogrio.read_info(out)
    assert info["features"] == 1
    assert "4326" in info["crs"] or "CRS84" in info["crs"]
    assert info["geometry_type"] == "MultiPolygon"
    meta, _, wkb, fields = pyogrio.raw.read(out)
    row = dict(zip(meta["fields"], [f[0] for f in fields], strict=True))
    shown = cli("hazard", "show", hid).json()
    for key in ("id", "name", "classification", "status", "area_m2", "remaining_m2", "version"):
        assert row[key] == shown[key], key
    assert row["cleared_m2"] == 0
    if ext == "geojson":
        doc = json.loads(out.read_text())
        ring = doc["features"][0]["geometry"]["coordinates"][0][0]
        assert shapely.LinearRing(ring).is_ccw  # RFC 7946


def test_export_as_of_and_unknown_format(cli, tmp_path, hid):
    assert cli("export", tmp_path / "old.geojson", "--as-of", "2001-01-01").code == 0
    assert pyogrio.read_info(tmp_path / "old.geojson")["features"] == 0
    r = cli("export", tmp_path / "out.xyz")
    assert r.code == 2 and "unknown file type" in r.err


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "csv"])
def test_attributes_and_benchmark_survive_a_round_trip(cli, tmp_path, ext):
    src = write_layer(
        tmp_path / "h.geojson",
        [shapely.box(30, 50, 30.01, 50.01)],
        {
            "id": ["HZ-1"],
            "name": ["SYNTHETIC Поле"],
            "village": ["SYNTHETIC Село"],
            "blocked_ha": [2.5],
            "benchmark_lon": [30.012],
            "benchmark_lat": [50.005],
        },
    )
    assert cli("import", "hazards", src).code == 0
    out = tmp_path / f"out.{ext}"
    assert cli("export", out).code == 0
    from clearground.cli import main

    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert main(["--db", fresh, "init"]) == 0
    assert main(["--db", fresh, "import", "hazards", str(out)]) == 0
    from clearground.store import open_store

    a = open_store(cli.url).get("hazard", "HZ-1").record
    b = open_store(fresh).get("hazard", "HZ-1").record
    assert a.attributes == {"village": "SYNTHETIC Село", "blocked_ha": 2.5}
    # a CSV holds text, but the .csvt written beside it types its numbers
    assert b.attributes == a.attributes
    assert b.benchmark == pytest.approx(a.benchmark)
    assert b.name == a.name
