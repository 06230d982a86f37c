"""The land release rules (IMAS 07.11): each release and each refusal."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from clearground.domain.areas import geodesic_area, metres_per_degree
from clearground.domain.errors import BadInput, ReleaseRefused
from clearground.domain.landrelease import (
    apply_activity,
    edit_hazard,
    parse_activity_kind,
    require_release_evidence,
)
from clearground.domain.records import ActivityKind, HazardStatus, LandReleaseActivity
from tests.helpers import hazard

BOX = (30.0, 50.0, 30.01, 50.01)


def activity(kind, geom, id_="LR-1", hazard_id="HA-1", when=date(2025, 1, 1)):
    return LandReleaseActivity(
        id=id_,
        hazard_id=hazard_id,
        kind=ActivityKind(kind),
        date=when,
        organisation="SYNTHETIC operator",
        geometry=geom,
    )


def west_half():
    return shapely.box(30.0, 50.0, 30.005, 50.01)


def east_half():
    return shapely.box(30.005, 50.0, 30.01, 50.01)


@pytest.mark.parametrize(
    ("kind", "outcome"), [("nts", "cancelled"), ("ts", "reduced"), ("clearance", "cleared")]
)
def test_each_activity_releases_its_own_outcome(kind, outcome):
    h = hazard("HA-1")
    new, act, events = apply_activity(h, activity(kind, west_half()))
    half = geodesic_area(west_half())
    assert getattr(new.released, outcome) == pytest.approx(half)
    assert new.released.total == pytest.approx(half)
    assert act.released_m2 == pytest.approx(half)
    assert new.status is HazardStatus.IN_PROGRESS
    assert new.remaining_m2 == pytest.approx(h.area_m2 - half)
    assert [e.kind for e in events] == ["AreaReleased", "HazardReleaseStarted"]
    assert all(e.evidence == "LR-1" for e in events)


def test_land_already_released_is_not_counted_twice():
    h = hazard("HA-1")
    h, _, _ = apply_activity(h, activity("nts", west_half()))
    h2, act, events = apply_activity(h, activity("ts", west_half(), id_="LR-2"))
    assert act.released_m2 == 0
    assert h2.released.total == pytest.approx(h.released.total)
    assert h2.status is HazardStatus.IN_PROGRESS
    assert [e.kind for e in events] == ["AreaReleased"]


def test_whole_area_released_closes_the_hazard_with_nothing_remaining():
    h = hazard("HA-1")
    h, _, _ = apply_activity(h, activity("nts", west_half()))
    h, act, events = apply_activity(h, activity("clearance", shapely.box(*BOX), id_="LR-2"))
    assert h.status is HazardStatus.CLOSED
    assert h.remaining_m2 == 0
    assert h.released.total == pytest.approx(h.area_m2)
    assert h.released.cleared == pytest.approx(geodesic_area(east_half()), rel=1e-6)
    assert "HazardClosed" in [e.kind for e in events]


def test_a_digitising_sliver_left_over_still_closes_and_is_counted():
    h = hazard("HA-1")
    m_lon, _ = metres_per_degree(50.0)
    gap = 0.5 / m_lon  # half a metre left unworked along one edge
    worked = shapely.box(30.0 + gap, 50.0, 30.01, 50.01)
    new, act, events = apply_activity(h, activity("clearance", worked))
    assert new.status is HazardStatus.CLOSED
    assert new.remaining_m2 == 0
    assert new.released.cleared == pytest.approx(h.area_m2)
    closed = [e for e in events if e.kind == "HazardClosed"][0]
    assert closed.detail["sliver_m2"] > 0


def test_a_strip_wider_than_the_tolerance_keeps_the_hazard_open():
    h = hazard("HA-1")
    m_lon, _ = metres_per_degree(50.0)
    gap = 5 / m_lon  # 5 m left unworked
    new, _, _ = apply_activity(
        h, activity("clearance", shapely.box(30.0 + gap, 50.0, 30.01, 50.01))
    )
    assert new.status is HazardStatus.IN_PROGRESS
    assert new.remaining_m2 > 0


def test_activity_outside_its_hazard_is_refused():
    h = hazard("HA-1")
    with pytest.raises(BadInput, match="outside hazard HA-1 by more than 1 m"):
        apply_activity(h, activity("clearance", shapely.box(30.005, 50.0, 30.02, 50.01)))


def test_activity_a_fraction_of_a_metre_outside_is_accepted_and_counts_only_inside():
    h = hazard("HA-1")
    m_lon, _ = metres_per_degree(50.0)
    over = 0.5 / m_lon
    new, act, _ = apply_activity(
        h, activity("clearance", shapely.box(30.0, 50.0, 30.01 + over, 50.01))
    )
    assert new.status is HazardStatus.CLOSED
    assert new.released.total == pytest.approx(h.area_m2)


def test_closed_hazard_refuses_further_release():
    h = hazard("HA-1")
    h, _, _ = apply_activity(h, activity("clearance", shapely.box(*BOX)))
    with pytest.raises(ReleaseRefused, match="closed"):
        apply_activity(h, activity("nts", west_half(), id_="LR-2"))


def test_activity_for_another_hazard_is_refused():
    with pytest.raises(BadInput, match="not HA-1"):
        apply_activity(hazard("HA-1"), activity("nts", west_half(), hazard_id="HA-2"))


@pytest.mark.parametrize(
    "kind",
    [
        "self-destruct",
        "self_deactivation",
        "battery life",
        "expiry",
        "expired",
        "",
        None,
        "closure",
        "demolition",
    ],
)
def test_only_nts_ts_and_clearance_are_activity_kinds(kind):
    with pytest.raises(ReleaseRefused, match="cannot release land"):
        parse_activity_kind(kind)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("NTS", ActivityKind.NTS),
        ("non-technical survey", ActivityKind.NTS),
        ("ts", ActivityKind.TS),
        ("Technical Survey", ActivityKind.TS),
        ("clearance", ActivityKind.CLEARANCE),
    ],
)
def test_activity_kinds_in_the_sectors_words(text, kind):
    assert parse_activity_kind(text) is kind


@pytest.mark.parametrize(
    "claim",
    [
        {"self_destruct": True},
        {"self_deactivation": "72 h"},
        {"battery_life_days": 30},
        {"expiry_date": "2020-01-01"},
        {"status": "closed"},
    ],
)
def test_device_claims_and_expiry_are_not_evidence(claim):
    with pytest.raises(ReleaseRefused, match="cannot release land"):
        require_release_evidence(claim)


def test_apply_activity_refuses_a_fake_activity_kind():
    fake = dataclasses.replace(activity("nts", west_half()))
    object.__setattr__(fake, "kind", "self_destruct")
    with pytest.raises(ReleaseRefused):
        apply_activity(hazard("HA-1"), fake)


@pytest.mark.parametrize(
    "field", ["status", "area_m2", "released_m2", "remaining_m2", "cancelled", "reduced", "cleared"]
)
def test_edit_refuses_status_and_areas(field):
    with pytest.raises(ReleaseRefused):
        edit_hazard(hazard("HA-1"), {field: "closed" if field == "status" else "0"})


@pytest.mark.parametrize(
    "claim",
    ["self_destruct", "self_deactivation", "battery_life", "expiry_date"],
)
def test_device_claims_are_recorded_and_change_nothing(claim):
    h = hazard("HA-1")
    h, _, _ = apply_activity(h, activity("nts", west_half()))
    edited = edit_hazard(h, {f"attributes.{claim}": "claimed by armed forces: 30 days"})
    assert edited.attributes[claim] == "claimed by armed forces: 30 days"
    assert edited.status == h.status
    assert edited.area_m2 == h.area_m2
    assert edited.released == h.released
    assert edited.remaining_m2 == h.remaining_m2


def test_edit_changes_attributes_and_checks_values():
    edited = edit_hazard(
        hazard("HA-1"),
        {
            "name": "Field 7",
            "classification": "cha",
            "eo_types": "AP mine, UXO",
            "date_reported": "2024-03-01",
        },
    )
    assert (edited.name, edited.classification, edited.eo_types, edited.date_reported) == (
        "Field 7",
        "CHA",
        ("AP mine", "UXO"),
        date(2024, 3, 1),
    )
    with pytest.raises(BadInput, match="not SHA or CHA"):
        edit_hazard(hazard("HA-1"), {"classification": "maybe"})
    with pytest.raises(BadInput, match="ISO 8601"):
        edit_hazard(hazard("HA-1"), {"date_reported": "yesterday"})
    with pytest.raises(BadInput, match="must not be empty"):
        edit_hazard(hazard("HA-1"), {"name": "  "})
    with pytest.raises(BadInput, match="nothing to change"):
        edit_hazard(hazard("HA-1"), {})


fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["nts", "ts", "clearance"]), fractions, fractions),
        min_size=1,
        max_size=6,
    )
)
def test_released_area_never_exceeds_the_hazard(steps):
    h = hazard("HA-1")
    for k, (kind, a, b) in enumerate(steps):
        lo, hi = sorted((a, b))
        if hi - lo < 1e-3 or h.status is HazardStatus.CLOSED:
            continue
        worked = shapely.box(30.0 + lo * 0.01, 50.0, 30.0 + hi * 0.01, 50.01)
        h, act, _ = apply_activity(h, activity(kind, worked, id_=f"LR-{k}"))
        assert act.released_m2 >= 0
        assert h.released.total <= h.area_m2 * (1 + 1e-9)
        assert h.remaining_m2 >= 0
        if h.status is HazardStatus.CLOSED:
            assert h.remaining_m2 == 0


def test_only_a_closed_hazard_is_handed_over():
    from clearground.domain.landrelease import hand_over

    h = hazard("HA-1")
    with pytest.raises(ReleaseRefused, match="only a closed hazard"):
        hand_over(h, when=date(2025, 1, 1), recipient="village", today=date(2025, 2, 1))
    h, _, _ = apply_activity(h, activity("clearance", shapely.box(*BOX)))
    with pytest.raises(BadInput, match="recipient"):
        hand_over(h, when=date(2025, 1, 1), recipient=" ", today=date(2025, 2, 1))
    with pytest.raises(BadInput, match="future"):
        hand_over(h, when=date(2025, 3, 1), recipient="village", today=date(2025, 2, 1))
    new, event = hand_over(h, when=date(2025, 1, 1), recipient="village", today=date(2025, 2, 1))
    assert new.status is HazardStatus.HANDED_OVER and new.remaining_m2 == 0
    assert event.kind == "HazardHandedOver" and event.detail["recipient"] == "village"


def test_a_failed_qc_sample_returns_only_land_its_activity_released():
    from clearground.domain.landrelease import return_land
    from clearground.domain.records import QCResult, QCSample

    h = hazard("HA-1")
    h, nts, _ = apply_activity(h, activity("nts", west_half()))
    h, clr, _ = apply_activity(h, activity("clearance", east_half(), id_="LR-2"))
    assert h.status is HazardStatus.CLOSED
    straddle = shapely.box(30.004, 50.0, 30.006, 50.01)  # half over each activity's land
    sample = QCSample("QC-1", straddle, "LR-2", "HA-1", date(2025, 1, 1), "QA", QCResult.FAILED)
    new, sample, events = return_land(h, clr, sample)
    back = geodesic_area(shapely.box(30.005, 50.0, 30.006, 50.01))
    assert sample.returned_m2 == pytest.approx(back, rel=1e-6)
    assert new.released.cleared == pytest.approx(h.released.cleared - back, rel=1e-6)
    assert new.released.cancelled == h.released.cancelled
    assert new.remaining_m2 == pytest.approx(back, rel=1e-6)
    assert new.status is HazardStatus.REOPENED
    assert [e.kind for e in events] == ["QCFailed", "HazardReopened"]
    passed = QCSample("QC-2", straddle, "LR-2", "HA-1", date(2025, 1, 1), "QA", QCResult.PASSED)
    assert return_land(h, clr, passed)[0] is h
