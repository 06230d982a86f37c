"""Evidence rules: categories in the sector's words; evidence reopens, never releases."""

from __future__ import annotations

import dataclasses

import pytest
import shapely

from clearground.domain.evidence import containing, parse_eo_category, reopen
from clearground.domain.records import EOCategory, HazardStatus, Released
from tests.helpers import hazard


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("AP mine", EOCategory.MINE_AP),
        ("APM", EOCategory.MINE_AP),
        ("mine_at", EOCategory.MINE_AT),
        ("anti-tank mine", EOCategory.MINE_AT),
        ("Submunition", EOCategory.CLUSTER_MUNITION),
        ("UXO", EOCategory.UXO),
        ("axo", EOCategory.AXO),
        ("IED", EOCategory.IED),
        ("other", EOCategory.OTHER),
    ],
)
def test_categories_in_the_sectors_words(text, category):
    assert parse_eo_category(text) is category


@pytest.mark.parametrize("text", ["", None, "bomb-ish", "safe item"])
def test_unknown_categories_are_refused(text):
    with pytest.raises(ValueError, match="is not an EO category"):
        parse_eo_category(text)


@pytest.mark.parametrize("status", [HazardStatus.CLOSED, HazardStatus.HANDED_OVER])
def test_evidence_reopens_a_closed_or_handed_over_hazard(status):
    h = dataclasses.replace(hazard("HA-1"), status=status, released=Released(cleared=100.0))
    new, events = reopen(h, "EO-1", "mine_ap found 2025-01-01")
    assert new.status is HazardStatus.REOPENED
    assert [(e.kind, e.evidence) for e in events] == [("HazardReopened", "EO-1")]


@pytest.mark.parametrize(
    "status", [HazardStatus.ACTIVE, HazardStatus.IN_PROGRESS, HazardStatus.REOPENED]
)
def test_evidence_in_an_open_hazard_changes_nothing(status):
    h = dataclasses.replace(hazard("HA-1"), status=status)
    new, events = reopen(h, "EO-1", "uxo")
    assert new is h and events == []


def test_containing_includes_the_boundary():
    a, b = hazard("HA-1"), hazard("HA-2", lon=30.01)
    assert [h.id for h in containing(shapely.Point(30.01, 50.005), [b, a])] == ["HA-1", "HA-2"]
    assert containing(shapely.Point(31, 51), [a, b]) == []
