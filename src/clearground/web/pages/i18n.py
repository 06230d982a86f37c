"""The pages' languages: gettext catalogues (``locale/{uk,en}/LC_MESSAGES/messages.po``) and
Babel's date and number formats.

The ``.po`` files are compiled in memory when first used (no ``.mo`` to build or ship), so a
plain ``pip install -e .`` serves every language. The language of one rendering is held in a
context variable, so the gettext that Jinja2's i18n extension calls (``_()``, ``{% trans %}``)
translates into the language of the request being rendered.
"""

from __future__ import annotations

import contextvars
import io
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT",
    "LANGUAGES",
    "N_",
    "current",
    "format_date",
    "format_datetime",
    "format_number",
    "gettext",
    "ngettext",
    "translations",
    "use",
]

LANGUAGES = ("en", "uk")
DEFAULT = "en"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
_current: contextvars.ContextVar[str] = contextvars.ContextVar("clearground_lang", default=DEFAULT)


@cache
def translations(lang: str):
    """The catalogue of ``lang`` (an empty one for English and for a missing file)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    if not path.is_file():
        return NullTranslations()
    with path.open("rb") as fh:
        catalog = read_po(fh, locale=lang)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return Translations(fp=buf)


def N_(message: str) -> str:  # noqa: N802 - gettext's marker name, which pybabel extracts
    """Mark a text for the catalogue (``pybabel extract -k N_``); it is translated where it is
    shown, through ``_(variable)``."""
    return message


def use(lang: str) -> contextvars.Token:
    """Make ``lang`` the language of what is rendered next in this context."""
    return _current.set(lang if lang in LANGUAGES else DEFAULT)


def current() -> str:
    return _current.get()


def gettext(message: str, **variables: Any) -> str:
    text = translations(current()).gettext(message)
    return text % variables if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: Any) -> str:
    text = translations(current()).ngettext(singular, plural, n)
    variables.setdefault("num", n)
    return text % variables


def _locale(lang: str | None) -> str:
    return {"uk": "uk_UA", "en": "en_GB"}.get(lang or current(), "en_GB")


def _as_datetime(value: Any) -> datetime | date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime | date):
        return value
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        try:
            return date.fromisoformat(text[:10])
        except ValueError:
            return None


def format_date(value: Any, format: str = "medium", lang: str | None = None) -> str:
    """A date (or ISO text) in the language's way; the text itself if it is not a date."""
    from babel.dates import format_date as babel_date

    parsed = _as_datetime(value)
    if parsed is None:
        return "" if value is None else str(value)
    day = parsed.date() if isinstance(parsed, datetime) else parsed
    return babel_date(day, format=format, locale=_locale(lang))


def format_datetime(value: Any, format: str = "medium", lang: str | None = None) -> str:
    """A time (or ISO text) in the language's way, in UTC as stored."""
    from babel.dates import format_datetime as babel_datetime

    parsed = _as_datetime(value)
    if parsed is None:
        return "" if value is None else str(value)
    if not isinstance(parsed, datetime):
        return format_date(parsed, format, lang)
    return babel_datetime(parsed, format=format, locale=_locale(lang), tzinfo=parsed.tzinfo)


def format_number(value: Any, digits: int | None = None, lang: str | None = None) -> str:
    """A number with the language's separators (``digits``: fixed decimals)."""
    from babel.numbers import format_decimal

    if value is None or value == "":
        return ""
    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=_locale(lang))
