"""The check's messages as templates, for a page that answers checks without a server.

``clearground publish`` writes these into ``metadata.json`` (``messages``) so that the public
page's check says exactly what ``services.check`` says, without restating its wording. They are
read off the functions of ``services.check`` themselves, by calling them with values whose text
is a placeholder (``{buffer_m}``, ``{n}``...), so a change of wording there changes them here.

Placeholders and how the page formats them (Python's format specs, as in ``services.check``):
``{buffer_m}`` (``g``), ``{n}``, ``{crossed}`` (integers), ``{what}``, ``{place}`` (text),
``{found}`` (a ``found_*`` message), ``{gone_km}``, ``{total_km}`` (``,.2f``), ``{pieces}`` (the
``piece`` templates joined by ``piece_separator``, then ``more`` when there are over 3),
``{from_lon}``, ``{from_lat}``, ``{to_lon}``, ``{to_lat}`` (``.5f``), ``{more}`` (integer), and
``{text}`` (the ``partly`` message).
"""

from __future__ import annotations

import shapely

from clearground.services import check as c
from clearground.services.coverage import CoverageAnswer

__all__ = ["message_templates"]


class _Slot(float):
    """A number whose formatted text is ``{name}`` whatever the format spec."""

    def __new__(cls, value: float, name: str) -> _Slot:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def __format__(self, spec: str) -> str:
        return "{" + self.name + "}"


class _IntSlot(int):
    def __new__(cls, value: int, name: str) -> _IntSlot:
        obj = super().__new__(cls, value)
        obj.name = name
        return obj

    def __format__(self, spec: str) -> str:
        return "{" + self.name + "}"


class _Piece:
    """An uncovered piece whose coordinates print as placeholders and whose length is real."""

    def __init__(self, length_m: float) -> None:
        self.start = (_Slot(0, "from_lon"), _Slot(0, "from_lat"))
        self.end = (_Slot(0, "to_lon"), _Slot(0, "to_lat"))
        self.length_m = length_m


def _partly(n: int, pieces: int) -> str:
    """``services.check._message`` for a route partly outside, its numbers made placeholders."""
    line = shapely.LineString([(30.0, 50.0), (30.5, 50.0)])  # ~35.8 km: pieces take 1 km each
    total = c.geodesic_length(line)
    cov = CoverageAnswer(covered=False, what="{what}", uncovered=[_Piece(250.0)] * pieces)
    text = c._message(cov, line, _IntSlot(n, "n"), _IntSlot(0, "crossed"), _Slot(7, "buffer_m"))
    gone = 250.0 * pieces
    text = text.replace(f"{gone / 1000:,.2f} km of", "{gone_km} km of", 1)
    text = text.replace(f"of {total / 1000:,.2f} km", "of {total_km} km", 1)
    return text


def message_templates() -> dict[str, str]:
    """Every message ``services.check`` gives, keyed by when it is given (see the module text)."""
    buffer = _Slot(200.0, "buffer_m")
    found_1 = c._found_message(_IntSlot(1, "n"), _IntSlot(0, "crossed"), buffer)
    found_n = c._found_message(_IntSlot(2, "n"), _IntSlot(0, "crossed"), buffer)
    point = shapely.Point(30.0, 50.0)
    outside = CoverageAnswer(covered=False, what="{what}", uncovered=[_Piece(0.0)])
    found_outside = c._message(outside, point, 1, 0, 200.0)
    found_outside = found_outside.replace(c._found_message(1, 0, 200.0), "{found}", 1)
    found_outside = found_outside.replace("this place", "{place}")
    one = _partly(0, 1)
    four = _partly(0, 4)
    piece = "from ({from_lon}, {from_lat}) to ({to_lon}, {to_lat})"
    if piece not in one:
        raise RuntimeError("services.check words an uncovered piece differently: update this")
    head, _, tail = one.partition(piece)
    separator = four.partition(piece)[2].partition(piece)[0]
    more = four.split(piece)[-1].partition(tail)[0].replace("1 more", "{more} more")
    partly_none = _partly(0, 1).replace(piece, "{pieces}")
    partly = partly_none.partition(" On the covered part")[0]
    partly_found = _partly(1, 1).replace(piece, "{pieces}").replace(partly, "{text}", 1)
    partly_found = partly_found.replace(found_1, "{found}", 1)
    return {
        "no_hazard": c.no_hazard_message(buffer),
        "no_hazard_records": c.NO_HAZARDS_MESSAGE,
        "not_covered": c.not_covered_message("{what}", place="{place}"),
        "place_point": "this place",
        "place_route": "this route",
        "found_1": found_1,
        "found_n": found_n,
        "found_outside": found_outside,
        "partly": partly,
        "partly_none": partly_none.replace(partly, "{text}", 1),
        "partly_found": partly_found,
        "piece": piece,
        "piece_separator": separator,
        "more": more,
        "no_hazard_records_coverage": "no hazard records at all",
    }
