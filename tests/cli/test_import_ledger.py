"""An import happens once: every import kind records its content in the import ledger, in its
own transaction; the same content again is refused (exit 2) with the earlier import's time and
ids, unless ``--again``; a dry run never writes the ledger."""

from __future__ import annotations

import hashlib
import threading

import pytest
import shapely

from clearground.store import open_store
from tests.cli.test_odk import NTS_HEADER, nts_row, write_csv
from tests.helpers import snapshot, write_layer

HAZARD = shapely.box(30.0, 50.0, 30.01, 50.01)
PART = shapely.box(30.0, 50.0, 30.002, 50.002)
INSIDE = shapely.Point(30.005, 50.005)


def _gpkg(tmp_path, name, fields):
    n = len(next(iter(fields.values())))
    return write_layer(tmp_path / name, [None] * n, fields, geometry_type="Unknown")


#: A valid file of each import kind, on a database holding HA-000001, LR-000001, ORG-SYN1.
FILES = {
    "hazards": lambda d: write_layer(
        d / "hz.geojson", [shapely.box(31, 50, 31.01, 50.01)], {"name": ["SYNTHETIC second"]}
    ),
    "activities": lambda d: write_layer(
        d / "act.geojson",
        [shapely.box(30.005, 50.005, 30.006, 50.006)],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["nts"],
            "date": ["2024-02-01"],
            "organisation": ["SYNTHETIC op"],
        },
    ),
    "eo": lambda d: write_layer(
        d / "eo.geojson", [shapely.Point(31.5, 50.5)], {"category": ["uxo"], "date": ["2024-01-01"]}
    ),
    "accidents": lambda d: write_layer(
        d / "acc.geojson", [shapely.Point(31.5, 50.5)], {"date": ["2024-01-01"]}
    ),
    "odk": lambda d: write_csv(d / "nts.csv", NTS_HEADER, [nts_row("uuid:ledger1", "SYNTHETIC")]),
    "minefields": lambda d: write_layer(
        d / "mf.geojson",
        [shapely.box(32, 50, 32.01, 50.01)],
        {"id": ["MF-L1"], "devices": ["PMN-2: 4"], "emplaced_from": ["2022-03-01"]},
    ),
    "qc": lambda d: write_layer(
        d / "qc.geojson",
        [PART],
        {
            "activity_id": ["LR-000001"],
            "date": ["2024-03-01"],
            "organisation": ["SYNTHETIC QA"],
            "result": ["passed"],
        },
    ),
    "locations": lambda d: write_layer(
        d / "loc.geojson",
        [shapely.box(29, 49, 33, 51)],
        {"pcode": ["XS01"], "name": ["SYNTHETIC oblast"], "level": [1]},
    ),
    "coverage": lambda d: write_layer(
        d / "cov.geojson", [shapely.box(29, 49, 33, 51)], {"name": ["SYNTHETIC coverage"]}
    ),
    "organisations": lambda d: _gpkg(
        d, "orgs.gpkg", {"name": ["SYNTHETIC Survey"], "kind": ["operator"]}
    ),
    "tasks": lambda d: _gpkg(
        d,
        "tasks.gpkg",
        {
            "hazard_id": ["HA-000001"],
            "organisation_id": ["ORG-SYN1"],
            "kind": ["clearance"],
            "issued": ["2024-01-01"],
            "status": ["issued"],
        },
    ),
    "eore": lambda d: write_layer(
        d / "eore.geojson",
        [shapely.Point(30.2, 50.2)],
        {
            "date": ["2025-02-01"],
            "organisation_id": ["ORG-SYN1"],
            "girls": [1],
            "boys": [2],
            "women": [3],
            "men": [4],
        },
    ),
    "qa": lambda d: _gpkg(
        d,
        "qa.gpkg",
        {
            "activity_id": ["LR-000001"],
            "date": ["2024-03-03"],
            "inspecting_organisation": ["SYNTHETIC authority"],
            "nonconformities": ["minor: documentation"],
        },
    ),
}
EXTRA = {"odk": ("--form", "nts")}


@pytest.fixture
def base(cli, tmp_path):
    """HA-000001 with an NTS (LR-000001) on part of it, and organisation ORG-SYN1."""
    d = tmp_path / "base"
    d.mkdir()
    h = write_layer(d / "h.geojson", [HAZARD], {"name": ["SYNTHETIC first"]})
    assert cli("import", "hazards", h).code == 0
    a = write_layer(
        d / "a.geojson",
        [PART],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["ts"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", a).code == 0
    o = _gpkg(d, "o.gpkg", {"id": ["ORG-SYN1"], "name": ["SYNTHETIC Demining"]})
    assert cli("import", "organisations", o).code == 0
    return cli


def test_every_import_kind_is_in_the_table():
    from clearground.cli.imports import IMPORTS

    assert sorted(FILES) == sorted(spec.name for spec in IMPORTS)


@pytest.mark.parametrize("kind", sorted(FILES))
def test_the_same_content_is_imported_once(base, tmp_path, kind):
    cli = base
    src = FILES[kind](tmp_path)
    extra = EXTRA.get(kind, ())
    before = cli("imports", "list").json()
    first = cli("import", kind, src, *extra, "-o", "json")
    assert first.code == 0, first.err
    ids = first.json()["ids"]
    entries = cli("imports", "list").json()
    assert len(entries) == len(before) + 1
    entry = entries[-1]
    assert (entry["kind"], entry["source"], entry["author"]) == (kind, str(src), "tester")
    assert entry["checksum"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert set(ids) <= set(entry["ids"]) and entry["count"] == len(entry["ids"]) > 0
    assert entry["again"] is False

    s = open_store(cli.url)
    state = snapshot(s)
    for dry in ((), ("--dry-run",)):
        r = cli("import", kind, src, *extra, *dry)
        assert r.code == 2, (dry, r.out, r.err)
        assert f"{src}: already imported at {entry['at']} by tester (ids " in r.err
        assert "use --again to import it again" in r.err
        assert snapshot(s) == state
        assert cli("imports", "list").json() == entries
    # the same file under another name is the same content
    copy = src.with_name("copy-" + src.name)
    copy.write_bytes(src.read_bytes())
    assert cli("import", kind, copy, *extra).code == 2
    # with --again the ledger lets it through (ids the file gives may still clash), and a dry
    # run writes no ledger row
    r = cli("import", kind, src, *extra, "--again", "--dry-run")
    assert "already imported" not in r.err and r.code in (0, 2), r.err
    assert cli("imports", "list").json() == entries
    s.close()


@pytest.mark.parametrize("kind", ["hazards", "organisations"])
def test_again_imports_it_again_and_says_so(base, tmp_path, kind):
    cli = base
    src = FILES[kind](tmp_path)
    assert cli("import", kind, src).code == 0
    r = cli("import", kind, src, "--again", "-o", "json")
    assert r.code == 0, r.err
    entries = cli("imports", "list").json()
    assert entries[-1]["again"] is True and entries[-1]["ids"] == r.json()["ids"]
    assert entries[-1]["checksum"] == entries[-2]["checksum"]
    table = cli("imports", "list", "--format", "table")
    assert table.code == 0 and str(src.name) in table.out and "yes" in table.out


def test_a_refused_import_writes_no_ledger_row(base, tmp_path):
    cli = base
    bad = write_layer(
        tmp_path / "bad.geojson",
        [PART],
        {"hazard_id": ["HA-404"], "kind": ["nts"], "date": ["2024-01-01"], "organisation": ["x"]},
    )
    before = cli("imports", "list").json()
    assert cli("import", "activities", bad).code == 2
    assert cli("imports", "list").json() == before


def test_another_layer_of_one_file_is_other_content(cli, tmp_path):
    src = tmp_path / "two.gpkg"
    write_layer(src, [HAZARD], {"name": ["SYNTHETIC a"]}, layer="a")
    write_layer(src, [shapely.box(31, 50, 31.01, 50.01)], {"name": ["SYNTHETIC b"]}, layer="b")
    assert cli("import", "hazards", src, "--layer", "a").code == 0
    assert cli("import", "hazards", src, "--layer", "b").code == 0
    r = cli("import", "hazards", src, "--layer", "a")
    assert r.code == 2 and "(ids HA-000001)" in r.err


def test_the_files_read_with_a_csv_are_part_of_its_content(cli, tmp_path):
    src = tmp_path / "h.csv"
    wkt = "POLYGON ((30 50,30.01 50,30.01 50.01,30 50.01,30 50))"
    src.write_text(f'name,WKT\nSYNTHETIC a,"{wkt}"\n')
    assert cli("import", "hazards", src).code == 0
    (tmp_path / "h.csvt").write_text("String,WKT\n")
    r = cli("import", "hazards", src)  # the same CSV read with other column types
    assert r.code == 0, r.err
    entry = cli("imports", "list").json()[-1]
    assert set(entry["files"]) == {"file", ".csvt"}
    assert entry["files"]["file"] == hashlib.sha256(src.read_bytes()).hexdigest()
    assert cli("import", "hazards", src).code == 2


def test_two_identical_imports_racing_import_once(cli, tmp_path):
    """Both pass the check before their transactions; the one inside the write transaction,
    under the ledger's lock, lets only one commit."""
    from clearground.services.hazards import import_hazards
    from clearground.services.ledger import import_once

    src = write_layer(tmp_path / "h.geojson", [HAZARD], {"name": ["SYNTHETIC race"]})
    stores = [open_store(cli.url), open_store(cli.url)]
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def run(store):
        barrier.wait()  # both have passed the check before the transaction
        return import_hazards(store, src, author="tester")

    def worker(i):
        try:
            results[i] = import_once(stores[i], "hazards", src, run, author="tester")
        except Exception as exc:  # the loser's refusal
            results[i] = exc

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert "already imported at" in str(getattr(errors[0], "problems", errors[0]))
    assert stores[0].count("hazard") == 1
    assert len(stores[0].imports()) == 1
    for s in stores:
        s.close()
