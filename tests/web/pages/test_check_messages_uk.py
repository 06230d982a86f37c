"""The route and place check's message in Ukrainian for the pages: the catalogue holds every
check template (three plural forms for the number of hazards), the JSON API adds
``message_uk`` when a page asks (``lang=uk``) and never changes ``message``, and the map page
asks in the page's language. The public site's side: tests/publish (metadata.json
``messages_uk``, check.js's ``message_uk`` equal to the server's)."""

from __future__ import annotations

import json
import re
import string

import pytest

from clearground.services.check import MESSAGES
from clearground.web.pages.check_messages import coverage_text, message_in, templates
from tests.helpers import hazard


@pytest.fixture
def recorded(store):
    with store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-000001")], author="SYNTHETIC seed", reason="test data")
        tx.commit()


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_every_check_template_is_in_ukrainian_with_its_fields():
    uk = templates("uk")
    assert set(uk) == set(MESSAGES) | {"found_few"}
    for key, text in uk.items():
        english = MESSAGES["found_many" if key == "found_few" else key]
        assert text != english, key  # translated, not left in English
        assert _fields(text) == _fields(english), key
        assert not re.search(r"(?<!не)безпечн", text, re.IGNORECASE), key  # never "safe"
    assert "Незареєстровані небезпеки можуть існувати." in uk["no_hazard"]
    assert templates("en") == MESSAGES


@pytest.mark.parametrize(
    "n, word",
    [
        (1, "небезпеку"),
        (2, "небезпеки"),
        (4, "небезпеки"),
        (5, "небезпек"),
        (11, "небезпек"),
        (12, "небезпек"),
        (21, "небезпеку"),
        (22, "небезпеки"),
        (111, "небезпек"),
    ],
)
def test_the_number_of_hazards_takes_ukrainian_plural_forms(n, word):
    answer = {
        "message": "English",
        "message_key": "found_one" if n == 1 else "found_many",
        "message_args": {"n": n, "crossed": 0, "buffer_m": 1500.5},
    }
    assert message_in(answer, "uk") == (
        f"У межах 1500,5 м зареєстровано {n} {word} (перетнуто: 0). "
        "Незареєстровані небезпеки також можуть існувати."
    )
    assert message_in(answer, "en") == "English"


def test_the_coverage_text_in_ukrainian_and_unknown_text_left_as_it_is():
    region = "the operating region (longitude 22 to 40.25, latitude 44.3 to 52.4)"
    assert coverage_text(region, "uk") == (
        "операційний регіон (довгота від 22 до 40,25, широта від 44,3 до 52,4)"
    )
    imported = f"the coverage area imported into it (A, B, C and 2 more), within {region}"
    assert coverage_text(imported, "uk") == (
        "імпортовану до неї зону покриття (A, B, C та ще 2) в межах операційного регіону "
        "(довгота від 22 до 40,25, широта від 44,3 до 52,4)"
    )
    assert coverage_text("something new", "uk") == "something new"


def test_the_api_adds_message_uk_for_a_page_and_keeps_message(client, recorded):
    point = {"lon": 30.005, "lat": 50.005}
    english = client.get("/api/v1/check", params=point).json()
    assert "message_uk" not in english
    assert english["message_key"] == "found_one" and english["message_args"]["n"] == 1
    r = client.get("/api/v1/check", params={**point, "lang": "uk"})
    uk = r.json()
    assert uk["message"] == english["message"]  # the English text, byte for byte
    assert uk["message_uk"].startswith("У межах 200 м зареєстровано 1 небезпеку (перетнуто: 1)")
    # a route partly outside the operating region: the parts outside named in Ukrainian
    line = {"type": "LineString", "coordinates": [[30.0, 50.005], [30.0, 53.0]]}
    plain = client.post("/api/v1/check", json=line).json()
    body = client.post("/api/v1/check", json=line, params={"lang": "uk"}).json()
    assert body["message"] == plain["message"] and body["covered"] is False
    assert body["message_uk"].startswith(
        "Ця база даних не містить записів про частину цього маршруту: вона охоплює "
    ), body["message_uk"]
    assert " км із " in body["message_uk"] and "від (30.00000, " in body["message_uk"]
    assert "На охопленій частині: У межах 200 м зареєстровано 1 небезпеку" in body["message_uk"]
    assert not re.search(r"(?<!не)безпечн", body["message_uk"], re.IGNORECASE)


def test_an_empty_database_in_ukrainian_never_says_no_recorded_hazard(client):
    body = client.get("/api/v1/check", params={"lon": 30.0, "lat": 50.0, "lang": "uk"}).json()
    assert body["covered"] is False
    assert body["message_uk"] == (
        "Ця база даних не містить записів про це місце: у ній немає жодного запису про "
        "небезпеки. Про небезпеки тут нічого сказати не можна."
    )


def test_the_map_page_asks_for_the_check_in_its_language(client):
    html = client.get("/map?lang=uk").text
    config = json.loads(re.search(r'id="map-config">(.*?)</script>', html, re.S)[1])
    assert config["lang"] == "uk"
    assert config["text"]["checking"] == "Перевірка маршруту…"  # map.js's words in Ukrainian
    english = client.get("/map?lang=en").text
    assert (
        json.loads(re.search(r'id="map-config">(.*?)</script>', english, re.S)[1])["lang"] == "en"
    )
    js = client.get("/static/js/map.js").text
    assert 'url += "&lang="' in js and 'answer["message_" + cfg.lang]' in js


def test_the_api_adds_coverage_uk_and_keeps_coverage(client, recorded):
    point = {"lon": 30.005, "lat": 50.005}
    english = client.get("/api/v1/check", params=point).json()
    assert "coverage_uk" not in english
    uk = client.get("/api/v1/check", params={**point, "lang": "uk"}).json()
    assert uk["coverage"] == english["coverage"]  # the English text, byte for byte
    assert uk["coverage_uk"] == coverage_text(english["coverage"], "uk") != english["coverage"]
    assert uk["coverage_uk"].startswith("операційний регіон (довгота від ")
    empty = {"lon": 30.0, "lat": 50.0, "lang": "uk"}
    assert client.get("/api/v1/check", params={**empty, "lon": 35.0}).json()["coverage_uk"]


def test_a_refused_check_says_why_in_ukrainian_for_a_page(client, recorded):
    """problem+json: ``title_uk``, ``detail_uk`` and ``problems_uk`` beside the English
    members (unchanged) when a page asks with ``lang=uk``; none without it."""
    line = {"type": "LineString", "coordinates": [[-179.5, 50.0], [179.5, 50.01]]}
    plain = client.post("/api/v1/check", json=line)
    assert plain.status_code == 400
    body = plain.json()
    assert "antimeridian" in body["detail"] and "detail_uk" not in body
    uk = client.post("/api/v1/check", json=line, params={"lang": "uk"}).json()
    assert uk["detail"] == body["detail"] and uk["title"] == body["title"]
    assert uk["detail_uk"].startswith("маршрут: довготи від -179.5 до 179.5: він перетинає ")
    assert uk["title_uk"] == "Неправильний запит"
    # an import's refusal: every problem in Ukrainian too
    outside = {"type": "LineString", "coordinates": [[200.0, 50.0], [201.0, 50.0]]}
    body = client.post("/api/v1/check", json=outside).json()
    uk = client.post("/api/v1/check", json=outside, params={"lang": "uk"}).json()
    assert uk["status"] == 422 and uk["problems"] == body["problems"]
    assert uk["title_uk"] == "Вміст не можна обробити"
    assert uk["problems_uk"] == [
        p.replace("coordinates outside lon/lat range", "координати поза межами довготи й широти")
        for p in body["problems"]
    ]
    assert "проблем: 1; нічого не імпортовано" in uk["detail_uk"], uk["detail_uk"]
    js = client.get("/static/js/map.js").text
    assert 'j["detail_" + cfg.lang]' in js and 'answer["coverage_" + cfg.lang]' in js


def test_an_error_page_of_the_web_layer_is_in_ukrainian(client):
    html = {"accept": "text/html"}
    uk = client.get("/no-such-page", params={"lang": "uk"}, headers=html)
    assert uk.status_code == 404 and "Не знайдено" in uk.text
    en = client.get("/no-such-page", params={"lang": "en"}, headers=html)
    assert en.status_code == 404 and "Not Found" in en.text
