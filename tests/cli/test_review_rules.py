"""`review approve` checks every rule the kind's import checks, again: a submission edited in the
database (or restored from an edited dump) cannot bring in released land or a bad record."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
import shapely

from clearground.domain.records import HazardStatus, Released
from clearground.store import open_store
from tests.helpers import snapshot, write_layer

A = shapely.box(30.0, 50.0, 30.01, 50.01)


def _edit_pending(url, change):
    s = open_store(url)
    try:
        v = s.get("submission", "SB-000001")
        sub = dataclasses.replace(v.record, record=change(v.record.record))
        with s.transaction() as tx:
            tx.update("submission", sub, expected_version=v.version, author="x", reason="edit")
            tx.commit()
    finally:
        s.close()


def _closed(h):
    return dataclasses.replace(h, status=HazardStatus.CLOSED, released=Released(cleared=h.area_m2))


HAZARD_EDITS = {
    "closed": (_closed, "status 'closed' cannot be imported"),
    "in progress": (
        lambda h: dataclasses.replace(h, status=HazardStatus.IN_PROGRESS),
        "status 'in_progress' cannot be imported",
    ),
    "released area": (
        lambda h: dataclasses.replace(h, released=Released(cancelled=10.0)),
        "cancelled = 10.0: released area cannot be imported",
    ),
    "released geometry": (
        lambda h: dataclasses.replace(h, released_geometry=shapely.MultiPolygon([A])),
        "released land cannot be submitted",
    ),
    "lat and lon swapped": (
        lambda h: dataclasses.replace(
            h, geometry=shapely.MultiPolygon([shapely.box(50, 30, 50.01, 30.01)])
        ),
        "geometry: likely swapped lat/lon",
    ),
    "invalid polygon": (
        lambda h: dataclasses.replace(
            h,
            geometry=shapely.Polygon([(30, 50), (30.01, 50.01), (30.01, 50), (30, 50.01)]),
        ),
        "geometry: ",
    ),
    "area not of its polygon": (
        lambda h: dataclasses.replace(h, area_m2=1.0),
        "area_m2 1 is not the area of its polygon",
    ),
    "reported in the future": (
        lambda h: dataclasses.replace(h, date_reported=date.today() + timedelta(days=3)),
        "is in the future",
    ),
}


@pytest.mark.parametrize("case", list(HAZARD_EDITS))
def test_an_edited_hazard_submission_is_not_approved(cli, tmp_path, case):
    change, fragment = HAZARD_EDITS[case]
    src = write_layer(tmp_path / "f.geojson", [A], {"name": ["SYNTHETIC field find"]})
    assert cli("import", "hazards", src, "--as-submission").code == 0
    _edit_pending(cli.url, change)
    s = open_store(cli.url)
    before = snapshot(s)
    r = cli("review", "approve", "SB-000001")
    assert r.code == 2, r.out
    assert "SB-000001: cannot be approved" in r.err and fragment in r.err, r.err
    assert snapshot(s) == before
    s.close()


EO_EDITS = {
    "found in the future": (
        lambda e: dataclasses.replace(e, date=date.today() + timedelta(days=1)),
        "date '",
    ),
    "no quantity": (lambda e: dataclasses.replace(e, quantity=0), "quantity '0'"),
    "disposed before it was found": (
        lambda e: dataclasses.replace(e, disposal_date=date(2020, 1, 1)),
        "disposal_date 2020-01-01 is before the date found",
    ),
    "a polygon": (lambda e: dataclasses.replace(e, geometry=A), "geometry: "),
}


@pytest.mark.parametrize("case", list(EO_EDITS))
def test_an_edited_eo_submission_is_not_approved(cli, tmp_path, case):
    change, fragment = EO_EDITS[case]
    src = write_layer(
        tmp_path / "eo.geojson",
        [shapely.Point(30.005, 50.005)],
        {"category": ["uxo"], "date": ["2025-01-01"]},
    )
    assert cli("import", "eo", src, "--as-submission").code == 0
    _edit_pending(cli.url, change)
    r = cli("review", "approve", "SB-000001")
    assert r.code == 2 and fragment in r.err, r.err
    assert cli("eo", "list").json() == []


def test_an_unedited_submission_is_approved(cli, tmp_path):
    src = write_layer(tmp_path / "f.geojson", [A], {"name": ["SYNTHETIC field find"]})
    assert cli("import", "hazards", src, "--as-submission").code == 0
    r = cli("review", "approve", "SB-000001")
    assert r.code == 0, r.err
    assert cli("hazard", "show", "HA-000001").json()["status"] == "active"
