"""The server under load: checks, tiles and items from a real ``clearground serve`` on each engine.

Builds ``--hazards`` seeded synthetic hazard polygons (names SYNTHETIC), loads them into a SQLite
database and into a PostGIS one (a throwaway cluster, as the tests start theirs:
``tests/pgcluster.py``), starts ``clearground serve`` on a free 127.0.0.1 port for each, and runs
``--clients`` concurrent clients (threads, each with its own keep-alive ``http.client``
connection), each for ``--seconds`` (bounded runs, loopback only):

- point checks (``GET /api/v1/check``, 200 m), route checks (``POST /api/v1/check`` with a 300 km
  route, 500 m: only if the server has it, else the line says so);
- tiles (``/tiles/hazard_areas/{z}/{x}/{y}.mvt``) at z8, z12 and z14 around the hazards;
- an items page of 1,000 features (``GET /api/v1/hazards?limit=1000``: only if the server has it).

In the same run, in process: a bare shapely STRtree query (the tree over the hazards' bounding
boxes, queried with the point's 200 m box: the baseline), ``services.check.check`` (a database
read per check) and the warm ``CheckIndex.check`` the server uses. With ``tipg`` installed in
``--tipg-venv`` it serves the same PostGIS database and its tile and items latency are printed
beside ours. Prints requests per second, p50 and p99, and the goals with whether each is met.

    .venv/bin/python benchmarks/serve_load.py                      # small: 2,000 hazards
    .venv/bin/python benchmarks/serve_load.py --hazards 100000     # the figure of issue 11
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

import numpy as np
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from spatial_query import build_records, query_points  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_up(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def load_run(port: int, requests: list[tuple], clients: int, seconds: float) -> dict:
    """``clients`` threads, each cycling through ``requests`` (method, path, body) on its own
    keep-alive connection for ``seconds``; latencies of 2xx/304 answers, and the failures."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    failures: list[str] = []
    stop_at = time.monotonic() + seconds

    def client(k: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        i = k * 7919
        try:
            while time.monotonic() < stop_at:
                method, path, body = requests[i % len(requests)]
                i += 1
                headers = {"Content-Type": "application/json"} if body is not None else {}
                t0 = time.perf_counter()
                conn.request(method, path, body=body, headers=headers)
                r = conn.getresponse()
                r.read()
                dt = time.perf_counter() - t0
                if r.status >= 400:
                    failures.append(f"{method} {path}: {r.status}")
                    continue
                latencies[k].append(dt)
        except OSError as exc:
            failures.append(f"client {k}: {exc}")
        finally:
            conn.close()

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    lat = [x for per in latencies for x in per]
    return {
        "n": len(lat),
        "rate": len(lat) / wall,
        "p50": pct(lat, 50),
        "p99": pct(lat, 99),
        "failures": failures,
    }


def probe(port: int, method: str, path: str, body: str | None = None) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(
            method, path, body=body, headers={"Content-Type": "application/json"} if body else {}
        )
        r = conn.getresponse()
        r.read()
        return r.status
    finally:
        conn.close()


def tile_of(lon: float, lat: float, z: int) -> tuple[int, int]:
    n = 2**z
    return (
        int((lon + 180) / 360 * n),
        int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n),
    )


def timed(fn, items) -> list[float]:
    out = []
    for it in items:
        t0 = time.perf_counter()
        fn(it)
        out.append(time.perf_counter() - t0)
    return out


def route_300km(lon: float, lat: float) -> shapely.LineString:
    """A 300 km route east (a little north) of (lon, lat), 31 vertices, inside the region."""
    lon = min(lon, 40.5 - 4.6)
    lat = min(lat, 52.0)
    dlon = 300_000 / (111_320 * math.cos(math.radians(lat)))
    t = np.linspace(0, 1, 31)
    return shapely.LineString(np.column_stack([lon + t * dlon, lat + 0.3 * np.sin(t * 3)]))


class Report:
    def __init__(self) -> None:
        self.rows: list[tuple[str, str, dict]] = []
        self.notes: list[str] = []

    def add(self, engine: str, name: str, result: dict) -> None:
        self.rows.append((engine, name, result))
        if result.get("failures"):
            self.notes.append(
                f"{engine} {name}: {len(result['failures'])} failed requests, "
                f"e.g. {result['failures'][0]}"
            )

    def print(self) -> None:
        print(f"{'engine':8} {'what':58} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for engine, name, r in self.rows:
            if "skip" in r:
                print(f"{engine:8} {name:58} {'skipped: ' + r['skip']}")
                continue
            print(
                f"{engine:8} {name:58} {r['rate']:>9,.0f} {r['p50'] * 1000:>8.3f} "
                f"{r['p99'] * 1000:>8.3f}"
            )
        for n in self.notes:
            print(f"  {n}")

    def get(self, engine: str, name: str) -> dict | None:
        for e, n, r in self.rows:
            if e == engine and n.startswith(name) and "skip" not in r:
                return r
        return None


def in_process(engine: str, store, records, xy, route, report: Report) -> None:
    from clearground.analysis.proximity import degree_margin
    from clearground.services.check import check
    from clearground.services.check_index import CheckIndex

    geoms = np.array([r.geometry for r in records], dtype=object)
    tree = shapely.STRtree(shapely.box(*np.array([g.bounds for g in geoms]).T))
    pts = [shapely.Point(x, y) for x, y in xy]
    boxes = [shapely.box(*degree_margin((x, y, x, y), 200.0)) for x, y in xy]

    def summary(lat):
        return {"rate": len(lat) / sum(lat), "p50": pct(lat, 50), "p99": pct(lat, 99)}

    bare = timed(tree.query, boxes)
    report.add(engine, "in process: bare STRtree query (baseline)", summary(bare))
    lat = timed(lambda p: check(store, p, buffer_m=200.0), pts[: max(50, len(pts) // 4)])
    report.add(engine, "in process: check() service, point 200 m", summary(lat))
    index = CheckIndex(store)
    t0 = time.perf_counter()
    index.check(pts[0], buffer_m=200.0)
    report.notes.append(f"{engine}: check index built in {time.perf_counter() - t0:.2f} s")
    warm = timed(lambda p: index.check(p, buffer_m=200.0), pts)
    report.add(engine, "in process: warm CheckIndex.check, point 200 m", summary(warm))
    snap = index.current()
    lat = timed(lambda p: check(snap, p, buffer_m=200.0), pts)
    report.add(engine, "in process: warm check without the data-version read", summary(lat))
    lat = timed(lambda r: index.check(r, buffer_m=500.0), [route] * 20)
    report.add(engine, "in process: warm CheckIndex.check, 300 km route 500 m", summary(lat))


def over_http(
    engine: str, port: int, records, xy, route, args, report: Report, tipg_port: int | None = None
) -> None:
    reqs = [("GET", f"/api/v1/check?lon={x:.6f}&lat={y:.6f}&buffer_m=200", None) for x, y in xy]
    t0 = time.perf_counter()
    probe(port, "GET", reqs[0][1])  # untimed: the server builds its check index on first use
    report.notes.append(
        f"{engine}: first check (builds the server's index) {time.perf_counter() - t0:.2f} s"
    )
    report.add(engine, "http: point checks 200 m", load_run(port, reqs, args.clients, args.seconds))
    body = json.dumps({"geometry": shapely.geometry.mapping(route), "buffer_m": 500})
    status = probe(port, "POST", "/api/v1/check", body)
    if status == 200:
        report.add(
            engine,
            "http: route checks 300 km, 500 m",
            load_run(port, [("POST", "/api/v1/check", body)], args.clients, args.seconds),
        )
    else:
        report.add(
            engine,
            "http: route checks 300 km, 500 m",
            {"skip": f"POST /api/v1/check answers {status} on this server"},
        )
    centres = shapely.get_coordinates(
        shapely.centroid(np.array([r.geometry for r in records[:400]], dtype=object))
    )
    for z in (8, 12, 14):
        paths = sorted(
            {"/tiles/hazard_areas/{}/{}/{}.mvt".format(z, *tile_of(x, y, z)) for x, y in centres}
        )
        report.add(
            engine,
            f"http: tiles z{z} ({len(paths)} tiles)",
            load_run(port, [("GET", p, None) for p in paths], args.clients, args.seconds),
        )
        if tipg_port is not None:
            tp = [
                p.replace(
                    "/tiles/hazard_areas/",
                    "/collections/public.hazard_areas_current/tiles/WebMercatorQuad/",
                ).removesuffix(".mvt")
                for p in paths
            ]
            report.add(
                "tipg",
                f"http: tiles z{z} ({len(paths)} tiles)",
                load_run(tipg_port, [("GET", p, None) for p in tp], args.clients, args.seconds),
            )
    status = probe(port, "GET", "/api/v1/hazards?limit=1")
    if status == 200:
        report.add(
            engine,
            "http: items page of 1,000 hazards",
            load_run(
                port, [("GET", "/api/v1/hazards?limit=1000", None)], args.clients, args.seconds
            ),
        )
    else:
        report.add(
            engine,
            "http: items page of 1,000 hazards",
            {"skip": f"GET /api/v1/hazards answers {status} on this server"},
        )
    if tipg_port is not None:
        report.add(
            "tipg",
            "http: items page of 1,000 hazards",
            load_run(
                tipg_port,
                [("GET", "/collections/public.hazard_areas_current/items?limit=1000", None)],
                args.clients,
                args.seconds,
            ),
        )


def serve(url: str, tmp: Path, name: str) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "clearground.cli", "--db", url, "serve", "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    wait_up(f"http://127.0.0.1:{port}/healthz", proc, log)
    return proc, port, log


def start_tipg(venv: Path, url: str, tmp: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    log = tmp / "tipg.log"
    env = {
        **os.environ,
        "DATABASE_URL": url.split("?")[0],
        "TIPG_DB_SCHEMAS": '["public"]',
        "TIPG_MAX_FEATURES_PER_QUERY": "10000",
    }
    env.pop("PYTHONPATH", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(venv / "bin" / "python"),
                "-m",
                "uvicorn",
                "tipg.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    wait_up(f"http://127.0.0.1:{port}/collections/public.hazard_areas_current", proc, log)
    return proc, port


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=2_000, help="number of hazard polygons")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=3.0, help="length of each load run")
    parser.add_argument("--queries", type=int, default=2_000, help="in-process point queries")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-postgis", action="store_true", help="SQLite only")
    parser.add_argument(
        "--tipg-venv",
        type=Path,
        default=Path("/tmp/tipgvenv"),
        help="a virtualenv with tipg and uvicorn installed (skipped if absent)",
    )
    args = parser.parse_args(argv)
    if args.hazards < 1 or args.clients < 1 or not 0 < args.seconds <= 120:
        parser.error("--hazards and --clients at least 1, --seconds above 0 and at most 120")

    from clearground.store import open_store

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.perf_counter()
    records = build_records(args.hazards, args.seed)
    geoms = np.array([r.geometry for r in records], dtype=object)
    xy = query_points(geoms, args.queries, args.seed + 1)
    c = shapely.centroid(geoms[0])
    route = route_300km(c.x, c.y)
    report = Report()
    report.notes.append(
        f"{args.hazards:,} synthetic hazards built in "
        f"{time.perf_counter() - t0:.1f} s; {args.clients} clients, "
        f"{args.seconds:g} s per load run"
    )

    with tempfile.TemporaryDirectory(prefix="clearground-serve-load-") as tmp_s:
        tmp = Path(tmp_s)
        engines = [("sqlite", f"sqlite:///{tmp / 'bench.db'}")]
        cluster = None
        if not args.no_postgis:
            from tests.pgcluster import PgCluster

            cluster = PgCluster().start()
            engines.append(("postgis", cluster.url()))
        try:
            for engine, url in engines:
                store = open_store(url)
                try:
                    store.migrate()
                    with store.transaction() as tx:
                        tx.insert(
                            "hazard", records, author="benchmark", reason="SYNTHETIC benchmark data"
                        )
                        tx.commit()
                    if engine == "postgis":
                        import psycopg

                        with psycopg.connect(url, autocommit=True) as conn:
                            conn.execute("ANALYZE")
                    in_process(engine, store, records, xy, route, report)
                finally:
                    store.close()
                proc, port, _ = serve(url, tmp, engine)
                tipg = None
                try:
                    tipg_port = None
                    if engine == "postgis":
                        if (args.tipg_venv / "bin" / "python").exists():
                            try:
                                tipg, tipg_port = start_tipg(args.tipg_venv, url, tmp)
                            except RuntimeError as exc:
                                report.notes.append(f"tipg did not start: {str(exc)[-500:]}")
                        else:
                            report.notes.append(f"tipg: no virtualenv at {args.tipg_venv}")
                    over_http(engine, port, records, xy, route, args, report, tipg_port)
                finally:
                    stop(proc)
                    if tipg is not None:
                        stop(tipg)
        finally:
            if cluster is not None:
                cluster.stop()

    report.print()
    print("goals:")
    goals = []
    pc = report.get("sqlite", "http: point checks")
    if pc:
        goals.append(
            (
                "point check p50 under 5 ms on SQLite",
                pc["p50"] < 0.005,
                f"{pc['p50'] * 1000:.2f} ms",
            )
        )
        goals.append(
            ("point checks over 500 per second on SQLite", pc["rate"] > 500, f"{pc['rate']:,.0f}/s")
        )
    for engine, _ in engines:
        for z in (8, 12, 14):
            t = report.get(engine, f"http: tiles z{z}")
            if t:
                goals.append(
                    (
                        f"tile p50 under 50 ms, {engine} z{z}",
                        t["p50"] < 0.05,
                        f"{t['p50'] * 1000:.1f} ms",
                    )
                )
        warm = report.get(engine, "in process: warm CheckIndex.check, point")
        bare = report.get(engine, "in process: bare STRtree")
        if warm and bare:
            ratio = warm["p50"] / bare["p50"]
            goals.append(
                (
                    f"warm check within 3x of the bare STRtree query, {engine}",
                    ratio <= 3,
                    f"ratio {ratio:.1f} x",
                )
            )
    for engine_z in (8, 12, 14):
        ours, theirs = (
            report.get("postgis", f"http: tiles z{engine_z}"),
            report.get("tipg", f"http: tiles z{engine_z}"),
        )
        if ours and theirs:
            goals.append(
                (
                    f"tiles z{engine_z} no slower than tipg (p50)",
                    ours["p50"] <= theirs["p50"],
                    f"{ours['p50'] * 1000:.1f} vs {theirs['p50'] * 1000:.1f} ms",
                )
            )
    for name, met, value in goals:
        print(f"  {'met    ' if met else 'NOT met'}  {name}: {value}")
    warm = report.get("sqlite", "in process: warm CheckIndex.check, point")
    bare = report.get("sqlite", "in process: bare STRtree")
    if warm and bare:
        print(
            f"ratio {warm['p50'] / bare['p50']:.2f} x  (SQLite warm check p50 over the bare "
            "STRtree query's)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
