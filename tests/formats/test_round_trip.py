"""Round trips: export -> import into a fresh database gives the same hazards, in every format
clearground writes; and GDAL opens every exported file with the right feature count and CRS."""

from __future__ import annotations

import numpy as np
import pyogrio
import pytest
import shapely

from clearground.services.projections import PUBLIC, hazard_json
from clearground.store import open_store
from tests.data.make_bad import write_layer
from tests.helpers import snapshot

#: every file ending clearground writes
WRITABLE = ["geojson", "gpkg", "shp.zip", "kml", "kmz", "fgb", "csv", "xlsx", "gdb.zip"]
#: formats that carry no coordinate system GDAL could report (lon/lat WGS 84 by convention);
#: a CSV export has its .prj (and .csvt of column types) beside it
NO_CRS = {"xlsx"}


def _star(lon: float, lat: float, n: int = 40) -> shapely.Polygon:
    rng = np.random.default_rng(3)
    angles = np.sort(rng.uniform(0, 2 * np.pi, n))
    r = 0.004 * rng.uniform(0.5, 1.0, n)
    ring = np.column_stack([lon + r * np.cos(angles), lat + r * np.sin(angles)])
    return shapely.Polygon(ring)


GEOMS = [
    shapely.box(30.0, 50.0, 30.01, 50.01),
    shapely.Polygon(
        [(31, 50), (31.02, 50), (31.02, 50.02), (31, 50.02)],
        [[(31.005, 50.005), (31.01, 50.005), (31.01, 50.01), (31.005, 50.01)]],
    ),
    shapely.MultiPolygon([shapely.box(32, 50, 32.01, 50.01), shapely.box(32.02, 50, 32.03, 50.01)]),
    _star(33.123456789, 48.987654321),
]
FIELDS = {
    "id": ["HZ-0001", "HZ-0002", "HZ-0003", "HZ-0004"],
    "name": [
        "SYNTHETIC Поле мінне",
        'SYNTHETIC Ліс — північ, «А» "quoted"',
        "SYNTHETIC plain",
        "SYNTHETIC Ґрунт і ї",
    ],
    "classification": ["SHA", "CHA", "CHA", "SHA"],
    "eo_types": ["AP mine, UXO", "", "AT mine", "cluster munition"],
    "date_reported": ["2023-04-01", "", "1950-01-01", "2025-02-28"],
    "source": ["SYNTHETIC NTS team", "", "", "SYNTHETIC джерело"],
    "admin_pcode": ["UA0102", "", "UA4802003", ""],
    "land_use": ["agriculture", "", "forest", ""],
    "notes": ["", "SYNTHETIC нотатка; з комою, і лапками\nand a second line", "", "x"],
    # attributes the file brought: numbers must come back as numbers (CSV by its .csvt)
    "team_size": [4, 6, 0, 12],
    "slope_deg": [1.5, 0.25, 3.0, 10.125],
}


def _records(url: str) -> dict:
    s = open_store(url)
    try:
        out = {}
        for v in s.list("hazard"):
            row = hazard_json(v, PUBLIC)
            for key in ("version", "valid_from", "author", "reason"):
                row.pop(key)
            out[v.id] = (row, v.record.geometry)
        return out
    finally:
        s.close()


@pytest.fixture
def source(cli, tmp_path):
    src = write_layer(tmp_path / "source.geojson", GEOMS, FIELDS, driver="GeoJSON")
    r = cli("import", "hazards", src)
    assert r.code == 0, r.err
    return _records(cli.url)


def _assert_same(got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want)
    for hid, (row, geom) in want.items():
        grow, ggeom = got[hid]
        for key in ("area_m2", "remaining_m2"):  # recomputed from coordinates kept to 1e-7°
            assert grow.pop(key) == pytest.approx(row[key], rel=1e-5), (hid, key)
        expected = {k: v for k, v in row.items() if k not in ("area_m2", "remaining_m2")}
        assert grow == expected, hid
        assert shapely.equals_exact(
            shapely.normalize(ggeom), shapely.normalize(geom), tolerance=1e-7
        ), (hid, ggeom.wkt, geom.wkt)


@pytest.mark.parametrize("ext", WRITABLE)
def test_export_then_import_into_a_fresh_database_gives_the_same_hazards(
    cli, tmp_path, source, fresh_url, ext
):
    out = tmp_path / f"export.{ext}"
    r = cli("export", out)
    assert r.code == 0, r.err
    assert f"wrote {len(GEOMS)} hazard area(s)" in r.out
    code = cli("import", "hazards", out, db=fresh_url).code
    assert code == 0
    _assert_same(_records(fresh_url), source)


@pytest.mark.parametrize("ext", WRITABLE)
def test_gdal_opens_every_export_with_the_right_count_and_crs(cli, tmp_path, source, ext):
    out = tmp_path / f"export.{ext}"
    assert cli("export", out).code == 0
    info = pyogrio.read_info(out)
    if ext == "csv":
        # GDAL reads the HXL hashtag row under the header as one more row, without geometry
        # (and, typed by the .csvt, without numbers)
        assert info["features"] == len(GEOMS) + 1
        assert info["dtypes"][list(info["fields"]).index("area_m2")] == "float64"
        _, _, _, fields = pyogrio.raw.read(out, read_geometry=False, max_features=1)
        assert fields[0][0] == "#loc+code"
    else:
        assert info["features"] == len(GEOMS)
    if ext in NO_CRS:
        assert info["crs"] is None
    else:
        assert info["crs"] == "EPSG:4326", info["crs"]
    if ext in ("geojson", "gpkg", "fgb", "gdb.zip"):
        assert info["geometry_type"] == "MultiPolygon"
    meta, _, _, fields = pyogrio.raw.read(out, read_geometry=False)
    names = [str(n) for n in meta["fields"]]
    ids = fields[names.index("id")].tolist()
    assert sorted(i for i in ids if i != "#loc+code") == sorted(FIELDS["id"])


def test_csv_without_the_hxl_row_has_gdal_count_exactly_and_still_round_trips(
    cli, tmp_path, source, fresh_url
):
    out = tmp_path / "plain.csv"
    assert cli("export", out, "--no-hxl").code == 0
    assert out.read_text(encoding="utf-8-sig").splitlines()[1].startswith("HZ-0001,")
    info = pyogrio.read_info(out)
    assert (info["features"], info["crs"]) == (len(GEOMS), "EPSG:4326")
    assert cli("import", "hazards", out, db=fresh_url).code == 0
    _assert_same(_records(fresh_url), source)


def test_exports_of_closed_hazards_are_refused_on_import_by_the_land_release_rule(
    cli, tmp_path, source, fresh_url
):
    clear = write_layer(
        tmp_path / "clear.geojson",
        [GEOMS[0], shapely.box(31.011, 50, 31.02, 50.02)],
        {
            "hazard_id": ["HZ-0001", "HZ-0002"],
            "kind": ["clearance", "nts"],
            "date": ["2024-06-01", "2024-05-01"],
            "organisation": ["SYNTHETIC clear", "SYNTHETIC survey"],
        },
        driver="GeoJSON",
    )
    r = cli("import", "activities", clear)
    assert r.code == 0, r.err
    fresh_before = None
    for ext in WRITABLE:
        out = tmp_path / f"closed.{ext}"
        assert cli("export", out).code == 0
        store = open_store(fresh_url)
        fresh_before = fresh_before or snapshot(store)
        store.close()
        r = cli("import", "hazards", out, db=fresh_url)
        assert r.code == 2, (ext, r)
        err = r.err
        assert "status 'closed' cannot be imported" in err, (ext, err)
        assert "status changes only through land release activities" in err
        assert "status 'in_progress' cannot be imported" in err, (ext, err)
        store = open_store(fresh_url)
        assert snapshot(store) == fresh_before
        store.close()


@pytest.mark.parametrize("ext", WRITABLE)
def test_an_empty_export_opens_in_gdal_and_imports_as_an_empty_layer(cli, tmp_path, ext):
    out = tmp_path / f"empty.{ext}"
    r = cli("export", out)
    assert r.code == 0 and "wrote 0 hazard area(s)" in r.out, r.err
    assert pyogrio.read_info(out)["features"] in (0, -1, 1 if ext == "csv" else 0)
    r = cli("import", "hazards", out)
    assert r.code == 2 and f"{out}: the layer has no features" in r.err, r.err
