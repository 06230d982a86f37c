"""The same text on both engines: NUL and lone surrogates are refused at import, on SQLite too,
feature and field named; ``--map`` naming a field the import does not have is refused."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.store import open_store
from tests.cli.test_odk import NTS_HEADER, nts_row, write_csv
from tests.helpers import snapshot, write_layer

BOX = [[30, 50], [30.01, 50], [30.01, 50.01], [30, 50.01], [30, 50]]


def _geojson(path, names):
    """GeoJSON written as text, escapes and all (GDAL would cut a NUL on reading it)."""
    features = ",".join(
        f'{{"type":"Feature","properties":{{"name":"{n}"}},"geometry":{{"type":"Polygon",'
        f'"coordinates":[{json.dumps(BOX)}]}}}}'
        for n in names
    )
    path.write_text(f'{{"type":"FeatureCollection","features":[{features}]}}')
    return path


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("SYNTHETIC a\\u0000b", "NUL character"),
        ("SYNTHETIC \\ud800 lone", "lone surrogate"),
    ],
)
def test_escaped_nul_or_lone_surrogate_in_geojson_is_refused(cli, tmp_path, name, why):
    src = _geojson(tmp_path / "h.geojson", ["SYNTHETIC fine", name])
    before = snapshot(open_store(cli.url))
    r = cli("import", "hazards", src)
    assert r.code == 2, r.err
    assert f"h.geojson:feature 2: name holds a {why}" in r.err
    assert "feature 1" not in r.err
    assert snapshot(open_store(cli.url)) == before
    # a valid surrogate pair (an emoji) and an escaped backslash before u0000 are fine
    ok = _geojson(tmp_path / "ok.geojson", ["SYNTHETIC \\ud83d\\ude00", "SYNTHETIC \\\\u0000"])
    r = cli("import", "hazards", ok, "-o", "json")
    assert r.code == 0, r.err
    names = sorted(h["name"] for h in cli("hazards", "list").json())
    assert names == ["SYNTHETIC \\u0000", "SYNTHETIC \U0001f600"]


def test_nul_in_a_csv_cell_is_refused_with_feature_and_field(cli, tmp_path):
    src = tmp_path / "h.csv"
    src.write_text(
        'name,notes,WKT\nSYNTHETIC a,"bad\x00note","POLYGON ((30 50,30.01 50,30.01 50.01,30 '
        '50.01,30 50))"\n'
    )
    r = cli("import", "hazards", src)
    assert r.code == 2 and "h.csv:feature 1: notes holds a NUL character" in r.err, r.err
    assert cli("hazards", "list").json() == []


def test_nul_in_an_odk_submission_is_refused(cli, tmp_path):
    src = write_csv(tmp_path / "nts.csv", NTS_HEADER, [nts_row("uuid:n1", "SYNTHETIC\x00x")])
    r = cli("import", "odk", src, "--form", "nts")
    assert r.code == 2 and "holds a NUL character" in r.err and "submission 1" in r.err, r.err
    assert cli("review", "list").json() == []


@pytest.mark.parametrize(
    ("kind", "fields", "listed"),
    [
        ("hazards", {"name": ["SYNTHETIC"]}, "id, name, classification"),
        ("coverage", {"name": ["SYNTHETIC"]}, "fields: name"),
        ("organisations", {"name": ["SYNTHETIC"]}, "name"),
    ],
)
def test_map_naming_no_field_of_the_kind_is_refused(cli, tmp_path, kind, fields, listed):
    src = write_layer(tmp_path / "f.geojson", [shapely.box(30, 50, 30.01, 50.01)], fields)
    r = cli("import", kind, src, "--map", "bogus=name")
    assert r.code == 2, r.err
    assert "f.geojson: --map bogus=name: no field 'bogus' in this import; fields: " in r.err
    assert listed in r.err
    assert cli("imports", "list").json() == []
