"""The pure domain core: mine action records and the rules of land release.

No I/O and no framework imports here (a test checks that importing this package loads no web,
database-driver or GDAL module). Names are loaded on first use, so that importing
``clearground.domain.errors`` (as the CLI does at start) does not pull in numpy and shapely.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "geodesic_area": "areas",
    "geodesic_areas": "areas",
    "BadInput": "errors",
    "CleargroundError": "errors",
    "Conflict": "errors",
    "DatabaseUnavailable": "errors",
    "ImportRejected": "errors",
    "NotFound": "errors",
    "ReleaseRefused": "errors",
    "StoreError": "errors",
    "HazardEvent": "landrelease",
    "apply_activity": "landrelease",
    "edit_hazard": "landrelease",
    "parse_activity_kind": "landrelease",
    "require_release_evidence": "landrelease",
    "ActivityKind": "records",
    "Classification": "records",
    "HazardArea": "records",
    "HazardStatus": "records",
    "LandReleaseActivity": "records",
    "Released": "records",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
