"""The monthly report page, on each engine: one month and admin area of the synthetic fixture
(tests/dashboard_data.py), its headline numbers and figures, print CSS, and who may see it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from clearground.web.pages.report import report_filters
from tests import dashboard_data as d
from tests.conftest import ENGINES
from tests.web.pages.dashboard_support import NEEDLES, world_for

A, HALF = d.A, d.A_HALF_2


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    yield from world_for(request, tmp_path_factory)


def _summary(html: str) -> dict[str, str]:
    block = html.split('<dl class="report-summary">', 1)[1].split("</dl>", 1)[0]
    return dict(re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block))


def _n(x: float) -> str:
    return f"{round(x):,}"


def test_report_of_a_month_and_area_gives_its_numbers(world):
    r = world.get("/report?month=2024-03&area=UA01", "viewer")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert "<h1>Monthly report: March 2024</h1>" in html
    assert "SYNTHETIC Oblast A (UA01)" in html
    assert _summary(html) == {
        "Area released (m²)": _n(HALF),
        "Cancelled (m²)": "0",
        "Reduced (m²)": _n(HALF),
        "Cleared (m²)": "0",
        "Land release activities": "1",
        "EO items found": "0",
        "Casualties": "0",
        "Open hazards": "2",
        "Remaining area (m²)": _n(A["HA-2"] - HALF + A["HA-3"]),
    }
    # the same figures as the dashboard, with CSV links for this month and area
    assert 'href="/dashboard/released.csv?area=UA01&amp;month=2024-03"' in html
    assert html.count('class="figure"') == 5


def test_report_of_all_areas_counts_the_months_casualties_and_eo(world):
    html = world.get("/report?month=2024-02", "im_officer").text
    summary = _summary(html)
    assert summary["Casualties"] == "2" and summary["EO items found"] == "3"
    assert summary["Area released (m²)"] == "0"


def test_report_prints_cleanly(world):
    html = world.get("/report?month=2024-03", "viewer").text
    assert '<link rel="stylesheet" href="/static/css/dashboard.css">' in html
    assert 'onclick="window.print()"' in html
    css = world.client.get("/static/css/dashboard.css")
    assert css.status_code == 200
    media = css.text.split("@media print", 1)[1]
    assert "@page" in media and ".filters" in media and "break-inside: avoid" in media


def test_report_defaults_to_this_month_and_refuses_a_bad_one(world):
    this_month = datetime.now(UTC).date().isoformat()[:7]
    assert report_filters("", "").month == this_month
    assert report_filters("UA02", "", today="2024-05-17").month == "2024-05"
    html = world.get("/report", "viewer").text
    label = datetime.now(UTC).strftime("%B %Y")
    assert f"<h1>Monthly report: {label}</h1>" in html
    r = world.get("/report?month=2024-3", "viewer")
    assert r.status_code == 400 and "not a month as YYYY-MM" in r.text


def test_report_in_ukrainian(world):
    html = world.get("/report?month=2024-03&lang=uk", "viewer").text
    assert "<h1>Місячний звіт: березень 2024</h1>" in html
    assert "Надрукувати або зберегти як PDF" in html


def test_the_public_is_sent_to_sign_in_and_no_one_sees_personal_data(world):
    r = world.get("/report?month=2024-02")
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=%2Freport")
    for role in ("viewer", "operator", "im_officer", "admin"):
        r = world.get("/report?month=2024-02", role)
        assert r.status_code == 200
        assert [n for n in NEEDLES if n in r.text] == []
