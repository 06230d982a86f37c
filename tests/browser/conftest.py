"""Browser tests: Playwright (Python) drives Debian's Chromium, headless with software WebGL
(SwiftShader) for MapLibre, against a real ``clearground serve`` on a free loopback port over
a demo database (``clearground demo`` plus ``clearground.demo_web``: SYNTHETIC records and one
account per role).

The server and the browser are module-scoped (one of each per test module: starting them is
most of the time); each test gets a fresh browser context (cookies) and page. Without Chromium
(``/usr/bin/chromium``; ``scripts/test`` installs it) the tests skip, except under ``CI=true``,
where they fail. The front-end files must be built (``scripts/build-assets``; this conftest
runs it when they are missing and npm is there).

Helpers: ``login(page, name)``, ``shoot(page, name)`` (desktop and phone screenshots into
``build/screenshots/``), ``axe_violations(page)`` (axe-core's serious and critical ones).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.serving import serving

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CLEARGROUND_CHROMIUM", "/usr/bin/chromium")
VENDOR = ROOT / "src" / "clearground" / "web" / "static" / "vendor"
SCREENSHOTS = ROOT / "build" / "screenshots"
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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests cannot run under CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    if not Path(CHROMIUM).exists():
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium; scripts/test does)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _unavailable("the playwright package is missing (pip install -e '.[dev]')")
    if not (VENDOR / "maplibre-gl" / "maplibre-gl.js").exists():
        if shutil.which("npm") is None:
            _unavailable("the front-end files are not built and npm is missing")
        subprocess.run([str(ROOT / "scripts" / "build-assets")], check=True, cwd=ROOT)
    return CHROMIUM


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A demo database, built once a session, and its accounts' passwords."""
    from clearground.cli import main
    from clearground.config import load_settings
    from clearground.demo_web import add_web_demo
    from clearground.store import open_store

    path = tmp_path_factory.mktemp("browser-demo") / "demo.db"
    url = f"sqlite:///{path}"
    assert main(["--db", url, "demo", "--hazards", "60"]) == 0
    settings = load_settings(None, db=url, author="tester")
    store = open_store(url, require_schema=True)
    try:
        logins = add_web_demo(store, settings)
    finally:
        store.close()
    return path, logins


@pytest.fixture(scope="module")
def demo(demo_template, tmp_path_factory) -> tuple[str, dict[str, str]]:
    """A copy of the demo database for this module: (its URL, the logins)."""
    path, logins = demo_template
    copy = tmp_path_factory.mktemp("browser-db") / "demo.db"
    shutil.copy(path, copy)
    return f"sqlite:///{copy}", logins


@pytest.fixture(scope="module")
def live_server(demo, tmp_path_factory) -> Iterator[str]:
    """``clearground serve`` over this module's demo database on a free loopback port."""
    url, _ = demo
    log = tmp_path_factory.mktemp("browser-serve") / "serve.log"
    with serving(url, log) as base:
        yield base


@pytest.fixture(scope="module")
def browser(chromium_path) -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path, headless=True, args=FLAGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser, live_server) -> Iterator:
    """A fresh page (its own cookies) whose relative URLs go to the live server; a page error
    (an uncaught exception in the page's scripts) fails the test."""
    context = browser.new_context(base_url=live_server, viewport=DESKTOP)
    p = context.new_page()
    errors: list[str] = []
    p.on("pageerror", lambda exc: errors.append(str(exc)))
    p.page_errors = errors
    try:
        yield p
    finally:
        context.close()
    assert not errors, f"errors in the page's scripts: {errors}"


def login(page, name: str, password: str, *, next: str = "/map") -> None:
    """Sign in through the login form and land on ``next``."""
    page.goto(f"/login?next={next}")
    page.fill("#name", name)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("form.form-narrow button[type=submit]")


def shoot(page, name: str) -> list[Path]:
    """Screenshots of the page at desktop and phone width: build/screenshots/NAME-*.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    out = []
    size = page.viewport_size
    for label, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)
        path = SCREENSHOTS / f"{name}-{label}.png"
        page.screenshot(path=str(path), full_page=True)
        out.append(path)
    page.set_viewport_size(size or DESKTOP)
    return out


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """axe-core's violations of ``impacts`` on the page (served from /static/vendor)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"][:5]],
        }
        for v in result["violations"]
        if v["impact"] in impacts
    ]
