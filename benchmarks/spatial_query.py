"""Which recorded hazards are within 200 m of here? On each store engine, against shapely.

Builds ``--n`` synthetic hazard polygons (``clearground.synthetic.hazard_polygons``), loads them
into a SQLite store and into a PostGIS store (a throwaway PostgreSQL cluster, started as the
tests start theirs: ``tests/pgcluster.py``), then answers ``--queries`` random point queries:

- baseline: a plain shapely ``STRtree`` over the same polygons built in this run, queried one
  point at a time (``dwithin`` on degrees as a superset, then the exact distance in local metres);
- ``clearground.services.check.check(store, point, buffer_m=200)`` on each engine: the service
  the CLI and web call (``store.in_bbox`` prefilter, then shapely in an equidistant projection);
- PostGIS pure SQL: ``&&`` on the GiST index, then ``ST_DWithin`` on geography (spheroid).

Half of the points fall near a random hazard (so that answers are not all empty), half anywhere
in the operating region. Prints queries per second, the time per query as a ratio to the
baseline's, and how often the answers agree. Only the queries are timed; data building, loading
and index building are reported apart.

    .venv/bin/python benchmarks/spatial_query.py                         # 100,000 x 10,000
    .venv/bin/python benchmarks/spatial_query.py --n 1000 --queries 200  # small, as CI runs it
"""

from __future__ import annotations

import argparse
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]


def build_records(n: int, seed: int) -> list:
    """``n`` synthetic hazard areas with their geodesic areas, ids HA-000001..."""
    from clearground.domain.areas import geodesic_areas
    from clearground.domain.records import HazardArea
    from clearground.synthetic import hazard_polygons

    polys = hazard_polygons(n, seed=seed)
    geoms = shapely.multipolygons(shapely.get_parts(polys), indices=np.arange(n))
    areas = geodesic_areas(geoms)
    return [
        HazardArea(
            id=f"HA-{i + 1:06d}",
            name=f"SYNTHETIC hazard {i + 1}",
            geometry=geoms[i],
            area_m2=float(areas[i]),
        )
        for i in range(n)
    ]


def query_points(geoms: np.ndarray, q: int, seed: int) -> np.ndarray:
    """``q`` points (lon, lat): half within about 600 m of a random hazard, half anywhere."""
    from clearground.domain.areas import metres_per_degree
    from clearground.domain.validation import UKRAINE

    rng = np.random.default_rng(seed)
    near = q // 2
    centres = shapely.get_coordinates(shapely.centroid(geoms[rng.integers(0, len(geoms), near)]))
    dist = rng.uniform(0, 600, near)
    angle = rng.uniform(0, 2 * np.pi, near)
    m_lon, m_lat = metres_per_degree(float(np.mean(centres[:, 1])))
    near_xy = centres + np.column_stack(
        [dist * np.cos(angle) / m_lon, dist * np.sin(angle) / m_lat]
    )
    far_xy = np.column_stack(
        [
            rng.uniform(UKRAINE.min_lon, UKRAINE.max_lon, q - near),
            rng.uniform(UKRAINE.min_lat, UKRAINE.max_lat, q - near),
        ]
    )
    xy = np.vstack([near_xy, far_xy])
    return xy[rng.permutation(q)]


class ShapelyBaseline:
    """A plain STRtree over the lon/lat polygons: what a script without a database would do."""

    def __init__(self, ids: list[str], geoms: np.ndarray) -> None:
        self.ids = np.array(ids, dtype=object)
        self.geoms = geoms
        self.tree = shapely.STRtree(geoms)

    def query(self, lon: float, lat: float, buffer_m: float) -> set[str]:
        from clearground.domain.areas import metres_per_degree

        m_lon, m_lat = metres_per_degree(lat)
        # degrees of longitude are the shorter, so this distance is a superset in every direction
        cand = self.tree.query(
            shapely.Point(lon, lat),
            predicate="dwithin",
            distance=buffer_m / min(m_lon, m_lat) * 1.01,
        )
        if len(cand) == 0:
            return set()
        # exact enough at 200 m: an equirectangular plane in metres centred on the point
        local = shapely.transform(self.geoms[cand], lambda xy: (xy - (lon, lat)) * (m_lon, m_lat))
        keep = shapely.distance(shapely.Point(0, 0), local) <= buffer_m
        return set(self.ids[cand[keep]])

    def bulk(self, xy: np.ndarray, buffer_m: float) -> int:
        """All points in one vectorised call (degree-approximated): the ceiling of the method."""
        from clearground.domain.areas import metres_per_degree

        m_lon, _ = metres_per_degree(float(np.max(np.abs(xy[:, 1]))))
        pairs = self.tree.query(shapely.points(xy), predicate="dwithin", distance=buffer_m / m_lon)
        return pairs.shape[1]


def time_queries(
    name: str, fn: Callable[[float, float], set[str]], xy: np.ndarray, warmup: int = 20
) -> tuple[float, list[set[str]]]:
    """Seconds for all queries (after a few untimed warm-up ones) and each query's answer."""
    for lon, lat in xy[:warmup]:
        fn(float(lon), float(lat))
    answers: list[set[str]] = []
    start = time.perf_counter()
    for lon, lat in xy:
        answers.append(fn(float(lon), float(lat)))
    elapsed = time.perf_counter() - start
    print(f"[{name}: {elapsed:.2f} s]", file=sys.stderr, flush=True)
    return elapsed, answers


def load(store, records: list) -> float:
    store.migrate()
    start = time.perf_counter()
    with store.transaction() as tx:
        tx.insert("hazard", records, author="benchmark", reason="SYNTHETIC benchmark data")
        tx.commit()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="number of hazard polygons")
    parser.add_argument("--queries", type=int, default=10_000, help="number of point queries")
    parser.add_argument("--buffer", type=float, default=200.0, help="buffer in metres")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--no-postgis",
        action="store_true",
        help="SQLite and baseline only (no PostgreSQL on this machine)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.queries < 1:
        parser.error("--n and --queries must be at least 1")

    from clearground.services.check import check
    from clearground.store import open_store

    t0 = time.perf_counter()
    records = build_records(args.n, args.seed)
    geoms = np.array([r.geometry for r in records], dtype=object)
    ids = [r.id for r in records]
    xy = query_points(geoms, args.queries, args.seed + 1)
    build_s = time.perf_counter() - t0
    buffer_m = args.buffer

    rows: list[tuple[str, float, list[set[str]] | None]] = []
    notes: list[str] = [f"build {args.n:,} synthetic polygons and queries: {build_s:.2f} s"]

    t0 = time.perf_counter()
    base = ShapelyBaseline(ids, geoms)
    notes.append(f"shapely STRtree build: {time.perf_counter() - t0:.2f} s")
    base_s, base_answers = time_queries("baseline", lambda x, y: base.query(x, y, buffer_m), xy)
    start = time.perf_counter()
    base.bulk(xy, buffer_m)
    bulk_s = time.perf_counter() - start
    rows.append(("baseline: shapely STRtree, one query at a time", base_s, base_answers))
    rows.append(("shapely STRtree, all points in one call (approx.)", bulk_s, None))

    def service(store) -> Callable[[float, float], set[str]]:
        def ask(lon: float, lat: float) -> set[str]:
            answer = check(store, shapely.Point(lon, lat), buffer_m=buffer_m)
            return {h["id"] for h in answer["hazards"]}

        return ask

    def bbox_only(store) -> Callable[[float, float], set[str]]:
        from clearground.analysis.proximity import degree_margin

        def ask(lon: float, lat: float) -> set[str]:
            box = degree_margin((lon, lat, lon, lat), buffer_m)
            return {v.id for v in store.in_bbox("hazard", box)}

        return ask

    with tempfile.TemporaryDirectory(prefix="clearground-bench-") as tmp:
        sq = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        try:
            load_s = load(sq, records)
            notes.append(f"sqlite load ({args.n:,} hazards, one transaction): {load_s:.2f} s")
            s, answers = time_queries("sqlite check", service(sq), xy)
            rows.append(("sqlite: check() service", s, answers))
            s, _ = time_queries("sqlite in_bbox", bbox_only(sq), xy)
            rows.append(("sqlite: store.in_bbox only (the store's share)", s, None))
        finally:
            sq.close()

    if not args.no_postgis:
        # A SIGTERM (a CI timeout) should still stop the cluster: make it unwind like Ctrl-C.
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        sys.path.insert(0, str(ROOT))
        import psycopg
        from tests.pgcluster import PgCluster, PgClusterError

        from clearground.analysis.proximity import degree_margin

        try:
            cluster = PgCluster().start()
        except PgClusterError as exc:
            print(
                f"PostgreSQL + PostGIS could not be started: {exc}\n"
                "(run with --no-postgis to measure SQLite alone)",
                file=sys.stderr,
            )
            return 1
        try:
            url = cluster.url()
            pg = open_store(url)
            try:
                load_s = load(pg, records)
                notes.append(f"postgis load ({args.n:,} hazards, one COPY): {load_s:.2f} s")
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("ANALYZE hazard_area_versions")
                s, answers = time_queries("postgis check", service(pg), xy)
                rows.append(("postgis: check() service", s, answers))
                s, _ = time_queries("postgis in_bbox", bbox_only(pg), xy)
                rows.append(("postgis: store.in_bbox only (the store's share)", s, None))
            finally:
                pg.close()

            sql = (
                "SELECT id FROM hazard_area_versions, "
                "(SELECT ST_SetSRID(ST_MakePoint(%(x)s, %(y)s), 4326)::geography AS p) q "
                "WHERE is_current AND NOT deleted "
                "AND geom && ST_MakeEnvelope(%(x0)s, %(y0)s, %(x1)s, %(y1)s, 4326) "
                "AND ST_DWithin(geom::geography, q.p, %(d)s)"
            )
            with psycopg.connect(url, autocommit=True, prepare_threshold=0) as conn:
                cur = conn.cursor()

                def pure_sql(lon: float, lat: float) -> set[str]:
                    x0, y0, x1, y1 = degree_margin((lon, lat, lon, lat), buffer_m)
                    cur.execute(
                        sql,
                        {"x": lon, "y": lat, "x0": x0, "y0": y0, "x1": x1, "y1": y1, "d": buffer_m},
                    )
                    return {r[0] for r in cur.fetchall()}

                s, answers = time_queries("postgis sql", pure_sql, xy)
                rows.append(("postgis: pure SQL (GiST &&, ST_DWithin geography)", s, answers))
        finally:
            cluster.stop()

    q = args.queries
    hits = sum(1 for a in base_answers if a)
    print(
        f"polygons {args.n:,}   queries {q:,}   buffer {buffer_m:g} m   "
        f"queries with a hazard within the buffer (baseline): {hits:,}"
    )
    print(f"{'':52} {'queries/s':>12} {'ms/query':>9} {'time vs baseline':>17} {'same answer':>12}")
    for name, seconds, answers in rows:
        same = (
            f"{sum(a == b for a, b in zip(answers, base_answers, strict=True)) / q:>11.2%}"
            if answers is not None
            else f"{'-':>11}"
        )
        print(
            f"{name:52} {q / seconds:>12,.0f} {seconds / q * 1000:>9.3f} "
            f"{seconds / base_s:>16.2f}x {same:>12}"
        )
    print("\n".join(f"  {n}" for n in notes))
    service_rows = [s for name, s, _ in rows if name.endswith("check() service")]
    print(
        f"ratio {max(service_rows) / base_s:.2f} x  (the slower engine's check() time per query "
        "over the baseline's)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
