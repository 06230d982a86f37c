"""Time to the first rendered hazard on the map page, from the browser's performance timeline.

Builds a SYNTHETIC database of ``--hazards`` hazard areas (``clearground.synthetic``, loaded
through the hazard import as real files are, with SYNTHETIC admin areas as the background),
serves it with a real ``clearground serve`` on a free 127.0.0.1 port, opens ``/map`` in Debian's
Chromium (Playwright, headless, software WebGL: the flags of ``tests/browser/conftest.py``) and
reads from the page's performance timeline:

- ``clearground:first-hazard``: the mark ``static/js/map.js`` sets on the first ``render`` or
  ``idle`` event after which ``queryRenderedFeatures`` of the hazard layers returns a feature,
  at that event's time (milliseconds from navigation start);
- ``clearground:map-load``: MapLibre's ``load`` (the style is in: the baseline of the page itself);
- the tile requests (MapLibre makes them in its web workers; Playwright reports them with
  their resource timing): how many, per zoom, their durations and bytes;
- the same page opened again in the same browser (its HTTP cache holds the tiles; the server
  answers 304 by ETag while no record changed).

Baseline, in the same run: the same page over a database of ``--baseline`` hazards (default 200,
the demo's size), so the ratio says what the 100,000 hazards cost. Each page is opened
``--repeat`` times in a fresh browser context (no HTTP cache); the median is printed.

    .venv/bin/python benchmarks/browser_map.py                     # the figure: 100,000 hazards
    .venv/bin/python benchmarks/browser_map.py --hazards 5000      # reduced size
    .venv/bin/python benchmarks/browser_map.py --keep /tmp/bm      # keep (and reuse) the databases
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("CLEARGROUND_CHROMIUM", "/usr/bin/chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--use-gl=swiftshader",
    "--enable-unsafe-swiftshader",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
TILE = re.compile(r"/tiles/(\w+)/(\d+)/(\d+)/(\d+)\.mvt")


def build(path: Path, n: int) -> float:
    """A SYNTHETIC database of ``n`` hazards and admin areas at ``path`` (kept if there)."""
    from clearground import synthetic
    from clearground.services import hazards, locations
    from clearground.store import open_store

    if path.exists():
        return 0.0
    start = time.perf_counter()
    store = open_store(f"sqlite:///{path}")
    store.migrate()
    author = "benchmark (SYNTHETIC)"
    with tempfile.TemporaryDirectory() as tmp:
        admin = synthetic.write_admin_areas(Path(tmp) / "cod.gpkg", split=5, rows=6, sub=7)
        for level in ("adm1", "adm2"):
            locations.import_locations(store, admin, layer=level, author=author)
        src = synthetic.write_hazards(Path(tmp) / "hazards.gpkg", n, seed=12)
        hazards.import_hazards(store, src, author=author)
    store.close()
    return time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``clearground serve`` over one database, on a free loopback port."""

    def __init__(self, db: Path, log: Path) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CLEARGROUND_DB": f"sqlite:///{db}"}
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(ROOT / "src"), env.get("PYTHONPATH", "")) if p
        )
        env.pop("CLEARGROUND_CONFIG", None)
        self.log = log
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "clearground.cli", "serve", "--port", str(self.port)],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).read()
                return
            except OSError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(
                        f"server did not start:\n{log.read_text()[-3000:]}"
                    ) from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


READ = """() => {
  const one = (n) => {
    const e = performance.getEntriesByName(n); return e.length ? e[0].startTime : null;
  };
  return {first_hazard: one('clearground:first-hazard'), map_load: one('clearground:map-load'),
          origin: performance.timeOrigin};
}"""


def open_map(browser, base: str, timeout_s: float) -> dict:
    """One visit to /map in a fresh context: the marks and the tile requests."""
    context = browser.new_context(viewport=VIEWPORT)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # MapLibre fetches tiles in its web workers, whose requests the page's own resource timing
    # does not hold: Playwright reports them (with their resource timing) for the page.
    finished: list = []
    page.on("requestfinished", lambda r: finished.append(r) if TILE.search(r.url) else None)
    try:
        page.goto(base + "/map")
        page.wait_for_function(
            "performance.getEntriesByName('clearground:first-hazard').length > 0",
            timeout=timeout_s * 1000,
        )
        result = page.evaluate(READ)
        # the rest of the view's tiles, for their timings (bounded: never waits past timeout)
        try:
            page.wait_for_function(
                "window.clearground && window.clearground.map && "
                "window.clearground.map.areTilesLoaded()",
                timeout=timeout_s * 1000,
            )
            result["all_tiles_ms"] = page.evaluate("performance.now()")
        except Exception:  # noqa: BLE001 - reported as not reached
            result["all_tiles_ms"] = None
        result["tiles"] = [tile_timing(r, result["origin"]) for r in finished]
        result["rendered"] = page.evaluate(
            "window.clearground.map.queryRenderedFeatures({layers: "
            "['hazards-fill', 'hazards-point']}).length"
        )
        # the same page again in the same browser: its HTTP cache holds the tiles, which the
        # server confirms by ETag (304, no record read) as long as no record changed
        finished.clear()
        page.goto(base + "/map")
        page.wait_for_function(
            "performance.getEntriesByName('clearground:first-hazard').length > 0",
            timeout=timeout_s * 1000,
        )
        again = page.evaluate(READ)
        result["warm_first_hazard"] = again["first_hazard"]
        result["warm_tiles"] = len(finished)
        result["warm_revalidated"] = sum(
            1 for r in finished if r.all_headers().get("if-none-match")
        )
    finally:
        context.close()
    if errors:
        raise RuntimeError(f"errors in the page's scripts: {errors}")
    return result


def tile_timing(request, origin: float) -> dict:
    """A tile request's times in milliseconds from navigation start (the page's time origin)."""
    t = request.timing
    start = t["startTime"] - origin
    response = request.response()
    return {
        "name": request.url,
        "start": start,
        "end": start + t["responseEnd"],
        "duration": t["responseEnd"],
        "bytes": len(response.body()) if response is not None else 0,
    }


def tile_summary(tiles: list[dict]) -> str:
    hazard = [t for t in tiles if "/hazard_areas/" in t["name"]]
    if not hazard:
        return "no hazard tile requested"
    zooms = sorted({int(TILE.search(t["name"]).group(2)) for t in hazard})
    durations = [t["duration"] for t in hazard]
    first_end = min(t["end"] for t in hazard)
    kib = sum(t["bytes"] or 0 for t in hazard) / 1024
    return (
        f"{len(hazard)} hazard tiles at z{','.join(map(str, zooms))}: "
        f"first answered at {first_end:.0f} ms, each {min(durations):.0f}-"
        f"{statistics.median(durations):.0f}-{max(durations):.0f} ms (min-median-max), "
        f"{kib:.0f} KiB in all; {len(tiles)} tile requests of every layer"
    )


def measure(browser, base: str, repeat: int, timeout_s: float) -> list[dict]:
    return [open_map(browser, base, timeout_s) for _ in range(repeat)]


def report(label: str, runs: list[dict]) -> float:
    first = statistics.median(r["first_hazard"] for r in runs)
    load = statistics.median(r["map_load"] for r in runs)
    done = [r["all_tiles_ms"] for r in runs if r["all_tiles_ms"] is not None]
    print(f"{label}:")
    print(f"  first rendered hazard      {first:>9.0f} ms from navigation start (median)")
    print(f"  map load (style in)        {load:>9.0f} ms")
    warm = statistics.median(r["warm_first_hazard"] for r in runs)
    last = runs[-1]
    print(
        f"  again, same browser        {warm:>9.0f} ms ({last['warm_revalidated']} of "
        f"{last['warm_tiles']} tiles revalidated by ETag: If-None-Match sent)"
    )
    if done:
        print(f"  every tile of the view in  {statistics.median(done):>9.0f} ms")
    each = ", ".join(f"{r['first_hazard']:.0f}" for r in runs)
    print(f"  runs: {each} ms")
    print(f"  hazard features rendered in the first view: {runs[-1]['rendered']}")
    print(f"  last run: {tile_summary(runs[-1]['tiles'])}")
    return first


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hazards", type=int, default=100_000)
    parser.add_argument("--baseline", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300, help="seconds a page may take")
    parser.add_argument("--keep", type=Path, help="a folder to keep (and reuse) the databases in")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} is missing (apt-get install chromium)", file=sys.stderr)
        return 2
    if not (ROOT / "src/clearground/web/static/vendor/maplibre-gl/maplibre-gl.js").exists():
        subprocess.run([str(ROOT / "scripts" / "build-assets")], check=True, cwd=ROOT)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        dbs = {}
        for n in (args.baseline, args.hazards):
            dbs[n] = folder / f"map-{n}.db"
            took = build(dbs[n], n)
            print(
                f"database of {n:,} SYNTHETIC hazards: "
                + (f"built in {took:.1f} s" if took else f"reused {dbs[n]}")
            )
        results = {}
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                for n in (args.baseline, args.hazards):
                    server = Server(dbs[n], folder / f"serve-{n}.log")
                    try:
                        results[n] = measure(browser, server.base, args.repeat, args.timeout)
                    finally:
                        server.stop()
            finally:
                browser.close()
        base = report(f"baseline: {args.baseline:,} hazards", results[args.baseline])
        big = report(f"{args.hazards:,} hazards", results[args.hazards])
        print(
            f"ratio {big / base:.2f} x (first rendered hazard, {args.hazards:,} over "
            f"{args.baseline:,} hazards)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
