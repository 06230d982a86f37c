"""Which land to survey and clear first: the prioritisation run a national authority makes.

Reads the configuration (``services.prioritise_config``), the open hazards (active, in progress,
reopened: closed and handed-over land is not ranked), the accidents and EO finds of the 24
months before the run date, and the input files; computes every factor
(``analysis.prioritise``, ``analysis.zonal``) and stores the run as one versioned record, in one
transaction. Everything is checked before anything is stored: a bad input stores nothing.

The ranking says where survey and clearance would do most good by the factors chosen; it never
says that land is without hazard.
"""

from __future__ import annotations

import hashlib
import inspect
import math
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clearground.domain.errors import BadInput, NotFound
from clearground.domain.landrelease import polygonal_array
from clearground.domain.priority import FACTORS, OPEN_STATUSES, PriorityRun
from clearground.services.prioritise_config import PrioritiseConfig, VectorInput, load_config
from clearground.store.base import Store

__all__ = ["MEANING", "code_version", "find_run", "prioritise", "runs"]

KIND = "priority_run"
#: What a ranking means, shown with every run.
MEANING = (
    "Ranks open hazards by where survey and clearance would do most good, by the weighted "
    "factors shown. It says nothing of land being free of explosive ordnance: every hazard "
    "stays recorded until released by survey or clearance, and unrecorded hazards may exist."
)
_WINDOW_MONTHS = 24
_EVIDENCE_M = 2000.0
#: Hazards whose buffers are built and summarised at once (bounds the memory a run takes: at
#: national scale a batch's rows of the raster then fit one window of the zonal sums).
_BATCH = 5_000
#: Fewer hazards than this are summarised in this process (worker processes take a second to
#: start).
_PARALLEL_MIN = 5_000


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _file_entry(path: Path, given: str, layer: str | None = None) -> dict[str, Any]:
    """A file's checksum entry; a Shapefile's sidecar files are checksummed with it."""
    entry: dict[str, Any] = {"file": given, "sha256": _sha256(path)}
    if layer:
        entry["layer"] = layer
    if path.suffix.lower() == ".shp":
        entry["sidecars"] = {
            p.suffix.lower(): _sha256(p)
            for p in sorted(path.parent.glob(path.stem + ".*"))
            if p != path and p.suffix.lower() in (".dbf", ".shx", ".prj", ".cpg")
        }
    return entry


def code_version() -> dict[str, str]:
    """clearground's version and a hash of the analysis code that computes the ranking."""
    import exactextract

    from clearground import __version__
    from clearground.analysis import edge_sum, zonal
    from clearground.analysis import prioritise as factors
    from clearground.services import prioritise_config

    h = hashlib.sha256()
    for module in (factors, zonal, edge_sum, prioritise_config):
        h.update(inspect.getsource(module).encode())
    h.update(inspect.getsource(_compute).encode())
    return {
        "clearground": __version__,
        "analysis_sha256": h.hexdigest(),
        "exactextract": str(getattr(exactextract, "__version__", "")),
    }


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    m += 1
    for day in (d.day, 30, 29, 28):
        try:
            return date(y, m, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _recent_points(store: Store, kind: str, start: date, end: date) -> tuple[np.ndarray, list]:
    """Points of ``kind`` (accident, eo) dated after ``start`` up to ``end`` inclusive."""
    versions = [v for v in store.list(kind) if start < v.record.date <= end]
    geoms = np.array([v.record.geometry for v in versions], dtype=object)
    return geoms, [(v.id, v.version) for v in versions]


def _vector_parts(inp: VectorInput, want: tuple[int, ...], what: str) -> np.ndarray:
    """The point (or line) parts of a vector file, lon/lat; any other geometry is refused."""
    from clearground.services.common import read_features

    table = read_features(inp.path, layer=inp.layer, format_name=None)
    if table.problems:
        i = min(table.problems)
        raise BadInput(f"{table.where(i)}: {table.problems[i]}")
    geoms = np.asarray(table.geometries, dtype=object)
    missing = np.flatnonzero(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if len(missing):
        raise BadInput(f"{table.where(int(missing[0]))}: no geometry")
    parts, owner = shapely.get_parts(geoms, return_index=True)
    wrong = ~np.isin(shapely.get_type_id(parts), want)
    if wrong.any():
        i = int(owner[np.flatnonzero(wrong)[0]])
        raise BadInput(
            f"{table.where(i)}: a {geoms[i].geom_type} in a {what} layer (only {what}s here)"
        )
    return parts


def _refuse_uncovered(zones_r, info, ids, what: str) -> None:
    from clearground.analysis.zonal import uncovered

    out = uncovered(zones_r, info)
    if len(out):
        named = ", ".join(ids[i] for i in out[:5]) + (" ..." if len(out) > 5 else "")
        raise BadInput(
            f"{info.path}: the {what} raster does not cover {len(out)} hazard(s) ({named}): "
            "it must cover every hazard ranked"
        )


def _compute(
    cfg: PrioritiseConfig,
    ids: list[str],
    hazards: np.ndarray,
    accidents: np.ndarray,
    finds: np.ndarray,
    vectors: Callable[[], tuple[np.ndarray, np.ndarray]],
    notes: list[str],
    timings: dict[str, float],
) -> dict[str, np.ndarray]:
    """Every factor of every hazard (arrays in hazard order); ``timings`` gets each step's
    seconds (the benchmark prints them). ``vectors`` reads the point and line files: once the
    first batch is being summed.

    The population zones are summed in worker processes batch by batch, while this process
    builds the next batch's buffers and, once every worker is busy, the factors that need no
    buffer (land cover, points inside, roads)."""
    from clearground.analysis import batches as analysis_batches
    from clearground.analysis import prioritise as pa
    from clearground.analysis import zonal
    from clearground.domain.areas import densify, geodesic_areas

    clock = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        timings[step] = timings.get(step, 0.0) + now - clock[0]
        clock[0] = now

    n = len(hazards)
    f: dict[str, np.ndarray] = {name: np.zeros(n) for name in FACTORS}
    pop = land = None
    if cfg.population is not None:  # both rasters checked before any long work
        pop = zonal.raster_info(cfg.population, "population")
        pop_inside = zonal.to_raster_crs(hazards, pop)
        _refuse_uncovered(pop_inside, pop, ids, "population")
    if cfg.landcover is not None:
        land = zonal.raster_info(cfg.landcover, "land cover")
        land_inside = zonal.to_raster_crs(hazards, land)
        _refuse_uncovered(land_inside, land, ids, "land cover")
    lap("population")

    read: list = []

    def infrastructure() -> tuple[np.ndarray, np.ndarray, shapely.STRtree]:
        if not read:
            points, lines = vectors()
            read.extend((points, lines, shapely.STRtree(points)))
            lap("read database and files")
        return read[0], read[1], read[2]

    def unbuffered() -> None:
        points, lines, _ = infrastructure()
        if land is not None:
            share = zonal.class_cover(
                land,
                land_inside,
                {"cropland": cfg.cropland, "built_up": cfg.built_up},
                cfg.classes,
                max_cells=cfg.max_cells_in_memory,
            )
            area = geodesic_areas(hazards)
            f["cropland_m2"], f["built_up_m2"] = share["cropland"] * area, share["built_up"] * area
            lap("landcover")
        f["points_inside"] = pa.count_in(hazards, points)
        lap("points")
        dense_lines = densify(lines)
        f["roads_inside_m"] = pa.length_inside_m(hazards, dense_lines)
        f["road_nearest_m"] = pa.nearest_m(hazards, dense_lines)
        lap("roads")

    evidence_trees = (shapely.STRtree(accidents), shapely.STRtree(finds))
    # only hazards with an accident or find nearby need their 2 km buffer built
    evidence_near = pa.may_be_within(hazards, evidence_trees, _EVIDENCE_M)
    lap("accidents and finds")
    # The buffers, in batches of hazards from south to north: each batch's zones are built, used
    # and dropped (memory stays bounded), and each pass reads only its own rows of the raster
    # (the sums read it in strips of whole rows).
    south_north = np.argsort(shapely.bounds(hazards)[:, 1], kind="stable")
    partial: set[int] = set()
    workers = cfg.workers if n >= _PARALLEL_MIN else 1
    count = workers * max(1, -(-n // (_BATCH * workers)))  # every worker busy to the last round
    todo = [unbuffered]
    first_submit = 0.0

    def near_points(batch: np.ndarray, zones_1km: np.ndarray) -> None:
        points, _, point_tree = infrastructure()
        f["points_1km"][batch] = pa.count_in(zones_1km, points, tree=point_tree)
        lap("points")

    def summed(batch: np.ndarray, got) -> None:  # a worker's batch is done
        sums, zones_1km, reach = got
        k = len(batch)
        f["population_inside"][batch] = sums[:k]
        f["population_1km"][batch] = sums[k : 2 * k]
        f["population_5km"][batch] = sums[2 * k :]
        partial.update(batch[reach].tolist())
        lap("population")
        near_points(batch, zones_1km)

    with analysis_batches.Batches(summed, workers=workers) as run:
        for i, batch in enumerate(np.array_split(south_north, count)):
            if pop is not None:  # the buffers are built, summed and counted by the workers
                first_submit = first_submit or time.perf_counter()
                args = (pop, hazards[batch], pop_inside[batch], cfg.max_cells_in_memory)
                run.submit(batch, pa.around_sums, *args)
                lap("population")
            else:
                zones = pa.buffers(hazards[batch], (1000.0,))
                lap("buffers")
                near_points(batch, zones[1000.0])
                del zones
            near = batch[evidence_near[batch]]
            if len(near):
                zones = pa.buffers(hazards[near], (_EVIDENCE_M,))[_EVIDENCE_M]
                lap("buffers")
                f["accidents_2km"][near] = pa.count_in(zones, accidents, evidence_trees[0])
                f["finds_2km"][near] = pa.count_in(zones, finds, evidence_trees[1])
                del zones
                lap("accidents and finds")
            if todo and i + 1 >= workers:  # every worker has a batch: this process is free
                todo.pop()()
        if todo:
            todo.pop()()
        run.finish()
        lap("population")
    if first_submit:  # the raster part from its first batch to its last sum, overlapped
        timings["population elapsed"] = time.perf_counter() - first_submit
    if partial:
        notes.append(
            f"{cfg.population.name}: for {len(partial)} hazard(s) the 1 km or 5 km buffer reaches "
            "beyond the population raster; only the part it covers is counted"
        )
    return f


def _value(name: str, v: float) -> float | int | None:
    if name in ("points_inside", "points_1km", "accidents_2km", "finds_2km"):
        return int(v)
    if not math.isfinite(v):
        return None
    return round(float(v), 6)


def prioritise(
    store: Store, config: str | Path, *, author: str, timings: dict[str, float] | None = None
) -> PriorityRun:
    """Compute and store one prioritisation run; return it. Nothing is stored on any error."""
    timings = {} if timings is None else timings
    started = time.perf_counter()
    cfg = load_config(config)
    # the files' checksums are read beside the work (hashlib lets other threads run)
    hashing = ThreadPoolExecutor(1)
    try:
        files = hashing.submit(_files, cfg)
        return _prioritise(store, cfg, files, author, timings, started)
    finally:
        hashing.shutdown(wait=False, cancel_futures=True)


def _prioritise(
    store: Store,
    cfg: PrioritiseConfig,
    files: Future,
    author: str,
    timings: dict[str, float],
    started: float,
) -> PriorityRun:
    """The run itself (``files``: the input files' checksums, being read)."""
    open_versions = sorted(
        (v for v in store.list("hazard") if str(v.record.status) in OPEN_STATUSES),
        key=lambda v: v.id,
    )
    if not open_versions:
        raise BadInput("no open hazard (active, in progress or reopened) to rank")
    ids = [v.id for v in open_versions]
    hazards = polygonal_array(np.array([v.record.geometry for v in open_versions], dtype=object))
    hazards_used = [(v.id, v.version) for v in open_versions]
    del open_versions  # the records are not needed any more: only ids, versions and geometries
    run_date = cfg.run_date or datetime.now(UTC).date()
    start = _months_before(run_date, _WINDOW_MONTHS)
    accidents, acc_used = _recent_points(store, "accident", start, run_date)
    finds, eo_used = _recent_points(store, "eo", start, run_date)
    empty = np.empty(0, dtype=object)

    def vectors() -> tuple[np.ndarray, np.ndarray]:
        points = [_vector_parts(p, (0,), "point") for p in cfg.points]
        lines = [_vector_parts(p, (1, 2), "line") for p in cfg.lines]
        return np.concatenate(points or [empty]), np.concatenate(lines or [empty])

    notes: list[str] = []
    timings["read database and files"] = time.perf_counter() - started
    f = _compute(cfg, ids, hazards, accidents, finds, vectors, notes, timings)
    started = time.perf_counter()
    inputs = _inputs(cfg, hazards_used, acc_used, eo_used, files.result())
    timings["checksums"] = time.perf_counter() - started
    started = time.perf_counter()
    from clearground.analysis import prioritise as pa

    norm = pa.normalise(f)
    scores, contributions = pa.score(norm, cfg.weights, len(ids))
    order = pa.rank(scores, ids)
    values = {name: [_value(name, v) for v in f[name].tolist()] for name in FACTORS}
    shares = {name: contributions[name].tolist() for name in FACTORS}
    totals = scores.tolist()
    ranked = [
        {
            "hazard_id": ids[i],
            "rank": r,
            "score": totals[i],
            "factors": {name: values[name][i] for name in FACTORS},
            "contributions": {name: shares[name][i] for name in FACTORS},
        }
        for r, i in enumerate(order.tolist(), start=1)
    ]
    extent = shapely.MultiPolygon([shapely.box(*shapely.total_bounds(hazards))])
    with store.transaction() as tx:
        (run_id,) = tx.next_ids(KIND, 1)
        run = PriorityRun(
            id=run_id,
            time=tx.time,
            run_date=run_date.isoformat(),
            inputs=inputs,
            configuration=cfg.as_dict(),
            code_version=code_version(),
            hazard_count=len(ranked),
            hazards=ranked,
            notes=notes,
            geometry=extent,
        )
        tx.insert(KIND, [run], author=author, reason=f"prioritisation run ({cfg.path.name})")
        tx.commit()
    timings["score and store"] = time.perf_counter() - started
    return run


def _files(cfg: PrioritiseConfig) -> dict[str, Any]:
    """Each input file with its sha256."""
    raw = cfg.raw.get("inputs", {})
    out: dict[str, Any] = {}
    if cfg.population is not None:
        out["population"] = _file_entry(cfg.population, raw["population"])
    if cfg.landcover is not None:
        out["landcover"] = _file_entry(cfg.landcover, raw["landcover"])
    out["points"] = [_file_entry(p.path, p.given, p.layer) for p in cfg.points]
    out["lines"] = [_file_entry(p.path, p.given, p.layer) for p in cfg.lines]
    return out


def _inputs(
    cfg: PrioritiseConfig, hazards: list, accidents: list, eo: list, files: dict | None = None
) -> dict[str, Any]:
    """Each input with its sha256: the files (``files``: already read), and the database
    records read (ids, versions)."""

    def records(pairs) -> dict[str, Any]:
        text = "\n".join(f"{i} {v}" for i, v in sorted(pairs))
        return {"count": len(pairs), "sha256": hashlib.sha256(text.encode()).hexdigest()}

    out = dict(_files(cfg) if files is None else files)
    out["database"] = {
        "hazards": records(hazards),
        "accidents": records(accidents),
        "eo": records(eo),
    }
    return out


def runs(store: Store) -> list:
    """Every stored run (versions), oldest first."""
    return sorted(store.list(KIND), key=lambda v: (v.record.time, v.id))


def find_run(store: Store, run: str):
    """The run named ``run`` (an id, or ``latest``), or ``NotFound``."""
    if run == "latest":
        every = runs(store)
        if not every:
            raise NotFound("no prioritisation run stored yet (run clearground prioritise)")
        return every[-1]
    v = store.get(KIND, run)
    if v is None or v.record is None:
        raise NotFound(f"prioritisation run {run} not found")
    return v
