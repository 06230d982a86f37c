"""The pure domain core: mine action records and the rules of land release.

No I/O and no framework imports here (a test checks that importing this package loads no web,
database-driver or GDAL module).
"""

from clearground.domain.areas import geodesic_area, geodesic_areas
from clearground.domain.errors import (
    BadInput,
    CleargroundError,
    Conflict,
    ImportRejected,
    NotFound,
    ReleaseRefused,
    StoreError,
)
from clearground.domain.landrelease import (
    HazardEvent,
    apply_activity,
    edit_hazard,
    parse_activity_kind,
    require_release_evidence,
)
from clearground.domain.records import (
    ActivityKind,
    Classification,
    HazardArea,
    HazardStatus,
    LandReleaseActivity,
    Released,
)

__all__ = [
    "ActivityKind",
    "BadInput",
    "Classification",
    "CleargroundError",
    "Conflict",
    "HazardArea",
    "HazardEvent",
    "HazardStatus",
    "ImportRejected",
    "LandReleaseActivity",
    "NotFound",
    "ReleaseRefused",
    "Released",
    "StoreError",
    "apply_activity",
    "edit_hazard",
    "geodesic_area",
    "geodesic_areas",
    "parse_activity_kind",
    "require_release_evidence",
]
