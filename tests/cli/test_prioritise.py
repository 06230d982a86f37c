"""``clearground prioritise``: every factor against a brute-force reference on SYNTHETIC data, the
same answer from inputs in other CRSs, byte-for-byte reproducible runs, and bad inputs refused
with nothing stored."""

from __future__ import annotations

import json

import numpy as np
import pytest
import shapely

from clearground.analysis.prioritise import buffers
from clearground.store import open_store
from tests import prioritise_data as data
from tests.helpers import snapshot

FACTORS = (
    "population_inside",
    "population_1km",
    "population_5km",
    "cropland_m2",
    "built_up_m2",
    "points_inside",
    "points_1km",
    "roads_inside_m",
    "road_nearest_m",
    "accidents_2km",
    "finds_2km",
)


def _fill(url: str) -> None:
    s = open_store(url)
    acc, eo = data.evidence()
    with s.transaction() as tx:
        tx.insert("hazard", data.hazards(), author="tester", reason="SYNTHETIC")
        tx.insert("accident", acc, author="tester", reason="SYNTHETIC")
        tx.insert("eo", eo, author="tester", reason="SYNTHETIC")
        tx.commit()
    s.close()


@pytest.fixture
def filled(cli):
    _fill(cli.url)
    return cli


def _run(cli, cfg):
    done = cli("prioritise", "--config", cfg)
    assert done.code == 0, done.err
    shown = cli("prioritise", "show", "latest", "--format", "json")
    assert shown.code == 0, shown.err
    return shown.json()


def test_every_factor_matches_a_brute_force_reference(filled, tmp_path):
    inputs = data.write_inputs(tmp_path / "in")
    out = _run(filled, data.config(tmp_path / "in", inputs))
    rows = {h["hazard_id"]: h for h in out["hazards"]}
    hz = [h for h in data.hazards() if h.status.value != "closed"]
    assert sorted(rows) == [h.id for h in hz]  # the closed hazard is not ranked
    geoms = np.array([h.geometry for h in hz], dtype=object)
    zones = buffers(geoms, (1000.0, 2000.0, 5000.0))
    pop, codes = data.population_array(), data.landcover_array()
    pts, lines = data.infrastructure()
    acc, eo = data.evidence()
    start = data.RUN_DATE.replace(year=data.RUN_DATE.year - 2)
    acc_pts = [a.geometry for a in acc if start < a.date <= data.RUN_DATE]
    eo_pts = [e.geometry for e in eo if start < e.date <= data.RUN_DATE]
    assert 0 < len(acc_pts) < len(acc)  # the 24-month window leaves some out
    nonzero = dict.fromkeys(FACTORS, 0)
    for i, h in enumerate(hz):
        got = rows[h.id]["factors"]
        want = {
            "population_inside": data.ref_raster_sum(
                h.geometry, pop, data.POP_ORIGIN, data.POP_RES
            ),
            "population_1km": data.ref_raster_sum(
                zones[1000.0][i], pop, data.POP_ORIGIN, data.POP_RES
            ),
            "population_5km": data.ref_raster_sum(
                zones[5000.0][i], pop, data.POP_ORIGIN, data.POP_RES
            ),
            "cropland_m2": data.ref_class_area(
                h.geometry, codes, (40,), data.LC_ORIGIN, data.LC_RES
            ),
            "built_up_m2": data.ref_class_area(
                h.geometry, codes, (50,), data.LC_ORIGIN, data.LC_RES
            ),
            "points_inside": data.ref_count(h.geometry, pts),
            "points_1km": data.ref_count(zones[1000.0][i], pts),
            "roads_inside_m": data.ref_length_inside(h.geometry, lines),
            "road_nearest_m": data.ref_nearest(h.geometry, lines),
            "accidents_2km": data.ref_count(zones[2000.0][i], acc_pts),
            "finds_2km": data.ref_count(zones[2000.0][i], eo_pts),
        }
        for name in FACTORS:
            assert got[name] == pytest.approx(want[name], rel=1e-6, abs=1e-5), (h.id, name)
            nonzero[name] += want[name] != 0
    assert all(nonzero.values()), nonzero  # each factor is checked where it is not 0
    # the score is the sum of the contributions, and ranks are in score order then id
    hs = out["hazards"]
    for h in hs:
        assert h["score"] == pytest.approx(sum(h["contributions"].values()), abs=1e-8)
    assert [h["rank"] for h in hs] == list(range(1, len(hs) + 1))
    assert [(-h["score"], h["hazard_id"]) for h in hs] == sorted(
        (-h["score"], h["hazard_id"]) for h in hs
    )


def test_buffers_are_metres_from_the_hazard():
    hz = data.hazards()[0].geometry
    grown = buffers(np.array([hz], dtype=object), (1000.0, 5000.0))
    c = hz.centroid
    from pyproj import Transformer

    aeqd = Transformer.from_crs(
        "EPSG:4326", f"+proj=aeqd +lat_0={c.y} +lon_0={c.x} +datum=WGS84", always_xy=True
    )
    local = data._apply(aeqd, data.densify(hz))
    for d, tol in ((1000.0, 0.35), (5000.0, 1.6)):  # arcs of 32 segments a quarter lie inside
        ring = shapely.get_coordinates(
            grown[d][0].exterior if grown[d][0].geom_type == "Polygon" else grown[d][0]
        )
        dist = [local.distance(shapely.Point(aeqd.transform(x, y))) for x, y in ring]
        assert min(dist) > d - tol and max(dist) < d + 0.25


def test_inputs_in_other_crss_give_the_same_answer(filled, tmp_path):
    one = _run(filled, data.config(tmp_path / "a", data.write_inputs(tmp_path / "a")))
    other = _run(
        filled, data.config(tmp_path / "b", data.write_inputs(tmp_path / "b", crs_variant=True))
    )
    assert (
        one["run"]["inputs"]["population"]["sha256"]
        != other["run"]["inputs"]["population"]["sha256"]
    )
    for a, b in zip(one["hazards"], other["hazards"], strict=True):
        assert a["hazard_id"] == b["hazard_id"] and a["rank"] == b["rank"]
        for name in FACTORS:
            # same pixel footprints (plate carrée is affine in lon/lat) and the same vertices
            # after reprojection: only floating-point rounding differs
            assert a["factors"][name] == pytest.approx(b["factors"][name], rel=1e-9, abs=1e-6)


def test_runs_are_stored_and_reproducible_byte_for_byte(filled, tmp_path):
    cfg = data.config(tmp_path, data.write_inputs(tmp_path))
    first = _run(filled, cfg)
    second = _run(filled, cfg)
    assert first["run"]["id"] != second["run"]["id"]
    for out in (first, second):
        out["run"].pop("id"), out["run"].pop("time")
    assert json.dumps(first, sort_keys=True) == json.dumps(second, sort_keys=True)
    run = first["run"]
    assert set(run["inputs"]) >= {"population", "landcover", "points", "lines", "database"}
    assert len(run["inputs"]["population"]["sha256"]) == 64
    assert run["code_version"]["clearground"] and len(run["code_version"]["analysis_sha256"]) == 64
    assert run["configuration"]["weights"]["population_inside"] == 3.0
    assert "safe" not in json.dumps(first).lower()
    listed = filled("prioritise", "list", "--format", "json").json()
    assert len(listed) == 2 and listed[-1]["hazard_count"] == 9
    top = filled("prioritise", "show", listed[0]["id"], "--top", "3", "--format", "json").json()
    assert len(top["hazards"]) == 3
    table = filled("prioritise", "show", "latest", "--format", "table")
    assert table.code == 0 and "HA-" in table.out and "safe" not in table.out.lower()
    out_file = tmp_path / "priority.gpkg"
    done = filled("export", "--kind", "priority", "--run", "latest", out_file)
    assert done.code == 0, done.err
    import pyogrio

    meta = pyogrio.read_info(out_file)
    assert meta["features"] == 9 and "population_inside" in list(meta["fields"])
    _, _, geoms, fields = pyogrio.raw.read(out_file)
    assert list(fields[list(meta["fields"]).index("rank")]) == list(range(1, 10))
    assert all(g is not None for g in geoms)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("weights_text", "a weight must be a number"),
        ("unknown_weight", "unknown key"),
        ("unknown_code", "unknown class code 41"),
        ("no_crs", "has no CRS"),
        ("not_covering", "does not cover"),
        ("missing", "does not exist"),
        ("raster_code", "class code(s) 77"),
    ],
)
def test_bad_inputs_are_refused_and_nothing_is_stored(filled, tmp_path, change, fragment):
    inputs = data.write_inputs(tmp_path)
    cfg = data.config(tmp_path, inputs)
    text = cfg.read_text()
    from rasterio.transform import from_origin

    if change == "weights_text":
        text = text.replace("population_1km = 1.0", 'population_1km = "high"')
    elif change == "unknown_weight":
        text = text.replace("population_1km = 1.0", "population_1 = 1.0")
    elif change == "unknown_code":
        text = text.replace("cropland = [40]", "cropland = [40, 41]")
    elif change == "no_crs":
        data.write_raster(
            inputs["population"],
            data.population_array(),
            from_origin(*data.POP_ORIGIN, data.POP_RES, data.POP_RES),
            None,
        )
    elif change == "not_covering":
        data.write_raster(
            inputs["population"],
            data.population_array(),
            from_origin(20.0, 40.0, 0.005, 0.005),
            "EPSG:4326",
        )
    elif change == "missing":
        text = text.replace('lines = ["roads.geojson"]', 'lines = ["nowhere.gpkg"]')
    elif change == "raster_code":
        codes = data.landcover_array()
        codes[100:200, 100:300] = 77
        data.write_raster(
            inputs["landcover"],
            codes,
            from_origin(*data.LC_ORIGIN, data.LC_RES, data.LC_RES),
            "EPSG:4326",
            nodata=0,
        )
    cfg.write_text(text)
    s = open_store(filled.url)
    before = snapshot(s)
    done = filled("prioritise", "--config", cfg)
    assert done.code == 2, (done.out, done.err)
    assert fragment in done.err
    named = {
        "missing": "nowhere.gpkg",
        "no_crs": "population.tif",
        "not_covering": "population.tif",
        "raster_code": "landcover.tif",
    }.get(change, "prioritise.toml")
    assert named in done.err
    assert snapshot(s) == before
    s.close()


def test_hazards_in_batches_give_the_same_factors(filled, tmp_path, monkeypatch):
    cfg = data.config(tmp_path, data.write_inputs(tmp_path))
    whole = _run(filled, cfg)
    monkeypatch.setattr("clearground.services.prioritise._BATCH", 2)  # 5 batches of buffers
    batched = _run(filled, cfg)
    assert whole["hazards"] == batched["hazards"]
    # and summed in two worker processes
    monkeypatch.setattr("clearground.services.prioritise._PARALLEL_MIN", 0)
    cfg.write_text(cfg.read_text() + "workers = 2\n")
    parallel = _run(filled, cfg)
    assert parallel["hazards"] == whole["hazards"]
    assert parallel["run"]["configuration"]["run"]["workers"] == 2


def test_a_population_raster_in_utm_matches_the_reference_in_utm(filled, tmp_path):
    """A raster on a UTM 36N grid: the zones are reprojected to it (never the raster), and each
    population factor matches pixel-by-pixel sums over the zones projected there."""
    from pyproj import Transformer
    from rasterio.transform import from_origin

    inputs = data.write_inputs(tmp_path)
    origin, res = (270_000.0, 5_610_000.0), 400.0
    values = np.random.default_rng(9).gamma(2.0, 20.0, (250, 280))
    data.write_raster(inputs["population"], values, from_origin(*origin, res, res), "EPSG:32636")
    out = _run(filled, data.config(tmp_path, inputs, "population_inside = 1.0"))
    rows = {h["hazard_id"]: h["factors"] for h in out["hazards"]}
    utm = Transformer.from_crs("EPSG:4326", "EPSG:32636", always_xy=True)
    hz = [h for h in data.hazards() if h.status.value != "closed"]
    zones = buffers(np.array([h.geometry for h in hz], dtype=object), (1000.0, 5000.0))
    for i, h in enumerate(hz):
        for name, zone in (
            ("population_inside", h.geometry),
            ("population_1km", zones[1000.0][i]),
            ("population_5km", zones[5000.0][i]),
        ):
            local = data._apply(utm, data.densify(zone))
            want = data.ref_raster_sum(local, values, origin, res)
            assert rows[h.id][name] == pytest.approx(want, rel=1e-6), (h.id, name)


def test_export_of_a_run_needs_its_kind_and_run(filled, tmp_path):
    _run(filled, data.config(tmp_path, data.write_inputs(tmp_path)))
    out = tmp_path / "p.gpkg"
    assert filled("export", "--kind", "priority", out).code == 2
    assert filled("export", "--kind", "eo", "--run", "latest", out).code == 2
    assert filled("export", "--kind", "priority", "--run", "PR-999999", out).code == 4
    assert not out.exists()
