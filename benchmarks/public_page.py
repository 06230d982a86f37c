"""The public page in a real browser: time to the first rendered hazard tile, and time to the
answer of a route check of about 300 km computed in the page (hazards.fgb read by range
requests), on a site published from SYNTHETIC hazard areas.

Headless Debian Chromium with software WebGL (SwiftShader) on this machine, the site served by
tests/publish/static_server.py on loopback: figures for comparison between runs, not a phone on
a mobile network. Times are read off the page's performance timeline: ``first tile`` is the
mark at the first frame drawn after a hazard tile arrived, from navigation start; ``check`` is
the measure around the page's check (fetch of the features near the route, distances, coverage).
The CLI's check on the same route and database is timed beside it, in process, as the baseline.

    .venv/bin/python benchmarks/public_page.py                   # 10,000 hazards, a quick run
    .venv/bin/python benchmarks/public_page.py --hazards 100000  # the full figure
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: About 300 km (geodesic) across the middle of Ukraine, where the synthetic hazards lie.
ROUTE = [(30.0, 50.5), (31.5, 49.9), (33.9, 49.6)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hazards", type=int, default=10_000)
    ap.add_argument("--buffer", type=float, default=200.0)
    ap.add_argument("--runs", type=int, default=3, help="page loads (the best is reported)")
    args = ap.parse_args()

    import shapely
    from benchmarks.publish import build_db
    from playwright.sync_api import sync_playwright
    from tests.browser.conftest import CHROMIUM, FLAGS
    from tests.publish.static_server import serve

    from clearground.domain.coverage import geodesic_length
    from clearground.services.check import check
    from clearground.services.publish import publish
    from clearground.store import open_store

    line = shapely.LineString(ROUTE)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        url = build_db(folder, args.hazards)
        build_s = time.perf_counter() - t
        store = open_store(url, require_schema=True)
        try:
            t = time.perf_counter()
            publish(store, folder / "site", publisher="bench")
            publish_s = time.perf_counter() - t
            t = time.perf_counter()
            cli = check(store, line, buffer_m=args.buffer)
            cli_s = time.perf_counter() - t
        finally:
            store.close()
        first, checks, fetched = [], [], 0
        with serve(folder / "site") as server, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                for _ in range(args.runs):
                    context = browser.new_context(viewport={"width": 1280, "height": 800})
                    page = context.new_page()
                    page.goto(server.base + "index.html")
                    page.wait_for_function(
                        "performance.getEntriesByName('clearground-first-tile').length > 0",
                        timeout=120_000,
                    )
                    first.append(
                        page.evaluate(
                            "performance.getEntriesByName('clearground-first-tile')[0].startTime"
                        )
                    )
                    page.wait_for_function("window.clearground.ready === true")
                    answer = page.evaluate(
                        "(a) => window.clearground.check({type: 'LineString', coordinates: a[0]},"
                        " a[1])",
                        [[list(p) for p in ROUTE], args.buffer],
                    )
                    checks.append(
                        page.evaluate(
                            "performance.getEntriesByName('clearground-check').at(-1).duration"
                        )
                    )
                    fetched = answer["fetched"]
                    same = [h["id"] for h in answer["hazards"]] == [h["id"] for h in cli["hazards"]]
                    if not same or answer["message"] != cli["message"]:
                        raise SystemExit("the page's answer differs from the CLI's")
                    context.close()
            finally:
                browser.close()
        ranges = sum(1 for p, r in server.requests if p.startswith("/hazards.fgb") and r)
    print(
        f"public page, {args.hazards:,} SYNTHETIC hazard areas (database {build_s:.1f} s, "
        f"publish {publish_s:.1f} s)"
    )
    print(
        f"  time to first rendered tile: {min(first):,.0f} ms (runs: "
        + ", ".join(f"{x:,.0f}" for x in first)
        + ")"
    )
    print(
        f"  route check, {geodesic_length(line) / 1000:,.0f} km, buffer {args.buffer:g} m: "
        f"{min(checks):,.0f} ms in the page (runs: "
        + ", ".join(f"{x:,.0f}" for x in checks)
        + f"); CLI in process {cli_s * 1000:,.0f} ms; ratio {min(checks) / 1000 / cli_s:.1f}x"
    )
    print(
        f"  {len(cli['hazards'])} hazards found, {fetched} features read from hazards.fgb "
        f"({ranges} range requests over {args.runs} runs); same answer as the CLI"
    )


if __name__ == "__main__":
    main()
