"""A database for the OGC API tests, filled through the CLI's importers from real files
(GDAL-written): every collection holds records, and an accident's victims have known synthetic
names, contacts and notes that no OGC response may hold."""

from __future__ import annotations

import pytest
import shapely

from clearground.cli import main
from tests.helpers import write_layer

NAME = "SYNTHETIC Zelda Qwertyuiop"
PHONE = "+000 SYNTHETIC 5551234"
NOTE = "SYNTHETIC Xyzzyplugh lives by the well"
#: The distinctive part of each: found even if a value is cut or re-encoded.
NEEDLES = ("Qwertyuiop", "5551234", "Xyzzyplugh")

#: Hazards: 7 boxes along a line of latitude, one with a hole, one drawn clockwise in its file.
N_HAZARDS = 7
HOLED = shapely.Polygon(
    [(30.0, 50.0), (30.02, 50.0), (30.02, 50.02), (30.0, 50.02)],
    [[(30.005, 50.005), (30.005, 50.015), (30.015, 50.015), (30.015, 50.005)]],
)
CLOCKWISE = shapely.Polygon([(30.1, 50.0), (30.1, 50.01), (30.11, 50.01), (30.11, 50.0)])


def hazard_geometries() -> list:
    rest = [shapely.box(30.2 + 0.1 * i, 50.0, 30.21 + 0.1 * i, 50.01) for i in range(N_HAZARDS - 2)]
    return [HOLED, CLOCKWISE, *rest]


def _cli(url: str, *args) -> None:
    code = main(["--db", url, *map(str, args)])
    assert code == 0, args


@pytest.fixture
def ogc_db(store_url, tmp_path, monkeypatch) -> str:
    """``store_url`` with hazards, a clearance, EO items, accidents with victims' personal data,
    EORE sessions and administrative areas."""
    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.delenv("CLEARGROUND_CONFIG", raising=False)
    return fill(store_url, tmp_path)


def fill(url: str, tmp_path) -> str:
    """Import the records of :func:`ogc_db` into the database at ``url``."""
    from clearground import synthetic
    from clearground.domain.validation import Region

    region = Region(29.0, 49.0, 33.0, 51.0)
    adm = synthetic.write_admin_areas(tmp_path / "adm.gpkg", region=region, split=2)
    _cli(url, "import", "locations", adm, "--layer", "adm1")
    _cli(url, "import", "locations", adm, "--layer", "adm2")
    geoms = hazard_geometries()
    src = write_layer(
        tmp_path / "h.geojson",
        geoms,
        {
            "name": [f"SYNTHETIC hazard {i}" for i in range(len(geoms))],
            "date_reported": [f"2024-0{1 + i % 6}-15" for i in range(len(geoms))],
        },
    )
    _cli(url, "import", "hazards", src)
    acts = write_layer(
        tmp_path / "a.geojson",
        [shapely.box(30.2, 50.0, 30.205, 50.01)],
        {
            "hazard_id": ["HA-000003"],
            "kind": ["clearance"],
            "date": ["2024-09-01"],
            "organisation": ["SYNTHETIC clearance"],
        },
    )
    _cli(url, "import", "activities", acts)
    eo = write_layer(
        tmp_path / "eo.geojson",
        [shapely.Point(30.305, 50.005), shapely.Point(32.5, 49.5), shapely.Point(30.405, 50.005)],
        {"category": ["mine_ap", "uxo", "cluster munition"], "date": ["2025-05-01"] * 3},
    )
    _cli(url, "import", "eo", eo)
    acc = write_layer(
        tmp_path / "acc.gpkg",
        [shapely.Point(30.505, 50.005), shapely.Point(32.0, 49.2)],
        {"id": ["AC-7", "AC-8"], "date": ["2025-04-01", "2025-04-02"], "notes": ["", ""]},
    )
    vic = write_layer(
        tmp_path / "victims.gpkg",
        [None, None],
        {
            "accident_id": ["AC-7", "AC-7"],
            "sex": ["f", "male"],
            "outcome": ["killed", "injured"],
            "name": [NAME, ""],
            "contact": [PHONE, ""],
            "notes": ["", NOTE],
        },
        geometry_type="Unknown",
    )
    _cli(url, "import", "accidents", acc, "--victims", vic)
    orgs = write_layer(
        tmp_path / "orgs.gpkg",
        [None],
        {"id": ["ORG-SYN2"], "name": ["SYNTHETIC EORE"], "kind": ["ngo"]},
        geometry_type="Unknown",
    )
    _cli(url, "import", "organisations", orgs)
    eore = write_layer(
        tmp_path / "eore.geojson",
        [shapely.Point(30.2, 50.2), shapely.Point(31.2, 50.3)],
        {
            "date": ["2025-02-01", "2025-03-01"],
            "organisation_id": ["ORG-SYN2", "ORG-SYN2"],
            "girls": [12, 1],
            "boys": [9, 2],
            "women": [20, 3],
            "men": [4, 4],
            "method": ["school", "community"],
        },
    )
    _cli(url, "import", "eore", eore)
    return url


def leaks(text: str) -> list[str]:
    low = text.lower()
    return [n for n in NEEDLES if n.lower() in low]
