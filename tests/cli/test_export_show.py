"""Every record kind is exported (GDAL opens the file) and shown by id; personal data never."""

from __future__ import annotations

import pyogrio
import pytest
import shapely

from tests.helpers import write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)


@pytest.fixture
def data(cli, tmp_path):
    assert (
        cli(
            "import",
            "hazards",
            write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC"]}),
        ).code
        == 0
    )
    acts = write_layer(
        tmp_path / "a.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
            "devices_found": ["PMN-2: 2 @ 10 cm"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    eo = write_layer(
        tmp_path / "eo.geojson",
        [shapely.Point(31, 51)],
        {"category": ["uxo"], "date": ["2025-01-01"]},
    )
    assert cli("import", "eo", eo).code == 0
    acc = write_layer(
        tmp_path / "acc.gpkg", [shapely.Point(30.5, 50.5)], {"id": ["AC-1"], "date": ["2025-01-01"]}
    )
    vic = write_layer(
        tmp_path / "v.gpkg",
        [None],
        {"accident_id": ["AC-1"], "outcome": ["injured"], "name": ["SYNTHETIC Person X"]},
        geometry_type="Unknown",
    )
    assert cli("import", "accidents", acc, "--victims", vic).code == 0


@pytest.mark.parametrize(
    ("kind", "ext", "count", "geometry"),
    [
        ("activity", "gpkg", 1, "MultiPolygon"),
        ("eo", "geojson", 1, "Point"),
        ("accident", "gpkg", 1, "Point"),
    ],
)
def test_export_each_kind(cli, tmp_path, data, kind, ext, count, geometry):
    out = tmp_path / f"{kind}.{ext}"
    r = cli("export", out, "--kind", kind)
    assert r.code == 0, r.err
    info = pyogrio.read_info(out)
    assert info["features"] == count and info["geometry_type"] == geometry
    assert "SYNTHETIC Person" not in out.read_bytes().decode("latin-1")


def test_personal_data_is_never_exported_or_shown(cli, tmp_path, data):
    r = cli("export", tmp_path / "p.geojson", "--kind", "victim_personal")
    assert r.code == 2 and "personal data" in r.err
    assert cli("show", "AC-1/1").code == 4
    shown = cli("show", "AC-1")
    assert shown.code == 0 and shown.json()["record_kind"] == "accident"
    assert "SYNTHETIC Person" not in shown.out


def test_show_finds_any_kind(cli, data):
    assert cli("show", "HA-000001").json()["status"] == "closed"
    assert cli("show", "LR-000001").json()["record_kind"] == "activity"
    assert cli("show", "EO-000001").json()["category"] == "uxo"
    assert cli("show", "XX-1").code == 4
    assert cli("export", "x.geojson", "--kind", "spaceship").code == 2
