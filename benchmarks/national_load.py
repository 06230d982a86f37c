"""Load a synthetic national dataset through clearground's imports, next to a raw bulk insert.

Dataset (default sizes, issue 5): 1,500 admin areas, 20,000 hazards, 300,000 EO items, 5,000
accidents, 20,000 EORE sessions, one organisation. Measured: every import as the CLI runs it
(validation, versions, P-codes, evidence links) into a new database. Baseline, in the same run:
the same rows (id, JSON attributes, WKB geometry) written by one executemany per table into a
plain SQLite table, with no checks, history or index. Prints both and their ratio.

    .venv/bin/python benchmarks/national_load.py                 # full size, SQLite
    .venv/bin/python benchmarks/national_load.py --scale 0.01    # small, as CI runs it
    .venv/bin/python benchmarks/national_load.py --db postgresql://...   # an empty PostGIS db
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np
import pyogrio

from clearground import synthetic
from clearground.services import accidents, evidence, hazards, locations, operations
from clearground.store import open_store

SIZES = {"hazards": 20_000, "eo": 300_000, "accidents": 5_000, "eore": 20_000}


def make_files(tmp: Path, scale: float) -> dict[str, Path]:
    n = {k: max(10, int(v * scale)) for k, v in SIZES.items()}
    rng = np.random.default_rng(5)
    files = {"admin": synthetic.write_admin_areas(tmp / "cod.gpkg", split=5, rows=6, sub=7)}
    files["hazards"] = synthetic.write_hazards(tmp / "hazards.gpkg", n["hazards"], seed=5)
    days = [
        f"2024-{m:02d}-{d:02d}"
        for m, d in zip(rng.integers(1, 13, n["eo"]), rng.integers(1, 29, n["eo"]), strict=True)
    ]
    files["eo"] = synthetic.write_points(
        tmp / "eo.gpkg",
        n["eo"],
        {
            "category": rng.choice(
                ["mine_ap", "mine_at", "uxo", "cluster_munition"], n["eo"]
            ).astype(object),
            "eo_type": rng.choice(["PMN-2", "TM-62M", "OF-462", "PTAB-1M"], n["eo"]).astype(object),
            "date": np.array(days, dtype=object),
        },
        seed=6,
    )
    files["accidents"] = synthetic.write_points(
        tmp / "accidents.gpkg",
        n["accidents"],
        {
            "date": np.array(days[: n["accidents"]], dtype=object),
            "activity": rng.choice(["farming", "travelling", "herding"], n["accidents"]).astype(
                object
            ),
        },
        seed=7,
    )
    files["eore"] = synthetic.write_points(
        tmp / "eore.gpkg",
        n["eore"],
        {
            "date": np.array(days[: n["eore"]], dtype=object),
            "organisation_id": np.full(n["eore"], "ORG-SYN1", dtype=object),
            "girls": rng.integers(0, 40, n["eore"]),
            "boys": rng.integers(0, 40, n["eore"]),
            "women": rng.integers(0, 40, n["eore"]),
            "men": rng.integers(0, 40, n["eore"]),
        },
        seed=8,
    )
    pyogrio.raw.write(
        tmp / "orgs.gpkg",
        None,
        [np.array(["ORG-SYN1"], dtype=object), np.array(["SYNTHETIC EORE operator"], dtype=object)],
        ["id", "name"],
        driver="GPKG",
    )
    files["orgs"] = tmp / "orgs.gpkg"
    return files


def load(url: str, files: dict[str, Path]) -> dict[str, float]:
    store = open_store(url)
    store.migrate()
    author = "benchmark (SYNTHETIC)"
    steps = [
        (
            "admin areas",
            lambda: [
                locations.import_locations(store, files["admin"], layer=lvl, author=author)
                for lvl in ("adm1", "adm2")
            ],
        ),
        (
            "organisations",
            lambda: operations.import_records(store, "organisation", files["orgs"], author=author),
        ),
        ("hazards", lambda: hazards.import_hazards(store, files["hazards"], author=author)),
        ("EO items", lambda: evidence.import_eo(store, files["eo"], author=author)),
        ("accidents", lambda: accidents.import_accidents(store, files["accidents"], author=author)),
        (
            "EORE sessions",
            lambda: operations.import_records(store, "eore", files["eore"], author=author),
        ),
    ]
    times = {}
    for name, step in steps:
        start = time.perf_counter()
        step()
        times[name] = time.perf_counter() - start
    store.close()
    return times


def raw_insert(db: Path, files: dict[str, Path]) -> float:
    """The baseline: read each file and insert its rows as they are, one executemany each."""
    start = time.perf_counter()
    conn = sqlite3.connect(db)
    for name, path in files.items():
        for layer, _ in pyogrio.list_layers(path):
            meta, _, wkb, fields = pyogrio.raw.read(path, layer=layer)
            n = len(fields[0]) if fields else 0
            names = list(meta["fields"])
            cols = [f.tolist() for f in fields]
            table = f"raw_{name}_{layer}"
            conn.execute(
                f'CREATE TABLE "{table}" (id INTEGER PRIMARY KEY, payload TEXT, geom BLOB)'
            )
            conn.executemany(
                f'INSERT INTO "{table}" (payload, geom) VALUES (?, ?)',
                (
                    (
                        json.dumps(
                            {k: c[i] for k, c in zip(names, cols, strict=True)}, default=str
                        ),
                        None if wkb is None else wkb[i],
                    )
                    for i in range(n)
                ),
            )
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the full sizes")
    parser.add_argument("--db", help="an empty database URL (default: a new SQLite file)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        files = make_files(t, args.scale)
        base = raw_insert(t / "raw.db", files)
        times = load(args.db or f"sqlite:///{t / 'national.db'}", files)
        total = sum(times.values())
        for name, seconds in times.items():
            print(f"{name:<28} {seconds:>8.2f} s")
        print(f"{'clearground load, total':<28} {total:>8.2f} s")
        print(f"{'baseline raw bulk insert':<28} {base:>8.2f} s")
        print(f"ratio {total / base:.2f} x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
