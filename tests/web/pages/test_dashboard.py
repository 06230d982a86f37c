"""The dashboard page and its CSV routes, on each engine: the numbers of the synthetic fixture
(tests/dashboard_data.py) as the page shows them, each figure's chart data, table and CSV link,
the filters, the languages, and who may see it."""

from __future__ import annotations

import json
import re

import pytest

from clearground.services import dashboard
from clearground.store import open_store
from tests import dashboard_data as d
from tests.conftest import ENGINES
from tests.web.pages.dashboard_support import NEEDLES, world_for

A, HALF = d.A, d.A_HALF_2


@pytest.fixture(scope="module", params=ENGINES)
def world(request, tmp_path_factory):
    yield from world_for(request, tmp_path_factory)


def _charts(html: str) -> dict[str, dict]:
    found = re.findall(
        r'<script type="application/json" class="chart-data" data-figure="(\w+)">(.*?)</script>',
        html,
        re.S,
    )
    return {name: json.loads(body) for name, body in found}


def _table(html: str, figure: str) -> list[list[str]]:
    """The rows of a figure's table, as cell texts."""
    section = html.split(f'id="figure-{figure}"', 1)[1].split("</section>", 1)[0]
    body = section.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, re.S)
    return [[c.strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)] for r in rows]


def _n(x: float) -> str:
    return f"{round(x):,}"


def test_every_figure_has_a_chart_a_table_and_a_csv_link(world):
    r = world.get("/dashboard", "viewer")
    assert r.status_code == 200, r.text[:500]
    html = r.text
    assert '<script src="/static/vendor/chart.js/chart.umd.min.js">' in html
    assert '<script src="/static/js/dashboard.js">' in html
    charts = _charts(html)
    assert sorted(charts) == sorted(dashboard.FIGURES)
    for name in dashboard.FIGURES:
        assert f'href="/dashboard/{name}.csv"' in html
        assert f'<canvas class="chart" data-figure="{name}" role="img"' in html
    released = charts["released"]
    assert released["labels"] == ["January 2024", "February 2024", "March 2024"]
    assert [s["label"] for s in released["series"]] == [
        "Cancelled (m²)",
        "Reduced (m²)",
        "Cleared (m²)",
    ]
    cancelled, reduced, cleared = (s["data"] for s in released["series"])
    assert cancelled == pytest.approx([A["HA-1"], 0, 0])
    assert reduced == pytest.approx([0, 0, HALF])
    assert cleared == pytest.approx([0, 0, A["HA-4"]])
    assert charts["casualties"]["series"][0]["data"] == [1, 0]  # civilians killed
    assert charts["operators"]["labels"] == ["SYNTHETIC Operator One", "SYNTHETIC Operator Two"]


def test_the_tables_show_the_numbers_formatted(world):
    html = world.get("/dashboard", "operator").text
    assert _table(html, "released") == [
        ["January 2024", _n(A["HA-1"]), "0", "0", _n(A["HA-1"]), "1"],
        ["February 2024", "0", "0", "0", "0", "0"],
        ["March 2024", "0", _n(HALF), _n(A["HA-4"]), _n(HALF + A["HA-4"]), "2"],
    ]
    assert _table(html, "casualties") == [
        ["February 2024", "1", "1", "0", "0", "2", "1"],
        ["March 2024", "0", "0", "0", "1", "1", "1"],
    ]
    hazards = _table(html, "hazards")
    assert [row[:4] for row in hazards] == [
        ["UA01", "SYNTHETIC Oblast A", "3", "2"],
        ["UA02", "SYNTHETIC Oblast B", "1", "0"],
    ]
    assert hazards[1][-1] == "0"  # all of HA-4 is cleared
    assert "Unrecorded hazards may exist anywhere" in html
    assert "safe" not in html.lower().replace("safety", "")


def test_filters_narrow_every_figure_and_go_into_the_csv_links(world):
    html = world.get("/dashboard?area=UA01&month=2024-03", "viewer").text
    assert _table(html, "released") == [["March 2024", "0", _n(HALF), "0", _n(HALF), "1"]]
    assert [row[0] for row in _table(html, "hazards")] == ["UA0101", "UA0102"]
    assert 'href="/dashboard/eo.csv?area=UA01&amp;month=2024-03"' in html
    assert '<option value="UA01" selected>' in html
    past = world.get(f"/dashboard?as_of={d.BEFORE_ANY_RECORD}", "viewer")
    assert past.status_code == 200
    assert "Nothing recorded for these filters." in past.text


def test_csv_of_each_figure_is_the_services_csv(world):
    store = open_store(world.url)
    try:
        for name in dashboard.FIGURES:
            r = world.get(f"/dashboard/{name}.csv?area=UA01", "viewer")
            assert r.status_code == 200
            assert r.headers["content-type"] == "text/csv; charset=utf-8"
            assert f'filename="clearground-{name}-UA01.csv"' in r.headers["content-disposition"]
            fig = dashboard.figure(store, name, dashboard.filters(area="UA01"))
            assert r.text == dashboard.csv_text(fig)
    finally:
        store.close()
    lines = world.get("/dashboard/casualties.csv", "viewer").text.splitlines()
    assert lines == [
        "month,civilian_killed,civilian_injured,deminer_killed,deminer_injured,casualties,accidents",
        "2024-02,1,1,0,0,2,1",
        "2024-03,0,0,0,1,1,1",
    ]


def test_bad_filters_say_what_is_wrong(world):
    r = world.get("/dashboard?month=2024-13", "viewer")
    assert r.status_code == 400
    assert "month &#39;2024-13&#39;: not a month as YYYY-MM" in r.text
    r = world.get("/dashboard?area=UA99", "viewer")
    assert r.status_code == 400 and "admin area &#39;UA99&#39; not found" in r.text
    assert world.get("/dashboard/victims.csv", "viewer").status_code == 400
    assert world.get("/dashboard/eo.csv?month=May", "viewer").status_code == 400


def test_ukrainian_titles_months_and_numbers(world):
    r = world.get("/dashboard?lang=uk", "viewer")
    assert r.status_code == 200 and r.headers["content-language"] == "uk"
    html = r.text
    assert "Вивільнена площа за місяцями за результатом" in html
    assert _table(html, "released")[0][0] == "січень 2024"
    # Ukrainian groups digits with a (no-break) space
    assert _table(html, "released")[0][1] == _n(A["HA-1"]).replace(",", "\u00a0")
    assert _charts(html)["released"]["series"][0]["label"] == "Скасовано (м²)"


def test_the_public_is_sent_to_sign_in_and_every_role_signed_in_sees_it(world):
    for path in ("/dashboard", "/dashboard/eo.csv"):
        r = world.get(path)
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=%2Fdashboard")
    for role in ("viewer", "operator", "im_officer", "admin"):
        assert world.get("/dashboard", role).status_code == 200
        assert world.get("/dashboard/released.csv", role).status_code == 200


def test_no_role_sees_victims_personal_data_on_the_dashboard(world):
    for role in ("viewer", "operator", "im_officer", "admin"):
        texts = [world.get("/dashboard", role).text]
        texts += [world.get(f"/dashboard/{n}.csv", role).text for n in dashboard.FIGURES]
        for text in texts:
            assert [n for n in NEEDLES if n in text] == []
