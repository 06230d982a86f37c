"""Zipped Shapefiles (``.shp.zip``, or any ``.zip`` holding one), read and written.

Reading unzips into a temporary folder with the limits of :mod:`clearground.formats.safe`, then:

- the coordinate system comes from the ``.prj`` (any CRS, reprojected to EPSG:4326); without a
  ``.prj`` the file is refused unless ``--crs`` names it;
- text is decoded with the encoding the ``.cpg`` names (``UTF-8``, ``1251``, ``CP1251``,
  ``ANSI 1251``, ``88595``, ...), else with the DBF's language driver id; when neither says,
  a feature whose text is not plain ASCII is refused with a hint at what it looks like
  (Windows-1251 Cyrillic, UTF-8), rather than imported as mojibake;
- DBF field names hold 10 characters: map them with ``--map classification=classifica``. Files
  clearground writes carry their full names as QGIS aliases (a ``.qml`` beside the ``.shp``),
  which the reader restores, so they import without ``--map``.

A zip holding a File Geodatabase (a ``*.gdb`` folder) instead is read as one.
"""

from __future__ import annotations

import codecs
import re
import tempfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

import numpy as np

from clearground.domain.errors import BadInput, ImportRejected
from clearground.formats.base import FeatureTable, check_crs
from clearground.formats.ogr import OgrFormat
from clearground.formats.safe import extract_zip, zip_directory

__all__ = ["SHAPEFILE", "ShapefileFormat", "codec_from_cpg", "short_names"]

#: DBF limits: field names of 10 bytes, text values of 254 bytes.
NAME_BYTES = 10
TEXT_BYTES = 254


def codec_from_cpg(text: str) -> str | None:
    """The Python codec a ``.cpg`` names, or None when it names none we know.

    >>> [codec_from_cpg(t) for t in ("UTF-8", "1251", "ANSI 1251", "88595", "bogus")]
    ['utf-8', 'cp1251', 'cp1251', 'iso8859-5', None]
    """
    t = text.strip().upper()
    t = re.sub(r"^ANSI[\s_-]*", "", t)
    if t in ("UTF-8", "UTF8", "65001"):
        return "utf-8"
    if m := re.fullmatch(r"8859[-_]?(\d+)", t):
        t = f"ISO-8859-{m.group(1)}"
    elif t.isdigit():
        t = f"CP{t}"
    try:
        return codecs.lookup(t).name
    except LookupError:
        return None


def short_names(names: list[str]) -> dict[str, str]:
    """Each name cut to 10 bytes for a DBF, kept unique (``_1``, ``_2`` ...), in order.

    >>> list(short_names(["classification", "cancelled_m2", "cancelled_mx", "id"]).values())
    ['classifica', 'cancelled_', 'cancelle_1', 'id']
    """

    def cut(name: str, size: int) -> str:
        while len(name.encode("utf-8")) > size:
            name = name[:-1]
        return name

    out: dict[str, str] = {}
    used: set[str] = set()
    for name in names:
        short = cut(name, NAME_BYTES)
        k = 1
        while short.lower() in used:
            suffix = f"_{k}"
            short = cut(name, NAME_BYTES - len(suffix)) + suffix
            k += 1
        used.add(short.lower())
        out[name] = short
    return out


def _sidecar(shp: Path, suffix: str) -> Path | None:
    for candidate in shp.parent.iterdir():
        if candidate.stem == shp.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _looks_like(raw: bytes) -> str:
    """A hint at the encoding of non-ASCII bytes: UTF-8, Windows-1251 Cyrillic, or nothing."""
    try:
        raw.decode("utf-8")
        return "it looks like UTF-8, so add a .cpg holding UTF-8"
    except UnicodeDecodeError:
        pass
    text = raw.decode("cp1251", "replace")
    cyrillic = sum(1 for c in text if "\u0400" <= c <= "\u04ff")
    high = sum(1 for b in raw if b >= 0x80)
    if high and cyrillic >= 0.8 * high:
        return "it looks like Windows-1251 Cyrillic, so add a .cpg holding 1251"
    return "add a .cpg naming it (UTF-8, 1251, 1252, ...)"


def _recode(table: FeatureTable, codec: str | None, cpg: str, stem: str) -> None:
    """Decode text read byte-for-byte (latin-1) with ``codec``; without one, refuse non-ASCII.

    Problems go to ``table.problems`` by feature; one pass per column in the common case.
    """
    renamed: dict[str, np.ndarray] = {}
    for name, column in table.columns.items():
        if not name.isascii():
            raw_name = name.encode("latin-1")
            if codec is None:
                raise ImportRejected(
                    [
                        f"{table.source}: field name {name!r} is not plain ASCII and the zip has "
                        f"no {stem}.cpg naming the encoding: {_looks_like(raw_name)}"
                    ]
                )
            try:
                name = raw_name.decode(codec)
            except UnicodeDecodeError:
                raise ImportRejected(
                    [f"{table.source}: field name {name!r} is not {cpg} text, as the .cpg says"]
                ) from None
        renamed[name] = column
        if column.dtype != object:
            continue
        values = column.tolist()
        texts = [v for v in values if type(v) is str]
        joined = "\x00".join(texts)
        if joined.isascii():
            continue
        if codec is None:
            for i, v in enumerate(values):
                if type(v) is str and not v.isascii():
                    table.problems.setdefault(
                        i,
                        f"text in column {name!r} is not plain ASCII and the zip has no "
                        f"{stem}.cpg naming its encoding: {_looks_like(v.encode('latin-1'))}",
                    )
            continue
        try:
            decoded = iter(joined.encode("latin-1").decode(codec).split("\x00"))
            renamed[name] = np.array(
                [next(decoded) if type(v) is str else v for v in values], dtype=object
            )
        except UnicodeDecodeError:
            out = np.empty(len(values), dtype=object)
            for i, v in enumerate(values):
                if type(v) is not str:
                    out[i] = v
                    continue
                try:
                    out[i] = v.encode("latin-1").decode(codec)
                except UnicodeDecodeError:
                    out[i] = None
                    table.problems.setdefault(
                        i, f"text in column {name!r} is not {cpg} text, as the .cpg says"
                    )
            renamed[name] = out
    table.columns = renamed


def _aliases(qml: Path) -> dict[str, str]:
    """QGIS field aliases (short name -> full name) from a ``.qml`` style, read with defusedxml."""
    from xml.etree.ElementTree import ParseError

    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import parse

    try:
        root = parse(str(qml), forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except (DefusedXmlException, ParseError, OSError):
        return {}  # a style file is a courtesy: a broken one changes nothing
    out = {}
    for alias in root.iter("alias"):
        field, name = alias.get("field"), alias.get("name")
        if field and name:
            out[field] = name
    return out


def _qml(aliases: dict[str, str], order: list[str]) -> str:
    lines = ['<qgis version="3.28.0" styleCategories="Fields">', "  <aliases>"]
    for short, full in aliases.items():
        lines.append(
            f'    <alias field={quoteattr(short)} index="{order.index(short)}" '
            f"name={quoteattr(full)}/>"
        )
    lines += ["  </aliases>", "</qgis>", ""]
    return "\n".join(lines)


class ShapefileFormat(OgrFormat):
    """Zipped Shapefile: guarded unzip, ``.prj`` or ``--crs``, ``.cpg`` encodings, short names."""

    def __init__(self) -> None:
        super().__init__("shapefile", "ESRI Shapefile", (".shp.zip", ".zip"))

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        source = str(path)
        crs = check_crs(crs)
        with tempfile.TemporaryDirectory(prefix="clearground-shp-") as tmp:
            files = extract_zip(path, Path(tmp), source=source, kind="zipped Shapefile")
            shps = {
                f.relative_to(tmp).with_suffix("").as_posix(): f
                for f in files
                if f.suffix.lower() == ".shp"
            }
            if not shps:
                gdbs = sorted({p for f in files for p in f.parents if p.suffix.lower() == ".gdb"})
                if gdbs:
                    from clearground.formats.filegdb import FILEGDB

                    return FILEGDB.read_folder(gdbs, source=source, layer=layer, crs=crs)
                raise ImportRejected([f"{source}: no .shp file in the zip"])
            shp = self._choose(source, shps, layer)
            return self._read_shp(shp, source, crs)

    def _choose(self, source: str, shps: dict[str, Path], layer: str | None) -> Path:
        if layer is None:
            if len(shps) == 1:
                return next(iter(shps.values()))
            raise ImportRejected(
                [f"{source}: {len(shps)} Shapefiles; choose one with --layer: " + ", ".join(shps)]
            )
        for name, shp in shps.items():
            if layer in (name, shp.stem):
                return shp
        raise ImportRejected([f"{source}: no layer {layer!r}; layers: {', '.join(shps)}"])

    def _read_shp(self, shp: Path, source: str, crs: str | None) -> FeatureTable:
        for suffix, what in ((".shx", "index"), (".dbf", "attributes")):
            if _sidecar(shp, suffix) is None:
                raise ImportRejected(
                    [f"{source}: {shp.name} has no {shp.stem}{suffix} ({what}) beside it"]
                )
        prj = _sidecar(shp, ".prj")
        if prj is None and crs is None:
            raise ImportRejected(
                [
                    f"{source}: {shp.name} has no {shp.stem}.prj, so its coordinate system is "
                    "unknown; add the .prj to the zip or give --crs (e.g. --crs EPSG:4326)"
                ]
            )
        cpg = _sidecar(shp, ".cpg")
        cpg_text = cpg.read_text("ascii", "replace").strip() if cpg else ""
        codec = codec_from_cpg(cpg_text) if cpg else None
        if cpg and codec is None:
            raise ImportRejected(
                [f"{source}: {cpg.name} names an encoding not known here: {cpg_text!r}"]
            )
        dbf = _sidecar(shp, ".dbf")
        assert dbf is not None
        with open(dbf, "rb") as f:
            header = f.read(32)
        ldid = header[29] if len(header) > 29 else 0
        gdal_decodes = cpg is None and ldid != 0  # GDAL knows the language driver ids
        table = self.read_from(
            shp, source=source, crs=crs, encoding=None if gdal_decodes else "ISO-8859-1"
        )
        if prj is not None and crs is None and not table.crs:
            raise ImportRejected(
                [f"{source}: {prj.name} is not a coordinate system GDAL understands; give --crs"]
            )
        if not gdal_decodes:
            _recode(table, codec, cpg_text or "", shp.stem)
        qml = _sidecar(shp, ".qml")
        if qml is not None:
            aliases = _aliases(qml)
            table.columns = {
                aliases[n] if n in aliases and aliases[n] not in table.columns else n: c
                for n, c in table.columns.items()
            }
        return table

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        path = Path(path)
        lower = path.name.lower()
        base = path.name[: -len(".shp.zip")] if lower.endswith(".shp.zip") else path.stem
        base = base or layer
        short = short_names(list(table.columns))
        self._check_text(path, table)
        columns = {short[n]: c for n, c in table.columns.items()}
        renamed = FeatureTable(table.source, table.geometries, columns, crs=table.crs)
        with tempfile.TemporaryDirectory(prefix="clearground-shp-") as tmp:
            folder = Path(tmp)
            self.write_file(
                folder / f"{base}.shp", renamed, layer=base, driver_options={"encoding": "UTF-8"}
            )
            aliases = {s: n for n, s in short.items() if s != n}
            if aliases:
                (folder / f"{base}.qml").write_text(_qml(aliases, list(columns)), "utf-8")
            zip_directory(folder, path)

    @staticmethod
    def _check_text(path: Path, table: FeatureTable) -> None:
        ids = table.columns.get("id")
        too_long = []
        for name, column in table.columns.items():
            if column.dtype != object:
                continue
            for i, v in enumerate(column.tolist()):
                if type(v) is str and len(v) * 4 > TEXT_BYTES and len(v.encode()) > TEXT_BYTES:
                    who = ids[i] if ids is not None else f"feature {i + 1}"
                    too_long.append(f"{who}: {name} ({len(v.encode()):,} bytes)")
        if too_long:
            shown = "; ".join(too_long[:5]) + ("; ..." if len(too_long) > 5 else "")
            raise BadInput(
                f"{path}: a Shapefile text field holds at most {TEXT_BYTES} bytes, and "
                f"{len(too_long)} value(s) are longer ({shown}); nothing was written. "
                "Export to GeoPackage (.gpkg) or File Geodatabase (.gdb.zip) instead."
            )


SHAPEFILE = ShapefileFormat()
