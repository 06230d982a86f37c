"""DDL shared by migrations: one versioned record kind per call, for either engine."""

from __future__ import annotations

__all__ = ["versioned_table_sql"]


def versioned_table_sql(
    engine: str,
    table: str,
    view: str,
    geometry_type: str,
    columns: tuple[tuple[str, str, str], ...],
) -> list[str]:
    """DDL of one versioned record kind: its versions table, spatial index and current view.

    The view has a primary key (``fid``) and one geometry column, so QGIS shows it as a layer.
    """
    if engine == "sqlite":
        cols = ",\n  ".join(
            f"CAST(json_extract(payload, '{path}') AS {typ}) AS {name}"
            for name, path, typ in columns
        )
        return [
            f"""CREATE TABLE {table}_versions (
  fid INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  version INTEGER NOT NULL,
  valid_from TEXT NOT NULL,
  author TEXT NOT NULL,
  reason TEXT NOT NULL,
  deleted INTEGER NOT NULL DEFAULT 0,
  is_current INTEGER NOT NULL DEFAULT 1,
  payload TEXT,
  geom BLOB,
  minx REAL,
  miny REAL,
  maxx REAL,
  maxy REAL
)""",
            f"CREATE UNIQUE INDEX {table}_versions_id ON {table}_versions (id, version)",
            # the bounding-box index: see clearground.store.grid
            f"CREATE TABLE {table}_cells (cell INTEGER NOT NULL, fid INTEGER NOT NULL, "
            "PRIMARY KEY (cell, fid)) WITHOUT ROWID",
            f"""CREATE VIEW {view} AS SELECT fid, id, version, valid_from, author, reason,
  {cols},
  geom
FROM {table}_versions WHERE is_current = 1 AND deleted = 0""",
        ]
    if engine == "postgis":
        pg_types = {"TEXT": "text", "REAL": "double precision", "INTEGER": "bigint"}
        cols = ",\n  ".join(
            f"(payload #>> '{{{path[2:].replace('.', ',')}}}')::{pg_types[typ]} AS {name}"
            for name, path, typ in columns
        )
        gtype = {"MULTIPOLYGON": "MultiPolygon", "POINT": "Point", "GEOMETRY": "Geometry"}[
            geometry_type
        ]
        return [
            f"""CREATE TABLE {table}_versions (
  fid bigserial PRIMARY KEY,
  id text NOT NULL,
  version integer NOT NULL,
  valid_from text NOT NULL,
  author text NOT NULL,
  reason text NOT NULL,
  deleted boolean NOT NULL DEFAULT false,
  is_current boolean NOT NULL DEFAULT true,
  payload jsonb,
  geom geometry({gtype}, 4326),
  UNIQUE (id, version)
)""",
            f"CREATE INDEX {table}_versions_geom ON {table}_versions USING gist (geom)",
            f"CREATE INDEX {table}_versions_current ON {table}_versions (id) WHERE is_current",
            f"""CREATE VIEW {view} AS SELECT fid, id, version, valid_from, author, reason,
  {cols},
  geom
FROM {table}_versions WHERE is_current AND NOT deleted""",
        ]
    raise ValueError(f"unknown engine {engine!r}")
