"""Erase the personal data of field reports rejected before rejection erased it.

Until now a rejected accident report's victims' personal data got a tombstone, but its earlier
version kept the names and contacts. A rejection now erases them (``review.reject``); this does
the same for the reports rejected before: each such record keeps its versions, times, authors
and reasons, and that it belonged to that report's victim, but no name, contact or notes.
"""

from __future__ import annotations

NUMBER = 11
NAME = "erase_rejected_personal_data"

_REJECTED = "reason LIKE 'withdrawn: submission % rejected'"


def sqlite() -> list[str]:
    return [
        "UPDATE victim_personal_versions SET payload = json_set(payload, '$.name', '', "
        "'$.contact', '', '$.notes', '') WHERE deleted = 0 AND payload IS NOT NULL AND id IN "
        "(SELECT id FROM victim_personal_versions WHERE is_current = 1 AND deleted = 1 AND "
        f"{_REJECTED})"
    ]


def postgis() -> list[str]:
    return [
        "UPDATE victim_personal_versions SET payload = payload || "
        """'{"name": "", "contact": "", "notes": ""}'::jsonb WHERE NOT deleted AND payload IS """
        "NOT NULL AND id IN (SELECT id FROM victim_personal_versions WHERE is_current AND "
        f"deleted AND {_REJECTED})"
    ]
