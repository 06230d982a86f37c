"""GDAL-backed vector formats, read and written through pyogrio (its wheels bundle GDAL).

Plain single-file formats live here: GeoJSON (RFC 7946), GeoPackage, FlatGeobuf and GPX (read:
routes and tracks by default, ``--layer waypoints`` for points). The zipped and XML formats build
on :class:`OgrFormat` in their own modules.
"""

from __future__ import annotations

import json
import re
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clearground.domain.errors import ImportRejected
from clearground.formats.base import FeatureTable, Format, check_crs, concat_tables

__all__ = ["FLATGEOBUF", "GEOJSON", "GPKG", "GPX", "OgrFormat", "to_wgs84"]


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def to_wgs84(geometries: np.ndarray, crs: str | None) -> np.ndarray:
    """Geometries reprojected from ``crs`` to EPSG:4326 lon/lat (unchanged when already so)."""
    if not crs or crs == "EPSG:4326":  # GDAL's name for lon/lat: no need to load pyproj
        return geometries
    from pyproj import CRS, Transformer

    source = CRS.from_user_input(crs)
    target = CRS.from_epsg(4326)
    if source.equals(target, ignore_axis_order=True):
        return geometries
    transformer = Transformer.from_crs(source, target, always_xy=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return shapely.transform(
            geometries, lambda xy: np.column_stack(transformer.transform(xy[:, 0], xy[:, 1]))
        )


#: GDAL's GeoJSON reader refuses nesting deeper than it reads ("Too many nested objects").
_NESTED = re.compile(r"character (\d+): Too many nested objects")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _feature_at(text: str) -> int | None:
    """The number (from 1) of the feature of a FeatureCollection that the end of ``text`` is
    in, or None when it is not inside the ``features`` array."""
    stack: list[str] = []  # the key each open container was opened under
    key = ""
    feature = 0
    for m in _JSON_TOKEN.finditer(text):
        token = m.group()
        if token[0] == '"':
            key = token[1:-1]
        elif token in "[{":
            if token == "{" and stack == ["", "features"]:
                feature += 1
            stack.append(key if len(stack) == 1 else "")
            key = ""
        else:
            if stack:
                stack.pop()
    return feature if stack[:2] == ["", "features"] and feature else None


def _too_deep(path: Path, source: str, at: int | None) -> str:
    """The refusal of a GeoJSON nested deeper than readers go, naming the feature if known."""
    feature = None
    if at is not None:
        with open(path, encoding="utf-8", errors="replace") as f:
            feature = _feature_at(f.read(at))
    where = f"{source}:feature {feature}" if feature else source
    return (
        f"{where}: cannot read geojson: objects and arrays are nested too deeply"
        + (f" (at character {at})" if at is not None else "")
        + "; a GeoJSON geometry or property needs a few levels, not thousands"
    )


def _decode(wkb: np.ndarray, table_problems: dict[int, str]) -> np.ndarray:
    try:
        return shapely.from_wkb(wkb)
    except shapely.errors.GEOSException:
        out = np.empty(len(wkb), dtype=object)
        for i, item in enumerate(wkb):
            try:
                out[i] = shapely.from_wkb(item)
            except shapely.errors.GEOSException as exc:
                out[i] = None
                table_problems[i] = f"geometry cannot be decoded: {_reason(exc)}"
        return out


def _readable_errors() -> tuple[type[Exception], ...]:
    from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

    return (
        DataSourceError,
        DataLayerError,
        FieldError,
        GeometryError,
        OSError,
        ValueError,  # UnicodeDecodeError included: text not in the file's encoding
    )


def geometry_type_of(geoms: np.ndarray) -> tuple[str, np.ndarray]:
    """The layer geometry type for ``geoms`` and the geometries to write (polygons as multi)."""
    geoms = np.asarray(geoms, dtype=object)
    present = geoms[~shapely.is_missing(geoms)]
    types = set(shapely.get_type_id(present).tolist())
    if not types or types <= {3, 6}:
        single = shapely.get_type_id(geoms) == 3
        if single.any():
            geoms = geoms.copy()
            geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
        return "MultiPolygon", geoms
    if types <= {0}:
        return "Point", geoms
    return "Unknown", geoms


class OgrFormat(Format):
    """A vector format GDAL reads and writes.

    Parameters
    ----------
    name, driver, extensions
        Our name for it, GDAL's driver name, and the file endings it has.
    layer_options
        GDAL layer creation options used when writing.
    read_layers
        Layers to read (and concatenate) when no ``--layer`` is given (GPX: routes and tracks).
    all_layers
        Read every layer, one after the other, when no ``--layer`` is given (KML folders).
    single_layer
        The format holds one layer: without ``--layer`` it is read without listing layers first
        (GDAL parses a whole GeoJSON file to list its layers, which doubled the read time).
    writable
        False for formats clearground only reads (GPX).
    """

    def __init__(
        self,
        name: str,
        driver: str,
        extensions: tuple[str, ...],
        *,
        layer_options: dict[str, str] | None = None,
        read_layers: tuple[str, ...] = (),
        all_layers: bool = False,
        single_layer: bool = False,
        writable: bool = True,
    ) -> None:
        self.name = name
        self.driver = driver
        self.extensions = extensions
        self.layer_options = layer_options or {}
        self.read_layers = read_layers
        self.all_layers = all_layers
        self.single_layer = single_layer
        self.writable = writable

    # --- reading -----------------------------------------------------------------------------

    def layers(self, path: Path) -> list[str]:
        import pyogrio

        return [str(name) for name, _ in pyogrio.list_layers(path)]

    def _unreadable(self, path: Path, source: str, exc: Exception) -> ImportRejected:
        reason = _reason(exc).replace(str(path), source)
        if self.name == "geojson":
            nested = _NESTED.search(reason)
            if nested:
                return ImportRejected([_too_deep(path, source, int(nested.group(1)))])
            try:
                with open(path, encoding="utf-8") as f:
                    json.load(f)
            except RecursionError:
                return ImportRejected([_too_deep(path, source, None)])
            except (ValueError, UnicodeDecodeError) as jexc:
                reason = f"not valid JSON ({jexc})"
            except OSError:
                pass
        return ImportRejected([f"{source}: cannot read {self.name}: {reason}"])

    def read(self, path: Path, *, layer: str | None = None, crs: str | None = None) -> FeatureTable:
        path = Path(path)
        return self.read_from(path, source=str(path), layer=layer, crs=crs)

    def check_file(self, path: Path, source: str) -> None:
        """Checks before GDAL opens the file (XML formats refuse DTDs here)."""

    def read_from(
        self,
        path: Path,
        *,
        source: str,
        layer: str | None = None,
        crs: str | None = None,
        encoding: str | None = None,
        open_options: dict[str, str] | None = None,
    ) -> FeatureTable:
        """Read ``path`` (perhaps extracted from an archive), naming it ``source`` in messages.

        ``crs`` overrides the file's own coordinate system; ``encoding`` the text encoding GDAL
        would use; ``open_options`` go to GDAL's driver.
        """
        crs = check_crs(crs)
        if not path.exists():
            raise ImportRejected([f"{source}: file not found"])
        self.check_file(path, source)
        options = {"crs": crs, "encoding": encoding, "open_options": open_options or {}}
        if layer is None and self.single_layer:
            return self._read_layer(path, source, None, **options)
        readable = _readable_errors()
        try:
            available = self.layers(path)
        except readable as exc:
            raise self._unreadable(path, source, exc) from None
        if layer is not None and layer not in available:
            raise ImportRejected(
                [f"{source}: no layer {layer!r}; layers: {', '.join(available) or 'none'}"]
            )
        if not available:
            raise ImportRejected([f"{source}: no layers"])
        if layer is None and (self.read_layers or self.all_layers):
            names = [n for n in available if self.all_layers or n in self.read_layers]
            tables = [self._read_layer(path, source, n, **options) for n in names]
            return concat_tables(source, tables)
        if layer is None and len(available) > 1:
            raise ImportRejected(
                [
                    f"{source}: {len(available)} layers; choose one with --layer: "
                    + ", ".join(available)
                ]
            )
        return self._read_layer(path, source, layer or available[0], **options)

    def _read_layer(
        self,
        path: Path,
        source: str,
        layer: str | None,
        *,
        crs: str | None,
        encoding: str | None,
        open_options: dict[str, str],
    ) -> FeatureTable:
        import pyogrio

        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                meta, _, wkb, field_data = pyogrio.raw.read(
                    path,
                    layer=layer,
                    datetime_as_string=True,
                    encoding=encoding,
                    **open_options,
                )
        except _readable_errors() as exc:
            raise self._unreadable(path, source, exc) from None
        problems: dict[int, str] = {}
        if wkb is None:
            n = len(field_data[0]) if len(field_data) else 0
            wkb = np.full(n, None, dtype=object)
        geoms = _decode(np.asarray(wkb, dtype=object), problems)
        file_crs = meta.get("crs")
        try:
            geoms = to_wgs84(geoms, crs or file_crs)
        except Exception as exc:  # pyproj raises several kinds for a bad CRS
            raise ImportRejected(
                [f"{source}: cannot reproject layer {layer!r} to EPSG:4326: {_reason(exc)}"]
            ) from None
        columns = {str(n): np.asarray(v) for n, v in zip(meta["fields"], field_data, strict=True)}
        return FeatureTable(
            source=source,
            geometries=np.asarray(geoms, dtype=object),
            columns=columns,
            layer=layer or meta.get("layer_name"),
            crs=crs or file_crs,
            problems=problems,
        )

    # --- writing -----------------------------------------------------------------------------

    def prepare_columns(self, columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Columns as this format stores them (a hook: FileGDB narrows integers, and so on)."""
        return columns

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        if not self.writable:
            super().write(path, table, layer=layer)
        self.write_file(Path(path), table, layer=layer)

    def write_file(
        self,
        path: Path,
        table: FeatureTable,
        *,
        layer: str,
        driver_options: dict[str, Any] | None = None,
    ) -> None:
        """Write ``table`` with GDAL to exactly ``path`` (replaced if it exists)."""
        import pyogrio

        geometry_type, geoms = geometry_type_of(table.geometries)
        if self.name == "geojson":
            geoms = shapely.orient_polygons(geoms, exterior_cw=False)  # RFC 7946: CCW exteriors
        columns = self.prepare_columns(dict(table.columns))
        layer_options = dict(self.layer_options)
        if self.driver == "FlatGeobuf" and shapely.is_missing(geoms).any():
            # FlatGeobuf's spatial index has no place for a record without geometry (an
            # organisation, a task): such layers go without the index
            layer_options["SPATIAL_INDEX"] = "NO"
        if path.exists():
            path.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # e.g. GDAL's "laundered" names
            pyogrio.raw.write(
                path,
                shapely.to_wkb(geoms),
                list(columns.values()),
                list(columns.keys()),
                layer=layer,
                driver=self.driver,
                geometry_type=geometry_type,
                crs="EPSG:4326",
                layer_options=layer_options or None,
                **(driver_options or {}),
            )


class XmlOgrFormat(OgrFormat):
    """An XML format (GPX, KML): defusedxml checks the file before GDAL opens it."""

    def check_file(self, path: Path, source: str) -> None:
        from clearground.formats.safe import check_xml

        check_xml(path, source=source, kind=self.name.upper())


GEOJSON = OgrFormat(
    "geojson",
    "GeoJSON",
    (".geojson", ".json"),
    layer_options={"RFC7946": "YES"},
    single_layer=True,
)
GPKG = OgrFormat("gpkg", "GPKG", (".gpkg",))
FLATGEOBUF = OgrFormat("flatgeobuf", "FlatGeobuf", (".fgb",), single_layer=True)
GPX = XmlOgrFormat("gpx", "GPX", (".gpx",), read_layers=("routes", "tracks"), writable=False)
