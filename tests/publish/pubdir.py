"""A published directory built for the page's tests without ``clearground publish``: the files
of the contract the page reads (hazards.fgb, coverage.fgb, metadata.json, admin.json, the two
PMTiles archives by tippecanoe, index.html and assets), from a database's current records.
Used only where the ``publish`` command is not there (``conftest.published`` prefers it).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyogrio
import shapely

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "src" / "clearground" / "web"


def _tippecanoe() -> str:
    exe = Path(sys.executable).with_name("tippecanoe")
    return str(exe) if exe.exists() else "tippecanoe"


def _geojson(path: Path, geoms, props: list[dict]) -> None:
    features = [
        {"type": "Feature", "properties": p, "geometry": shapely.geometry.mapping(g)}
        for g, p in zip(geoms, props, strict=True)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))


def build(url: str, out: Path) -> Path:
    """Write the contract's files for the database at ``url`` into ``out``."""
    from clearground.config import load_settings
    from clearground.services.check import MESSAGES
    from clearground.services.coverage import coverage_of
    from clearground.store import open_store
    from clearground.web.public_page import render_index

    out.mkdir(parents=True, exist_ok=True)
    settings = load_settings(None, db=url, author="tester")
    region = settings.operating_region
    store = open_store(url, require_schema=True)
    try:
        hazards = store.list("hazard")
        admin = store.list("location")
        areas = store.list("coverage")
        cov = coverage_of(store, shapely.Point(-179, -89), region)
    finally:
        store.close()
    box = shapely.box(*region.bounds)
    if areas:
        covered = shapely.intersection(shapely.union_all([v.record.geometry for v in areas]), box)
    elif admin:
        covered = shapely.intersection(shapely.union_all([v.record.geometry for v in admin]), box)
    else:
        covered = box
    geoms = np.array([v.record.geometry for v in hazards], dtype=object)
    props = [
        {
            "id": v.record.id,
            "name": v.record.name,
            "status": str(v.record.status),
            "classification": str(v.record.classification),
        }
        for v in hazards
    ]
    columns = {k: np.array([p[k] for p in props], dtype=object) for k in props[0]}
    pyogrio.raw.write(
        str(out / "hazards.fgb"), shapely.to_wkb(geoms), list(columns.values()),
        list(columns), driver="FlatGeobuf", geometry_type="Unknown", crs="EPSG:4326",
    )
    cover_parts = shapely.get_parts(covered)
    pyogrio.raw.write(
        str(out / "coverage.fgb"), shapely.to_wkb(cover_parts),
        [np.array([cov.what] * len(cover_parts), dtype=object)], ["what"],
        driver="FlatGeobuf", geometry_type="Unknown", crs="EPSG:4326",
    )
    tiles_props = [
        {**p, "area_m2": round(v.record.area_m2, 2), "admin_pcode": v.record.admin_pcode}
        for p, v in zip(props, hazards, strict=True)
    ]
    _geojson(out / "hazards.geojson", geoms, tiles_props)
    _geojson(
        out / "admin.geojson",
        [v.record.geometry for v in admin],
        [{"pcode": v.record.id, "name": v.record.name, "level": v.record.level} for v in admin],
    )
    for name, layer in (("hazards", "hazards"), ("admin", "admin")):
        subprocess.run(
            [_tippecanoe(), "-q", "-f", "-o", str(out / f"{name}.pmtiles"), "-l", layer,
             "-Z4", "-z14", "--no-feature-limit", "--no-tile-size-limit", "--no-line-simplification",
             "--no-tiny-polygon-reduction", str(out / f"{name}.geojson")],
            check=True,
        )
    (out / "admin.json").write_text(json.dumps([
        {"pcode": v.record.id, "name": v.record.name, "level": v.record.level,
         "bbox": [round(x, 6) for x in v.record.geometry.bounds]}
        for v in admin
    ]))
    xy = shapely.get_coordinates(geoms)
    metadata = {
        "title": "SYNTHETIC hazards (test)",
        "as_of": None,
        "published_at": "2026-01-01T00:00:00Z",
        "publisher": "tester",
        "coverage": cov.what,
        "bbox": [float(xy[:, 0].min()), float(xy[:, 1].min()), float(xy[:, 0].max()),
                 float(xy[:, 1].max())],
        "region": list(region.bounds),
        "hazards": len(hazards),
        "wording": "Unrecorded hazards may exist.",
        "messages": MESSAGES,
        "distance_method": "edges straight in lon/lat, densified to 0.01 degree",
        "distance_tolerance_m": 0.1,
        "buffer_m": 200.0,
        "downloads": [{"file": "downloads/hazards.geojson", "format": "GeoJSON", "size": 0}],
        "languages": ["uk", "en"],
        "synthetic": True,
    }
    (out / "metadata.json").write_text(json.dumps(metadata))
    assets = out / "assets"
    shutil.copytree(WEB / "static" / "public", assets, dirs_exist_ok=True)
    for package in ("maplibre-gl", "pmtiles", "flatgeobuf", "geographiclib-geodesic",
                    "terra-draw", "terra-draw-maplibre-gl-adapter"):
        shutil.copytree(WEB / "static" / "vendor" / package, assets / "vendor" / package,
                        dirs_exist_ok=True)
    (out / "downloads").mkdir(exist_ok=True)
    shutil.copy(out / "hazards.geojson", out / "downloads" / "hazards.geojson")
    (out / "index.html").write_text(
        render_index(languages=["uk", "en"], default_language="en", as_of=None,
                     title=metadata["title"]),
        encoding="utf-8",
    )
    return out
