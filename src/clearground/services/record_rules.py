"""The rules an import checks, applied again to one record already built (a submission at
approval): approval is a path into the database like any import, so every rule holds on it.

Each check calls the very function the kind's import calls on a cell (``check_geometries``,
``iso_date``, the hazard import's refusal of a status or released area, the EO quantity and
category parsers, the victim parser, the EORE field parsers); a record's values are handed to
them as the text a file would hold.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np

from clearground.domain.areas import geodesic_area
from clearground.domain.errors import CleargroundError
from clearground.domain.evidence import parse_eo_category, parse_victim
from clearground.domain.validation import UKRAINE, Region, check_geometries
from clearground.services.common import iso_date

__all__ = ["recheck"]

_TYPES = {
    "hazard": ((3, 6), "a polygon"),
    "activity": ((3, 6), "a polygon"),
    "eo": ((0,), "a point"),
    "accident": ((0,), "a point"),
}


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, date) else str(getattr(value, "value", value))


def _geometry(kind: str, record: Any, region: Region) -> list[str]:
    allowed, expected = _TYPES.get(kind, ((0, 3, 6), "a point or an area"))
    check = check_geometries(
        np.array([record.geometry], dtype=object),
        region=region,
        allowed_types=allowed,
        expected=expected,
    )
    return [f"geometry: {why}" for why in check.problems.values()]


def _hazard(h: Any, today: date) -> list[str]:
    from clearground.services.hazards import (
        _RELEASE_COLUMNS,
        _check_benchmarks,
        _classification,
        _no_release,
        _status,
    )

    out: list[str] = []
    checks = [(lambda: _status(_text(h.status)))]
    checks += [
        (lambda c=c: _no_release(c)(_text(getattr(h.released, c))))
        for c in sorted(_RELEASE_COLUMNS)
        if c in ("cancelled", "reduced", "cleared")
    ]
    checks.append(lambda: _classification(_text(h.classification)))
    if h.date_reported:
        checks.append(
            lambda: iso_date(_text(h.date_reported), field_name="date_reported", today=today)
        )
    for check in checks:
        try:
            check()
        except ValueError as exc:
            out.append(str(exc))
    if not h.released_geometry.is_empty or h.released_by:
        out.append("released land cannot be submitted: it comes only from land release activities")
    if abs(geodesic_area(h.geometry) - h.area_m2) > h.area_m2 * 1e-6 + 0.01:
        out.append(f"area_m2 {h.area_m2:.0f} is not the area of its polygon")
    if h.benchmark:
        problems: dict[int, str] = {}
        _check_benchmarks([h.benchmark], np.array([h.geometry], dtype=object), problems)
        out += list(problems.values())
    return out


def _eo(e: Any, today: date) -> list[str]:
    from clearground.services.evidence import _quantity

    checks = [
        lambda: parse_eo_category(_text(e.category)),
        lambda: iso_date(_text(e.date), field_name="date", today=today),
        lambda: _quantity(_text(e.quantity)),
    ]
    if e.disposal_date:
        checks.append(
            lambda: iso_date(_text(e.disposal_date), field_name="disposal_date", today=today)
        )
    out = _run(checks)
    if e.disposal_date and e.disposal_date < e.date:
        out.append(f"disposal_date {e.disposal_date} is before the date found {e.date}")
    return out


def _accident(a: Any, today: date) -> list[str]:
    checks = [lambda: iso_date(_text(a.date), field_name="date", today=today)]
    if a.eo_category is not None:
        checks.append(lambda: parse_eo_category(_text(a.eo_category)))
    for v in a.victims:
        checks.append(
            lambda v=v: parse_victim(
                _text(v.sex), _text(v.age_group), _text(v.victim_type), _text(v.outcome)
            )
        )
    return _run(checks)


def _eore(r: Any, today: date) -> list[str]:
    from clearground.services.operations import KINDS

    out = []
    for f in KINDS["eore"].fields:
        if not f.stored:
            continue
        raw = _text(getattr(r, f.name, ""))
        if not raw:
            if f.required:
                out.append(f"{f.name} is empty")
            continue
        try:
            if f.parse == "date":
                iso_date(raw, field_name=f.name, today=today if f.past_only else date.max)
            elif f.parse is not None:
                f.parse(raw)
        except (ValueError, CleargroundError) as exc:
            out.append(f"{f.name}: {getattr(exc, 'message', None) or exc}")
    return out


def _run(checks) -> list[str]:
    out = []
    for check in checks:
        try:
            check()
        except (ValueError, CleargroundError) as exc:
            out.append(getattr(exc, "message", None) or str(exc))
    return out


def _activity(a: Any, today: date) -> list[str]:
    from clearground.domain.landrelease import parse_activity_kind

    checks = [
        lambda: parse_activity_kind(_text(a.kind)),
        lambda: iso_date(_text(a.date), field_name="date", today=today),
    ]
    out = _run(checks)
    if not a.organisation.strip():
        out.append("organisation is empty")
    return out


_RULES = {
    "hazard": _hazard,
    "eo": _eo,
    "accident": _accident,
    "eore": _eore,
    "activity": _activity,
}


def recheck(
    kind: str, record: Any, *, region: Region = UKRAINE, today: date | None = None
) -> list[str]:
    """Every rule the import of ``kind`` checks that ``record`` breaks (empty: it may enter)."""
    today = today or date.today()
    out = _geometry(kind, record, region)
    if out:
        return out  # the other rules may need a geometry
    return out + _RULES[kind](record, today)
