"""Check the pages' catalogues against what ``pybabel extract`` finds.

``python -m clearground.web.pages.catalogue_check`` (from a source checkout: it reads the
project's babel.cfg) extracts the pages' messages as ``pybabel extract -F babel.cfg -k N_``
does, and reports: a message with no translation in ``locale/<lang>/LC_MESSAGES/messages.po``
(or only a fuzzy one), an entry of the catalogue that extraction does not find (a hand-added
entry, or one whose text changed in the code), and a msgid given twice in ``messages.po`` or
``rules.po``. Exit code 1 when there is any.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from pathlib import Path

from clearground.web.pages.i18n import LANGUAGES, LOCALE_DIR

__all__ = ["duplicates", "extracted", "problems"]

PACKAGE = Path(__file__).resolve().parents[2]
BABEL_CFG = PACKAGE.parents[1] / "babel.cfg"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}


def extracted(cfg: Path = BABEL_CFG) -> dict[str, list[str]]:
    """Every msgid extraction finds (a plural's singular), with where it is."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with cfg.open(encoding="utf-8") as fh:
        method_map, options_map = parse_mapping_cfg(fh, filename=str(cfg))
    out: dict[str, list[str]] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(PACKAGE), method_map, options_map, keywords=KEYWORDS
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            out.setdefault(msgid, []).append(f"{filename}:{lineno}")
    return out


_FIELD = re.compile(r'^(msgctxt|msgid|msgid_plural|msgstr(?:\[\d+\])?) "(.*)"$')


def duplicates(path: Path) -> list[str]:
    """The msgids (with their msgctxt) a .po file gives more than once, read from its text
    (Babel's reader keeps the last of them, silently)."""
    seen: list[tuple[str, str]] = []
    context, field, text = "", "", ""
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        m = _FIELD.match(line)
        if m or not line.startswith('"'):
            if field == "msgid" and text:
                seen.append((context, text))
                context = ""
            elif field == "msgctxt":
                context = text
            field, text = (m.group(1), m.group(2)) if m else ("", "")
        else:
            text += line[1:-1]
    return [f"{c}|{i}" if c else i for (c, i), n in Counter(seen).items() if n > 1]


def problems(lang: str = "uk") -> list[str]:
    """What is wrong with ``lang``'s catalogue, one line each (none: it covers the pages)."""
    from babel.messages.pofile import read_po

    path = LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalogue = read_po(fh, locale=lang)
    found = extracted()
    out = []
    for msgid, where in sorted(found.items()):
        entry = catalogue.get(msgid)
        strings = entry.string if entry is not None else None
        empty = not strings or (isinstance(strings, tuple) and not all(strings))
        if entry is None or empty or entry.fuzzy:
            out.append(f"not translated: {msgid!r} ({where[0]})")
    for entry in catalogue:
        msgid = entry.id[0] if isinstance(entry.id, tuple) else entry.id
        if msgid and msgid not in found:
            out.append(f"not extracted (hand-added, or changed in the code): {msgid!r}")
    for name in ("messages.po", "rules.po"):
        po = LOCALE_DIR / lang / "LC_MESSAGES" / name
        if po.is_file():
            out += [f"{name}: msgid given twice: {d!r}" for d in duplicates(po)]
    return out


def main() -> int:
    bad = [f"{lang}: {p}" for lang in LANGUAGES if lang != "en" for p in problems(lang)]
    for line in bad:
        print(line)
    if not bad:
        print(f"the catalogues cover the {len(extracted())} messages extraction finds")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
