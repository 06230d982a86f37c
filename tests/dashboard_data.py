"""A small SYNTHETIC database for the dashboard's tests, built through the real imports from
real files (GDAL), with the figures it should give worked out by hand below.

Admin areas: UA01 (SYNTHETIC Oblast A) holds UA0101 and UA0102; UA02 (SYNTHETIC Oblast B) holds
UA0201. Hazards (0.01° boxes): HA-1, HA-2 in UA0101, HA-3 in UA0102, HA-4 in UA0201.
Activities: NTS on all of HA-1 (2024-01-15, ORG-1), TS on the west half of HA-2 (2024-03-05,
ORG-1), clearance of all of HA-4 (2024-03-20, ORG-2). EO items (all outside hazards):
2024-01-20 3 mine_ap in UA0101; 2024-02-03 1 uxo in UA0102; 2024-02-10 2 uxo in UA0201.
Accidents: 2024-02-14 in UA0101, a civilian killed and a civilian injured (named in a victims
file: the names must never show); 2024-03-01 in UA0201, a deminer injured.
"""

from __future__ import annotations

from pathlib import Path

import shapely

from clearground.domain.areas import geodesic_area
from clearground.store.base import now_utc
from tests.helpers import write_layer

AUTHOR = "tester (SYNTHETIC)"
VICTIM_NAME = "SYNTHETIC Victim Name Ivanenko"
#: A day before anything was recorded: the database was empty then.
BEFORE_ANY_RECORD = "2001-01-01"


def box(lon: float, lat: float, w: float, h: float | None = None):
    return shapely.MultiPolygon([shapely.box(lon, lat, lon + w, lat + (h or w))])


HAZARDS = {
    "HA-1": box(30.1, 49.1, 0.01),
    "HA-2": box(30.2, 49.1, 0.01),
    "HA-3": box(30.6, 49.1, 0.01),
    "HA-4": box(31.5, 49.5, 0.01),
}
HALF_2 = box(30.2, 49.1, 0.005, 0.01)
#: Areas in m², measured on the ellipsoid as clearground measures them.
A = {k: geodesic_area(g) for k, g in HAZARDS.items()}
A_HALF_2 = geodesic_area(HALF_2)


def build(store, tmp: Path) -> dict[str, str]:
    """Import the data; return the time (``before``) just before the activities."""
    from clearground.services import accidents, activities, evidence, hazards, locations, operations

    store.migrate()
    adm1 = write_layer(
        tmp / "adm1.geojson",
        [box(30, 49, 1.0), box(31, 49, 1.0)],
        {
            "pcode": ["UA01", "UA02"],
            "name": ["SYNTHETIC Oblast A", "SYNTHETIC Oblast B"],
            "level": [1, 1],
            "parent": ["", ""],
        },
    )
    adm2 = write_layer(
        tmp / "adm2.geojson",
        [box(30, 49, 0.5, 1.0), box(30.5, 49, 0.5, 1.0), box(31, 49, 1.0)],
        {
            "pcode": ["UA0101", "UA0102", "UA0201"],
            "name": ["SYNTHETIC Raion A1", "SYNTHETIC Raion A2", "SYNTHETIC Raion B1"],
            "level": [2, 2, 2],
            "parent": ["UA01", "UA01", "UA02"],
        },
    )
    for f in (adm1, adm2):
        locations.import_locations(store, f, author=AUTHOR)
    orgs = write_layer(
        tmp / "orgs.geojson",
        [shapely.Point(30.5, 49.5), shapely.Point(30.6, 49.5)],
        {"id": ["ORG-1", "ORG-2"], "name": ["SYNTHETIC Operator One", "SYNTHETIC Operator Two"]},
    )
    operations.import_records(store, "organisation", orgs, author=AUTHOR)
    hz = write_layer(
        tmp / "hazards.geojson",
        list(HAZARDS.values()),
        {
            "id": list(HAZARDS),
            "name": [f"SYNTHETIC hazard {k}" for k in HAZARDS],
            "classification": ["CHA", "SHA", "SHA", "CHA"],
            "date_reported": ["2023-12-01"] * 4,
        },
    )
    hazards.import_hazards(store, hz, author=AUTHOR)
    before = now_utc()
    acts = write_layer(
        tmp / "activities.geojson",
        [HAZARDS["HA-1"], HALF_2, HAZARDS["HA-4"]],
        {
            "hazard_id": ["HA-1", "HA-2", "HA-4"],
            "kind": ["nts", "ts", "clearance"],
            "date": ["2024-01-15", "2024-03-05", "2024-03-20"],
            "organisation": ["ORG-1", "ORG-1", "ORG-2"],
        },
    )
    activities.import_activities(store, acts, author=AUTHOR)
    eo = write_layer(
        tmp / "eo.geojson",
        [shapely.Point(30.3, 49.3), shapely.Point(30.7, 49.3), shapely.Point(31.3, 49.3)],
        {
            "category": ["mine_ap", "uxo", "uxo"],
            "date": ["2024-01-20", "2024-02-03", "2024-02-10"],
            "quantity": [3, 1, 2],
        },
    )
    evidence.import_eo(store, eo, author=AUTHOR)
    acc = write_layer(
        tmp / "accidents.geojson",
        [shapely.Point(30.35, 49.35), shapely.Point(31.35, 49.35)],
        {"id": ["AC-1", "AC-2"], "date": ["2024-02-14", "2024-03-01"]},
    )
    victims = write_layer(
        tmp / "victims.gpkg",
        [None] * 3,
        {
            "accident_id": ["AC-1", "AC-1", "AC-2"],
            "sex": ["female", "male", "male"],
            "age_group": ["adult", "child", "adult"],
            "victim_type": ["civilian", "civilian", "deminer"],
            "outcome": ["killed", "injured", "injured"],
            "name": [VICTIM_NAME, "SYNTHETIC Other Name", "SYNTHETIC Deminer Name"],
            "contact": ["+380 00 000 0000", "", ""],
        },
        geometry_type="Unknown",
    )
    accidents.import_accidents(store, acc, author=AUTHOR, victims=victims)
    return {"before": before}


def expected_released() -> list[tuple]:
    """(month, cancelled, reduced, cleared, released, activities): February is a gap, listed."""
    return [
        ("2024-01", A["HA-1"], 0.0, 0.0, A["HA-1"], 1),
        ("2024-02", 0, 0, 0, 0, 0),
        ("2024-03", 0.0, A_HALF_2, A["HA-4"], A_HALF_2 + A["HA-4"], 2),
    ]


def date_of(text: str):
    from datetime import date

    return date.fromisoformat(text)
