"""``export --kind priority --run RUN FILE``: one run's ranked hazards as a map layer, one row per
hazard in rank order with its factors and contributions, its geometry as it was at the run."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from clearground.domain.errors import BadInput
from clearground.domain.priority import FACTORS
from clearground.formats import FeatureTable, format_for_path
from clearground.formats.writing import write_table
from clearground.services.export import table_column
from clearground.services.prioritise import find_run
from clearground.store.base import Store

__all__ = ["export_priority"]


def export_priority(
    store: Store,
    run: str | None,
    path: str | Path,
    *,
    kind: str = "priority",
    as_of: str | None = None,
    format_name: str | None = None,
    hxl: bool = True,
) -> tuple[str, int]:
    """Write the run's ranked hazards to ``path``; return the run id and the row count."""
    if kind != "priority":
        raise BadInput(f"--run is for --kind priority, not --kind {kind}")
    if run is None:
        raise BadInput("--kind priority needs --run RUN (a run id, or latest)")
    if as_of is not None:
        raise BadInput("--as-of does not apply to --kind priority: a run is read as it was stored")
    path = Path(path)
    fmt = format_for_path(path, format_name, hxl=hxl)
    v = find_run(store, run)
    r = v.record
    at_run = {h.id: h for h in (x.record for x in store.list("hazard", as_of=r.time))}
    rows = r.hazards
    geoms = np.array(
        [getattr(at_run.get(h["hazard_id"]), "geometry", None) for h in rows], dtype=object
    )
    columns = {
        "run_id": table_column([r.id] * len(rows)),
        "rank": table_column([h["rank"] for h in rows]),
        "hazard_id": table_column([h["hazard_id"] for h in rows]),
        "score": table_column([float(h["score"]) for h in rows]),
    }
    for f in FACTORS:
        columns[f] = table_column([h["factors"][f] for h in rows])
    for f in FACTORS:
        columns[f"c_{f}"] = table_column([float(h["contributions"][f]) for h in rows])
    write_table(fmt, path, FeatureTable(str(path), geoms, columns), layer="priority")
    return r.id, len(rows)
