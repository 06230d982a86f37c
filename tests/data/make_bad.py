"""Write the corpus of bad input files that every import must refuse, into ``tests/data/bad/``.

Every file is generated here, most of them written by GDAL (pyogrio) and then damaged on
purpose; none is committed (``tests/data/bad/`` is ignored by git). The test session writes the
corpus afresh at its start; run it by hand to look at the files (or into another directory):

    .venv/bin/python tests/data/make_bad.py [DIRECTORY]

``write_corpus(directory)`` returns, for each case, the file, a fragment that the one-line reason
must contain, and any extra command-line arguments.
"""

from __future__ import annotations

import csv
import os
import shutil
import struct
import sys
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyogrio
import shapely

__all__ = [
    "CASES",
    "CORPUS",
    "BadFile",
    "SECRET",
    "write_corpus",
    "write_layer",
    "zip_bomb",
    "zip_folder",
]

#: Text of the file the XXE cases point at: it must never reach the database or any output.
SECRET = "SYNTHETIC-SECRET-7f3a"
#: The zip bomb inflates past clearground's limit (2 GiB) by this much.
BOMB_EXTRA = 1 << 20


#: the cases ``write_corpus`` writes, in order
CASES = (
    "truncated gpkg",
    "invalid json",
    "xxe kml",
    "billion laughs kml",
    "xxe kmz",
    "xxe gpx",
    "zip bomb",
    "kmz bomb",
    "zip path traversal",
    "not a zip",
    "shapefile without prj",
    "windows-1251 without cpg",
    "windows-1251 csv",
    "mixed geometry types",
    "mixed geometry types kml",
    "empty layer",
    "empty csv",
    "duplicate ids",
    "duplicate ids csv",
    "date in the future",
    "date before 1900",
    "unparseable wkt",
    "csv without geometry",
    "xlsx lon/lat not numbers",
    "xxe xlsx",
    "xlsx bomb",
    "geojson nested 200000 deep",
    "date with trailing text",
    "fifo",
    "symlink to /dev/zero",
    "folder",
)


@dataclass
class BadFile:
    path: Path
    fragment: str
    args: list[str] = field(default_factory=list)


def boxes(n: int, lon: float = 30.0, lat: float = 50.0) -> list[shapely.Geometry]:
    return [shapely.box(lon + i * 0.02, lat, lon + i * 0.02 + 0.01, lat + 0.01) for i in range(n)]


def write_layer(
    path: Path,
    geoms,
    fields: dict[str, list] | None = None,
    *,
    driver: str,
    crs: str | None = "EPSG:4326",
    layer: str | None = None,
    geometry_type: str | None = None,
    encoding: str | None = None,
) -> Path:
    """Write a real file with GDAL through pyogrio (any driver)."""
    geoms = np.asarray(geoms, dtype=object)
    fields = fields or {}
    if geometry_type is None:
        types = {g.geom_type for g in geoms if g is not None}
        geometry_type = types.pop() if len(types) == 1 else "Unknown"
    columns = []
    for values in fields.values():
        kinds = {type(v) for v in values if v is not None}
        columns.append(np.asarray(values, dtype=None if kinds <= {float} and kinds else object))
    pyogrio.raw.write(
        path,
        shapely.to_wkb(geoms),
        columns,
        list(fields),
        driver=driver,
        crs=crs,
        layer=layer,
        geometry_type=geometry_type,
        encoding=encoding,
    )
    return path


def zip_folder(folder: Path, out: Path) -> Path:
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for f in sorted(folder.iterdir()):
            z.write(f, f.name)
    return out


def shapefile_zip(
    out: Path,
    geoms,
    fields: dict[str, list],
    *,
    encoding: str | None = None,
    drop: tuple[str, ...] = (),
    ldid: int | None = None,
    crs: str = "EPSG:4326",
) -> Path:
    """A zipped Shapefile written by GDAL; ``drop`` removes parts (".prj", ".cpg")."""
    with tempfile.TemporaryDirectory() as tmp:
        shp = Path(tmp) / f"{out.name.split('.')[0]}.shp"
        write_layer(shp, geoms, fields, driver="ESRI Shapefile", encoding=encoding, crs=crs)
        for suffix in drop:
            shp.with_suffix(suffix).unlink()
        if ldid is not None:
            dbf = shp.with_suffix(".dbf")
            data = bytearray(dbf.read_bytes())
            data[29] = ldid  # the DBF's language driver id
            dbf.write_bytes(bytes(data))
        return zip_folder(Path(tmp), out)


def zip_bomb(out: Path, size: int, name: str = "bomb.shp") -> Path:
    """A valid zip with one member of ``size`` zero bytes, deflated to about size / 1000.

    The deflate stream is one compressed MiB of zeros, flushed so that it stands alone, repeated;
    so the file is written without deflating ``size`` bytes. Sizes stay below 4 GiB (no zip64).
    """
    mib = 1 << 20
    assert size % mib == 0 and size < 1 << 32
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = co.compress(bytes(mib)) + co.flush(zlib.Z_FULL_FLUSH)
    tail = co.flush()
    crc = 0
    zeros = bytes(mib)
    for _ in range(size // mib):
        crc = zlib.crc32(zeros, crc)
    count = size // mib
    csize = len(block) * count + len(tail)
    raw = name.encode()
    local = struct.pack(
        "<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0x21, crc, csize, size, len(raw), 0
    )
    central = struct.pack(
        "<IHHHHHHIIIHHHHHII",
        0x02014B50,
        20,
        20,
        0,
        8,
        0,
        0x21,
        crc,
        csize,
        size,
        len(raw),
        0,
        0,
        0,
        0,
        0,
        0,
    )
    with open(out, "wb") as f:
        f.write(local + raw)
        for _ in range(count):
            f.write(block)
        f.write(tail)
        cd_offset = f.tell()
        f.write(central + raw)
        cd_size = f.tell() - cd_offset
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 1, 1, cd_size, cd_offset, 0))
    return out


def _write_csv(path: Path, rows: list[list[str]]) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _with_doctype(text: str, doctype: str, name_text: str) -> str:
    """KML/GPX text (written by GDAL) with a DOCTYPE added and a <name> replaced by an entity."""
    head, sep, rest = text.partition("?>")
    body = rest.replace(f"<name>{name_text}</name>", "<name>&xxe;</name>", 1)
    assert "&xxe;" in body, "the name to replace is not in the file"
    return head + sep + "\n" + doctype + body


def write_corpus(directory: str | Path) -> dict[str, BadFile]:
    """Write every bad file into ``directory``; return {case: BadFile}."""
    d = Path(directory)
    d.mkdir(parents=True, exist_ok=True)
    out: dict[str, BadFile] = {}
    names = {"name": ["SYNTHETIC A", "SYNTHETIC B"]}

    whole = write_layer(
        d / "whole.gpkg", boxes(200), {"name": [f"n{i}" for i in range(200)]}, driver="GPKG"
    )
    trunc = d / "truncated.gpkg"
    trunc.write_bytes(whole.read_bytes()[: whole.stat().st_size // 3])
    whole.unlink()
    out["truncated gpkg"] = BadFile(trunc, "truncated.gpkg: cannot read gpkg")

    good = write_layer(d / "good.geojson", boxes(2), names, driver="GeoJSON")
    text = good.read_text()
    good.unlink()
    notjson = d / "invalid.geojson"
    notjson.write_text(text[: len(text) // 2])
    out["invalid json"] = BadFile(notjson, "invalid.geojson: cannot read geojson: not valid JSON")

    secret = d / "secret.txt"
    secret.write_text(SECRET + "\n")
    kml_text = write_layer(d / "k.kml", boxes(2), names, driver="LIBKML").read_text()
    (d / "k.kml").unlink()
    doctype = f'<!DOCTYPE kml [<!ENTITY xxe SYSTEM "{secret.resolve().as_uri()}">]>\n'
    xxe = d / "xxe.kml"
    xxe.write_text(_with_doctype(kml_text, doctype, "SYNTHETIC A"))
    out["xxe kml"] = BadFile(xxe, "xxe.kml: refused: the KML declares a DTD or entities")
    laughs = "".join(f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
    bomb_doctype = f'<!DOCTYPE kml [<!ENTITY l0 "lol">{laughs}<!ENTITY xxe "&l9;">]>\n'
    lol = d / "laughs.kml"
    lol.write_text(_with_doctype(kml_text, bomb_doctype, "SYNTHETIC A"))
    out["billion laughs kml"] = BadFile(lol, "laughs.kml: refused: the KML declares a DTD")
    kmz = d / "xxe.kmz"
    with zipfile.ZipFile(kmz, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("doc.kml", _with_doctype(kml_text, doctype, "SYNTHETIC A"))
    out["xxe kmz"] = BadFile(kmz, "xxe.kmz:doc.kml: refused: the KML declares a DTD")
    gpx = write_layer(
        d / "t.gpx",
        [shapely.MultiLineString([[(30, 50), (30.1, 50.1)]])],
        {"name": ["SYNTHETIC track"]},
        driver="GPX",
        layer="tracks",
    )
    xxe_gpx = d / "xxe.gpx"
    xxe_gpx.write_text(
        _with_doctype(
            gpx.read_text(), doctype.replace("DOCTYPE kml", "DOCTYPE gpx"), "SYNTHETIC track"
        )
    )
    gpx.unlink()
    out["xxe gpx"] = BadFile(xxe_gpx, "xxe.gpx: refused: the GPX declares a DTD")

    bomb = zip_bomb(d / "bomb.shp.zip", 2 * 1024**3 + BOMB_EXTRA)
    out["zip bomb"] = BadFile(bomb, "bomb.shp.zip: the zip would inflate to 2.00 GiB")
    out["kmz bomb"] = BadFile(
        zip_bomb(d / "bomb.kmz", 2 * 1024**3 + BOMB_EXTRA, name="doc.kml"),
        "bomb.kmz: the zip would inflate to 2.00 GiB",
    )
    trav = d / "traversal.shp.zip"
    with zipfile.ZipFile(trav, "w") as z:
        z.writestr("../../evil.shp", b"x")
    out["zip path traversal"] = BadFile(trav, "'../../evil.shp' would be written outside")
    notzip = d / "notzip.shp.zip"
    notzip.write_bytes(b"PK this is not a zip")
    out["not a zip"] = BadFile(notzip, "notzip.shp.zip: not a readable zipped Shapefile")

    out["shapefile without prj"] = BadFile(
        shapefile_zip(d / "noprj.shp.zip", boxes(2), names, drop=(".prj",)),
        "noprj.shp.zip: noprj.shp has no noprj.prj, so its coordinate system is unknown",
    )
    out["windows-1251 without cpg"] = BadFile(
        shapefile_zip(
            d / "cp1251.shp.zip",
            boxes(2),
            {"name": ["SYNTHETIC A", "СИНТЕТИЧНЕ Мінне поле"]},
            encoding="cp1251",
            drop=(".cpg",),
            ldid=0,
        ),
        "cp1251.shp.zip:feature 2: text in column 'name' is not plain ASCII and the zip has no "
        "cp1251.cpg naming its encoding: it looks like Windows-1251 Cyrillic",
    )
    csv1251 = d / "cp1251.csv"
    csv1251.write_bytes(
        "name,lon,lat\nSYNTHETIC A,30.1,50.1\nСИНТЕТИЧНЕ поле,30.2,50.2\n".encode("cp1251")
    )
    out["windows-1251 csv"] = BadFile(
        csv1251, "cp1251.csv:feature 2: text is not UTF-8 (it looks like Windows-1251 Cyrillic)"
    )

    mixed = [boxes(1)[0], shapely.Point(30, 50), shapely.LineString([(30, 50), (30.1, 50)])]
    out["mixed geometry types"] = BadFile(
        write_layer(d / "mixed.geojson", mixed, {"name": ["a", "b", "c"]}, driver="GeoJSON"),
        "mixed.geojson:feature 2: geometry is a Point, not a polygon",
    )
    out["mixed geometry types kml"] = BadFile(
        write_layer(d / "mixed.kml", mixed, {"name": ["a", "b", "c"]}, driver="LIBKML"),
        "mixed.kml:feature 3: geometry is a LineString, not a polygon",
    )
    empty = d / "empty.gpkg"
    pyogrio.raw.write(
        empty,
        np.array([], dtype=object),
        [np.array([], dtype=object)],
        ["name"],
        driver="GPKG",
        geometry_type="Polygon",
        crs="EPSG:4326",
    )
    out["empty layer"] = BadFile(empty, "empty.gpkg: the layer has no features")
    empty_csv = d / "empty.csv"
    empty_csv.write_text("id,name,WKT\n#loc+code,#loc+name,#geo+wkt\n")
    out["empty csv"] = BadFile(empty_csv, "empty.csv: the layer has no features")
    out["duplicate ids"] = BadFile(
        write_layer(
            d / "dups.fgb", boxes(3), {"id": ["HZ-9", "HZ-8", "HZ-9"]}, driver="FlatGeobuf"
        ),
        "duplicate id 'HZ-9'",
    )
    dups_csv = _write_csv(
        d / "dups.csv",
        [["id", "name", "WKT"]]
        + [["HZ-7", f"SYNTHETIC {i}", shapely.to_wkt(g)] for i, g in enumerate(boxes(2))],
    )
    out["duplicate ids csv"] = BadFile(
        dups_csv, "dups.csv:feature 2: duplicate id 'HZ-7' (also feature 1)"
    )
    out["date in the future"] = BadFile(
        write_layer(
            d / "future.kml",
            boxes(2),
            {**names, "date_reported": ["2024-01-01", "2999-01-01"]},
            driver="LIBKML",
        ),
        "future.kml:feature 2: date_reported '2999-01-01' is in the future",
    )
    out["date before 1900"] = BadFile(
        shapefile_zip(
            d / "old.shp.zip", boxes(2), {**names, "date_rep": ["1899-12-31", "2020-01-01"]}
        ),
        "old.shp.zip:feature 1: date_reported '1899-12-31' is before 1900",
        ["--map", "date_reported=date_rep"],
    )
    bad_wkt = _write_csv(
        d / "badwkt.csv",
        [
            ["name", "WKT"],
            ["SYNTHETIC A", shapely.to_wkt(boxes(1)[0])],
            ["SYNTHETIC B", "POLYGON ((30 50, 31"],
        ],
    )
    out["unparseable wkt"] = BadFile(bad_wkt, "badwkt.csv:feature 2: WKT: WKT cannot be parsed")
    nogeom = d / "nogeom.csv"
    nogeom.write_text("name,place\nSYNTHETIC A,somewhere\n")
    out["csv without geometry"] = BadFile(nogeom, "nogeom.csv: no geometry column")
    xlsx = d / "badlonlat.xlsx"
    pyogrio.raw.write(
        xlsx,
        None,
        [
            np.array(["SYNTHETIC A", "SYNTHETIC B"], dtype=object),
            np.array(["30.1", "east"], dtype=object),
            np.array(["50.1", "50.2"], dtype=object),
        ],
        ["name", "lon", "lat"],
        driver="XLSX",
    )
    out["xlsx lon/lat not numbers"] = BadFile(
        xlsx, "badlonlat.xlsx:feature 2: lon/lat = 'east'/'50.2' are not both numbers"
    )
    xxe_xlsx = d / "xxe.xlsx"
    with zipfile.ZipFile(xlsx) as z:
        parts = [(i.filename, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(xxe_xlsx, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts:
            if name.endswith("sheet1.xml"):
                text = data.decode()
                head, sep, rest = text.partition("?>")
                data = head + sep + doctype.replace("DOCTYPE kml", "DOCTYPE worksheet") + rest
                data = data.encode()
            z.writestr(name, data)
    out["xxe xlsx"] = BadFile(xxe_xlsx, "sheet1.xml: refused: the XLSX declares a DTD")
    out["xlsx bomb"] = BadFile(
        zip_bomb(d / "bomb.xlsx", 2 * 1024**3 + BOMB_EXTRA, name="xl/worksheets/sheet1.xml"),
        "bomb.xlsx: the zip would inflate to 2.00 GiB",
    )
    ring = "[[30,50],[30.01,50],[30.01,50.01],[30,50]]"
    geometry = f'"geometry":{{"type":"Polygon","coordinates":[{ring}]}}'
    depth = 200_000
    deep = d / "deep.geojson"
    deep.write_text(
        '{"type":"FeatureCollection","features":['
        f'{{"type":"Feature","properties":{{"name":"SYNTHETIC A"}},{geometry}}},'
        f'{{"type":"Feature","properties":{{"name":"SYNTHETIC B","x":{"[" * depth}{"]" * depth}}},'
        f"{geometry}}}]}}"
    )
    out["geojson nested 200000 deep"] = BadFile(
        deep, "deep.geojson:feature 2: cannot read geojson: objects and arrays are nested too"
    )
    trailing = _write_csv(
        d / "trailing.csv",
        [
            ["name", "date_reported", "WKT"],
            ["SYNTHETIC A", "2025-01-01", shapely.to_wkt(boxes(1)[0])],
            ["SYNTHETIC B", "2025-01-01 garbage", shapely.to_wkt(boxes(1)[0])],
        ],
    )
    out["date with trailing text"] = BadFile(
        trailing, "trailing.csv:feature 2: date_reported '2025-01-01 garbage' is not an ISO 8601"
    )
    fifo = d / "fifo.geojson"
    os.mkfifo(fifo)
    out["fifo"] = BadFile(fifo, "fifo.geojson: is a FIFO (named pipe), not a regular file")
    zero = d / "zero.gpkg"
    zero.symlink_to("/dev/zero")
    out["symlink to /dev/zero"] = BadFile(zero, "zero.gpkg: is a character device")
    folder = d / "folder.shp.zip"
    folder.mkdir()
    out["folder"] = BadFile(folder, "folder.shp.zip: is a folder, not a regular file")
    assert tuple(out) == CASES
    return out


#: where the corpus lives: beside this script
CORPUS = Path(__file__).resolve().parent / "bad"

if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else CORPUS
    if target.exists():
        shutil.rmtree(target)
    for case, bad in write_corpus(target).items():
        print(f"{case:28} {bad.path.name:22} {' '.join(bad.args):28} {bad.fragment}")
