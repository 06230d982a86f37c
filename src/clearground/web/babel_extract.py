"""Babel extractors for the pages' words that live outside ``_()`` calls.

``pybabel extract`` reads Python and the Jinja2 templates itself; two more sources hold words
the pages show through ``_(variable)``, and these extractors read them (babel.cfg names them):

- ``xlsform``: the XLSForms the browser's forms are made from (``clearground/forms/*.md``,
  Markdown tables): each field's label and hint and each choice's label, as
  ``web/form_defs.py`` shows them (not a location's hint, which is for a phone in the field).
- ``strings``: the texts of a Python object named in the section's ``object`` option
  (``module:NAME``, a dict's values or a sequence of texts), e.g. the route check's
  ``MESSAGES``, which the CLI and the JSON API word in English and a page in its language.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib import import_module
from typing import IO, Any

__all__ = ["extract_strings", "extract_xlsform"]

Found = tuple[int, str, str, list[str]]


def extract_xlsform(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, str]
) -> Iterator[Found]:
    """Labels and hints of an XLSForm written as Markdown tables (the survey and choices
    sheets), each with its line number."""
    sheet, header = "", []
    for lineno, raw in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        if not raw.startswith("|"):
            continue
        cells = [c.strip() for c in raw.strip().strip("|").split("|")]
        if cells[0]:
            sheet, header = cells[0], []
            continue
        if not header:
            header = cells[1:]
            continue
        row = dict(zip(header, cells[1:], strict=False))
        geo = row.get("type", "").startswith("geo")  # its hint is for a phone in the field
        wanted = {"survey": ("label",) if geo else ("label", "hint"), "choices": ("label",)}
        wanted = wanted.get(sheet, ())
        for column in wanted:
            if row.get(column):
                yield lineno, "N_", row[column], [f"xlsform {sheet} {column}"]


def extract_strings(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: dict[str, str]
) -> Iterator[Found]:
    """The texts of ``options["object"]`` (``module:NAME``); ``options["plural"]`` names two
    keys of a dict that are one message's singular and plural (``found_one found_many``)."""
    module, _, name = options["object"].partition(":")
    value = getattr(import_module(module), name)
    singular, _, plural = options.get("plural", "").partition(" ")
    if singular:
        yield 0, "ngettext", (value[singular], value[plural]), [options["object"]]
    texts = value.items() if isinstance(value, dict) else enumerate(value)
    for key, text in texts:
        if key not in (singular, plural):
            yield 0, "N_", text, [options["object"]]
