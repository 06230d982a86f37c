"""What every page says about the database itself: whether it holds SYNTHETIC demo data."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

__all__ = ["holds_synthetic"]

_LABEL = "SYNTHETIC"


def holds_synthetic(store: Any) -> bool:
    """Whether ``store`` holds SYNTHETIC data: the demo and the test data label their admin
    areas, authors and files so (the admin areas are few, so this is cheap). The pages then
    show a banner on every screen."""
    for v in store.list("location"):
        if _LABEL in (v.author or "") or _LABEL in (getattr(v.record, "name", "") or ""):
            return True
    for entry in store.imports():
        name = PurePath(entry.source or "").name.lower()
        if _LABEL in (entry.author or "") or name.startswith("synthetic"):
            return True
    return False
