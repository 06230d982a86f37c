"""GDAL-backed vector formats, read and written through pyogrio (its wheels bundle GDAL)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import shapely

from clearground.domain.errors import ImportRejected
from clearground.formats.base import FeatureTable, Format

__all__ = ["GEOJSON", "GPKG", "GPX", "OgrFormat", "to_wgs84"]


def _reason(exc: Exception) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def to_wgs84(geometries: np.ndarray, crs: str | None) -> np.ndarray:
    """Geometries reprojected from ``crs`` to EPSG:4326 lon/lat (unchanged when already so)."""
    if not crs:
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


class OgrFormat(Format):
    def __init__(
        self,
        name: str,
        driver: str,
        extensions: tuple[str, ...],
        *,
        layer_options: dict[str, str] | None = None,
        read_layers: tuple[str, ...] = (),
    ) -> None:
        self.name = name
        self.driver = driver
        self.extensions = extensions
        self.layer_options = layer_options or {}
        self.read_layers = read_layers  # layers to read by default (GPX: routes and tracks)

    def layers(self, path: Path) -> list[str]:
        import pyogrio

        return [str(name) for name, _ in pyogrio.list_layers(path)]

    def _unreadable(self, path: Path, exc: Exception) -> ImportRejected:
        reason = _reason(exc)
        if self.name == "geojson":
            try:
                with open(path, encoding="utf-8") as f:
                    json.load(f)
            except (ValueError, UnicodeDecodeError) as jexc:
                reason = f"not valid JSON ({jexc})"
            except OSError:
                pass
        return ImportRejected([f"{path}: cannot read {self.name}: {reason}"])

    def read(self, path: Path, *, layer: str | None = None) -> FeatureTable:
        import pyogrio
        from pyogrio.errors import DataLayerError, DataSourceError, FieldError, GeometryError

        readable = (DataSourceError, DataLayerError, FieldError, GeometryError, OSError, ValueError)
        if not path.exists():
            raise ImportRejected([f"{path}: file not found"])
        try:
            available = self.layers(path)
        except readable as exc:
            raise self._unreadable(path, exc) from None
        if layer is not None and layer not in available:
            raise ImportRejected(
                [f"{path}: no layer {layer!r}; layers: {', '.join(available) or 'none'}"]
            )
        if layer is None and self.read_layers:
            tables = [
                self._read_layer(pyogrio, path, name, readable)
                for name in self.read_layers
                if name in available
            ]
            return _concat(path, tables)
        if layer is None and len(available) > 1:
            raise ImportRejected(
                [
                    f"{path}: {len(available)} layers; choose one with --layer: "
                    + ", ".join(available)
                ]
            )
        if not available:
            raise ImportRejected([f"{path}: no layers"])
        return self._read_layer(pyogrio, path, layer or available[0], readable)

    def _read_layer(self, pyogrio, path: Path, layer: str, readable) -> FeatureTable:
        try:
            meta, _, wkb, field_data = pyogrio.raw.read(path, layer=layer, datetime_as_string=True)
        except readable as exc:
            raise self._unreadable(path, exc) from None
        problems: dict[int, str] = {}
        if wkb is None:
            wkb = np.full(len(field_data[0]) if field_data else 0, None, dtype=object)
        geoms = _decode(np.asarray(wkb, dtype=object), problems)
        try:
            geoms = to_wgs84(geoms, meta.get("crs"))
        except Exception as exc:  # pyproj raises several kinds for a bad CRS
            raise ImportRejected(
                [f"{path}: cannot reproject layer {layer!r} to EPSG:4326: {_reason(exc)}"]
            ) from None
        columns = {str(n): np.asarray(v) for n, v in zip(meta["fields"], field_data, strict=True)}
        return FeatureTable(
            source=str(path),
            geometries=np.asarray(geoms, dtype=object),
            columns=columns,
            layer=layer,
            crs=meta.get("crs"),
            problems=problems,
        )

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        import pyogrio

        geoms = np.asarray(table.geometries, dtype=object)
        types = set(shapely.get_type_id(geoms[~shapely.is_missing(geoms)]).tolist())
        geometry_type = (
            "MultiPolygon" if types <= {3, 6} else "Point" if types <= {0} else "Unknown"
        )
        if geometry_type == "MultiPolygon":
            single = shapely.get_type_id(geoms) == 3
            geoms = geoms.copy()
            geoms[single] = [shapely.MultiPolygon([g]) for g in geoms[single]]
        if self.name == "geojson":
            geoms = shapely.orient_polygons(geoms, exterior_cw=False)  # RFC 7946: CCW exteriors
        if path.exists():
            path.unlink()
        pyogrio.raw.write(
            path,
            shapely.to_wkb(geoms),
            list(table.columns.values()),
            list(table.columns.keys()),
            layer=layer,
            driver=self.driver,
            geometry_type=geometry_type,
            crs="EPSG:4326",
            layer_options=self.layer_options or None,
        )


def _concat(path: Path, tables: list[FeatureTable]) -> FeatureTable:
    if not tables:
        return FeatureTable(str(path), np.empty(0, dtype=object), {})
    if len(tables) == 1:
        return tables[0]
    return FeatureTable(
        str(path),
        np.concatenate([t.geometries for t in tables]),
        {},
        layer=",".join(t.layer or "" for t in tables),
    )


GEOJSON = OgrFormat("geojson", "GeoJSON", (".geojson", ".json"), layer_options={"RFC7946": "YES"})
GPKG = OgrFormat("gpkg", "GPKG", (".gpkg",))
GPX = OgrFormat("gpx", "GPX", (".gpx",), read_layers=("routes", "tracks"))
