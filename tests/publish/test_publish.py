"""``clearground publish DIR``: every file is there and valid, every hazard is in the tiles at
every zoom 4..14 (as a polygon, or a point where it is too small to draw), nothing personal or
internal is in any file, ``--as-of`` publishes a past state, a failed publish leaves DIR as it
was, and bad options are refused with exit 2."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import mapbox_vector_tile
import numpy as np
import pyogrio
import pytest
import shapely
from pmtiles.reader import MmapSource, Reader
from pmtiles.tile import Compression

from clearground.services import check as check_service
from clearground.services import publish_tiles
from clearground.services.projections import PUBLIC, published_hazard_json, published_tile_json
from clearground.services.publish import TILE_FIELDS
from clearground.store import open_store
from tests.publish.conftest import AUTHOR, KYIV, run_cli

CONTRACT_KEYS = (
    "title",
    "as_of",
    "published_at",
    "publisher",
    "coverage",
    "bbox",
    "region",
    "hazards",
    "wording",
    "messages",
    "distance_method",
    "distance_tolerance_m",
    "buffer_m",
    "downloads",
    "languages",
    "synthetic",
)


class Tiles:
    """A PMTiles archive, read with the ``pmtiles`` package, tiles decoded as MVT."""

    def __init__(self, path: Path):
        self._fh = path.open("rb")
        self.reader = Reader(MmapSource(self._fh))
        self.header = self.reader.header()
        self._cache: dict[tuple[int, int, int], dict] = {}

    def raw(self, z: int, x: int, y: int) -> bytes:
        data = self.reader.get(z, x, y)
        if data and self.header["tile_compression"] == Compression.GZIP:
            data = gzip.decompress(data)
        return data or b""

    def layers(self, z: int, x: int, y: int) -> dict:
        key = (z, x, y)
        if key not in self._cache:
            self._cache[key] = mapbox_vector_tile.decode(self.raw(z, x, y))
        return self._cache[key]

    def ids(self, layer: str, z: int, x: int, y: int) -> set[str]:
        found = self.layers(z, x, y).get(layer, {"features": []})
        return {f["properties"]["id"] for f in found["features"]}


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    x = int((lon + 180) / 360 * n)
    lat_r = np.radians(lat)
    y = int((1 - np.log(np.tan(lat_r) + 1 / np.cos(lat_r)) / np.pi) / 2 * n)
    return x, y


def hazards_of(db: str, as_of: str | None = None):
    s = open_store(db)
    try:
        return s.list("hazard", as_of=as_of)
    finally:
        s.close()


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def everything_in(path: Path) -> str:
    """Every byte of a file as text; a PMTiles archive's tiles decompressed; a GeoPackage's
    every table cell; a readable vector file's every value (pyogrio)."""
    parts = [path.read_bytes().decode("utf-8", "replace")]
    if path.suffix == ".pmtiles":
        from pmtiles.reader import all_tiles

        with path.open("rb") as fh:
            for _, data in all_tiles(MmapSource(fh)):
                parts.append(gzip.decompress(data).decode("utf-8", "replace"))
    if path.suffix == ".gpkg":
        con = sqlite3.connect(path)
        for (table,) in con.execute("SELECT name FROM sqlite_master WHERE type='table'"):
            rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            parts.append(json.dumps(rows, default=_text))
        con.close()
    if path.suffix in (".fgb", ".geojson", ".gpkg", ".csv"):
        for layer, _ in pyogrio.list_layers(path):
            meta, _, _, fields = pyogrio.raw.read(path, layer=layer)
            values = [list(meta["fields"]), *(f.tolist() for f in fields)]
            parts.append(json.dumps(values, default=str))
    return "\n".join(parts)


def test_every_file_is_written_and_valid(published):
    d = published.dir
    for name in (
        "hazards.pmtiles",
        "admin.pmtiles",
        "hazards.fgb",
        "coverage.fgb",
        "metadata.json",
        "admin_index.json",
        "downloads/hazards.geojson",
        "downloads/hazards.gpkg",
        "downloads/hazards.csv",
    ):
        assert (d / name).is_file() and (d / name).stat().st_size > 0, name
    current = hazards_of(published.db)
    ids = sorted(v.id for v in current)
    # hazards.fgb: the check's polygons with a spatial index, read back by GDAL
    info = pyogrio.read_info(d / "hazards.fgb")
    assert info["features"] == len(current) and info["capabilities"]["fast_spatial_filter"]
    # what the check answers with, and the rest of the card (the tiles carry id, status and
    # classification only)
    fields_ = {"id", "name", "status", "classification", "area_m2", "admin_pcode"}
    assert set(info["fields"]) == fields_
    assert dict(zip(info["fields"], info["dtypes"], strict=True))["area_m2"] == "float64"
    meta, _, wkb, fields = pyogrio.raw.read(d / "hazards.fgb")
    by_id = {v.id: v for v in current}
    assert sorted(fields[0].tolist()) == ids
    for i, hid in enumerate(fields[0]):
        h = by_id[hid].record
        assert shapely.equals_exact(shapely.from_wkb(wkb[i]), h.geometry, 1e-9)
        assert [fields[k][i] for k in (1, 2, 3)] == [h.name, str(h.status), str(h.classification)]
        assert [fields[4][i], fields[5][i]] == [round(h.area_m2, 2), h.admin_pcode]
    # the downloads: every current hazard, without notes or free attributes
    for name in ("hazards.geojson", "hazards.gpkg"):
        info = pyogrio.read_info(d / "downloads" / name)
        assert info["features"] == len(current), name
        assert "notes" not in info["fields"] and "informant" not in info["fields"], name
    csv = (d / "downloads" / "hazards.csv").read_text(encoding="utf-8-sig").splitlines()
    assert csv[0].split(",")[:2] == ["id", "name"] and csv[1].startswith("#")
    assert len(csv) == 2 + len(current)
    # the tiles' headers and layers
    t = Tiles(d / "hazards.pmtiles")
    assert (t.header["min_zoom"], t.header["max_zoom"]) == (4, 14)
    layers = {x["id"] for x in t.reader.metadata()["vector_layers"]}
    assert layers == {"hazards", "hazard_points"}
    a = Tiles(d / "admin.pmtiles")
    assert (a.header["min_zoom"], a.header["max_zoom"]) == (4, publish_tiles.ADMIN_MAX_ZOOM)
    assert {x["id"] for x in a.reader.metadata()["vector_layers"]} == {"admin"}
    x, y = tile_of(*KYIV, 8)
    admin = a.layers(8, x, y)["admin"]["features"]
    assert admin and set(admin[0]["properties"]) == {"pcode", "name", "level"}


def test_every_hazard_at_every_zoom(published):
    """Each hazard is in the tile holding its representative point at every zoom 4..14: in
    ``hazard_points`` below the zoom its polygon is big enough to draw at, in ``hazards`` from
    there on (and a point too where it is never big enough)."""
    current = hazards_of(published.db)
    geoms = np.array([v.record.geometry for v in current], dtype=object)
    first = publish_tiles.polygon_min_zooms(geoms)
    points = publish_tiles.representative_points(geoms)
    assert (first <= 14).any() and (first > 14).any() and (first > 4).all()
    tiles = Tiles(published.dir / "hazards.pmtiles")
    seen_props = None
    for v, z0, p in zip(current, first, points, strict=True):
        for z in range(4, 15):
            x, y = tile_of(p.x, p.y, z)
            polys, pts = tiles.ids("hazards", z, x, y), tiles.ids("hazard_points", z, x, y)
            assert v.id in polys | pts, (v.id, z)
            assert (v.id in polys) == (z >= min(z0, 14)), (v.id, z, z0)
            assert (v.id in pts) == (z < z0), (v.id, z, z0)
        feats = tiles.layers(14, x, y)["hazards"]["features"]
        seen_props = next(f["properties"] for f in feats if f["properties"]["id"] == v.id)
        assert seen_props["status"] == str(v.record.status)
    assert set(seen_props) == {"id", "status", "classification"}
    # the tiles' properties are the public JSON's, key for key
    for v in current:
        public = published_hazard_json(v, PUBLIC)
        assert published_tile_json(v, PUBLIC) == {k: public[k] for k in TILE_FIELDS}


@pytest.mark.filterwarnings("ignore:Invalid value type:RuntimeWarning")  # the CSV's HXL row
def test_no_personal_data_or_notes_in_any_file(published):
    files = [p for p in published.dir.rglob("*") if p.is_file()]
    assert len(files) >= 9
    for path in files:
        text = everything_in(path).lower()
        leaked = [n for n in published.needles if n.lower() in text]
        assert not leaked, (path, leaked)
    # the needles are in the database, so the sweep could find them
    s = open_store(published.db)
    held = json.dumps(s.raw_versions("victim_personal"), default=str) + json.dumps(
        [v.record.notes for v in s.list("hazard")]
    )
    s.close()
    assert "Quaggamire" in held and "Frumiousnote" in held


def test_metadata_and_coverage(published):
    from clearground.web.pages.check_messages import coverage_text, refusals
    from clearground.web.pages.check_messages import templates as check_templates

    meta = json.loads((published.dir / "metadata.json").read_text(encoding="utf-8"))
    assert set(CONTRACT_KEYS) <= set(meta)
    assert meta["messages"] == check_service.MESSAGES
    # the page's check words its message in Ukrainian from these (static/public/check.js)
    assert meta["messages_uk"] == check_templates("uk") and meta["messages_uk"] != meta["messages"]
    assert meta["coverage_uk"] == coverage_text(meta["coverage"], "uk") != meta["coverage"]
    # and its refusals (a likely swapped lat/lon, the antimeridian, ...): English -> Ukrainian
    assert meta["refusals_uk"] == refusals("uk") and len(meta["refusals_uk"]) >= 8
    assert meta["wording"] == "Unrecorded hazards may exist."
    assert meta["hazards"] == len(hazards_of(published.db)) and meta["synthetic"] is True
    assert meta["publisher"] == AUTHOR and meta["languages"] == ["uk", "en"]
    assert meta["buffer_m"] == 200.0 and meta["distance_tolerance_m"] == 0.1
    assert meta["region"] == [22.0, 44.0, 40.5, 52.5]  # the operating region (the default)
    for item in meta["downloads"]:
        assert (published.dir / item["file"]).stat().st_size == item["size"]
    assert {i["format"] for i in meta["downloads"]} >= {"GeoJSON", "GeoPackage"}
    # coverage.fgb answers as the check does: inside it the check is covered, with its text
    _, _, wkb, fields = pyogrio.raw.read(published.dir / "coverage.fgb")
    covered = shapely.union_all(shapely.from_wkb(wkb))
    point = shapely.Point(KYIV)
    assert covered.covers(point) and not covered.covers(shapely.Point(10, 10))
    answer = check_json(published, "--point", f"{KYIV[0]},{KYIV[1]}")
    assert answer["covered"] is True
    assert set(fields[0]) == {answer["coverage"]} == {meta["coverage"]}


def check_json(published, *args: str) -> dict:
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert run_cli("--db", published.db, "check", *args, "--format", "json") == 0
    return json.loads(out.getvalue())


def test_as_of_publishes_the_past(published, tmp_path):
    site = tmp_path / "past"
    assert run_cli("--db", published.db, "publish", site, "--as-of", published.before_cluster) == 0
    meta = json.loads((site / "metadata.json").read_text(encoding="utf-8"))
    past = hazards_of(published.db, as_of=published.before_cluster)
    assert meta["as_of"] == published.before_cluster and meta["hazards"] == len(past) == 40
    _, _, _, fields = pyogrio.raw.read(site / "hazards.fgb")
    assert not set(fields[0]) & set(published.cluster_ids)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_a_failed_publish_leaves_dir_as_it_was(published, tmp_path, monkeypatch, capsys):
    site = tmp_path / "site"
    assert run_cli("--db", published.db, "publish", site) == 0
    before = _snapshot(site)
    # tippecanoe fails (a real program that exits 1): nothing is replaced, nothing is left
    monkeypatch.setattr(publish_tiles, "tippecanoe_program", lambda: "/bin/false")
    capsys.readouterr()
    assert run_cli("--db", published.db, "publish", site) == 5
    assert "tippecanoe failed" in capsys.readouterr().err
    assert _snapshot(site) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["site"]


def test_refuses_a_folder_it_did_not_write(published, tmp_path, capsys):
    other = tmp_path / "mine"
    other.mkdir()
    (other / "thesis.txt").write_text("SYNTHETIC mine", encoding="utf-8")
    capsys.readouterr()
    assert run_cli("--db", published.db, "publish", other) == 2
    assert "not a clearground publish" in capsys.readouterr().err
    assert sorted(p.name for p in other.iterdir()) == ["thesis.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine"]


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("--languages", "fr"), "no catalogue for fr"),
        (("--languages", ""), "separated by commas"),
        (("--languages", "uk,,en"), "separated by commas"),
        (("--languages", "uk,UK"), "named twice"),
        (("--as-of", "yesterday"), "not an ISO 8601"),
    ],
)
def test_bad_options(published, tmp_path, capsys, args, said):
    capsys.readouterr()
    assert run_cli("--db", published.db, "publish", tmp_path / "site", *args) == 2
    assert said in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_file_is_not_a_folder(published, tmp_path, capsys):
    path = tmp_path / "site"
    path.write_text("x", encoding="utf-8")
    assert run_cli("--db", published.db, "publish", path) == 2
    assert "is not a folder" in capsys.readouterr().err


def test_an_empty_database_publishes_no_hazard_and_no_coverage(tmp_path):
    db = f"sqlite:///{tmp_path / 'empty.db'}"
    assert run_cli("--db", db, "init") == 0
    assert run_cli("--db", db, "publish", tmp_path / "site", "--languages", "en") == 0
    meta = json.loads((tmp_path / "site" / "metadata.json").read_text(encoding="utf-8"))
    assert meta["hazards"] == 0 and meta["no_hazards"] is True
    assert meta["coverage"] == "no hazard records at all" and meta["synthetic"] is False
    assert meta["languages"] == ["en"]
    t = Tiles(tmp_path / "site" / "hazards.pmtiles")
    assert (t.header["min_zoom"], t.header["max_zoom"]) == (4, 14)
