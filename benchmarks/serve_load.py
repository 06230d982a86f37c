"""The server under load: checks, tiles and items from a real ``clearground serve`` on each engine.

Builds ``--hazards`` seeded synthetic hazard polygons (names SYNTHETIC), loads them into a SQLite
database and into a PostGIS one (a throwaway cluster, as the tests start theirs:
``tests/pgcluster.py``), starts ``clearground serve`` on a free 127.0.0.1 port for each (the
check's rate limit set out of reach through its setting, ``CLEARGROUND_CHECK_RATE_LIMIT``: a
benchmark is one client address), and runs ``--clients`` concurrent connections for
``--seconds`` each (bounded runs, loopback only). The load generator is ``wrk`` (C, keep-alive,
2 threads) when it is installed (Debian: ``apt-get install wrk``), else threads of this process
with one ``http.client`` connection each (the output says which):

- point checks (``GET /api/v1/check``, 200 m), route checks (``POST /api/v1/check?buffer_m=500``
  with a 300 km route as a GeoJSON LineString);
- tiles (``/tiles/hazard_areas/{z}/{x}/{y}.mvt``) at z8, z12 and z14 around the hazards: first
  each tile once, in turn ("first draw": nothing kept yet), then under load (kept tiles);
- an items page of 1,000 features: the JSON API (``/api/v1/hazards?limit=1000``) and OGC API -
  Features (``/ogc/collections/hazard_areas/items?limit=1000``).

In the same run, in process: a bare shapely STRtree query (the tree over the hazards' bounding
boxes, queried with the point's 200 m box: the baseline), the same query followed by the exact
distance step (``store.base.nearest``: the least a check must do, for context),
``services.check.check`` (a database read per check) and the warm ``CheckIndex.check`` the
server uses. The bare query and the warm check are timed twice, each over seven rounds with a
new index each round: in separate loops, and paired (each point's two timed back to back, the
first of the two alternating), so that both see the same state of the machine; the goal is
judged on each, by the median of the rounds' ratios. With ``tipg`` installed in
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
import shutil
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


WRK_SCRIPT = r"""
local reqs = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do
    local method, path, body = line:match("^(%S+)\t(%S+)\t?(.*)$")
    local headers = {}
    if body ~= "" then headers["Content-Type"] = "application/json" else body = nil end
    reqs[#reqs + 1] = wrk.format(method, path, headers, body)
  end
  i = math.random(#reqs)
end
request = function()
  i = i % #reqs + 1
  return reqs[i]
end
done = function(summary, latency, requests)
  io.write(string.format(
    "WRKJSON {\"n\": %d, \"us\": %d, \"p50\": %d, \"p99\": %d, \"status\": %d, " ..
    "\"socket\": %d}\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def wrk_run(port: int, requests: list[tuple], clients: int, seconds: float) -> dict:
    """The same run by ``wrk``: ``clients`` connections over 2 threads, cycling ``requests``."""
    with tempfile.TemporaryDirectory(prefix="serve-load-wrk-") as tmp:
        script, reqs = Path(tmp) / "cycle.lua", Path(tmp) / "requests.tsv"
        script.write_text(WRK_SCRIPT)
        reqs.write_text(
            "".join(f"{m}\t{p}\t{b if b is not None else ''}\n" for m, p, b in requests)
        )
        done = subprocess.run(
            [
                "wrk",
                f"-t{min(2, clients)}",
                f"-c{clients}",
                f"-d{max(1, round(seconds))}s",
                "--timeout",
                "60s",
                "-s",
                str(script),
                f"http://127.0.0.1:{port}",
                "--",
                str(reqs),
            ],
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
    line = [x for x in done.stdout.splitlines() if x.startswith("WRKJSON ")]
    if done.returncode != 0 or not line:
        return {"skip": f"wrk failed: {done.stderr.strip()[-300:]}"}
    r = json.loads(line[0][len("WRKJSON ") :])
    failures = [f"{r['status']} answers of status 400 or more"] if r["status"] else []
    if r["socket"]:
        failures.append(f"{r['socket']} socket errors or timeouts")
    good = r["n"] - r["status"]
    if good <= 0:
        return {"skip": f"no answer completed within the {seconds:g} s run", "failures": failures}
    return {
        "n": good,
        "rate": good / (r["us"] / 1e6),
        "p50": r["p50"] / 1e6,
        "p99": r["p99"] / 1e6,
        "failures": failures,
    }


def run(port: int, requests: list[tuple], args) -> dict:
    """One bounded load run with the load generator of this benchmark."""
    if args.load == "wrk":
        return wrk_run(port, requests, args.clients, args.seconds)
    return load_run(port, requests, args.clients, args.seconds)


def first_draw(port: int, paths: list[str]) -> dict:
    """Each path once, one after the other: a tile nobody asked for yet (nothing kept)."""
    lat = []
    for p in paths:
        t0 = time.perf_counter()
        status = probe(port, "GET", p)
        lat.append(time.perf_counter() - t0)
        if status >= 400:
            return {"skip": f"GET {p} answers {status}"}
    return {"n": len(lat), "rate": len(lat) / sum(lat), "p50": pct(lat, 50), "p99": pct(lat, 99)}


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


#: Rounds of the measurements of the warm check against the bare query (``separate``,
#: ``paired``); the goal is judged on the median of the rounds' ratios.
PAIRED_ROUNDS = 7


def separate(bare_fn, bare_items, new_index, points, rounds: int = PAIRED_ROUNDS):
    """The bare query over every point in one loop and the warm check over every point in
    another, the first of the two loops alternating from round to round, over ``rounds``
    rounds, each with a new index (built by one check first): a slow spell of the machine
    (this VM's speed changes from second to second) falls on one round, not the figure.
    Returns both lists of times, each round's ratio of the p50s, and the last index."""
    bare, warm, ratios = [], [], []
    for r in range(rounds):
        index = new_index()
        index.check(points[0], buffer_m=200.0)

        def check_fn(p, index=index):
            return index.check(p, buffer_m=200.0)

        if r % 2:
            w_round = timed(check_fn, points)
            b_round = timed(bare_fn, bare_items)
        else:
            b_round = timed(bare_fn, bare_items)
            w_round = timed(check_fn, points)
        ratios.append(pct(w_round, 50) / pct(b_round, 50))
        bare += b_round
        warm += w_round
    return bare, warm, ratios, index


def paired(bare_fn, bare_items, new_index, points, rounds: int = PAIRED_ROUNDS):
    """The bare query and the warm check of each point timed back to back, the first of the
    two alternating from point to point and from round to round, over ``rounds`` rounds: each
    sees the same state of the machine (caches, and the check's own work on the points with
    hazards near, which slows whatever runs next on this VM: in separate loops only the check
    pays for it), and slow spells of the machine fall on both. Each round checks with a new
    index (``new_index()``, built and warmed by one check before the round), so nothing a
    check keeps from an earlier round helps it. Returns both lists of times and each round's
    ratio of the p50s."""
    bare, warm, ratios = [], [], []
    clock = time.perf_counter
    for r in range(rounds):
        index = new_index()
        index.check(points[0], buffer_m=200.0)  # built, as the separate loop's index is

        def check_fn(p, index=index):
            return index.check(p, buffer_m=200.0)

        b_round, w_round = [], []
        for k, (b, c) in enumerate(zip(bare_items, points, strict=True)):
            calls = [(bare_fn, b, b_round), (check_fn, c, w_round)]
            (f1, a1, out1), (f2, a2, out2) = calls if (k + r) % 2 == 0 else calls[::-1]
            t0 = clock()
            f1(a1)
            t1 = clock()
            f2(a2)
            t2 = clock()
            out1.append(t1 - t0)
            out2.append(t2 - t1)
        ratios.append(pct(w_round, 50) / pct(b_round, 50))
        bare += b_round
        warm += w_round
    return bare, warm, ratios


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
        #: (engine, how) -> each round's ratio of the warm check's p50 over the bare query's
        self.ratios: dict[tuple[str, str], list[float]] = {}

    def add(self, engine: str, name: str, result: dict) -> None:
        self.rows.append((engine, name, result))
        if result.get("failures"):
            self.notes.append(
                f"{engine} {name}: {len(result['failures'])} failed requests, "
                f"e.g. {result['failures'][0]}"
            )

    def print(self) -> None:
        print(f"{'engine':8} {'what':60} {'per s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for engine, name, r in self.rows:
            if "skip" in r:
                print(f"{engine:8} {name:60} {'skipped: ' + r['skip']}")
                continue
            print(
                f"{engine:8} {name:60} {r['rate']:>9,.0f} {r['p50'] * 1000:>8.3f} "
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

    def query_and_measure(k: int) -> None:  # the least a check does: candidates, then metres
        from clearground.analysis.proximity import hazards_near

        idx = tree.query(boxes[k])
        if len(idx):
            hazards_near(pts[k], geoms[idx], 200.0)

    lat = timed(query_and_measure, range(len(pts)))
    report.add(engine, "in process: STRtree query + exact metres (context)", summary(lat))
    lat = timed(lambda p: check(store, p, buffer_m=200.0), pts[: max(50, len(pts) // 4)])
    report.add(engine, "in process: check() service, point 200 m", summary(lat))
    t0 = time.perf_counter()
    CheckIndex(store).check(pts[0], buffer_m=200.0)
    report.notes.append(f"{engine}: check index built in {time.perf_counter() - t0:.2f} s")
    bare, warm, ratios, index = separate(tree.query, boxes, lambda: CheckIndex(store), pts)
    report.add(engine, "in process: bare STRtree query (baseline)", summary(bare))
    report.add(engine, "in process: warm CheckIndex.check, point 200 m", summary(warm))
    report.ratios[engine, "separate loops"] = ratios
    bare, warm, ratios = paired(tree.query, boxes, lambda: CheckIndex(store), pts)
    report.add(engine, "in process: bare STRtree query, paired (baseline)", summary(bare))
    report.add(engine, "in process: warm CheckIndex.check, paired", summary(warm))
    report.ratios[engine, "paired"] = ratios
    for (e, how), rs in report.ratios.items():
        if e == engine:
            report.notes.append(
                f"{engine}: {how}, each round's warm check p50 over its bare query p50: "
                + ", ".join(f"{r:.2f}" for r in rs)
            )
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
    if args.workers > 1:  # every worker builds its own index: warm them all, untimed
        warm_args = argparse.Namespace(**{**vars(args), "seconds": 2.0})
        deadline = time.perf_counter() + 60
        while time.perf_counter() < deadline:  # until no answer waits for an index build
            if run(port, reqs[:50], warm_args).get("p99", 1.0) < 0.1:
                break
    report.add(engine, "http: point checks 200 m", run(port, reqs, args))
    body = json.dumps(shapely.geometry.mapping(route))
    path = "/api/v1/check?buffer_m=500"
    status = probe(port, "POST", path, body)
    name = "http: route checks 300 km, 500 m"
    if status == 200:
        report.add(engine, name, run(port, [("POST", path, body)], args))
    else:
        report.add(engine, name, {"skip": f"POST {path} answers {status} on this server"})
    centres = shapely.get_coordinates(
        shapely.centroid(np.array([r.geometry for r in records[:400]], dtype=object))
    )
    for z in (8, 12, 14):
        paths = sorted(
            {"/tiles/hazard_areas/{}/{}/{}.mvt".format(z, *tile_of(x, y, z)) for x, y in centres}
        )
        report.add(engine, f"http: tiles z{z} first draw, one at a time", first_draw(port, paths))
        report.add(
            engine,
            f"http: tiles z{z} under load ({len(paths)} tiles)",
            run(port, [("GET", p, None) for p in paths], args),
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
                "tipg", f"http: tiles z{z} first draw, one at a time", first_draw(tipg_port, tp)
            )
            report.add(
                "tipg",
                f"http: tiles z{z} under load ({len(paths)} tiles)",
                run(tipg_port, [("GET", p, None) for p in tp], args),
            )
    for name, path in (
        ("http: items page of 1,000 hazards (JSON API)", "/api/v1/hazards?limit=1000"),
        (
            "http: items page of 1,000 hazards (OGC)",
            "/ogc/collections/hazard_areas/items?limit=1000",
        ),
    ):
        status = probe(port, "GET", path)
        if status == 200:
            report.add(engine, f"{name} one at a time", first_draw(port, [path] * 5))
            report.add(engine, f"{name} under load", run(port, [("GET", path, None)], args))
        else:
            report.add(engine, name, {"skip": f"GET {path} answers {status} on this server"})
    if tipg_port is not None:
        tipg_items = "/collections/public.hazard_areas_current/items?limit=1000"
        report.add(
            "tipg",
            "http: items page of 1,000 hazards (OGC) one at a time",
            first_draw(tipg_port, [tipg_items] * 5),
        )
        report.add(
            "tipg",
            "http: items page of 1,000 hazards (OGC) under load",
            run(
                tipg_port,
                [("GET", "/collections/public.hazard_areas_current/items?limit=1000", None)],
                args,
            ),
        )


def serve(url: str, tmp: Path, name: str, workers: int) -> tuple[subprocess.Popen, int, Path]:
    port = free_port()
    log = tmp / f"{name}.log"
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        # one client address sends every request: the public check's limit out of reach
        "CLEARGROUND_CHECK_RATE_LIMIT": str(10**9),
    }
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "clearground.cli", "--db", url, "serve"),
                *("--port", str(port), "--workers", str(workers)),
            ],
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
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="serve --workers N (default 2: one a core, as a 2-core deployment runs it)",
    )
    parser.add_argument("--no-postgis", action="store_true", help="SQLite only")
    parser.add_argument(
        "--tipg-venv",
        type=Path,
        default=Path("/tmp/tipgvenv"),
        help="a virtualenv with tipg and uvicorn installed (skipped if absent)",
    )
    parser.add_argument(
        "--load",
        choices=("wrk", "threads"),
        default="wrk" if shutil.which("wrk") else "threads",
        help="load generator: wrk (default when installed) or threads of this process",
    )
    args = parser.parse_args(argv)
    if args.hazards < 1 or args.clients < 1 or args.workers < 1 or not 0 < args.seconds <= 120:
        parser.error(
            "--hazards, --clients and --workers at least 1, --seconds above 0 and at most 120"
        )

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
        f"{args.seconds:g} s per load run; load generator: {args.load}; "
        f"serve --workers {args.workers}"
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
                            # the state autovacuum leaves after a bulk load: statistics, and
                            # the visibility map that lets index-only scans skip the table
                            conn.execute("VACUUM ANALYZE")
                    in_process(engine, store, records, xy, route, report)
                finally:
                    store.close()
                proc, port, _ = serve(url, tmp, engine, args.workers)
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
            for how in ("under load", "first draw"):
                t = report.get(engine, f"http: tiles z{z} {how}")
                if t:
                    goals.append(
                        (
                            f"tile p50 under 50 ms, {engine} z{z} {how}",
                            t["p50"] < 0.05,
                            f"{t['p50'] * 1000:.1f} ms",
                        )
                    )
        for how in ("separate loops", "paired"):
            rs = report.ratios.get((engine, how))
            if rs:
                ratio = float(np.median(rs))
                goals.append(
                    (
                        f"warm check within 3x of the bare STRtree query ({how}, median of "
                        f"{len(rs)} rounds), {engine}",
                        ratio <= 3,
                        f"ratio {ratio:.2f} x",
                    )
                )
    theirs_ours = [
        (f"tiles z{z} {how}", f"http: tiles z{z} {how}", None)
        for z in (8, 12, 14)
        for how in ("under load", "first draw")
    ] + [
        (f"items page of 1,000 (OGC) {how}", f"http: items page of 1,000 hazards (OGC) {how}", None)
        for how in ("one at a time", "under load")
    ]
    for label, ours_name, tipg_name in theirs_ours:
        ours = report.get("postgis", ours_name)
        theirs = report.get("tipg", tipg_name or ours_name)
        if ours and theirs:
            goals.append(
                (
                    f"postgis {label} no slower than tipg (p50)",
                    ours["p50"] <= theirs["p50"],
                    f"{ours['p50'] * 1000:.1f} vs {theirs['p50'] * 1000:.1f} ms",
                )
            )
    for name, met, value in goals:
        print(f"  {'met    ' if met else 'NOT met'}  {name}: {value}")
    for how in ("separate loops", "paired"):
        rs = report.ratios.get(("sqlite", how))
        if rs:
            print(
                f"ratio {float(np.median(rs)):.2f} x  (SQLite warm check p50 over the bare STRtree "
                f"query's, {how}, median of {len(rs)} rounds)"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
