"""Imports over HTTP: the same import services as ``clearground import KIND FILE``, through the
same import ledger, on a file written to a temporary directory (its name's ending picks the
format). Messages name the file as the client named it, never the temporary path."""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clearground.domain.errors import BadInput, CleargroundError, ImportRejected, NotFound

__all__ = ["IMPORTS", "ImportKind", "run_import"]

_FILE = frozenset({"layer", "map", "dry_run", "format"})


@dataclass(frozen=True)
class ImportKind:
    """One import: its service (``module:function``), the kind passed first to generic
    services, and the options it takes."""

    service: str
    options: frozenset[str] = _FILE
    kind: str | None = None


def _ops(kind: str) -> ImportKind:
    return ImportKind("clearground.services.operations:import_records", kind=kind)


#: ``POST /api/v1/imports/{name}``: the names of ``clearground import``.
IMPORTS: dict[str, ImportKind] = {
    "hazards": ImportKind(
        "clearground.services.hazards:import_hazards",
        _FILE | {"repair", "crs", "as_submission"},
    ),
    "activities": ImportKind(
        "clearground.services.activities:import_activities", _FILE | {"repair", "as_submission"}
    ),
    "eo": ImportKind("clearground.services.evidence:import_eo", _FILE | {"as_submission"}),
    "accidents": ImportKind("clearground.services.accidents:import_accidents"),
    "odk": ImportKind(
        "clearground.services.odk:import_odk", frozenset({"form", "dry_run", "repair"})
    ),
    "minefields": ImportKind(
        "clearground.services.minefields:import_minefields", _FILE | {"repair"}
    ),
    "qc": ImportKind("clearground.services.quality:import_qc"),
    "locations": ImportKind("clearground.services.locations:import_locations", _FILE | {"repair"}),
    "coverage": ImportKind("clearground.services.coverage:import_coverage", _FILE | {"repair"}),
    "organisations": _ops("organisation"),
    "tasks": _ops("task"),
    "eore": _ops("eore"),
    "qa": _ops("qa"),
}

#: Query parameter -> the service's keyword.
_KEYWORDS = {"map": "mapping", "format": "format_name"}


def import_kind(name: str) -> ImportKind:
    try:
        return IMPORTS[name]
    except KeyError:
        raise NotFound(f"no import {name!r}; imports: {', '.join(IMPORTS)}") from None


def options_for(name: str, given: dict[str, Any]) -> dict[str, Any]:
    """The service's keywords from the options given (None or False: not given); an option
    this import does not take is refused, naming those it does."""
    from clearground.services.common import parse_map

    spec = import_kind(name)
    out: dict[str, Any] = {}
    for key, value in given.items():
        if value in (None, False, []):
            continue
        if key not in spec.options:
            takes = ", ".join(sorted(spec.options))
            raise BadInput(f"import {name} takes no {key} option; it takes: {takes}")
        out[_KEYWORDS.get(key, key)] = parse_map(value) if key == "map" else value
    if "form" in spec.options and "form" not in out:
        raise BadInput(f"import {name} needs form (nts, eo_spot_report, accident_report, ...)")
    return out


def _renamed(exc: CleargroundError, path: Path, shown: str) -> CleargroundError:
    """``exc`` with the temporary path replaced by the client's name, and the CLI's advice by
    this API's (``?again=true`` for ``--again``)."""

    def fix(text: str) -> str:
        return (
            text.replace(str(path), shown)
            .replace(str(path.parent), "")
            .replace("use --again to import it again", "add ?again=true to import it again")
        )

    exc.message = fix(exc.message)
    exc.args = (exc.message,)
    if isinstance(exc, ImportRejected):
        exc.problems = [fix(p) for p in exc.problems]
    return exc


def run_import(
    store: Any,
    name: str,
    path: Path,
    shown: str,
    *,
    author: str,
    region: Any,
    again: bool,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Import ``path`` as ``clearground import NAME`` would (the ledger refuses content imported
    before unless ``again``): its report as JSON, or the refusal naming ``shown``."""
    from clearground.services.ledger import import_once

    spec = import_kind(name)
    module, _, function = spec.service.partition(":")
    service = getattr(importlib.import_module(module), function)

    def run(s: Any):
        args = (s, spec.kind, path) if spec.kind else (s, path)
        return service(*args, author=author, region=region, **options)

    try:
        report = import_once(
            store,
            name,
            path,
            run,
            author=author,
            layer=options.get("layer"),
            again=again,
            source=shown,
        )
    except CleargroundError as exc:
        raise _renamed(exc, path, shown) from None
    body = report.as_dict()
    body["source"] = shown
    body["notes"] = [n.replace(str(path), shown) for n in body["notes"]]
    body["repaired"] = [n.replace(str(path), shown) for n in body["repaired"]]
    return body
