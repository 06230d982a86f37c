"""GeoPackage geometry blobs, and the tables that make the SQLite file a GeoPackage.

The SQLite engine stores each geometry as a GeoPackage blob: a small header ("GP", version,
flags, SRS id, optional envelope), then the WKB. So the current-state views, registered in
``gpkg_contents`` and ``gpkg_geometry_columns``, are layers QGIS and GDAL open as they are;
shapely reads the WKB after the header. See the GeoPackage standard (OGC 12-128r18), 2.1.3.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import shapely

__all__ = [
    "APPLICATION_ID",
    "SRS_ID",
    "USER_VERSION",
    "blobs_to_wkb",
    "decode",
    "decode_one",
    "encode",
    "encode_wkb",
    "geopackage_sql",
    "register_layer_sql",
]

APPLICATION_ID = 0x47504B47  # "GPKG"
USER_VERSION = 10300  # GeoPackage 1.3.0
SRS_ID = 4326

# Header: magic "GP", version 0, flags, int32 SRS id; flags bit 0 = little-endian, bits 1-3 the
# envelope kind (0 none, 1 [minx, maxx, miny, maxy]), bit 4 = empty geometry.
_PLAIN = b"GP\x00\x01" + struct.pack("<i", SRS_ID)
_EMPTY = b"GP\x00\x11" + struct.pack("<i", SRS_ID)
# One header with room for an envelope: 40 bytes, little-endian, packed.
_HEADER = np.dtype(
    [("magic", "S2"), ("version", "u1"), ("flags", "u1"), ("srs_id", "<i4"), ("envelope", "<f8", 4)]
)
#: header length by the flags byte: 8 bytes, then 0, 32, 48, 48 or 64 of envelope
_HEADER_LENGTH = [8 + (0, 32, 48, 48, 64, 0, 0, 0)[(f >> 1) & 7] for f in range(256)]


def encode(geoms: Sequence[Any] | np.ndarray) -> tuple[list[bytes | None], np.ndarray]:
    """GeoPackage blobs (None for a missing geometry) and bounds (n x 4: minx, miny, maxx, maxy)
    of ``geoms``, WKB written by shapely in one vectorised call.

    Polygons and lines carry their envelope in the header (as GDAL writes them), so a reader
    filtering by place skips the WKB of features far away; points and empties carry none. The
    headers are laid out by numpy in one buffer: a bulk import spends little per row here.
    """
    geoms = np.asarray(geoms, dtype=object)
    n = len(geoms)
    wkb = shapely.to_wkb(geoms, flavor="iso").tolist()
    bounds = shapely.bounds(geoms)
    type_id = shapely.get_type_id(geoms)
    empty = shapely.is_empty(geoms)
    envelope = (type_id > 0) & ~empty  # not a point (0), not missing (-1)
    head = np.zeros(n, dtype=_HEADER)
    head["magic"] = b"GP"
    head["flags"] = np.where(empty, 0x11, np.where(envelope, 0x03, 0x01))
    head["srs_id"] = SRS_ID
    head["envelope"][envelope] = bounds[envelope][:, [0, 2, 1, 3]]
    buf = head.tobytes()
    size = np.where(envelope, 40, 8).tolist()
    out = [
        None if w is None else buf[start : start + k] + w
        for w, start, k in zip(wkb, range(0, 40 * n, 40), size, strict=True)
    ]
    return out, bounds


def encode_wkb(wkb: Sequence[bytes | None]) -> tuple[list[bytes | None], np.ndarray]:
    """GeoPackage blobs and bounds of geometries given as WKB (a dump's rows)."""
    return encode(shapely.from_wkb(np.array(list(wkb), dtype=object)))


def _strip(blob: bytes | None) -> bytes | None:
    """The WKB in a GeoPackage blob; plain WKB (a row written before migration 10) as it is."""
    if blob is None or blob[:2] != b"GP":
        return blob
    return blob[_HEADER_LENGTH[blob[3]] :]


def blobs_to_wkb(blobs: Sequence[bytes | None]) -> list[bytes | None]:
    """The WKB of each blob (None stays None)."""
    lengths = _HEADER_LENGTH
    return [b[lengths[b[3]] :] if b is not None and b[:2] == b"GP" else b for b in blobs]


def decode(blobs: Sequence[bytes | None]) -> np.ndarray:
    """Shapely geometries of GeoPackage blobs (None for a missing one), in one vectorised call."""
    return shapely.from_wkb(np.array(blobs_to_wkb(blobs), dtype=object))


def decode_one(blob: bytes | None) -> Any:
    return shapely.from_wkb(_strip(blob))


# -- schema -------------------------------------------------------------------------------------

_WGS84 = (
    'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,'
    'AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,'
    'AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],'
    'AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]'
)


def geopackage_sql() -> list[str]:
    """The file header and the three required GeoPackage tables, with their required rows."""
    return [
        f"PRAGMA application_id = {APPLICATION_ID}",
        f"PRAGMA user_version = {USER_VERSION}",
        """CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
)""",
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined cartesian SRS', -1, 'NONE', -1, "
        "'undefined', 'undefined cartesian coordinate reference system')",
        "INSERT INTO gpkg_spatial_ref_sys VALUES ('Undefined geographic SRS', 0, 'NONE', 0, "
        "'undefined', 'undefined geographic coordinate reference system')",
        f"INSERT INTO gpkg_spatial_ref_sys VALUES ('WGS 84 geodetic', 4326, 'EPSG', 4326, "
        f"'{_WGS84}', 'longitude/latitude coordinates in decimal degrees on the WGS 84 "
        "spheroid')",
        """CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
  min_x DOUBLE,
  min_y DOUBLE,
  max_x DOUBLE,
  max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
)""",
        """CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents (table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
)""",
    ]


def register_layer_sql(view: str, geometry_type: str, description: str) -> list[str]:
    """Register a current-state view as a features layer (geometry column ``geom``, EPSG:4326,
    2D as the PostGIS columns are). A migration that adds a record kind calls this for its view,
    unless the kind holds personal data (never a layer)."""
    text = description.replace("'", "''")
    return [
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
        f"VALUES ('{view}', 'features', '{view}', '{text}', {SRS_ID})",
        "INSERT INTO gpkg_geometry_columns VALUES "
        f"('{view}', 'geom', '{geometry_type}', {SRS_ID}, 0, 0)",
    ]


def convert_table_sql(table: str) -> str:
    """Rewrite a versions table's plain WKB as GeoPackage blobs (no envelope), in SQL.

    The empty flag is set where the WKB says empty: a count of 0 after the type (every type but a
    point), or a point of NaN coordinates. Only little-endian WKB (what shapely writes) is read.
    """
    counted = ", ".join(f"X'0{t}000000'" for t in range(2, 8))
    empty = (
        f"(substr(geom, 2, 4) IN ({counted}) AND substr(geom, 6, 4) = X'00000000') "
        "OR (substr(geom, 2, 4) = X'01000000' AND substr(geom, 6, 8) = X'000000000000F87F')"
    )
    plain, blank = _PLAIN.hex().upper(), _EMPTY.hex().upper()
    return (
        f"UPDATE {table}_versions SET geom = CAST(CASE WHEN {empty} THEN X'{blank}' "
        f"ELSE X'{plain}' END || geom AS BLOB) "
        "WHERE geom IS NOT NULL AND substr(geom, 1, 2) <> X'4750'"
    )
