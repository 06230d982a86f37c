"""Query parameters of the OGC API - Features part, parsed from text: a bad one is a 400 that
names the parameter and what was wrong (never FastAPI's 422, which OGC clients do not expect)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from clearground.domain.errors import BadInput

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Interval",
    "one",
    "parse_bbox",
    "parse_datetime",
    "parse_limit",
    "parse_offset",
    "refuse_unknown",
]

DEFAULT_LIMIT = 10
MAX_LIMIT = 10_000
CRS84_NAMES = frozenset(
    {
        "http://www.opengis.net/def/crs/OGC/1.3/CRS84",
        "[OGC:CRS84]",
        "OGC:CRS84",
    }
)


def refuse_unknown(query: Mapping[str, Sequence[str]], known: Iterable[str]) -> None:
    """OGC API - Features Core: a query parameter the API does not define is a 400; so is one
    given twice."""
    allowed = set(known)
    unknown = sorted(k for k in query if k not in allowed)
    if unknown:
        raise BadInput(
            f"unknown query parameter {', '.join(unknown)}; this endpoint takes "
            f"{', '.join(sorted(allowed))}"
        )
    for k, values in query.items():
        if len(values) > 1:
            raise BadInput(f"query parameter {k} is given {len(values)} times; give it once")


def one(query: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def parse_limit(text: str | None) -> int:
    """1..10,000 (default 10); a larger number is served as 10,000, as the standard asks."""
    if text is None:
        return DEFAULT_LIMIT
    try:
        n = int(text.strip())
    except ValueError:
        raise BadInput(f"limit {text!r}: not a whole number (1 to {MAX_LIMIT})") from None
    if n < 1:
        raise BadInput(f"limit {text!r}: must be at least 1 (at most {MAX_LIMIT})")
    return min(n, MAX_LIMIT)


def parse_offset(text: str | None) -> int:
    if text is None:
        return 0
    try:
        n = int(text.strip())
    except ValueError:
        raise BadInput(f"offset {text!r}: not a whole number (0 or more)") from None
    if n < 0:
        raise BadInput(f"offset {text!r}: must be 0 or more")
    return n


def parse_bbox(
    text: str | None, crs: str | None = None
) -> tuple[float, float, float, float] | None:
    """``minlon,minlat,maxlon,maxlat`` (or six numbers with heights, which are ignored), CRS84.
    A box whose west edge is east of its east edge crosses the antimeridian."""
    if crs is not None and crs.strip() not in CRS84_NAMES:
        raise BadInput(f"bbox-crs {crs!r}: only CRS84 is served ({sorted(CRS84_NAMES)[1]})")
    if text is None:
        return None
    parts = text.split(",")
    if len(parts) not in (4, 6):
        raise BadInput(
            f"bbox {text!r}: give 4 numbers, minlon,minlat,maxlon,maxlat (or 6 with heights)"
        )
    try:
        nums = [float(p) for p in parts]
    except ValueError:
        raise BadInput(f"bbox {text!r}: not numbers (minlon,minlat,maxlon,maxlat)") from None
    if not all(math.isfinite(x) for x in nums):
        raise BadInput(f"bbox {text!r}: numbers must be finite")
    if len(nums) == 6:
        nums = [nums[0], nums[1], nums[3], nums[4]]
    minx, miny, maxx, maxy = nums
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180):
        raise BadInput(f"bbox {text!r}: longitudes must be within -180..180")
    if not (-90 <= miny <= 90 and -90 <= maxy <= 90):
        raise BadInput(f"bbox {text!r}: latitudes must be within -90..90")
    if miny > maxy:
        raise BadInput(f"bbox {text!r}: the south edge {miny} is north of the north edge {maxy}")
    return minx, miny, maxx, maxy


@dataclass(frozen=True)
class Interval:
    """A closed time interval in UTC; None is an open end."""

    start: datetime | None
    end: datetime | None

    def meets_day(self, day: date | None) -> bool:
        """Whether the calendar day ``day`` (UTC) overlaps this interval; no day never does."""
        if day is None:
            return False
        first = datetime.combine(day, time.min, tzinfo=UTC)
        last = first + timedelta(days=1)
        return (self.end is None or first <= self.end) and (self.start is None or self.start < last)


def _instant(text: str, *, end: bool, whole: str) -> datetime:
    raw = text.strip()
    hint = "RFC 3339, e.g. 2025-05-01T12:00:00Z, or a date 2025-05-01"
    if len(raw) == 10:
        try:
            d = date.fromisoformat(raw)
        except ValueError:
            raise BadInput(f"datetime {whole!r}: {raw!r} is not a date ({hint})") from None
        t = datetime.combine(d, time.max if end else time.min, tzinfo=UTC)
        return t
    if "T" not in raw.upper():
        raise BadInput(f"datetime {whole!r}: {raw!r} is not a date-time ({hint})")
    try:
        t = datetime.fromisoformat(raw.replace("z", "Z"))
    except ValueError:
        raise BadInput(f"datetime {whole!r}: {raw!r} is not a date-time ({hint})") from None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def parse_datetime(text: str | None) -> Interval | None:
    """An instant (``2025-05-01T12:00:00Z``, a date is its whole day) or an interval
    ``start/end`` whose ends may be open (``..`` or empty)."""
    if text is None:
        return None
    whole = text
    if "/" not in text:
        return Interval(
            _instant(text, end=False, whole=whole), _instant(text, end=True, whole=whole)
        )
    a, _, b = text.partition("/")
    if "/" in b:
        raise BadInput(f"datetime {whole!r}: an interval is start/end, one '/'")
    a, b = a.strip(), b.strip()
    start = None if a in ("", "..") else _instant(a, end=False, whole=whole)
    end = None if b in ("", "..") else _instant(b, end=True, whole=whole)
    if start is None and end is None:
        raise BadInput(f"datetime {whole!r}: an interval needs a start or an end")
    if start is not None and end is not None and start > end:
        raise BadInput(f"datetime {whole!r}: the start is after the end")
    return Interval(start, end)
