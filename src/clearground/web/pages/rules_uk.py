"""The rules' messages in the page's language, from the ``rules`` gettext catalogue.

The rules (domain/, services/, formats/) word every message in English, the same for the CLI,
the JSON API and the pages. ``locale/<lang>/LC_MESSAGES/rules.po`` holds each message as its
f-string makes it: ``msgid`` is the English with ``{}`` for each value, ``msgstr`` the
translation with the values put back by number (``{0}``, ``{1}``, ...). A message is matched
against the templates, the most specific first (the one with the most words of its own); the
values go over unchanged, except that a value that is itself a message (``{}: {}`` carries a
reason) is worded too. A message no template matches is left in English: never a guess.
tests/web/pages/test_rule_messages_uk.py collects the messages from the source and fails on
one the catalogue lacks.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache

from clearground.web.pages.i18n import LOCALE_DIR

__all__ = ["WHERE", "catalogue", "templates", "word"]

_SLOT = re.compile(r"\{(\d+)\}")
#: Where a problem is: a file, a record id, ``FILE:feature N``, ``FILE:row N``.
WHERE = re.compile(r"[^ ]+|.*?\b(feature|row|line|entry|event|victim|version) \d+")


@cache
def catalogue(lang: str) -> dict[str, str]:
    """English template -> translated template, for ``lang`` (empty when it has none)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "rules.po"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale=lang) if m.id and m.string}


def _regex(template: str) -> re.Pattern[str]:
    """``{}`` is a value; ``{{``/``}}`` are braces; the rest is matched as it is."""
    parts, i = [], 0
    for m in re.finditer(r"\{\{|\}\}|\{\}", template):
        parts.append(re.escape(template[i : m.start()]))
        token = m.group()
        parts.append("(.+?)" if token == "{}" else re.escape(token[0]))
        i = m.end()
    parts.append(re.escape(template[i:]))
    return re.compile("".join(parts), re.S)


def _words(template: str) -> int:
    return sum(c.isalpha() for c in template.replace("{}", ""))


@cache
def templates(lang: str, leading_value: bool) -> list[tuple[re.Pattern[str], str]]:
    """(English pattern, translation), the most specific first: those that start with a word
    of their own, or (``leading_value``) those that start with a value (``{}: ...``)."""
    pairs = [p for p in catalogue(lang).items() if p[0].startswith("{}") == leading_value]
    pairs.sort(key=lambda p: (-_words(p[0]), -len(p[0])))
    return [(_regex(en), tr) for en, tr in pairs]


def word(
    message: str, lang: str, leading_value: bool, value: Callable[[str], str | None]
) -> str | None:
    """``message`` (one line of the rules' English) in ``lang`` by the first template that
    matches it, each value worded by ``value`` when it is itself a message; None when no
    template matches."""
    for pattern, translated in templates(lang, leading_value):
        m = pattern.fullmatch(message)
        if m is None:
            continue
        lead = m.group(1) if leading_value and m.groups() else ""
        if ": " in lead and not WHERE.fullmatch(lead):
            continue  # the leading value took words of the message (``a: b is empty``)
        values = [v if not any(c.isalpha() for c in v) else (value(v) or v) for v in m.groups()]
        return _SLOT.sub(lambda s, values=values: values[int(s.group(1))], translated)
    return None
