"""The collections the OGC API - Features part serves: which record kind each is, the date its
``datetime`` parameter reads, and the JSON Schema of its features' properties (its queryables).

A feature's properties are the record's projection (``services.projections``) for the reader:
the same JSON keys as the CLI; its geometry becomes the GeoJSON geometry.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clearground.services import projections
from clearground.services.projections import Reader
from clearground.store.base import Version

__all__ = ["COLLECTIONS", "CRS84", "Collection", "collection_of"]

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"

# Property types, short: s string, n number, i integer, b boolean, d date, t date-time,
# o object, a array. Every property may also be null.
_TYPES = {
    "s": {"type": "string"},
    "n": {"type": "number"},
    "i": {"type": "integer"},
    "b": {"type": "boolean"},
    "d": {"type": "string", "format": "date"},
    "t": {"type": "string", "format": "date-time"},
    "o": {"type": "object"},
    "a": {"type": "array"},
}


def _props(spec: str) -> dict[str, str]:
    """``"id:s name:s"`` -> {"id": "s", "name": "s"}."""
    return dict(item.split(":") for item in spec.split())


@dataclass(frozen=True)
class Collection:
    """One collection of features: a record kind seen through its projection."""

    id: str
    kind: str
    title: str
    description: str
    #: the record's attribute that ``datetime`` reads (None: the collection has no date)
    date_field: str | None
    #: the property that shows it
    date_property: str | None
    geometry_format: str
    properties: dict[str, str]
    #: projected as for the public whoever asks (accidents: never victims' personal data)
    public_only: bool = False

    def project(self, v: Version, reader: Reader) -> dict[str, Any]:
        """The feature's properties: the projection of ``v`` for ``reader``."""
        show: Callable[[Version, Reader], dict[str, Any]]
        show = (
            projections.location_json if self.kind == "location" else projections.json_of(self.kind)
        )
        return show(v, projections.PUBLIC if self.public_only else reader)

    def date_of(self, record: Any) -> Any:
        return getattr(record, self.date_field) if self.date_field else None

    def queryables_schema(self) -> dict[str, dict[str, Any]]:
        """Each property's JSON Schema, and the geometry's."""
        out: dict[str, dict[str, Any]] = {
            "geometry": {
                "x-ogc-role": "primary-geometry",
                "format": self.geometry_format,
                "title": "geometry (CRS84 lon/lat)",
            }
        }
        for name, code in self.properties.items():
            out[name] = {"title": name, **_TYPES[code]}
        return out


_VERSIONED = "version:i valid_from:t author:s"

COLLECTIONS: dict[str, Collection] = {
    c.id: c
    for c in (
        Collection(
            id="hazard_areas",
            kind="hazard",
            title="Hazard areas",
            description=(
                "Recorded hazard areas (SHA/CHA) with what land release has recorded of them. "
                "Land outside them is not known to be free of explosive ordnance: unrecorded "
                "hazards may exist. datetime reads date_reported."
            ),
            date_field="date_reported",
            date_property="date_reported",
            geometry_format="geometry-multipolygon",
            properties=_props(
                "id:s name:s classification:s status:s area_m2:n released_m2:o remaining_m2:n "
                "eo_types:a date_reported:d source:s admin_pcode:s land_use:s notes:s "
                f"attributes:o reason:s {_VERSIONED}"
            ),
        ),
        Collection(
            id="land_release_activities",
            kind="activity",
            title="Land release activities",
            description=(
                "Non-technical survey (cancels), technical survey (reduces) and clearance "
                "(clears), the only activities that release land. datetime reads date."
            ),
            date_field="date",
            date_property="date",
            geometry_format="geometry-multipolygon",
            properties=_props(
                "id:s hazard_id:s kind:s outcome:s date:d organisation:s released_m2:n task_id:s "
                "methods:a clearance_depth_cm:n devices_found:a items_found:i beneficiaries:i "
                "admin_pcode:s notes:s attributes:o lon:n lat:n version:i"
            ),
        ),
        Collection(
            id="eo_items",
            kind="eo",
            title="EO items",
            description="Explosive ordnance items found or reported. datetime reads date.",
            date_field="date",
            date_property="date",
            geometry_format="geometry-point",
            properties=_props(
                "id:s category:s eo_type:s quantity:i condition:s date:d lon:n lat:n "
                "found_during:s reported_by:s disposal_date:d disposal_method:s hazard_id:s "
                f"evidence_status:s admin_pcode:s flag:s notes:s attributes:o {_VERSIONED}"
            ),
        ),
        Collection(
            id="accidents",
            kind="accident",
            title="Accidents",
            description=(
                "Accidents with explosive ordnance: victims counted and described (sex, age "
                "group, type, outcome), never named; no personal data. datetime reads date."
            ),
            date_field="date",
            date_property="date",
            geometry_format="geometry-point",
            properties=_props(
                "id:s date:d lon:n lat:n eo_category:s eo_type:s activity:s victims:a killed:i "
                "injured:i hazard_id:s evidence_status:s admin_pcode:s flag:s notes:s "
                f"attributes:o {_VERSIONED}"
            ),
            public_only=True,
        ),
        Collection(
            id="eore_sessions",
            kind="eore",
            title="EORE sessions",
            description=(
                "Explosive ordnance risk education sessions and their audience by sex and age. "
                "datetime reads date."
            ),
            date_field="date",
            date_property="date",
            geometry_format="geometry-any",
            properties=_props(
                "id:s date:d organisation_id:s girls:i boys:i women:i men:i total:i method:s "
                "admin_pcode:s notes:s attributes:o lon:n lat:n version:i"
            ),
        ),
        Collection(
            id="admin_areas",
            kind="location",
            title="Administrative areas",
            description=(
                "Administrative areas (COD-AB) by P-code. They have no date: a datetime "
                "parameter matches none of them."
            ),
            date_field=None,
            date_property=None,
            geometry_format="geometry-multipolygon",
            properties=_props("pcode:s name:s level:i parent:s"),
        ),
    )
}


def collection_of(collection_id: str) -> Collection:
    """The collection named ``collection_id``, or NotFound naming the known ones."""
    from clearground.domain.errors import NotFound

    try:
        return COLLECTIONS[collection_id]
    except KeyError:
        raise NotFound(
            f"no collection {collection_id!r}; collections: {', '.join(COLLECTIONS)}"
        ) from None
