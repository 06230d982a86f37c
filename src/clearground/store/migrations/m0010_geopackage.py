"""The SQLite file becomes a GeoPackage: QGIS and GDAL open its current-state views as layers.

Sets the GeoPackage application id and version, creates the required tables, rewrites every
stored geometry as a GeoPackage blob (header + WKB) and registers each current-state view as a
features layer in EPSG:4326. Victims' personal data is never a layer. Nothing to do on PostGIS,
whose views are found by QGIS and GDAL through its own ``geometry_columns``.
"""

from __future__ import annotations

from clearground.store.gpkg import convert_table_sql, geopackage_sql, register_layer_sql

NUMBER = 10
NAME = "geopackage"

# (table stem, current-state view, geometry type, description) of each kind as of this migration.
_LAYERS = (
    ("hazard_area", "hazard_areas_current", "MULTIPOLYGON", "hazard areas"),
    (
        "land_release_activity",
        "land_release_activities_current",
        "MULTIPOLYGON",
        "land release activities (non-technical survey, technical survey, clearance)",
    ),
    ("eo_item", "eo_items_current", "POINT", "explosive ordnance spot reports"),
    ("accident", "accidents_current", "POINT", "accidents (no personal data)"),
    ("minefield_record", "minefield_records_current", "MULTIPOLYGON", "minefield records"),
    ("qc_sample", "qc_samples_current", "MULTIPOLYGON", "quality control samples"),
    ("submission", "submissions_current", "GEOMETRY", "field submissions for review"),
    ("admin_area", "admin_areas_current", "MULTIPOLYGON", "administrative areas"),
    ("organisation", "organisations_current", "POINT", "organisations"),
    ("task", "tasks_current", "MULTIPOLYGON", "tasks"),
    ("eore_session", "eore_sessions_current", "GEOMETRY", "risk education sessions"),
    ("qa_visit", "qa_visits_current", "POINT", "quality assurance visits"),
    ("coverage_area", "coverage_current", "MULTIPOLYGON", "what this database covers"),
)
# Stored, converted, never registered: victims' personal data.
_UNREGISTERED = ("victim_personal",)


def sqlite() -> list[str]:
    out = geopackage_sql()
    for table in [t for t, *_ in _LAYERS] + list(_UNREGISTERED):
        out.append(convert_table_sql(table))
    for _, view, geometry_type, description in _LAYERS:
        out += register_layer_sql(view, geometry_type, f"{description}, current state")
    # One attributes table registered: GDAL then lists only registered tables, not the versions
    # tables (whose payloads hold victims' personal data) nor the index tables.
    out.append(
        "INSERT INTO gpkg_contents (table_name, data_type, identifier, description) VALUES "
        "('hazard_events', 'attributes', 'hazard_events', "
        "'what happened to each hazard, with its evidence')"
    )
    return out


def postgis() -> list[str]:
    return []
