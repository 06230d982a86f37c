"""OGC API - Features Part 3 ``filter`` in CQL2 text: parsed by pygeofilter, compiled here by a
visitor over its syntax tree into a predicate on a feature's projected properties and its
shapely geometry.

Comparisons (=, <>, <, <=, >, >=), LIKE, IN, BETWEEN, IS NULL, AND/OR/NOT and the spatial
functions (S_INTERSECTS and the other seven) with WKT or BBOX literals in CRS84. Logic is
three-valued as in SQL: a comparison with a null property is unknown, and a feature is kept only
when the filter is true. A filter that names a property the collection does not have, compares
values of different types or uses what is not supported is a 400 naming the problem.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import shapely
from pygeofilter import ast, values
from pygeofilter.backends.evaluator import Evaluator, handle

from clearground.domain.errors import BadInput

__all__ = ["Predicate", "compile_filter"]

#: (properties, geometry) -> True, False or None (unknown)
Predicate = Callable[[dict[str, Any], Any], bool | None]
Getter = Callable[[dict[str, Any], Any], Any]

_COMPARE = {
    ast.ComparisonOp.EQ: operator.eq,
    ast.ComparisonOp.NE: operator.ne,
    ast.ComparisonOp.LT: operator.lt,
    ast.ComparisonOp.LE: operator.le,
    ast.ComparisonOp.GT: operator.gt,
    ast.ComparisonOp.GE: operator.ge,
}
_SPATIAL = {
    ast.SpatialComparisonOp.INTERSECTS: shapely.intersects,
    ast.SpatialComparisonOp.DISJOINT: shapely.disjoint,
    ast.SpatialComparisonOp.CONTAINS: shapely.contains,
    ast.SpatialComparisonOp.WITHIN: shapely.within,
    ast.SpatialComparisonOp.TOUCHES: shapely.touches,
    ast.SpatialComparisonOp.CROSSES: shapely.crosses,
    ast.SpatialComparisonOp.OVERLAPS: shapely.overlaps,
    ast.SpatialComparisonOp.EQUALS: shapely.equals,
}
#: a queryable's JSON Schema -> the kind of value it compares as
_ORDERED = ("string", "number", "boolean", "date", "date-time")


def _kind_of_schema(schema: dict[str, Any]) -> str:
    if schema.get("x-ogc-role") == "primary-geometry":
        return "geometry"
    if schema.get("format") in ("date", "date-time"):
        return schema["format"]
    t = schema.get("type")
    return "number" if t == "integer" else str(t)


def _kind_of_value(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int | float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, datetime):
        return "date-time"
    if isinstance(v, date):
        return "date"
    return type(v).__name__


def _as_datetime(v: Any) -> datetime:
    if isinstance(v, datetime):
        return v if v.tzinfo else v.replace(tzinfo=UTC)
    return datetime.combine(v, time.min, tzinfo=UTC)


class _Operand:
    """A property or a literal, with the kind of value it compares as."""

    def __init__(self, get: Getter, kind: str, label: str, constant: bool = False):
        self.get, self.kind, self.label, self.constant = get, kind, label, constant


def _literal(value: Any, label: str | None = None) -> _Operand:
    return _Operand(lambda p, g: value, _kind_of_value(value), label or repr(value), True)


def _text_to(kind: str, value: str, where: str) -> Any:
    """A string literal compared with a date or date-time property."""
    try:
        return (
            date.fromisoformat(value)
            if kind == "date"
            else _as_datetime(datetime.fromisoformat(value))
        )
    except ValueError:
        raise BadInput(f"filter: {where}: {value!r} is not a {kind}") from None


class _Compiler(Evaluator):
    """Visits pygeofilter's tree bottom-up; each node becomes an operand or a predicate."""

    def __init__(self, queryables: dict[str, dict[str, Any]], where: str):
        self.queryables = queryables
        self.where = where

    def fail(self, problem: str) -> BadInput:
        return BadInput(f"filter: {problem} ({self.where})")

    def adopt(self, node, *sub_args):
        name = type(node).__name__
        raise self.fail(
            f"{name} is not supported here; use comparisons, LIKE, IN, BETWEEN, "
            "IS NULL, AND/OR/NOT and S_INTERSECTS"
        )

    # --- operands -------------------------------------------------------------------------
    @handle(ast.Attribute)
    def attribute(self, node):
        name = node.name
        schema = self.queryables.get(name)
        if schema is None:
            raise self.fail(f"unknown property {name!r}; see the collection's queryables")
        kind = _kind_of_schema(schema)
        if kind == "geometry":
            return _Operand(lambda p, g: g, kind, name)
        if kind in ("date", "date-time"):

            def get(p, g, name=name, kind=kind):
                v = p.get(name)
                if v is None or v == "":
                    return None
                return (
                    date.fromisoformat(v)
                    if kind == "date"
                    else _as_datetime(datetime.fromisoformat(v))
                )

            return _Operand(get, kind, name)
        return _Operand(lambda p, g, name=name: p.get(name), kind, name)

    @handle(str, float, int, bool, datetime, date)
    def literal(self, node):
        return _literal(node)

    @handle(values.Geometry)
    def geometry(self, node):
        try:
            geom = shapely.geometry.shape(node.geometry)
        except Exception as exc:  # noqa: BLE001 - any bad literal is the client's error
            raise self.fail(f"not a valid geometry: {exc}") from None
        if geom.is_empty or not shapely.is_valid(geom):
            raise self.fail(f"not a valid geometry: {shapely.is_valid_reason(geom)}")
        return _Operand(lambda p, g: geom, "geometry", geom.geom_type, True)

    @handle(values.Envelope)
    def envelope(self, node):
        return self._box([node.x1, node.y1, node.x2, node.y2])

    @handle(ast.Function)
    def function(self, node, *args):
        if node.name.lower() == "bbox":  # CQL2's BBOX(minx, miny, maxx, maxy) literal
            nums = [a.get(None, None) for a in args if a.constant and a.kind == "number"]
            if len(nums) != len(args) or len(nums) not in (4, 6):
                raise self.fail("BBOX needs 4 (or 6) numbers")
            if len(nums) == 6:
                nums = [nums[0], nums[1], nums[3], nums[4]]
            return self._box(nums)
        raise self.fail(f"function {node.name}() is not supported")

    def _box(self, nums: list[float]) -> _Operand:
        minx, miny, maxx, maxy = nums
        if minx > maxx or miny > maxy:
            raise self.fail(f"BBOX{tuple(nums)}: the minimum is above the maximum")
        box = shapely.box(minx, miny, maxx, maxy)
        return _Operand(lambda p, g: box, "geometry", "BBOX", True)

    # --- predicates -----------------------------------------------------------------------
    def _comparable(self, a: _Operand, b: _Operand, what: str) -> tuple[Getter, Getter]:
        """Getters of ``a`` and ``b`` that compare as one kind, or a 400 saying why not."""
        for x in (a, b):
            if x.kind not in _ORDERED:
                raise self.fail(f"{x.label} ({x.kind}) cannot be compared with {what}")
        if a.kind == b.kind:
            return a.get, b.get
        kinds = {a.kind, b.kind}
        if kinds == {"date", "date-time"}:
            wrap = lambda f: lambda p, g: None if (v := f(p, g)) is None else _as_datetime(v)  # noqa: E731
            return wrap(a.get), wrap(b.get)
        for x, y in ((a, b), (b, a)):
            if x.kind in ("date", "date-time") and y.kind == "string" and y.constant:
                v = _text_to(x.kind, y.get(None, None), f"{x.label} {what}")
                const = lambda p, g, v=v: v  # noqa: E731
                return (x.get, const) if x is a else (const, x.get)
        raise self.fail(f"{a.label} ({a.kind}) and {b.label} ({b.kind}) cannot be compared")

    @handle(ast.Comparison, subclasses=True)
    def comparison(self, node, lhs, rhs):
        op = _COMPARE[node.op]
        fa, fb = self._comparable(lhs, rhs, node.op.value)

        def pred(p, g):
            a, b = fa(p, g), fb(p, g)
            return None if a is None or b is None else op(a, b)

        return pred

    @handle(ast.Between)
    def between(self, node, lhs, low, high):
        fa, flo = self._comparable(lhs, low, "BETWEEN")
        _, fhi = self._comparable(lhs, high, "BETWEEN")
        negate = node.not_

        def pred(p, g):
            a, lo, hi = fa(p, g), flo(p, g), fhi(p, g)
            if a is None or lo is None or hi is None:
                return None
            return (lo <= a <= hi) != negate

        return pred

    @handle(ast.In)
    def in_(self, node, lhs, *options):
        pairs = [self._comparable(lhs, o, "IN") for o in options]
        negate = node.not_

        def pred(p, g):
            a = lhs.get(p, g) if not pairs else pairs[0][0](p, g)
            if a is None:
                return None
            found = any(fo(p, g) == a for _, fo in pairs)
            return found != negate

        return pred

    @handle(ast.Like)
    def like(self, node, lhs):
        import re

        from pygeofilter.util import like_pattern_to_re

        if lhs.kind != "string" or not isinstance(node.pattern, str):
            raise self.fail(f"LIKE needs a text property and a text pattern, not {lhs.label}")
        # CQL2's single-character wildcard is "_" (pygeofilter's text parser sets ".").
        rx: re.Pattern = like_pattern_to_re(node.pattern, node.nocase, "%", "_", "\\")
        negate, get = node.not_, lhs.get

        def pred(p, g):
            v = get(p, g)
            return None if v is None else (rx.fullmatch(str(v)) is not None) != negate

        return pred

    @handle(ast.IsNull)
    def is_null(self, node, lhs):
        negate, get = node.not_, lhs.get
        return lambda p, g: (get(p, g) is None) != negate

    @handle(ast.Include)
    def include(self, node):
        keep = not node.not_
        return lambda p, g: keep

    @handle(ast.SpatialComparisonPredicate, subclasses=True)
    def spatial(self, node, lhs, rhs):
        fn = _SPATIAL[node.op]
        for x in (lhs, rhs):
            if x.kind != "geometry":
                raise self.fail(f"{node.op.value} needs geometries, not {x.label}")
        fa, fb = lhs.get, rhs.get

        def pred(p, g):
            a, b = fa(p, g), fb(p, g)
            return None if a is None or b is None else bool(fn(a, b))

        return pred

    @handle(ast.Not)
    def not_(self, node, sub):
        sub = self._predicate(sub)
        return lambda p, g: None if (v := sub(p, g)) is None else not v

    @handle(ast.And)
    def and_(self, node, lhs, rhs):
        a, b = self._predicate(lhs), self._predicate(rhs)

        def pred(p, g):
            x = a(p, g)
            if x is False:
                return False
            y = b(p, g)
            return False if y is False else (None if x is None or y is None else True)

        return pred

    @handle(ast.Or)
    def or_(self, node, lhs, rhs):
        a, b = self._predicate(lhs), self._predicate(rhs)

        def pred(p, g):
            x = a(p, g)
            if x is True:
                return True
            y = b(p, g)
            return True if y is True else (None if x is None or y is None else False)

        return pred

    def _predicate(self, sub: Any) -> Predicate:
        if isinstance(sub, _Operand):
            if sub.kind == "boolean":
                return sub.get
            raise self.fail(f"{sub.label} is not a condition")
        return sub


def compile_filter(text: str, queryables: dict[str, dict[str, Any]], where: str) -> Predicate:
    """The predicate of CQL2 text ``text`` over a collection with these ``queryables``."""
    from lark.exceptions import UnexpectedInput
    from pygeofilter.parsers.cql2_text import parse

    if not text.strip():
        raise BadInput(f"filter is empty ({where})")
    try:
        tree = parse(text)
    except UnexpectedInput as exc:
        near = text[max(0, exc.column - 1) : exc.column + 19] if exc.column > 0 else ""
        raise BadInput(
            f"filter {text!r}: not CQL2 text at line {exc.line} column {exc.column}"
            + (f" (near {near!r})" if near else "")
            + f" ({where})"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the parser's other errors are the client's too
        raise BadInput(f"filter {text!r}: not CQL2 text: {str(exc)[:200]} ({where})") from None
    compiler = _Compiler(queryables, where)
    return compiler._predicate(compiler.evaluate(tree))
