"""Administrative areas with P-codes, assigned to every spatial record written afterwards."""

from __future__ import annotations

import shapely

from clearground.store import open_store
from clearground.synthetic import write_admin_areas
from tests.helpers import snapshot, write_layer


def test_cod_ab_levels_then_pcodes_on_every_record(cli, tmp_path):
    adm = write_admin_areas(tmp_path / "cod.gpkg")
    assert cli("import", "locations", adm, "--layer", "adm1").code == 0
    r = cli("import", "locations", adm, "--layer", "adm2")
    assert r.code == 0, r.err
    areas = cli("locations", "list").json()
    assert len(areas) == 9 + 81
    adm2 = [a for a in areas if a["level"] == 2]
    assert all(a["parent"] == a["pcode"][:4] and a["name"].startswith("SYNTHETIC") for a in adm2)
    # a hazard, an EO item and an accident in the first raion of the first oblast
    src = write_layer(
        tmp_path / "h.geojson", [shapely.box(22.3, 44.3, 22.31, 44.31)], {"name": ["SYNTHETIC"]}
    )
    assert cli("import", "hazards", src).code == 0
    assert cli("hazards", "list").json()[0]["admin_pcode"] == "XS0101"
    eo = write_layer(
        tmp_path / "eo.geojson",
        [shapely.Point(40.4, 52.4)],
        {"category": ["uxo"], "date": ["2025-01-01"]},
    )
    assert cli("import", "eo", eo).code == 0
    assert cli("eo", "list").json()[0]["admin_pcode"] == "XS0909"
    acc = write_layer(
        tmp_path / "ac.geojson", [shapely.Point(22.3, 52.4)], {"date": ["2025-01-01"]}
    )
    assert cli("import", "accidents", acc).code == 0
    assert cli("accidents", "list").json()[0]["admin_pcode"] == "XS0303"
    acts = write_layer(
        tmp_path / "a.geojson",
        [shapely.box(22.3, 44.3, 22.305, 44.31)],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["nts"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    assert cli("show", "LR-000001").json()["admin_pcode"] == "XS0101"
    # a P-code given in the file is kept
    given = write_layer(
        tmp_path / "g.geojson",
        [shapely.box(22.3, 44.3, 22.31, 44.31)],
        {"name": ["SYNTHETIC"], "admin_pcode": ["UA0000"]},
    )
    assert cli("import", "hazards", given).code == 0
    assert cli("hazards", "list").json()[1]["admin_pcode"] == "UA0000"


def test_bad_admin_areas_change_nothing(cli, tmp_path):
    boxes = [shapely.box(30, 50, 31, 51), shapely.box(31, 50, 32, 51)]
    s = open_store(cli.url)
    before = snapshot(s)
    dup = write_layer(
        tmp_path / "d.geojson", boxes, {"ADM1_PCODE": ["XS01", "XS01"], "ADM1_EN": ["a", "b"]}
    )
    r = cli("import", "locations", dup)
    assert r.code == 2 and "d.geojson:feature 2: duplicate P-code 'XS01'" in r.err
    none = write_layer(tmp_path / "n.geojson", boxes, {"NAME": ["a", "b"]})
    r = cli("import", "locations", none)
    assert r.code == 2 and "no P-code column" in r.err
    assert snapshot(s) == before
    s.close()


def test_own_export_imports_as_it_is(cli, tmp_path):
    """The export names the P-code ``id`` and CSV gives levels back as text: both are taken."""
    adm = write_admin_areas(tmp_path / "cod.gpkg", split=2)
    assert cli("import", "locations", adm, "--layer", "adm1").code == 0
    assert cli("import", "locations", adm, "--layer", "adm2").code == 0
    out = tmp_path / "locations.csv"
    assert cli("export", "--kind", "location", out).code == 0
    want = cli("locations", "list").json()
    fresh = f"sqlite:///{tmp_path / 'fresh.db'}"  # a second database; the last --db wins
    assert cli("--db", fresh, "init").code == 0
    r = cli("--db", fresh, "import", "locations", out)
    assert r.code == 0, r.err
    assert cli("--db", fresh, "locations", "list").json() == want


def test_export_shaped_file_with_a_bad_level_changes_nothing(cli, tmp_path):
    boxes = [shapely.box(30, 50, 31, 51), shapely.box(31, 50, 32, 51)]
    s = open_store(cli.url)
    before = snapshot(s)
    src = write_layer(
        tmp_path / "l.geojson",
        boxes,
        {"id": ["XS01", "XS02"], "name": ["SYNTHETIC a", "SYNTHETIC b"], "level": ["1", "one"]},
    )
    r = cli("import", "locations", src)
    assert r.code == 2, r.err
    assert "l.geojson:feature 2: level must be a whole number" in r.err
    assert snapshot(s) == before
    s.close()
