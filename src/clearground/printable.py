"""Record text made safe for a terminal: what a file brought is shown, never obeyed.

A name read from a file may hold escape sequences (``\\x1b[2J`` clears the screen, others
retitle the window or fake a prompt) or text that looks like rich markup (``[bold]``). Tables
and plain-text lines show such text literally: control and format characters as escapes
(``\\x1b``, ``\\u202e``), markup as the characters it is. JSON output needs none of this:
``json.dumps`` escapes control characters already.
"""

from __future__ import annotations

import unicodedata
from typing import Any

__all__ = ["cell", "printable"]


def _escape(c: str) -> str:
    n = ord(c)
    return f"\\x{n:02x}" if n < 0x100 else f"\\u{n:04x}" if n < 0x10000 else f"\\U{n:08x}"


def printable(value: Any) -> str:
    """``value`` as text with every control or format character (C0, C1, DEL, bidirectional
    overrides, zero-width characters) written as its escape.

    >>> printable("SYNTHETIC\\x1b[31m red\\u202e")
    'SYNTHETIC\\\\x1b[31m red\\\\u202e'
    """
    text = "" if value is None else str(value)
    if text.isprintable():
        return text
    return "".join(
        _escape(c) if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c for c in text
    )


def cell(value: Any):
    """A table cell for rich: the printable text, with no markup interpreted."""
    from rich.text import Text

    return Text(printable(value))
