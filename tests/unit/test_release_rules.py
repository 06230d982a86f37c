"""The land release rules issue 10 found broken, each reproduced: the closing sliver has an area
cap, a failed QC sample and new evidence take back only an activity's own land, and a reopened
hazard has remaining land that only new activities release."""

from __future__ import annotations

from datetime import date

import pytest
import shapely

from clearground.domain.areas import geodesic_area, metres_per_degree
from clearground.domain.evidence import reopen
from clearground.domain.landrelease import apply_activity, hand_over, return_land
from clearground.domain.records import (
    ActivityKind,
    HazardArea,
    HazardStatus,
    LandReleaseActivity,
    QCResult,
    QCSample,
)
from tests.helpers import hazard

M_LON, M_LAT = metres_per_degree(50.0)


def act(kind, geom, id_="LR-1", hazard_id="HA-1"):
    return LandReleaseActivity(
        id=id_,
        hazard_id=hazard_id,
        kind=ActivityKind(kind),
        date=date(2025, 1, 1),
        organisation="SYNTHETIC operator",
        geometry=geom,
    )


def box_m(x0, y0, x1, y1, lon=30.0, lat=50.0):
    """A box given in metres east and north of (lon, lat)."""
    return shapely.box(lon + x0 / M_LON, lat + y0 / M_LAT, lon + x1 / M_LON, lat + y1 / M_LAT)


def strip_hazard(width_m, length_m):
    geom = shapely.MultiPolygon([box_m(0, 0, length_m, width_m)])
    return HazardArea("HA-1", "SYNTHETIC roadside strip", geom, geodesic_area(geom))


def test_a_small_nts_does_not_cancel_a_narrow_roadside_strip():
    h = strip_hazard(1.8, 10_000)
    new, a, events = apply_activity(h, act("nts", box_m(0, 0, 10, 1.8)))
    assert new.status is HazardStatus.IN_PROGRESS
    assert a.released_m2 == pytest.approx(18, rel=1e-3)
    assert new.released.cancelled == pytest.approx(18, rel=1e-3)
    assert new.remaining_m2 == pytest.approx(h.area_m2 - 18, rel=1e-6)
    assert "HazardClosed" not in [e.kind for e in events]


def test_clearance_of_narrow_bands_does_not_close_the_land_between_them():
    h = hazard("HA-1")  # about 715 m x 1,112 m
    width = (h.geometry.bounds[2] - h.geometry.bounds[0]) * M_LON
    bands, x = [], 0.0
    while x < width:  # 2.1 m bands every 3.96 m: 53 % of the hazard
        bands.append(box_m(x, 0, min(x + 2.1, width), 1112, lat=50.0))
        x += 3.96
    h2, a, _ = apply_activity(h, act("clearance", shapely.MultiPolygon(bands)))
    assert 0.5 < h2.released.cleared / h.area_m2 < 0.56
    assert h2.status is HazardStatus.IN_PROGRESS
    assert h2.remaining_m2 == pytest.approx(h.area_m2 - a.released_m2)


def test_a_true_digitising_sliver_still_closes():
    h = strip_hazard(100, 1000)
    new, a, events = apply_activity(h, act("clearance", box_m(0.5, 0, 1000, 100)))
    assert new.status is HazardStatus.CLOSED and new.remaining_m2 == 0
    assert a.released_m2 == pytest.approx(h.area_m2)
    assert new.released_by["LR-1"].geometry.area == pytest.approx(h.geometry.area, rel=1e-9)


def test_a_failed_qc_sample_takes_only_the_activitys_own_land_off_its_own_outcome():
    h = strip_hazard(100, 1000)
    h, _, _ = apply_activity(h, act("nts", box_m(0, 0, 600, 100)))
    # the clearance polygon overlaps the cancelled land: it itself released 600..1000 only
    h, clr, _ = apply_activity(h, act("clearance", box_m(400, 0, 1000, 100), id_="LR-2"))
    assert h.status is HazardStatus.CLOSED
    before = h.released
    sample = QCSample(
        "QC-1", box_m(450, 0, 650, 100), "LR-2", "HA-1", date(2025, 2, 1), "QA", QCResult.FAILED
    )
    new, s, events = return_land(h, clr, sample)
    own = geodesic_area(box_m(600, 0, 650, 100))
    assert s.returned_m2 == pytest.approx(own, rel=1e-6)
    assert new.released.cancelled == before.cancelled
    assert new.released.cleared == pytest.approx(before.cleared - own, rel=1e-6)
    assert new.status is HazardStatus.REOPENED
    assert new.remaining_m2 == pytest.approx(own, rel=1e-6)
    assert [e.kind for e in events] == ["QCFailed", "HazardReopened"]


def test_a_reopened_hazard_has_its_land_back_and_a_tiny_nts_does_not_close_it():
    h = strip_hazard(100, 1000)
    h, _, _ = apply_activity(h, act("clearance", box_m(0, 0, 1000, 100)))
    h, _ = hand_over(h, when=date(2025, 1, 2), recipient="village", today=date(2025, 2, 1))
    h, events = reopen(h, "EO-1", "mine_ap found", shapely.Point(30.0 + 500 / M_LON, 50.0005))
    assert h.status is HazardStatus.REOPENED
    assert h.remaining_m2 == pytest.approx(h.area_m2)
    assert h.released.total == pytest.approx(0, abs=1e-6)
    kinds = [(e.kind, e.detail.get("activity")) for e in events]
    assert kinds == [("ReleaseDiscredited", "LR-1"), ("HazardReopened", None)]
    assert events[0].detail["outcome"] == "cleared"
    assert events[0].detail["returned_m2"] == pytest.approx(h.area_m2)
    h, a, _ = apply_activity(h, act("nts", box_m(0, 0, 1, 1), id_="LR-2"))
    assert h.status is HazardStatus.IN_PROGRESS
    assert h.remaining_m2 == pytest.approx(h.area_m2 - a.released_m2)


def test_a_mine_in_cleared_land_of_an_open_hazard_gives_it_back_and_keeps_it_open():
    h = strip_hazard(100, 1000)
    h, _, _ = apply_activity(h, act("clearance", box_m(0, 0, 500, 100)))
    h, _, _ = apply_activity(h, act("nts", box_m(500, 0, 700, 100), id_="LR-2"))
    mine = shapely.Point(30.0 + 250 / M_LON, 50.0 + 50 / M_LAT)
    h, events = reopen(h, "EO-1", "mine_ap found", mine)
    assert h.status is HazardStatus.IN_PROGRESS
    assert h.released.cleared == pytest.approx(0, abs=1e-6)
    assert h.released.cancelled == pytest.approx(geodesic_area(box_m(500, 0, 700, 100)), 1e-6)
    assert [e.detail["activity"] for e in events] == ["LR-1"]
    # clearing the rest leaves the land with the mine: the hazard stays open
    h, _, _ = apply_activity(h, act("clearance", box_m(700, 0, 1000, 100), id_="LR-3"))
    assert h.status is HazardStatus.IN_PROGRESS
    assert h.remaining_m2 == pytest.approx(geodesic_area(box_m(0, 0, 500, 100)), rel=1e-6)
    assert not h.released_geometry.covers(mine)


def test_an_item_found_during_the_clearance_that_released_it_does_not_discredit_it():
    h = strip_hazard(100, 1000)
    h, _, _ = apply_activity(h, act("clearance", box_m(0, 0, 1000, 100)))
    item = shapely.Point(30.0 + 250 / M_LON, 50.0 + 50 / M_LAT)
    new, events = reopen(h, "EO-1", "mine_ap found", item, found_by="LR-1")
    assert new is h and events == []
    # found by another activity: it is evidence against the clearance that holds the land
    new, events = reopen(h, "EO-1", "mine_ap found", item, found_by="LR-9")
    assert new.status is HazardStatus.REOPENED and new.remaining_m2 == pytest.approx(h.area_m2)


def _released_before_land_was_kept():
    """A closed hazard as stored before each activity's own land was kept (no released_by)."""
    import dataclasses

    from clearground.domain.records import Released

    h = strip_hazard(100, 1000)
    return dataclasses.replace(
        h,
        status=HazardStatus.CLOSED,
        released=Released(cancelled=h.area_m2 / 2, cleared=h.area_m2 / 2),
        released_geometry=h.geometry,
    )


def test_evidence_in_land_released_before_it_was_kept_by_activity_gives_it_all_back():
    h = _released_before_land_was_kept()
    new, events = reopen(h, "EO-1", "uxo found", shapely.Point(30.0 + 10 / M_LON, 50.0001))
    assert new.status is HazardStatus.REOPENED
    assert new.remaining_m2 == pytest.approx(h.area_m2, rel=1e-6)
    assert events[0].kind == "ReleaseDiscredited" and events[0].detail["activity"] == ""
    assert sum(events[0].detail["returned_m2"].values()) == pytest.approx(h.area_m2, rel=1e-6)


def test_a_failed_sample_of_an_activity_recorded_before_its_land_was_kept():
    h = _released_before_land_was_kept()
    nts = act("nts", box_m(0, 0, 500, 100))
    sample = QCSample(
        "QC-1", box_m(400, 0, 600, 100), "LR-1", "HA-1", date(2025, 2, 1), "QA", QCResult.FAILED
    )
    new, s, _ = return_land(h, nts, sample)
    back = geodesic_area(box_m(400, 0, 500, 100))  # the sample within the activity's polygon
    assert s.returned_m2 == pytest.approx(back, rel=1e-6)
    assert new.released.cancelled == pytest.approx(h.released.cancelled - back, rel=1e-6)
    assert new.released.cleared == h.released.cleared
    assert new.status is HazardStatus.REOPENED
