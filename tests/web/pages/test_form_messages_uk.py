"""The rules' problems next to a form's fields in Ukrainian (web/pages/messages_uk.py): each
common English message by its pattern, with the ids, values and numbers it names carried over;
an English page unchanged; a message no pattern knows left in English."""

from __future__ import annotations

import html as html_lib
import re

import pytest
import shapely

from clearground.web.pages.messages_uk import PATTERNS, translate
from tests.web.pages.forms_support import (  # noqa: F401 (fixtures)
    HAZARD,
    WEST,
    csrf,
    field_html,
    people_fixture,
    record_hazard,
    sign_in,
    web_fixture,
)

#: "safe" in Ukrainian (безпечно, безпечна, ...), not "dangerous" (небезпечна)
SAFE = re.compile(r"(?<!не)безпечн", re.IGNORECASE)

#: English problems (as the rules word them) and what a Ukrainian page shows.
CASES = [
    ("date '2999-01-01' is in the future", "date '2999-01-01': дата в майбутньому"),
    (
        "date 'yesterday' is not an ISO 8601 date (YYYY-MM-DD)",
        "date 'yesterday': це не дата у форматі ISO 8601 (РРРР-ММ-ДД)",
    ),
    (
        "method 'bogus' is not manual, mechanical, animal_detection or battle_area_clearance",
        "method 'bogus': має бути одне з: manual, mechanical, animal_detection або "
        "battle_area_clearance",
    ),
    ("sex is not one of female, male, unknown", "sex: має бути одне з: female, male, unknown"),
    ("'x' is not one of a, b", "'x': має бути одне з: a, b"),
    ("quantity 'many' is not a whole number", "quantity 'many': це не ціле число"),
    (
        "category 'bogus' is not an EO category (mine_ap, uxo, other)",
        "category 'bogus': це не категорія ВНП (mine_ap, uxo, other)",
    ),
    ("outcome is empty", "outcome: поле порожнє"),
    (
        "invalid polygon: Self-intersection[30.0025 50.005] (use --repair to repair it)",
        "недійсний полігон: Self-intersection[30.0025 50.005] (його можна виправити "
        "параметром --repair)",
    ),
    ("geometry is a LineString, not a polygon", "геометрія — LineString, а не полігон"),
    (
        "likely swapped lat/lon: (50.005, 30) read as lon, lat lies outside the operating "
        "region, and swapped it lies inside; write coordinates as lon, lat",
        "ймовірно, переплутано широту й довготу: (50.005, 30), прочитане як довгота, широта, "
        "лежить поза операційним регіоном, а з переставленими координатами — всередині нього; "
        "записуйте координати як довгота, широта",
    ),
    ("hazard 'HA-999999' not found", "Небезпеку «HA-999999» не знайдено"),
    (
        "activity LR-000001 polygon lies outside hazard HA-000001 by more than 1 m",
        "полігон діяльності LR-000001 виходить за межі небезпеки HA-000001 більш ніж на 1 м",
    ),
    (
        "LR-000001 does not close hazard HA-000001: 398,692 m² of its 797,383 m² is not "
        "released yet (the hazard stays in_progress), around lon 30.00750, lat 50.00500 "
        "(within lon 30.00500..30.01000, lat 50.00000..50.01000); draw the polygon over all of "
        "the land left, or record the non-technical survey (cancel), technical survey (reduce) "
        "or clearance (clear) that releases it first",
        "LR-000001 не закриває небезпеку HA-000001: 398\u00a0692 м² з її 797\u00a0383 м² ще не "
        "звільнено (небезпека лишається в статусі «у роботі»), біля довготи 30.00750, широти "
        "50.00500 (у межах довготи 30.00500..30.01000, широти 50.00000..50.01000); накресліть "
        "полігон над усією землею, що лишилася, або спершу зареєструйте нетехнічне обстеження "
        "(скасування), технічне обстеження (зменшення) чи розчищення (очищення), яке її "
        "звільняє",
    ),
    (
        "duplicate id 'EO-1' (also feature 2)",
        "ідентифікатор 'EO-1' повторюється (також об'єкт 2)",
    ),
    (
        "SB-000002: may duplicate SB-000001, EO-000001",
        "SB-000002: можливо, дублює SB-000001, EO-000001",
    ),
]


@pytest.mark.parametrize("english, ukrainian", CASES)
def test_each_common_problem_in_ukrainian(english, ukrainian):
    assert translate(english, "uk") == ukrainian
    assert translate(english, "en") == english
    assert not SAFE.search(ukrainian)


def test_an_unknown_message_stays_in_english():
    text = "longitude 181 is beyond ±180: something no pattern knows"
    assert translate(text, "uk") == text
    assert not any(SAFE.search(t) for _, t in PATTERNS if isinstance(t, str))


def _nts(hid, **over):
    return {
        "hazard_id": hid,
        "date": "2024-05-01",
        "organisation": "SYNTHETIC survey team",
        "geometry": shapely.to_geojson(WEST),
        **over,
    }


def _problems(html: str, name: str) -> list[str]:
    """The problems shown next to input ``name`` ("" for the form as a whole)."""
    if name in ("", "geometry"):  # the form's own, or the place's (err-geometry)
        found = re.findall(
            rf'class="field-error" id="err-{name or "form"}"[^>]*>(.*?)</', html, re.S
        )
    else:
        found = re.findall(r'class="field-error"[^>]*>(.*?)</', field_html(html, name), re.S)
    return [html_lib.unescape(p) for p in found]


def test_a_ukrainian_form_shows_the_rules_problems_in_ukrainian_next_to_the_fields(
    web, store, tmp_path
):
    hid = record_hazard(store, tmp_path)
    sign_in(web, "ivan")
    token = csrf(web, "/forms/nts")
    bowtie = (
        '{"type":"Polygon","coordinates":[[[30,50],[30.005,50.01],[30.005,50],[30,50.01],[30,50]]]}'
    )
    swapped = shapely.to_geojson(shapely.box(50.0, 30.0, 50.005, 30.01))
    cases = [  # (what is sent, the field, the English problem, the Ukrainian one starts)
        (
            _nts(hid, date="2999-01-01"),
            "date",
            "date '2999-01-01' is in the future",
            "date '2999-01-01': дата в майбутньому",
        ),
        (
            _nts(hid, date="yesterday"),
            "date",
            "is not an ISO 8601 date",
            "date 'yesterday': це не дата",
        ),
        (
            _nts(hid, methods=["bogus"]),
            "",
            "method 'bogus' is not manual",
            "method 'bogus': має бути одне з: manual",
        ),
        (
            _nts("HA-999999"),
            "hazard_id",
            "hazard 'HA-999999' not found",
            "Небезпеку «HA-999999» не знайдено",
        ),
        (
            _nts(hid, geometry=bowtie),
            "geometry",
            "invalid polygon: Self-intersection",
            "недійсний полігон: Self-intersection",
        ),
        (
            _nts(hid, geometry='{"type":"LineString","coordinates":[[30,50],[30.005,50.01]]}'),
            "geometry",
            "geometry is a LineString, not a polygon",
            "геометрія — LineString, а не полігон",
        ),
        (
            _nts(hid, geometry=swapped),
            "geometry",
            "likely swapped lat/lon: (50.005, 30)",
            "ймовірно, переплутано широту й довготу: (50.005, 30)",
        ),
        (
            _nts(hid, geometry=shapely.to_geojson(shapely.box(30.02, 50.02, 30.03, 50.03))),
            "geometry",
            "lies outside hazard HA-000001 by more than 1 m",
            "виходить за межі небезпеки HA-000001 більш ніж на 1 м",
        ),
        (_nts(""), "hazard_id", "hazard_id is empty (the form requires it)", "hazard_id"),
    ]
    for data, name, english, ukrainian in cases:
        en = web.post("/forms/nts?lang=en", data={**data, "csrf_token": token})
        assert en.status_code == 400, (name, english)
        en_problems = _problems(en.text, name)
        assert any(english in p for p in en_problems), (name, en_problems)
        uk = web.post("/forms/nts?lang=uk", data={**data, "csrf_token": token})
        assert uk.status_code == 400
        uk_problems = _problems(uk.text, name)
        assert any(ukrainian in p for p in uk_problems), (name, uk_problems)
        assert not any(english in p for p in uk_problems), (name, uk_problems)
    # the land release rule: closing a hazard without releasing its area, in Ukrainian
    token = csrf(web, "/forms/clearance")
    uk = web.post("/forms/clearance?lang=uk", data={**_nts(hid), "csrf_token": token})
    assert uk.status_code == 400
    problems = _problems(uk.text, "geometry")
    assert any(
        p.startswith("LR-")
        and f"не закриває небезпеку {hid}:" in p
        and "біля довготи 30.00750" in p
        for p in problems
    ), problems
    en = web.post("/forms/clearance?lang=en", data={**_nts(hid), "csrf_token": token})
    assert any(f"does not close hazard {hid}" in p for p in _problems(en.text, "geometry"))
