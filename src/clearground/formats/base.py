"""What every file format provides, and the table of features they exchange with services."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = ["FeatureTable", "Format"]


@dataclass
class FeatureTable:
    """Features read from (or to write to) a file: geometries in EPSG:4326 and columns.

    ``geometries`` holds shapely geometries (or None); ``columns`` maps each attribute name to an
    array with one value per feature; ``problems`` holds per-feature read problems by index.
    """

    source: str
    geometries: np.ndarray
    columns: dict[str, np.ndarray]
    layer: str | None = None
    crs: str | None = None
    problems: dict[int, str] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.geometries)

    def where(self, index: int) -> str:
        """``FILE:feature N`` for the feature at ``index`` (N counts from 1 in file order)."""
        return f"{self.source}:feature {index + 1}"


class Format:
    """A file format: reads files into a ``FeatureTable`` and writes one out."""

    name: str = ""
    extensions: tuple[str, ...] = ()

    def read(self, path: Path, *, layer: str | None = None) -> FeatureTable:
        raise NotImplementedError(f"{self.name} cannot be read")

    def write(self, path: Path, table: FeatureTable, *, layer: str) -> None:
        raise NotImplementedError(f"{self.name} cannot be written")
