"""The page of a published site: ``index.html`` rendered from ``templates/public/index.html``
in every language at once, and its assets (the page's own files and the vendored npm files).

The template gets ``languages``, ``default_language``, ``as_of`` and ``title``, the gettext
callables of the default language (``_``, ``gettext``, ``ngettext``) and ``gettext_in(lang,
text)``, which translates into any of ``languages`` through the same catalogues as the server's
pages, so that both languages are in the page and it switches without a reload.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from clearground.domain.errors import BadInput

__all__ = [
    "ASSETS",
    "TEMPLATE",
    "VENDOR",
    "copy_assets",
    "parse_languages",
    "render_index",
]

WEB = Path(__file__).resolve().parent.parent / "web"
TEMPLATE = "public/index.html"
#: The page's own JavaScript and CSS, copied to ``DIR/assets/``.
ASSETS = WEB / "static" / "public"
#: The npm packages of ``scripts/build-assets``, copied to ``DIR/assets/vendor/<package>/``;
#: those only the server's pages and tests use are left out.
VENDOR = WEB / "static" / "vendor"
_NOT_PUBLISHED = frozenset({"chart.js", "axe-core"})


def parse_languages(text: str | None) -> list[str]:
    """``--languages uk,en`` as a list, the first the page's default; an unknown or repeated
    language is refused (exit 2)."""
    from clearground.web.pages.i18n import LANGUAGES

    raw = "uk,en" if text is None else text
    langs = [p.strip().lower() for p in raw.split(",")]
    if not raw.strip() or any(not p for p in langs):
        raise BadInput(f"--languages {raw!r}: give languages separated by commas, e.g. uk,en")
    unknown = [p for p in langs if p not in LANGUAGES]
    if unknown:
        raise BadInput(
            f"--languages {raw!r}: no catalogue for {', '.join(unknown)}; "
            f"languages: {', '.join(sorted(LANGUAGES))}"
        )
    if len(set(langs)) != len(langs):
        raise BadInput(f"--languages {raw!r}: a language is named twice")
    return langs


def template_exists() -> bool:
    return (WEB / "templates" / TEMPLATE).is_file()


def render_index(path: Path, context: dict[str, Any]) -> bool:
    """Write ``index.html``; False (and nothing written) if this clearground has no page."""
    if not template_exists():
        return False
    from clearground.web.pages import i18n
    from clearground.web.pages.render import templates

    def gettext_in(lang: str, text: str, **variables: Any) -> str:
        out = i18n.translations(lang).gettext(text)
        return out % variables if variables else out

    token = i18n.use(context["default_language"])
    try:
        html = templates().get_template(TEMPLATE).render(**context, gettext_in=gettext_in)
    finally:
        i18n._current.reset(token)
    path.write_text(html, encoding="utf-8")
    return True


def copy_assets(target: Path) -> list[str]:
    """Copy the page's assets and vendored packages under ``target``; the packages copied."""
    target.mkdir(parents=True, exist_ok=True)
    if ASSETS.is_dir():
        shutil.copytree(ASSETS, target, dirs_exist_ok=True)
    packages = []
    if VENDOR.is_dir():
        for package in sorted(p for p in VENDOR.iterdir() if p.is_dir()):
            if package.name in _NOT_PUBLISHED:
                continue
            shutil.copytree(package, target / "vendor" / package.name, dirs_exist_ok=True)
            packages.append(package.name)
    return packages
