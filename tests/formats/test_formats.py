"""Each format family on real files written by GDAL: encodings, CRSs, folders, HXL, limits."""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

import numpy as np
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats import FORMATS, format_for_path, format_named
from clearground.formats.base import FeatureTable
from clearground.formats.csv_hxl import CSV
from clearground.formats.filegdb import FILEGDB
from clearground.formats.kml import KML, KMZ
from clearground.formats.ogr import GPX
from clearground.formats.safe import check_xml, extract_zip
from clearground.formats.shapefile import SHAPEFILE
from clearground.formats.xlsx import XLSX, XLSX_CELL_CHARS
from tests.data.make_bad import boxes, shapefile_zip, write_layer, zip_folder

CYRILLIC = "СИНТЕТИЧНЕ Мінне поле «Ї»"


def _utm(geom, epsg=32636):
    t = Transformer.from_crs(4326, epsg, always_xy=True)
    return shapely.transform(geom, lambda xy: np.column_stack(t.transform(xy[:, 0], xy[:, 1])))


def _same(a, b, tol=1e-7):
    """Equal within ``tol`` degrees, as 2D (multi)polygons or points, whatever the vertex order."""

    def canonical(g):
        g = shapely.force_2d(g)
        if g.geom_type in ("Polygon", "MultiPolygon"):
            g = shapely.MultiPolygon(list(shapely.get_parts(g)))
        return shapely.normalize(g)

    return shapely.equals_exact(canonical(a), canonical(b), tolerance=tol)


# --- the registry ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.geojson", "geojson"),
        ("a.json", "geojson"),
        ("a.GPKG", "gpkg"),
        ("a.shp.zip", "shapefile"),
        ("a.zip", "shapefile"),
        ("a.kml", "kml"),
        ("a.kmz", "kmz"),
        ("a.gpx", "gpx"),
        ("a.fgb", "flatgeobuf"),
        ("a.csv", "csv"),
        ("a.xlsx", "xlsx"),
        ("a.gdb.zip", "filegdb"),
    ],
)
def test_the_longest_file_ending_picks_the_format(name, expected):
    assert format_for_path(name).name == expected


def test_format_names_aliases_and_unknown_ones():
    assert format_for_path("a.txt", "shp").name == "shapefile"
    assert format_named("FGB").name == "flatgeobuf"
    assert {format_named(n).name for n in FORMATS} == set(FORMATS)
    with pytest.raises(BadInput, match="unknown format 'dwg'"):
        format_named("dwg")
    with pytest.raises(BadInput, match="unknown file type"):
        format_for_path("a.dwg")


# --- zipped Shapefile ------------------------------------------------------------------------


@pytest.mark.parametrize("cpg", ["1251", "CP1251", "ANSI 1251", "windows-1251"])
def test_shapefile_text_is_decoded_with_the_cpg(tmp_path, cpg):
    src = shapefile_zip(
        tmp_path / "c.shp.zip", boxes(2), {"name": ["plain", CYRILLIC]}, encoding="cp1251"
    )
    with zipfile.ZipFile(src, "a") as z:  # replace the .cpg GDAL wrote
        names = [n for n in z.namelist() if n.endswith(".cpg")]
    _rewrite_member(src, names[0], cpg.encode())
    table = SHAPEFILE.read(src)
    assert table.columns["name"].tolist() == ["plain", CYRILLIC]
    assert not table.problems


def _rewrite_member(zip_path: Path, member: str, data: bytes) -> None:
    with zipfile.ZipFile(zip_path) as z:
        items = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(zip_path, "w") as z:
        for name, content in items:
            z.writestr(name, data if name == member else content)


def test_shapefile_without_cpg_uses_the_dbf_language_driver_id(tmp_path):
    src = shapefile_zip(
        tmp_path / "l.shp.zip",
        boxes(1),
        {"name": [CYRILLIC]},
        encoding="cp1251",
        drop=(".cpg",),
        ldid=0xC9,  # Windows-1251
    )
    assert SHAPEFILE.read(src).columns["name"].tolist() == [CYRILLIC]


def test_shapefile_utf8_without_cpg_is_refused_with_a_hint(tmp_path):
    src = shapefile_zip(
        tmp_path / "u.shp.zip", boxes(2), {"name": ["plain", CYRILLIC]}, drop=(".cpg",), ldid=0
    )
    table = SHAPEFILE.read(src)
    assert list(table.problems) == [1]
    assert "it looks like UTF-8, so add a .cpg holding UTF-8" in table.problems[1]


def test_shapefile_text_not_in_the_cpg_encoding_is_refused_per_feature(tmp_path):
    src = shapefile_zip(
        tmp_path / "w.shp.zip", boxes(2), {"name": ["plain", CYRILLIC]}, encoding="cp1251"
    )
    _rewrite_member(src, "w.cpg", b"UTF-8")
    table = SHAPEFILE.read(src)
    assert table.problems == {1: "text in column 'name' is not UTF-8 text, as the .cpg says"}


def test_unknown_cpg_is_refused(tmp_path):
    src = shapefile_zip(tmp_path / "k.shp.zip", boxes(1), {"name": ["a"]})
    _rewrite_member(src, "k.cpg", b"KLINGON")
    with pytest.raises(ImportRejected, match="k.cpg names an encoding not known here: 'KLINGON'"):
        SHAPEFILE.read(src)


def test_shapefile_in_any_crs_is_reprojected_by_its_prj(tmp_path):
    wgs = shapely.box(33.0, 48.0, 33.01, 48.01)
    src = shapefile_zip(tmp_path / "utm.zip", [_utm(wgs)], {"name": ["a"]}, crs="EPSG:32636")
    table = SHAPEFILE.read(src)
    assert _same(table.geometries[0], wgs)


def test_shapefile_without_prj_imports_with_crs(cli, tmp_path):
    wgs = shapely.box(33.0, 48.0, 33.01, 48.01)
    src = shapefile_zip(
        tmp_path / "noprj.shp.zip", [_utm(wgs)], {"name": ["SYNTHETIC utm"]}, drop=(".prj",)
    )
    r = cli("import", "hazards", src)
    assert r.code == 2 and "give --crs" in r.err
    r = cli("import", "hazards", src, "--crs", "EPSG:32636")
    assert r.code == 0, r.err
    from clearground.store import open_store

    s = open_store(cli.url)
    try:
        (v,) = s.list("hazard")
        assert _same(v.record.geometry, shapely.MultiPolygon([wgs]))
    finally:
        s.close()


def test_bad_crs_is_refused(cli, tmp_path):
    src = write_layer(tmp_path / "a.geojson", boxes(1), {"name": ["a"]}, driver="GeoJSON")
    r = cli("import", "hazards", src, "--crs", "EPSG:999999")
    assert r.code == 2 and "--crs 'EPSG:999999': not a coordinate system" in r.err


@pytest.mark.filterwarnings("ignore:Normalized/laundered field name")
def test_ten_character_field_names_are_mapped_with_map(cli, tmp_path):
    # a Shapefile from another program: GDAL cuts the long names to 10 characters
    src = shapefile_zip(
        tmp_path / "short.shp.zip",
        boxes(1),
        {
            "name": ["SYNTHETIC short"],
            "classification": ["CHA"],
            "date_reported": ["2024-03-01"],
        },
    )
    r = cli(
        "import",
        "hazards",
        src,
        "--map",
        "classification=classifica",
        "--map",
        "date_reported=date_repor",
    )
    assert r.code == 0, r.err
    (h,) = cli("hazards", "list").json()
    assert (h["classification"], h["date_reported"], h["attributes"]) == ("CHA", "2024-03-01", {})


def test_exported_shapefile_carries_full_names_as_qgis_aliases(tmp_path):
    table = FeatureTable(
        "t",
        np.array(boxes(1), dtype=object),
        {"classification": np.array(["CHA"], dtype=object), "id": np.array(["HZ-1"], dtype=object)},
    )
    out = tmp_path / "h.shp.zip"
    SHAPEFILE.write(out, table, layer="hazard_areas")
    with zipfile.ZipFile(out) as z:
        assert sorted(z.namelist()) == ["h.cpg", "h.dbf", "h.prj", "h.qml", "h.shp", "h.shx"]
        qml = z.read("h.qml").decode()
    assert 'field="classifica"' in qml and 'name="classification"' in qml
    assert pyogrio.read_info(out)["fields"].tolist() == ["classifica", "id"]
    assert list(SHAPEFILE.read(out).columns) == ["classification", "id"]


def test_shapefile_export_refuses_text_longer_than_a_dbf_field(tmp_path):
    table = FeatureTable(
        "t",
        np.array(boxes(1), dtype=object),
        {"id": np.array(["HZ-1"], dtype=object), "notes": np.array(["ї" * 200], dtype=object)},
    )
    out = tmp_path / "long.shp.zip"
    with pytest.raises(BadInput, match=r"254 bytes.*HZ-1: notes \(400 bytes\)"):
        SHAPEFILE.write(out, table, layer="x")
    assert not out.exists()


def test_a_zip_of_several_shapefiles_needs_layer(tmp_path):
    folder = tmp_path / "two"
    folder.mkdir()
    write_layer(folder / "a.shp", boxes(1), {"name": ["a"]}, driver="ESRI Shapefile")
    write_layer(folder / "b.shp", boxes(2), {"name": ["b", "c"]}, driver="ESRI Shapefile")
    src = zip_folder(folder, tmp_path / "two.zip")
    with pytest.raises(ImportRejected, match="2 Shapefiles; choose one with --layer: a, b"):
        SHAPEFILE.read(src)
    assert len(SHAPEFILE.read(src, layer="b")) == 2


# --- zips and XML ----------------------------------------------------------------------------


def test_extract_zip_checks_declared_sizes_before_inflating(tmp_path):
    src = tmp_path / "z.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.bin", bytes(100_000))
    with pytest.raises(ImportRejected, match="refused before inflating"):
        extract_zip(src, tmp_path / "out", limit=50_000)
    assert not (tmp_path / "out" / "a.bin").exists()
    assert [p.name for p in extract_zip(src, tmp_path / "ok", limit=100_000)] == ["a.bin"]


def test_extract_zip_refuses_a_zip_whose_declared_sizes_lie(tmp_path):
    src = tmp_path / "liar.zip"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("a.bin", bytes(1_000_000))
    data = bytearray(src.read_bytes())
    # declare 1,000 bytes instead of 1,000,000 in the local and the central header
    size = (1_000_000).to_bytes(4, "little")
    for at in [i for i in range(len(data) - 3) if data[i : i + 4] == size]:
        data[at : at + 4] = (1_000).to_bytes(4, "little")
    src.write_bytes(bytes(data))
    with pytest.raises(ImportRejected, match="cannot extract 'a.bin'"):
        extract_zip(src, tmp_path / "out", limit=10_000)
    out = tmp_path / "out" / "a.bin"
    assert not out.exists() or out.stat().st_size <= 10_000


def test_check_xml_refuses_entities_and_reports_broken_xml(tmp_path):
    laughs = tmp_path / "l.xml"
    laughs.write_text('<!DOCTYPE a [<!ENTITY x "xx">]><a>&x;</a>')
    with pytest.raises(ImportRejected, match="declares a DTD or entities"):
        check_xml(laughs)
    broken = tmp_path / "b.xml"
    broken.write_text("<a><b></a>")
    with pytest.raises(ImportRejected, match="not well-formed XML"):
        check_xml(broken)


# --- KML, KMZ, GPX ---------------------------------------------------------------------------


def _google_earth_kml() -> str:
    """KML as Google Earth saves it: placemarks in folders, no ids, a description."""

    def ring(lon):
        return f"{lon},50,0 {lon + 0.01},50,0 {lon + 0.01},50.01,0 {lon},50,0"

    def placemark(name, lon, extra=""):
        return (
            f"<Placemark><name>{name}</name>{extra}<Polygon><outerBoundaryIs><LinearRing>"
            f"<coordinates>{ring(lon)}</coordinates></LinearRing></outerBoundaryIs></Polygon>"
            "</Placemark>"
        )

    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><name>SYNTHETIC survey</name>"
        "<Folder><name>Suspected</name>"
        f"{placemark(CYRILLIC, 30, '<description>river</description>')}"
        f"{placemark('SYNTHETIC 2', 30.02)}</Folder>"
        f"<Folder><name>Confirmed</name>{placemark('SYNTHETIC 3', 30.04)}</Folder>"
        "</Document></kml>"
    )


def test_kml_reads_every_folder_and_keeps_the_folder_name(tmp_path):
    src = tmp_path / "ge.kml"
    src.write_text(_google_earth_kml())
    table = KML.read(src)
    assert len(table) == 3
    assert table.columns["name"].tolist() == [CYRILLIC, "SYNTHETIC 2", "SYNTHETIC 3"]
    assert table.columns["folder"].tolist() == ["Suspected", "Suspected", "Confirmed"]
    assert table.columns["description"].tolist() == ["river", None, None]
    assert not {"tessellate", "extrude", "visibility", "timestamp", "icon"} & set(table.columns)
    assert len(KML.read(src, layer="Confirmed")) == 1


def test_kmz_from_google_earth_imports(cli, tmp_path):
    src = tmp_path / "ge.kmz"
    with zipfile.ZipFile(src, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", _google_earth_kml())
    r = cli("import", "hazards", src)
    assert r.code == 0, r.err
    rows = cli("hazards", "list").json()
    assert [h["name"] for h in rows] == [CYRILLIC, "SYNTHETIC 2", "SYNTHETIC 3"]
    assert rows[0]["attributes"] == {"folder": "Suspected", "description": "river"}


def test_kmz_round_trip_of_the_format(tmp_path):
    table = FeatureTable(
        "t",
        np.array([shapely.MultiPolygon(boxes(1))], dtype=object),
        {"id": np.array(["HZ-1"], dtype=object), "name": np.array([CYRILLIC], dtype=object)},
    )
    out = tmp_path / "o.kmz"
    KMZ.write(out, table, layer="hazard_areas")
    with zipfile.ZipFile(out) as z:
        assert z.namelist() == ["doc.kml"]
    back = KMZ.read(out)
    assert back.columns["id"].tolist() == ["HZ-1"] and back.columns["name"].tolist() == [CYRILLIC]
    assert _same(back.geometries[0], table.geometries[0])


def test_gpx_routes_and_tracks_by_default_waypoints_as_points(tmp_path):
    path = tmp_path / "w.gpx"
    write_layer(
        path, [shapely.Point(30.1, 50.1)], {"name": ["SYNTHETIC item"]}, driver="GPX",
        layer="waypoints",
    )  # fmt: skip
    write_layer(
        path.with_name("t.gpx"),
        [shapely.MultiLineString([[(30, 50), (30.1, 50.1)]])],
        {"name": ["SYNTHETIC track"]},
        driver="GPX",
        layer="tracks",
    )
    points = GPX.read(path, layer="waypoints")
    assert points.geometries[0].equals(shapely.Point(30.1, 50.1))
    assert points.columns["name"].tolist() == ["SYNTHETIC item"]
    tracks = GPX.read(path.with_name("t.gpx"))
    assert [g.geom_type for g in tracks.geometries] == ["MultiLineString"]
    with pytest.raises(BadInput, match="gpx files cannot be written"):
        GPX.write(tmp_path / "x.gpx", tracks, layer="x")


def test_export_to_a_read_only_format_is_refused(cli, tmp_path):
    r = cli("export", tmp_path / "out.gpx")
    assert r.code == 2 and "gpx files cannot be written" in r.err


# --- CSV and XLSX ----------------------------------------------------------------------------


def test_csv_lon_lat_with_hxl_tags_semicolons_and_decimal_commas(tmp_path):
    src = tmp_path / "eo.csv"
    src.write_text(
        "Назва;Довгота;Широта;Код\n"
        "#loc+name;#geo+lon;#geo+lat;#adm1+code\n"
        f"{CYRILLIC};30,5;50,25;UA01\n"
        "\n"
        "SYNTHETIC 2;31.5;50.5;\n",
        encoding="utf-8-sig",
    )
    table = CSV.read(src)
    assert list(table.columns) == ["Назва", "Код"]
    assert table.columns["Назва"].tolist() == [CYRILLIC, "SYNTHETIC 2"]
    assert table.columns["Код"].tolist() == ["UA01", None]
    assert [(g.x, g.y) for g in table.geometries] == [(30.5, 50.25), (31.5, 50.5)]
    assert table.crs == "EPSG:4326"


def test_csv_whose_first_row_is_the_hxl_row(tmp_path):
    src = tmp_path / "tags.csv"
    src.write_text("#loc+name,#geo+lon,#geo+lat\nSYNTHETIC,30,50\n")
    table = CSV.read(src)
    assert list(table.columns) == ["#loc+name"]
    assert table.geometries[0].equals(shapely.Point(30, 50))


def test_csv_of_projected_wkt_imports_with_crs(cli, tmp_path):
    wgs = shapely.box(33.0, 48.0, 33.01, 48.01)
    src = tmp_path / "utm.csv"
    src.write_text(
        f'name,geometry\nSYNTHETIC utm,"{shapely.to_wkt(_utm(wgs), rounding_precision=-1)}"\n'
    )
    r = cli("import", "hazards", src)
    assert r.code == 2 and "coordinates outside lon/lat range" in r.err
    r = cli("import", "hazards", src, "--crs", "EPSG:32636")
    assert r.code == 0, r.err
    assert cli("hazards", "list").json()[0]["area_m2"] == pytest.approx(
        cli("hazards", "list").json()[0]["remaining_m2"]
    )


def test_csv_row_with_too_many_cells_is_refused(tmp_path):
    src = tmp_path / "wide.csv"
    src.write_text("name,lon,lat\na,30,50\nb,30,50,extra\n")
    assert CSV.read(src).problems == {1: "4 cells, but the header names 3 columns"}


def test_exported_csv_has_the_hxl_row_and_a_byte_order_mark(tmp_path):
    table = FeatureTable(
        "t",
        np.array(boxes(1), dtype=object),
        {
            "id": np.array(["HZ-1"], dtype=object),
            "admin_pcode": np.array(["UA01"], dtype=object),
            "area_m2": np.array([12.5]),
        },
    )
    out = tmp_path / "o.csv"
    CSV.write(out, table, layer="x")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0] == "id,admin_pcode,area_m2,lat,lon,WKT"
    assert lines[1] == "#loc+code,#adm1+code,#indicator+area_m2+num,#geo+lat,#geo+lon,#geo+wkt"
    # beside it, for GDAL and QGIS: the column types and the coordinate system
    assert (tmp_path / "o.csvt").read_text() == "String,String,Real,Real,Real,WKT\n"
    assert pyogrio.read_info(out)["crs"] == "EPSG:4326"
    back = CSV.read(out)
    assert back.columns["area_m2"].tolist() == [12.5]  # typed by the .csvt
    assert back.columns["admin_pcode"].tolist() == ["UA01"]
    assert _same(back.geometries[0], table.geometries[0], tol=0)


def test_csv_prj_gives_the_crs_and_a_bad_one_is_refused(cli, tmp_path):
    from pyproj import CRS

    wgs = shapely.box(33.0, 48.0, 33.01, 48.01)
    src = tmp_path / "utm.csv"
    src.write_text(
        f'name,geometry\nSYNTHETIC utm,"{shapely.to_wkt(_utm(wgs), rounding_precision=-1)}"\n'
    )
    (tmp_path / "utm.prj").write_text(CRS("EPSG:32636").to_wkt("WKT1_ESRI"))
    table = CSV.read(src)
    assert _same(table.geometries[0], wgs, tol=1e-7)
    (tmp_path / "utm.prj").write_text("not a coordinate system")
    r = cli("import", "hazards", src)
    assert r.code == 2
    assert f"{src}: utm.prj is not a coordinate system" in r.err and "give --crs" in r.err
    assert cli("import", "hazards", src, "--crs", "EPSG:32636").code == 0


def test_csvt_types_numbers_and_a_cell_that_is_not_one_stays_text(tmp_path):
    src = tmp_path / "t.csv"
    src.write_text("name,count,share,code,lon,lat\na,7,0.5,007,30,50\nb,many,1,010,30,50\n")
    (tmp_path / "t.csvt").write_text('"String","Integer(5)","Real(10.2)","String","Real","Real"')
    table = CSV.read(src)
    assert table.columns["count"].tolist() == [7, "many"]
    assert table.columns["share"].tolist() == [0.5, 1.0]
    assert table.columns["code"].tolist() == ["007", "010"]


def test_xlsx_with_hxl_row_and_date_cells(tmp_path):
    src = tmp_path / "h.xlsx"
    pyogrio.raw.write(
        src,
        None,
        [
            np.array(["#loc+name", "SYNTHETIC 1"], dtype=object),
            np.array(["#date+reported", "2024-03-05"], dtype=object),
            np.array(["#geo+wkt", shapely.to_wkt(boxes(1)[0])], dtype=object),
        ],
        ["name", "date_reported", "WKT"],
        driver="XLSX",
        layer="hazards",
    )
    table = XLSX.read(src)
    assert len(table) == 1 and table.columns["date_reported"].tolist() == ["2024-03-05"]
    assert _same(table.geometries[0], boxes(1)[0], tol=0)
    dated = tmp_path / "d.xlsx"
    pyogrio.raw.write(
        dated,
        None,
        [
            np.array(["SYNTHETIC 1"], dtype=object),
            np.array(["2024-03-05"], dtype="datetime64[D]"),
            np.array([30.0]),
            np.array([50.0]),
        ],
        ["name", "date_reported", "lon", "lat"],
        driver="XLSX",
    )
    table = XLSX.read(dated)
    assert table.columns["date_reported"].tolist() == ["2024-03-05"]
    assert table.geometries[0].equals(shapely.Point(30, 50))


def test_xlsx_numbers_come_back_as_numbers_and_codes_as_text(tmp_path):
    table = FeatureTable(
        "t",
        np.array(boxes(2), dtype=object),
        {
            "code": np.array(["007", "UA01"], dtype=object),
            "team": np.array([4, 12], dtype=np.int64),
            "share": np.array([0.25, np.nan]),
        },
    )
    out = tmp_path / "o.xlsx"
    XLSX.write(out, table, layer="hazards")
    back = XLSX.read(out)
    assert back.columns["code"].tolist() == ["007", "UA01"]
    assert back.columns["team"].tolist() == [4, 12]
    assert back.columns["share"].tolist() == [0.25, None]


def test_xlsx_export_refuses_a_polygon_too_big_for_a_cell(tmp_path):
    ring = [(30 + 0.001 * np.cos(a), 50 + 0.001 * np.sin(a)) for a in np.linspace(0, 6.28, 2000)]
    big = shapely.Polygon(ring)
    assert len(shapely.to_wkt(big, rounding_precision=-1)) > XLSX_CELL_CHARS
    table = FeatureTable(
        "t", np.array([big], dtype=object), {"id": np.array(["HZ-9"], dtype=object)}
    )
    with pytest.raises(BadInput, match="an Excel cell holds as WKT \\(HZ-9\\)"):
        XLSX.write(tmp_path / "big.xlsx", table, layer="x")
    CSV.write(tmp_path / "big.csv", table, layer="x")  # CSV has no such limit
    assert _same(CSV.read(tmp_path / "big.csv").geometries[0], big, tol=0)


# --- File Geodatabase ------------------------------------------------------------------------


def test_file_geodatabase_has_32_bit_integers_and_one_gdb_folder(tmp_path):
    table = FeatureTable(
        "t",
        np.array([shapely.MultiPolygon(boxes(1))], dtype=object),
        {"id": np.array(["HZ-1"], dtype=object), "version": np.array([3], dtype=np.int64)},
    )
    out = tmp_path / "h.gdb.zip"
    FILEGDB.write(out, table, layer="hazard_areas")
    with zipfile.ZipFile(out) as z:
        assert {n.split("/")[0] for n in z.namelist()} == {"h.gdb"}
    info = pyogrio.read_info(out)
    assert info["ogr_types"][info["fields"].tolist().index("version")] == "OFTInteger"
    assert FILEGDB.read(out).columns["version"].tolist() == [3]
    plain_zip = tmp_path / "h.zip"  # a .zip holding a .gdb folder is read as one too
    plain_zip.write_bytes(out.read_bytes())
    assert format_for_path(plain_zip).read(plain_zip).columns["id"].tolist() == ["HZ-1"]
    with tempfile.TemporaryDirectory() as tmp:
        two = Path(tmp)
        with zipfile.ZipFile(out) as z:
            z.extractall(two / "x")
            z.extractall(two / "y")
        (two / "y" / "h.gdb").rename(two / "y" / "g.gdb")
        double = tmp_path / "two.gdb.zip"
        with zipfile.ZipFile(double, "w") as z:
            for p in sorted(two.rglob("*")):
                if p.is_file():
                    z.write(p, p.relative_to(two).as_posix())
    with pytest.raises(ImportRejected, match="holds one \\*.gdb folder; found h.gdb, g.gdb"):
        FILEGDB.read(double)


def test_flatgeobuf_holds_records_without_geometry(tmp_path):
    from clearground.formats.ogr import FLATGEOBUF

    table = FeatureTable(
        "t",
        np.array([None, shapely.Point(30, 50)], dtype=object),
        {"id": np.array(["ORG-1", "EO-1"], dtype=object)},
    )
    out = tmp_path / "o.fgb"
    FLATGEOBUF.write(out, table, layer="records")
    assert pyogrio.read_info(out)["features"] == 2
    back = FLATGEOBUF.read(out)
    assert back.columns["id"].tolist() == ["ORG-1", "EO-1"]
    assert back.geometries[0] is None and back.geometries[1].equals(shapely.Point(30, 50))


def test_csv_of_points_opens_in_gdal_as_points_from_lat_lon(tmp_path):
    table = FeatureTable(
        "t",
        np.array([shapely.Point(30.5, 50.25), shapely.Point(31, 49)], dtype=object),
        {"id": np.array(["EO-1", "EO-2"], dtype=object)},
    )
    out = tmp_path / "eo.csv"
    CSV.write(out, table, layer="eo")
    assert (tmp_path / "eo.csvt").read_text() == "String,CoordY,CoordX\n"
    info = pyogrio.read_info(out)
    assert (info["geometry_type"], info["crs"]) == ("Point", "EPSG:4326")
    _, _, wkb, _ = pyogrio.raw.read(out, skip_features=1)  # after the HXL row
    assert shapely.from_wkb(wkb[0]).equals(shapely.Point(30.5, 50.25))
    back = CSV.read(out)
    assert [g.coords[0] for g in back.geometries] == [(30.5, 50.25), (31.0, 49.0)]
