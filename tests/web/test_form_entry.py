"""The browser forms' definitions (derived from the shipped XLSForms and the activities
import) and the adapters from form data to the imports that record it, on each engine."""

from __future__ import annotations

import json

import pytest
import shapely

from clearground.domain.validation import UKRAINE
from clearground.web.form_defs import form_def, forms
from clearground.web.form_entry import FormRejected, enter, field_of, parse_entry
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)


def _hazard(store, tmp_path) -> str:
    from clearground.services.hazards import import_hazards

    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    return import_hazards(store, src, author="SYNTHETIC officer").ids[0]


def _enter(store, name, data, role="im_officer", victim_data=False, upload=None):
    form = form_def(name)
    entry = parse_entry(form, data, victim_data=victim_data, upload=upload)
    return enter(store, form, entry, author=f"SYNTHETIC {role}", role=role, region=UKRAINE)


def test_forms_take_their_fields_from_the_shipped_xlsforms_and_the_activities_import():
    from clearground.services import activities
    from clearground.services.odk_forms import FORMS as ODK

    assert list(forms()) == ["nts", "ts", "clearance", "eo", "accident", "eore"]
    eo = form_def("eo")
    assert [f.name for f in eo.fields] == list(ODK["eo_spot_report"].fields)
    category = eo.field("category")
    assert category.type == "select" and category.required
    assert ("mine_ap", "Anti-personnel mine") in category.choices
    assert eo.field("quantity").type == "integer" and eo.geometry == "point"
    acc = form_def("accident")
    assert [f.name for f in acc.repeat_fields] == list(ODK["accident_report"].repeat_fields)
    assert acc.personal == ("name", "contact")
    nts = form_def("nts")
    assert nts.kind == "activity" and nts.geometry == "polygon" and nts.activity_kind == "nts"
    assert {f.name for f in nts.fields if f.required} == set(activities._REQUIRED) - {"kind"}
    assert form_def("clearance").completes and not form_def("ts").completes
    assert "safe" not in json.dumps([str(f) for f in forms().values()]).lower()


def test_problems_go_to_the_field_they_concern():
    nts = form_def("nts")
    assert (
        field_of(nts, "Non-technical survey:feature 1: date '2099-01-01' is in the future")[0]
        == "date"
    )
    assert field_of(nts, "X:feature 1: hazard 'HA-9' not found") == (
        "hazard_id",
        "hazard 'HA-9' not found",
    )
    assert field_of(nts, "X:feature 1: activity x polygon lies outside hazard HA-1")[0] == (
        "geometry"
    )
    acc = form_def("accident")
    assert field_of(acc, "A:submission 1: victim 2: sex is empty (the form requires it)")[0] == (
        "victim-2-sex"
    )
    assert field_of(acc, "something else entirely")[0] == ""


def test_an_officers_survey_is_recorded_and_an_operators_waits(store, tmp_path):
    hid = _hazard(store, tmp_path)
    base = {
        "hazard_id": hid,
        "date": "2024-05-01",
        "organisation": "SYNTHETIC survey team",
        "methods": ["manual", "mechanical"],
        "geometry": shapely.to_geojson(WEST),
    }
    done = _enter(store, "ts", {**base, "instance": "a"})
    assert not done.pending and done.kind == "activity"
    act = store.get("activity", done.ids[0]).record
    assert [m.value for m in act.methods] == ["manual", "mechanical"]
    assert store.get("hazard", hid).record.status == "in_progress"
    east = shapely.box(30.005, 50.0, 30.01, 50.01)
    queued = _enter(
        store, "clearance", {**base, "geometry": shapely.to_geojson(east)}, role="operator"
    )
    assert queued.pending and queued.kind == "submission"
    sub = store.get("submission", queued.ids[0]).record
    assert sub.kind == "activity" and sub.attributes == {"completes": True}
    assert store.get("hazard", hid).record.status == "in_progress"  # not until approved


def test_a_clearance_completion_that_leaves_land_says_what_and_where(store, tmp_path):
    hid = _hazard(store, tmp_path)
    before = snapshot(store)
    data = {
        "hazard_id": hid,
        "date": "2024-05-01",
        "organisation": "SYNTHETIC deminers",
        "geometry": shapely.to_geojson(WEST),
    }
    with pytest.raises(FormRejected) as caught:
        _enter(store, "clearance", data)
    [msg] = caught.value.by_field["geometry"]
    assert msg.startswith(f"the submitted activity does not close hazard {hid}") or (
        f"does not close hazard {hid}" in msg
    )
    assert "is not released yet" in msg and "around lon 30.007" in msg
    assert snapshot(store) == before


def test_field_problems_and_nothing_written(store, tmp_path):
    hid = _hazard(store, tmp_path)
    before = snapshot(store)
    with pytest.raises(FormRejected) as caught:
        _enter(store, "nts", {"hazard_id": hid, "date": "2999-01-01", "organisation": "x"})
    assert "geometry" in caught.value.by_field  # nothing drawn
    with pytest.raises(FormRejected) as caught:
        _enter(
            store,
            "nts",
            {
                "hazard_id": hid,
                "date": "2999-01-01",
                "organisation": "SYNTHETIC",
                "geometry": shapely.to_geojson(WEST),
            },
        )
    assert list(caught.value.by_field) == ["date"]
    assert "future" in caught.value.by_field["date"][0]
    with pytest.raises(FormRejected) as caught:
        _enter(
            store,
            "nts",
            {
                "hazard_id": "HA-999999",
                "date": "2024-01-01",
                "organisation": "SYNTHETIC",
                "geometry": shapely.to_geojson(WEST),
            },
        )
    assert "HA-999999" in caught.value.by_field["hazard_id"][0]
    assert snapshot(store) == before


def test_eo_eore_and_accident_forms(store, tmp_path):
    from clearground.services.operations import import_records

    _hazard(store, tmp_path)
    eo = {
        "category": "uxo",
        "quantity": "2",
        "date": "2024-05-02",
        "lon": "30.002",
        "lat": "50.002",
    }
    done = _enter(store, "eo", eo)
    assert not done.pending and store.get("eo", done.ids[0]).record.quantity == 2
    queued = _enter(store, "eo", {**eo, "instance": "b"}, role="operator")
    assert queued.pending

    orgs = write_layer(
        tmp_path / "orgs.gpkg",
        [None],
        {"id": ["ORG-SYN1"], "name": ["SYNTHETIC NGO"], "kind": ["ngo"]},
        geometry_type="Unknown",
    )
    import_records(store, "organisation", orgs, author="SYNTHETIC")
    session = {
        "date": "2024-05-03",
        "organisation_id": "ORG-SYN1",
        "girls": "3",
        "boys": "4",
        "women": "5",
        "men": "6",
        "lon": "30.3",
        "lat": "50.3",
    }
    assert not _enter(store, "eore", session).pending
    waiting = _enter(store, "eore", {**session, "instance": "c"}, role="operator")
    assert waiting.pending and store.get("submission", waiting.ids[0]).record.kind == "eore"

    accident = {
        "date": "2024-05-04",
        "eo_category": "mine_ap",
        "lon": "30.004",
        "lat": "50.004",
        "victims": "2",
        "victim-1-sex": "female",
        "victim-1-age_group": "adult",
        "victim-1-victim_type": "civilian",
        "victim-1-outcome": "injured",
        "victim-1-name": "SYNTHETIC Person",
        "victim-2-sex": "male",
        "victim-2-age_group": "child",
        "victim-2-victim_type": "civilian",
        "victim-2-outcome": "killed",
    }
    with pytest.raises(FormRejected) as caught:  # a reader without victim_data gives no names
        _enter(store, "accident", accident, role="operator")
    assert "victim_data" in caught.value.by_field["victim-1-name"][0]
    got = _enter(store, "accident", accident, victim_data=True)
    assert got.pending  # accidents always wait: their personal data is held apart
    sub = store.get("submission", got.ids[0])
    assert len(sub.record.record.victims) == 2
    held = store.get("victim_personal", f"{got.ids[0]}/1").record
    assert held.name == "SYNTHETIC Person"
    bad = {**accident, "victim-2-sex": "", "victim-1-name": "", "instance": "d"}
    with pytest.raises(FormRejected) as caught:
        _enter(store, "accident", bad, role="operator")
    assert "victim-2-sex" in caught.value.by_field


def test_a_polygon_uploaded_as_gpx_kml_or_geojson(store, tmp_path):
    from clearground.web.form_entry import geometry_from_upload

    nts = form_def("nts")
    ring = shapely.LineString(list(WEST.exterior.coords))
    gpx = write_layer(tmp_path / "walk.gpx", [ring], layer="tracks", geometry_type="LineString")
    g = geometry_from_upload(nts, "walk.gpx", gpx.read_bytes())
    assert g.geom_type == "Polygon" and g.equals_exact(WEST, 1e-9) or g.buffer(0).equals(WEST)
    gj = write_layer(tmp_path / "area.geojson", [WEST])
    assert geometry_from_upload(nts, "area.geojson", gj.read_bytes()).equals(WEST)
    coords = " ".join(f"{x},{y}" for x, y in WEST.exterior.coords)
    kml = (
        '<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
        "<Document><Placemark><name>SYNTHETIC area</name><Polygon><outerBoundaryIs>"
        f"<LinearRing><coordinates>{coords}</coordinates></LinearRing>"
        "</outerBoundaryIs></Polygon></Placemark></Document></kml>"
    )
    assert geometry_from_upload(nts, "area.kml", kml.encode()).equals(WEST)
    point = geometry_from_upload(
        form_def("eo"),
        "p.geojson",
        write_layer(tmp_path / "p.geojson", [shapely.Point(30.1, 50.1)]).read_bytes(),
    )
    assert point.equals(shapely.Point(30.1, 50.1))
    from clearground.domain.errors import BadInput

    with pytest.raises(BadInput, match="upload a GeoJSON, GPX or KML"):
        geometry_from_upload(nts, "area.csv", b"a,b\n")
