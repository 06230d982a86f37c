"""The records list over TestClient on each engine: the store filters and pages (status,
classification, admin area, organisation, date, as of), and the page links walk every match
once. Expected answers are computed here in Python from the store's full list."""

from __future__ import annotations

import re

import pytest

HTTPS = "https://testserver"


@pytest.fixture
def site(store_url, monkeypatch):
    from fastapi.testclient import TestClient

    from clearground.cli import main
    from clearground.config import load_settings
    from clearground.demo_web import add_web_demo
    from clearground.store import open_store
    from clearground.web import create_app
    from clearground.web.pages import records

    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    monkeypatch.setattr(records, "PAGE", 4)  # a few pages out of the demo's 14 hazards
    assert main(["--db", store_url, "demo", "--hazards", "14"]) == 0
    settings = load_settings(None, db=store_url, author="tester")
    store = open_store(store_url, require_schema=True)
    try:
        logins = add_web_demo(store, settings)
        with TestClient(create_app(settings), base_url=HTTPS) as c:
            r = c.post(
                "/login",
                data={"name": "demo-imo", "password": logins["demo-imo"], "next": "/records"},
                follow_redirects=False,
            )
            assert r.status_code == 303, r.text
            yield c, store
    finally:
        store.close()


def _ids(html: str, kind: str = "hazard") -> list[str]:
    return re.findall(rf'href="/records/{kind}/([A-Z]+-\d+)"', html)


def _walk(c, query: str) -> tuple[list[str], int]:
    """Every id on every page of a query, following the Next links; and the matched count."""
    html = c.get(f"/records?{query}").text
    matched = int(re.search(r"(\d+) records? match", html).group(1))
    seen = _ids(html)
    while m := re.search(r'<a href="([^"]+)">Next</a>', html):
        html = c.get(m.group(1).replace("&amp;", "&")).text
        seen += _ids(html)
    return seen, matched


def test_pages_walk_every_match_once_in_id_order(site):
    c, store = site
    every = sorted(v.id for v in store.list("hazard"))
    seen, matched = _walk(c, "kind=hazard")
    assert seen == every and matched == len(every) == 14
    first = c.get("/records?kind=hazard").text
    assert "Page 1 of 4" in first and len(_ids(first)) == 4
    last = c.get("/records?kind=hazard&page=4").text
    assert _ids(last) == every[12:] and "Previous" in last and ">Next<" not in last


def test_filters_agree_with_the_records(site):
    c, store = site
    hazards = [v.record for v in store.list("hazard")]
    closed = sorted(h.id for h in hazards if str(h.status) == "closed")
    assert closed, "the demo closes some hazards"
    assert _walk(c, "kind=hazard&status=closed") == (closed, len(closed))
    sha_active = sorted(
        h.id for h in hazards if str(h.status) == "active" and str(h.classification) == "SHA"
    )
    got = _walk(c, "kind=hazard&status=active&classification=SHA")
    assert got == (sha_active, len(sha_active))
    pcode = sorted(h.admin_pcode for h in hazards if h.admin_pcode)[0][:4]
    inside = sorted(h.id for h in hazards if h.admin_pcode.startswith(pcode))
    assert 0 < len(inside) <= len(hazards)
    assert _walk(c, f"kind=hazard&admin={pcode}") == (inside, len(inside))
    days = sorted(h.date_reported for h in hazards if h.date_reported)
    mid = days[len(days) // 2]
    later = sorted(h.id for h in hazards if h.date_reported and h.date_reported >= mid)
    assert _walk(c, f"kind=hazard&date_from={mid}") == (later, len(later))
    bad = c.get("/records?kind=hazard&date_from=2025-02-01&date_to=2025-01-01")
    assert bad.status_code == 400 and "date_from" in bad.text


def test_hazards_of_an_organisation_are_those_it_worked_on(site):
    c, store = site
    activities = [v.record for v in store.list("activity")]
    teams = sorted({a.organisation for a in activities})
    assert len(teams) >= 2, teams
    for team in teams:
        worked = sorted({a.hazard_id for a in activities if a.organisation == team})
        assert _walk(c, f"kind=hazard&organisation={team}") == (worked, len(worked))
        own = sorted(a.id for a in activities if a.organisation == team)
        html = c.get(f"/records?kind=activity&organisation={team}").text
        assert _ids(html, "activity") == own[:4]
    assert _walk(c, "kind=hazard&organisation=SYNTHETIC nobody") == ([], 0)
    # the organisation filter is offered where records have one; EO items have none
    assert 'id="f-org"' in c.get("/records?kind=hazard").text
    eo = c.get("/records?kind=eo&organisation=SYNTHETIC nobody&status=closed").text
    assert 'id="f-org"' not in eo and 'id="f-status"' not in eo
    assert int(re.search(r"(\d+) records? match", eo).group(1)) == store.count("eo")


def test_as_of_lists_the_records_of_then(site):
    c, store = site
    hazard = store.list("hazard")[0]
    before = "2000-01-01"
    assert _walk(c, f"kind=hazard&as_of={before}") == ([], 0)
    now, matched = _walk(c, f"kind=hazard&as_of=2999-01-01&status={hazard.record.status}")
    assert hazard.id in now and matched == len(now)
