"""Parsers for the values of a record's fields, shared by every import and by ``hazard edit``
so that a value is accepted (or refused, with the same words) on every path.

Each parser takes text and returns the value, or raises ``ValueError`` saying what is wrong.
"""

from __future__ import annotations

import math
from datetime import date, datetime

from clearground.domain.records import Classification

__all__ = [
    "MAX_COUNT",
    "MAX_DEPTH_CM",
    "check_count",
    "parse_benchmark",
    "parse_classification",
    "parse_eo_types",
    "parse_iso_date",
    "parse_number",
]

#: The largest count (devices, beneficiaries, people, items) a record may hold: far above any
#: real one, and within the 32-bit integers every export format (File Geodatabase too) holds.
MAX_COUNT = 1_000_000_000
#: The deepest clearance or find, in cm (100 m).
MAX_DEPTH_CM = 10_000.0


def parse_iso_date(raw: str, *, field_name: str, today: date) -> date:
    """The whole of ``raw`` as an ISO 8601 date (``2025-03-04``) or date and time (its date);
    refuses anything after it (``2025-01-01 garbage``), the future and anything before 1900.

    >>> parse_iso_date("2025-03-04T10:00:00+02:00", field_name="date", today=date(2026, 1, 1))
    datetime.date(2025, 3, 4)
    """
    raw = raw.strip()
    if not raw:
        raise ValueError(f"{field_name} is empty")
    try:
        parsed = date.fromisoformat(raw)
    except ValueError:
        try:
            parsed = datetime.fromisoformat(raw.replace("Z", "+00:00")).date()
        except ValueError:
            raise ValueError(f"{field_name} {raw!r} is not an ISO 8601 date (YYYY-MM-DD)") from None
    if parsed > today:
        raise ValueError(f"{field_name} {raw!r} is in the future")
    if parsed.year < 1900:
        raise ValueError(f"{field_name} {raw!r} is before 1900")
    return parsed


def parse_classification(value: str) -> Classification:
    """SHA or CHA (any case); empty is SHA, as a new report is suspected until confirmed."""
    cls = value.strip().upper() or "SHA"
    if cls not in Classification.__members__:
        raise ValueError(f"classification {value!r} is not SHA or CHA")
    return Classification(cls)


def parse_eo_types(value: str) -> tuple[str, ...]:
    """Comma-separated EO types, trimmed, empty parts dropped."""
    return tuple(t.strip() for t in value.split(",") if t.strip())


def parse_benchmark(lon: str, lat: str) -> tuple[float, float] | None:
    """A benchmark point from its two numbers (both or neither), within lon/lat range."""
    if not lon.strip() and not lat.strip():
        return None
    try:
        x, y = float(lon), float(lat)
    except ValueError:
        raise ValueError("benchmark_lon and benchmark_lat must both be numbers") from None
    if not (abs(x) <= 180 and abs(y) <= 90):
        raise ValueError(f"benchmark ({x:g}, {y:g}) is outside lon/lat range")
    return x, y


def check_count(n: int, name: str) -> int:
    """``n`` if it is a count clearground can hold (0 to :data:`MAX_COUNT`)."""
    if not 0 <= n <= MAX_COUNT:
        raise ValueError(f"{name} {n} is out of range (0 to {MAX_COUNT:,})")
    return n


def parse_number(
    value: str, name: str, *, whole: bool = False, maximum: float = MAX_COUNT
) -> float | int:
    """A number, 0 or more and at most ``maximum`` (a whole number with ``whole``)."""
    try:
        x = float(value)
    except (ValueError, OverflowError):
        raise ValueError(f"{name} {value!r} is not a number") from None
    if not math.isfinite(x) or x > maximum:
        raise ValueError(f"{name} {value!r} is out of range (at most {maximum:,g})")
    if x < 0 or (whole and x != int(x)):
        raise ValueError(f"{name} {value!r} must be {'a whole number, ' if whole else ''}0 or more")
    return int(x) if whole else x


#: A benchmark further than this from its hazard is likely a typo (lon and lat swapped, a digit).
BENCHMARK_MAX_M = 5000.0


def benchmark_problem(point: tuple[float, float], geometry) -> str | None:
    """Why ``point`` cannot be the benchmark of a hazard of ``geometry``, or None."""
    import shapely

    from clearground.domain.areas import to_local_metres

    if geometry is None:
        return None
    local = to_local_metres(
        shapely.GeometryCollection([shapely.Point(point), geometry]), point[1], point[0]
    )
    a, b = shapely.get_parts(local)
    if a.distance(b) > BENCHMARK_MAX_M:
        return (
            f"benchmark ({point[0]:g}, {point[1]:g}) is {a.distance(b) / 1000:.1f} km from the "
            f"hazard (more than {BENCHMARK_MAX_M / 1000:g} km): are lon and lat right?"
        )
    return None
