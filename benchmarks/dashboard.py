"""The dashboard's page time on the national load of ``benchmarks/national_load.py``.

Builds the national dataset (1,500 admin areas, 20,000 hazards, 300,000 EO items, 5,000
accidents, 20,000 EORE sessions at ``--scale 1``) through clearground's imports, adds synthetic
land release on a third of the hazards (``synthetic.write_activities``, as the demo does), then
asks a real app (in process, FastAPI's TestClient, a viewer's token) for ``GET /dashboard`` and
``GET /report`` and one figure's CSV, several times each. Printed: the first request (cold: the
database counts everything) and the median of the others (warm: the counts are kept until a
write of their kind commits, services/dashboard.py).

Baseline, in the same run: reading every current hazard, EO item, accident and activity
(``store.list``), which is what a dashboard computed in Python would do before counting
anything. Prints the page's time, the baseline's and their ratio.

    .venv/bin/python benchmarks/dashboard.py                  # reduced size (--scale 0.05)
    .venv/bin/python benchmarks/dashboard.py --scale 1        # the full national load
    .venv/bin/python benchmarks/dashboard.py --db postgresql://...   # an empty PostGIS db
    .venv/bin/python benchmarks/dashboard.py --postgis        # a throwaway PostGIS cluster
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.pgcluster for --postgis

from national_load import load, make_files  # noqa: E402

from clearground import synthetic  # noqa: E402
from clearground.services import accounts, activities  # noqa: E402
from clearground.store import open_store  # noqa: E402

PASSWORD = "SYNTHETIC benchmark pass"


def prepare(url: str, tmp: Path, scale: float) -> tuple[str, dict[str, int]]:
    """The national load, land release on it, and a viewer's token; return it and the counts."""
    times = load(url, make_files(tmp, scale))
    store = open_store(url)
    try:
        hazards = [(v.id, v.record.geometry) for v in store.list("hazard")]
        acts = synthetic.write_activities(tmp / "activities.gpkg", hazards, seed=5)
        activities.import_activities(store, acts, author="benchmark (SYNTHETIC)")
        accounts.add_user(store, "viewer1", role="viewer", password=PASSWORD, actor="benchmark")
        token = accounts.create_token(store, "benchmark", user="viewer1", actor="benchmark")[1]
        counts = {k: store.count(k) for k in ("location", "hazard", "eo", "accident", "activity")}
    finally:
        store.close()
    print(f"{'national load (imports)':<34} {sum(times.values()):>8.2f} s")
    return token, counts


def baseline(url: str, repeat: int) -> float:
    """Median time to read every current record the figures count, as versions."""
    store = open_store(url)
    try:
        runs = []
        for _ in range(repeat):
            start = time.perf_counter()
            for kind in ("hazard", "eo", "accident", "activity"):
                store.list(kind)
            runs.append(time.perf_counter() - start)
    finally:
        store.close()
    return statistics.median(runs)


def page_times(url: str, token: str, repeat: int) -> dict[str, tuple[float, float]]:
    """Each page's first (cold) time and the median of ``repeat`` more (warm)."""
    from fastapi.testclient import TestClient

    from clearground.config import load_settings
    from clearground.web import create_app

    settings = load_settings(None, db=url, author="benchmark")
    headers = {"Authorization": f"Bearer {token}"}
    paths = {
        "GET /dashboard": "/dashboard",
        "GET /report?month=2024-04": "/report?month=2024-04",
        "GET /dashboard/eo.csv": "/dashboard/eo.csv",
    }
    out: dict[str, tuple[float, float]] = {}
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        for name, path in paths.items():
            runs: list[float] = []
            for _ in range(repeat + 1):
                start = time.perf_counter()
                r = client.get(path, headers=headers)
                took = time.perf_counter() - start
                if r.status_code != 200:
                    raise SystemExit(f"{path}: {r.status_code} {r.text[:300]}")
                runs.append(took)
            out[name] = (runs[0], statistics.median(runs[1:]))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05, help="fraction of the full sizes")
    parser.add_argument("--repeat", type=int, default=5, help="requests per page (median)")
    parser.add_argument("--db", help="an empty database URL (default: a new SQLite file)")
    parser.add_argument("--postgis", action="store_true", help="start a throwaway PostGIS")
    args = parser.parse_args(argv)
    cluster = None
    if args.postgis:
        from tests.pgcluster import PgCluster

        cluster = PgCluster().start()
    try:
        return run(args, cluster.url() if cluster else args.db)
    finally:
        if cluster is not None:
            cluster.stop()


def run(args: argparse.Namespace, db: str | None) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        url = db or f"sqlite:///{t / 'national.db'}"
        print(f"engine: {url.split(':')[0]}")
        token, counts = prepare(url, t, args.scale)
        print("records: " + ", ".join(f"{k} {n:,}" for k, n in counts.items()))
        pages = page_times(url, token, args.repeat)
        base = baseline(url, args.repeat)
        for name, (cold, warm) in pages.items():
            print(f"{name:<34} {cold * 1000:>9.1f} ms cold {warm * 1000:>9.1f} ms warm")
        print(f"{'baseline: list every record':<34} {base * 1000:>9.1f} ms")
        cold, warm = pages["GET /dashboard"]
        print(f"cold ratio {cold / base:.3f} x (first dashboard page / baseline)")
        print(f"ratio {warm / base:.3f} x (dashboard page, warm / baseline)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
