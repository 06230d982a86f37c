"""The prologue every file import shares: read the layer, map its columns, check geometries.

Each importer used to repeat these steps and their order; here they are one piece, so every
import reads, maps, refuses a file-level problem and collects feature-level problems alike. The
importer then parses its own fields into :attr:`Prologue.problems`, adds the problems the
database finds, and refuses once with all of them (:meth:`Prologue.refuse`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from clearground.domain.validation import UKRAINE, GeometryCheck, Region, check_geometries
from clearground.formats.base import FeatureTable
from clearground.services.common import (
    column_getter,
    ignore_exported,
    read_features,
    refuse,
    refuse_unless_rows,
    require_columns,
)

__all__ = ["Prologue", "read_for_import"]

#: What geometry an import takes: polygons (hazards, activities, ...), points (EO, accidents),
#: or none checked here (the importer checks them itself, e.g. an optional geometry).
Geometry = Literal["polygon", "point"] | None


@dataclass
class Prologue:
    """A file read for an import: its table, the column getter, the checked geometries and the
    problems found so far (by feature index), to which the importer adds its own."""

    path: Path
    table: FeatureTable
    get: Callable[[str], np.ndarray | None]
    used: set[str]
    check: GeometryCheck | None
    problems: dict[int, str]

    @property
    def n(self) -> int:
        return len(self.table)

    @property
    def geometries(self) -> np.ndarray:
        """The checked (and, with ``repair``, repaired) geometries, else the file's."""
        return self.check.geometries if self.check is not None else self.table.geometries

    @property
    def extra(self) -> list[str]:
        """The file's columns no field read: kept as attributes. Read after the last getter."""
        return [c for c in self.table.columns if c not in self.used]

    def repaired(self) -> list[str]:
        """The report's lines for the geometries that were repaired."""
        if self.check is None:
            return []
        return [f"{self.table.where(i)}: {why}" for i, why in sorted(self.check.repaired.items())]

    def refuse(self) -> None:
        """Refuse the import with every problem found, if there is any."""
        refuse(self.table, self.problems)

    def refuse_unless(self, rows: Any) -> None:
        """Refuse now only when no feature is left for the database checks."""
        refuse_unless_rows(self.table, self.problems, rows)


def read_for_import(
    path: str | Path,
    *,
    fields: Sequence[str],
    mapping: dict[str, str] | None = None,
    required: tuple[str, ...] = (),
    computed: tuple[str, ...] | None = None,
    geometry: Geometry = "polygon",
    region: Region = UKRAINE,
    repair: bool = False,
    layer: str | None = None,
    format_name: str | None = None,
    crs: str | None = None,
) -> Prologue:
    """Read ``path`` for an import of ``fields``, in the order every importer takes.

    A file-level problem (no features, unstorable text, a bad ``--map``, a missing required
    column) refuses at once, since no feature can be read without it. Feature-level problems
    (the table's and the geometry check's) are collected in :attr:`Prologue.problems`.
    ``computed`` names the columns of the kind's own export that the import computes afresh
    (None: the import marks none as read here); ``repair`` applies to polygons.
    """
    path = Path(path)
    table = read_features(path, layer=layer, format_name=format_name, crs=crs)
    getter, used = column_getter(table, mapping or {}, fields=fields)
    require_columns(table, getter, required)
    if computed is not None:
        ignore_exported(getter, computed)
    check = None
    if geometry == "point":
        check = check_geometries(
            table.geometries, region=region, allowed_types=(0,), expected="a point"
        )
    elif geometry == "polygon":
        check = check_geometries(table.geometries, region=region, repair=repair)
    problems = {**(check.problems if check else {}), **table.problems}
    return Prologue(path, table, getter, used, check, problems)
