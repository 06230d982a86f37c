"""The dashboard, the monthly report and the Users page in a real Chromium over the demo: the
charts drawn by Chart.js (its own count of charts, and pixels on their canvases), the numbers'
tables beside them, a report printed to PDF, axe-core on each page, screenshots into
build/screenshots/."""

from __future__ import annotations

from tests.browser.conftest import axe_violations, login, shoot

#: Non-blank pixels of the first chart's canvas.
PAINTED = """() => {
  const c = document.querySelector('canvas.chart');
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
  return n;
}"""


def _charts_drawn(page) -> int:
    page.wait_for_function("document.documentElement.dataset.chartsDrawn !== undefined")
    return int(page.evaluate("document.documentElement.dataset.chartsDrawn"))


def test_dashboard_draws_a_chart_for_every_figure_with_numbers(page, demo):
    _, logins = demo
    login(page, "demo-viewer", logins["demo-viewer"], next="/dashboard")
    figures = page.locator("section.figure").count()
    with_numbers = page.locator("section.figure table").count()
    assert figures == 5 and with_numbers >= 3  # the demo releases land: released, hazards, ...
    assert _charts_drawn(page) == with_numbers
    assert page.evaluate("Object.keys(Chart.instances).length") == with_numbers
    assert page.evaluate(PAINTED) > 1000
    assert page.locator('a[href="/dashboard/released.csv"]').count() == 1
    found = axe_violations(page)
    assert not found, f"dashboard: axe-core serious/critical violations: {found}"
    shoot(page, "dashboard")


def test_report_prints_to_pdf_and_users_page_for_the_admin(page, demo, tmp_path):
    _, logins = demo
    login(page, "demo-admin", logins["demo-admin"], next="/report?month=2025-06")
    assert page.locator("h1").inner_text().startswith("Monthly report: June 2025")
    _charts_drawn(page)
    found = axe_violations(page)
    assert not found, f"report: axe-core serious/critical violations: {found}"
    shoot(page, "report")
    page.emulate_media(media="print")
    assert page.locator("form.filters").is_hidden()  # the print style sheet hides the form
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000
    page.emulate_media(media="screen")
    page.goto("/users")
    assert page.locator("h1").inner_text() == "Users"
    assert page.locator("text=demo-viewer").count() >= 1
    found = axe_violations(page)
    assert not found, f"users: axe-core serious/critical violations: {found}"
    shoot(page, "users")
