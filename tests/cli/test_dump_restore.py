"""`clearground dump` / `restore`: a whole database, history included, moved losslessly."""

from __future__ import annotations

import json

import pyogrio
import shapely

from clearground.cli import main
from clearground.store import open_store
from clearground.store.mapping import KINDS
from tests.helpers import write_layer


def full_state(url: str) -> dict:
    """Every version of every record (payload parsed, geometry as WKB), events and sequences."""
    s = open_store(url)
    try:
        out = {}
        for kind in KINDS:
            out[kind] = [
                (
                    r[0],
                    r[1],
                    r[2],
                    r[3],
                    r[4],
                    bool(r[5]),
                    None if r[6] is None else (json.loads(r[6]) if isinstance(r[6], str) else r[6]),
                    None if r[7] is None else shapely.from_wkb(bytes(r[7])).wkt,
                )
                for r in s.raw_versions(kind)
            ]
        out["events"] = [e.__dict__ for e in s.all_events()]
        out["sequences"] = s.sequences()
        return out
    finally:
        s.close()


def build_history(cli, tmp_path):
    """A database with imports, edits, land release, a reopening EO item and a deletion."""
    src = write_layer(
        tmp_path / "h.geojson",
        [shapely.box(30, 50, 30.01, 50.01), shapely.box(31, 50, 31.01, 50.01)],
        {"name": ["SYNTHETIC Поле 1", "SYNTHETIC two"], "eo_types": ["AP mine", ""]},
    )
    assert cli("import", "hazards", src).code == 0
    assert (
        cli(
            "hazard",
            "edit",
            "HA-000001",
            "--set",
            "notes=перевірено",
            "--reason",
            "QA visit",
            "--version",
            "1",
        ).code
        == 0
    )
    acts = write_layer(
        tmp_path / "a.geojson",
        [shapely.box(30, 50, 30.01, 50.01)],
        {
            "hazard_id": ["HA-000001"],
            "kind": ["clearance"],
            "date": ["2024-01-01"],
            "organisation": ["SYNTHETIC op"],
        },
    )
    assert cli("import", "activities", acts).code == 0
    eo = write_layer(
        tmp_path / "eo.geojson",
        [shapely.Point(30.005, 50.005)],
        {"category": ["uxo"], "date": ["2025-01-01"]},
    )
    assert cli("import", "eo", eo).code == 0
    s = open_store(cli.url)
    with s.transaction() as tx:
        tx.delete("hazard", "HA-000002", expected_version=1, author="tester", reason="duplicate")
        tx.commit()
    s.close()


def test_dump_then_restore_is_lossless_and_qgis_opens_the_dump(cli, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")  # a whole dump needs it
    build_history(cli, tmp_path)
    before = full_state(cli.url)
    out = tmp_path / "dump.gpkg"
    r = cli("dump", out)
    assert r.code == 0, r.err
    assert "including victims' personal data (victim_data permission)" in r.out
    layers = {name for name, _ in pyogrio.list_layers(out)}
    assert {
        "hazard_area_versions",
        "land_release_activity_versions",
        "eo_item_versions",
        "hazard_events",
        "clearground_dump",
    } <= layers
    assert pyogrio.read_info(out, layer="hazard_area_versions")["features"] == 6
    target = f"sqlite:///{tmp_path / 'restored.db'}"
    assert main(["--db", target, "restore", str(out)]) == 0
    assert full_state(target) == before
    # the restored database keeps the import ledger: the same file again is refused ...
    again = ["--db", target, "import", "hazards", str(tmp_path / "h.geojson")]
    assert main(again) == 2
    # ... and goes on numbering where the old one stopped
    assert main([*again, "--again"]) == 0
    assert open_store(target).get("hazard", "HA-000003") is not None


def test_restore_refuses_a_database_that_is_not_empty(cli, tmp_path):
    build_history(cli, tmp_path)
    out = tmp_path / "dump.gpkg"
    assert cli("dump", out, "--without-personal-data").code == 0
    before = full_state(cli.url)
    r = cli("restore", out)
    assert r.code == 2 and "not empty" in r.err
    assert full_state(cli.url) == before


def test_restore_refuses_what_is_not_a_dump(cli, tmp_path):
    other = write_layer(tmp_path / "h.gpkg", [shapely.box(30, 50, 30.01, 50.01)], {"n": ["x"]})
    r = cli("restore", other)
    assert r.code == 2 and "not a clearground dump" in r.err
    r = cli("restore", tmp_path / "nothing.gpkg")
    assert r.code == 2 and "file not found" in r.err
    assert cli("dump", tmp_path / "dump.geojson").code == 2


def test_round_trip_sqlite_postgis_sqlite(tmp_path, request, capsys, monkeypatch):
    """sqlite -> dump -> postgis -> dump -> sqlite: every version, id, author, time, reason."""
    from tests.conftest import _store_url

    monkeypatch.setenv("CLEARGROUND_AUTHOR", "tester")
    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")  # a whole dump needs it
    first = f"sqlite:///{tmp_path / 'first.db'}"

    def cli(*args):
        code = main(["--db", first, *map(str, args)])
        captured = capsys.readouterr()
        from tests.cli.conftest import Result

        return Result(code, captured.out, captured.err)

    cli.url = first
    assert cli("init").code == 0
    build_history(cli, tmp_path)
    before = full_state(first)
    pg = _store_url(request, "postgis", tmp_path)
    assert main(["--db", first, "dump", str(tmp_path / "one.gpkg")]) == 0
    assert main(["--db", pg, "restore", str(tmp_path / "one.gpkg")]) == 0
    assert full_state(pg) == before
    assert main(["--db", pg, "dump", str(tmp_path / "two.gpkg")]) == 0
    last = f"sqlite:///{tmp_path / 'last.db'}"
    assert main(["--db", last, "restore", str(tmp_path / "two.gpkg")]) == 0
    assert full_state(last) == before


def test_a_failed_dump_leaves_the_older_file_as_it_was(cli, tmp_path, monkeypatch):
    """The dump is written beside the target and renamed into place only when whole."""
    import clearground.services.dump as dump_service
    from clearground.domain.errors import BadInput

    monkeypatch.setenv("CLEARGROUND_PERMISSIONS", "victim_data")
    target = tmp_path / "backup.gpkg"
    assert cli("dump", target).code == 0
    before = target.read_bytes()
    real_write = dump_service._write

    def disk_full_half_way(snap, source, path, without_personal_data):
        real_write(snap, source, path, without_personal_data)  # the partial file is written...
        raise OSError(28, "No space left on device")  # ... and then the disk is full

    monkeypatch.setattr(dump_service, "_write", disk_full_half_way)
    r = cli("dump", target)
    assert r.code == BadInput.exit_code
    assert "No space left on device" in r.err and "Traceback" not in r.err
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []
