"""The route and place check's message in the page's language.

The check (``services.check``) answers in English, byte for byte the same for the CLI and the
JSON API (scripts read it), and gives the same message as data: ``message_key`` and
``message_args``, a tree of ``MESSAGES`` keys. A page words that tree from the gettext
catalogue, whose entries are the English templates themselves (msgid) and their translation
(msgstr, with Ukrainian's three plural forms for the number of hazards). The coverage text
(``what``) is worded by pattern; anything not matched stays in English rather than guessed.
Numbers the reader reads as quantities follow the language (``1 234,5``); coordinates do not.
"""

from __future__ import annotations

import re
import string
from typing import Any

from clearground.services.check import MESSAGES, render_message
from clearground.web.pages.i18n import DEFAULT, LANGUAGES, translations

__all__ = [
    "PUBLIC_CHECK_TEMPLATES",
    "coverage_text",
    "message_in",
    "refusals",
    "templates",
    "with_language",
]

#: Arguments that are quantities (worded with the language's separators).
QUANTITIES = frozenset({"buffer_m", "gone_km", "total_km", "n", "crossed", "more"})
#: The English message's plural pair: ``found_one`` / ``found_many``.
FOUND = (MESSAGES["found_one"], MESSAGES["found_many"])


def templates(lang: str) -> dict[str, str]:
    """Every check template in ``lang`` (for a page's own formatter, e.g. the public site's
    metadata.json ``messages_uk``): ``found_one``/``found_few``/``found_many`` are the three
    plural forms of the catalogue (Ukrainian: n % 10 == 1 and n % 100 != 11; 2–4 but not 12–14;
    the rest)."""
    if lang == DEFAULT or lang not in LANGUAGES:
        return dict(MESSAGES)
    t = translations(lang)
    out = {k: t.gettext(v) for k, v in MESSAGES.items() if k not in ("found_one", "found_many")}
    out["found_one"] = t.ngettext(*FOUND, 1)
    out["found_few"] = t.ngettext(*FOUND, 2)
    out["found_many"] = t.ngettext(*FOUND, 5)
    return out


#: The check's refusals as the public site's check.js words them (services/check.py's, and
#: two of its own), the most specific first: rules.po templates, ``{}`` for a value.
PUBLIC_CHECK_TEMPLATES = (
    "route: longitudes span {} to {}: it crosses the antimeridian, which in lon/lat is a line "
    "round the globe; split it at 180 degrees",
    "likely swapped lat/lon: ({}, {}) read as lon, lat lies outside the operating region, and "
    "swapped it lies inside; write coordinates as lon, lat",
    "--buffer {}: must be a distance in metres, 0 or more",
    "a route is a line or a place a point, not an area",
    "no route, track or place",
    "coordinates outside lon/lat range",
    "--point: {}",
    "route: {}",
)


def refusals(lang: str) -> dict[str, str]:
    """Each of ``PUBLIC_CHECK_TEMPLATES`` and its translation into ``lang`` (``{0}``, ``{1}``:
    the values), for check.js; none that the catalogue lacks."""
    from clearground.web.pages.rules_uk import catalogue

    rules = catalogue(lang)
    return {en: rules[en] for en in PUBLIC_CHECK_TEMPLATES if en in rules}


def _number(text: str, lang: str) -> str:
    if lang == "uk":  # 1,234.56 -> 1 234,56 (a no-break space groups thousands)
        return text.replace(",", "\u00a0").replace(".", ",")
    return text


class _Quantity:
    """A number that formats with ``spec`` as Python does, then in the language's way."""

    def __init__(self, value: Any, lang: str) -> None:
        self.value, self.lang = value, lang

    def __format__(self, spec: str) -> str:
        return _number(format(self.value, spec), self.lang)


class _Formatter(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def get_value(self, key, args, kwargs):  # noqa: ANN001 - string.Formatter's signature
        value = super().get_value(key, args, kwargs)
        if key in QUANTITIES and isinstance(value, int | float):
            return _Quantity(value, self.lang)
        return value


_REGION = re.compile(r"the operating region \(longitude (\S+) to (\S+), latitude (\S+) to (\S+)\)$")
_ADMIN = re.compile(r"the administrative areas imported into it, within (.+)$")
_IMPORTED = re.compile(r"the coverage area imported into it \((.*?)\), within (.+)$")
_MORE = re.compile(r" and (\d+) more$")


def _region_uk(text: str, genitive: bool) -> str | None:
    m = _REGION.match(text)
    if not m:
        return None
    lon0, lon1, lat0, lat1 = (_number(g, "uk") for g in m.groups())
    head = "операційного регіону" if genitive else "операційний регіон"
    return f"{head} (довгота від {lon0} до {lon1}, широта від {lat0} до {lat1})"


def coverage_text(what: str, lang: str) -> str:
    """What the database covers (``services.coverage`` text) in ``lang``, as the object of
    "it covers …" (Ukrainian accusative); the English text when no pattern matches."""
    if lang != "uk":
        return what
    if what == "no hazard records at all":
        return "жодного запису про небезпеки"
    region = _region_uk(what, genitive=False)
    if region:
        return region
    m = _ADMIN.match(what)
    if m and (within := _region_uk(m.group(1), genitive=True)):
        return f"імпортовані до неї адміністративні одиниці в межах {within}"
    m = _IMPORTED.match(what)
    if m and (within := _region_uk(m.group(2), genitive=True)):
        names = _MORE.sub(lambda k: f" та ще {k.group(1)}", m.group(1))
        return f"імпортовану до неї зону покриття ({names}) в межах {within}"
    from clearground.web.pages.messages_uk import translate

    return translate(what, lang)  # the rules' catalogue, or the English as it is


def message_in(answer: dict[str, Any], lang: str) -> str:
    """The check's message (an answer of ``services.check.check``) in ``lang``."""
    if lang == DEFAULT or lang not in LANGUAGES or "message_key" not in answer:
        return answer["message"]
    t = translations(lang)
    fmt = _Formatter(lang)

    def template(key: str, values: dict[str, Any]) -> str:
        if key in ("found_one", "found_many"):
            text = t.ngettext(*FOUND, int(values["n"]))
        else:
            text = t.gettext(MESSAGES[key])
        if "what" in values:
            values = {**values, "what": coverage_text(values["what"], lang)}
        return fmt.format(text, **values)

    return render_message({"key": answer["message_key"], "args": answer["message_args"]}, template)


def with_language(answer: dict[str, Any], lang: str | None) -> dict[str, Any]:
    """The answer, plus ``message_<lang>`` (e.g. ``message_uk``) and ``coverage_<lang>`` (what
    the database covers) for a page in another language than English; ``message`` and
    ``coverage`` themselves are never changed (a copy: answers are cached)."""
    if not lang or lang == DEFAULT or lang not in LANGUAGES:
        return answer
    out = {**answer, f"message_{lang}": message_in(answer, lang)}
    if isinstance(answer.get("coverage"), str):
        out[f"coverage_{lang}"] = coverage_text(answer["coverage"], lang)
    return out
