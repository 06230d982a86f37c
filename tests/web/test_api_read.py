"""Reading over /api/v1: every non-personal kind, paged stably, filtered by bbox, datetime and
as_of, with the CLI's JSON keys; bad parameters are 400 problem details."""

from __future__ import annotations

import json
from datetime import date

import pytest
import shapely

from clearground.services.projections import PUBLIC, hazard_json
from clearground.store.mapping import KINDS, PERSONAL_KINDS
from tests.helpers import hazard
from tests.web.api_support import assert_problem, sign_in_fixture  # noqa: F401 (fixture)


def _insert(store, kind, records):
    with store.transaction() as tx:
        tx.insert(kind, records, author="SYNTHETIC seed", reason="test data")
        tx.commit()


@pytest.fixture
def five(store):
    """Five hazards in a row west to east, reported on 1..5 May 2024."""
    _insert(
        store,
        "hazard",
        [
            hazard(f"HA-00000{k}", lon=30.0 + k * 0.1, date_reported=date(2024, 5, k))
            for k in range(1, 6)
        ],
    )
    return [f"HA-00000{k}" for k in range(1, 6)]


def test_every_kind_but_personal_data_is_a_collection(client, sign_in):
    from clearground.web.api_params import COLLECTIONS

    sign_in("im_officer")  # who reads every collection
    assert set(COLLECTIONS.values()) == set(KINDS) - PERSONAL_KINDS
    paths = client.get("/openapi.json").json()["paths"]
    for name in COLLECTIONS:
        assert f"/api/v1/{name}" in paths
        assert f"/api/v1/{name}/{{record_id}}/history" in paths
        r = client.get(f"/api/v1/{name}")
        assert r.status_code == 200, (name, r.text)
        assert r.json()["items"] == [] and r.json()["number_matched"] == 0
    for name in ("victim_personal", "victims", "nowhere"):
        assert_problem(client.get(f"/api/v1/{name}"), 404)
        assert_problem(client.get(f"/api/v1/{name}/VP-1"), 404)


def test_items_are_the_cli_projection_and_one_record_has_its_version_as_etag(client, store, five):
    r = client.get("/api/v1/hazards")
    assert r.status_code == 200
    expected = [hazard_json(v, PUBLIC) for v in store.list("hazard")]
    assert r.json()["items"] == json.loads(json.dumps(expected))
    one = client.get("/api/v1/hazards/HA-000003")
    assert one.json() == r.json()["items"][2]
    assert one.headers["etag"] == '"1"'
    assert_problem(client.get("/api/v1/hazards/HA-000099"), 404, "HA-000099 not found")
    # a record of another kind is not in this collection
    assert_problem(client.get("/api/v1/eo/HA-000003"), 404)


def test_limit_offset_and_cursor_page_through_every_record_once(client, five):
    seen, cursor = [], None
    for _ in range(10):  # bounded
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = client.get("/api/v1/hazards", params=params).json()
        assert body["number_matched"] == 5
        seen += [i["id"] for i in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == five
    by_offset = client.get("/api/v1/hazards", params={"limit": 2, "offset": 3}).json()
    assert [i["id"] for i in by_offset["items"]] == five[3:]
    assert by_offset["next_cursor"] is None and by_offset["number_returned"] == 2


def test_a_cursor_stays_valid_when_records_are_added_before_it(client, store, five):
    first = client.get("/api/v1/hazards", params={"limit": 2}).json()
    _insert(store, "hazard", [hazard("HA-000000", lon=29.0)])
    rest = client.get("/api/v1/hazards", params={"cursor": first["next_cursor"]}).json()
    assert [i["id"] for i in rest["items"]] == five[2:]


@pytest.mark.parametrize(
    "params, words",
    [
        ({"cursor": "not-a-cursor"}, "not a cursor this API gave"),
        ({"cursor": "eyJjIjoiZW8iLCJhZnRlciI6IkhBLTEifQ"}, "not a cursor"),  # eo's cursor
        ({"cursor": "%%%"}, "not a cursor"),
        ({"cursor": "eyJjIjoiaGF6YXJkcyIsImFmdGVyIjoiSEEtMSJ9", "offset": 1}, "not both"),
        ({"bbox": "30,50,31"}, "3 number(s), not four"),
        ({"bbox": "a,b,c,d"}, "not four numbers"),
        ({"bbox": "30,50,31,nan"}, "finite"),
        ({"bbox": "30,95,31,96"}, "within ±90"),
        ({"bbox": "31,50,30,51"}, "antimeridian"),
        ({"bbox": "30,51,31,50"}, "minlat is above maxlat"),
        ({"datetime": "yesterday"}, "not an RFC 3339 date"),
        ({"datetime": "2024-05-03/2024-05-01"}, "ends before it starts"),
        ({"datetime": "../.."}, "at least one end"),
        ({"datetime": "2024-01-01/2024-02-01/2024-03-01"}, "one '/'"),
        ({"as_of": "last week"}, "as_of 'last week'"),
    ],
)
def test_bad_parameters_are_400_problems(client, params, words):
    assert_problem(client.get("/api/v1/hazards", params=params), 400, words)


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 10_001}, {"offset": -1}])
def test_limits_out_of_range_are_422_problems(client, params):
    body = assert_problem(client.get("/api/v1/hazards", params=params), 422)
    assert body["problems"]


def test_limit_10000_is_allowed(client, five):
    assert client.get("/api/v1/hazards", params={"limit": 10_000}).json()["number_returned"] == 5


def test_bbox_selects_by_geometry(client, five):
    # HA-000002 spans lon 30.2..30.21, HA-000003 30.3..30.31
    body = client.get("/api/v1/hazards", params={"bbox": "30.205,50.0,30.305,50.005"}).json()
    assert [i["id"] for i in body["items"]] == ["HA-000002", "HA-000003"]
    assert body["number_matched"] == 2
    empty = client.get("/api/v1/hazards", params={"bbox": "10,10,11,11"}).json()
    assert empty["items"] == []


def test_datetime_selects_by_each_kinds_date(client, store, five):
    def ids(dt):
        r = client.get("/api/v1/hazards", params={"datetime": dt})
        assert r.status_code == 200, r.text
        return [i["id"] for i in r.json()["items"]]

    assert ids("2024-05-02") == ["HA-000002"]
    assert ids("2024-05-02/2024-05-03") == ["HA-000002", "HA-000003"]
    assert ids("../2024-05-02") == ["HA-000001", "HA-000002"]
    assert ids("2024-05-04T10:00:00Z/..") == ["HA-000004", "HA-000005"]
    assert ids("2024-05-04/") == ["HA-000004", "HA-000005"]
    _insert(store, "hazard", [hazard("HA-000009")])  # no date reported: never in a date filter
    assert ids("1900-01-01/..") == five
    # a kind without a date refuses the filter
    assert_problem(
        client.get("/api/v1/locations", params={"datetime": "2024-05-01"}), 400, "have no date"
    )


def test_as_of_reads_the_past_and_history_is_the_clis(client, store, five, sign_in):
    from clearground.services.hazard_records import history_rows

    before = client.get("/api/v1/hazards/HA-000001").json()["valid_from"]
    sign_in("im_officer", "SYNTHETIC officer")
    r = client.patch(
        "/api/v1/hazards/HA-000001",
        params={"reason": "renamed after survey"},
        json={"name": "SYNTHETIC renamed"},
        headers={"If-Match": '"1"'},
    )
    assert r.status_code == 200, r.text
    old = client.get("/api/v1/hazards/HA-000001", params={"as_of": before}).json()
    assert old["name"] == "SYNTHETIC HA-000001" and old["version"] == 1
    listed = client.get("/api/v1/hazards", params={"as_of": before}).json()["items"]
    assert listed[0]["name"] == "SYNTHETIC HA-000001"
    assert client.get("/api/v1/hazards/HA-000001").json()["name"] == "SYNTHETIC renamed"
    hist = client.get("/api/v1/hazards/HA-000001/history")
    assert hist.status_code == 200
    assert hist.json() == json.loads(json.dumps(history_rows(store, "HA-000001", PUBLIC)))
    assert [(h["version"], h["author"]) for h in hist.json()] == [
        (1, "SYNTHETIC seed"),
        (2, "SYNTHETIC officer"),
    ]
    assert_problem(client.get("/api/v1/hazards/HA-000099/history"), 404)
    assert_problem(client.get("/api/v1/eo/HA-000001/history"), 404)


def test_accidents_never_show_personal_data_to_the_public(client, store, sign_in):
    from clearground.domain.records import (
        Accident,
        AgeGroup,
        Sex,
        Victim,
        VictimOutcome,
        VictimPersonalData,
        VictimType,
    )

    victim = Victim(Sex.FEMALE, AgeGroup.ADULT, VictimType.CIVILIAN, VictimOutcome.INJURED)
    _insert(
        store,
        "accident",
        [
            Accident(
                "AC-000001",
                shapely.Point(30.0, 50.0),
                date(2024, 3, 1),
                victims=(victim,),
                attributes={"SYNTHETIC column": "SYNTHETIC Olena Kovalenko"},
            )
        ],
    )
    _insert(
        store,
        "victim_personal",
        [VictimPersonalData("AC-000001/1", "AC-000001", 1, "SYNTHETIC Olena", "+380 0000")],
    )
    for url in ("/api/v1/accidents", "/api/v1/accidents/AC-000001"):
        r = client.get(url)
        assert r.status_code == 200, r.text
        assert "Olena" not in r.text and "+380" not in r.text
    assert_problem(client.get("/api/v1/accidents/AC-000001/history"), 401, "sign in")
    sign_in("viewer")  # who reads the history, and no personal data
    r = client.get("/api/v1/accidents/AC-000001/history")
    assert r.status_code == 200, r.text
    assert "Olena" not in r.text and "+380" not in r.text
    assert client.get("/api/v1/accidents/AC-000001").json()["killed"] == 0
