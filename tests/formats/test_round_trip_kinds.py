"""Round trips of every record kind: each kind's export, imported into a fresh database in the
order the records depend on each other, gives the same records (ids, fields, attributes,
geometries within 1e-7 degrees), and the hazards end in the same state through the same land
release; GDAL opens every export with the right feature count and CRS. Victims' personal data
never leaves; their non-personal data travels with accidents."""

from __future__ import annotations

import math
import warnings
from datetime import UTC, datetime

import pyogrio
import pytest
import shapely

from clearground import synthetic
from clearground.services.projections import PUBLIC, json_of
from clearground.store import open_store
from tests.helpers import write_layer

#: every file ending clearground writes
WRITABLE = ["geojson", "gpkg", "shp.zip", "kml", "kmz", "fgb", "csv", "xlsx", "gdb.zip"]

H1 = shapely.box(30.0, 50.0, 30.01, 50.01)
H2 = shapely.box(30.1, 50.1, 30.11, 50.11)
WEST, EAST = shapely.box(30.0, 50.0, 30.005, 50.01), shapely.box(30.005, 50.0, 30.01, 50.01)
SAMPLE = shapely.box(30.006, 50.002, 30.008, 50.004)
MINEFIELD = shapely.box(30.3, 50.3, 30.31, 50.31)

#: kinds in the order a fresh database takes them; hazards come as they were before any land
#: release (land is released again by importing the activities)
ORDER = [
    ("location", ("locations",)),
    ("organisation", ("organisations",)),
    ("hazard", ("hazards",)),
    ("minefield", ("minefields",)),
    ("task", ("tasks",)),
    ("activity", ("activities",)),
    ("qc", ("qc",)),
    ("qa", ("qa",)),
    ("eo", ("eo",)),
    ("accident", ("accidents",)),
    ("eore", ("eore",)),
]
#: what the database records about a record, not what a file says
BOOKKEEPING = {"version", "valid_from", "author", "reason"}


def _table(path, fields, geoms=None):
    n = len(next(iter(fields.values())))
    return write_layer(
        path, geoms or [None] * n, fields, geometry_type=None if geoms else "Unknown"
    )


def _ok(cli, *args):
    r = cli(*args)
    assert r.code == 0, (args, r.err)
    return r


def _build(cli, tmp_path) -> str:
    """A database holding every kind, built from files; returns the time before land release."""
    admin = synthetic.write_admin_areas(tmp_path / "cod_ab.gpkg", split=2)
    _ok(cli, "import", "locations", admin, "--layer", "adm1")
    _ok(cli, "import", "locations", admin, "--layer", "adm2")
    _ok(
        cli,
        "import",
        "organisations",
        _table(
            tmp_path / "orgs.gpkg",
            {
                "id": ["ORG-SYN1", "ORG-SYN2"],
                "name": ["SYNTHETIC Demining", "SYNTHETIC Освіта"],
                "kind": ["operator", "ngo"],
                "accreditation_from": ["2022-01-01", "2023-01-01"],
                "accreditation_to": ["2027-01-01", ""],
                "phone": ["+000 SYNTHETIC", ""],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "hazards",
        write_layer(
            tmp_path / "h.geojson",
            [H1, H2],
            {
                "name": ["SYNTHETIC поле", "SYNTHETIC wood"],
                "classification": ["CHA", "SHA"],
                "eo_types": ["AP mine", ""],
                "date_reported": ["2023-04-01", ""],
                "field_team": ["SYNTHETIC A", ""],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "minefields",
        write_layer(
            tmp_path / "mf.geojson",
            [MINEFIELD],
            {
                "id": ["MF-A1"],
                "devices": ["PMN-2: 40; TM-62M: 12"],
                "marking": ["fenced, signs"],
                "emplaced_from": ["2022-03-01"],
                "claimed_self_deactivation": ["claimed 40 days"],
                "claimed_deactivation_date": ["2022-05-11"],
                "handed_over_by": ["SYNTHETIC unit"],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "tasks",
        _table(
            tmp_path / "tasks.gpkg",
            {
                "hazard_id": ["HA-000001"],
                "organisation_id": ["ORG-SYN1"],
                "kind": ["clearance"],
                "issued": ["2024-01-01"],
                "start": ["2024-02-01"],
                "status": ["in_progress"],
            },
        ),
    )
    before_release = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    _ok(
        cli,
        "import",
        "activities",
        write_layer(
            tmp_path / "acts.geojson",
            [WEST, EAST],
            {
                "hazard_id": ["HA-000001"] * 2,
                "kind": ["ts", "clearance"],
                "date": ["2024-01-15", "2024-02-01"],
                "organisation": ["ORG-SYN1"] * 2,
                "task_id": ["", "TK-000001"],
                "methods": ["manual, mechanical", "manual"],
                "clearance_depth_cm": ["", "13"],
                "devices_found": ["", "PMN-2: 3"],
                "beneficiaries": ["", "120"],
                "crew": ["SYNTHETIC crew 1", ""],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "qc",
        write_layer(
            tmp_path / "qc.geojson",
            [SAMPLE],
            {
                "activity_id": ["LR-000002"],
                "date": ["2024-03-01"],
                "organisation": ["SYNTHETIC QA"],
                "result": ["passed"],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "qa",
        _table(
            tmp_path / "qa.gpkg",
            {
                "activity_id": ["LR-000002"],
                "date": ["2024-03-02"],
                "inspecting_organisation": ["SYNTHETIC authority"],
                "nonconformities": ["major: marking; minor: documentation"],
                "measures": ["marking repaired"],
            },
        ),
    )
    _ok(
        cli,
        "import",
        "eo",
        write_layer(
            tmp_path / "eo.geojson",
            [shapely.Point(30.105, 50.105), shapely.Point(33.0, 49.0)],
            {
                "category": ["AP mine", "UXO"],
                "date": ["2025-05-01", "2025-05-02"],
                "eo_type": ["PMN-2", ""],
                "self_destruct": ["claimed 30 days", ""],
                "finder": ["", "SYNTHETIC farmer"],
            },
        ),
    )
    acc = write_layer(
        tmp_path / "acc.gpkg",
        [shapely.Point(30.305, 50.305)],
        {
            "id": ["AC-7"],
            "date": ["2025-04-01"],
            "eo_category": ["AT mine"],
            "activity": ["farming"],
        },
    )
    victims = _table(
        tmp_path / "victims.gpkg",
        {
            "accident_id": ["AC-7", "AC-7"],
            "sex": ["f", "male"],
            "age_group": ["12", "adult"],
            "victim_type": ["civilian", ""],
            "outcome": ["killed", "injured"],
            "name": ["SYNTHETIC Person A", "SYNTHETIC Person B"],
        },
    )
    _ok(cli, "import", "accidents", acc, "--victims", victims)
    _ok(
        cli,
        "import",
        "eore",
        write_layer(
            tmp_path / "eore.geojson",
            [shapely.Point(30.2, 50.2)],
            {
                "date": ["2025-02-01"],
                "organisation_id": ["ORG-SYN2"],
                "girls": [12],
                "boys": [9],
                "women": [20],
                "men": [4],
                "method": ["school"],
            },
        ),
    )
    return before_release


def _records(url: str, kind: str) -> dict:
    s = open_store(url)
    try:
        to_json = json_of(kind)
        out = {}
        for v in s.list(kind):
            row = {k: val for k, val in to_json(v, PUBLIC).items() if k not in BOOKKEEPING}
            out[v.id] = (row, getattr(v.record, "geometry", None))
        return out
    finally:
        s.close()


def _same_value(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return (
            isinstance(a, int | float)
            and isinstance(b, int | float)
            and math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-4)
        )
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b, strict=True))
    return a == b


def _assert_same(kind: str, got: dict, want: dict) -> None:
    assert sorted(got) == sorted(want), kind
    for rid, (row, geom) in want.items():
        grow, ggeom = got[rid]
        diff = {
            k: (grow.get(k), row.get(k))
            for k in set(row) | set(grow)
            if not _same_value(grow.get(k), row.get(k))
        }
        assert not diff, (kind, rid, diff)
        if geom is None or ggeom is None:
            assert geom is None and ggeom is None, (kind, rid)
        else:
            assert shapely.equals_exact(
                shapely.normalize(ggeom), shapely.normalize(geom), tolerance=1e-7
            ), (kind, rid, ggeom.wkt, geom.wkt)


def _gdal_problems(out, ext: str, kind: str, url: str) -> list[str]:
    """What GDAL reports of an export that it should not: a wrong count, a missing CRS."""
    s = open_store(url)
    try:
        versions = s.list(kind) if kind != "hazard" else None
    finally:
        s.close()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # the HXL row in typed CSV columns
        info = pyogrio.read_info(out)
    problems = []
    if versions is not None:
        expected = len(versions) + (1 if ext == "csv" else 0)  # GDAL counts the HXL row
        if info["features"] != expected:
            problems.append(f"gdal {kind} ({ext}): {info['features']} features, not {expected}")
        located = any(getattr(v.record, "geometry", None) is not None for v in versions)
        if located and ext != "xlsx" and info["crs"] != "EPSG:4326":
            problems.append(f"gdal {kind} ({ext}): crs {info['crs']}, not EPSG:4326")
    return problems


@pytest.mark.parametrize("ext", WRITABLE)
def test_every_kind_exported_and_imported_into_a_fresh_database_is_the_same(
    cli, tmp_path, fresh_url, ext
):
    before_release = _build(cli, tmp_path)
    failures: list[str] = []  # every kind is tried, so that one report names every gap
    for kind, command in ORDER:
        out = tmp_path / f"{kind}.{ext}"
        args = ["export", "--kind", kind, out]
        if kind == "hazard":
            args += ["--as-of", before_release]
        _ok(cli, *args)
        failures += _gdal_problems(out, ext, kind, cli.url)
        r = cli("import", command[0], out, *command[1:], db=fresh_url)
        if r.code != 0:
            failures.append(f"import {kind} ({ext}): exit {r.code}: {r.err.strip()}")
    for kind, _ in ORDER:
        try:
            _assert_same(kind, _records(fresh_url, kind), _records(cli.url, kind))
        except AssertionError as exc:
            failures.append(f"compare {kind} ({ext}): {exc}")
    assert not failures, "\n".join(failures)
