"""The TOML file of a prioritisation (``clearground prioritise --config prioritise.toml``).

Paths are relative to the TOML file. Every mistake is refused before anything is read or stored,
with a message naming the file and the key: an unknown section or key, a weight that is not a
number (or is negative), an unknown factor, a class code that is not a known class, a missing
input file.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from clearground.domain.errors import BadInput
from clearground.domain.priority import FACTORS

__all__ = ["WORLDCOVER", "PrioritiseConfig", "load_config"]

#: ESA WorldCover class codes (10 m land cover), the default known classes.
WORLDCOVER = {
    10: "tree cover",
    20: "shrubland",
    30: "grassland",
    40: "cropland",
    50: "built-up",
    60: "bare / sparse vegetation",
    70: "snow and ice",
    80: "permanent water bodies",
    90: "herbaceous wetland",
    95: "mangroves",
    100: "moss and lichen",
}

_KEYS = {
    "inputs": {"population", "landcover", "points", "lines"},
    "landcover": {"cropland", "built_up", "classes"},
    "weights": set(FACTORS),
    "run": {"date", "max_cells_in_memory", "workers"},
}
#: The input each factor is computed from (a weight on a factor needs its input).
_NEEDS = {
    "population_inside": "population",
    "population_1km": "population",
    "population_5km": "population",
    "cropland_m2": "landcover",
    "built_up_m2": "landcover",
    "points_inside": "points",
    "points_1km": "points",
    "roads_inside_m": "lines",
    "road_nearest_m": "lines",
}


@dataclass(frozen=True)
class VectorInput:
    """One vector file (and its layer, if the file has several)."""

    path: Path
    given: str
    layer: str | None = None


@dataclass
class PrioritiseConfig:
    """A read and checked prioritisation configuration."""

    path: Path
    population: Path | None = None
    landcover: Path | None = None
    points: list[VectorInput] = field(default_factory=list)
    lines: list[VectorInput] = field(default_factory=list)
    cropland: tuple[int, ...] = (40,)
    built_up: tuple[int, ...] = (50,)
    classes: tuple[int, ...] = tuple(WORLDCOVER)
    weights: dict[str, float] = field(default_factory=dict)
    run_date: date | None = None
    max_cells_in_memory: int = 30_000_000
    workers: int = field(default_factory=lambda: max(1, min(2, os.cpu_count() or 1)))
    raw: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The configuration as stored with the run (paths as written in the file)."""
        return {
            "file": self.path.name,
            "inputs": self.raw.get("inputs", {}),
            "landcover": {
                "cropland": list(self.cropland),
                "built_up": list(self.built_up),
                "classes": list(self.classes),
            },
            "weights": {k: self.weights.get(k, 0.0) for k in FACTORS},
            "run": {
                "date": self.run_date.isoformat() if self.run_date else None,
                "max_cells_in_memory": self.max_cells_in_memory,
                "workers": self.workers,
            },
        }


def _codes(where: str, value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise BadInput(f"{where}: must be a list of whole-number class codes, e.g. [40]")
    return tuple(value)


def _file(base: Path, where: str, value: Any, what: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"{where}: must be a file name (text)")
    path = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
    if not path.is_file():
        raise BadInput(f"{path}: the {what} file named in {where} does not exist")
    return path


def _vectors(base: Path, where: str, value: Any) -> list[VectorInput]:
    if isinstance(value, str | dict):
        value = [value]
    if not isinstance(value, list):
        raise BadInput(f'{where}: must be a list of files, e.g. ["roads.gpkg"]')
    out = []
    for n, item in enumerate(value, start=1):
        here = f"{where} item {n}"
        layer = None
        if isinstance(item, dict):
            unknown = set(item) - {"file", "layer"}
            if unknown or "file" not in item:
                raise BadInput(f"{here}: a table needs file (and may have layer), nothing else")
            layer = item.get("layer")
            if layer is not None and not isinstance(layer, str):
                raise BadInput(f"{here}: layer must be text")
            item = item["file"]
        out.append(VectorInput(_file(base, here, item, "vector"), str(item), layer))
    return out


def load_config(path: str | Path) -> PrioritiseConfig:
    """Read and check the TOML file; ``BadInput`` (exit 2) naming the file and key otherwise."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(f"{path}: the prioritisation configuration does not exist")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise BadInput(f"{path}: not a valid TOML file: {exc}") from None
    base = path.resolve().parent
    for section, value in data.items():
        if section not in _KEYS:
            raise BadInput(f"{path}: unknown section [{section}]; known: {', '.join(_KEYS)}")
        if not isinstance(value, dict):
            raise BadInput(f"{path}: {section} must be a [{section}] table")
        unknown = sorted(set(value) - _KEYS[section])
        if unknown:
            raise BadInput(
                f"{path}: [{section}] {unknown[0]}: unknown key; known: "
                + ", ".join(
                    k for k in (FACTORS if section == "weights" else sorted(_KEYS[section]))
                )
            )
    cfg = PrioritiseConfig(path=path, raw=data)
    inputs = data.get("inputs", {})
    if "population" in inputs:
        cfg.population = _file(base, f"{path}: [inputs] population", inputs["population"], "raster")
    if "landcover" in inputs:
        cfg.landcover = _file(base, f"{path}: [inputs] landcover", inputs["landcover"], "raster")
    cfg.points = _vectors(base, f"{path}: [inputs] points", inputs.get("points", []))
    cfg.lines = _vectors(base, f"{path}: [inputs] lines", inputs.get("lines", []))
    lc = data.get("landcover", {})
    if "classes" in lc:
        cfg.classes = _codes(f"{path}: [landcover] classes", lc["classes"])
    for key in ("cropland", "built_up"):
        if key in lc:
            setattr(cfg, key, _codes(f"{path}: [landcover] {key}", lc[key]))
        unknown_codes = [c for c in getattr(cfg, key) if c not in cfg.classes]
        if unknown_codes:
            raise BadInput(
                f"{path}: [landcover] {key}: unknown class code {unknown_codes[0]}; known "
                f"classes: {', '.join(map(str, cfg.classes))} (set [landcover] classes for "
                "another legend)"
            )
    for name, w in data.get("weights", {}).items():
        if isinstance(w, bool) or not isinstance(w, int | float) or not math.isfinite(w):
            raise BadInput(f"{path}: [weights] {name} = {w!r}: a weight must be a number")
        if w < 0:
            raise BadInput(f"{path}: [weights] {name} = {w!r}: a weight must not be negative")
        needs = _NEEDS.get(name)
        if w > 0 and needs and not (inputs.get(needs)):
            raise BadInput(f"{path}: [weights] {name} needs [inputs] {needs}")
        cfg.weights[name] = float(w)
    if not any(w > 0 for w in cfg.weights.values()):
        raise BadInput(f"{path}: [weights] gives no factor a weight above 0: nothing to rank by")
    run = data.get("run", {})
    if "date" in run:
        d = run["date"]
        if isinstance(d, str):
            try:
                d = date.fromisoformat(d)
            except ValueError:
                d = None
        if not isinstance(d, date):
            raise BadInput(f"{path}: [run] date must be a date, e.g. 2026-05-01")
        cfg.run_date = d
    if "max_cells_in_memory" in run:
        m = run["max_cells_in_memory"]
        if isinstance(m, bool) or not isinstance(m, int) or m < 1:
            raise BadInput(f"{path}: [run] max_cells_in_memory must be a whole number above 0")
        cfg.max_cells_in_memory = m
    if "workers" in run:
        w = run["workers"]
        if isinstance(w, bool) or not isinstance(w, int) or not 1 <= w <= 64:
            raise BadInput(f"{path}: [run] workers must be a whole number from 1 to 64")
        cfg.workers = w
    return cfg
