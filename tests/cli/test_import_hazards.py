"""`clearground import hazards`: every feature or none, with a reason per bad feature."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from clearground.store import open_store
from tests.helpers import snapshot, write_layer

KEYS = {
    "id",
    "name",
    "classification",
    "status",
    "area_m2",
    "released_m2",
    "remaining_m2",
    "version",
}


def boxes(n, lon=30.0, lat=50.0):
    return [shapely.box(lon + i * 0.02, lat, lon + i * 0.02 + 0.01, lat + 0.01) for i in range(n)]


def names(n):
    return {"name": [f"SYNTHETIC {i + 1}" for i in range(n)]}


def store_snapshot(cli):
    s = open_store(cli.url)
    try:
        return snapshot(s)
    finally:
        s.close()


def test_init_then_import_geojson_and_list(cli, tmp_path):
    assert cli("init").code == 0
    src = write_layer(
        tmp_path / "h.geojson",
        boxes(3),
        {
            **names(3),
            "classification": ["SHA", "CHA", "sha"],
            "eo_types": ["AP mine", "UXO, AXO", ""],
            "extra_col": ["a", "b", "c"],
        },
    )
    r = cli("import", "hazards", src)
    assert r.code == 0, r.err
    assert "imported 3 hazard" in r.out
    rows = cli("hazards", "list", "--format", "json").json()
    assert len(rows) == 3
    assert set(rows[0]) >= KEYS
    assert [r["classification"] for r in rows] == ["SHA", "CHA", "SHA"]
    assert all(r["status"] == "active" and r["version"] == 1 for r in rows)
    assert rows[1]["eo_types"] == ["UXO", "AXO"]
    assert rows[0]["attributes"] == {"extra_col": "a"}
    assert rows[0]["released_m2"] == {"cancelled": 0, "reduced": 0, "cleared": 0}
    assert rows[0]["remaining_m2"] == rows[0]["area_m2"] == pytest.approx(797383.14, rel=1e-6)
    one = cli("hazard", "show", rows[0]["id"], "--format", "json").json()
    assert one == rows[0]
    table = cli("hazards", "list", "--format", "table")
    assert table.code == 0 and "SYNTHETIC 1" in table.out


def test_import_geopackage_with_layer_and_map(cli, tmp_path):
    src = write_layer(
        tmp_path / "h.gpkg", boxes(2), {"NAME_EN": ["SYNTHETIC A", "SYNTHETIC B"]}, layer="hazards"
    )
    write_layer(src, boxes(1, lat=49), {"NAME_EN": ["SYNTHETIC other"]}, layer="other")
    r = cli("import", "hazards", src, "--map", "name=NAME_EN")
    assert r.code == 2 and "2 layers; choose one with --layer: hazards, other" in r.err
    r = cli("import", "hazards", src, "--layer", "hazards", "--map", "name=NAME_EN")
    assert r.code == 0, r.err
    assert [h["name"] for h in cli("hazards", "list").json()] == ["SYNTHETIC A", "SYNTHETIC B"]
    r = cli("import", "hazards", src, "--layer", "nope")
    assert r.code == 2 and "no layer 'nope'" in r.err
    r = cli("import", "hazards", src, "--layer", "other", "--map", "name=MISSING")
    assert r.code == 2 and "no column 'MISSING'" in r.err


def test_any_crs_is_reprojected_to_wgs84(cli, tmp_path):
    from pyproj import Transformer

    wgs = shapely.box(33.0, 48.0, 33.01, 48.01)
    to_utm = Transformer.from_crs(4326, 32636, always_xy=True)
    utm = shapely.transform(wgs, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1])))
    src = write_layer(tmp_path / "utm.gpkg", [utm], names(1), crs="EPSG:32636")
    assert cli("import", "hazards", src).code == 0
    h = cli("hazards", "list").json()[0]
    ref = write_layer(tmp_path / "wgs.geojson", [wgs], names(1))
    assert cli("import", "hazards", ref).code == 0
    h2 = cli("hazards", "list").json()[1]
    assert h["area_m2"] == pytest.approx(h2["area_m2"], rel=1e-6)
    s = open_store(cli.url)
    g = s.get("hazard", h["id"]).record.geometry
    s.close()
    expected = shapely.normalize(shapely.MultiPolygon([wgs]))
    assert shapely.equals_exact(shapely.normalize(g), expected, tolerance=1e-7)


def test_dry_run_writes_nothing(cli, tmp_path):
    src = write_layer(tmp_path / "h.geojson", boxes(2), names(2))
    before = store_snapshot(cli)
    r = cli("import", "hazards", src, "--dry-run")
    assert r.code == 0 and "would import 2" in r.out
    assert store_snapshot(cli) == before
    r = cli("import", "hazards", src, "--dry-run", "--output", "json")
    assert r.json()["would_import"] == 2 and r.json()["imported"] == 0


def _bad_files(tmp_path):
    """(file, expected fragment of the problem line) for each kind of bad input."""
    good = boxes(1)[0]
    out = {}
    gpkg = write_layer(tmp_path / "whole.gpkg", boxes(200), names(200))
    data = gpkg.read_bytes()
    trunc = tmp_path / "truncated.gpkg"
    trunc.write_bytes(data[: len(data) // 3])
    out["truncated"] = (trunc, f"{trunc}: cannot read gpkg")
    notjson = tmp_path / "notjson.geojson"
    notjson.write_text('{"type": "FeatureCollection", "features": [ {"type": ')
    out["not json"] = (notjson, f"{notjson}: cannot read geojson")
    plain = tmp_path / "plain.geojson"
    plain.write_text("this is a spreadsheet, not GeoJSON\n")
    out["plain text"] = (plain, f"{plain}: cannot read geojson")
    out["null"] = (
        write_layer(tmp_path / "null.gpkg", [good, None], names(2), geometry_type="Polygon"),
        "null.gpkg:feature 2: no geometry (null)",
    )
    out["empty"] = (
        write_layer(
            tmp_path / "empty.gpkg", [good, shapely.Polygon()], names(2), geometry_type="Polygon"
        ),
        "empty.gpkg:feature 2: empty geometry",
    )
    out["point"] = (
        write_layer(
            tmp_path / "point.gpkg",
            [good, shapely.Point(30, 50)],
            names(2),
            geometry_type="Unknown",
        ),
        "point.gpkg:feature 2: geometry is a Point, not a polygon",
    )
    out["nan"] = (
        write_layer(
            tmp_path / "nan.gpkg",
            [good, shapely.Polygon([(30, 50), (np.nan, 50), (30, 50.1)])],
            names(2),
        ),
        "nan.gpkg:feature 2: a coordinate is not a finite number",
    )
    out["inf"] = (
        write_layer(
            tmp_path / "inf.gpkg",
            [shapely.Polygon([(30, 50), (np.inf, 50), (30, 50.1)]), good],
            names(2),
        ),
        "inf.gpkg:feature 1: a coordinate is not a finite number",
    )
    out["bowtie"] = (
        write_layer(
            tmp_path / "bowtie.geojson",
            [good, shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)])],
            names(2),
        ),
        "bowtie.geojson:feature 2: invalid polygon: Self-intersection[30.005 50.005]",
    )
    out["range"] = (
        write_layer(tmp_path / "range.gpkg", [good, shapely.box(200, 50, 200.1, 50.1)], names(2)),
        "range.gpkg:feature 2: coordinates outside lon/lat range",
    )
    out["swapped"] = (
        write_layer(
            tmp_path / "swapped.geojson", [good, shapely.box(50, 30, 50.01, 30.01)], names(2)
        ),
        "swapped.geojson:feature 2: likely swapped lat/lon",
    )
    out["status"] = (
        write_layer(
            tmp_path / "status.geojson", boxes(2), {**names(2), "status": ["active", "closed"]}
        ),
        "status.geojson:feature 2: status 'closed' cannot be imported",
    )
    out["released"] = (
        write_layer(
            tmp_path / "released.geojson", boxes(2), {**names(2), "cleared_m2": [0.0, 500.0]}
        ),
        "released.geojson:feature 2: cleared_m2 = 500",
    )
    out["class"] = (
        write_layer(
            tmp_path / "class.geojson", boxes(2), {**names(2), "classification": ["SHA", "maybe"]}
        ),
        "class.geojson:feature 2: classification 'maybe' is not SHA or CHA",
    )
    out["future"] = (
        write_layer(
            tmp_path / "future.geojson",
            boxes(2),
            {**names(2), "date_reported": ["2024-01-01", "2999-01-01"]},
        ),
        "future.geojson:feature 2: date_reported '2999-01-01' is in the future",
    )
    out["dup"] = (
        write_layer(tmp_path / "dup.geojson", boxes(2), {**names(2), "id": ["HZ-7", "HZ-7"]}),
        "dup.geojson:feature 2: duplicate id 'HZ-7' (also feature 1)",
    )
    out["missing"] = (tmp_path / "missing.gpkg", "missing.gpkg: file not found")
    return out


BAD = [
    "truncated",
    "not json",
    "plain text",
    "null",
    "empty",
    "point",
    "nan",
    "inf",
    "bowtie",
    "range",
    "swapped",
    "status",
    "released",
    "class",
    "future",
    "dup",
    "missing",
]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_exits_2_names_file_and_feature_and_changes_nothing(cli, tmp_path, case):
    assert (
        cli(
            "import", "hazards", write_layer(tmp_path / "seed.geojson", boxes(2, lat=51), names(2))
        ).code
        == 0
    )
    path, fragment = _bad_files(tmp_path)[case]
    before = store_snapshot(cli)
    r = cli("import", "hazards", path)
    assert r.code == 2, (r.out, r.err)
    assert fragment in r.err, r.err
    assert "nothing was imported" in r.err
    assert store_snapshot(cli) == before


def test_every_problem_is_listed_not_just_the_first(cli, tmp_path):
    good = boxes(1)[0]
    src = write_layer(
        tmp_path / "many.gpkg",
        [None, good, shapely.box(200, 50, 201, 51), shapely.Polygon()],
        names(4),
        geometry_type="Polygon",
    )
    r = cli("import", "hazards", src)
    assert r.code == 2
    lines = [ln for ln in r.err.splitlines() if ":feature " in ln]
    assert [ln.split(":feature ")[1].split(":")[0] for ln in lines] == ["1", "3", "4"]


def test_repair_fixes_and_reports_invalid_polygons(cli, tmp_path):
    bowtie = shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)])
    src = write_layer(tmp_path / "b.geojson", [boxes(1)[0], bowtie], names(2))
    r = cli("import", "hazards", src, "--repair")
    assert r.code == 0, r.err
    assert "b.geojson:feature 2: repaired invalid polygon (Self-intersection" in r.out
    assert len(cli("hazards", "list").json()) == 2


def test_an_id_already_in_the_database_is_refused(cli, tmp_path):
    src = write_layer(tmp_path / "a.geojson", boxes(1), {**names(1), "id": ["HZ-1"]})
    assert cli("import", "hazards", src).code == 0
    r = cli("import", "hazards", src, "--again")  # the ledger lets it through; the id does not
    assert r.code == 2 and "a.geojson:feature 1: id 'HZ-1' already exists" in r.err


def test_empty_layer_is_refused(cli, tmp_path):
    import pyogrio

    path = tmp_path / "none.gpkg"
    pyogrio.raw.write(
        path,
        np.array([], dtype=object),
        [np.array([], dtype=object)],
        ["name"],
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    r = cli("import", "hazards", path)
    assert r.code == 2 and "has no features" in r.err


def test_benchmark_point_is_kept_and_checked(cli, tmp_path):
    src = write_layer(
        tmp_path / "b.geojson",
        boxes(2),
        {**names(2), "benchmark_lon": [30.012, ""], "benchmark_lat": [50.005, ""]},
    )
    assert cli("import", "hazards", src).code == 0
    s = open_store(cli.url)
    got = [v.record.benchmark for v in s.list("hazard")]
    s.close()
    assert got == [(30.012, 50.005), None]
    far = write_layer(
        tmp_path / "far.geojson",
        boxes(1),
        {**names(1), "benchmark_lon": [30.5], "benchmark_lat": [50.005]},
    )
    r = cli("import", "hazards", far)
    assert r.code == 2 and "far.geojson:feature 1: benchmark (30.5, 50.005) is 35" in r.err
    half = write_layer(
        tmp_path / "half.geojson",
        boxes(1),
        {**names(1), "benchmark_lon": [30.01], "benchmark_lat": [""]},
    )
    r = cli("import", "hazards", half)
    assert r.code == 2 and "must both be numbers" in r.err


def test_db_may_be_a_plain_sqlite_path_and_anything_else_names_the_forms(tmp_path, capsys):
    from clearground.cli import main

    db = tmp_path / "field office.db"
    assert main(["--db", str(db), "init"]) == 0
    assert db.exists()
    assert main(["--db", str(db), "hazards", "list"]) == 0
    assert main(["--db", str(tmp_path / "notes.txt"), "hazards", "list"]) == 2
    err = capsys.readouterr().err
    assert "notes.txt: not a database URL" in err and "a path ending .db" in err
    assert not (tmp_path / "notes.txt").exists()
