"""The store contract: every engine passes these same tests (the ``store`` fixture is
parametrised over engines in ``tests/conftest.py``)."""

from __future__ import annotations

import dataclasses
import threading
import time

import pytest
import shapely

from clearground.domain.errors import BadInput, Conflict, NotFound
from clearground.domain.landrelease import HazardEvent
from clearground.store import open_store
from clearground.store.migrations import MIGRATIONS
from tests.helpers import hazard


def _insert(store, *records, author="tester", reason="test"):
    with store.transaction() as tx:
        tx.insert("hazard", list(records), author=author, reason=reason)
        tx.commit()


def test_migrate_is_idempotent_and_recorded(store):
    assert store.schema_version() == MIGRATIONS[-1].number
    assert store.migrate() == []
    assert store.schema_version() == MIGRATIONS[-1].number


def test_insert_then_read_back_every_field(store):
    h = hazard(
        "HA-1",
        eo_types=("AP mine", "UXO"),
        notes="ключ: Cyrillic survives",
        attributes={"self_destruct": "claimed", "n": 3},
    )
    _insert(store, h, author="ana", reason="survey report 17")
    v = store.get("hazard", "HA-1")
    assert v is not None and v.version == 1 and not v.deleted
    assert (v.author, v.reason) == ("ana", "survey report 17")
    assert v.record.geometry.equals_exact(h.geometry, 1e-12)
    assert v.record.area_m2 == pytest.approx(h.area_m2)
    assert v.record.eo_types == ("AP mine", "UXO")
    assert v.record.notes == h.notes
    assert v.record.attributes == {"self_destruct": "claimed", "n": 3}
    assert store.count("hazard") == 1
    assert [x.id for x in store.list("hazard")] == ["HA-1"]


def test_next_ids_are_sequential_and_never_reused(store):
    with store.transaction() as tx:
        first = tx.next_ids("hazard", 3)
        tx.commit()
    with store.transaction() as tx:
        tx.next_ids("hazard", 5)  # rolled back: not committed
    with store.transaction() as tx:
        second = tx.next_ids("hazard", 2)
        tx.commit()
    assert first == ["HA-000001", "HA-000002", "HA-000003"]
    assert second == ["HA-000004", "HA-000005"]


def test_ids_kept_from_a_file_move_the_sequence_past_them(store):
    _insert(store, hazard("HA-000007"), hazard("HA-2"), hazard("HZ-000099"))
    with store.transaction() as tx:
        assert tx.next_ids("hazard", 2) == ["HA-000008", "HA-000009"]
        tx.commit()
    _insert(store, hazard("HA-000003"))  # lower than the sequence: it stays where it is
    with store.transaction() as tx:
        assert tx.next_ids("hazard", 1) == ["HA-000010"]


def test_insert_refuses_an_existing_id(store):
    _insert(store, hazard("HA-1"))
    with pytest.raises(BadInput, match="already exist"), store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-1")], author="x", reason="y")
        tx.commit()
    assert len(store.history("hazard", "HA-1")) == 1


def test_transaction_rolls_back_unless_committed(store):
    with store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-1")], author="x", reason="y")
    assert store.get("hazard", "HA-1") is None
    assert store.count("hazard") == 0


def test_transaction_rolls_back_on_error(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert("hazard", [hazard("HA-1")], author="x", reason="y")
        raise RuntimeError("failure half-way")
    assert store.get("hazard", "HA-1") is None
    # the store is usable afterwards
    _insert(store, hazard("HA-2"))
    assert store.count("hazard") == 1


def test_update_makes_a_new_version_and_keeps_the_old(store):
    _insert(store, hazard("HA-1", name="old name"))
    h = store.get("hazard", "HA-1").record
    h.name = "new name"
    with store.transaction() as tx:
        assert tx.update("hazard", h, expected_version=1, author="bo", reason="typo") == 2
        tx.commit()
    assert store.get("hazard", "HA-1").record.name == "new name"
    hist = store.history("hazard", "HA-1")
    assert [(v.version, v.record.name, v.author, v.reason) for v in hist] == [
        (1, "old name", "tester", "test"),
        (2, "new name", "bo", "typo"),
    ]
    assert store.count("hazard") == 1


def test_stale_version_is_refused(store):
    _insert(store, hazard("HA-1"))
    h = store.get("hazard", "HA-1").record
    with store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="a", reason="first")
        tx.commit()
    with pytest.raises(Conflict, match="version 2, not 1"), store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="b", reason="stale")
        tx.commit()
    assert [v.reason for v in store.history("hazard", "HA-1")] == ["test", "first"]


def test_update_of_a_missing_record_is_not_found(store):
    with pytest.raises(NotFound), store.transaction() as tx:
        tx.update("hazard", hazard("HA-9"), expected_version=1, author="a", reason="r")


def test_delete_is_a_tombstone(store):
    _insert(store, hazard("HA-1"), hazard("HA-2", lon=31))
    with store.transaction() as tx:
        assert tx.delete("hazard", "HA-1", expected_version=1, author="c", reason="duplicate") == 2
        tx.commit()
    assert store.get("hazard", "HA-1") is None
    assert [v.id for v in store.list("hazard")] == ["HA-2"]
    hist = store.history("hazard", "HA-1")
    assert [(v.version, v.deleted, v.reason) for v in hist] == [
        (1, False, "test"),
        (2, True, "duplicate"),
    ]
    assert hist[1].record is None
    assert store.in_bbox("hazard", (29, 49, 32, 51)) and all(
        v.id == "HA-2" for v in store.in_bbox("hazard", (29, 49, 32, 51))
    )


def test_redact_erases_the_content_of_every_version_and_keeps_that_it_existed(store):
    from clearground.domain.records import VictimPersonalData

    name = "SYNTHETIC Zelda Qwertyuiop"
    data = VictimPersonalData(id="SUB-1/1", accident_id="SUB-1", victim_no=1, name=name)
    with store.transaction() as tx:
        tx.insert("victim_personal", [data], author="a", reason="held")
        tx.update(
            "victim_personal",
            dataclasses.replace(data, contact="+000 SYNTHETIC 5551234"),
            expected_version=1,
            author="b",
            reason="contact added",
        )
        tx.commit()
    blank = VictimPersonalData(id="SUB-1/1", accident_id="SUB-1", victim_no=1)
    with store.transaction() as tx:
        tx.delete("victim_personal", "SUB-1/1", expected_version=2, author="c", reason="gone")
        assert tx.redact("victim_personal", "SUB-1/1", blank) == 2
        tx.commit()
    hist = store.history("victim_personal", "SUB-1/1")
    assert [(v.version, v.author, v.reason, v.deleted) for v in hist] == [
        (1, "a", "held", False),
        (2, "b", "contact added", False),
        (3, "c", "gone", True),
    ]
    assert [v.record for v in hist[:2]] == [blank, blank]
    raw = repr(store.raw_versions("victim_personal"))
    assert "Zelda" not in raw and "5551234" not in raw


def test_as_of_reads_past_states(store):
    _insert(store, hazard("HA-1", name="v1"))
    time.sleep(0.01)
    t1 = _now(store)
    time.sleep(0.01)
    h = store.get("hazard", "HA-1").record
    h.name = "v2"
    with store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="a", reason="rename")
        tx.commit()
    time.sleep(0.01)
    t2 = _now(store)
    with store.transaction() as tx:
        tx.delete("hazard", "HA-1", expected_version=2, author="a", reason="gone")
        tx.commit()
    assert store.get("hazard", "HA-1", as_of=t1).record.name == "v1"
    assert store.get("hazard", "HA-1", as_of=t2).record.name == "v2"
    assert store.get("hazard", "HA-1") is None
    assert store.get("hazard", "HA-1", as_of="2000-01-01T00:00:00.000000Z") is None
    assert [v.record.name for v in store.list("hazard", as_of=t1)] == ["v1"]
    assert [v.record.name for v in store.list("hazard", as_of=t2)] == ["v2"]
    assert store.list("hazard") == []
    assert [v.id for v in store.in_bbox("hazard", (29, 49, 31, 51), as_of=t1)] == ["HA-1"]


def _now(store) -> str:
    from clearground.store.base import now_utc

    return now_utc()


def test_in_bbox_finds_candidates_by_bounding_box(store):
    _insert(store, hazard("HA-1", lon=30.0), hazard("HA-2", lon=30.5), hazard("HA-3", lon=35))
    found = {v.id for v in store.in_bbox("hazard", (30.005, 50.005, 30.6, 50.006))}
    assert found == {"HA-1", "HA-2"}
    assert store.in_bbox("hazard", (40, 40, 41, 41)) == []


def test_get_many_and_existing_ids(store):
    _insert(store, hazard("HA-1"), hazard("HA-2", lon=31))
    with store.transaction() as tx:
        got = tx.get_many("hazard", ["HA-1", "HA-2", "HA-404"])
        assert sorted(got) == ["HA-1", "HA-2"]
        assert tx.existing_ids("hazard", ["HA-2", "HA-404"]) == {"HA-2"}


def test_events_are_kept_in_order(store):
    _insert(store, hazard("HA-1"))
    with store.transaction() as tx:
        tx.add_events(
            [
                HazardEvent("AreaReleased", "HA-1", "LR-1", {"m2": 10.5}),
                HazardEvent("HazardClosed", "HA-1", "LR-1", {"from": "in_progress"}),
            ],
            author="ana",
        )
        tx.commit()
    events = store.events("HA-1")
    assert [(e.kind, e.evidence, e.author) for e in events] == [
        ("AreaReleased", "LR-1", "ana"),
        ("HazardClosed", "LR-1", "ana"),
    ]
    assert events[0].detail == {"m2": 10.5}


def test_geometry_with_holes_and_parts_survives(store):
    outer = shapely.box(30, 50, 30.02, 50.02)
    holed = shapely.Polygon(
        outer.exterior.coords, [shapely.box(30.005, 50.005, 30.01, 50.01).exterior.coords]
    )
    h = hazard("HA-1")
    h.geometry = shapely.MultiPolygon([holed, shapely.box(30.03, 50, 30.04, 50.01)])
    _insert(store, h)
    got = store.get("hazard", "HA-1").record.geometry
    assert got.equals(h.geometry)
    assert len(got.geoms[0].interiors) == 1


def test_two_writers_racing_on_one_hazard_one_wins(store_url):
    """Two connections update the same version at once: one commits, the other gets Conflict."""
    setup = open_store(store_url)
    _insert(setup, hazard("HA-1"))
    setup.close()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def writer(name: str) -> None:
        s = open_store(store_url)
        try:
            h = s.get("hazard", "HA-1").record
            h.notes = name
            barrier.wait()
            with s.transaction() as tx:
                tx.update("hazard", h, expected_version=1, author=name, reason="race")
                tx.commit()
            outcomes.append("won")
        except Conflict:
            outcomes.append("conflict")
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in ("a", "b")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "won"]
    check = open_store(store_url)
    hist = check.history("hazard", "HA-1")
    assert [v.version for v in hist] == [1, 2]
    assert hist[1].record.notes == hist[1].author
    check.close()


def test_unknown_kind_is_refused(store):
    with pytest.raises(ValueError, match="unknown record kind"):
        store.count("spaceship")


def test_within_distance_gives_metres_nearest_first(store):
    from pyproj import Geod

    _insert(store, hazard("HA-1", lon=30.0), hazard("HA-2", lon=30.02), hazard("HA-3", lon=35))
    point = shapely.Point(30.014, 50.005)  # 0.004 degrees east of HA-1, 0.006 west of HA-2
    found = store.within_distance("hazard", point, 1000)
    geod = Geod(ellps="WGS84")
    assert [v.id for v, _ in found] == ["HA-1", "HA-2"]
    assert found[0][1] == pytest.approx(geod.inv(30.014, 50.005, 30.01, 50.005)[2], rel=1e-3)
    inside = store.within_distance("hazard", shapely.Point(30.005, 50.005), 10)
    assert [(v.id, d) for v, d in inside] == [("HA-1", 0.0)]
    assert store.within_distance("hazard", shapely.Point(33, 49), 1000) == []


def test_data_version_changes_with_every_committed_write_of_its_kind_only(store):
    seen = [store.data_version("hazard")]
    eo_before = store.data_version("eo")
    assert store.data_version("hazard") == seen[0]  # reading changes nothing
    _insert(store, hazard("HA-1"), hazard("HA-2", lon=31))
    seen.append(store.data_version("hazard"))
    with store.transaction() as tx:  # rolled back: the data, and so the version, unchanged
        tx.insert("hazard", [hazard("HA-3")], author="x", reason="y")
    assert store.data_version("hazard") == seen[-1]
    h = store.get("hazard", "HA-1").record
    h.name = "SYNTHETIC renamed"
    with store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="a", reason="rename")
        tx.commit()
    seen.append(store.data_version("hazard"))
    with store.transaction() as tx:
        tx.delete("hazard", "HA-2", expected_version=1, author="a", reason="duplicate")
        tx.commit()
    seen.append(store.data_version("hazard"))
    assert len(set(seen)) == len(seen), seen
    assert store.data_version("eo") == eo_before  # another kind's writes leave it alone


def test_tally_groups_and_sums_in_the_database_current_or_as_of(store):
    from clearground.domain.records import HazardStatus, Released

    _insert(
        store,
        hazard("HA-1", admin_pcode="UA01", date_reported=_day("2024-01-05")),
        hazard("HA-2", admin_pcode="UA01", date_reported=_day("2024-01-20"), lon=31),
        hazard("HA-3", admin_pcode="UA02", date_reported=_day("2024-02-01"), lon=32),
        hazard("HA-4", lon=33),  # no admin area, no date
    )
    t1 = _now(store)
    time.sleep(0.01)
    h = store.get("hazard", "HA-2").record
    h.status, h.released = HazardStatus.IN_PROGRESS, Released(cancelled=100.0, cleared=20.5)
    with store.transaction() as tx:
        tx.update("hazard", h, expected_version=1, author="a", reason="survey")
        tx.delete("hazard", "HA-3", expected_version=1, author="a", reason="duplicate")
        tx.commit()
    rows = store.tally(
        "hazard", ("date_reported:month", "admin_pcode"), ("released.cancelled", "released.cleared")
    )
    assert rows == [(None, None, 1, 0.0, 0.0), ("2024-01", "UA01", 2, 100.0, 20.5)]
    past = store.tally("hazard", ("admin_pcode", "status"), ("released.cancelled",), as_of=t1)
    assert past == [
        (None, "active", 1, 0.0),
        ("UA01", "active", 2, 0.0),
        ("UA02", "active", 1, 0.0),
    ]
    assert store.tally("hazard", ("id",))[0] == ("HA-1", 1)
    assert store.tally("hazard", ()) == [(3,)]
    assert store.tally("eo", ("date:month",)) == []
    for bad in ("x'); DROP TABLE hazard_area_versions; --", "Released", "a..b"):
        with pytest.raises(BadInput, match="tally field"):
            store.tally("hazard", (bad,))


def _day(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_list_where_filters_in_the_store_and_agrees_with_python(store):
    from datetime import date

    from clearground.domain.records import Classification, HazardStatus
    from clearground.store.where import Where

    statuses = [HazardStatus.ACTIVE, HazardStatus.CLOSED, HazardStatus.IN_PROGRESS]
    ids = ["HA-b", "HA-B", "HA-a", "HA-_1", "HA-10", "HA-9", "HA-A2", "HA-a1", "HA-Ж"]
    made = [
        hazard(
            i,
            lon=30 + k * 0.01,
            status=statuses[k % 3],
            classification=Classification.CHA if k % 2 else Classification.SHA,
            admin_pcode=("UA05" if k % 4 else "UA0512") + str(k),
            date_reported=date(2024, 1 + k, 10) if k != 4 else None,
        )
        for k, i in enumerate(ids)
    ]
    _insert(store, *made)
    t1 = _now(store)
    with store.transaction() as tx:
        tx.delete("hazard", "HA-9", expected_version=1, author="a", reason="duplicate")
        tx.commit()
    every = sorted(store.list("hazard"), key=lambda v: v.id)

    def python(keep):
        return [v.id for v in every if keep(v.record)]

    cases = [
        (Where(), lambda h: True),
        (Where(equal=(("status", "closed"),)), lambda h: h.status == HazardStatus.CLOSED),
        (
            Where(equal=(("status", "active"), ("classification", "SHA"))),
            lambda h: h.status == HazardStatus.ACTIVE and h.classification == Classification.SHA,
        ),
        (Where(prefix=(("admin_pcode", "UA0512"),)), lambda h: h.admin_pcode.startswith("UA0512")),
        (
            Where(days=("date_reported", date(2024, 3, 1), date(2024, 6, 10))),
            lambda h: h.date_reported and date(2024, 3, 1) <= h.date_reported <= date(2024, 6, 10),
        ),
        (Where(days=("date_reported", None, None)), lambda h: h.date_reported is not None),
        (
            Where(ids=frozenset({"HA-a", "HA-9", "HA-Ж", "HA-x"})),
            lambda h: h.id in {"HA-a", "HA-Ж"},
        ),
        (Where(after="HA-a"), lambda h: h.id > "HA-a"),
    ]
    for where, keep in cases:
        expected = python(keep)
        for limit, offset in ((None, 0), (2, 0), (2, 3), (50, 1)):
            got, matched = store.list_where("hazard", where, limit=limit, offset=offset)
            assert matched == len(expected), where
            end = None if limit is None else offset + limit
            assert [v.id for v in got] == expected[offset:end], (where, limit, offset)
    (first,), _ = store.list_where("hazard", Where(), limit=1)
    assert first == store.get("hazard", first.id)
    # a past state: HA-9 was there before its tombstone
    past, matched = store.list_where("hazard", Where(ids=frozenset({"HA-9"})), limit=5, as_of=t1)
    assert [v.id for v in past] == ["HA-9"] and matched == 1
    assert store.list_where("hazard", Where(ids=frozenset({"HA-9"})), limit=5) == ([], 0)
    assert store.list_where("hazard", Where(ids=frozenset()), limit=5) == ([], 0)


def test_list_page_is_a_slice_of_list_in_python_id_order(store):
    # ids whose order differs between code points and a natural-language collation
    ids = ["HA-b", "HA-B", "HA-a", "HA-_1", "HA-10", "HA-9", "HA-A2", "HA-a1"]
    _insert(store, *[hazard(i, lon=30 + k * 0.01) for k, i in enumerate(ids)])
    with store.transaction() as tx:
        tx.delete("hazard", "HA-9", expected_version=1, author="a", reason="duplicate")
        tx.commit()
    every = [v.id for v in store.list("hazard")]
    assert sorted(every) == sorted(set(ids) - {"HA-9"})
    order = sorted(every)
    for limit in (1, 3, 20):
        for offset in (0, 2, 7, 9):
            got = store.list_page("hazard", limit=limit, offset=offset)
            assert [v.id for v in got] == order[offset : offset + limit]
        for after in ("HA-", "HA-B", "HA-a", "HA-b", "HA-z"):
            got = store.list_page("hazard", limit=limit, after=after)
            assert [v.id for v in got] == [i for i in order if i > after][:limit]
    (first,) = store.list_page("hazard", limit=1)
    assert first == store.get("hazard", first.id)
