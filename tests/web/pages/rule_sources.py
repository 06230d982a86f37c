"""The English messages the rules can raise or report, collected from their source.

Every string (or f-string) given to ``raise SomeError(...)``, added to a list or a dict of
problems or notes (``append``, ``extend``, ``setdefault``, ``problems[i] = ...``), assigned to a
``*_MESSAGE`` constant, or returned as a text of three words or more (a reason, a part of a
message) in ``domain/``, ``services/`` and ``formats/`` is a message a user can meet (on a page,
in the JSON API, from the CLI). Each is returned as a template: its literal text with ``{}``
where the f-string puts a value (literal braces doubled), an ``x if c else y`` of texts giving
one template for each.
"""

from __future__ import annotations

import ast
import itertools
from collections.abc import Iterator
from pathlib import Path

import clearground

ROOT = Path(clearground.__file__).resolve().parent
PACKAGES = ("domain", "services", "formats")
#: What else a page can show: the web layer's own refusals (an upload, a parameter, a sign-in;
#: not the OGC API's, which only its clients read) and the database's failures.
MORE = ("web/*.py", "web/pages/*.py", "store/errors.py", "store/retry.py")
#: Classes of the error family (and wrappers of theirs) a message is given to.
ERRORS = ("Error", "Unavailable", "Aborted", "Rejected", "Refused", "Forbidden", "Unauthorized")
ERRORS += ("NotFound", "Conflict", "BadInput", "TooManyRequests", "Exception")
#: Exceptions that are the program's own mistakes, never a message to a user.
NOT_MESSAGES = {"AttributeError", "TypeError", "AssertionError", "NotImplementedError"}
#: Words in the name of a list or a target that holds messages.
HOLDERS = ("problem", "notes", "repaired", "refus", "reason", "why")


def _esc(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def _variants(node: ast.AST) -> list[str] | None:
    """The templates a string expression makes, or None when it is not a string."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [_esc(node.value)]
    if isinstance(node, ast.JoinedStr):
        parts = []
        for v in node.values:
            if isinstance(v, ast.Constant):
                parts.append([_esc(v.value)])
            else:
                inner = v.value
                if isinstance(inner, ast.IfExp):
                    a, b = _variants(inner.body), _variants(inner.orelse)
                    if a is not None and b is not None:
                        parts.append(a + b)
                        continue
                parts.append(["{}"])
        return ["".join(p) for p in itertools.product(*parts)]
    if isinstance(node, ast.IfExp):
        a, b = _variants(node.body), _variants(node.orelse)
        return a + b if a is not None and b is not None else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        a, b = _variants(node.left), _variants(node.right)
        if a is None and b is None:
            return None
        return [x + y for x in (a or ["{}"]) for y in (b or ["{}"])]
    return None


def _strings(node: ast.AST) -> Iterator[str]:
    found = _variants(node)
    if found is not None:
        yield from found
    elif isinstance(node, ast.List | ast.Tuple):
        for e in node.elts:
            yield from _strings(e)
    elif isinstance(node, ast.ListComp):
        yield from _strings(node.elt)
    elif isinstance(node, ast.IfExp):
        yield from _strings(node.body)
        yield from _strings(node.orelse)
    elif isinstance(node, ast.BinOp):
        yield from _strings(node.left)
        yield from _strings(node.right)


def _name(func: ast.AST) -> str:
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")


def _holds(target: ast.AST) -> bool:
    text = ast.unparse(target)
    return any(w in text.lower() for w in HOLDERS) or text.endswith("_MESSAGE")


def messages_in(tree: ast.AST) -> Iterator[tuple[int, str]]:
    """(line, template) of each message in a module's tree."""
    named = {  # module constants, for ``raise Error(_WRONG)``
        t.id: n.value
        for n in getattr(tree, "body", [])
        if isinstance(n, ast.Assign)
        for t in n.targets
        if isinstance(t, ast.Name)
    }
    for n in ast.walk(tree):
        if isinstance(n, ast.Raise) and isinstance(n.exc, ast.Call) and n.exc.args:
            if _name(n.exc.func) not in NOT_MESSAGES:
                arg = n.exc.args[0]
                if isinstance(arg, ast.Name) and arg.id in named:
                    arg = named[arg.id]
                yield from ((n.lineno, t) for t in _strings(arg))
        elif isinstance(n, ast.Call) and _name(n.func) in ("append", "extend") and n.args:
            if _holds(n.func):
                yield from ((n.lineno, t) for t in _strings(n.args[0]))
        elif isinstance(n, ast.Call) and _name(n.func).endswith(ERRORS) and n.args:
            if _name(n.func) not in NOT_MESSAGES:  # an error made here, raised elsewhere
                yield from ((n.lineno, t) for t in _strings(n.args[0]))
        elif isinstance(n, ast.Call) and _name(n.func) == "__init__" and n.args:  # an error's own
            yield from ((n.lineno, t) for t in _strings(n.args[0]))
        elif isinstance(n, ast.Call) and _name(n.func) == "setdefault" and len(n.args) == 2:
            yield from ((n.lineno, t) for t in _strings(n.args[1]))
        elif isinstance(n, ast.Assign) and any(
            _holds(t) or isinstance(t, ast.Subscript) for t in n.targets
        ):
            yield from ((n.lineno, t) for t in _strings(n.value))
        elif isinstance(n, ast.Return) and n.value is not None:
            for t in _strings(n.value):
                if len(t.replace("{}", " ").split()) >= 3:
                    yield n.lineno, t


def rule_messages() -> dict[str, list[str]]:
    """Every message template of the rules, with where it is (``services/x.py:12``)."""
    out: dict[str, list[str]] = {}
    paths = [p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))]
    paths += [p for pattern in MORE for p in sorted(ROOT.glob(pattern))]
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for line, template in messages_in(tree):
            if any("\u0400" <= c <= "\u04ff" for c in template):
                continue  # already Ukrainian (a page's own wording)
            where = f"{path.relative_to(ROOT)}:{line}"
            out.setdefault(template, []).append(where)
    return out


def is_words(template: str) -> bool:
    """Whether a template holds words of its own (not only values and punctuation)."""
    return any(c.isalpha() for c in template.replace("{}", ""))
