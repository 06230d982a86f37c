"""`import activities --as-submission`: land release activities wait in the review queue, and
their land is released on approval (on the hazard as it stands then), on each engine."""

from __future__ import annotations

import shapely

from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
WEST = shapely.box(30.0, 50.0, 30.005, 50.01)


def test_a_queued_activity_releases_land_only_when_approved(cli, tmp_path):
    from clearground.store import open_store

    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC field"]})
    assert cli("import", "hazards", src).code == 0
    act = write_layer(
        tmp_path / "a.geojson",
        [WEST],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["ts"],
            "date": ["2024-05-01"],
            "organisation": ["SYNTHETIC survey"],
        },
    )
    r = cli("import", "activities", act, "--as-submission")
    assert r.code == 0, r.err
    assert cli("hazard", "show", "HA-000001").json()["status"] == "active"
    shown = cli("review", "show", "SB-000001").json()
    assert shown["kind"] == "activity" and shown["record"]["kind"] == "ts"
    r = cli("review", "approve", "SB-000001")
    assert r.code == 0, r.err
    h = cli("hazard", "show", "HA-000001").json()
    assert h["status"] == "in_progress" and h["released_m2"]["reduced"] > 0
    # the same land again: approved, it releases nothing more (as the import would)
    assert cli("import", "activities", act, "--as-submission", "--again").code == 0
    assert cli("review", "approve", "SB-000002").code == 0
    again = cli("hazard", "show", "HA-000001").json()
    assert again["released_m2"] == h["released_m2"] and again["status"] == "in_progress"
    # a hazard closed since: the approval is refused and changes nothing
    whole = write_layer(
        tmp_path / "c.geojson",
        [HAZARD],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-06-01"],
            "organisation": ["SYNTHETIC deminers"],
        },
    )
    assert cli("import", "activities", whole, "--as-submission").code == 0
    assert cli("import", "activities", whole, "--again").code == 0
    assert cli("hazard", "show", "HA-000001").json()["status"] == "closed"
    store = open_store(cli.url)
    try:
        before = snapshot(store)
        r = cli("review", "approve", "SB-000003")
        assert r.code == 2 and "SB-000003: cannot be approved" in r.err and "closed" in r.err
        assert snapshot(store) == before
    finally:
        store.close()
