"""``clearground publish DIR``: the public view of the database as a static site, which any web
server or CDN serves with no clearground server behind it.

Everything in DIR comes from the public projection of a published site
(``projections.published_hazard_json``, ``projections.location_json``): no victims' data, no
internal notes, no free attributes, no authors. DIR holds the map's tiles (``hazards.pmtiles``,
``admin.pmtiles``: services.publish_tiles), ``hazards.fgb`` and ``coverage.fgb`` (FlatGeobuf with
a spatial index, from which the page answers a route or place check as ``clearground check``
does), ``admin_index.json`` (P-codes, names and extents, for the page's search),
``metadata.json``, the downloads (GeoJSON, GeoPackage, CSV with HXL tags, through the hazards
export) and the page (services.publish_site).

All or nothing: the site is built in a new folder beside DIR and renamed into place only when
every file is written; a failure removes that folder and leaves DIR as it was. A DIR that holds
anything but an earlier publish is refused, so that no other folder is ever replaced.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clearground import __version__
from clearground.domain.errors import BadInput
from clearground.domain.validation import UKRAINE, Region
from clearground.formats import Format, format_for_path
from clearground.formats.geojson_write import FAST_GEOJSON
from clearground.formats.writing import write_table
from clearground.services import check as check_service
from clearground.services import publish_site, publish_tiles
from clearground.services.coverage import covered_area
from clearground.services.hazard_records import hazard_table
from clearground.services.projections import (
    PUBLIC,
    location_json,
    published_hazard_json,
    published_tile_json,
)
from clearground.store.base import Store, Version, format_time

__all__ = ["DISTANCE_TOLERANCE_M", "DOWNLOADS", "TILE_FIELDS", "PublishReport", "publish"]

#: The properties of a hazard in the tiles: what the map draws by, and the id its card is
#: found by in ``hazards.fgb``.
TILE_FIELDS = ("id", "status", "classification")
#: The properties of a hazard in ``hazards.fgb``: what the check answers with, and the rest of
#: the card (area, admin P-code).
CHECK_FIELDS = ("id", "name", "status", "classification", "area_m2", "admin_pcode")
#: The downloads: file name in ``downloads/`` and its format's name.
DOWNLOADS = (
    ("hazards.geojson", "GeoJSON"),
    ("hazards.gpkg", "GeoPackage"),
    ("hazards.csv", "CSV with HXL tags"),
)
#: How far the page's distances may be from ``clearground check``'s, in metres: the page
#: measures as the check does (edges densified to 0.01 degree, the same azimuthal equidistant
#: projection, GeographicLib's geodesics as PROJ's), so the two agree to floating-point noise
#: and differ at most by the 0.1 m both round to (static/public/check.js).
DISTANCE_TOLERANCE_M = 0.1
#: What marks a folder as a published site (metadata.json ``generator``).
GENERATOR = "clearground publish"
TITLE = "Recorded explosive ordnance hazard areas"


@dataclass
class PublishReport:
    """What a publish wrote: the folder, how many hazards, each file's size, and how long."""

    dir: str
    hazards: int
    as_of: str
    files: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _refuse_target(target: Path) -> None:
    """DIR must be new, empty, or an earlier publish: never any other folder."""
    if target.exists() and not target.is_dir():
        raise BadInput(f"{target}: exists and is not a folder")
    if not target.is_dir() or not any(target.iterdir()):
        return
    meta = target / "metadata.json"
    try:
        earlier = json.loads(meta.read_text(encoding="utf-8")).get("generator", "")
    except (OSError, ValueError, AttributeError):
        earlier = ""
    if not str(earlier).startswith(GENERATOR):
        raise BadInput(
            f"{target}: the folder holds files that are not a clearground publish; "
            "give a new or empty folder, or one an earlier publish wrote"
        )


def _dtype(column: str) -> type:
    return float if column == "area_m2" else object


def _write_fgb(path: Path, geoms: np.ndarray, columns: dict[str, list[Any]], layer: str) -> None:
    import pyogrio

    pyogrio.raw.write(
        path,
        shapely.to_wkb(np.asarray(geoms, dtype=object)),
        [np.asarray(v, dtype=_dtype(k)) for k, v in columns.items()],
        list(columns),
        layer=layer,
        driver="FlatGeobuf",
        geometry_type="Unknown",
        crs="EPSG:4326",
        layer_options={"SPATIAL_INDEX": "YES"},
    )


def _download_format(name: str) -> Format:
    """The format of a download: GeoJSON by GEOS and orjson (what GDAL would write, in a
    fifth of the time), the others through GDAL as ``clearground export`` writes them."""
    if name.endswith(".geojson"):
        return FAST_GEOJSON
    return format_for_path(name, hxl=True)


def _bbox(geoms: np.ndarray, fallback: BaseBounds) -> list[float]:
    if len(geoms) == 0:
        return [round(float(x), 6) for x in fallback]
    b = shapely.total_bounds(geoms)
    return [round(float(x), 6) for x in b]


BaseBounds = tuple[float, float, float, float]


def _is_synthetic(rows: list[dict[str, Any]]) -> bool:
    from clearground.synthetic import LABEL

    return bool(rows) and all(str(r["name"]).startswith(LABEL) for r in rows)


def _metadata(
    *,
    as_of: str,
    published_at: str,
    publisher: str,
    coverage: str,
    no_hazards: bool,
    bbox: list[float],
    region: Region,
    hazards: int,
    languages: list[str],
    synthetic: bool,
) -> dict[str, Any]:
    return {
        "generator": f"{GENERATOR} {__version__}",
        "title": TITLE,
        "as_of": as_of,
        "published_at": published_at,
        "publisher": publisher,
        "coverage": "no hazard records at all" if no_hazards else coverage,
        "no_hazards": no_hazards,
        "bbox": bbox,
        # the operating region [minx, miny, maxx, maxy]: the page refuses a likely swapped
        # lat/lon as the check does (domain.validation.swapped_reason)
        "region": [float(x) for x in region.bounds],
        "hazards": hazards,
        "wording": check_service.UNRECORDED,
        "messages": dict(check_service.MESSAGES),
        "pieces_named": check_service.PIECES_NAMED,
        "distance_method": "geodesic distance on the WGS84 ellipsoid to the hazard polygon, "
        "edges straight in lon/lat (as the check densifies them), rounded to 0.1 m",
        "check_distance_method": "edges straight in lon/lat, densified to 0.01 degree (within "
        "0.03 m) before an azimuthal equidistant projection centred on the whole degree nearest "
        "the query; error below 0.003 % for a point, below 0.1 % within 500 km",
        "distance_tolerance_m": DISTANCE_TOLERANCE_M,
        "buffer_m": check_service.DEFAULT_BUFFER_M,
        "min_zoom": publish_tiles.MIN_ZOOM,
        "max_zoom": publish_tiles.MAX_ZOOM,
        "admin_max_zoom": publish_tiles.ADMIN_MAX_ZOOM,
        "min_polygon_px": publish_tiles.MIN_POLYGON_PX,
        "languages": languages,
        "synthetic": synthetic,
        **_messages_in(languages, "no hazard records at all" if no_hazards else coverage),
    }


def _messages_in(languages: list[str], coverage: str) -> dict[str, Any]:
    """``messages_<lang>``, ``coverage_<lang>`` and ``refusals_<lang>`` for each page language
    but English: the check's templates, the coverage text and the check's refusals (English
    template -> its translation, from the pages' catalogues), for check.js."""
    from clearground.web.pages.check_messages import coverage_text, refusals, templates

    out: dict[str, Any] = {}
    for lang in languages:
        if lang != "en":
            out[f"messages_{lang}"] = templates(lang)
            out[f"coverage_{lang}"] = coverage_text(coverage, lang)
            out[f"refusals_{lang}"] = refusals(lang)
    return out


def _build(
    work: Path,
    hazards: list[Version],
    places: list[Version],
    coverage_of: Callable[[], tuple[str, Any, bool]],
    *,
    as_of: str,
    languages: list[str],
    publisher: str,
    region: Region,
    report: PublishReport,
) -> None:
    """Write every file of the site into ``work`` (a new folder).

    The hazard tiles take most of the time (tippecanoe, on every core): they are started as soon
    as their input is written, and everything else (admin tiles, what the database covers,
    FlatGeobuf, downloads, the page, metadata.json) is made while they build. The hazards are
    projected once, for the tiles, the FlatGeobuf and every download."""
    tmp = work / ".build"
    tmp.mkdir()
    geoms = np.array([v.record.geometry for v in hazards], dtype=object)
    bounds = region.bounds
    centre = ((bounds[0] + bounds[2]) / 2, (bounds[1] + bounds[3]) / 2)
    builds = [
        publish_tiles.start_hazard_tiles(
            work / "hazards.pmtiles",
            tmp,
            geoms,
            [published_tile_json(v, PUBLIC) for v in hazards],
            centre,
        )
    ]
    try:
        rows = [published_hazard_json(v, PUBLIC) for v in hazards]
        admin = [location_json(v, PUBLIC) for v in places]
        admin_geoms = np.array([v.record.geometry for v in places], dtype=object)
        builds.append(
            publish_tiles.start_admin_tiles(
                work / "admin.pmtiles",
                tmp,
                admin_geoms,
                [{"pcode": a["pcode"], "name": a["name"], "level": a["level"]} for a in admin],
                centre,
            )
        )
        downloads = work / "downloads"
        downloads.mkdir()
        table = hazard_table(hazards, published=True, rows=rows)
        with ThreadPoolExecutor(max_workers=2) as pool:
            jobs = [
                pool.submit(
                    write_table,
                    _download_format(name),
                    downloads / name,
                    table,
                    layer="hazard_areas",
                )
                for name, _ in DOWNLOADS
            ]
            _write_fgb(
                work / "hazards.fgb",
                geoms,
                {k: [r[k] for r in rows] for k in CHECK_FIELDS},
                "hazards",
            )
            coverage = coverage_of()
            what, covered, no_hazards = coverage
            parts = shapely.get_parts(covered) if not covered.is_empty else np.zeros(0, object)
            _write_fgb(work / "coverage.fgb", parts, {"what": [what] * len(parts)}, "coverage")
            index = [
                {**a, "bbox": [round(float(x), 6) for x in g.bounds]}
                for a, g in zip(admin, admin_geoms, strict=True)
            ]
            (work / "admin_index.json").write_bytes(
                json.dumps(index, ensure_ascii=False).encode("utf-8")
            )
            for job in jobs:
                job.result()
        # the page and metadata.json need nothing of the tiles: written while they build, so
        # that a publish ends as soon as tippecanoe does
        published_at = format_time(datetime.now(UTC))
        listed = [
            {"file": f"downloads/{name}", "format": fmt, "size": (downloads / name).stat().st_size}
            for name, fmt in DOWNLOADS
        ]
        meta = _metadata(
            as_of=as_of,
            published_at=published_at,
            publisher=publisher,
            coverage=coverage[0],
            no_hazards=coverage[2],
            bbox=_bbox(geoms, bounds),
            region=region,
            hazards=len(rows),
            languages=languages,
            synthetic=_is_synthetic(rows),
        )
        meta["downloads"] = listed
        title = TITLE + (" (SYNTHETIC demo data)" if meta["synthetic"] else "")
        meta["title"] = title
        context = {
            "languages": languages,
            "default_language": languages[0],
            "as_of": as_of,
            "title": title,
        }
        if publish_site.render_index(work / "index.html", context):
            publish_site.copy_assets(work / "assets")
        else:
            report.notes.append("this clearground has no public page template: no index.html")
        (work / "metadata.json").write_text(
            json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        for build in builds:
            build.wait()
    finally:
        for build in builds:
            build.kill()
    shutil.rmtree(tmp)


def publish(
    store: Store,
    target: str | Path,
    *,
    as_of: str | None = None,
    languages: list[str] | None = None,
    publisher: str = "",
    region: Region = UKRAINE,
) -> PublishReport:
    """Write the public site of ``store`` (now, or as of a time) into ``target``, all or
    nothing; return what was written."""
    started = time.perf_counter()
    languages = languages or publish_site.parse_languages(None)
    target = Path(target).absolute()
    _refuse_target(target)
    when = as_of or format_time(datetime.now(UTC))
    hazards = store.list("hazard", as_of=as_of)
    places = store.list("location", as_of=as_of)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.publish-", dir=target.parent))
    work.chmod(0o755)  # mkdtemp makes it private; a web server must read the site
    report = PublishReport(str(target), len(hazards), when)
    try:
        _build(
            work,
            hazards,
            places,
            lambda: covered_area(store, region, as_of=as_of),
            as_of=when,
            languages=languages,
            publisher=publisher,
            region=region,
            report=report,
        )
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
            target.rename(old / "site")
        try:
            work.rename(target)
        except BaseException:
            if old is not None:
                (old / "site").rename(target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    report.files = {
        str(p.relative_to(target)): p.stat().st_size
        for p in sorted(target.rglob("*"))
        if p.is_file() and "assets" not in p.relative_to(target).parts
    }
    report.seconds = time.perf_counter() - started
    return report
